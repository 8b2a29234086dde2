"""How people write: Chinese tokenisation with the domain's dictionary, pinyin and initials,
colloquial phrases and one wrong character, all as data under data/guidance/."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jieba
import yaml
from pypinyin import Style, lazy_pinyin

DATA = Path(__file__).parent.parent / "data" / "guidance"
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "呀",
        "哦",
        "嘛",
        "么",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "要",
        "想",
        "在",
        "和",
        "与",
        "及",
        "或",
        "是",
        "有",
        "没",
        "就",
        "都",
        "也",
        "还",
        "又",
        "把",
        "被",
        "给",
        "让",
        "去",
        "来",
        "到",
        "从",
        "对",
        "向",
        "个",
        "一",
        "一下",
        "一个",
        "这",
        "那",
        "这个",
        "那个",
        "哪",
        "哪里",
        "哪儿",
        "怎么",
        "怎么办",
        "怎样",
        "如何",
        "什么",
        "啥",
        "多少",
        "几",
        "能",
        "能不能",
        "可以",
        "可不可以",
        "需要",
        "需不需要",
        "请问",
        "请",
        "麻烦",
        "谢谢",
        "您好",
        "你好",
        "一件",
        "件",
        "事",
        "办",
        "办理",
        "办事",
        "手续",
        "咋",
        "咋办",
        "该",
        "应该",
        "得",
        "着",
        "过",
        "很",
        "太",
        "非常",
        "上",
        "下",
        "里",
        "中",
        "后",
        "前",
        "时",
        "时候",
        "现在",
        "已经",
        "刚",
        "刚刚",
        "之后",
        "以后",
        "然后",
        "所以",
        "因为",
        "如果",
        "但是",
        "可是",
        "吗？",
    ]
)
PLACES = frozenset(["二七区", "二七", "郑州", "郑州市", "河南", "河南省", "本市", "本区", "我市"])
"""Where the platform serves says nothing about what is asked: not searched on."""
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LETTERS = re.compile(r"[a-z]+")

logging.getLogger("jieba").setLevel(logging.WARNING)
jieba.setLogLevel(logging.WARNING)


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, one space for any run of blanks."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).lower()).strip()


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


@dataclass
class Language:
    """The tokenizer with the user dictionary, and the colloquial phrase dictionary."""

    tokenizer: jieba.Tokenizer
    synonyms: dict[str, str] = field(default_factory=dict)
    """colloquial phrase → canonical term, longest phrases first"""
    loose: dict[str, re.Pattern[str]] = field(default_factory=dict)
    """a phrase with one inserted character allowed between two of its characters"""
    cores: dict[tuple[str, ...], str] = field(default_factory=dict)
    """the specific words of a phrase (without 开、办、领…) → canonical term"""

    def words(self, text: str) -> list[str]:
        """Content words for search: jieba's search mode (long words and their parts)."""
        out = []
        freq = self.tokenizer.FREQ
        for w in self.tokenizer.lcut_for_search(normalise(text)):
            w = w.strip()
            if not w or w in STOPWORDS or w in PLACES or _PUNCT.fullmatch(w):
                continue
            out.append(w)
            # jieba's search mode yields the 2- and 3-character parts of a long word; the
            # longer known words inside it count too (社会保障卡 in 社会保障卡居民服务)
            for size in range(4, len(w)):
                out.extend(
                    w[i : i + size] for i in range(len(w) - size + 1) if freq.get(w[i : i + size])
                )
        return out

    def canonical(self, text: str) -> list[tuple[str, str]]:
        """(phrase found, canonical term) for every colloquial phrase in the text: 开奶茶店 →
        餐饮. A phrase of three or more characters also matches with one character slipped in
        (生了孩子 for 生孩子, 开家早餐店 for 开早餐店), and by its core words alone (养老金 in
        领养老金) when they are specific enough."""
        low = normalise(text)
        present = set(low)
        found: dict[str, str] = {}
        for phrase, term in self.synonyms.items():
            if term in found.values() and phrase not in low:
                continue
            if phrase in low or (
                len(phrase) >= 3
                and phrase[0] in present
                and phrase[-1] in present
                and self.loose[phrase].search(low)
            ):
                found[phrase] = term
        for core, term in self.cores.items():
            if term not in found.values() and all(w in low for w in core):
                found["".join(core)] = term
        return list(found.items())


GENERIC = frozenset(
    [
        "开",
        "办",
        "领",
        "算",
        "交",
        "补",
        "申请",
        "申领",
        "办理",
        "上",
        "去",
        "找",
        "要",
        "想",
        "给",
        "帮",
        "做",
        "弄",
        "搞",
        "查",
        "打",
    ]
)


@lru_cache
def language() -> Language:
    """Loaded once per process (jieba's dictionary takes about a second the first time)."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    userdict = DATA / "userdict.txt"
    if userdict.exists():
        with userdict.open("rb") as words:
            tokenizer.load_userdict(words)
    synonyms: dict[str, str] = {}
    path = DATA / "synonyms.yaml"
    if path.exists():
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for term, phrases in raw.items():
            tokenizer.add_word(str(term), 3000)
            for p in phrases or []:
                synonyms[normalise(str(p))] = str(term)
    ordered = dict(sorted(synonyms.items(), key=lambda kv: -len(kv[0])))
    lang = Language(tokenizer, ordered)
    for phrase, term in ordered.items():
        if len(phrase) >= 3:
            lang.loose[phrase] = re.compile(
                "|".join(
                    re.escape(phrase[:i]) + "." + re.escape(phrase[i:])
                    for i in range(1, len(phrase))
                )
            )
        core = tuple(w for w in tokenizer.lcut(phrase) if w not in STOPWORDS and w not in GENERIC)
        if core and "".join(core) != phrase and sum(map(len, core)) >= 3:
            lang.cores.setdefault(core, term)
    return lang


@lru_cache(maxsize=200_000)
def pinyin_of(text: str) -> str:
    """Toneless pinyin without spaces: 出生 → chusheng."""
    return "".join(lazy_pinyin(text, errors="ignore"))


def initials_of(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore"))


def letters(text: str) -> list[str]:
    """The runs of Latin letters in a query (pinyin or initials people typed)."""
    return _LETTERS.findall(normalise(text))


def bigrams(text: str) -> list[str]:
    """Character pairs of the Chinese runs: the fallback that survives a wrong character."""
    out: list[str] = []
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def one_off_keys(term: str) -> Iterable[str]:
    """The term with each character in turn replaced by a wildcard."""
    return (term[:i] + "?" + term[i + 1 :] for i in range(len(term)))
