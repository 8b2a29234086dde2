"""JSON API for 12345 tickets: operators, dispatchers, units, supervisors, and the public
lookup. Every endpoint loads the ticket through the service (which checks who may see it),
makes one service call and returns the shapes in hotline/schemas.py."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from onething.core.errors import not_found
from onething.hotline import analytics, classify, merging, public, queries
from onething.hotline import answers as knowledge
from onething.hotline import service as hs
from onething.hotline.models import Ticket
from onething.hotline.schemas import (
    AnalyticsOut,
    AnswerIn,
    AnswerOut,
    CallbackIn,
    DecisionIn,
    DispatchIn,
    ExtensionIn,
    HotspotOut,
    LookupIn,
    MergeIn,
    MergeSuggestionOut,
    NoteIn,
    ProposalOut,
    PublicTicketOut,
    ReasonIn,
    ReplyIn,
    ReturnReviewIn,
    TextIn,
    TicketDetail,
    TicketIn,
    TicketOut,
    TimelineOut,
    TransferIn,
    VersionIn,
)
from onething.web.deps import (
    Db,
    HotlineOperator,
    HotlineOversight,
    HotlineStaff,
    request_actor,
)

router = APIRouter(prefix="/hotline", tags=["hotline"])


def _ticket(db: Db, ticket_id: int, user: HotlineStaff) -> Ticket:
    return queries.load_ticket(db, ticket_id, user)


@router.post("/classify", response_model=ProposalOut)
def classify_text(body: TextIn, user: HotlineStaff) -> ProposalOut:
    """智能分拨: the proposed unit (with the top three), type and category of a text."""
    return ProposalOut(**classify.propose(body.text).as_dict())


@router.get("/answers", response_model=list[AnswerOut])
def answers(
    db: Db, user: HotlineStaff, q: Annotated[str, Query(max_length=500)]
) -> list[AnswerOut]:
    """Bundles, items and policies that answer a consultation (for 直办)."""
    return [AnswerOut.of(a) for a in knowledge.direct_answers(db, q)]


@router.post("/tickets", response_model=TicketDetail, status_code=status.HTTP_201_CREATED)
def create_ticket(body: TicketIn, request: Request, db: Db, user: HotlineOperator) -> TicketDetail:
    """受理: enter a call; type, category and urgency default to the classifier's proposal."""
    new = hs.NewTicket(**body.model_dump())
    return TicketDetail.build(hs.create_ticket(db, request_actor(request, user), user, new))


@router.get("/tickets", response_model=list[TicketOut])
def list_tickets(
    db: Db,
    user: HotlineStaff,
    state: Annotated[list[str] | None, Query()] = None,
) -> list[TicketOut]:
    """The caller's work: by region for hotline staff, by unit for departments; phones masked."""
    return [TicketOut.of(t) for t in queries.queue(db, user, states=state)]


@router.get("/tickets/{ticket_id}", response_model=TicketDetail)
def get_ticket(ticket_id: int, db: Db, user: HotlineStaff) -> TicketDetail:
    return TicketDetail.build(_ticket(db, ticket_id, user))


@router.get("/tickets/{ticket_id}/timeline", response_model=list[TimelineOut])
def ticket_timeline(ticket_id: int, db: Db, user: HotlineStaff) -> list[TimelineOut]:
    return [TimelineOut.of(e) for e in queries.timeline(db, _ticket(db, ticket_id, user))]


@router.get("/tickets/{ticket_id}/merge-suggestions", response_model=list[MergeSuggestionOut])
def merge_suggestions(ticket_id: int, db: Db, user: HotlineStaff) -> list[MergeSuggestionOut]:
    """并单建议: earlier open tickets of the same area with similar text."""
    return [
        MergeSuggestionOut.of(m)
        for m in merging.merge_suggestions(db, _ticket(db, ticket_id, user))
    ]


@router.post("/tickets/{ticket_id}/answer", response_model=TicketDetail)
def answer_directly(
    ticket_id: int, body: AnswerIn, request: Request, db: Db, user: HotlineStaff
) -> TicketDetail:
    t = _ticket(db, ticket_id, user)
    hs.answer_directly(
        db,
        request_actor(request, user),
        user,
        t,
        body.answer,
        sources=body.sources,
        version=body.version,
    )
    return TicketDetail.build(t)


@router.post("/tickets/{ticket_id}/dispatch", response_model=TicketDetail)
def dispatch(
    ticket_id: int, body: DispatchIn, request: Request, db: Db, user: HotlineStaff
) -> TicketDetail:
    t = _ticket(db, ticket_id, user)
    hs.dispatch(
        db,
        request_actor(request, user),
        user,
        t,
        department=body.department,
        assisting=body.assisting,
        note=body.note,
        version=body.version,
    )
    return TicketDetail.build(t)


@router.post("/tickets/{ticket_id}/transfer", response_model=TicketDetail)
def transfer(
    ticket_id: int, body: TransferIn, request: Request, db: Db, user: HotlineStaff
) -> TicketDetail:
    t = _ticket(db, ticket_id, user)
    hs.transfer(
        db, request_actor(request, user), user, t, body.line, note=body.note, version=body.version
    )
    return TicketDetail.build(t)


@router.post("/tickets/{ticket_id}/merge", response_model=TicketDetail)
def merge(
    ticket_id: int, body: MergeIn, request: Request, db: Db, user: HotlineStaff
) -> TicketDetail:
    t = _ticket(db, ticket_id, user)
    into = public.find_by_number(db, body.into)
    if into is None or not hs.can_read(user, into):
        raise not_found("工单", body.into)
    hs.merge(db, request_actor(request, user), user, t, into, version=body.version)
    return TicketDetail.build(t)


@router.post("/tickets/{ticket_id}/claim", response_model=TicketDetail)
def claim(
    ticket_id: int, body: VersionIn, request: Request, db: Db, user: HotlineStaff
) -> TicketDetail:
    t = _ticket(db, ticket_id, user)
    hs.claim(db, request_actor(request, user), user, t, version=body.version)
    return TicketDetail.build(t)


@router.post("/tickets/{ticket_id}/return", response_model=TicketDetail)
def return_ticket(
    ticket_id: int, body: ReasonIn, request: Request, db: Db, user: HotlineStaff
) -> TicketDetail:
    """退单: the unit says it is not theirs; the dispatcher reviews."""
    t = _ticket(db, ticket_id, user)
    hs.return_ticket(db, request_actor(request, user), user, t, body.reason, version=body.version)
    return TicketDetail.build(t)


@router.post("/tickets/{ticket_id}/return-review", response_model=TicketDetail)
def review_return(
    ticket_id: int, body: ReturnReviewIn, request: Request, db: Db, user: HotlineStaff
) -> TicketDetail:
    t = _ticket(db, ticket_id, user)
    hs.review_return(
        db,
        request_actor(request, user),
        user,
        t,
        approve=body.approve,
        department=body.department,
        assisting=body.assisting,
        note=body.note,
        version=body.version,
    )
    return TicketDetail.build(t)


@router.post("/tickets/{ticket_id}/extension", response_model=TicketDetail)
def request_extension(
    ticket_id: int, body: ExtensionIn, request: Request, db: Db, user: HotlineStaff
) -> TicketDetail:
    t = _ticket(db, ticket_id, user)
    hs.request_extension(
        db, request_actor(request, user), user, t, body.days, body.reason, version=body.version
    )
    return TicketDetail.build(t)


@router.post("/tickets/{ticket_id}/extension-review", response_model=TicketDetail)
def decide_extension(
    ticket_id: int, body: DecisionIn, request: Request, db: Db, user: HotlineStaff
) -> TicketDetail:
    t = _ticket(db, ticket_id, user)
    hs.decide_extension(
        db,
        request_actor(request, user),
        user,
        t,
        approve=body.approve,
        note=body.note,
        version=body.version,
    )
    return TicketDetail.build(t)


@router.post("/tickets/{ticket_id}/reply", response_model=TicketDetail)
def reply(
    ticket_id: int, body: ReplyIn, request: Request, db: Db, user: HotlineStaff
) -> TicketDetail:
    t = _ticket(db, ticket_id, user)
    hs.reply(db, request_actor(request, user), user, t, body.text, version=body.version)
    return TicketDetail.build(t)


@router.post("/tickets/{ticket_id}/callback", response_model=TicketDetail)
def callback(
    ticket_id: int, body: CallbackIn, request: Request, db: Db, user: HotlineStaff
) -> TicketDetail:
    """回访: solved or not, and the caller's rating (5 非常满意 … 1 非常不满意)."""
    t = _ticket(db, ticket_id, user)
    hs.callback(
        db,
        request_actor(request, user),
        user,
        t,
        solved=body.solved,
        satisfaction=body.satisfaction,
        note=body.note,
        version=body.version,
    )
    return TicketDetail.build(t)


@router.post("/tickets/{ticket_id}/reopen", response_model=TicketDetail)
def reopen(
    ticket_id: int, body: ReasonIn, request: Request, db: Db, user: HotlineStaff
) -> TicketDetail:
    """差评重办: back to the unit with a new deadline, under 督办."""
    t = _ticket(db, ticket_id, user)
    hs.reopen(db, request_actor(request, user), user, t, body.reason, version=body.version)
    return TicketDetail.build(t)


@router.post("/tickets/{ticket_id}/escalate", response_model=TicketDetail)
def escalate(
    ticket_id: int, body: NoteIn, request: Request, db: Db, user: HotlineStaff
) -> TicketDetail:
    """督办 by a supervisor."""
    t = _ticket(db, ticket_id, user)
    hs.escalate(db, request_actor(request, user), user, t, body.note)
    db.refresh(t)
    return TicketDetail.build(t)


@router.get("/analytics", response_model=AnalyticsOut)
def figures(
    db: Db,
    user: HotlineOversight,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> AnalyticsOut:
    """Counts by type, category, unit, area and day; response, solution, satisfaction and
    on-time rates; the share handled directly; recent hotspot alerts."""
    f = analytics.figures(db, user, since=since, until=until)
    regions = [r.region_code for r in user.roles]
    return AnalyticsOut(
        **f.as_dict(),
        hotspots=[HotspotOut.of(h) for h in analytics.recent_hotspots(db, regions)],
    )


@router.post("/lookup", response_model=PublicTicketOut)
def lookup(body: LookupIn, db: Db) -> PublicTicketOut:
    """进度查询 for the caller: ticket number and the phone the call came from."""
    t = public.public_lookup(db, body.number, body.phone)
    return PublicTicketOut(**public.public_view(db, t))
