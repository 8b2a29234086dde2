"""12345 tickets: entry with the classifier's proposal, the closed loop as transitions with
audit and optimistic locking, who may act, merge suggestions, direct answers, queries.

Every use case takes the acting user (checked against the row's party in the table) and an
Actor for the audit trail; `now` may be given so demos and tests can run a back-dated clock.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onething.accounts import service as accounts
from onething.accounts.models import DEPARTMENT_ROLES, Role, User
from onething.catalog.models import Department, Region
from onething.config import get_settings
from onething.core.audit import Actor, record_event
from onething.core.errors import DomainError, ErrorDetail, forbidden
from onething.core.locking import check_version as check_version
from onething.core.locking import in_regions as in_regions
from onething.core.locking import save as save
from onething.core.notify import notify
from onething.core.workdays import load_calendar, local_date
from onething.db import utcnow
from onething.hotline.models import Ticket
from onething.hotline.states import (
    OPEN_STATES,
    SATISFACTION_LABELS,
    TICKET_MACHINE,
    TRANSFER_LINES,
    Channel,
    Party,
    TicketState,
    TicketType,
    Urgency,
)

MAX_CONTENT = 2000


# ---------------------------------------------------------------- who may do what


def is_operator(user: User, ticket: Ticket) -> bool:
    return accounts.can_act(user, Role.hotline_operator, ticket.region_code)


def is_dispatcher(user: User, ticket: Ticket) -> bool:
    return accounts.can_act(user, Role.hotline_dispatcher, ticket.region_code)


def is_supervisor(user: User, ticket: Ticket) -> bool:
    return accounts.can_act(user, Role.supervisor, ticket.region_code)


def is_unit(user: User, ticket: Ticket, department_id: int | None = None) -> bool:
    dept = department_id if department_id is not None else ticket.department_id
    if dept is None:
        return False
    return any(accounts.can_act(user, r, ticket.region_code, dept) for r in DEPARTMENT_ROLES)


def can_read(user: User, ticket: Ticket) -> bool:
    if is_operator(user, ticket) or is_dispatcher(user, ticket) or is_supervisor(user, ticket):
        return True
    if accounts.can_act(user, Role.system_admin, ticket.region_code):
        return True
    return is_unit(user, ticket) or any(is_unit(user, ticket, d) for d in ticket.assisting)


_DENIED = {
    Party.operator: "只有12345话务员可以办理此操作",
    Party.dispatcher: "只有12345派单员可以办理此操作",
    Party.department: "只有承办单位的工作人员可以办理此操作",
    Party.supervisor: "只有监管人员可以办理此操作",
}


def require_party(user: User, ticket: Ticket, party: str) -> None:
    allowed = {
        Party.operator: is_operator,
        Party.dispatcher: is_dispatcher,
        Party.supervisor: is_supervisor,
        Party.department: is_unit,
    }[Party(party)](user, ticket)
    if not allowed:
        raise forbidden(_DENIED[Party(party)])


# ---------------------------------------------------------------- transitions


def move(
    session: Session,
    ticket: Ticket,
    action: str,
    actor: Actor,
    user: User | None,
    *,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> None:
    """The one writer of `state`: checked against the table (and the party, when a user acts),
    audited in the same transaction; the timeline is read back from these events."""
    transition = TICKET_MACHINE.check(ticket.state, action)
    if user is not None:
        require_party(user, ticket, transition.party)
    check_version(ticket, expected_version)
    before = ticket.state
    ticket.state = transition.target
    payload = {**(data or {})}
    if note:
        payload["note"] = note
    record_event(
        session,
        f"hotline:ticket:{action}",
        "hotline_ticket",
        ticket.id,
        actor,
        before={"state": before},
        after={"state": transition.target},
        data=payload or None,
        region_code=ticket.region_code,
    )


def _text(value: str | None, what: str, field: str, limit: int = MAX_CONTENT) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError("required", f"请填写{what}", 422, field)
    if len(text) > limit:
        raise DomainError("too_long", f"{what}不能超过{limit}个字", 422, field)
    return text


def _tell_unit(session: Session, ticket: Ticket, tag: str, title: str, body: str) -> None:
    if ticket.department_id is None:
        return
    users = accounts.staff_for(
        session, list(DEPARTMENT_ROLES), ticket.region_code, ticket.department_id
    )
    notify(
        session,
        [accounts.recipient_of(u) for u in users],
        tag,
        title,
        body,
        f"/hotline/unit/{ticket.id}",
    )


def tell_role(
    session: Session, role: Role, ticket: Ticket, tag: str, title: str, body: str
) -> None:
    users = accounts.staff_for(session, [role], ticket.region_code)
    notify(
        session,
        [accounts.recipient_of(u) for u in users],
        tag,
        title,
        body,
        f"/hotline/{ticket.id}",
    )


def label(ticket: Ticket) -> str:
    return f"工单{ticket.number}（{ticket.type}·{ticket.category or '未分类'}）"


# ---------------------------------------------------------------- clocks


def dispatch_hours(urgency: str) -> float:
    s = get_settings()
    return {
        Urgency.emergency: s.hotline_dispatch_hours_emergency,
        Urgency.utility: s.hotline_dispatch_hours_utility,
    }.get(Urgency(urgency), s.hotline_dispatch_hours_normal)


def handling_days(urgency: str, ticket_type: str) -> int:
    table = get_settings().hotline_handle_days
    if urgency in (Urgency.emergency, Urgency.utility) and urgency in table:
        return table[urgency]
    return table.get(ticket_type, 15)


def _start_clock(session: Session, ticket: Ticket, now: dt.datetime) -> None:
    cal = load_calendar(session)
    ticket.started_on = local_date(now)
    ticket.handling_days = handling_days(ticket.urgency, ticket.type)
    ticket.due_on = cal.add_working_days(ticket.started_on, ticket.handling_days)
    ticket.alert = "none"


# ---------------------------------------------------------------- entry


@dataclass(frozen=True)
class NewTicket:
    content: str
    caller_name: str
    caller_phone: str
    channel: str = Channel.phone
    region_code: str | None = None
    address: str = ""
    contact: str | None = None
    type: str | None = None
    category: str | None = None
    urgency: str | None = None


def import_messages(
    session: Session, actor: Actor, user: User, rows: Sequence[Mapping[str, Any]], channel: str
) -> list[Ticket]:
    """留言板 messages (or tickets 110 passes on) in one batch: all of them or none, with the
    problem of every row reported at once."""
    if channel not in (Channel.mailbox, Channel.police):
        raise DomainError("bad_channel", "批量导入只用于留言板和110转来的诉求", 422, "channel")
    made: list[Ticket] = []
    problems: list[ErrorDetail] = []
    for n, row in enumerate(rows, 1):
        new = NewTicket(
            content=str(row.get("content") or ""),
            caller_name=str(row.get("caller_name") or "留言群众"),
            caller_phone=str(row.get("caller_phone") or ""),
            channel=channel,
            region_code=str(row["region_code"]) if row.get("region_code") else None,
            address=str(row.get("address") or ""),
            contact=str(row["contact"]) if row.get("contact") else None,
            type=str(row["type"]) if row.get("type") else None,
        )
        try:
            with session.begin_nested():
                made.append(create_ticket(session, actor, user, new))
        except DomainError as exc:
            problems.append(ErrorDetail(exc.message, field=exc.field, location=f"第{n}条"))
    if problems:
        raise DomainError(
            "import_invalid",
            f"有 {len(problems)} 条留言无法导入，全部未导入",
            422,
            details=problems,
        )
    return made


def _region(session: Session, code: str | None) -> Region:
    code = (code or get_settings().default_region).strip()
    row = session.get(Region, code.ljust(12, "0")) if code.isdigit() else None
    if row is None:
        raise DomainError("unknown_region", f"未知的行政区划代码：{code}", 422, "region_code")
    return row


def _phone(value: str) -> str:
    phone = "".join(ch for ch in (value or "") if ch.isdigit() or ch == "-").strip("-")
    if not 7 <= len(phone.replace("-", "")) <= 12:
        raise DomainError("bad_phone", "来电号码应为7至12位数字", 422, "caller_phone")
    return phone


def create_ticket(
    session: Session, actor: Actor, user: User, new: NewTicket, *, now: dt.datetime | None = None
) -> Ticket:
    """受理: the operator enters the call; the classifier proposes unit, type and category."""
    from onething.hotline.classify import propose

    now = now or utcnow()
    region = _region(session, new.region_code)
    if not accounts.can_act(user, Role.hotline_operator, region.code):
        raise forbidden(_DENIED[Party.operator])
    content = _text(new.content, "诉求内容", "content")
    if new.channel not in set(Channel):
        raise DomainError("bad_channel", "未知的受理渠道", 422, "channel")
    proposal = propose(content).as_dict()
    ticket_type = new.type or proposal["type"]
    if ticket_type not in {t.value for t in TicketType}:
        raise DomainError("bad_type", "诉求类型应为咨询、求助、投诉、举报、建议或表扬", 422, "type")
    urgency = new.urgency or proposal["urgency"]
    if urgency not in {u.value for u in Urgency}:
        raise DomainError(
            "bad_urgency", "紧急程度应为 emergency、utility 或 normal", 422, "urgency"
        )
    ticket = Ticket(
        number="tmp-" + secrets.token_hex(8),
        channel=new.channel,
        type=ticket_type,
        category=(new.category or proposal["category"] or "")[:40],
        content=content,
        caller_name=_text(new.caller_name, "来电人姓名", "caller_name", 60),
        caller_phone=_phone(new.caller_phone),
        contact=(new.contact or "").strip()[:60] or None,
        region_code=region.code,
        address=(new.address or "").strip()[:200],
        urgency=urgency,
        state=TicketState.received,
        proposal=proposal,
        assisting=[],
        received_at=now,
        dispatch_due_at=now + dt.timedelta(hours=dispatch_hours(urgency)),
        operator_id=user.id,
    )
    session.add(ticket)
    save(session)
    ticket.number = f"R{local_date(now):%Y%m%d}{ticket.id:07d}"
    save(session)
    record_event(
        session,
        "hotline:ticket:received",
        "hotline_ticket",
        ticket.id,
        actor,
        after={"state": ticket.state, "number": ticket.number},
        data={"proposal": proposal["code"], "confidence": proposal["confidence"]},
        region_code=ticket.region_code,
    )
    return ticket


# ---------------------------------------------------------------- the closed loop


def answer_directly(
    session: Session,
    actor: Actor,
    user: User,
    ticket: Ticket,
    answer: str,
    *,
    sources: Sequence[str] = (),
    now: dt.datetime | None = None,
    version: int | None = None,
) -> Ticket:
    """直办: the operator answers from the catalog or the policies; recorded as handled directly."""
    text = _text(answer, "答复内容", "answer")
    move(
        session,
        ticket,
        "answer_directly",
        actor,
        user,
        note=text,
        data={"sources": list(sources)},
        expected_version=version,
    )
    ticket.handled_directly = True
    ticket.reply = text
    ticket.replied_at = now or utcnow()
    ticket.on_time = True
    save(session)
    return ticket


def _department(session: Session, ticket: Ticket, department: int | str | None) -> Department:
    """A unit by id or by code (the code in the ticket's district, else any region)."""
    if department is None:
        code = (ticket.proposal or {}).get("code")
        if not code:
            raise DomainError("department_required", "请选择承办单位", 422, "department")
        department = str(code)
    if isinstance(department, int) or str(department).isdigit():
        row = session.get(Department, int(department))
    else:
        rows = list(session.scalars(select(Department).where(Department.code == department)))
        prefix = ticket.region_code[:6]
        row = next((d for d in rows if d.region_code.startswith(prefix)), None)
        row = row or (rows[0] if rows else None)
    if row is None:
        raise DomainError("unknown_department", f"未知的承办单位：{department}", 422, "department")
    return row


def dispatch(
    session: Session,
    actor: Actor,
    user: User,
    ticket: Ticket,
    *,
    department: int | str | None = None,
    assisting: Sequence[int | str] = (),
    note: str | None = None,
    now: dt.datetime | None = None,
    version: int | None = None,
) -> Ticket:
    """派单 to a lead unit (the proposal when none is named), with assisting units if any."""
    now = now or utcnow()
    lead = _department(session, ticket, department)
    helpers = [_department(session, ticket, d) for d in assisting]
    if any(h.id == lead.id for h in helpers):
        raise DomainError("assisting_is_lead", "协办单位不能与主办单位相同", 422, "assisting")
    proposed = (ticket.proposal or {}).get("code")
    move(
        session,
        ticket,
        "dispatch",
        actor,
        user,
        note=note,
        data={
            "department": lead.name,
            "department_id": lead.id,
            "assisting": [h.name for h in helpers],
            "as_proposed": proposed == lead.code,
        },
        expected_version=version,
    )
    ticket.department_id = lead.id
    ticket.department = lead
    ticket.assisting = sorted({h.id for h in helpers})
    ticket.dispatched_at = now
    _start_clock(session, ticket, now)
    save(session)
    _tell_unit(
        session,
        ticket,
        "hotline.dispatched",
        f"【12345派单】{ticket.category or ticket.type}",
        f"{label(ticket)}派至{lead.name}，请于 {ticket.due_on:%Y-%m-%d} 前答复。",
    )
    return ticket


def transfer(
    session: Session,
    actor: Actor,
    user: User,
    ticket: Ticket,
    line: str,
    *,
    note: str | None = None,
    version: int | None = None,
) -> Ticket:
    """110/119/120/122 matters are transferred at once (一键转办)."""
    if line not in TRANSFER_LINES:
        raise DomainError("bad_line", "只能转110、119、120或122", 422, "line")
    move(
        session,
        ticket,
        "transfer",
        actor,
        user,
        note=note,
        data={"line": line},
        expected_version=version,
    )
    ticket.transfer_to = line
    ticket.closed_at = utcnow()
    save(session)
    return ticket


def merge(
    session: Session,
    actor: Actor,
    user: User,
    ticket: Ticket,
    into: Ticket,
    *,
    version: int | None = None,
) -> Ticket:
    """并单: a duplicate joins an earlier open ticket; the caller is answered with it."""
    if into.id == ticket.id:
        raise DomainError("merge_self", "不能与自身并单", 422, "into")
    if into.state not in OPEN_STATES or into.merged_into_id is not None:
        raise DomainError("merge_closed", "只能并入仍在办理中的工单", 409, "into")
    if into.region_code[:6] != ticket.region_code[:6]:
        raise DomainError("merge_other_area", "只能并入同一辖区的工单", 422, "into")
    move(
        session,
        ticket,
        "merge",
        actor,
        user,
        data={"into": into.number, "into_id": into.id},
        expected_version=version,
    )
    ticket.merged_into_id = into.id
    ticket.closed_at = utcnow()
    save(session)
    return ticket


def claim(
    session: Session, actor: Actor, user: User, ticket: Ticket, *, version: int | None = None
) -> Ticket:
    move(session, ticket, "claim", actor, user, expected_version=version)
    save(session)
    return ticket


def return_ticket(
    session: Session,
    actor: Actor,
    user: User,
    ticket: Ticket,
    reason: str,
    *,
    version: int | None = None,
) -> Ticket:
    """退单: the unit says the matter is not within its duties; the dispatcher reviews."""
    why = _text(reason, "退单理由", "reason", 500)
    department = ticket.department.name if ticket.department else ""
    move(
        session,
        ticket,
        "return_ticket",
        actor,
        user,
        note=why,
        data={"department": department},
        expected_version=version,
    )
    ticket.pending = {"kind": "return", "reason": why, "by": department}
    ticket.return_count += 1
    save(session)
    tell_role(
        session,
        Role.hotline_dispatcher,
        ticket,
        "hotline.returned",
        f"【退单待审核】{ticket.number}",
        f"{department}申请退回{label(ticket)}：{why}",
    )
    return ticket


def review_return(
    session: Session,
    actor: Actor,
    user: User,
    ticket: Ticket,
    *,
    approve: bool,
    department: int | str | None = None,
    assisting: Sequence[int | str] = (),
    note: str | None = None,
    now: dt.datetime | None = None,
    version: int | None = None,
) -> Ticket:
    """The dispatcher accepts a return and sends the ticket to another unit (its clock starts
    again), or refuses it and the same unit keeps it (its clock runs on)."""
    now = now or utcnow()
    if approve:
        if department is None:
            raise DomainError("department_required", "同意退单时请选择改派单位", 422, "department")
        lead = _department(session, ticket, department)
        if lead.id == ticket.department_id:
            raise DomainError("same_department", "改派单位不能是原承办单位", 422, "department")
        helpers = [_department(session, ticket, d) for d in assisting]
        move(
            session,
            ticket,
            "approve_return",
            actor,
            user,
            note=note,
            data={"department": lead.name, "department_id": lead.id},
            expected_version=version,
        )
        ticket.department_id = lead.id
        ticket.department = lead
        ticket.assisting = sorted({h.id for h in helpers if h.id != lead.id})
        ticket.dispatched_at = now
        _start_clock(session, ticket, now)
    else:
        why = _text(note, "驳回理由", "note", 500)
        move(session, ticket, "reject_return", actor, user, note=why, expected_version=version)
    ticket.pending = None
    save(session)
    unit = ticket.department.name if ticket.department else ""
    how = "改派" if approve else "退单被驳回，仍"
    _tell_unit(
        session,
        ticket,
        "hotline.dispatched",
        f"【12345派单】{ticket.category or ticket.type}",
        f"{label(ticket)}{how}由{unit}办理，请于 {ticket.due_on:%Y-%m-%d} 前答复。",
    )
    return ticket


def request_extension(
    session: Session,
    actor: Actor,
    user: User,
    ticket: Ticket,
    days: int,
    reason: str,
    *,
    version: int | None = None,
) -> Ticket:
    if not 1 <= days <= 30:
        raise DomainError("bad_days", "延期天数应为1至30个工作日", 422, "days")
    why = _text(reason, "延期理由", "reason", 500)
    move(
        session,
        ticket,
        "request_extension",
        actor,
        user,
        note=why,
        data={"days": days},
        expected_version=version,
    )
    ticket.pending = {"kind": "extension", "reason": why, "days": days}
    save(session)
    tell_role(
        session,
        Role.hotline_dispatcher,
        ticket,
        "hotline.extension",
        f"【延期待审核】{ticket.number}",
        f"{ticket.department.name if ticket.department else ''}申请延期{days}个工作日：{why}",
    )
    return ticket


def decide_extension(
    session: Session,
    actor: Actor,
    user: User,
    ticket: Ticket,
    *,
    approve: bool,
    note: str | None = None,
    version: int | None = None,
) -> Ticket:
    days = int((ticket.pending or {}).get("days", 0))
    move(
        session,
        ticket,
        "approve_extension" if approve else "reject_extension",
        actor,
        user,
        note=note,
        data={"days": days},
        expected_version=version,
    )
    if approve and ticket.started_on is not None:
        ticket.handling_days += days
        ticket.due_on = load_calendar(session).add_working_days(
            ticket.started_on, ticket.handling_days
        )
        if ticket.alert == "red":
            ticket.alert = "none"
    ticket.pending = None
    save(session)
    return ticket


def reply(
    session: Session,
    actor: Actor,
    user: User,
    ticket: Ticket,
    text: str,
    *,
    now: dt.datetime | None = None,
    version: int | None = None,
) -> Ticket:
    """答复: the unit writes what it did; the operator calls the caller back next."""
    now = now or utcnow()
    answer = _text(text, "办理结果", "reply")
    move(session, ticket, "reply", actor, user, note=answer, expected_version=version)
    ticket.reply = answer
    ticket.replied_at = now
    ticket.on_time = ticket.due_on is None or local_date(now) <= ticket.due_on
    save(session)
    return ticket


def callback(
    session: Session,
    actor: Actor,
    user: User | None,
    ticket: Ticket,
    *,
    solved: bool,
    satisfaction: int,
    note: str | None = None,
    now: dt.datetime | None = None,
    version: int | None = None,
) -> Ticket:
    """回访: the caller says whether it was solved and rates it; the ticket closes either way
    (solved and unsolved are distinct states)."""
    if satisfaction not in SATISFACTION_LABELS:
        raise DomainError("bad_rating", "满意度应为1至5", 422, "satisfaction")
    move(
        session,
        ticket,
        "close_solved" if solved else "close_unsolved",
        actor,
        user,
        note=note,
        data={"satisfaction": satisfaction, "rating": SATISFACTION_LABELS[satisfaction]},
        expected_version=version,
    )
    ticket.solved = solved
    ticket.satisfaction = satisfaction
    ticket.closed_at = now or utcnow()
    save(session)
    return ticket


def reopen(
    session: Session,
    actor: Actor,
    user: User | None,
    ticket: Ticket,
    reason: str,
    *,
    now: dt.datetime | None = None,
    version: int | None = None,
) -> Ticket:
    """差评重办: back to the same unit with a fresh deadline, always under 督办."""
    now = now or utcnow()
    why = _text(reason, "重办理由", "reason", 500)
    if ticket.department_id is None:
        raise DomainError("no_department", "直办工单请重新派单", 409)
    move(
        session,
        ticket,
        "reopen",
        actor,
        user,
        note=why,
        data={"escalated": True, "round": ticket.reopen_count + 2},
        expected_version=version,
    )
    ticket.reopen_count += 1
    ticket.escalated = True
    ticket.solved = None
    ticket.satisfaction = None
    ticket.closed_at = None
    ticket.replied_at = None
    _start_clock(session, ticket, now)
    save(session)
    body = f"{label(ticket)}回访不满意，重办并督办：{why}；请于 {ticket.due_on:%Y-%m-%d} 前答复。"
    _tell_unit(session, ticket, "hotline.reopened", f"【差评重办·督办】{ticket.number}", body)
    tell_role(
        session, Role.supervisor, ticket, "hotline.reopened", f"【差评重办】{ticket.number}", body
    )
    return ticket


def escalate(session: Session, actor: Actor, user: User | None, ticket: Ticket, note: str) -> bool:
    """督办: put an open ticket under the supervisors' watch (not a state change, audited).
    A user must be a supervisor; the deadline job acts as the system. False if already so."""
    if user is not None and not is_supervisor(user, ticket):
        raise forbidden(_DENIED[Party.supervisor])
    if ticket.state not in OPEN_STATES:
        raise DomainError("not_open", "只能督办办理中的工单", 409)
    if ticket.escalated:
        return False
    session.execute(update(Ticket).where(Ticket.id == ticket.id).values(escalated=True))
    record_event(
        session,
        "hotline:ticket:escalate",
        "hotline_ticket",
        ticket.id,
        actor,
        before={"escalated": False},
        after={"escalated": True},
        data={"note": note},
        region_code=ticket.region_code,
    )
    _tell_unit(
        session, ticket, "hotline.escalated", f"【督办】{ticket.number}", f"{label(ticket)}：{note}"
    )
    return True
