"""咨询直办 and what the dispatchers teach the classifier: the knowledge base's answers to a
caller's question, and the tickets routed elsewhere than proposed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.hotline.models import Ticket
from onething.hotline.states import TicketState


@dataclass(frozen=True)
class Answer:
    kind: str
    """answer (a passage quoted from a guide or FAQ), bundle, item, faq or policy"""
    name: str
    summary: str
    link: str
    score: float


def direct_answers(session: Session, text: str, *, limit: int = 5) -> list[Answer]:
    """咨询直办 from the knowledge base: the platform's answer to the question (智能问答,
    quoted from a guide section or a FAQ), then what search finds for it (bundles, items,
    FAQs, policies): the same search and answers the portal gives the caller."""
    from onething.guidance import qa
    from onething.guidance.service import search_catalog

    out: list[Answer] = []
    found = qa.answer(session, text)
    if found.answered and found.citations:
        cite = found.citations[0]
        out.append(Answer("answer", cite.title, found.text, cite.url, 1.0))
    for hit in search_catalog(session, text, limit * 2):
        if hit.kind != "guide" and len(out) < limit:
            out.append(Answer(hit.kind, hit.name, hit.summary, hit.url, hit.score))
    return out


def routing_corrections(session: Session) -> list[Any]:
    """训练数据 from the dispatchers: each answered ticket whose unit is not the one the
    classifier proposed, labelled with the unit that answered it (`hotline train` learns
    from them)."""
    from onething.hotline.classify import Example

    done = [TicketState.replied, TicketState.closed_solved, TicketState.closed_unsolved]
    stmt = select(Ticket).where(
        Ticket.department_id.is_not(None), Ticket.state.in_([s.value for s in done])
    )
    out = []
    for t in session.scalars(stmt):
        proposed = (t.proposal or {}).get("code")
        if t.department is not None and proposed and proposed != t.department.code:
            out.append(Example(t.content, t.type, t.department.code, t.category or "", t.urgency))
    return out
