"""Chinese pages for 12345: the operators' console (keyboard-fast entry), the work lists of
dispatchers, units and supervisors, one page per ticket with the actions its state allows,
the figures with hotspot alerts, and the public lookup by ticket number and phone.

Handlers stay thin: load (which checks read permission), call one service function (which
checks the party and every rule), then redirect; a refusal the person can put right comes
back on the same page next to its form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from onething.accounts.models import DEPARTMENT_ROLES, Role, User
from onething.catalog.models import Department, Region
from onething.core.errors import DomainError, not_found
from onething.hotline import analytics, merging, public, queries
from onething.hotline import answers as knowledge
from onething.hotline import service as hs
from onething.hotline.models import Ticket
from onething.hotline.states import (
    ACTION_LABELS,
    ALERT_LABELS,
    CHANNEL_LABELS,
    OPEN_STATES,
    SATISFACTION_LABELS,
    STATE_LABELS,
    TICKET_MACHINE,
    TRANSFER_LINES,
    URGENCY_LABELS,
    Party,
    TicketType,
)
from onething.web.deps import (
    CsrfChecked,
    Db,
    HotlineOperator,
    HotlineOversight,
    HotlineStaff,
    PostedForm,
    attempt,
    form_text,
    request_actor,
    see_other,
)
from onething.web.templating import render

router = APIRouter(include_in_schema=False)

LABELS: dict[str, Any] = {
    "STATES": STATE_LABELS,
    "ACTIONS": ACTION_LABELS,
    "ALERTS": ALERT_LABELS,
    "URGENCIES": URGENCY_LABELS,
    "CHANNELS": CHANNEL_LABELS,
    "LINES": TRANSFER_LINES,
    "RATINGS": SATISFACTION_LABELS,
    "TYPES": [t.value for t in TicketType],
}
TABS: dict[str, tuple[str, list[str]]] = {
    "received": ("待派单", ["received"]),
    "review": ("退单/延期待审核", ["returned", "extension_requested"]),
    "working": ("办理中", ["dispatched", "claimed", "extension_requested", "returned"]),
    "replied": ("待回访", ["replied"]),
    "closed": ("已办结", ["closed_solved", "closed_unsolved", "merged", "transferred"]),
}


def _page(
    request: Request, template: str, ctx: dict[str, Any], user: User | None, status: int = 200
) -> Response:
    return render(request, template, {**LABELS, **ctx}, status_code=status, user=user)


def _departments(db: Session, ticket: Ticket) -> list[Department]:
    prefix = ticket.region_code[:6]
    rows = db.scalars(select(Department).order_by(Department.id))
    return [d for d in rows if d.region_code.startswith(prefix)]


def _parties(user: User, ticket: Ticket) -> set[str]:
    out = set()
    if hs.is_operator(user, ticket):
        out.add(Party.operator.value)
    if hs.is_dispatcher(user, ticket):
        out.add(Party.dispatcher.value)
    if hs.is_unit(user, ticket):
        out.add(Party.department.value)
    if hs.is_supervisor(user, ticket):
        out.add(Party.supervisor.value)
    return out


def _ticket_page(
    request: Request,
    db: Session,
    user: User,
    ticket: Ticket,
    *,
    error: DomainError | None = None,
    posted: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    parties = _parties(user, ticket)
    actions = [
        a
        for a in TICKET_MACHINE.allowed(ticket.state)
        if TICKET_MACHINE.table[(ticket.state, a)].party in parties
    ]
    ctx: dict[str, Any] = {
        "ticket": ticket,
        "actions": actions,
        "parties": parties,
        "timeline": queries.timeline(db, ticket),
        "error": error,
        "posted": posted or {},
        "departments": _departments(db, ticket) if parties & {"dispatcher"} else [],
        "suggestions": merging.merge_suggestions(db, ticket) if "merge" in actions else [],
        "answers": knowledge.direct_answers(db, ticket.content)
        if "answer_directly" in actions
        else [],
        "assisting": [d for d in _departments(db, ticket) if d.id in ticket.assisting],
    }
    return _page(request, "hotline/ticket.html", ctx, user, status)


# ---------------------------------------------------------------- operators' console


@router.get("/hotline/console")
def console(request: Request, db: Db, user: HotlineOperator) -> Response:
    recent = queries.queue(db, user, limit=15)
    return _page(request, "hotline/console.html", {"recent": recent, "posted": {}}, user)


@router.post("/hotline/console", dependencies=[CsrfChecked])
def enter_ticket(request: Request, db: Db, user: HotlineOperator, form: PostedForm) -> Response:
    posted = {k: v for k, v in form.items() if isinstance(v, str)}
    new = hs.NewTicket(
        content=form_text(form, "content"),
        caller_name=form_text(form, "caller_name"),
        caller_phone=form_text(form, "caller_phone"),
        channel=form_text(form, "channel") or "phone",
        region_code=form_text(form, "region_code") or None,
        address=form_text(form, "address"),
        contact=form_text(form, "contact") or None,
        type=form_text(form, "type") or None,
        category=form_text(form, "category") or None,
        urgency=form_text(form, "urgency") or None,
    )
    created: list[Ticket] = []
    error = attempt(
        db, lambda: created.append(hs.create_ticket(db, request_actor(request, user), user, new))
    )
    if error is not None:
        recent = queries.queue(db, user, limit=15)
        ctx = {"recent": recent, "posted": posted, "error": error}
        return _page(request, "hotline/console.html", ctx, user, error.status)
    return see_other(f"/hotline/{created[0].id}")


# ---------------------------------------------------------------- work lists


@router.get("/hotline")
def work_list(request: Request, db: Db, user: HotlineStaff, tab: str = "") -> Response:
    hotline_side = any(
        r.role in (Role.hotline_dispatcher, Role.hotline_operator, Role.supervisor)
        for r in user.roles
    )
    if not tab:
        tab = "received" if hotline_side else "working"
    states = TABS.get(tab, TABS["working"])[1]
    tickets = queries.queue(db, user, states=states)
    escalated = [t for t in queries.queue(db, user) if t.escalated and t.state in OPEN_STATES]
    ctx = {
        "tickets": tickets,
        "tab": tab,
        "tabs": {k: v[0] for k, v in TABS.items()},
        "escalated": escalated if hotline_side else [],
        "is_unit": any(r.role in DEPARTMENT_ROLES for r in user.roles),
    }
    return _page(request, "hotline/list.html", ctx, user)


@router.get("/hotline/analytics")
def analytics_page(
    request: Request,
    db: Db,
    user: HotlineOversight,
    since: str = "",
    until: str = "",
) -> Response:
    try:
        start = dt.date.fromisoformat(since) if since else None
        end = dt.date.fromisoformat(until) if until else None
    except ValueError as exc:
        raise DomainError("bad_date", "日期格式应为 YYYY-MM-DD", 422) from exc
    figures = analytics.figures(db, user, since=start, until=end)
    hot = analytics.recent_hotspots(db, [r.region_code for r in user.roles])
    names = {r.code: r.name for r in db.scalars(select(Region))}
    ctx = {"f": figures, "hotspots": hot, "since": since, "until": until, "names": names}
    return _page(request, "hotline/analytics.html", ctx, user)


# ---------------------------------------------------------------- public lookup


@router.get("/hotline/lookup")
def lookup_form(request: Request, db: Db) -> Response:
    return _page(request, "hotline/lookup.html", {"view": None, "posted": {}}, None)


@router.post("/hotline/lookup", dependencies=[CsrfChecked])
def lookup(request: Request, db: Db, form: PostedForm) -> Response:
    number, phone = form_text(form, "number"), form_text(form, "phone")
    try:
        view = public.public_view(db, public.public_lookup(db, number, phone))
    except DomainError:
        ctx = {"view": None, "posted": {"number": number}, "missing": True}
        return _page(request, "hotline/lookup.html", ctx, None, 404)
    return _page(request, "hotline/lookup.html", {"view": view, "posted": {}, "phone": phone}, None)


@router.post("/hotline/lookup/callback", dependencies=[CsrfChecked])
def lookup_callback(request: Request, db: Db, form: PostedForm) -> Response:
    """The caller answers the callback on the lookup page: solved or not, and how satisfied."""
    number, phone = form_text(form, "number"), form_text(form, "phone")
    rating = form_text(form, "satisfaction")
    act = partial(
        public.caller_callback,
        db,
        number,
        phone,
        solved=form_text(form, "solved") == "yes",
        satisfaction=int(rating) if rating.isdigit() else 0,
    )
    error = attempt(db, act)
    view = public.public_view(db, public.public_lookup(db, number, phone))
    ctx = {"view": view, "posted": {}, "phone": phone, "error": error, "rated": error is None}
    return _page(request, "hotline/lookup.html", ctx, None, error.status if error else 200)


# ---------------------------------------------------------------- one ticket


@router.get("/hotline/unit/{ticket_id}")
def unit_link(ticket_id: int) -> Response:
    """Where the units' notifications point."""
    return see_other(f"/hotline/{ticket_id}")


@router.get("/hotline/{ticket_id}")
def ticket_page(ticket_id: int, request: Request, db: Db, user: HotlineStaff) -> Response:
    return _ticket_page(request, db, user, queries.load_ticket(db, ticket_id, user))


def _version(form: FormData) -> int | None:
    raw = form_text(form, "version")
    return int(raw) if raw.isdigit() else None


def _int(form: FormData, name: str) -> int:
    raw = form_text(form, name)
    if not raw.lstrip("-").isdigit():
        raise DomainError("bad_number", "请填写数字", 422, name)
    return int(raw)


@router.post("/hotline/{ticket_id}/{action}", dependencies=[CsrfChecked])
def act(
    ticket_id: int, action: str, request: Request, db: Db, user: HotlineStaff, form: PostedForm
) -> Response:
    """One form per action; the service checks the table, the party and every rule."""
    t = queries.load_ticket(db, ticket_id, user)
    actor = request_actor(request, user)
    v = _version(form)
    assisting = [a for a in form.getlist("assisting") if isinstance(a, str) and a]
    calls: dict[str, Callable[[], object]] = {
        "answer_directly": lambda: hs.answer_directly(
            db,
            actor,
            user,
            t,
            form_text(form, "answer"),
            sources=[s for s in form.getlist("source") if isinstance(s, str)],
            version=v,
        ),
        "dispatch": lambda: hs.dispatch(
            db,
            actor,
            user,
            t,
            department=form_text(form, "department") or None,
            assisting=assisting,
            note=form_text(form, "note") or None,
            version=v,
        ),
        "transfer": lambda: hs.transfer(db, actor, user, t, form_text(form, "line"), version=v),
        "merge": lambda: _merge(db, actor, user, t, form_text(form, "into"), v),
        "claim": lambda: hs.claim(db, actor, user, t, version=v),
        "return_ticket": lambda: hs.return_ticket(
            db, actor, user, t, form_text(form, "reason"), version=v
        ),
        "approve_return": lambda: hs.review_return(
            db,
            actor,
            user,
            t,
            approve=True,
            department=form_text(form, "department") or None,
            assisting=assisting,
            note=form_text(form, "note") or None,
            version=v,
        ),
        "reject_return": lambda: hs.review_return(
            db, actor, user, t, approve=False, note=form_text(form, "note"), version=v
        ),
        "request_extension": lambda: hs.request_extension(
            db, actor, user, t, _int(form, "days"), form_text(form, "reason"), version=v
        ),
        "approve_extension": lambda: hs.decide_extension(
            db, actor, user, t, approve=True, note=form_text(form, "note") or None, version=v
        ),
        "reject_extension": lambda: hs.decide_extension(
            db, actor, user, t, approve=False, note=form_text(form, "note") or None, version=v
        ),
        "reply": lambda: hs.reply(db, actor, user, t, form_text(form, "reply"), version=v),
        "callback": lambda: hs.callback(
            db,
            actor,
            user,
            t,
            solved=form_text(form, "solved") == "yes",
            satisfaction=_int(form, "satisfaction"),
            note=form_text(form, "note") or None,
            version=v,
        ),
        "reopen": lambda: hs.reopen(db, actor, user, t, form_text(form, "reason"), version=v),
        "escalate": lambda: hs.escalate(db, actor, user, t, form_text(form, "note") or "督办"),
    }
    call = calls.get(action)
    if call is None:
        raise not_found("操作", action)
    error = attempt(db, call)
    if error is not None:
        db.expire_all()
        posted = {k: val for k, val in form.items() if isinstance(val, str)}
        return _ticket_page(
            request,
            db,
            user,
            queries.load_ticket(db, ticket_id, user),
            error=error,
            posted=posted,
            status=error.status,
        )
    return see_other(f"/hotline/{t.id}")


def _merge(
    db: Session, actor: Any, user: User, ticket: Ticket, number: str, version: int | None
) -> None:
    into = public.find_by_number(db, number)
    if into is None or not hs.can_read(user, into):
        raise DomainError("merge_unknown", f"未找到要并入的工单：{number}", 422, "into")
    hs.merge(db, actor, user, ticket, into, version=version)
