"""Parallel department review (并联审批): claim, pause the clock, resume, approve or deny;
prerequisites gate their dependents, and the case completes when every task is decided."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import Session

from onething.accounts import service as accounts
from onething.accounts.models import User
from onething.cases import service as cs
from onething.cases.models import Case, ItemResult, ItemTask, TaskPause
from onething.cases.states import (
    DECIDED_TASK_STATES,
    PAUSE_KIND_LABELS,
    TASK_MACHINE,
    Alert,
    CaseState,
    Party,
    PauseKind,
    TaskState,
)
from onething.config import get_settings
from onething.core.audit import SYSTEM, Actor
from onething.core.errors import DomainError
from onething.core.workdays import WorkCalendar, load_calendar, local_date
from onething.db import utcnow

ResultHook = Callable[[Session, ItemTask, ItemResult], None]
RESULT_HOOKS: list[ResultHook] = []
"""Called in the same transaction when an approval produces a result; the certificates
domain registers here to issue the electronic licence."""


# ---------------------------------------------------------------- the clock


def time_used(task: ItemTask, today: dt.date, cal: WorkCalendar) -> int:
    """Working days counted so far: since the start, less every paused day."""
    if task.started_on is None:
        return 0
    used = cal.working_days_between(task.started_on, today) - task.paused_days
    open_pause = current_pause(task)
    if open_pause is not None:
        used -= cal.working_days_between(open_pause.started_on, today)
    return max(used, 0)


def alert_level(used: int, promised: int) -> Alert:
    if used > promised:
        return Alert.red
    if promised and used >= get_settings().deadline_warning_ratio * promised:
        return Alert.yellow
    return Alert.none


def current_pause(task: ItemTask) -> TaskPause | None:
    return next((p for p in task.pauses if p.ended_on is None), None)


def start_task(
    session: Session, task: ItemTask, actor: Actor, today: dt.date, cal: WorkCalendar
) -> None:
    """The task's clock starts: from acceptance, or from its last prerequisite's approval."""
    task.started_on = today
    task.due_on = cal.add_working_days(today, task.promised_days)
    cs.move_task(
        session,
        task,
        "start",
        actor,
        note=f"转{task.department.name}办理，{task.due_on:%Y-%m-%d}前办结",
        data={"due_on": task.due_on},
    )
    cs.tell_department(
        session,
        task,
        "cases.task_start",
        "有新的部门子件待签收",
        f"{cs.case_label(task.case)}：{task.item.name}，请于 {task.due_on:%Y年%m月%d日} 前办结。",
    )


# ---------------------------------------------------------------- inbox


@dataclass(frozen=True)
class InboxEntry:
    task: ItemTask
    used: int
    alert: Alert


def inbox(
    session: Session, user: User, states: Sequence[str], *, now: dt.datetime | None = None
) -> list[InboxEntry]:
    """The tasks of the user's departments, soonest due first."""
    scopes = accounts.scopes(user, *cs.REVIEW_ROLES)
    if not scopes:
        raise DomainError("forbidden", "只有部门审批人员可以查看部门子件", 403)
    clauses = [
        and_(
            cs.in_regions(ItemTask.region_code, [s.region_code]),
            ItemTask.department_id == s.department_id if s.department_id else true(),
        )
        for s in scopes
    ]
    stmt = select(ItemTask).where(ItemTask.state.in_(list(states)), or_(*clauses))
    rows = session.scalars(stmt.order_by(ItemTask.due_on, ItemTask.id)).all()
    cal = load_calendar(session)
    today = local_date(now or utcnow())
    out = []
    for task in rows:
        used = time_used(task, today, cal)
        alert = (
            Alert(task.alert)
            if task.state in DECIDED_TASK_STATES
            else alert_level(used, task.promised_days)
        )
        out.append(InboxEntry(task, used, alert))
    return out


# ---------------------------------------------------------------- actions


def _prepare(user: User, task: ItemTask, action: str, expected_version: int | None) -> None:
    cs.require_party(user, task.case, Party.reviewer, task)
    cs.check_version(task, expected_version)
    TASK_MACHINE.check(task.state, action)


def claim(
    session: Session,
    task: ItemTask,
    user: User,
    actor: Actor,
    *,
    expected_version: int | None = None,
) -> ItemTask:
    _prepare(user, task, "claim", expected_version)
    task.assignee_id = user.id
    task.assignee = user
    cs.move_task(session, task, "claim", actor)
    cs.save(session)
    return task


def pause(
    session: Session,
    task: ItemTask,
    user: User,
    actor: Actor,
    kind: str,
    reason: str,
    expected_end: dt.date,
    *,
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> ItemTask:
    """特别程序: the clock stops for a step the law does not count, with a reason and an end."""
    _prepare(user, task, "pause", expected_version)
    if kind not in PauseKind.__members__:
        raise DomainError("invalid_pause_kind", "请选择特别程序的类型", 422, "kind")
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_required", "请写明进入特别程序的原因", 422, "reason")
    today = local_date(now or utcnow())
    if expected_end < today:
        raise DomainError("invalid_expected_end", "预计结束日期不能早于今天", 422, "expected_end")
    case = task.case
    if not any(t.state == TaskState.paused for t in case.tasks if t is not task):
        case.paused_since = today
    session.add(
        TaskPause(
            task_id=task.id,
            kind=kind,
            reason=reason[:1000],
            started_on=today,
            expected_end=expected_end,
        )
    )
    label = PAUSE_KIND_LABELS[kind]
    cs.move_task(
        session,
        task,
        "pause",
        actor,
        note=f"{label}：{reason}（预计 {expected_end:%Y-%m-%d} 结束，期间不计入办理时限）",
    )
    cs.save(session)
    session.expire(task, ["pauses"])
    cs.tell_applicant(
        session,
        case,
        "cases.task_pause",
        f"{task.item.name}进入{label}",
        f"{cs.case_label(case)}的“{task.item.name}”进入{label}：{reason}。"
        f"预计 {expected_end:%Y年%m月%d日} 结束，期间不计入办理时限。",
    )
    return task


def resume(
    session: Session,
    task: ItemTask,
    user: User,
    actor: Actor,
    *,
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> ItemTask:
    _prepare(user, task, "resume", expected_version)
    open_pause = current_pause(task)
    if open_pause is None:
        raise DomainError("not_paused", "该子件没有进行中的特别程序", 409)
    cal = load_calendar(session)
    today = local_date(now or utcnow())
    days = max(cal.working_days_between(open_pause.started_on, today), 0)
    open_pause.ended_on = today
    open_pause.working_days = days
    task.paused_days += days
    if task.started_on is not None:
        task.due_on = cal.add_working_days(task.started_on, task.promised_days + task.paused_days)
    case = task.case
    if case.paused_since is not None and not any(
        t.state == TaskState.paused for t in case.tasks if t is not task
    ):
        case.paused_days += max(cal.working_days_between(case.paused_since, today), 0)
        case.paused_since = None
        if case.accepted_on is not None and case.promised_days is not None:
            case.due_on = cal.add_working_days(
                case.accepted_on, case.promised_days + case.paused_days
            )
    cs.move_task(session, task, "resume", actor, note=f"特别程序结束，不计时 {days} 个工作日")
    cs.save(session)
    session.expire(task, ["pauses"])
    return task


def _opinion(opinion: str) -> str:
    opinion = opinion.strip()
    if len(opinion) < 2:
        raise DomainError("opinion_required", "请填写审批意见", 422, "opinion")
    return opinion[:4000]


def _decide(
    session: Session,
    task: ItemTask,
    user: User,
    action: str,
    opinion: str,
    now: dt.datetime | None,
    expected_version: int | None,
) -> tuple[dt.datetime, WorkCalendar]:
    """What approval and denial share: checks, the written opinion, and the final alert level
    (a decision made late stays counted as late)."""
    _prepare(user, task, action, expected_version)
    now = now or utcnow()
    cal = load_calendar(session)
    task.opinion = _opinion(opinion)
    task.decided_by = user.id
    task.decided_at = now
    task.alert = alert_level(time_used(task, local_date(now), cal), task.promised_days)
    return now, cal


def approve(
    session: Session,
    task: ItemTask,
    user: User,
    actor: Actor,
    opinion: str,
    *,
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> ItemResult:
    """准予: the item's result is made, dependents whose prerequisites are all approved start."""
    now, cal = _decide(session, task, user, "approve", opinion, now, expected_version)
    case = task.case
    result = ItemResult(
        task_id=task.id,
        case_id=case.id,
        name=task.item.result_name,
        number=f"{case.number}-{task.position + 1:02d}",
        result_type=task.item.result_type,
        issued_at=now,
    )
    session.add(result)
    cs.move_task(session, task, "approve", actor, note=task.opinion, data={"result": result.number})
    cs.save(session)
    session.expire(task, ["result"])
    for hook in RESULT_HOOKS:
        hook(session, task, result)
    today = local_date(now)
    approved = {t.id for t in case.tasks if t.state == TaskState.approved}
    for other in case.tasks:
        if other.state == TaskState.waiting and set(other.after) <= approved:
            start_task(session, other, SYSTEM, today, cal)
    cs.save(session)
    _maybe_complete(session, case, now)
    return result


def deny(
    session: Session,
    task: ItemTask,
    user: User,
    actor: Actor,
    opinion: str,
    *,
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> ItemTask:
    """不予: with the written reason; tasks that needed this result end, and everyone is told."""
    now, _ = _decide(session, task, user, "deny", opinion, now, expected_version)
    cs.move_task(session, task, "deny", actor, note=task.opinion)
    case = task.case
    ended = _cancel_dependents(session, case, task)
    cs.save(session)
    body = f"{cs.case_label(case)}的“{task.item.name}”不予办理：{task.opinion}"
    if ended:
        body += f"。因此以下事项无法继续办理：{'、'.join(t.item.name for t in ended)}"
    cs.tell_applicant(session, case, "cases.task_deny", f"{task.item.name}不予办理", body)
    cs.tell_window(session, case, "cases.task_deny", f"{task.item.name}不予办理", body)
    for other in ended:
        cs.tell_department(session, other, "cases.task_cancel", "部门子件已终止", body)
    _maybe_complete(session, case, now)
    return task


def _cancel_dependents(session: Session, case: Case, denied: ItemTask) -> list[ItemTask]:
    ended: list[ItemTask] = []
    blocked = {denied.id}
    changed = True
    while changed:
        changed = False
        for t in case.tasks:
            if t.state not in DECIDED_TASK_STATES and blocked & set(t.after):
                cs.move_task(
                    session,
                    t,
                    "cancel",
                    SYSTEM,
                    note=f"前置事项“{denied.item.name}”不予办理，本事项终止",
                )
                blocked.add(t.id)
                ended.append(t)
                changed = True
    return ended


def _maybe_complete(session: Session, case: Case, now: dt.datetime) -> None:
    if case.state != CaseState.accepted or any(
        t.state not in DECIDED_TASK_STATES for t in case.tasks
    ):
        return
    case.decided_at = now
    approved = [t for t in case.tasks if t.state == TaskState.approved]
    cs.move_case(
        session,
        case,
        "complete",
        SYSTEM,
        note=f"{len(approved)} 个事项准予，{len(case.tasks) - len(approved)} 个事项未准予",
    )
    cs.save(session)
    cs.tell_applicant(
        session,
        case,
        "cases.complete",
        "全部事项已办结",
        f"您的{cs.case_label(case)}已全部办结，综合窗口将统一出件。",
    )
    cs.tell_window(
        session, case, "cases.complete", "办件已办结，待出件", f"{cs.case_label(case)}请统一出件"
    )
