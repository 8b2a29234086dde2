from __future__ import annotations

import pytest

from onething.core.errors import DomainError
from onething.core.ids import (
    check_id_number,
    check_uscc,
    mask_id_number,
    region_ancestors,
    region_contains,
    region_level,
    sex_of,
)


@pytest.mark.parametrize(
    "number", ["11010519491231002X", "11010519491231002x", "410103198506123014"]
)
def test_valid_id_numbers_are_accepted_and_normalised(number: str) -> None:
    assert check_id_number(number) == number.upper()


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "校验码"),
        ("11010519491331002X", "出生日期"),
        ("1101051949123100", "18位"),
    ],
)
def test_invalid_id_numbers_say_what_is_wrong(number: str, reason: str) -> None:
    with pytest.raises(DomainError) as exc:
        check_id_number(number)
    assert reason in exc.value.message
    assert exc.value.status == 422


def test_uscc_check_digits() -> None:
    assert check_uscc("91110000600037341L") == "91110000600037341L"
    assert check_uscc("11100000000013338W") == "11100000000013338W"
    with pytest.raises(DomainError, match="校验码"):
        check_uscc("91110000600037341M")


def test_sex_from_the_17th_digit() -> None:
    assert sex_of("410103198506123014") == "男"
    assert sex_of("410103199008151623") == "女"


def test_region_tree_by_code() -> None:
    assert region_level("410000000000") == 1
    assert region_level("410100000000") == 2
    assert region_level("410103000000") == 3
    assert region_level("410103001000") == 4
    assert region_level("410103001001") == 5
    assert region_ancestors("410103001001") == [
        "410103001001",
        "410103001000",
        "410103000000",
        "410100000000",
        "410000000000",
    ]
    assert region_contains("410100000000", "410103001001")
    assert not region_contains("410103000000", "410105001000")


def test_masking_keeps_ends_only() -> None:
    assert mask_id_number("410103198506123014") == "4101**********3014"
