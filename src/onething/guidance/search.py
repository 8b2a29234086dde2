"""智能搜索: one search over bundles, items, guide sections, FAQs and policies.

A query is read the way people write it: jieba words (with the domain's dictionary), the
colloquial phrases of data/guidance/synonyms.yaml mapped to the catalog's terms (生娃 → 出生),
pinyin and initials (kaiban canyindian, xsecs) mapped back to the words they spell, and one
wrong character forgiven (a word that differs in one character, or sounds the same, counts as
that word; character pairs catch the rest). bm25s ranks; a query that describes a life event
puts the bundle above its own items.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import bm25s
import numpy as np

from onething.guidance.text import (
    Language,
    bigrams,
    has_han,
    initials_of,
    language,
    letters,
    normalise,
    one_off_keys,
    pinyin_of,
)

KIND_WEIGHT = {"bundle": 1.0, "item": 0.95, "policy": 0.5, "faq": 0.45, "guide": 0.35}
KIND_LABELS = {
    "bundle": "一件事",
    "item": "事项",
    "guide": "办事指南",
    "faq": "常见问题",
    "policy": "政策",
}
NAME_REPEAT = 3
"""A word of the name counts as much as this many words of the description."""
EVENT_BOOST = 1.6
BUNDLE_CUES = (
    "一起",
    "一次",
    "一站",
    "一件事",
    "一条龙",
    "一并",
    "都要",
    "哪些",
    "手续",
    "全部",
    "跑几",
    "要办什么",
    "要办啥",
    "办什么",
    "办啥",
    "准备啥",
    "准备什么",
    "先办",
    "后办",
    "顺序",
    "都得",
)
"""Words that ask for everything a life event needs, not one service."""


@dataclass(frozen=True)
class Doc:
    kind: str
    code: str
    name: str
    summary: str
    url: str
    department: str = ""
    extra: str = ""
    """Text searched but not shown: a bundle's situations and items, a FAQ's answer."""
    members: tuple[str, ...] = ()
    """For a bundle, the codes of its items."""


@dataclass(frozen=True)
class Hit:
    kind: str
    code: str
    name: str
    summary: str
    url: str
    department: str
    score: float
    words: tuple[str, ...]
    """The query's words found in the name or summary, for highlighting."""


@dataclass
class Index:
    docs: list[Doc]
    bm25: bm25s.BM25
    vocab: set[str]
    one_off: dict[str, set[str]] = field(default_factory=dict)
    by_pinyin: dict[str, set[str]] = field(default_factory=dict)
    by_initials: dict[str, set[str]] = field(default_factory=dict)
    name_initials: dict[str, list[int]] = field(default_factory=dict)
    events: dict[str, list[int]] = field(default_factory=dict)
    """canonical life-event term → the bundles named after it"""
    names: dict[str, list[int]] = field(default_factory=dict)
    """a bundle's or item's name without its bracketed part → the documents"""
    name_words: list[frozenset[str]] = field(default_factory=list)
    longest_name: int = 0
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _doc_tokens(lang: Language, doc: Doc) -> list[str]:
    name_words = lang.words(doc.name)
    tokens = name_words * NAME_REPEAT
    tokens += lang.words(doc.summary) + lang.words(doc.extra) + lang.words(doc.department)
    tokens += ["§" + b for b in bigrams(normalise(doc.name))] * 2
    return tokens or ["§empty"]


def build_index(docs: Sequence[Doc]) -> Index:
    """Tokenise every document once; the maps for pinyin, initials and typos come from the
    words of the names (what people look for)."""
    lang = language()
    corpus = [_doc_tokens(lang, d) for d in docs]
    bm25 = bm25s.BM25()
    bm25.index(corpus, show_progress=False)
    vocab = {t for tokens in corpus for t in tokens if not t.startswith("§")}
    index = Index(list(docs), bm25, vocab)
    named = [d for d in docs if d.kind in ("bundle", "item", "policy")]
    name_terms = {w for d in named for w in lang.words(d.name) if len(w) >= 2 and has_han(w)}
    name_terms |= set(lang.synonyms.values())
    for term in name_terms:
        index.by_pinyin.setdefault(pinyin_of(term), set()).add(term)
        index.by_initials.setdefault(initials_of(term), set()).add(term)
        if len(term) >= 3:
            for key in one_off_keys(term):
                index.one_off.setdefault(key, set()).add(term)
    for phrase, term in lang.synonyms.items():
        # 去世 typed as qushi, 社保卡 as sbk, 去事 for 去世: the phrase's sound leads to its term
        if has_han(phrase) and len(phrase) >= 2:
            index.by_pinyin.setdefault(pinyin_of(phrase), set()).add(term)
        if has_han(phrase) and len(phrase) >= 3:
            index.by_initials.setdefault(initials_of(phrase), set()).add(term)
    for i, d in enumerate(docs):
        compact = re.sub(r"[^\u4e00-\u9fff]", "", d.name)
        if len(compact) >= 2:
            index.name_initials.setdefault(initials_of(compact), []).append(i)
    events = set(lang.synonyms.values())
    for i, d in enumerate(docs):
        if d.kind == "bundle":
            # a life event is what a bundle is named after (出生 in 新生儿出生), not its items
            for term in events & {*lang.words(d.name), d.name}:
                index.events.setdefault(term, []).append(i)
        if d.kind in ("bundle", "item"):
            base = re.sub(r"[（(].*?[）)]", "", d.name).strip()
            if len(base) >= 4:
                index.names.setdefault(base.lower(), []).append(i)
    index.name_words = [frozenset(lang.words(d.name)) for d in docs]
    index.longest_name = max((len(n) for n in index.names), default=0)
    index.weights = np.array([KIND_WEIGHT[d.kind] for d in docs])
    return index


@dataclass
class Reading:
    """What the platform understood of a query: weighted words, and why."""

    terms: dict[str, float] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    initials_docs: list[int] = field(default_factory=list)
    corrected: dict[str, str] = field(default_factory=dict)
    """what was typed → the word it was taken for (typos, pinyin)"""

    def add(self, term: str, weight: float) -> None:
        self.terms[term] = max(self.terms.get(term, 0.0), weight)


def _pinyin_words(index: Index, run: str) -> list[str]:
    """Greedy longest match of a run of letters against the pinyin of known words."""
    out: list[str] = []
    i = 0
    keys = index.by_pinyin
    longest = max((len(k) for k in keys), default=0)
    while i < len(run):
        for j in range(min(len(run), i + longest), i, -1):
            if run[i:j] in keys:
                out.append(run[i:j])
                i = j
                break
        else:
            i += 1
    return out


def read_query(index: Index, query: str) -> Reading:
    lang = language()
    q = normalise(query)
    reading = Reading()
    for w in lang.words(q):
        if w in index.vocab:
            reading.add(w, 1.0)
    for phrase, term in lang.canonical(q):
        reading.add(term, 2.0)
        reading.corrected.setdefault(phrase, term)
    han = "".join(re.findall(r"[\u4e00-\u9fff]+", q))
    for size in range(6, 1, -1):
        for start in range(0, len(han) - size + 1):
            piece = han[start : start + size]
            if piece in index.vocab:
                continue
            sounds = index.by_pinyin.get(pinyin_of(piece), set())
            near = set().union(*(index.one_off.get(k, set()) for k in one_off_keys(piece)))
            for term in sounds | (near if size >= 3 else set()):
                reading.add(term, 0.9)
                reading.corrected.setdefault(piece, term)
    for run in letters(q):
        for term in index.by_initials.get(run, set()) if len(run) >= 2 else set():
            reading.add(term, 1.0)
            reading.corrected.setdefault(run, term)
        reading.initials_docs.extend(index.name_initials.get(run, []))
        for key in _pinyin_words(index, run):
            for term in index.by_pinyin[key]:
                reading.add(term, 1.0)
                reading.corrected.setdefault(key, term)
    reading.events = [t for t in reading.terms if t in index.events]
    for b in bigrams(q):
        reading.add("§" + b, 0.35)
    for term in list(reading.terms):
        if not term.startswith("§"):
            for b in bigrams(term):
                reading.add("§" + b, 0.35)
    return reading


def search(
    index: Index, query: str, limit: int = 20, kinds: Iterable[str] | None = None
) -> list[Hit]:
    """The best matches, best first (score is comparable within one query only)."""
    if not normalise(query):
        return []
    reading = read_query(index, query)
    scores = np.zeros(len(index.docs))
    by_weight: dict[float, list[str]] = defaultdict(list)
    for term, weight in reading.terms.items():
        if term in index.bm25.vocab_dict:
            by_weight[weight].append(term)
    for weight, terms in by_weight.items():
        # one pass over the documents per weight: bm25s sums the terms' scores
        scores += weight * index.bm25.get_scores(terms)
    if not scores.any() and not reading.initials_docs:
        return []
    scores *= index.weights
    top = float(scores.max()) if scores.any() else 1.0
    for i in reading.initials_docs:
        scores[i] += top * 1.2
    for term in reading.events:
        for i in index.events.get(term, []):
            scores[i] = scores[i] * EVENT_BOOST + top * 0.3
    q = normalise(query)
    named = [
        i
        for size in range(4, min(len(q), index.longest_name) + 1)
        for start in range(len(q) - size + 1)
        for i in index.names.get(q[start : start + size], [])
    ]
    for i in named:
        # the person named the service itself ("只办食品经营许可证"): it comes first
        scores[i] += top * 1.0
    if kinds is not None:
        wanted = set(kinds)
        scores[[i for i, d in enumerate(index.docs) if d.kind not in wanted]] = 0
    keep = min(len(scores), limit * 3)
    best = (
        np.argpartition(-scores, keep - 1)[:keep] if keep < len(scores) else np.arange(len(scores))
    )
    order = best[np.argsort(-scores[best], kind="stable")]
    hits = [i for i in order if scores[i] > 0]
    if not any(index.docs[i].kind == "item" for i in named):
        wants_all = any(cue in q for cue in BUNDLE_CUES)
        hits = _bundles_first(index, hits, set(reading.terms), wants_all)
    words = tuple(t for t in reading.terms if not t.startswith("§") and len(t) >= 2)
    out = []
    for i in hits[:limit]:
        d = index.docs[i]
        shown = tuple(w for w in words if w in d.name or w in d.summary)
        out.append(
            Hit(
                d.kind,
                d.code,
                d.name,
                d.summary,
                d.url,
                d.department,
                round(float(scores[i]), 4),
                shown,
            )
        )
    return out


def _bundles_first(index: Index, hits: list[int], terms: set[str], wants_all: bool) -> list[int]:
    """A bundle goes above its own items, unless the query asks for one of them by what sets
    it apart from the bundle (补领 of 社会保障卡补领, 提取 of 公积金提取) and not for the whole."""
    items = {index.docs[i].code: i for i in hits if index.docs[i].kind == "item"}
    moved = list(hits)
    for b in hits:
        bundle = index.docs[b]
        if bundle.kind != "bundle":
            continue
        own = index.name_words[b]
        ahead = [
            items[c]
            for c in bundle.members
            if c in items and moved.index(items[c]) < moved.index(b)
        ]
        asked = [i for i in ahead if not wants_all and (index.name_words[i] - own) & terms]
        if ahead and not asked:
            moved.remove(b)
            moved.insert(min(moved.index(i) for i in ahead), b)
    return moved


def group(hits: Sequence[Hit]) -> dict[str, list[Hit]]:
    """Results by kind, in the order of KIND_LABELS, each kind keeping its ranking."""
    out: dict[str, list[Hit]] = defaultdict(list)
    for h in hits:
        out[h.kind].append(h)
    return {k: out[k] for k in KIND_LABELS if out.get(k)}


def highlight(text: str, words: Sequence[str]) -> list[tuple[str, bool]]:
    """The text in pieces, True for the pieces that are matched words (for <mark>)."""
    if not words:
        return [(text, False)]
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    pieces: list[tuple[str, bool]] = []
    last = 0
    for m in pattern.finditer(text):
        if m.start() > last:
            pieces.append((text[last : m.start()], False))
        pieces.append((m.group(0), True))
        last = m.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces
