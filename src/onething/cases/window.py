"""The comprehensive window (综合窗口): queue, accept and fan out, refuse, one correction notice,
and issuing every result together (出件)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.accounts import service as accounts
from onething.accounts.models import Role, User
from onething.cases import service as cs
from onething.cases.apply import pre_review
from onething.cases.forms import Problem, problems_error
from onething.cases.models import Case, CaseSubmission, CorrectionNotice, ItemTask
from onething.cases.review import start_task
from onething.cases.states import (
    CASE_MACHINE,
    DELIVERY_LABELS,
    CaseState,
    Delivery,
    Party,
    TaskState,
)
from onething.catalog.models import ServiceItem
from onething.core.audit import Actor
from onething.core.errors import DomainError, ErrorDetail
from onething.core.workdays import load_calendar, local_date
from onething.db import utcnow

ACCEPTANCE_DAYS = 5
"""《行政许可法》第三十二条: 材料不齐全的，应当当场或者在五日内一次告知; after that the case
counts as accepted by law, so the queue marks it overdue."""


@dataclass(frozen=True)
class QueueEntry:
    case: Case
    waiting_days: int
    overdue: bool


def queue(
    session: Session, user: User, states: Sequence[str], *, now: dt.datetime | None = None
) -> list[QueueEntry]:
    """The window's cases in these states, oldest submission first, overdue marked."""
    regions = [s.region_code for s in accounts.scopes(user, Role.window_clerk)]
    if not regions:
        raise DomainError("forbidden", "只有综合窗口人员可以查看受理队列", 403)
    stmt = select(Case).where(
        Case.state.in_(list(states)), cs.in_regions(Case.region_code, regions)
    )
    rows = session.scalars(stmt.order_by(Case.submitted_at, Case.id)).all()
    cal = load_calendar(session)
    today = local_date(now or utcnow())
    out = []
    for case in rows:
        since = local_date(case.submitted_at) if case.submitted_at else today
        waited = cal.working_days_between(since, today)
        overdue = (
            waited > ACCEPTANCE_DAYS if case.state == CaseState.submitted else case.alert == "red"
        )
        out.append(QueueEntry(case, waited, overdue))
    return out


@dataclass(frozen=True)
class FieldChange:
    key: str
    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Changes:
    """What a correction changed since the previous submission."""

    fields: list[FieldChange]
    files_added: dict[str, list[str]]
    files_removed: dict[str, list[str]]

    @property
    def empty(self) -> bool:
        return not (self.fields or self.files_added or self.files_removed)


def changes_since_last_round(session: Session, case: Case) -> Changes | None:
    rows = session.scalars(
        select(CaseSubmission)
        .where(CaseSubmission.case_id == case.id)
        .order_by(CaseSubmission.round.desc())
        .limit(2)
    ).all()
    if len(rows) < 2:
        return None
    new, old = rows
    labels = {f.key: f.label for f in cs.resolution(case).fields}
    fields = [
        FieldChange(k, labels.get(k, k), old.form.get(k), new.form.get(k))
        for k in sorted(set(old.form) | set(new.form))
        if old.form.get(k) != new.form.get(k)
    ]

    def names(
        files: Mapping[str, list[list[str]]], others: Mapping[str, list[list[str]]]
    ) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, rows in files.items():
            seen = {r[0] for r in others.get(key, [])}
            added = [r[1] for r in rows if r[0] not in seen]
            if added:
                out[key] = added
        return out

    return Changes(fields, names(new.files, old.files), names(old.files, new.files))


def latest_notice(session: Session, case: Case) -> CorrectionNotice | None:
    return session.scalar(
        select(CorrectionNotice)
        .where(CorrectionNotice.case_id == case.id)
        .order_by(CorrectionNotice.id.desc())
    )


def notices(session: Session, case: Case) -> list[CorrectionNotice]:
    """Every correction notice of the case, newest first: what was asked in earlier rounds."""
    stmt = (
        select(CorrectionNotice)
        .where(CorrectionNotice.case_id == case.id)
        .order_by(CorrectionNotice.id.desc())
    )
    return list(session.scalars(stmt))


def accept(
    session: Session,
    case: Case,
    user: User,
    actor: Actor,
    *,
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Case:
    """受理: the case's items become one ItemTask each, routed to their departments; items
    with no prerequisite start now, the others when their prerequisites are approved."""
    cs.require_party(user, case, Party.window)
    cs.check_version(case, expected_version)
    CASE_MACHINE.check(case.state, "accept")
    resolved = cs.resolution(case)
    review = pre_review(case, resolved)
    if not review.ok:
        raise problems_error(
            "prereview_failed", "申请仍有问题，不能受理；请一次性告知申请人补正", review.problems
        )
    now = now or utcnow()
    cal = load_calendar(session)
    today = local_date(now)
    bundle_days = case.bundle.promised_days if case.bundle is not None else None
    case.promised_days = bundle_days or resolved.critical_days
    case.accepted_on = today
    case.due_on = cal.add_working_days(today, case.promised_days)
    cs.move_case(
        session,
        case,
        "accept",
        actor,
        data={"items": [i.code for i in resolved.items], "due_on": case.due_on},
    )
    items = {
        row.code: row
        for row in session.scalars(
            select(ServiceItem).where(ServiceItem.code.in_([i.code for i in resolved.items]))
        )
    }
    tasks: dict[str, ItemTask] = {}
    for position, item in enumerate(resolved.items):
        row = items[item.code]
        task = ItemTask(
            case=case,
            item=row,
            department=row.department,
            region_code=row.region_code,
            position=position,
            after=[],
            state=TaskState.waiting,
            promised_days=row.promised_days,
        )
        session.add(task)
        tasks[item.code] = task
    cs.save(session)
    for code, task in tasks.items():
        task.after = [tasks[c].id for c in resolved.after.get(code, [])]
    for task in tasks.values():
        if not task.after:
            start_task(session, task, actor, today, cal)
    cs.save(session)
    cs.tell_applicant(
        session,
        case,
        "cases.accept",
        "申请已受理",
        f"您的{cs.case_label(case)}已受理，承诺 {case.promised_days} 个工作日内办结"
        f"（{case.due_on:%Y年%m月%d日}前）。",
    )
    return case


def refuse(
    session: Session,
    case: Case,
    user: User,
    actor: Actor,
    reason: str,
    *,
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Case:
    """不予受理, always with the written reason the applicant is given."""
    cs.require_party(user, case, Party.window)
    cs.check_version(case, expected_version)
    CASE_MACHINE.check(case.state, "refuse")
    reason = reason.strip()
    if len(reason) < 4:
        raise DomainError("reason_required", "请写明不予受理的理由和依据", 422, "reason")
    case.reason = reason[:2000]
    case.decided_at = now or utcnow()
    cs.move_case(session, case, "refuse", actor, note=case.reason)
    cs.save(session)
    cs.tell_applicant(
        session,
        case,
        "cases.refuse",
        "申请不予受理",
        f"您的{cs.case_label(case)}不予受理：{reason}",
    )
    return case


def request_correction(
    session: Session,
    case: Case,
    user: User,
    actor: Actor,
    problems: Sequence[Mapping[str, str]],
    note: str = "",
    *,
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> CorrectionNotice:
    """一次性告知: every problem in one written notice; the applicant fixes them all at once."""
    cs.require_party(user, case, Party.window)
    cs.check_version(case, expected_version)
    CASE_MACHINE.check(case.state, "request_correction")
    resolved = cs.resolution(case)
    labels = {("field", f.key): f.label for f in resolved.fields}
    labels.update({("material", m.material.key): m.material.name for m in resolved.materials})
    clean: list[Problem] = []
    errors: list[ErrorDetail] = []
    for i, raw in enumerate(problems):
        kind, key = raw.get("kind", "other"), raw.get("key", "")
        message = (raw.get("message") or "").strip()
        if not message:
            errors.append(ErrorDetail("请写明问题和补正要求", field=f"problems.{i}.message"))
            continue
        if kind == "other":
            clean.append(Problem("other", key or "other", raw.get("label") or "其他", message))
        elif (kind, key) in labels:
            clean.append(Problem(kind, key, labels[(kind, key)], message[:1000]))
        else:
            errors.append(ErrorDetail(f"本件没有这个字段或材料：{key}", field=f"problems.{i}.key"))
    if errors:
        raise DomainError("invalid_notice", "补正告知有误", 422, details=errors)
    if not clean:
        raise DomainError("problems_required", "请至少列出一个需要补正的问题", 422, "problems")
    notice = CorrectionNotice(
        case_id=case.id,
        round=case.round,
        problems=[p.as_dict() for p in clean],
        note=note.strip()[:2000] or None,
        issued_by=user.id,
        issued_at=now or utcnow(),
    )
    session.add(notice)
    cs.move_case(
        session,
        case,
        "request_correction",
        actor,
        note="；".join(f"{p.label}：{p.message}" for p in clean),
    )
    cs.save(session)
    lines = "\n".join(f"{i}. {p.label}：{p.message}" for i, p in enumerate(clean, 1))
    cs.tell_applicant(
        session,
        case,
        "cases.request_correction",
        "请补正申请材料（一次性告知）",
        f"您的{cs.case_label(case)}需要补正以下 {len(clean)} 项：\n{lines}"
        + (f"\n说明：{notice.note}" if notice.note else ""),
    )
    return notice


def deliver(
    session: Session,
    case: Case,
    user: User,
    actor: Actor,
    *,
    tracking_number: str | None = None,
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Case:
    """综合窗口出件: every result of the case goes out together, by the applicant's choice."""
    cs.require_party(user, case, Party.window)
    cs.check_version(case, expected_version)
    CASE_MACHINE.check(case.state, "deliver")
    method = case.delivery.get("method", Delivery.online)
    if method == Delivery.post:
        tracking_number = (tracking_number or "").strip()
        if not tracking_number:
            raise DomainError("tracking_required", "邮寄送达须填写邮件单号", 422, "tracking_number")
        case.tracking_number = tracking_number[:40]
    case.delivered_at = now or utcnow()
    cs.move_case(
        session,
        case,
        "deliver",
        actor,
        note=DELIVERY_LABELS[method]
        + (f"，单号 {case.tracking_number}" if case.tracking_number else ""),
    )
    cs.save(session)
    results = [t.result.name for t in case.tasks if t.result is not None]
    how = {
        Delivery.online: "请登录后在办件详情中下载。",
        Delivery.window: "请携带身份证件到综合窗口领取。",
        Delivery.post: f"已邮寄，邮件单号 {case.tracking_number}。",
    }[Delivery(method)]
    cs.tell_applicant(
        session,
        case,
        "cases.deliver",
        "办理结果已出件",
        f"您的{cs.case_label(case)}已出件：{'、'.join(results) or '审批决定书'}。{how}",
    )
    return case
