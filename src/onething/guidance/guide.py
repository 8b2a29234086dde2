"""智能导办: from "我想在二七区开一家奶茶店，门口要挂招牌" to the bundle and the situation
answers the description already gives (奶茶 → 自制饮品, 招牌 → 设置户外招牌), which the applicant
confirms before the application starts. The clues are data (data/guidance/hints.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import yaml
from sqlalchemy.orm import Session

from onething.catalog import service as catalog
from onething.catalog.schemas import Bundle as BundleDoc
from onething.guidance.qa import Answer, answer, section_of
from onething.guidance.search import Index, search
from onething.guidance.service import current_index
from onething.guidance.text import DATA, normalise

NEGATIONS = (
    "不用",
    "不要",
    "不需要",
    "不打算",
    "不想",
    "不挂",
    "不设",
    "没有",
    "还没",
    "没",
    "不",
    "无",
    "未",
)
_AREA = re.compile(r"(\d+(?:\.\d+)?)\s*(?:平方米|平米|平方|㎡|平)")
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_AREA = re.compile(r"([一二两三四五六七八九])(百|十)(?:多)?(?:个)?(?:平方米|平米|平方|平)")


@lru_cache
def hints() -> dict[str, Any]:
    path = DATA / "hints.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def area_of(text: str) -> float | None:
    """The floor area a description mentions: 120平米, 两百平, 300平方米."""
    m = _AREA.search(text)
    if m:
        return float(m.group(1))
    m = _CN_AREA.search(text)
    if m:
        return float(_CN_DIGITS[m.group(1)] * (100 if m.group(2) == "百" else 10))
    return None


def _said(text: str, cue: str) -> bool | None:
    """True when the cue is said, False when it is said negated (没有招牌), None otherwise."""
    start = text.find(cue)
    if start < 0:
        return None
    before = text[max(0, start - 4) : start]
    return not any(before.endswith(n) or n in before[-3:] for n in NEGATIONS)


@dataclass
class Proposal:
    bundle: str
    name: str
    answers: dict[str, Any] = field(default_factory=dict)
    because: dict[str, str] = field(default_factory=dict)
    """situation key → the words of the description that gave the answer"""
    open_questions: list[str] = field(default_factory=list)

    @property
    def apply_url(self) -> str:
        """The application page with these answers pre-selected for confirmation."""
        pairs = [
            (f"answer.{key}", v)
            for key, value in self.answers.items()
            for v in (value if isinstance(value, list) else [value])
        ]
        return f"/apply/{self.bundle}" + (f"?{urlencode(pairs)}" if pairs else "")


def _negative(options: list[Any]) -> str | None:
    for o in options:
        if o.label.startswith(("否", "不", "未", "暂不")):
            return str(o.value)
    return None


def infer_answers(doc: BundleDoc, text: str) -> Proposal:
    """The answers the description gives for each situation, and the questions left open."""
    low = normalise(text)
    clues = hints().get(doc.code, {})
    out = Proposal(doc.code, doc.name)
    area = area_of(low)
    for situation in doc.situations:
        found: list[str] = []
        why: list[str] = []
        negated: list[str] = []
        for option in situation.options:
            cue = clues.get(situation.key, {}).get(option.value)
            if isinstance(cue, dict):
                if area is not None and (
                    ("area_at_least" in cue and area >= cue["area_at_least"])
                    or ("area_below" in cue and area < cue["area_below"])
                ):
                    found.append(option.value)
                    why.append(f"{area:g}平方米")
                continue
            for phrase in cue or []:
                said = _said(low, normalise(str(phrase)))
                if said:
                    found.append(option.value)
                    why.append(str(phrase))
                    break
                if said is False:
                    negated.append(str(phrase))
        if situation.multiple:
            if found:
                out.answers[situation.key] = found
                out.because[situation.key] = "、".join(why)
        elif len(set(found)) == 1:
            out.answers[situation.key] = found[0]
            out.because[situation.key] = why[0]
        elif not found and negated and (no := _negative(situation.options)):
            out.answers[situation.key] = no
            out.because[situation.key] = f"不{negated[0]}"
        if situation.key not in out.answers:
            out.open_questions.append(situation.key)
    return out


def _cue_count(code: str, text: str) -> int:
    """How many of a bundle's clues the description says (negated or not: 不挂招牌 still
    talks about the sign)."""
    count = 0
    for options in hints().get(code, {}).values():
        for cue in options.values():
            if isinstance(cue, list) and any(normalise(str(c)) in text for c in cue):
                count += 1
    return count


def propose(index: Index, bundles: dict[str, BundleDoc], text: str) -> Proposal | None:
    """The bundle the description is about and its answers: search proposes, and a bundle
    whose situations the description keeps talking about (婚检, 迁户口) wins."""
    low = normalise(text)
    hits = search(index, text, limit=5, kinds=["bundle"])
    score = {h.code: (5 - n) * 0.4 for n, h in enumerate(hits)}
    for code in bundles:
        score[code] = score.get(code, 0.0) + _cue_count(code, low)
    best = max(score, key=lambda c: score[c], default=None)
    if best is None or score[best] < 1.0 or best not in bundles:
        return None
    return infer_answers(bundles[best], text)


def propose_bundle(session: Session, text: str) -> Proposal | None:
    """智能导办 over the catalog in the database."""
    bundles = {b.code: catalog.bundle_schema(b) for b in catalog.list_bundles(session)}
    return propose(current_index(session), bundles, text)


@dataclass
class Understanding:
    """What the search page offers for one query besides the results: a question gets an
    answer (智能问答), a description of a need gets the bundle and its answers (智能导办)."""

    answer: Answer | None = None
    proposal: Proposal | None = None


DESCRIPTION = 8
"""A query this long that asks no guide question is read as a description of a need."""


def understand(session: Session, query: str) -> Understanding:
    if section_of(query):
        return Understanding(answer=answer(session, query))
    if len(query) >= DESCRIPTION:
        return Understanding(proposal=propose_bundle(session, query))
    return Understanding()
