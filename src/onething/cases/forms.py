"""The one merged form: typed checks of every field, and pre-fill from what is already known.

A draft keeps whatever was typed; submission needs every problem fixed, and all problems are
reported together so the applicant fixes them in one pass.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.accounts.models import User, UserKind
from onething.cases.models import Case
from onething.catalog.schemas import FieldType, FormField
from onething.core.errors import DomainError, ErrorDetail
from onething.core.ids import check_id_number, check_uscc

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_REGION = re.compile(r"^\d{6}(\d{6})?$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a submission: a field, a material, or anything else."""

    kind: str
    key: str
    label: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "key": self.key, "label": self.label, "message": self.message}


def normalise_values(fields: Sequence[FormField], raw: Mapping[str, Any]) -> dict[str, str]:
    """Keep only the form's own fields, as trimmed text; unknown keys are errors."""
    known = {f.key: f for f in fields}
    unknown = [k for k in raw if k not in known]
    if unknown:
        raise DomainError(
            "unknown_field",
            "表单中有本次申请不需要的字段",
            422,
            details=[ErrorDetail(f"没有这个字段：{k}", field=k) for k in unknown],
        )
    out: dict[str, str] = {}
    for key, value in raw.items():
        text = "" if value is None else str(value).strip()
        if known[key].type in (FieldType.id_number, FieldType.uscc):
            text = text.upper()
        if text:
            out[key] = text
    return out


def check_field(f: FormField, value: str | None) -> str | None:
    """The problem with one value, in words the applicant can act on; None when it is fine."""
    if not value:
        return "必填项未填写" if f.required else None
    if f.max_length and len(value) > f.max_length:
        return f"不能超过{f.max_length}个字"
    if f.type == FieldType.number:
        try:
            number = float(value)
        except ValueError:
            return "应填写数字"
        if f.min is not None and number < f.min:
            return f"不能小于{f.min:g}"
        if f.max is not None and number > f.max:
            return f"不能大于{f.max:g}"
    elif f.type == FieldType.date:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return "日期格式应为 年-月-日，例如 2026-01-31"
        if not dt.date(1900, 1, 1) <= day <= dt.date(2100, 12, 31):
            return "日期不在合理范围内"
    elif f.type == FieldType.choice:
        if value not in (f.choices or []):
            return "请从选项中选择：" + "、".join(f.choices or [])
    elif f.type == FieldType.id_number:
        try:
            check_id_number(value)
        except DomainError as exc:
            return exc.message
    elif f.type == FieldType.uscc:
        try:
            check_uscc(value)
        except DomainError as exc:
            return exc.message
    elif f.type == FieldType.phone:
        if not _PHONE.match(value):
            return "应为11位手机号码或带区号的固定电话"
    elif f.type == FieldType.region and not _REGION.match(value):
        return "应为6位或12位行政区划代码"
    if f.pattern and not re.fullmatch(f.pattern, value):
        return f.help or "格式不正确"
    return None


def problems_error(code: str, message: str, problems: Sequence[Problem]) -> DomainError:
    """One error that lists every problem, so the applicant or the window fixes all at once."""
    return DomainError(
        code,
        message,
        422,
        details=[ErrorDetail(f"{p.label}：{p.message}", field=p.key) for p in problems],
    )


def check_form(fields: Sequence[FormField], values: Mapping[str, str]) -> list[Problem]:
    problems = []
    for f in fields:
        message = check_field(f, values.get(f.key))
        if message:
            problems.append(Problem("field", f.key, f.label, message))
    return problems


def _profile(user: User) -> dict[str, str]:
    """What the account itself tells us; profiles (issue 4) and certificates extend this."""
    if user.kind == UserKind.person:
        values = {"person.name": user.name, "person.id_number": user.login}
        if user.phone:
            values["person.phone"] = user.phone
        return values
    if user.kind == UserKind.enterprise:
        values = {"enterprise.name": user.name, "enterprise.uscc": user.login.upper()}
        if user.phone:
            values["enterprise.phone"] = user.phone
        return values
    return {}


def prefill(
    session: Session, user: User, fields: Sequence[FormField], current: Mapping[str, str]
) -> dict[str, str]:
    """Values for empty fields: the account's own data first, then the applicant's latest
    submitted case that had the same field (the same key means the same thing)."""
    known = _profile(user)
    earlier: dict[str, str] = {}
    rows = session.scalars(
        select(Case.form)
        .where(Case.applicant_id == user.id, Case.submitted_at.is_not(None))
        .order_by(Case.submitted_at.desc())
        .limit(5)
    )
    for form in rows:
        for key, value in form.items():
            earlier.setdefault(key, value)
    out = dict(current)
    for f in fields:
        if out.get(f.key):
            continue
        value = known.get(f.profile_attribute or "") or earlier.get(f.key)
        if value:
            out[f.key] = value
    return out
