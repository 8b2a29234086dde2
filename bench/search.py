"""智能搜索 against its target: quality on the labelled queries, and latency of one search.

Target (the issue's, on the 2-core machine): `search(index, q, 20)` under 20 ms at the 99th
percentile on a catalog of 100,000 items. Quality has no target; it is reported so that a
change in speed can be weighed against what it does to the ranking.

Three parts:

1. tests/data/search_queries.yaml (colloquial queries, each labelled with the one bundle or
   item it should find) over the demo catalog: top-1 and top-3, counting only the bundle and
   item results in their rank order (guides, FAQs and policies are skipped, not misses).
2. The latency of `search(index, q, 20)` on the demo catalog: every labelled query, 5 times,
   warm. jieba's dictionary load and the first index build are start-up, reported apart.
3. The same on a synthetic catalog: 100,000 items made of realistic parts (the departments of
   src/onething/data/catalog/departments.yaml, region prefixes, objects, actions, qualifiers,
   20–60 character summaries) with a fixed seed, plus the real documents. Build time and the
   memory it takes, latency (×3) and the same top-1/top-3, and a cProfile of one round of
   the queries: where the time of a query goes.

Run alone with `python -m bench.search`; `make bench` runs it after the other benchmarks.
"""

from __future__ import annotations

import cProfile
import gc
import os
import platform
import pstats
import random
import resource
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import jieba
import numpy as np
import yaml
from sqlalchemy.orm import Session

from onething.catalog.schemas import ITEM_TYPE_LABELS
from onething.core import migrate
from onething.db import make_engine
from onething.demo import seed_demo
from onething.guidance import search as search_module
from onething.guidance.search import Doc, Hit, Index, build_index, read_query, search
from onething.guidance.service import documents
from onething.guidance.text import Language, initials_of, language, pinyin_of

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "tests" / "data" / "search_queries.yaml"
DEPARTMENTS = ROOT / "src" / "onething" / "data" / "catalog" / "departments.yaml"

SEED = 20_261_202
SYNTHETIC = 100_000
LIMIT = 20
DEMO_REPEAT = 5
SYNTHETIC_REPEAT = 3
TARGET_P99_MS = 20.0
RANKED = ("bundle", "item")
TAGS = ("错别字", "拼音", "首字母", "长句")
"""The special kinds the comments of search_queries.yaml mark."""

# ---------------------------------------------------------------- the labelled queries


@dataclass(frozen=True)
class Query:
    text: str
    kind: str
    code: str
    tag: str
    """错别字, 拼音, 首字母, 长句 or "" (from the entry's comment)."""


def load_queries(path: Path = QUERIES) -> list[Query]:
    """The entries, with the special kind of each read from its line's comment."""
    tags: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("- {") and "#" in line.rsplit("}", 1)[-1]:
            entry = yaml.safe_load(line)[0]
            comment = line.rsplit("}", 1)[-1]
            tags[entry["query"]] = next((t for t in TAGS if t in comment), "")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]
    return [
        Query(
            str(q["query"]),
            q["expect"]["kind"],
            str(q["expect"]["code"]),
            tags.get(str(q["query"]), ""),
        )
        for q in raw
    ]


@dataclass(frozen=True)
class Score:
    n: int
    top1: int
    top3: int

    def shown(self) -> str:
        return (
            f"top-1 {self.top1 / self.n:>6.1%} ({self.top1:>3}/{self.n:<3})   "
            f"top-3 {self.top3 / self.n:>6.1%} ({self.top3:>3}/{self.n:<3})"
        )


def rank_of(query: Query, hits: Sequence[Hit]) -> int | None:
    """1 for the first bundle-or-item hit, 2 for the second…; None when not among them."""
    ranked = [h for h in hits if h.kind in RANKED]
    for rank, h in enumerate(ranked, 1):
        if h.kind == query.kind and h.code == query.code:
            return rank
    return None


def quality(queries: Sequence[Query], results: Sequence[Sequence[Hit]]) -> dict[str, Score]:
    """Top-1 and top-3 overall, by expected kind and by special kind."""
    groups: dict[str, list[int | None]] = {"all": [], "bundle": [], "item": []}
    for t in TAGS:
        groups[t] = []
    for q, hits in zip(queries, results, strict=True):
        rank = rank_of(q, hits)
        groups["all"].append(rank)
        groups[q.kind].append(rank)
        if q.tag:
            groups[q.tag].append(rank)
    return {
        name: Score(
            len(ranks),
            sum(r == 1 for r in ranks),
            sum(r is not None and r <= 3 for r in ranks),
        )
        for name, ranks in groups.items()
        if ranks
    }


GROUP_LABELS = {
    "all": "all queries",
    "bundle": "expected a bundle",
    "item": "expected an item",
    "错别字": "  of which 错别字 (one wrong character)",
    "拼音": "  of which 拼音 (full pinyin)",
    "首字母": "  of which 首字母 (initials)",
    "长句": "  of which 长句 (long sentences)",
}


def _print_quality(scores: dict[str, Score]) -> None:
    for name, score in scores.items():
        _line(GROUP_LABELS[name], score.shown())


# ---------------------------------------------------------------- timing


@dataclass(frozen=True)
class Latency:
    ms: np.ndarray
    """Wall time of every call: what the target is about."""
    cpu_ms: np.ndarray
    """CPU time of the thread in every call: the same less any wait for a core."""
    first: list[list[Hit]]
    """The hits of the first round, one list per query."""
    gc_ms: dict[int, list[float]]
    """generation → the pauses of the collections that ran during the timed calls"""

    def p(self, q: float, cpu: bool = False) -> float:
        return float(np.percentile(self.cpu_ms if cpu else self.ms, q))


def time_queries(index: Index, queries: Sequence[Query], repeat: int) -> Latency:
    """Every query `repeat` times in turn, each call timed on its own. The garbage collector
    stays on, as in the server: a collection that lands in a query is part of the wait; its
    pauses are recorded apart."""
    ms: list[float] = []
    cpu: list[float] = []
    first: list[list[Hit]] = []
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    began = [0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.perf_counter_ns()
        else:
            pauses[info["generation"]].append((time.perf_counter_ns() - began[0]) / 1e6)

    gc.callbacks.append(on_gc)
    try:
        for round_ in range(repeat):
            for q in queries:
                start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
                hits = search(index, q.text, LIMIT)
                cpu.append((time.thread_time_ns() - start_cpu) / 1e6)
                ms.append((time.perf_counter_ns() - start) / 1e6)
                if round_ == 0:
                    first.append(hits)
    finally:
        gc.callbacks.remove(on_gc)
    return Latency(np.array(ms), np.array(cpu), first, pauses)


def _latency_lines(label: str, lat: Latency, queries: int, repeat: int) -> None:
    for cpu in (False, True):
        values = lat.cpu_ms if cpu else lat.ms
        _line(
            f"search(index, q, {LIMIT}), {label}" if not cpu else "  CPU time of the thread",
            f"p50 {lat.p(50, cpu):>7.2f} ms   p90 {lat.p(90, cpu):>7.2f} ms   "
            f"p99 {lat.p(99, cpu):>7.2f} ms   max {values.max():>7.2f} ms",
        )
    _line(
        "",
        f"mean {lat.ms.mean():.2f} ms over {len(lat.ms):,} calls "
        f"({queries} queries × {repeat}); {len(lat.ms) / lat.ms.sum() * 1e3:,.0f} queries/s",
    )
    _line(
        "  garbage collections during the calls",
        "   ".join(
            f"gen {g}: {len(p)} ({sum(p):.1f} ms, longest {max(p, default=0):.1f})"
            for g, p in lat.gc_ms.items()
        ),
    )


def _rss_mb() -> float:
    """Resident memory now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    """The process's peak resident memory so far (ru_maxrss; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pad(text: str, width: int) -> str:
    """Left-aligned in `width` terminal columns (a Chinese character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - used, 0)


def _line(label: str, text: str) -> None:
    print(f"{_pad(label, 48)} {text}")


def _since(start: float) -> float:
    return time.perf_counter() - start


# ---------------------------------------------------------------- the demo catalog


def demo_documents() -> list[Doc]:
    """The real documents, from the demo database built as bench/__main__.py builds it."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'search.db'}")
        with engine.begin() as conn:
            migrate.upgrade(connection=conn)
        with Session(engine) as session:
            seed_demo(session)
            session.commit()
            docs = documents(session)
        engine.dispose()
    return docs


# ---------------------------------------------------------------- the synthetic catalog

REGIONS = (
    "郑州市",
    "二七区",
    "中原区",
    "金水区",
    "管城回族区",
    "惠济区",
    "上街区",
    "郑东新区",
    "高新区",
    "经开区",
    "航空港区",
    "中牟县",
    "巩义市",
    "荥阳市",
    "新密市",
    "新郑市",
    "登封市",
)
ACTIONS = (
    "申领",
    "变更",
    "注销",
    "补领",
    "换领",
    "备案",
    "核准",
    "登记",
    "许可",
    "证明开具",
    "信息查询",
    "审批",
    "延续",
    "认定",
    "年度报告",
    "撤销",
    "迁移",
    "提取",
    "转移接续",
    "核验",
)
OBJECTS = (
    "营业执照",
    "食品经营许可",
    "食品生产许可",
    "道路运输证",
    "道路货物运输经营许可",
    "残疾人证",
    "社会保障卡",
    "不动产",
    "公积金",
    "住房公积金贷款",
    "出生医学证明",
    "建设工程规划许可",
    "建筑工程施工许可",
    "排污许可",
    "取水许可",
    "医疗器械经营",
    "药品零售",
    "公共场所卫生许可",
    "烟草专卖零售许可",
    "危险化学品经营许可",
    "人力资源服务许可",
    "劳务派遣经营许可",
    "民办学校办学许可",
    "养老机构",
    "出版物经营许可",
    "娱乐场所经营许可",
    "特种设备使用登记",
    "机动车驾驶证",
    "机动车登记",
    "居住证",
    "户口",
    "婚姻登记",
    "医师执业注册",
    "护士执业注册",
    "教师资格",
    "职业技能等级证书",
    "就业创业证",
    "失业保险金",
    "基本养老保险关系",
    "基本医疗保险关系",
    "工伤认定",
    "生育津贴",
    "高龄津贴",
    "最低生活保障",
    "临时救助",
    "退役军人优待证",
    "社会团体",
    "民办非企业单位",
    "印章刻制",
    "发票领用",
    "税务登记",
    "出口退税",
    "个体工商户",
    "农民专业合作社",
    "外商投资企业",
    "商品房预售许可",
    "房屋租赁合同",
    "物业服务企业",
    "燃气经营许可",
    "户外广告设施设置",
    "城市道路占用挖掘",
    "安全生产许可",
    "烟花爆竹经营许可",
    "放射诊疗许可",
    "母婴保健技术服务",
    "旅行社业务经营许可",
    "导游证",
    "林木采伐许可",
    "种子生产经营许可",
    "兽药经营许可",
    "动物防疫条件合格证",
    "农药经营许可",
    "检验检测机构资质",
    "建筑业企业资质",
    "房地产开发企业资质",
    "消防安全检查",
    "计量器具型式批准",
    "二手车交易",
    "专利权质押",
    "商标注册",
)
QUALIFIERS = (
    "（新办）",
    "（延续）",
    "（个人）",
    "（企业）",
    "（跨省通办）",
    "（首次申请）",
    "（遗失补办）",
    "（变更法定代表人）",
    "（变更经营场所）",
    "（告知承诺制）",
    "（市级权限）",
    "（区县级权限）",
    "（含分支机构）",
    "（港澳台居民）",
)
SUBJECTS = (
    "个体工商户",
    "企业",
    "农民专业合作社",
    "外商投资企业",
    "事业单位",
    "社会组织",
    "灵活就业人员",
    "退役军人",
    "残疾人",
    "老年人",
)
APPLICANTS = (
    "本市户籍居民",
    "在本区登记的企业",
    "依法设立的经营主体",
    "持有效身份证件的申请人",
    "已参保的职工",
    "本市常住人员",
    "个体工商户经营者",
    "法定代表人或其委托代理人",
)
CONDITIONS = (
    "符合法定条件",
    "提交材料齐全、符合法定形式",
    "无不良信用记录",
    "已取得营业执照",
    "在有效期届满30日前提出申请",
    "经营场所符合要求",
    "已连续缴费满12个月",
    "信息发生变化之日起30日内",
)
TAILS = (
    "可在郑好办或政务服务中心窗口办理",
    "承诺5个工作日内办结",
    "全程网办，零跑腿",
    "须本人到现场核验",
    "不收取费用",
    "即来即办，当场出证",
    "可邮寄送达",
    "可跨省通办",
)
RESULTS = ("许可证", "批准文书", "备案回执", "登记证明", "证明", "核准通知书", "证件")


def _name(rng: random.Random, obj: str) -> str:
    act = rng.choice(ACTIONS)
    shape = rng.random()
    if shape < 0.35:
        name = f"{obj}{act}"
    elif shape < 0.65:
        name = f"{rng.choice(REGIONS)}{obj}{act}"
    elif shape < 0.8:
        name = f"{rng.choice(SUBJECTS)}{obj}{act}"
    elif shape < 0.9:
        second = rng.choice([a for a in ACTIONS if a != act])
        name = f"{obj}{act}、{second}"
    else:
        name = f"{rng.choice(REGIONS)}{rng.choice(SUBJECTS)}{obj}{act}"
    if rng.random() < 0.45:
        name += rng.choice(QUALIFIERS)
    return name


def _summary(rng: random.Random, obj: str) -> str:
    """20 to 60 characters of the shape real conditions have, cut at a clause."""
    size = rng.randint(20, 60)
    clauses = [f"{rng.choice(APPLICANTS)}申请{obj}{rng.choice(ACTIONS)}"]
    pool = [*CONDITIONS, *TAILS]
    rng.shuffle(pool)
    for clause in pool:
        if len("，".join(clauses)) >= size:
            break
        clauses.append(clause)
    text = "，".join(clauses)
    while len(text) > 60 and len(clauses) > 1:
        clauses.pop()
        text = "，".join(clauses)
    return text[:60] + "。"


def synthetic_items(n: int, seed: int = SEED) -> list[Doc]:
    """n item documents shaped like service._item_doc's, varied and sharing many words."""
    rng = random.Random(seed)
    raw = yaml.safe_load(DEPARTMENTS.read_text(encoding="utf-8"))
    departments = [str(d["name"]) for d in raw["departments"]]
    types = list(ITEM_TYPE_LABELS.values())
    out = []
    for k in range(n):
        obj = rng.choice(OBJECTS)
        out.append(
            Doc(
                kind="item",
                code=f"syn-{k:06d}",
                name=_name(rng, obj),
                summary=_summary(rng, obj),
                url=f"/items/syn-{k:06d}",
                department=rng.choice(departments),
                extra=f"{rng.choice(types)} {obj}{rng.choice(RESULTS)}",
            )
        )
    return out


# ---------------------------------------------------------------- where a query's time goes


def _where(func: Callable[..., Any]) -> tuple[str, int]:
    code = func.__code__
    return code.co_filename, code.co_firstlineno


def profile_queries(index: Index, queries: Sequence[Query], top: int = 14) -> None:
    """cProfile over one round of the queries: the functions that cost the most."""
    profiler = cProfile.Profile()
    profiler.enable()
    for q in queries:
        search(index, q.text, LIMIT)
    profiler.disable()
    stats = pstats.Stats(profiler)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    n = len(queries)
    known = {
        _where(search): "search.search",
        _where(read_query): "search.read_query",
        _where(search_module._bundles_first): "search._bundles_first",
        _where(search_module._pinyin_words): "search._pinyin_words",
        _where(bm25s.BM25.get_scores): "bm25s.BM25.get_scores",
        _where(jieba.Tokenizer.cut_for_search): "jieba.Tokenizer.cut_for_search",
        _where(jieba.Tokenizer.cut): "jieba.Tokenizer.cut",
        _where(Language.words): "text.Language.words (jieba)",
        _where(Language.canonical): "text.Language.canonical (synonyms)",
        _where(pinyin_of): "text.pinyin_of (pypinyin)",
        _where(initials_of): "text.initials_of (pypinyin)",
    }
    total = sum(tt for _, _, tt, _, _ in raw.values())
    print(f"cProfile, one round of {n} queries ({total:.2f} s profiled; cumulative ms per query):")
    rows = [
        (cum, calls, known[(path, line)])
        for (path, line, _), (_, calls, _, cum, _) in raw.items()
        if (path, line) in known
    ]
    for cum, calls, label in sorted(rows, reverse=True):
        print(f"  {label:<46} {cum / n * 1e3:>8.2f} ms   {calls / n:>7.1f} calls/query")
    print(f"cProfile, the {top} largest own times (ms per query):")
    ranked = sorted(raw.items(), key=lambda kv: -kv[1][2])[:top]
    for (path, line, func), (_, calls, tt, _, _) in ranked:
        where = "~" if path == "~" else f"{Path(path).name}:{line}"
        print(f"  {tt / n * 1e3:>8.2f} ms  {calls / n:>9.1f} calls  {func} ({where})")


# ---------------------------------------------------------------- main


@dataclass
class Check:
    label: str
    shown: str
    target: str = ""
    ok: bool | None = None
    """None: reported, no target."""


def _top_docs_counts(docs: Iterable[Doc]) -> str:
    counts = Counter(d.kind for d in docs)
    return ", ".join(f"{counts[k]:,} {k}" for k in ("bundle", "item", "guide", "faq", "policy"))


def main(n: int = SYNTHETIC) -> None:
    """Quality and latency on the demo catalog, then on the synthetic one; a summary."""
    started = time.perf_counter()
    print()
    print(f"智能搜索: {LIMIT} results a query, demo catalog and {n:,} synthetic items")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, bm25s {bm25s.__version__}, "
        f"jieba {jieba.__version__}, numpy {np.__version__}"
    )
    print(f"load average at start: {_load()}")
    queries = load_queries()
    kinds = Counter(q.kind for q in queries)
    print(
        f"labelled queries: {len(queries)} ({kinds['bundle']} bundles, {kinds['item']} items), "
        f"{QUERIES.relative_to(ROOT)}"
    )

    # ---- start-up
    start = time.perf_counter()
    docs = demo_documents()
    _line("demo database + documents (not timed)", f"{_since(start):>8.2f} s   ")
    _line("", _top_docs_counts(docs))
    loaded = language.cache_info().currsize > 0
    start = time.perf_counter()
    language()
    jieba_s = _since(start)
    _line(
        "start-up: jieba dictionary + synonyms",
        f"{jieba_s:>8.2f} s" + ("   (already loaded in this process)" if loaded else ""),
    )
    start = time.perf_counter()
    index = build_index(docs)
    demo_build_s = _since(start)
    _line(f"start-up: build_index, {len(docs):,} documents", f"{demo_build_s:>8.2f} s")
    start = time.perf_counter()
    search(index, queries[0].text, LIMIT)
    _line("start-up: first search (cold)", f"{_since(start) * 1e3:>8.2f} ms")

    # ---- the demo catalog
    print()
    print("demo catalog")
    demo = time_queries(index, queries, DEMO_REPEAT)
    _latency_lines("warm", demo, len(queries), DEMO_REPEAT)
    demo_quality = quality(queries, demo.first)
    _print_quality(demo_quality)
    del index
    gc.collect()

    # ---- the synthetic catalog
    print()
    print(f"synthetic catalog: {n:,} items + the {len(docs):,} real documents")
    start = time.perf_counter()
    synthetic = synthetic_items(n)
    _line("generate items (not timed)", f"{_since(start):>8.2f} s")
    names = Counter(d.name for d in synthetic)
    _line(
        "",
        f"{len(names):,} distinct names from {len(REGIONS)} regions, {len(SUBJECTS)} subjects, "
        f"{len(OBJECTS)} objects, {len(ACTIONS)} actions, {len(QUALIFIERS)} qualifiers",
    )
    for d in synthetic[:3]:
        _line("", f"e.g. {d.name} · {d.summary}")
    big_docs = docs + synthetic
    gc.collect()
    rss_before, peak_before = _rss_mb(), _peak_mb()
    start = time.perf_counter()
    big = build_index(big_docs)
    build_s = _since(start)
    gc.collect()
    rss_after, peak_after = _rss_mb(), _peak_mb()
    _line(f"build_index, {len(big_docs):,} documents", f"{build_s:>8.2f} s")
    _line(
        "memory: ru_maxrss before → after",
        f"{peak_before:>8,.0f} → {peak_after:,.0f} MB   (+{peak_after - peak_before:,.0f} MB peak)",
    )
    _line(
        "memory: VmRSS before → after (kept)",
        f"{rss_before:>8,.0f} → {rss_after:,.0f} MB   (+{rss_after - rss_before:,.0f} MB)",
    )
    _line(
        "",
        f"{len(big.bm25.vocab_dict):,} tokens in bm25s; {len(big.names):,} names scanned "
        f"per query; {len(big.one_off):,} typo keys",
    )
    start = time.perf_counter()
    search(big, queries[0].text, LIMIT)
    _line("first search (cold)", f"{_since(start) * 1e3:>8.2f} ms")
    large = time_queries(big, queries, SYNTHETIC_REPEAT)
    _latency_lines("warm", large, len(queries), SYNTHETIC_REPEAT)
    big_quality = quality(queries, large.first)
    _print_quality(big_quality)
    synthetic_top = sum(
        1
        for hits in large.first
        if (ranked := [h for h in hits if h.kind in RANKED]) and ranked[0].code.startswith("syn-")
    )
    _line("queries whose first result is a synthetic item", f"{synthetic_top:>8}")

    p99 = large.p(99)
    if p99 >= TARGET_P99_MS:
        print()
        print(f"where a query's time goes on the {len(big_docs):,}-document index")
        profile_queries(big, queries)

    # ---- summary
    d_all, b_all = demo_quality["all"], big_quality["all"]
    d_b, b_b = demo_quality["bundle"], big_quality["bundle"]
    d_i, b_i = demo_quality["item"], big_quality["item"]
    total = _since(started)
    summary = [
        Check(
            f"p99, {n // 1000}k-item catalog",
            f"{p99:.2f} ms",
            f"< {TARGET_P99_MS:g} ms",
            p99 < TARGET_P99_MS,
        ),
        Check(f"p50, {n // 1000}k-item catalog", f"{large.p(50):.2f} ms"),
        Check(f"p99 CPU time, {n // 1000}k-item catalog", f"{large.p(99, cpu=True):.2f} ms"),
        Check(
            "p99, demo catalog",
            f"{demo.p(99):.2f} ms",
            f"< {TARGET_P99_MS:g} ms",
            demo.p(99) < TARGET_P99_MS,
        ),
        Check(f"build_index, {n // 1000}k items", f"{build_s:.1f} s", "", None),
        Check("top-1 / top-3, demo", f"{_pct(d_all.top1, d_all.n)} / {_pct(d_all.top3, d_all.n)}"),
        Check("  bundles", f"{_pct(d_b.top1, d_b.n)} / {_pct(d_b.top3, d_b.n)}"),
        Check("  items", f"{_pct(d_i.top1, d_i.n)} / {_pct(d_i.top3, d_i.n)}"),
        Check(
            f"top-1 / top-3, {n // 1000}k items",
            f"{_pct(b_all.top1, b_all.n)} / {_pct(b_all.top3, b_all.n)}",
        ),
        Check("  bundles", f"{_pct(b_b.top1, b_b.n)} / {_pct(b_b.top3, b_b.n)}"),
        Check("  items", f"{_pct(b_i.top1, b_i.n)} / {_pct(b_i.top3, b_i.n)}"),
        Check(
            "top-1 lost to the synthetic items",
            f"{(d_all.top1 - b_all.top1) / d_all.n * 100:.1f} points",
        ),
        Check("whole bench/search run", f"{total:.0f} s", "", None),
    ]
    print()
    print(" summary ".center(84, "-"))
    for c in summary:
        status = "" if c.ok is None else ("PASS" if c.ok else "FAIL")
        print(f"{_pad(c.label, 36)} {c.shown:>20}   {c.target or 'no target':<16} {status}")
    print("-" * 84)
    print(f"load average at the end: {_load()} (on {os.cpu_count()} cores)")


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.1%}"


if __name__ == "__main__":
    main()
