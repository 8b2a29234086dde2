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
from onething.core.ids import birth_date_of, check_id_number, check_uscc

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


PAST_ONLY = (
    "birth",
    "death",
    "cremation",
    "discharge",
    "first_work",
    "enlistment",
    "exam",
    "check_date",
)
"""Date fields that record what has happened: they cannot lie in the future."""
DATE_ORDER = (
    ("road_works_start_date", "road_works_end_date"),
    ("proof_period_start", "proof_period_end"),
    ("contract_start_date", "contract_end_date"),
    ("enlistment_date", "discharge_date"),
    ("death_date", "cremation_date"),
    ("first_work_date", "retirement_date"),
    ("child_birth_date", "health_check_date"),
)
"""(earlier, later) pairs of date fields that must be in this order when both are filled."""


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def check_form(
    fields: Sequence[FormField],
    values: Mapping[str, str],
    known: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> list[Problem]:
    """智能预审 of the form: every field by its type, dates in range and in order, and the
    fields that repeat what the platform already knows (the account, the profile) against it.
    Each problem says what to do."""
    today = today or dt.date.today()
    by_key = {f.key: f for f in fields}
    problems = []
    for f in fields:
        message = check_field(f, values.get(f.key))
        if message:
            problems.append(Problem("field", f.key, f.label, message))
            continue
        day = _date(values.get(f.key)) if f.type == FieldType.date else None
        if day and day > today and any(w in f.key for w in PAST_ONLY):
            problems.append(Problem("field", f.key, f.label, "不能晚于今天，请核对日期"))
    for earlier, later in DATE_ORDER:
        a, b = _date(values.get(earlier)), _date(values.get(later))
        if a and b and a > b and earlier in by_key and later in by_key:
            problems.append(
                Problem(
                    "field",
                    later,
                    by_key[later].label,
                    f"不能早于“{by_key[earlier].label}”（{a.isoformat()}），请核对",
                )
            )
    for f in fields:
        problems.extend(_inconsistent(f, values, known or {}))
    for f in fields:
        if (
            f.type == FieldType.id_number
            and values.get(f.key)
            and not check_field(f, values[f.key])
        ):
            problems.extend(_id_agrees(f, values, by_key))
    return problems


REGISTERED_FACTS = frozenset(
    {
        "person.name",
        "person.id_number",
        "enterprise.name",
        "enterprise.uscc",
        "enterprise.legal_rep_name",
    }
)
"""Facts a form must repeat exactly; a phone or an address may rightly differ."""


def _inconsistent(
    f: FormField, values: Mapping[str, str], known: Mapping[str, str]
) -> list[Problem]:
    """A field that states a registered fact (法定代表人、企业名称) must agree with the record."""
    if f.profile_attribute not in REGISTERED_FACTS:
        return []
    value, fact = values.get(f.key), known.get(f.profile_attribute or "")
    if not value or not fact or value.strip().upper() == fact.strip().upper():
        return []
    return [
        Problem(
            "consistency",
            f.key,
            f.label,
            f"与登记信息不一致：登记的是“{fact}”。请核对；如确已变更，请先办理变更登记。",
        )
    ]


def _id_agrees(
    f: FormField, values: Mapping[str, str], by_key: Mapping[str, FormField]
) -> list[Problem]:
    """The birth date on a form next to an ID number (child_id_number and child_birth_date)
    must be the one the number carries."""
    prefix = f.key.removesuffix("id_number")
    field = by_key.get(prefix + "birth_date")
    given = _date(values.get(prefix + "birth_date"))
    if field is None or given is None:
        return []
    born = birth_date_of(values[f.key])
    if born == given:
        return []
    return [
        Problem(
            "consistency",
            field.key,
            field.label,
            f"与{f.label}中的出生日期（{born.isoformat()}）不一致，请核对",
        )
    ]


def known_facts(session: Session, user: User) -> dict[str, str]:
    """What the platform knows of the applicant, keyed like `profile_attribute`: the account
    always; the profile (一人一档/一企一档) only with the applicant's consent to reuse it."""
    from onething.profiles.service import get_profile_of_user

    if user.kind == UserKind.person:
        values = {"person.name": user.name, "person.id_number": user.login}
        prefix = "person."
    elif user.kind == UserKind.enterprise:
        values = {"enterprise.name": user.name, "enterprise.uscc": user.login.upper()}
        prefix = "enterprise."
    else:
        return {}
    if user.phone:
        values[prefix + "phone"] = user.phone
    profile = get_profile_of_user(session, user)
    if profile is not None and profile.reuse_consent:
        for name, value in profile.values.items():
            values.setdefault(prefix + name, str(value))
    return values


def reuse_allowed(session: Session, user: User) -> bool:
    from onething.profiles.service import get_profile_of_user

    profile = get_profile_of_user(session, user)
    return bool(profile and profile.reuse_consent)


CASE_SUBJECT = ("child_", "deceased_", "death_", "cremation_", "relation_to_")
"""Fields about whom a case is for (the newborn, the deceased): never carried over from an
earlier case, which was about someone else."""


def prefill(
    session: Session, user: User, fields: Sequence[FormField], current: Mapping[str, str]
) -> dict[str, str]:
    """Values for empty fields: what the platform knows of the applicant first, then (with
    the applicant's consent) the latest submitted case that had the same field."""
    known = known_facts(session, user)
    earlier: dict[str, str] = {}
    if reuse_allowed(session, user):
        rows = session.scalars(
            select(Case.form)
            .where(Case.applicant_id == user.id, Case.submitted_at.is_not(None))
            .order_by(Case.submitted_at.desc())
            .limit(5)
        )
        for form in rows:
            for key, value in form.items():
                if not key.startswith(CASE_SUBJECT):
                    earlier.setdefault(key, value)
    out = dict(current)
    for f in fields:
        if out.get(f.key):
            continue
        value = known.get(f.profile_attribute or "") or earlier.get(f.key)
        if value:
            out[f.key] = value
    return out
