"""The search page: what the platform understood, the bundle a description is about with its
answers to confirm (智能导办), the answer to a question with its source (智能问答), and the
results grouped by kind with the matched words marked."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from onething.catalog import service as catalog
from onething.guidance import guide
from onething.guidance.search import KIND_LABELS, group, highlight, read_query, search
from onething.guidance.service import current_index
from onething.web.deps import Db, MaybeUser
from onething.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, db: Db, user: MaybeUser, q: str = "") -> Response:
    q = q.strip()[:200]
    ctx: dict[str, object] = {"q": q, "groups": {}, "labels": KIND_LABELS, "highlight": highlight}
    if q:
        index = current_index(db)
        hits = search(index, q, 30)
        ctx["groups"] = group(hits)
        ctx["understood"] = read_query(index, q).corrected
        ctx["count"] = len(hits)
        seen = guide.understand(db, q)
        ctx["answer"] = seen.answer
        if seen.proposal is not None:
            doc = catalog.bundle_schema(catalog.load_bundle(db, seen.proposal.bundle))
            labels = {
                s.key: (s.question, {o.value: o.label for o in s.options}) for s in doc.situations
            }
            ctx.update(proposal=seen.proposal, situation_labels=labels)
    return render(request, "search.html", ctx, user=user)
