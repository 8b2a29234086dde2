"""The catalog's YAML format, as pydantic models.

The same models validate YAML on import, serialise the catalog on export and
type the JSON columns, so the file format and the database cannot drift apart.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
BASE_CODE_PATTERN = re.compile(r"^[0-9]{12}$")
Key = Annotated[str, Field(pattern=KEY_PATTERN, max_length=64)]


def _pad_region(code: str) -> str:
    """GB/T 2260 6-digit codes and 9-digit township codes are stored as 12-digit codes."""
    return code.ljust(12, "0")


RegionCode = Annotated[
    str, Field(pattern=r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$"), AfterValidator(_pad_region)
]
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class Strict(BaseModel):
    """Unknown fields are errors: a typo in YAML must not be silently dropped."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class ItemType(StrEnum):
    """事项类型 (GB/T 39554.1)."""

    licensing = "01"  # 行政许可
    penalty = "02"  # 行政处罚
    enforcement = "03"  # 行政强制
    levy = "04"  # 行政征收
    payment = "05"  # 行政给付
    inspection = "06"  # 行政检查
    confirmation = "07"  # 行政确认
    reward = "08"  # 行政奖励
    ruling = "09"  # 行政裁决
    other_power = "20"  # 其他行政权力
    public_service = "21"  # 公共服务


ITEM_TYPE_LABELS: dict[str, str] = {
    "01": "行政许可",
    "02": "行政处罚",
    "03": "行政强制",
    "04": "行政征收",
    "05": "行政给付",
    "06": "行政检查",
    "07": "行政确认",
    "08": "行政奖励",
    "09": "行政裁决",
    "20": "其他行政权力",
    "21": "公共服务",
}


class ProcessingKind(StrEnum):
    """办件类型."""

    instant = "instant"  # 即办件
    commitment = "commitment"  # 承诺件


class ServiceObject(StrEnum):
    person = "person"  # 自然人
    enterprise = "enterprise"  # 法人


class CrossRegionScope(StrEnum):
    """通办范围."""

    none = "none"  # 不通办
    city = "city"  # 全市通办
    province = "province"  # 全省通办
    national = "national"  # 跨省通办


class MaterialType(StrEnum):
    certificate = "1"  # 证件证书证明
    form = "2"  # 申请表格文书
    other = "3"  # 其他


class MaterialSource(StrEnum):
    applicant = "10"  # 申请人自备
    government = "20"  # 政府部门核发
    other = "99"  # 其他


class Necessity(StrEnum):
    required = "1"  # 必要
    optional = "2"  # 非必要
    deferrable = "3"  # 容缺后补


class MaterialForm(StrEnum):
    paper = "paper"
    electronic = "electronic"
    both = "both"


class FieldType(StrEnum):
    text = "text"
    number = "number"
    date = "date"
    choice = "choice"
    id_number = "id_number"
    uscc = "uscc"
    region = "region"
    phone = "phone"


class Target(StrEnum):
    person = "person"
    enterprise = "enterprise"


class Material(Strict):
    """One material an item asks for; `key` identifies the same material across items."""

    key: Key
    name: Text
    type: MaterialType = MaterialType.other
    source: MaterialSource = MaterialSource.applicant
    necessity: Necessity = Necessity.required
    form: MaterialForm = MaterialForm.both
    copies: int = Field(default=1, ge=0, le=20)
    shared: bool = False
    """True when the platform obtains it by data sharing (电子证照/数据共享) instead of upload."""
    application_form: bool = False
    """The item's own application form: in a bundle the one merged form replaces it (一表申请)."""
    blank_form_url: str | None = None
    sample_url: str | None = None
    acceptance_standard: Text
    note: str | None = None


class FormField(Strict):
    """One application-form field; `key` makes the same field one field across items."""

    key: Key
    label: Text
    type: FieldType = FieldType.text
    required: bool = True
    choices: list[str] | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = Field(default=None, ge=1, le=4000)
    pattern: str | None = None
    help: str | None = None
    profile_attribute: str | None = None
    """Where pre-fill reads the value from the applicant's profile, e.g. `person.name`."""

    @model_validator(mode="after")
    def _check_choices(self) -> FormField:
        if self.type == FieldType.choice and not self.choices:
            raise ValueError("选项型字段必须列出 choices")
        if self.type != FieldType.choice and self.choices:
            raise ValueError("只有选项型字段(choice)才能列出 choices")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern 不是合法的正则表达式: {exc}") from exc
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min 不能大于 max")
        return self


class Step(Strict):
    """办理环节: 受理, 审查, 决定, 制证, 送达 ..."""

    name: Text
    actor: str | None = None
    days: int = Field(default=0, ge=0, le=365)
    note: str | None = None


class Item(Strict):
    """A service item as implemented in one region (实施清单)."""

    code: str = Field(pattern=r"^[0-9A-Z]{36}$")
    base_code: str = Field(pattern=r"^[0-9]{12}$")
    name: Text
    type: ItemType
    department: Key
    region: RegionCode
    level: int = Field(ge=1, le=6, description="行使层级 1 国家 .. 6 村")
    legal_basis: Text
    conditions: Text
    statutory_days: int = Field(gt=0, le=3650)
    promised_days: int = Field(gt=0, le=3650)
    processing: ProcessingKind = ProcessingKind.commitment
    fee: str = "不收费"
    fee_required: bool = False
    result_type: str = Field(min_length=1, max_length=40)
    result_name: Text
    result_key: Key | None = None
    """The material key of this item's result, so a bundle never asks for what it issues."""
    visits: int = Field(ge=0, le=10)
    online_depth: list[int] = Field(min_length=1)
    service_object: list[ServiceObject] = Field(min_length=1)
    cross_region: CrossRegionScope = CrossRegionScope.none
    commitment_allowed: bool = False
    place: str | None = None
    office_hours: str | None = None
    phone: str | None = None
    materials: list[Material] = Field(default_factory=list)
    fields: list[FormField] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)

    @field_validator("online_depth")
    @classmethod
    def _check_depth(cls, value: list[int]) -> list[int]:
        if any(v < 1 or v > 7 for v in value):
            raise ValueError("网办深度取值为 1 至 7")
        if len(set(value)) != len(value):
            raise ValueError("网办深度不能重复")
        return sorted(value)

    @model_validator(mode="after")
    def _check_item(self) -> Item:
        if self.promised_days > self.statutory_days:
            raise ValueError("承诺办结时限不能超过法定办结时限")
        if self.code[18:30] != self.base_code:
            raise ValueError("实施编码第19至30位必须是基本编码")
        _unique([m.key for m in self.materials], "材料")
        _unique([f.key for f in self.fields], "表单字段")
        return self


class SituationOption(Strict):
    value: Key
    label: Text
    include_items: list[str] = Field(default_factory=list)
    exclude_items: list[str] = Field(default_factory=list)
    include_materials: list[Key] = Field(default_factory=list)
    exclude_materials: list[Key] = Field(default_factory=list)


class Situation(Strict):
    """A question whose answer decides which items and materials apply (情形)."""

    key: Key
    question: Text
    help: str | None = None
    multiple: bool = False
    options: list[SituationOption] = Field(min_length=2)

    @model_validator(mode="after")
    def _check_options(self) -> Situation:
        _unique([o.value for o in self.options], "选项")
        return self


class BundleItem(Strict):
    item: str = Field(pattern=r"^[0-9A-Z]{36}$")
    optional: bool = False
    """Optional items apply only when a situation's answer includes them."""
    after: list[str] = Field(default_factory=list)
    """Items whose result this item needs before it can start."""


class Bundle(Strict):
    """一件事: several items handled as one application."""

    code: Key
    name: Text
    target: Target
    theme: Text
    batch: str = Field(pattern=r"^[0-9]{4}-[0-9]$")
    region: RegionCode
    lead_department: Key
    summary: Text
    promised_days: int | None = Field(default=None, gt=0, le=3650)
    """The bundle's published promise; when absent the longest dependency path is used."""
    items: list[BundleItem] = Field(min_length=1)
    situations: list[Situation] = Field(default_factory=list)
    materials: list[Material] = Field(default_factory=list)
    """Materials the bundle itself asks for in some situations (e.g. a power of attorney)."""
    fields: list[FormField] = Field(default_factory=list)
    """Fields the bundle adds to its items' fields."""

    @model_validator(mode="after")
    def _check_bundle(self) -> Bundle:
        _unique([i.item for i in self.items], "事项")
        _unique([s.key for s in self.situations], "情形")
        _unique([m.key for m in self.materials], "材料")
        _unique([f.key for f in self.fields], "表单字段")
        return self


class Department(Strict):
    code: Key
    name: Text
    region: RegionCode
    uscc: str = Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")
    duties: str = ""
    address: str | None = None
    phone: str | None = None


class Region(Strict):
    code: str = Field(pattern=r"^[0-9]{12}$")
    name: Text
    parent: str | None = Field(default=None, pattern=r"^[0-9]{12}$")


class CatalogFile(Strict):
    """One YAML file: any of regions, departments, items and bundles."""

    regions: list[Region] = Field(default_factory=list)
    departments: list[Department] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)
    bundles: list[Bundle] = Field(default_factory=list)


def _unique(keys: list[str], what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"{what} {key} 重复")
        seen.add(key)


def dump_model(model: BaseModel) -> dict[str, Any]:
    """Serialise for YAML: enums as values, defaults and Nones left out for readable files."""
    return model.model_dump(mode="json", exclude_defaults=True)
