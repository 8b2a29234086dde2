"""Identifiers of the domain: 公民身份号码 (GB 11643), 统一社会信用代码 (GB 32100), region codes."""

from __future__ import annotations

import datetime as dt

from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from onething.core.errors import DomainError

REGION_LEVEL_NAMES = {1: "省级", 2: "市级", 3: "县级", 4: "乡级", 5: "村级"}
# Prefix length that a region's subtree shares, by level (province .. village).
_PREFIX_BY_LEVEL = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}


def check_id_number(value: str, field: str = "id_number") -> str:
    """Return the normalised 公民身份号码 or raise a DomainError naming what is wrong."""
    number = value.strip().upper()
    if len(number) != 18:
        raise DomainError("invalid_id_number", "公民身份号码应为18位", 422, field)
    if not number[:17].isascii() or not number[:17].isdigit() or number[17] not in "0123456789X":
        raise DomainError(
            "invalid_id_number", "公民身份号码只能是数字，最后一位可以是X", 422, field
        )
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born > dt.date.today() or born.year < 1880:
        raise DomainError("invalid_id_number", "公民身份号码中的出生日期不正确", 422, field)
    if ric.calc_check_digit(number) != number[17]:
        raise DomainError("invalid_id_number", "公民身份号码校验码不正确", 422, field)
    if not _known_address(number[:6]):
        raise DomainError("invalid_id_number", "公民身份号码地址码不正确", 422, field)
    return number


def _known_address(code: str) -> bool:
    """A GB/T 2260 county code in use at any time. python-stdnum's own check wants the code
    to exist in the birth year, but numbers were issued from 1984 with the codes then in use,
    so a person born in 1940 in 二七区 rightly starts with 410103."""
    if not code.isdigit():
        return False
    return any("county" in props for _, props in numdb.get("cn/loc").info(code))


def make_id_number(region: str, born: dt.date, serial: int) -> str:
    """A valid 公民身份号码 (demo and test data): 6-digit region, birth date, 3-digit serial
    (odd for men), check digit."""
    body = f"{region[:6]}{born:%Y%m%d}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum skips the last character


def birth_date_of(id_number: str) -> dt.date:
    return ric.get_birth_date(id_number)


def sex_of(id_number: str) -> str:
    """The 17th digit is odd for men (GB 11643)."""
    return "男" if int(id_number[16]) % 2 == 1 else "女"


def check_uscc(value: str, field: str = "uscc") -> str:
    number = value.strip().upper()
    if len(number) != 18:
        raise DomainError("invalid_uscc", "统一社会信用代码应为18位", 422, field)
    try:
        return str(uscc.validate(number))
    except ValidationError as exc:
        reason = "校验码不正确" if type(exc).__name__ == "InvalidChecksum" else "含有不允许的字符"
        raise DomainError("invalid_uscc", f"统一社会信用代码{reason}", 422, field) from exc


def is_valid_uscc(value: str) -> bool:
    return bool(uscc.is_valid(value))


def region_level(code: str) -> int:
    """Level of a 12-digit statistical code: 1 province, 2 city, 3 county, 4 township, 5 village."""
    if code[2:] == "0" * 10:
        return 1
    if code[4:] == "0" * 8:
        return 2
    if code[6:] == "0" * 6:
        return 3
    if code[9:] == "000":
        return 4
    return 5


def region_prefix(code: str) -> str:
    """The prefix every code in this region's subtree starts with."""
    return code[: _PREFIX_BY_LEVEL[region_level(code)]]


def region_contains(outer: str, inner: str) -> bool:
    return inner.startswith(region_prefix(outer))


def region_ancestors(code: str) -> list[str]:
    """The codes of the region and every region above it, nearest first."""
    out = [code]
    level = region_level(code)
    for upper in range(level - 1, 0, -1):
        prefix = code[: _PREFIX_BY_LEVEL[upper]]
        out.append(prefix.ljust(12, "0"))
    return out


def short_region_code(code: str) -> str:
    """GB/T 2260 6 digits down to county; 9 for a township; 12 for a village."""
    level = region_level(code)
    return code[: max(6, _PREFIX_BY_LEVEL[level])]


def mask_id_number(value: str) -> str:
    """Lists show 4101**********123X: enough to tell people apart, not enough to misuse."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "****" + value[-4:]
