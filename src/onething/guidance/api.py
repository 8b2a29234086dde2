"""JSON API for search (智能搜索), guidance (智能导办) and Q&A (智能问答)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from onething.guidance import guide, qa
from onething.guidance.schemas import (
    AnswerOut,
    CitationOut,
    GroupOut,
    GuidanceIn,
    GuidanceOut,
    HitOut,
    SearchOut,
)
from onething.guidance.search import KIND_LABELS, Hit, group, read_query, search
from onething.guidance.service import current_index
from onething.web.deps import Db

router = APIRouter(tags=["guidance"])


def hit_out(h: Hit) -> HitOut:
    return HitOut(
        kind=h.kind,
        code=h.code,
        name=h.name,
        summary=h.summary,
        url=h.url,
        department=h.department,
        score=h.score,
        highlights=list(h.words),
    )


@router.get("/search", response_model=SearchOut)
def search_all(
    db: Db,
    q: Annotated[
        str, Query(min_length=1, max_length=200, description="怎么说都行：生娃、开奶茶店、xsecs")
    ],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchOut:
    """One search over bundles, items, guide sections, FAQs and policies, best first."""
    index = current_index(db)
    hits = search(index, q, limit)
    return SearchOut(
        query=q,
        understood=read_query(index, q).corrected,
        results=[hit_out(h) for h in hits],
        groups=[
            GroupOut(kind=k, label=KIND_LABELS[k], hits=[hit_out(h) for h in rows])
            for k, rows in group(hits).items()
        ],
    )


@router.post("/guidance", response_model=GuidanceOut)
def guidance(body: GuidanceIn, db: Db) -> GuidanceOut:
    """From a description in one's own words to the bundle and the situation answers it
    already gives; the applicant confirms them on the application page (apply_url)."""
    proposal = guide.propose_bundle(db, body.text)
    if proposal is None:
        return GuidanceOut(found=False)
    return GuidanceOut(
        found=True,
        bundle=proposal.bundle,
        name=proposal.name,
        answers=proposal.answers,
        because=proposal.because,
        open_questions=proposal.open_questions,
        apply_url=proposal.apply_url,
    )


@router.get("/qa", response_model=AnswerOut)
def ask(db: Db, q: Annotated[str, Query(min_length=2, max_length=300)]) -> AnswerOut:
    """A question about conditions, materials, fees, time or places, answered from the guides
    and the FAQ with the section quoted; or the hotline and assisted handling when it cannot."""
    found = qa.answer(db, q)
    return AnswerOut(
        question=found.question,
        answered=found.answered,
        text=found.text,
        section=found.section,
        source=found.source,
        citations=[
            CitationOut(title=c.title, url=c.url, section=c.section) for c in found.citations
        ],
        suggestions=[hit_out(h) for h in found.suggestions],
    )
