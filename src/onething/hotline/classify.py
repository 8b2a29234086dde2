"""智能分拨: propose the department, type and category of a 12345 ticket from its text.

jieba words and character n-grams (TF-IDF) feed linear SVMs whose scores are calibrated into
probabilities (CalibratedClassifierCV, sigmoid). The department model learns from the
labelled tickets under data/hotline/ and from each department's duties in
data/catalog/departments.yaml (each duty and each category name is one more short example),
so a department the tickets rarely mention still has its own words.

The held-out split is deterministic (20 %, stratified by department, fixed seed): `train`
reports top-1 and top-3 accuracy on it, then fits the shipped model on everything. The model
is saved with joblib under var/hotline/ together with a fingerprint of the data and the
library versions, and trained again when either changes. No network is ever used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import jieba
import joblib
import numpy as np
import sklearn
import yaml
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.svm import LinearSVC

from onething.config import get_settings

SEED = 12345
HELD_OUT = 0.2
MODEL_FORMAT = 1
DISTRICT = "410103"

jieba.setLogLevel(logging.WARNING)
_log = logging.getLogger(__name__)


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Example:
    text: str
    type: str
    department: str
    category: str
    urgency: str


@dataclass(frozen=True)
class Corpus:
    tickets: list[Example]
    categories: dict[str, list[str]]
    """department code → its categories (分类), in the corpus's order."""
    departments: dict[str, str]
    """department code → name, exactly as departments.md writes it."""
    duties: dict[str, list[str]]
    fingerprint: str


def _data_files() -> list[tuple[str, bytes]]:
    root = resources.files("onething") / "data"
    hotline = root / "hotline"
    names = sorted(p.name for p in hotline.iterdir() if p.name.endswith(".yaml"))
    files = [(f"hotline/{n}", (hotline / n).read_bytes()) for n in names]
    files.append(("catalog/departments.yaml", (root / "catalog" / "departments.yaml").read_bytes()))
    return files


def load_corpus() -> Corpus:
    files = _data_files()
    digest = hashlib.sha256()
    tickets: list[Example] = []
    categories: dict[str, list[str]] = {}
    departments: dict[str, str] = {}
    duties: dict[str, list[str]] = {}
    for name, raw in files:
        digest.update(name.encode() + b"\0" + raw)
        doc = yaml.safe_load(raw)
        if name.startswith("hotline/"):
            for code, cats in (doc.get("categories") or {}).items():
                categories.setdefault(code, []).extend(c for c in cats if c not in categories)
            for t in doc.get("tickets") or []:
                tickets.append(
                    Example(
                        str(t["text"]).strip(),
                        str(t["type"]),
                        str(t["department"]),
                        str(t["category"]),
                        str(t.get("urgency", "normal")),
                    )
                )
        else:
            for d in doc["departments"]:
                if str(d["region"]) != DISTRICT:
                    continue
                departments[d["code"]] = d["name"]
                duties[d["code"]] = [
                    s.strip() for s in str(d.get("duties", "")).split(",") if s.strip()
                ]
    digest.update(f"{MODEL_FORMAT}|{sklearn.__version__}|{jieba.__version__}".encode())
    return Corpus(tickets, categories, departments, duties, digest.hexdigest()[:16])


def held_out_split(corpus: Corpus) -> tuple[list[int], list[int]]:
    """Indices of the training and held-out tickets: 20 %, stratified, always the same."""
    idx = list(range(len(corpus.tickets)))
    labels = [t.department for t in corpus.tickets]
    train, test = train_test_split(idx, test_size=HELD_OUT, stratify=labels, random_state=SEED)
    return sorted(train), sorted(test)


# ---------------------------------------------------------------- model


def words(text: str) -> list[str]:
    """jieba's words without spaces and punctuation-only tokens (module-level: picklable)."""
    return [w for w in jieba.lcut(text) if w.strip() and any(ch.isalnum() for ch in w)]


def _pipeline() -> Pipeline:
    features = make_union(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(tokenizer=words, token_pattern=None, lowercase=False, sublinear_tf=True),
    )
    svm = LinearSVC(C=0.5, random_state=SEED)
    return make_pipeline(features, CalibratedClassifierCV(svm, method="sigmoid", cv=3))


def _plain(*, balanced: bool = False) -> Pipeline:
    """Uncalibrated: for labels with too few examples to calibrate (categories, urgency)."""
    return make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True),
        LinearSVC(C=0.5, class_weight="balanced" if balanced else None, random_state=SEED),
    )


@dataclass(frozen=True)
class Choice:
    code: str
    name: str
    confidence: float


@dataclass(frozen=True)
class Proposal:
    department: Choice
    top3: list[Choice]
    type: str
    type_confidence: float
    category: str
    urgency: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "department": self.department.name,
            "code": self.department.code,
            "confidence": round(self.department.confidence, 4),
            "top3": [
                {"department": c.name, "code": c.code, "confidence": round(c.confidence, 4)}
                for c in self.top3
            ],
            "type": self.type,
            "type_confidence": round(self.type_confidence, 4),
            "category": self.category,
            "urgency": self.urgency,
        }


@dataclass
class Classifier:
    departments: dict[str, str]
    categories: dict[str, list[str]]
    department_model: Pipeline
    type_model: Pipeline
    category_model: Pipeline
    urgency_model: Pipeline
    fingerprint: str
    trained_on: int = 0

    def propose(self, texts: Sequence[str]) -> list[Proposal]:
        if not texts:
            return []
        texts = list(texts)
        dept_p = self.department_model.predict_proba(texts)
        dept_cls = list(self.department_model.classes_)
        type_p = self.type_model.predict_proba(texts)
        type_cls = list(self.type_model.classes_)
        cat_p = self.category_model.decision_function(texts)
        cat_cls: list[str] = list(self.category_model.classes_)
        urgency = list(self.urgency_model.predict(texts))
        out = []
        for i in range(len(texts)):
            order = np.argsort(-dept_p[i])[:3]
            top = [
                Choice(dept_cls[j], self.departments[dept_cls[j]], float(dept_p[i][j]))
                for j in order
            ]
            best = top[0].code
            # the most likely category of the proposed department
            prefix = best + "/"
            cands = [(cat_p[i][j], c) for j, c in enumerate(cat_cls) if c.startswith(prefix)]
            category = max(cands)[1].split("/", 1)[1] if cands else ""
            t = int(np.argmax(type_p[i]))
            out.append(
                Proposal(top[0], top, type_cls[t], float(type_p[i][t]), category, str(urgency[i]))
            )
        return out


def _duty_examples(corpus: Corpus) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for code in corpus.departments:
        for phrase in [*corpus.duties.get(code, []), *corpus.categories.get(code, [])]:
            texts.append(phrase)
            labels.append(code)
    return texts, labels


def fit(corpus: Corpus, indices: Sequence[int] | None = None) -> Classifier:
    """Fit every model on the given tickets (all of them by default) and the duties."""
    rows = [corpus.tickets[i] for i in indices] if indices is not None else corpus.tickets
    texts = [t.text for t in rows]
    duty_texts, duty_labels = _duty_examples(corpus)
    dept = _pipeline().fit(texts + duty_texts, [t.department for t in rows] + duty_labels)
    typ = _pipeline().fit(texts, [t.type for t in rows])
    cat_texts = [f"{c}" for code, cs in corpus.categories.items() for c in cs]
    cat_labels = [f"{code}/{c}" for code, cs in corpus.categories.items() for c in cs]
    cat = _plain().fit(
        texts + cat_texts, [f"{t.department}/{t.category}" for t in rows] + cat_labels
    )
    urg = _plain(balanced=True).fit(texts, [t.urgency for t in rows])
    return Classifier(
        corpus.departments, corpus.categories, dept, typ, cat, urg, corpus.fingerprint, len(rows)
    )


@dataclass
class Evaluation:
    held_out: int
    top1: float
    top3: float
    type_accuracy: float
    category_accuracy: float
    tickets_per_second: float
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    """(text, expected code, proposed code) for the held-out tickets routed wrongly."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "held_out": self.held_out,
            "top1": round(self.top1, 4),
            "top3": round(self.top3, 4),
            "type_accuracy": round(self.type_accuracy, 4),
            "category_accuracy": round(self.category_accuracy, 4),
            "tickets_per_second": round(self.tickets_per_second, 1),
        }


def evaluate(corpus: Corpus) -> Evaluation:
    """Train on the training part of the split and measure on the held-out part."""
    train, test = held_out_split(corpus)
    model = fit(corpus, train)
    rows = [corpus.tickets[i] for i in test]
    started = time.perf_counter()
    proposals = model.propose([t.text for t in rows])
    seconds = time.perf_counter() - started
    top1 = sum(p.department.code == t.department for p, t in zip(proposals, rows, strict=True))
    top3 = sum(
        t.department in {c.code for c in p.top3} for p, t in zip(proposals, rows, strict=True)
    )
    types = sum(p.type == t.type for p, t in zip(proposals, rows, strict=True))
    cats = sum(
        p.department.code == t.department and p.category == t.category
        for p, t in zip(proposals, rows, strict=True)
    )
    n = len(rows)
    misses = [
        (t.text, t.department, p.department.code)
        for p, t in zip(proposals, rows, strict=True)
        if p.department.code != t.department
    ]
    return Evaluation(n, top1 / n, top3 / n, types / n, cats / n, n / seconds, misses)


# ---------------------------------------------------------------- persistence


def model_path() -> Path:
    return get_settings().var_dir / "hotline" / "classifier.joblib"


def save(model: Classifier, path: Path | None = None) -> Path:
    path = path or model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    joblib.dump(model, tmp)
    tmp.replace(path)
    return path


def load(path: Path, fingerprint: str) -> Classifier | None:
    """The saved model if it was trained on exactly this data with these libraries."""
    if not path.is_file():
        return None
    try:
        model = joblib.load(path)
    except Exception:  # a damaged or foreign file: train again
        _log.warning("hotline model %s unreadable; training again", path)
        return None
    if not isinstance(model, Classifier) or model.fingerprint != fingerprint:
        return None
    return model


_lock = threading.Lock()
_cached: Classifier | None = None


def train(
    path: Path | None = None, corrections: Sequence[Example] = ()
) -> tuple[Classifier, Evaluation]:
    """Measure on the held-out split, fit on everything and on the dispatchers' corrections
    (tickets a dispatcher sent elsewhere than proposed: what the model got wrong), save.

    The held-out figure is always the corpus's own split, so it stays comparable."""
    global _cached
    corpus = load_corpus()
    report = evaluate(corpus)
    model = fit(replace(corpus, tickets=[*corpus.tickets, *corrections]))
    save(model, path)
    with _lock:
        _cached = model
    return model, report


def classifier() -> Classifier:
    """The model, trained at first use when no saved one matches the data."""
    global _cached
    with _lock:
        if _cached is not None:
            return _cached
        corpus = load_corpus()
        path = model_path()
        model = load(path, corpus.fingerprint)
        if model is None:
            model = fit(corpus)
            try:
                save(model, path)
            except OSError:
                _log.warning("hotline model could not be saved to %s", path)
        _cached = model
        return model


def propose(text: str) -> Proposal:
    return classifier().propose([text])[0]
