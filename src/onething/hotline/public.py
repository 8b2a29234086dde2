"""What the caller sees and does without an account: the lookup by ticket number and phone,
and the callback answered there."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.core.audit import Actor
from onething.core.errors import DomainError, not_found
from onething.core.ids import mask_phone
from onething.hotline.models import Ticket
from onething.hotline.queries import timeline
from onething.hotline.service import callback, reopen
from onething.hotline.states import TicketState


def find_by_number(session: Session, number: str) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.number == number.strip().upper()))


def public_lookup(session: Session, number: str, phone: str) -> Ticket:
    """进度查询 by ticket number and the caller's phone: both must match."""
    ticket = find_by_number(session, number)
    digits = "".join(ch for ch in phone if ch.isdigit())
    if (
        ticket is None
        or not digits
        or "".join(ch for ch in ticket.caller_phone if ch.isdigit()) != digits
    ):
        raise not_found("工单", number.strip() or "（空）")
    return ticket


def caller_callback(
    session: Session,
    number: str,
    phone: str,
    *,
    solved: bool,
    satisfaction: int,
    note: str | None = None,
) -> Ticket:
    """回访 by the caller (the link in the reply message, or the lookup page): the ticket
    number and phone identify them. "Not solved" sends it back to the same unit under 督办
    (差评重办), as an operator's callback would."""
    ticket = public_lookup(session, number, phone)
    if ticket.state != TicketState.replied:
        raise DomainError("not_awaiting_callback", "这件诉求现在不需要回访评价", 409)
    actor = Actor(None, "来电人（回访链接）")
    callback(session, actor, None, ticket, solved=solved, satisfaction=satisfaction, note=note)
    if not solved and ticket.department_id is not None:
        reopen(session, actor, None, ticket, "来电人回访：问题未解决")
    return ticket


def public_view(session: Session, ticket: Ticket) -> dict[str, Any]:
    """What the caller may see: no names of staff, the phone masked."""
    from onething.hotline.states import STATE_LABELS

    return {
        "number": ticket.number,
        "type": ticket.type,
        "category": ticket.category,
        "state": ticket.state,
        "state_label": STATE_LABELS[ticket.state],
        "caller_phone": mask_phone(ticket.caller_phone),
        "received_at": ticket.received_at,
        "department": ticket.department.name if ticket.department else None,
        "due_on": ticket.due_on,
        "reply": ticket.reply
        if ticket.state in ("replied", "closed_solved", "closed_unsolved")
        else None,
        "steps": [
            {"at": e.at, "what": e.what}
            for e in timeline(session, ticket)
            if e.what not in ("时限预警",)
        ],
    }
