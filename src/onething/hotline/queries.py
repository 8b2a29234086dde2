"""Reading tickets: one ticket for someone allowed to see it, the work lists, the timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.accounts import service as accounts
from onething.accounts.models import DEPARTMENT_ROLES, Role, User
from onething.core.audit import AuditEvent
from onething.core.errors import forbidden, not_found
from onething.hotline.models import Ticket
from onething.hotline.service import can_read, in_regions
from onething.hotline.states import ACTION_LABELS


def load_ticket(session: Session, ticket_id: int, user: User) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not can_read(user, ticket):
        raise not_found("工单", str(ticket_id))
    return ticket


def queue(
    session: Session,
    user: User,
    *,
    states: Iterable[str] | None = None,
    limit: int = 200,
) -> list[Ticket]:
    """The tickets this user works on: by region for hotline staff and supervisors, by unit
    for departments (lead or assisting)."""
    hotline_roles = (Role.hotline_operator, Role.hotline_dispatcher, Role.supervisor)
    regions = [sc.region_code for sc in accounts.scopes(user, *hotline_roles, Role.system_admin)]
    stmt = select(Ticket).order_by(Ticket.received_at.desc(), Ticket.id.desc())
    if states:
        stmt = stmt.where(Ticket.state.in_(list(states)))
    if regions:
        stmt = stmt.where(in_regions(Ticket.region_code, regions))
        return list(session.scalars(stmt.limit(limit)))
    units = [sc for sc in accounts.scopes(user, *DEPARTMENT_ROLES) if sc.department_id]
    if not units:
        raise forbidden("只有12345热线、承办单位和监管人员可以查看工单")
    dept_ids = {sc.department_id for sc in units}
    rows = session.scalars(
        stmt.where(
            in_regions(Ticket.region_code, [sc.region_code for sc in units]),
            Ticket.department_id.is_not(None),
        )
    )
    out = [
        t for t in rows if t.department_id in dept_ids or any(d in dept_ids for d in t.assisting)
    ]
    return out[:limit]


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    who: str
    what: str
    note: str | None


_EXTRA = {
    "received": "受理登记",
    "escalate": "督办",
    "alert": "时限预警",
    "dispatch_overdue": "派单超时",
}


def timeline(session: Session, ticket: Ticket) -> list[TimelineEntry]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.subject_type == "hotline_ticket", AuditEvent.subject_id == str(ticket.id))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    out = []
    for ev in session.scalars(stmt):
        action = ev.tag.rsplit(":", 1)[-1]
        what = ACTION_LABELS.get(action, _EXTRA.get(action, action))
        data = ev.data or {}
        note = data.get("note")
        if action in ("dispatch", "approve_return") and data.get("department"):
            note = f"承办单位：{data['department']}" + (f"；{note}" if note else "")
        if "rating" in data:
            note = f"满意度：{data['rating']}" + (f"；{note}" if note else "")
        out.append(TimelineEntry(ev.at, ev.actor_label, what, note))
    return out
