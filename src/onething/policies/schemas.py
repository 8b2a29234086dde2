"""The policy YAML format as pydantic models: import, export, the admin editor and the API
share it, so a policy file and a policy in the database are one thing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from onething.catalog.schemas import RegionCode, Strict
from onething.profiles.attributes import ProfileKind

Code = str


class Mode(StrEnum):
    auto_grant = "auto_grant"
    """免申即享: granted to everyone eligible, without an application."""
    push = "push"
    """精准推送: the eligible are told and get an application already filled in."""
    apply = "apply"
    """依申请: listed and matched, applied for through the usual channel."""


MODE_LABELS = {Mode.auto_grant: "免申即享", Mode.push: "精准推送", Mode.apply: "依申请"}


class BenefitKind(StrEnum):
    cash = "cash"
    relief = "relief"
    service = "service"


BENEFIT_KIND_LABELS = {
    BenefitKind.cash: "资金补贴",
    BenefitKind.relief: "税费减免",
    BenefitKind.service: "服务或实物",
}


class Period(StrEnum):
    once = "once"
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"


PERIOD_LABELS = {
    Period.once: "一次性",
    Period.monthly: "按月",
    Period.quarterly: "按季",
    Period.yearly: "按年",
}


class Tier(Strict):
    """A different amount for the profiles meeting `when` (first matching tier wins)."""

    when: Any
    amount: Decimal


class Benefit(Strict):
    kind: BenefitKind = BenefitKind.cash
    amount: Decimal | None = None
    """Per period; None for a benefit in kind or a relief without a fixed sum."""
    unit: str = "元"
    period: Period = Period.once
    description: str = Field(min_length=1, max_length=2000)
    tiers: list[Tier] = Field(default_factory=list)


class PolicyDoc(Strict):
    """One policy as written in YAML."""

    code: Code = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    name: str = Field(min_length=1, max_length=200)
    region: RegionCode
    department: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    legal_basis: str = Field(min_length=1, max_length=2000)
    target: ProfileKind
    mode: Mode
    summary: str = Field(min_length=1, max_length=2000)
    benefit: Benefit
    valid_from: dt.date
    valid_to: dt.date | None = None
    conditions: Any
    how_to_apply: str | None = Field(default=None, max_length=2000)
    """For push and apply policies: where and how, in the applicant's words."""
    online: bool = True
    """网上可办: the benefit can be obtained online (auto-grant and push always can)."""
    source: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _dates_in_order(self) -> PolicyDoc:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to 不能早于 valid_from")
        return self


class PolicyFile(Strict):
    policies: list[PolicyDoc] = Field(default_factory=list)


class OfflinePolicy(BaseModel):
    """A policy in a file given to `policies match`: only an id and conditions are needed."""

    model_config = ConfigDict(extra="ignore")

    id: str
    conditions: Any
    target: ProfileKind | None = None

    @model_validator(mode="before")
    @classmethod
    def _code_as_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and "id" not in data and "code" in data:
            return {**data, "id": data["code"]}
        return data


# ---------------------------------------------------------------- API shapes


class PolicyOut(BaseModel):
    code: str
    name: str
    target: ProfileKind
    mode: Mode
    mode_label: str
    department: str
    summary: str
    benefit: Benefit
    valid_from: dt.date
    valid_to: dt.date | None
    online: bool
    retired: bool
    version: int


class PolicyDetailOut(PolicyOut):
    legal_basis: str
    conditions: Any
    conditions_text: list[str]
    """The conditions in plain Chinese, one line each."""
    how_to_apply: str | None
    source: str | None


class SavedOut(BaseModel):
    outcome: str
    policy: PolicyDetailOut


class UnmetOut(BaseModel):
    attr: str
    requirement: str
    actual: str


class AnswerOut(BaseModel):
    policy: PolicyOut
    eligible: bool
    amount: Decimal | None
    unmet: list[UnmetOut]


class MyPoliciesOut(BaseModel):
    eligible: list[AnswerOut]
    nearly: list[AnswerOut]


class GrantOut(BaseModel):
    id: int
    policy: str
    policy_name: str
    profile_id: int
    holder: str
    period: str
    amount: Decimal | None
    state: str
    state_label: str
    payment_reference: str | None
    reason: str | None
    created_at: dt.datetime
    fulfilled_at: dt.datetime | None


class PushOut(BaseModel):
    id: int
    policy: str
    policy_name: str
    profile_id: int
    holder: str
    period: str
    state: str
    state_label: str
    application: dict[str, Any]
    reason: str | None
    created_at: dt.datetime
    applied_at: dt.datetime | None


class ConsultationOut(BaseModel):
    id: int
    policy: str
    question: str
    answer: str | None
    asked_at: dt.datetime
    answered_at: dt.datetime | None


class ReferenceIn(BaseModel):
    payment_reference: str = Field(min_length=1, max_length=64)


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class NoteIn(BaseModel):
    note: str = Field(default="", max_length=500)


class QuestionIn(BaseModel):
    question: str = Field(min_length=1, max_length=2000)


class AnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=4000)


class ProfileOut(BaseModel):
    id: int
    kind: ProfileKind
    name: str
    subject_key: str
    region_code: str
    values: dict[str, Any]
    sources: dict[str, Any]
    reuse_consent: bool
    """Forms may be pre-filled from this profile and earlier cases."""
    updated_at: dt.datetime


class ConsentIn(BaseModel):
    reuse: bool


class ProfileValuesIn(BaseModel):
    values: dict[str, Any]
    source: str = Field(min_length=1, max_length=120)
    """The department or system the values come from (数据来源)."""
