"""API shapes of search, guidance and Q&A."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class HitOut(BaseModel):
    kind: str
    code: str
    name: str
    summary: str
    url: str
    department: str
    score: float
    highlights: list[str]


class GroupOut(BaseModel):
    kind: str
    label: str
    hits: list[HitOut]


class SearchOut(BaseModel):
    query: str
    understood: dict[str, str]
    """What was typed → what it was taken for (生娃 → 出生, xsecs → 新生儿出生, 执招 → 执照)."""
    results: list[HitOut]
    groups: list[GroupOut]


class GuidanceIn(BaseModel):
    text: str = Field(min_length=2, max_length=500)


class GuidanceOut(BaseModel):
    found: bool
    bundle: str | None = None
    name: str | None = None
    answers: dict[str, Any] = Field(default_factory=dict)
    because: dict[str, str] = Field(default_factory=dict)
    open_questions: list[str] = Field(default_factory=list)
    apply_url: str | None = None
    """The application page with the inferred answers pre-selected for confirmation."""


class CitationOut(BaseModel):
    title: str
    url: str
    section: str


class AnswerOut(BaseModel):
    question: str
    answered: bool
    text: str
    section: str | None
    source: str
    citations: list[CitationOut]
    suggestions: list[HitOut]
