"""What every case use case shares: transitions with audit and optimistic locking, who may
see or act on a case, the resolution of its items, notifications, queries and the timeline.

The use cases themselves live in apply.py (applicant), window.py (comprehensive window),
review.py (departments) and deadlines.py (the clock).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from onething.accounts import service as accounts
from onething.accounts.models import Role, User, UserKind
from onething.cases.models import Case, ItemTask
from onething.cases.states import (
    CASE_ACTION_LABELS,
    CASE_MACHINE,
    TASK_ACTION_LABELS,
    TASK_MACHINE,
    Party,
)
from onething.catalog import service as catalog
from onething.catalog.resolve import ResolvedBundle, resolve_item
from onething.core.audit import Actor, AuditEvent, record_event
from onething.core.errors import DomainError, forbidden, not_found
from onething.core.files import StoredFile, path_of
from onething.core.locking import check_version as check_version
from onething.core.locking import in_regions as in_regions
from onething.core.locking import save as save
from onething.core.notify import notify

REVIEW_ROLES = (Role.dept_reviewer, Role.chief_representative)
# ---------------------------------------------------------------- transitions


def _move(
    session: Session,
    row: Case | ItemTask,
    action: str,
    actor: Actor,
    note: str | None,
    data: dict[str, Any],
) -> None:
    """The one writer of `state`: checked against the row's table, audited in the same
    transaction (the timeline is read back from these events)."""
    is_case = isinstance(row, Case)
    transition = (CASE_MACHINE if is_case else TASK_MACHINE).check(row.state, action)
    before = row.state
    row.state = transition.target
    subject = "case" if is_case else "item_task"
    record_event(
        session,
        f"cases:{subject}:{action}",
        subject,
        row.id,
        actor,
        before={"state": before},
        after={"state": transition.target},
        data={"note": note, **data} if note or data else None,
        region_code=row.region_code,
    )


def move_case(
    session: Session,
    case: Case,
    action: str,
    actor: Actor,
    *,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    _move(session, case, action, actor, note, data or {})


def move_task(
    session: Session,
    task: ItemTask,
    action: str,
    actor: Actor,
    *,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    _move(session, task, action, actor, note, {"case_id": task.case_id, **(data or {})})


# ---------------------------------------------------------------- who may do what


def is_owner(user: User, case: Case) -> bool:
    return user.kind != UserKind.staff and case.applicant_id == user.id


def is_window(user: User, case: Case) -> bool:
    return accounts.can_act(user, Role.window_clerk, case.region_code)


def is_reviewer(user: User, task: ItemTask) -> bool:
    return any(
        accounts.can_act(user, r, task.region_code, task.department_id) for r in REVIEW_ROLES
    )


def can_read(user: User, case: Case) -> bool:
    if is_owner(user, case) or is_window(user, case):
        return True
    if accounts.can_act(user, Role.supervisor, case.region_code):
        return True
    return any(
        accounts.can_act(user, r, t.region_code, t.department_id)
        for t in case.tasks
        for r in (*REVIEW_ROLES, Role.dept_admin)
    )


_DENIED = {
    Party.applicant: "只有申请人本人可以办理此操作",
    Party.window: "只有本辖区综合窗口人员可以办理此操作",
    Party.reviewer: "只有该事项主管部门的审批人员可以办理此操作",
    Party.system: "此操作由系统自动完成",
}


def require_party(user: User, case: Case, party: Party, task: ItemTask | None = None) -> None:
    if party == Party.applicant:
        allowed = is_owner(user, case)
    elif party == Party.window:
        allowed = is_window(user, case)
    elif party == Party.reviewer:
        allowed = task is not None and is_reviewer(user, task)
    else:
        allowed = False
    if not allowed:
        if party == Party.applicant and not can_read(user, case):
            raise not_found("办件", str(case.id))
        raise forbidden(_DENIED[party])


def load_case(session: Session, case_id: int, user: User, *, lock: bool = False) -> Case:
    """The case if this user may see it; others get 'not found' so ids reveal nothing."""
    stmt = select(Case).where(Case.id == case_id)
    # Lock the case row only: PostgreSQL refuses FOR UPDATE on the eager outer joins.
    case = session.scalar(stmt.with_for_update(of=Case) if lock else stmt)
    if case is None or not can_read(user, case):
        raise not_found("办件", str(case_id))
    return case


def load_task(session: Session, task_id: int, user: User) -> ItemTask:
    task = session.get(ItemTask, task_id)
    if task is None or not can_read(user, task.case):
        raise not_found("部门子件", str(task_id))
    return task


def case_file(case: Case, file_id: str) -> StoredFile:
    """A file given for this case (the caller has already been allowed to read the case)."""
    stored = next((m.file for m in case.materials if m.file_id == file_id), None)
    if stored is None or not path_of(stored.sha256).is_file():
        raise not_found("材料文件", file_id)
    return stored


def find_case_by_number(session: Session, number: str, user: User) -> Case:
    case = session.scalar(select(Case).where(Case.number == number.strip()))
    if case is None or not can_read(user, case):
        raise not_found("办件", number)
    return case


# ---------------------------------------------------------------- the case's items


def resolution(case: Case) -> ResolvedBundle:
    """The items, merged form and material list that apply to this case's answers."""
    if case.bundle is not None:
        return catalog.resolve(case.bundle, case.answers)
    if case.item is None:
        raise DomainError("case_without_subject", "办件没有关联的一件事或事项", 500)
    return resolve_item(catalog.item_schema(case.item))


# ---------------------------------------------------------------- notifications


def case_link(case: Case, for_staff: bool) -> str:
    return f"/window/cases/{case.id}" if for_staff else f"/my/cases/{case.id}"


def tell_applicant(session: Session, case: Case, tag: str, title: str, body: str) -> None:
    notify(
        session,
        [accounts.recipient_of(case.applicant)],
        tag,
        title,
        body,
        case_link(case, for_staff=False),
    )


def tell_staff(
    session: Session,
    users: Iterable[User],
    tag: str,
    title: str,
    body: str,
    link: str,
) -> None:
    notify(session, [accounts.recipient_of(u) for u in users], tag, title, body, link)


def tell_window(session: Session, case: Case, tag: str, title: str, body: str) -> None:
    clerks = accounts.staff_for(session, [Role.window_clerk], case.region_code)
    tell_staff(session, clerks, tag, title, body, case_link(case, for_staff=True))


def tell_department(session: Session, task: ItemTask, tag: str, title: str, body: str) -> None:
    users = accounts.staff_for(session, REVIEW_ROLES, task.region_code, task.department_id)
    tell_staff(session, users, tag, title, body, f"/dept/tasks/{task.id}")


def case_label(case: Case) -> str:
    return f"{case.title}（{case.number or '草稿'}）"


# ---------------------------------------------------------------- queries


def my_cases(session: Session, user: User) -> list[Case]:
    stmt = select(Case).where(Case.applicant_id == user.id).order_by(Case.id.desc())
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    who: str
    what: str
    note: str | None
    subject: str


def timeline(session: Session, case: Case) -> list[TimelineEntry]:
    """进度随时查: every step of the case and its tasks, from the audit trail itself."""
    task_names = {str(t.id): f"{t.item.name}（{t.department.name}）" for t in case.tasks}
    stmt = (
        select(AuditEvent)
        .where(
            or_(
                (AuditEvent.subject_type == "case") & (AuditEvent.subject_id == str(case.id)),
                (AuditEvent.subject_type == "item_task")
                & AuditEvent.subject_id.in_(list(task_names)),
            )
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    out = []
    for ev in session.scalars(stmt):
        action = ev.tag.rsplit(":", 1)[-1]
        if ev.subject_type == "case":
            what = CASE_ACTION_LABELS.get(action, _EXTRA_LABELS.get(action, action))
            subject = "办件"
        else:
            what = TASK_ACTION_LABELS.get(action, _EXTRA_LABELS.get(action, action))
            subject = task_names.get(ev.subject_id, "部门子件")
        note = (ev.data or {}).get("note")
        out.append(TimelineEntry(ev.at, ev.actor_label, what, note, subject))
    return out


_EXTRA_LABELS = {
    "created": "创建草稿",
    "updated": "保存申请内容",
    "material_added": "上传材料",
    "material_removed": "删除材料",
    "tracking": "登记邮寄单号",
    "alert": "时限预警",
}
