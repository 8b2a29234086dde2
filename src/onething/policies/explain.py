"""Why a profile does not meet a policy, in words a person understands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from onething.policies.rules import All, Atom, Const, Describer, Node, Not, Unmet
from onething.profiles.attributes import AttrType, load_dictionary

_NEGATE = {
    "eq": "ne",
    "ne": "eq",
    "lt": "ge",
    "ge": "lt",
    "le": "gt",
    "gt": "le",
}
_ORDER_WORDS = {"lt": "小于", "le": "不超过", "gt": "大于", "ge": "不低于"}


def _show(value: Any, unit: str, kind: AttrType) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value}{unit}" if kind in (AttrType.int, AttrType.decimal) else str(value)


def describer(region_names: Mapping[str, str]) -> Describer:
    """A describer naming regions by their names (codes of unknown regions stay codes)."""

    def region(code: str) -> str:
        return region_names.get(code.ljust(12, "0"), code)

    def describe(atom: Atom, negated: bool, actual: Any) -> Unmet:
        attr = load_dictionary().attributes[atom.attr]
        label, unit, t = attr.label, attr.unit, attr.type
        op, lit = atom.op, atom.value
        if negated and op in _NEGATE:
            op, negated = _NEGATE[op], False
        no = "不" if negated else ""
        if op in ("eq", "ne") and lit is None:
            need = "须已登记" if (op == "ne") else "须未登记"
        elif op in ("eq", "ne") and t == AttrType.bool:
            need = "须为“是”" if (lit is True) == (op == "eq") else "须为“否”"
        elif op == "eq":
            need = f"须为“{_show(lit, unit, t)}”"
        elif op == "ne":
            need = f"不能为“{_show(lit, unit, t)}”"
        elif op in _ORDER_WORDS:
            need = f"须{_ORDER_WORDS[op]} {_show(lit, unit, t)}"
        elif op == "in":
            need = f"须{no}为{'、'.join(_show(v, unit, t) for v in lit)}之一"
        elif op == "contains":
            need = f"须{no}包含“{lit}”"
        elif op == "in_region":
            need = f"须{no}在{region(lit)}"
        elif op == "starts_with":
            need = f"须{no}属于{'、'.join(lit)}类"
        else:
            need = "须为“否”" if negated else ("须为“是”" if t == AttrType.bool else "须大于 0")
        if actual is None:
            shown = "您的信息中没有登记"
        elif t == AttrType.region:
            shown = f"您的为{region(str(actual))}"
        else:
            shown = f"您的为{_show(actual, unit, t)}"
        return Unmet(atom.attr, f"{label}{need}", shown)

    return describe


def requirement_lines(node: Node, describe: Describer) -> list[str]:
    """A policy's conditions as lines a person can read: each part of the top `and` on its own
    line, alternatives joined by 或."""
    if isinstance(node, All):
        return [line for c in node.children for line in requirement_lines(c, describe)]
    return [_phrase(node, describe, negated=False, top=True)]


def _phrase(node: Node, describe: Describer, negated: bool, top: bool = False) -> str:
    if isinstance(node, Atom):
        return describe(node, negated, None).requirement
    if isinstance(node, Not):
        return _phrase(node.child, describe, not negated, top)
    if isinstance(node, Const):
        return "所有人" if node.value != negated else "无人符合"
    parts = [_phrase(c, describe, negated) for c in node.children]
    if len(parts) == 1:
        return parts[0]
    if isinstance(node, All) != negated:
        return "，且".join(parts)
    return "满足其一：" + "；或".join(parts) if top else "（" + "，或".join(parts) + "）"
