"""智能问答: questions about conditions, materials, fees, time and places, answered from the
catalog's guides and the FAQ, always quoting where the answer comes from.

Without a language model the answer is the guide's own words (extractive). With one configured
(`ONETHING_LLM_URL`, any OpenAI-compatible endpoint) the model only rephrases the retrieved
passages, is told to cite them, and the citations shown are still the passages retrieved; any
failure of the model falls back to the extractive answer. A question the catalog cannot answer
says so and offers the hotline and assisted handling (帮办代办).
"""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from onething.catalog import service as catalog
from onething.config import Settings, get_settings
from onething.guidance.search import Hit, search
from onething.guidance.service import SECTIONS, current_index, item_sections, load_faqs
from onething.guidance.text import normalise

log = logging.getLogger("onething.qa")
QUESTION_WORDS: dict[str, tuple[str, ...]] = {
    "materials": ("材料", "带什么", "带啥", "证件", "准备什么", "准备啥", "提交什么"),
    "fees": ("多少钱", "收费", "费用", "要钱", "花钱", "免费", "交钱", "收钱", "要交钱"),
    "time": ("多久", "几天", "多长时间", "时限", "多少天", "什么时候", "啥时候", "几个工作日"),
    "place": ("哪里", "哪儿", "哪办", "在哪", "地址", "地点", "几点", "上班时间", "电话", "窗口"),
    "conditions": ("条件", "谁能", "符合", "资格", "要求"),
    "process": ("怎么办", "流程", "网上", "邮寄", "步骤", "几趟", "跑几次", "怎么申请", "手续"),
}
"""The words that say what a question asks; the first one in the question decides."""
VAGUE: dict[str, tuple[str, ...]] = {
    "materials": ("需要什么", "要什么", "需要啥", "要啥"),
    "conditions": ("能不能", "可不可以", "可以吗", "能办吗", "行不行"),
}
"""Weaker words, used only when none of the above is in the question."""
TOPIC_GENERIC = frozenset(
    [
        "申请",
        "办理",
        "网上",
        "需要",
        "材料",
        "条件",
        "时间",
        "费用",
        "地点",
        "流程",
        "手续",
        "证明",
        "登记",
        "证",
        "卡",
        "服务",
        "信息",
        "多久",
        "哪里",
        "收费",
        "免费",
        "怎么",
        "一件事",
        "办事指南",
        "常见问题",
    ]
)
"""Words that say what kind of question it is but not what it is about."""
FAQ_SCORE = 0.55
"""How close (share of the best score) a FAQ must be to answer in its own words."""


@dataclass(frozen=True)
class Citation:
    title: str
    url: str
    section: str


@dataclass
class Answer:
    question: str
    text: str
    answered: bool
    section: str | None = None
    source: str = "none"
    """faq, guide, llm or none"""
    citations: list[Citation] = field(default_factory=list)
    suggestions: list[Hit] = field(default_factory=list)


def section_of(question: str) -> str | None:
    """Which part of a guide the question is about (材料、费用、时限、地点、条件、流程)."""
    q = normalise(question)
    for words in (QUESTION_WORDS, VAGUE):
        best, where = None, len(q) + 1
        for section, cues in words.items():
            for w in cues:
                at = q.find(w)
                if 0 <= at < where:
                    best, where = section, at
        if best is not None:
            return best
    return None


def _about_something(hit: Hit) -> bool:
    """The hit shares a word with the question that names a subject, not just the kind of
    question (火星移民怎么申请 shares only 申请 with a social-security FAQ)."""
    return any(len(w) >= 2 and w not in TOPIC_GENERIC for w in hit.words)


def _bundle_sections(session: Session, code: str) -> dict[str, str]:
    bundle = catalog.load_bundle(session, code)
    items = [m.item for m in bundle.members]
    materials: dict[str, str] = {}
    for i in items:
        for m in i.materials:
            materials.setdefault(m["key"], m["name"])
    fees = [f"{i.name}：{i.fee}" for i in items if i.fee_required]
    return {
        "conditions": bundle.summary,
        "materials": "；".join(materials.values()) + "（按您的情形确定，以申请时的材料清单为准）",
        "fees": "；".join(fees) if fees else "各事项均不收费。",
        "time": f"“{bundle.name}”一件事承诺{bundle.promised_days}个工作日内办结。"
        if bundle.promised_days
        else "各事项分别办理："
        + "；".join(f"{i.name}承诺{i.promised_days}个工作日" for i in items)
        + "。",
        "place": f"{bundle.lead_department.name}牵头，"
        "可在政务服务中心综合窗口一窗受理，也可网上申请。",
        "process": "包含的事项："
        + "、".join(i.name for i in items)
        + "。一次告知、一表申请、一套材料。",
    }


def _sections(session: Session, hit: Hit) -> dict[str, str]:
    if hit.kind == "bundle":
        return _bundle_sections(session, hit.code)
    return item_sections(catalog.load_item(session, hit.code))


UNANSWERED = (
    "抱歉，这个问题我暂时无法从办事指南中找到确切答案。您可以拨打{hotline}政务服务便民热线咨询，"
    "或到政务服务中心“帮办代办”窗口，由工作人员帮您办理。"
)


def answer(session: Session, question: str, settings: Settings | None = None) -> Answer:
    settings = settings or get_settings()
    index = current_index(session)
    q = question.strip()
    hits = search(index, q, limit=8)
    section = section_of(q)
    hits = [h for h in hits if _about_something(h)]
    services = [h for h in hits if h.kind in ("bundle", "item")]
    faqs = [h for h in hits if h.kind == "faq"]
    out = Answer(
        q, UNANSWERED.format(hotline=settings.hotline), False, section, suggestions=services[:3]
    )
    if not hits:
        return out
    top = hits[0].score
    by_code = {f"faq-{n + 1}": f for n, f in enumerate(load_faqs())}
    for h in faqs:
        faq = by_code.get(h.code)
        if faq and h.score >= top * FAQ_SCORE and (section is None or faq.section == section):
            out.text, out.answered, out.source = faq.answer, True, "faq"
            out.section = faq.section
            out.citations = [Citation(f"常见问题：{faq.question}", h.url, SECTIONS[faq.section])]
            break
    if not out.answered and services and section is not None:
        # a guide question is best answered by the one service it names, if one is close
        items = [h for h in services if h.kind == "item" and h.score >= services[0].score * 0.4]
        target = items[0] if items else services[0]
        text = _sections(session, target).get(section, "")
        if text:
            guide = "办事指南" if target.kind == "item" else "一件事办事指南"
            out.text = f"根据《{target.name}》{guide}“{SECTIONS[section]}”：{text}"
            out.answered, out.source = True, "guide"
            out.citations = [
                Citation(
                    f"{target.name} · {SECTIONS[section]}",
                    f"{target.url}#{section}",
                    SECTIONS[section],
                )
            ]
    if out.answered and settings.llm_url:
        phrased = _rephrase(settings, q, out)
        if phrased:
            out.text, out.source = phrased, "llm"
    return out


def _rephrase(settings: Settings, question: str, found: Answer) -> str | None:
    """The model rewrites the retrieved passage for the question; None on any failure."""
    passages = "\n".join(
        f"[{n + 1}] {c.title}：{found.text}" for n, c in enumerate(found.citations)
    )
    body: dict[str, Any] = {
        "model": settings.llm_model,
        "temperature": 0,
        "messages": [
            {
                "role": "system",
                "content": "你是政务服务咨询助手。只能根据给出的资料回答，不得编造；"
                "用简短、通俗的中文回答，句末用[1]这样的编号注明出处。资料里没有的，回答“资料中没有”。",
            },
            {"role": "user", "content": f"资料：\n{passages}\n\n问题：{question}"},
        ],
    }
    request = urllib.request.Request(
        settings.llm_url.rstrip("/") + "/chat/completions",
        data=json.dumps(body, ensure_ascii=False).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.llm_timeout_seconds) as response:
            reply = json.loads(response.read().decode())
        text = str(reply["choices"][0]["message"]["content"]).strip()
    except Exception:
        log.exception("language model at %s failed; answering from the guide", settings.llm_url)
        return None
    if not text or "资料中没有" in text:
        return None
    return text
