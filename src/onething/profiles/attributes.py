"""画像属性词表: the attribute dictionary of person and enterprise profiles.

It is data (`data/profiles/attributes.yaml`): the profile pages, the policy rule checker, the
matching engines and the offline file loader all read their names, types and allowed values
from here, so a policy can only name what a profile can hold.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DICTIONARY_FILE = Path(__file__).parent.parent / "data" / "profiles" / "attributes.yaml"


class ProfileKind(StrEnum):
    person = "person"
    enterprise = "enterprise"


KIND_LABELS = {ProfileKind.person: "个人", ProfileKind.enterprise: "企业"}


class AttrType(StrEnum):
    int = "int"
    decimal = "decimal"
    bool = "bool"
    enum = "enum"
    date = "date"
    region = "region"
    code = "code"
    text = "text"


TYPE_LABELS = {
    AttrType.int: "整数",
    AttrType.decimal: "数值",
    AttrType.bool: "是/否",
    AttrType.enum: "选项",
    AttrType.date: "日期",
    AttrType.region: "行政区划代码",
    AttrType.code: "分类代码",
    AttrType.text: "文字",
}

NUMERIC = frozenset({AttrType.int, AttrType.decimal})
ORDERED = frozenset({AttrType.int, AttrType.decimal, AttrType.date})
TEXTUAL = frozenset({AttrType.enum, AttrType.region, AttrType.code, AttrType.text})


@dataclass(frozen=True)
class Attribute:
    name: str
    label: str
    type: AttrType
    kind: ProfileKind
    values: tuple[str, ...] = ()
    unit: str = ""
    derived_from: str | None = None

    def coerce(self, raw: Any) -> Any:
        """A raw value (form text, JSON, CSV cell) as the JSON value a profile stores.

        Raises ValueError with a Chinese message; None and "" mean "not recorded".
        """
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, float) and math.isnan(raw):
            return None
        t = self.type
        if t == AttrType.bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "是", "yes", "y", "t"):
                return True
            if text in ("0", "false", "否", "no", "n", "f"):
                return False
            raise ValueError(f"{self.label}应为“是”或“否”")
        if t == AttrType.int:
            if isinstance(raw, bool):
                raise ValueError(f"{self.label}应为整数")
            try:
                number = float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{self.label}应为整数") from None
            if not number.is_integer():
                raise ValueError(f"{self.label}应为整数")
            return int(number)
        if t == AttrType.decimal:
            if isinstance(raw, bool):
                raise ValueError(f"{self.label}应为数值")
            try:
                number = float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{self.label}应为数值") from None
            if not math.isfinite(number):
                raise ValueError(f"{self.label}应为数值")
            return number
        if t == AttrType.date:
            if isinstance(raw, dt.datetime):
                return raw.date().isoformat()
            if isinstance(raw, dt.date):
                return raw.isoformat()
            try:
                return dt.date.fromisoformat(str(raw).strip()).isoformat()
            except ValueError:
                raise ValueError(f"{self.label}应为日期，格式 YYYY-MM-DD") from None
        text = str(raw).strip()
        if t == AttrType.enum and text not in self.values:
            raise ValueError(f"{self.label}应为以下之一：{'、'.join(self.values)}")
        if t == AttrType.region and (not text.isdigit() or len(text) not in (6, 9, 12)):
            raise ValueError(f"{self.label}应为 6、9 或 12 位行政区划代码")
        return text


@dataclass(frozen=True)
class Dictionary:
    attributes: dict[str, Attribute]

    def get(self, name: str) -> Attribute | None:
        return self.attributes.get(name)

    def of_kind(self, kind: ProfileKind) -> list[Attribute]:
        return [a for a in self.attributes.values() if a.kind == kind]

    def stored(self, kind: ProfileKind) -> list[Attribute]:
        """Attributes a profile records itself (derived ones are computed)."""
        return [a for a in self.of_kind(kind) if a.derived_from is None]


@lru_cache
def load_dictionary(path: Path = DICTIONARY_FILE) -> Dictionary:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, Attribute] = {}
    for kind in ProfileKind:
        for entry in raw.get(kind.value, []):
            attr = Attribute(
                name=entry["name"],
                label=entry["label"],
                type=AttrType(entry["type"]),
                kind=kind,
                values=tuple(str(v) for v in entry.get("values", ())),
                unit=str(entry.get("unit", "")),
                derived_from=entry.get("derived_from"),
            )
            if attr.name in out:
                raise ValueError(f"attribute {attr.name} is defined twice in {path}")
            out[attr.name] = attr
    return Dictionary(out)


def full_years(since: dt.date, on: dt.date) -> int:
    """Completed years from `since` to `on` (周岁): a birthday counts on the day itself."""
    return on.year - since.year - ((on.month, on.day) < (since.month, since.day))


def with_derived(values: dict[str, Any], on: dt.date, kind: ProfileKind) -> dict[str, Any]:
    """The profile's values plus its derived attributes as of `on` (age from birth date).

    A value already given for a derived attribute (an offline file with an `age` column) is
    kept; otherwise it is computed from its source, or left missing.
    """
    out = dict(values)
    for attr in load_dictionary().of_kind(kind):
        if attr.derived_from is None or out.get(attr.name) is not None:
            continue
        source = out.get(attr.derived_from)
        if source is None:
            continue
        out[attr.name] = full_years(dt.date.fromisoformat(str(source)), on)
    return out
