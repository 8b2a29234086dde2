"""政策条件颗粒化: eligibility conditions as JsonLogic, checked against the attribute dictionary.

A condition is standard JsonLogic (https://jsonlogic.com) over the profile attributes, plus two
operations of this project: `in_region` (the value lies in a region's subtree, 410100 = all of
郑州市) and `starts_with` (a classification code begins with one of the given prefixes).

`parse` checks a condition against the dictionary and turns it into a small typed tree:
atoms (one attribute, one operation, one literal) under and / or / not. Both engines, this
module's per-profile evaluator and `engine.py`'s columnar one, evaluate that tree, and each atom's
truth on one value is defined once, by `atom_holds`, with JsonLogic's loose semantics as the
json-logic library implements them: a missing value never satisfies a comparison, `!=` holds
for it, and a missing yes/no attribute counts as 否.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from onething.core.errors import DomainError, ErrorDetail
from onething.core.ids import region_prefix
from onething.profiles.attributes import (
    NUMERIC,
    ORDERED,
    TEXTUAL,
    TYPE_LABELS,
    Attribute,
    AttrType,
    Dictionary,
    ProfileKind,
    load_dictionary,
)

COMPARISONS = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
FLIPPED = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}
SUPPORTED = "and, or, !, !!, ==, !=, <, <=, >, >=, in, in_region, starts_with, var"


@dataclass(frozen=True)
class Atom:
    attr: str
    op: str
    """eq, ne, lt, le, gt, ge, in (value in a list), contains (text in the value), in_region,
    starts_with, truthy."""
    value: Any = None

    @property
    def key(self) -> str:
        return json.dumps([self.attr, self.op, self.value], ensure_ascii=False)


@dataclass(frozen=True)
class Not:
    child: Node

    @property
    def key(self) -> str:
        return f"!{self.child.key}"


@dataclass(frozen=True)
class All:
    children: tuple[Node, ...]

    @property
    def key(self) -> str:
        return "and(" + ",".join(c.key for c in self.children) + ")"


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Node, ...]

    @property
    def key(self) -> str:
        return "or(" + ",".join(c.key for c in self.children) + ")"


@dataclass(frozen=True)
class Const:
    value: bool

    @property
    def key(self) -> str:
        return "true" if self.value else "false"


Node = Atom | Not | All | AnyOf | Const


# ---------------------------------------------------------------- one value, one atom


def soft_equals(a: Any, b: Any) -> bool:
    """JsonLogic `==`: text compares as text, a yes/no compares by truth, numbers by value."""
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) is bool(b)
    return bool(a == b)


def less(a: Any, b: Any) -> bool:
    """JsonLogic `<`: numbers compare as numbers, ISO dates as text; a missing side is false."""
    if {type(a), type(b)} & {float, int}:
        try:
            a, b = float(a), float(b)
        except (TypeError, ValueError):
            return False
    try:
        return bool(a < b)
    except TypeError:
        return False


def in_region(value: Any, region: str) -> bool:
    if not isinstance(value, str) or not value.isdigit():
        return False
    return value.ljust(12, "0").startswith(region_prefix(region.ljust(12, "0")))


def atom_holds(op: str, value: Any, literal: Any) -> bool:
    """Whether one profile value satisfies one atom: the single definition both engines use."""
    if op == "eq":
        return soft_equals(value, literal)
    if op == "ne":
        return not soft_equals(value, literal)
    if op == "lt":
        return less(value, literal)
    if op == "gt":
        return less(literal, value)
    if op == "le":
        return less(value, literal) or soft_equals(value, literal)
    if op == "ge":
        return less(literal, value) or soft_equals(value, literal)
    if op == "in":
        return value in literal
    if op == "contains":
        return isinstance(value, str) and literal in value
    if op == "in_region":
        return in_region(value, literal)
    if op == "starts_with":
        return isinstance(value, str) and value.startswith(tuple(literal))
    if op == "truthy":
        return bool(value)
    raise ValueError(f"unknown atom operation {op}")


# ---------------------------------------------------------------- checking and parsing


class _Parser:
    def __init__(self, dictionary: Dictionary, kind: ProfileKind | None) -> None:
        self.dictionary = dictionary
        self.kind = kind
        self.errors: list[ErrorDetail] = []

    def fail(self, path: str, rule: Any, message: str) -> Const:
        shown = json.dumps(rule, ensure_ascii=False, default=str)
        self.errors.append(ErrorDetail(f"条件 {shown}：{message}", location=path))
        return Const(False)

    def node(self, rule: Any, path: str) -> Node:
        if isinstance(rule, bool):
            return Const(rule)
        if not isinstance(rule, dict) or len(rule) != 1:
            return self.fail(path, rule, '每个条件应是只有一个运算符的对象，如 {">=": [...]}')
        op, args = next(iter(rule.items()))
        here = f"{path}.{op}"
        if op == "var":
            attr = self.var(rule, here)
            if attr is None:
                return Const(False)
            if attr.type not in (AttrType.bool, *NUMERIC):
                return self.fail(here, rule, f"{attr.label}是{TYPE_LABELS[attr.type]}，请写成比较")
            return Atom(attr.name, "truthy")
        if op in ("and", "or"):
            if not isinstance(args, list) or not args:
                return self.fail(here, rule, f"{op} 需要一个非空的条件列表")
            kids = tuple(self.node(a, f"{here}[{i}]") for i, a in enumerate(args))
            return All(kids) if op == "and" else AnyOf(kids)
        if op in ("!", "!!"):
            inner = args[0] if isinstance(args, list) and len(args) == 1 else args
            if isinstance(args, list) and len(args) != 1:
                return self.fail(here, rule, f"{op} 只接受一个条件")
            child = self.node(inner, f"{here}[0]")
            return Not(child) if op == "!" else child
        if not isinstance(args, list):
            return self.fail(here, rule, f"{op} 的参数应是列表")
        if op in COMPARISONS:
            return self.comparison(rule, op, args, here)
        if op == "in":
            return self.in_(rule, args, here)
        if op in ("in_region", "starts_with"):
            return self.prefix(rule, op, args, here)
        return self.fail(here, rule, f"不支持的运算符“{op}”（可用：{SUPPORTED}）")

    def var(self, rule: Any, path: str) -> Attribute | None:
        if not isinstance(rule, dict) or list(rule) != ["var"]:
            return None
        name = rule["var"]
        if isinstance(name, list):
            if len(name) != 1:
                self.fail(path, rule, "不支持缺省值，缺少的属性按“未登记”处理")
                return None
            name = name[0]
        if not isinstance(name, str):
            self.fail(path, rule, "属性名应是文字")
            return None
        attr = self.dictionary.get(name)
        if attr is None:
            self.fail(path, rule, f"未知属性“{name}”，请使用画像属性词表中的名称")
            return None
        if self.kind is not None and attr.kind != self.kind:
            self.fail(path, rule, f"属性“{name}”属于{_kind_label(attr.kind)}画像，与政策对象不符")
            return None
        return attr

    def literal(self, rule: Any, attr: Attribute, value: Any, path: str) -> tuple[bool, Any]:
        """Check one literal against the attribute's type; dates are ISO text."""
        t = attr.type
        bad = f"{attr.label}是{TYPE_LABELS[t]}，不能与 {json.dumps(value, ensure_ascii=False)} 比较"
        if value is None:
            return True, None
        if t in NUMERIC:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif t == AttrType.bool:
            ok = isinstance(value, bool)
        elif t == AttrType.date:
            ok = isinstance(value, str) and _is_iso_date(value)
            bad = f"{attr.label}是日期，应写成 YYYY-MM-DD，而不是 {value!r}"
        elif t == AttrType.enum:
            ok = isinstance(value, str) and value in attr.values
            bad = f"“{value}”不是{attr.label}的可选值（{'、'.join(attr.values)}）"
        elif t == AttrType.region:
            ok = isinstance(value, str) and value.isdigit() and len(value) in (6, 9, 12)
            bad = f"{attr.label}应写成 6、9 或 12 位行政区划代码，而不是 {value!r}"
        else:
            ok = isinstance(value, str) and bool(value)
        if not ok:
            self.fail(path, rule, bad)
        return ok, value

    def comparison(self, rule: Any, op: str, args: list[Any], path: str) -> Node:
        name = COMPARISONS[op]
        if len(args) == 3:
            if op not in ("<", "<="):
                return self.fail(path, rule, f"只有 < 和 <= 可以写成区间（三个参数），{op} 不行")
            low, middle, high = args
            attr = self.var(middle, path)
            if attr is None:
                return self.fail(path, rule, '区间的中间一项应是 {"var": 属性名}')
            if attr.type not in ORDERED:
                return self.fail(path, rule, f"{attr.label}是{TYPE_LABELS[attr.type]}，没有大小")
            ok_low, low = self.literal(rule, attr, low, path)
            ok_high, high = self.literal(rule, attr, high, path)
            if not (ok_low and ok_high) or low is None or high is None:
                return Const(False)
            return All((Atom(attr.name, FLIPPED[name], low), Atom(attr.name, name, high)))
        if len(args) != 2:
            return self.fail(path, rule, f"{op} 需要两个参数")
        left, right = args
        if _is_var(left) and not _is_var(right):
            attr, value = self.var(left, path), right
        elif _is_var(right) and not _is_var(left):
            attr, value, name = self.var(right, path), left, FLIPPED[name]
        else:
            return self.fail(path, rule, '比较的一边应是属性 {"var": 名称}，另一边是具体的值')
        if attr is None:
            return Const(False)
        if name not in ("eq", "ne") and attr.type not in ORDERED:
            return self.fail(path, rule, f"{attr.label}是{TYPE_LABELS[attr.type]}，不能比较大小")
        ok, value = self.literal(rule, attr, value, path)
        if not ok:
            return Const(False)
        if value is None and name not in ("eq", "ne"):
            return self.fail(path, rule, "不能与空值比较大小")
        return Atom(attr.name, name, value)

    def in_(self, rule: Any, args: list[Any], path: str) -> Node:
        if len(args) != 2:
            return self.fail(path, rule, "in 需要两个参数")
        needle, haystack = args
        if _is_var(needle) and isinstance(haystack, list):
            attr = self.var(needle, path)
            if attr is None:
                return Const(False)
            if attr.type not in (*TEXTUAL, AttrType.int):
                return self.fail(
                    path, rule, f"{attr.label}是{TYPE_LABELS[attr.type]}，不能用 in 列表"
                )
            if not haystack:
                return self.fail(path, rule, "in 的列表不能为空")
            values = []
            for v in haystack:
                ok, v = self.literal(rule, attr, v, path)
                if not ok:
                    return Const(False)
                if v is None:
                    return self.fail(path, rule, "列表中不能有空值")
                values.append(v)
            return Atom(attr.name, "in", _unique(values))
        if isinstance(needle, str) and _is_var(haystack):
            attr = self.var(haystack, path)
            if attr is None:
                return Const(False)
            if attr.type not in TEXTUAL or not needle:
                return self.fail(path, rule, f"只能在文字型属性中查找文字，{attr.label}不行")
            return Atom(attr.name, "contains", needle)
        return self.fail(
            path, rule, 'in 应写成 [{"var": 属性}, [值, ...]] 或 ["文字", {"var": 属性}]'
        )

    def prefix(self, rule: Any, op: str, args: list[Any], path: str) -> Node:
        if len(args) != 2 or not _is_var(args[0]):
            return self.fail(path, rule, f'{op} 应写成 [{{"var": 属性}}, 值]')
        attr = self.var(args[0], path)
        if attr is None:
            return Const(False)
        if op == "in_region":
            code = args[1]
            if attr.type != AttrType.region:
                return self.fail(path, rule, f"{attr.label}不是行政区划，不能用 in_region")
            if not (isinstance(code, str) and code.isdigit() and len(code) in (6, 9, 12)):
                return self.fail(path, rule, "in_region 的值应是 6、9 或 12 位行政区划代码")
            return Atom(attr.name, "in_region", code)
        if attr.type not in (AttrType.code, AttrType.region):
            return self.fail(path, rule, f"{attr.label}不是代码，不能用 starts_with")
        prefixes = args[1] if isinstance(args[1], list) else [args[1]]
        if not prefixes or not all(isinstance(p, str) and p for p in prefixes):
            return self.fail(path, rule, "starts_with 的值应是非空文字或文字列表")
        return Atom(attr.name, "starts_with", _unique(prefixes))


def _kind_label(kind: ProfileKind) -> str:
    return "个人" if kind == ProfileKind.person else "企业"


def _is_var(value: Any) -> bool:
    return isinstance(value, dict) and list(value) == ["var"]


def _is_iso_date(value: str) -> bool:
    try:
        return len(value) == 10 and dt.date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def _unique(values: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def check_conditions(
    rule: Any, kind: ProfileKind | None, where: str = "conditions"
) -> tuple[Node, list[ErrorDetail]]:
    """The typed tree of a condition and every problem found in it (empty when it is valid).

    `kind` None accepts attributes of either kind (offline files whose policies name no target).
    """
    parser = _Parser(load_dictionary(), kind)
    tree = parser.node(rule, where)
    return tree, parser.errors


def parse(rule: Any, kind: ProfileKind | None, where: str = "conditions") -> Node:
    """The typed tree, or a DomainError listing every problem with the condition it is in."""
    tree, errors = check_conditions(rule, kind, where)
    if errors:
        raise DomainError("policy_conditions_invalid", "政策条件有误", 422, details=errors)
    return tree


def attributes_of(node: Node) -> set[str]:
    if isinstance(node, Atom):
        return {node.attr}
    if isinstance(node, Not):
        return attributes_of(node.child)
    if isinstance(node, All | AnyOf):
        return set().union(*(attributes_of(c) for c in node.children))
    return set()


# ---------------------------------------------------------------- one profile

Predicate = Callable[[Mapping[str, Any]], bool]


def compile_node(node: Node) -> Predicate:
    """A closure evaluating the tree on one profile's values: the fast single-profile path."""
    if isinstance(node, Atom):
        attr, op, literal = node.attr, node.op, node.value
        if op == "in":
            members = literal

            def member(v: Mapping[str, Any]) -> bool:
                return v.get(attr) in members

            return member
        return lambda v: atom_holds(op, v.get(attr), literal)
    if isinstance(node, Not):
        inner = compile_node(node.child)
        return lambda v: not inner(v)
    if isinstance(node, All):
        parts = tuple(compile_node(c) for c in node.children)
        return lambda v: all(p(v) for p in parts)
    if isinstance(node, AnyOf):
        parts = tuple(compile_node(c) for c in node.children)
        return lambda v: any(p(v) for p in parts)
    value = node.value
    return lambda _v: value


@dataclass(frozen=True)
class Unmet:
    """One condition the profile does not meet, said in Chinese."""

    attr: str
    requirement: str
    actual: str


def unmet(
    node: Node, values: Mapping[str, Any], describe: Describer, cap: int | None = None
) -> list[Unmet]:
    """The conditions that fail, fewest first: all failing parts of an `and`, the closest
    branch of an `or`; an empty list when the profile meets the whole condition. With `cap`,
    counting stops past it and nothing is described (the policy is not "nearly" met)."""
    limit = cap if cap is not None else 1 << 30
    atoms = _unmet(node, values, False, limit)
    if len(atoms) > limit:
        return []
    return [describe(a, negated, values.get(a.attr)) for a, negated in atoms]


Failing = list[tuple[Atom, bool]]


def _unmet(node: Node, values: Mapping[str, Any], negated: bool, cap: int) -> Failing:
    """The failing atoms (with whether they appear negated); stops once past `cap`."""
    if isinstance(node, Atom):
        holds = atom_holds(node.op, values.get(node.attr), node.value)
        return [] if holds != negated else [(node, negated)]
    if isinstance(node, Not):
        return _unmet(node.child, values, not negated, cap)
    if isinstance(node, Const):
        return [] if node.value != negated else [(Atom("", "truthy"), negated)] * (cap + 1)
    conjunctive = isinstance(node, All) != negated
    if conjunctive:
        out: Failing = []
        for c in node.children:
            out.extend(_unmet(c, values, negated, cap))
            if len(out) > cap:
                break
        return out
    best: Failing | None = None
    for c in node.children:
        part = _unmet(c, values, negated, cap)
        if not part:
            return []
        if best is None or len(part) < len(best):
            best = part
    return best or []


Describer = Callable[[Atom, bool, Any], Unmet]
