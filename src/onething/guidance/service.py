"""The documents search and Q&A work on, read from the catalog, the policies and the FAQ, and
the index kept per process until any of them changes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onething.catalog import service as catalog
from onething.catalog.models import Bundle, ServiceItem
from onething.catalog.schemas import ITEM_TYPE_LABELS
from onething.guidance.search import Doc, Hit, Index, build_index, search
from onething.guidance.text import DATA
from onething.policies.models import Policy

FAQ_FILE = DATA / "faq.yaml"
SECTIONS = {
    "conditions": "受理条件",
    "materials": "申请材料",
    "fees": "收费标准",
    "time": "办理时限",
    "place": "办理地点和时间",
    "process": "办理流程",
}


@dataclass(frozen=True)
class Faq:
    question: str
    answer: str
    kind: str
    code: str
    section: str


def load_faqs(path: Path = FAQ_FILE) -> list[Faq]:
    if not path.exists():
        return []
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        Faq(f["question"], f["answer"], f["about"]["kind"], str(f["about"]["code"]), f["section"])
        for f in raw.get("faqs", [])
    ]


def item_sections(item: ServiceItem) -> dict[str, str]:
    """The guide (办事指南) of an item as the sections Q&A quotes from."""
    materials = "；".join(
        f"{m['name']}（{'原件' if m.get('form') == 'paper' else '电子或纸质'}）"
        for m in item.materials
    )
    steps = "、".join(s["name"] for s in item.steps)
    depth = item.online_depth or []
    online = "可全程网上办理" if 5 in depth else ("可网上申请" if 2 in depth else "须到现场办理")
    return {
        "conditions": item.conditions,
        "materials": materials or "无需提交材料",
        "fees": item.fee if item.fee_required else f"不收费。{item.fee}".rstrip("。") + "。",
        "time": f"法定办结时限{item.statutory_days}个工作日，"
        f"承诺办结时限{item.promised_days}个工作日；到现场{item.visits}次。",
        "place": f"{item.place or '各级政务服务中心'}；{item.office_hours or '工作日'}；"
        f"咨询电话{item.phone or '12345'}。",
        "process": f"办理环节：{steps}。{online}。",
    }


def _bundle_doc(b: Bundle) -> Doc:
    situations = " ".join(
        f"{s['question']} " + " ".join(o["label"] for o in s.get("options", []))
        for s in b.situations
    )
    items = " ".join(m.item.name for m in b.members)
    return Doc(
        kind="bundle",
        code=b.code,
        name=b.name,
        summary=b.summary,
        url=f"/bundles/{b.code}",
        department=b.lead_department.name,
        extra=f"{b.theme} {situations} {items}",
        members=tuple(m.item.code for m in b.members),
    )


def _item_doc(i: ServiceItem) -> Doc:
    return Doc(
        kind="item",
        code=i.code,
        name=i.name,
        summary=(i.conditions or "")[:160],
        url=f"/items/{i.code}",
        department=i.department.name,
        extra=f"{ITEM_TYPE_LABELS.get(i.item_type, '')} {i.result_name}",
    )


def documents(session: Session) -> list[Doc]:
    bundles = catalog.list_bundles(session)
    items = list(session.scalars(select(ServiceItem).order_by(ServiceItem.code)))
    docs = [_bundle_doc(b) for b in bundles] + [_item_doc(i) for i in items]
    for i in items:
        for key, text in item_sections(i).items():
            docs.append(
                Doc(
                    kind="guide",
                    code=f"{i.code}#{key}",
                    name=f"{i.name} · {SECTIONS[key]}",
                    summary=text[:200],
                    url=f"/items/{i.code}#{key}",
                    department=i.department.name,
                    extra=text,
                )
            )
    for n, f in enumerate(load_faqs()):
        docs.append(
            Doc(
                kind="faq",
                code=f"faq-{n + 1}",
                name=f.question,
                summary=f.answer,
                url=f"/{'bundles' if f.kind == 'bundle' else 'items'}/{f.code}#{f.section}",
                extra=f.answer,
            )
        )
    for p in session.scalars(select(Policy).where(Policy.retired.is_(False)).order_by(Policy.code)):
        docs.append(
            Doc(
                kind="policy",
                code=p.code,
                name=p.name,
                summary=p.summary,
                url=f"/policies/{p.code}",
                department=p.department.name,
                extra=p.benefit.get("description", ""),
            )
        )
    return docs


_lock = threading.Lock()
_cached: tuple[tuple[Any, ...], Index] | None = None


def _signature(session: Session) -> tuple[Any, ...]:
    """Changes whenever the catalog or the policies do (an import bumps versions and times)."""
    out: list[Any] = []
    for model in (ServiceItem, Bundle, Policy):
        out.extend(session.execute(select(func.count(), func.max(model.updated_at))).one())
    if FAQ_FILE.exists():
        out.append(FAQ_FILE.stat().st_mtime_ns)
    return tuple(str(v) for v in out)


def current_index(session: Session) -> Index:
    """The index for what the database holds now, built again only after a change."""
    global _cached
    signature = _signature(session)
    with _lock:
        if _cached is None or _cached[0] != signature:
            _cached = (signature, build_index(documents(session)))
        return _cached[1]


def search_catalog(session: Session, query: str, limit: int = 20) -> list[Hit]:
    return search(current_index(session), query, limit)
