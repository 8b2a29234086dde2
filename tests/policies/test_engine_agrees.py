"""The columnar engine against a straightforward per-profile JsonLogic evaluation (the
json-logic library), pair by pair, on random policies and random profiles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import json_logic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onething.policies import engine
from onething.policies.rules import compile_node, in_region, parse
from onething.profiles.attributes import (
    Attribute,
    AttrType,
    ProfileKind,
    load_dictionary,
    with_derived,
)

ON = dt.date(2026, 12, 1)
# The project's two operations, added to the reference library the way any user would.
json_logic.operations["in_region"] = in_region
json_logic.operations["starts_with"] = lambda value, prefixes: (
    isinstance(value, str)
    and (value.startswith(tuple(prefixes) if isinstance(prefixes, list) else prefixes))
)

REGIONS = ["410103", "410102", "410100", "410000", "310000", "410103001001", "441012"]
CODES = ["C13", "C1310", "H62", "H6210", "F51", "I65", "C"]
PERSON = [a for a in load_dictionary().of_kind(ProfileKind.person)]
FEW = [
    a
    for a in PERSON
    if a.name
    in {
        "age",
        "birth_date",
        "gender",
        "hukou_region",
        "household_size",
        "family_income_per_capita",
        "disability_cert",
        "disability_level",
        "dibao_member",
        "employment_status",
        "childbirth_date",
        "years_to_retirement",
    }
]


def _false_on_type_error(op: Any) -> Any:
    """The library raises on a missing value against a date (None < "2020-01-01"); such a
    comparison is false, as it is for numbers. Only that error case is changed."""

    def safe(*args: Any) -> Any:
        try:
            return op(*args)
        except TypeError:
            return False

    return safe


for _op in ("<", "<=", ">", ">="):
    json_logic.operations[_op] = _false_on_type_error(json_logic.operations[_op])


def reference(rule: Any, data: dict[str, Any]) -> bool:
    return bool(json_logic.jsonLogic(rule, data))


def values_of(attr: Attribute) -> st.SearchStrategy[Any]:
    t = attr.type
    if t == AttrType.int:
        return st.integers(-2, 120) if attr.name != "household_size" else st.integers(0, 9)
    if t == AttrType.decimal:
        return st.floats(-10, 5000, allow_nan=False).map(lambda f: round(f, 1))
    if t == AttrType.bool:
        return st.booleans()
    if t == AttrType.enum:
        return st.sampled_from(attr.values)
    if t == AttrType.date:
        return st.dates(dt.date(1920, 1, 1), dt.date(2026, 12, 31)).map(dt.date.isoformat)
    if t == AttrType.region:
        return st.sampled_from(REGIONS)
    return st.sampled_from(CODES)


@st.composite
def atoms(draw: st.DrawFn, attrs: list[Attribute]) -> Any:
    attr = draw(st.sampled_from(attrs))
    var = {"var": attr.name}
    t = attr.type
    lit = values_of(attr)
    choices = ["==", "!="]
    if t in (AttrType.int, AttrType.decimal, AttrType.date):
        choices += ["<", "<=", ">", ">=", "between"]
    if t in (AttrType.enum, AttrType.region, AttrType.int):
        choices.append("in")
    if t == AttrType.region:
        choices += ["in_region", "contains"]
    if t in (AttrType.bool, AttrType.int, AttrType.decimal):
        choices.append("truthy")
    op = draw(st.sampled_from(choices))
    if op == "truthy":
        return var
    if op == "between":
        low, high = sorted([draw(lit), draw(lit)])
        return {draw(st.sampled_from(["<", "<="])): [low, var, high]}
    if op == "in":
        return {"in": [var, draw(st.lists(lit, min_size=1, max_size=4))]}
    if op == "in_region":
        return {"in_region": [var, draw(st.sampled_from(REGIONS))]}
    if op == "contains":
        return {"in": [draw(st.sampled_from(["4101", "0103", "41"])), var]}
    value = draw(st.one_of(lit, st.none())) if op in ("==", "!=") else draw(lit)
    if draw(st.booleans()) and op not in ("==", "!="):
        flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
        return {flip: [value, var]}
    return {op: [var, value]}


def conditions(attrs: list[Attribute]) -> st.SearchStrategy[Any]:
    return st.recursive(
        atoms(attrs),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=4).map(lambda xs: {"and": xs}),
            st.lists(inner, min_size=1, max_size=4).map(lambda xs: {"or": xs}),
            inner.map(lambda x: {"!": x}),
            inner.map(lambda x: {"!!": [x]}),
        ),
        max_leaves=8,
    )


@st.composite
def profiles(draw: st.DrawFn, attrs: list[Attribute]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr in attrs:
        if attr.derived_from or draw(st.integers(0, 4)) == 0:
            continue  # missing values are a quarter of the draws
        out[attr.name] = draw(values_of(attr))
    if draw(st.booleans()):
        out["age"] = draw(st.integers(0, 110))  # a given age wins over the birth date
    return out


def check_agreement(rules: list[Any], people: list[dict[str, Any]], kind: ProfileKind) -> None:
    trees = {i: parse(r, kind) for i, r in enumerate(rules)}
    table = engine.table_from_records(list(range(len(people))), people, ON)
    bits = engine.evaluate(table, trees, chunk=16)
    for pid, rule in enumerate(rules):
        got = set(engine.rows(bits[pid], table.size).tolist())
        single = compile_node(trees[pid])
        for row, person in enumerate(people):
            data = with_derived(person, ON, kind)
            expected = reference(rule, data)
            assert (row in got) == expected, (rule, data)
            assert single(data) == expected, (rule, data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules=st.lists(conditions(FEW), min_size=1, max_size=5),
    people=st.lists(profiles(FEW), min_size=1, max_size=40),
)
def test_bulk_and_single_agree_with_jsonlogic(
    rules: list[Any], people: list[dict[str, Any]]
) -> None:
    check_agreement(rules, people, ProfileKind.person)


@settings(max_examples=60, deadline=None)
@given(
    prefixes=st.lists(st.sampled_from(CODES), min_size=1, max_size=3),
    codes=st.lists(st.one_of(st.none(), st.sampled_from(CODES)), min_size=1, max_size=30),
)
def test_starts_with_on_industry_codes(prefixes: list[str], codes: list[str | None]) -> None:
    rule = {"starts_with": [{"var": "industry_code"}, prefixes]}
    firms = [{} if c is None else {"industry_code": c} for c in codes]
    check_agreement([rule], firms, ProfileKind.enterprise)
