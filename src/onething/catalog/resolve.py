"""From a bundle and the applicant's situation answers to the items, one form and one
material list that apply; and the bundle's figures (减材料、减时限、减跑动) computed from them."""

from __future__ import annotations

import graphlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from onething.catalog import schemas
from onething.core.errors import DomainError, ErrorDetail

Answers = Mapping[str, str | Sequence[str]]


class MaterialStatus(StrEnum):
    ask = "ask"  # the applicant provides it
    issued = "issued"  # an item of this bundle issues it (result_key)
    shared = "shared"  # the platform obtains it by data sharing
    merged = "merged"  # an item's application form, replaced by the bundle's one form


@dataclass
class MaterialNeed:
    material: schemas.Material
    item_names: list[str]
    status: MaterialStatus


@dataclass
class ResolvedBundle:
    bundle: schemas.Bundle | None
    """None when a single item is applied for on its own."""
    answers: dict[str, list[str]]
    items: list[schemas.Item]
    """In an order that respects dependencies."""
    after: dict[str, list[str]]
    fields: list[schemas.FormField]
    materials: list[MaterialNeed]
    critical_days: int
    review_stages: int
    """Sequential rounds of parallel review: items in one round run at the same time."""

    @property
    def asked_materials(self) -> list[MaterialNeed]:
        return [m for m in self.materials if m.status == MaterialStatus.ask]


def normalise_answers(bundle: schemas.Bundle, answers: Answers) -> dict[str, list[str]]:
    """Check answers against the bundle's questions; every problem is reported at once."""
    errors: list[ErrorDetail] = []
    out: dict[str, list[str]] = {}
    situations = {s.key: s for s in bundle.situations}
    for key, raw in answers.items():
        sit = situations.get(key)
        if sit is None:
            errors.append(ErrorDetail(f"没有这个情形问题：{key}", field=key))
            continue
        values = [raw] if isinstance(raw, str) else list(raw)
        allowed = {o.value for o in sit.options}
        bad = [v for v in values if v not in allowed]
        if bad:
            errors.append(ErrorDetail(f"“{sit.question}”没有选项 {'、'.join(bad)}", field=key))
        elif len(values) > 1 and not sit.multiple:
            errors.append(ErrorDetail(f"“{sit.question}”只能选一项", field=key))
        else:
            out[key] = values
    if errors:
        raise DomainError("invalid_answers", "情形选择有误", 422, details=errors)
    return out


def missing_answers(bundle: schemas.Bundle, answers: Mapping[str, Sequence[str]]) -> list[str]:
    return [s.key for s in bundle.situations if not answers.get(s.key)]


def resolve_bundle(
    bundle: schemas.Bundle, items: Mapping[str, schemas.Item], answers: Answers
) -> ResolvedBundle:
    chosen = normalise_answers(bundle, answers)
    include_items: set[str] = set()
    exclude_items: set[str] = set()
    include_materials: set[str] = set()
    exclude_materials: set[str] = set()
    for sit in bundle.situations:
        for opt in sit.options:
            if opt.value in chosen.get(sit.key, []):
                include_items.update(opt.include_items)
                exclude_items.update(opt.exclude_items)
                include_materials.update(opt.include_materials)
                exclude_materials.update(opt.exclude_materials)
    codes = [
        bi.item
        for bi in bundle.items
        if (not bi.optional or bi.item in include_items) and bi.item not in exclude_items
    ]
    code_set = set(codes)
    after = {
        bi.item: [d for d in bi.after if d in code_set]
        for bi in bundle.items
        if bi.item in code_set
    }
    sorter = graphlib.TopologicalSorter({c: after[c] for c in codes})
    order = list(sorter.static_order())
    chosen_items = [items[c] for c in order]
    issued = {i.result_key for i in chosen_items if i.result_key}

    fields: dict[str, schemas.FormField] = {}
    for source in [*[i.fields for i in chosen_items], bundle.fields]:
        for f in source:
            if f.key in fields:
                if f.required and not fields[f.key].required:
                    fields[f.key] = fields[f.key].model_copy(update={"required": True})
            else:
                fields[f.key] = f

    needs: dict[str, MaterialNeed] = {}
    for item in chosen_items:
        for m in item.materials:
            if m.key in exclude_materials:
                continue
            _add_need(needs, m, item.name, issued, m.key in include_materials)
    for m in bundle.materials:
        if m.key in include_materials and m.key not in exclude_materials:
            _add_need(needs, m, bundle.name, issued, True)

    finish: dict[str, int] = {}
    layer: dict[str, int] = {}
    for code in order:
        start = max((finish[d] for d in after[code]), default=0)
        finish[code] = start + items[code].promised_days
        layer[code] = 1 + max((layer[d] for d in after[code]), default=0)
    return ResolvedBundle(
        bundle=bundle,
        answers=chosen,
        items=chosen_items,
        after=after,
        fields=list(fields.values()),
        materials=list(needs.values()),
        critical_days=max(finish.values(), default=0),
        review_stages=max(layer.values(), default=0),
    )


def resolve_item(item: schemas.Item) -> ResolvedBundle:
    """A single item applied for on its own: its fields and materials, nothing merged away."""
    needs: dict[str, MaterialNeed] = {}
    for m in item.materials:
        _add_need(needs, m, item.name, set(), False)
    return ResolvedBundle(
        bundle=None,
        answers={},
        items=[item],
        after={item.code: []},
        fields=list(item.fields),
        materials=list(needs.values()),
        critical_days=item.promised_days,
        review_stages=1,
    )


def _add_need(
    needs: dict[str, MaterialNeed],
    m: schemas.Material,
    owner: str,
    issued: set[str],
    forced: bool,
) -> None:
    if m.key in needs:
        need = needs[m.key]
        need.item_names.append(owner)
        if m.necessity == schemas.Necessity.required and need.material.necessity != m.necessity:
            need.material = need.material.model_copy(update={"necessity": m.necessity})
        return
    if m.key in issued:
        status = MaterialStatus.issued
    elif m.application_form:
        status = MaterialStatus.merged
    elif m.shared and not forced:
        status = MaterialStatus.shared
    else:
        status = MaterialStatus.ask
    needs[m.key] = MaterialNeed(m, [owner], status)


# ---------------------------------------------------------------- figures


@dataclass
class Figures:
    materials: int
    fields: int
    steps: int
    visits: int
    days: int


@dataclass
class BundleMetrics:
    code: str
    name: str
    scenario: dict[str, list[str]]
    item_count: int
    one_by_one: Figures
    as_bundle: Figures
    promised_days: int | None
    reduction: Figures = field(init=False)

    def __post_init__(self) -> None:
        a, b = self.one_by_one, self.as_bundle
        self.reduction = Figures(
            a.materials - b.materials,
            a.fields - b.fields,
            a.steps - b.steps,
            a.visits - b.visits,
            a.days - b.days,
        )


def widest_scenario(bundle: schemas.Bundle) -> dict[str, list[str]]:
    """The answers that bring in the most items: the figures describe the whole bundle."""
    answers: dict[str, list[str]] = {}
    for sit in bundle.situations:
        if sit.multiple:
            picks = [o.value for o in sit.options if o.include_items and not o.exclude_items]
            answers[sit.key] = picks or [sit.options[0].value]
        else:
            best = max(sit.options, key=lambda o: len(o.include_items) - len(o.exclude_items))
            answers[sit.key] = [best.value]
    return answers


def _counted(materials: Sequence[schemas.Material]) -> int:
    return sum(1 for m in materials if m.necessity != schemas.Necessity.optional)


def bundle_metrics(bundle: schemas.Bundle, items: Mapping[str, schemas.Item]) -> BundleMetrics:
    scenario = widest_scenario(bundle)
    resolved = resolve_bundle(bundle, items, scenario)
    chosen = resolved.items
    one = Figures(
        materials=sum(_counted(i.materials) for i in chosen),
        fields=sum(len(i.fields) for i in chosen),
        steps=sum(len(i.steps) for i in chosen),
        visits=sum(i.visits for i in chosen),
        days=sum(i.promised_days for i in chosen),
    )
    together = Figures(
        materials=_counted([m.material for m in resolved.asked_materials]),
        fields=len(resolved.fields),
        # One window accepts, each round of parallel review is one step, one window issues.
        steps=2 + resolved.review_stages,
        visits=max((i.visits for i in chosen), default=0),
        days=resolved.critical_days,
    )
    return BundleMetrics(
        bundle.code, bundle.name, scenario, len(chosen), one, together, bundle.promised_days
    )
