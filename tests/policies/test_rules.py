"""Conditions are checked against the attribute dictionary on save, with errors that name the
condition; the one-profile explanation says which conditions fail and why, in Chinese."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.core.errors import DomainError
from onething.policies.explain import describer, requirement_lines
from onething.policies.rules import (
    All,
    AnyOf,
    Atom,
    Not,
    check_conditions,
    compile_node,
    parse,
    unmet,
)
from onething.profiles.attributes import ProfileKind, full_years, with_derived
from tests.policies.test_engine_agrees import FEW, conditions, profiles

P = ProfileKind.person
E = ProfileKind.enterprise
EXPLAIN = describer({"410100000000": "郑州市", "410103000000": "二七区"})


def errors_of(rule: Any, kind: ProfileKind | None = P) -> list[str]:
    return [e.message for e in check_conditions(rule, kind)[1]]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({">=": [{"var": "agee"}, 80]}, "未知属性“agee”"),
        ({">=": [{"var": "age"}, "八十"]}, '年龄是整数，不能与 "八十" 比较'),
        ({"<": [{"var": "gender"}, "男"]}, "性别是选项，不能比较大小"),
        ({"==": [{"var": "disability_level"}, "五级"]}, "“五级”不是残疾等级的可选值"),
        ({"==": [{"var": "childbirth_date"}, "2026/1/1"]}, "应写成 YYYY-MM-DD"),
        ({"like": [{"var": "age"}, 1]}, "不支持的运算符“like”"),
        ({">=": [{"var": "age"}, {"var": "household_size"}]}, "比较的一边应是属性"),
        ({"and": []}, "and 需要一个非空的条件列表"),
        ({">": [1, {"var": "age"}, 3]}, "只有 < 和 <= 可以写成区间"),
        ({"==": [{"var": "employees"}, 10]}, "属于企业画像，与政策对象不符"),
        ({"in": [{"var": "disability_level"}, []]}, "in 的列表不能为空"),
        ({"in_region": [{"var": "gender"}, "410100"]}, "不是行政区划"),
        ({"in_region": [{"var": "hukou_region"}, "41"]}, "6、9 或 12 位"),
        ({"var": ["age", 0]}, "不支持缺省值"),
        ({"var": "gender"}, "请写成比较"),
        (["age"], "只有一个运算符的对象"),
    ],
)
def test_bad_conditions_are_refused_with_the_condition_named(rule: Any, expected: str) -> None:
    found = errors_of(rule)
    assert found, rule
    assert any(expected in m for m in found), found
    assert all(m.startswith("条件 {") or m.startswith("条件 [") for m in found), found


def test_every_error_is_reported_at_once_with_its_path() -> None:
    rule = {"and": [{">=": [{"var": "agee"}, 80]}, {"or": [{"==": [{"var": "gender"}, "X"]}]}]}
    _tree, found = check_conditions(rule, P, "p.yaml:conditions")
    assert [e.location for e in found] == [
        "p.yaml:conditions.and[0].>=",
        "p.yaml:conditions.and[1].or[0].==",
    ]
    with pytest.raises(DomainError) as exc:
        parse(rule, P)
    assert exc.value.status == 422
    assert len(exc.value.details) == 2


def test_forms_are_normalised_to_one_tree() -> None:
    flipped = parse({"<": [60, {"var": "age"}]}, P)
    assert flipped == Atom("age", "gt", 60)
    between = parse({"<=": [18, {"var": "age"}, 35]}, P)
    assert between == All((Atom("age", "ge", 18), Atom("age", "le", 35)))
    assert parse({"!!": [{"var": "dibao_member"}]}, P) == Atom("dibao_member", "truthy")
    negated = parse({"!": {"in": [{"var": "disability_level"}, ["一级", "一级", "二级"]]}}, P)
    assert negated == Not(Atom("disability_level", "in", ["一级", "二级"]))
    assert isinstance(parse({"or": [True, {"var": "lives_alone"}]}, P), AnyOf)
    assert errors_of({"==": [{"var": "employees"}, 10]}, None) == []


def test_requirements_read_as_chinese_lines() -> None:
    tree = parse(
        {
            "and": [
                {"in_region": [{"var": "hukou_region"}, "410100"]},
                {">=": [{"var": "age"}, 80]},
                {"!": {"var": "tekun_person"}},
                {"or": [{"var": "dibao_member"}, {"in": [{"var": "disability_level"}, ["一级"]]}]},
            ]
        },
        P,
    )
    assert requirement_lines(tree, EXPLAIN) == [
        "户籍所在地须在郑州市",
        "年龄须不低于 80周岁",
        "特困供养人员须为“否”",
        "满足其一：最低生活保障家庭成员须为“是”；或残疾等级须为一级之一",
    ]


def test_unmet_names_each_failing_condition_and_the_actual_value() -> None:
    tree = parse(
        {
            "and": [
                {"in_region": [{"var": "hukou_region"}, "410100"]},
                {">=": [{"var": "age"}, 80]},
                {"==": [{"var": "resident_pension_insured"}, True]},
            ]
        },
        P,
    )
    reasons = unmet(tree, {"hukou_region": "410103001001", "age": 66}, EXPLAIN)
    assert [(u.requirement, u.actual) for u in reasons] == [
        ("年龄须不低于 80周岁", "您的为66周岁"),
        ("参加城乡居民基本养老保险须为“是”", "您的信息中没有登记"),
    ]


def test_unmet_of_an_or_is_its_closest_branch() -> None:
    tree = parse(
        {
            "or": [
                {"and": [{"var": "dibao_member"}, {"var": "disability_cert"}]},
                {">=": [{"var": "age"}, 60]},
            ]
        },
        P,
    )
    reasons = unmet(tree, {"age": 50, "dibao_member": False, "disability_cert": False}, EXPLAIN)
    assert [u.attr for u in reasons] == ["age"]


@settings(max_examples=200, deadline=None)
@given(rule=conditions(FEW), person=profiles(FEW))
def test_a_profile_has_no_unmet_condition_exactly_when_it_meets_the_rule(
    rule: Any, person: dict[str, Any]
) -> None:
    tree = parse(rule, P)
    values = with_derived(person, dt.date(2026, 12, 1), P)
    assert (unmet(tree, values, EXPLAIN) == []) == compile_node(tree)(values)


@given(st.dates(dt.date(1900, 1, 1), dt.date(2026, 12, 31)), st.dates(dt.date(1900, 1, 1)))
def test_full_years_count_birthdays_on_the_day(born: dt.date, on: dt.date) -> None:
    years = full_years(born, on)
    assert years == on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if (on.month, on.day) == (born.month, born.day):
        assert years == on.year - born.year


def test_leap_day_birthdays() -> None:
    assert full_years(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17
    assert full_years(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == 18
    assert with_derived({"birth_date": "1946-12-01"}, dt.date(2026, 12, 1), P)["age"] == 80
    assert with_derived({"birth_date": "1946-12-02"}, dt.date(2026, 12, 1), P)["age"] == 79
    assert with_derived({"age": 5, "birth_date": "1946-12-02"}, dt.date(2026, 12, 1), P)["age"] == 5
    assert "enterprise_age" in with_derived({"founded_date": "2020-01-01"}, dt.date(2026, 1, 1), E)


def test_the_policy_guide_lists_every_attribute() -> None:
    """docs/POLICIES.md is what people outside the project write policies from."""
    from pathlib import Path

    from onething.profiles.attributes import load_dictionary

    guide = (Path(__file__).parents[2] / "docs" / "POLICIES.md").read_text(encoding="utf-8")
    missing = [a.name for a in load_dictionary().attributes.values() if f"`{a.name}`" not in guide]
    assert missing == []
