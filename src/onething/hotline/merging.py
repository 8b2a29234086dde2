"""并单建议: which open tickets are about the same matter (same area, similar text, recent)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.config import get_settings
from onething.hotline.models import Ticket
from onething.hotline.states import OPEN_STATES


def bigrams(text: str) -> Counter[str]:
    chars = [ch for ch in text if ch.isalnum()]
    return Counter(a + b for a, b in itertools.pairwise(chars))


def similarity(a: str, b: str) -> float:
    """Cosine of the character-bigram counts: 1 for the same words, 0 for none shared."""
    ca, cb = bigrams(a), bigrams(b)
    if not ca or not cb:
        return 0.0
    dot = sum(v * cb[k] for k, v in ca.items() if k in cb)
    return dot / math.sqrt(sum(v * v for v in ca.values()) * sum(v * v for v in cb.values()))


@dataclass(frozen=True)
class MergeSuggestion:
    ticket: Ticket
    score: float


def merge_suggestions(session: Session, ticket: Ticket, *, limit: int = 5) -> list[MergeSuggestion]:
    """并单建议: earlier open tickets of the same area (same township code, or the same
    address), received within the last days, whose text is similar."""
    s = get_settings()
    since = ticket.received_at - dt.timedelta(days=s.hotline_merge_days)
    stmt = select(Ticket).where(
        Ticket.id != ticket.id,
        Ticket.state.in_([st.value for st in OPEN_STATES]),
        Ticket.merged_into_id.is_(None),
        Ticket.received_at >= since,
        Ticket.received_at <= ticket.received_at,
        Ticket.region_code.like(ticket.region_code[:6] + "%"),
    )
    out = []
    for other in session.scalars(stmt):
        same_area = other.region_code == ticket.region_code and ticket.region_code[6:9] != "000"
        same_address = bool(ticket.address) and other.address == ticket.address
        if not (same_area or same_address or other.region_code == ticket.region_code):
            continue
        score = similarity(ticket.content, other.content)
        if same_address:
            score = min(1.0, score + 0.2)
        if other.category and other.category == ticket.category:
            score = min(1.0, score + 0.1)
        if score >= s.hotline_merge_similarity:
            out.append(MergeSuggestion(other, round(score, 3)))
    out.sort(key=lambda m: (-m.score, m.ticket.id))
    return out[:limit]
