"""智能预审: every rule the applicant and the window see before anything is decided — ID and
USCC check digits, dates in range and in order, numbers, agreement with what is registered,
materials present — each saying what to do; and pre-fill only with consent."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from onething.cases import apply
from onething.cases.forms import Problem, check_form
from onething.catalog.schemas import FieldType, FormField
from onething.core.audit import AuditEvent
from onething.core.ids import make_id_number
from onething.profiles import service as profiles
from tests.cases import builders as b

TODAY = dt.date(2026, 12, 1)


def field(key: str, kind: FieldType = FieldType.text, **kw: object) -> FormField:
    return FormField(key=key, label=key, type=kind, **kw)


def messages(problems: list[Problem]) -> dict[str, str]:
    return {p.key: p.message for p in problems}


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (FieldType.id_number, "410103198506123015", "校验码不正确"),
        (FieldType.id_number, "41010319850612301", "应为18位"),
        (FieldType.uscc, "91410103MA9G5K3D2X", "统一社会信用代码"),
        (FieldType.date, "2026-13-01", "日期格式应为"),
        (FieldType.date, "1850-01-01", "不在合理范围内"),
        (FieldType.phone, "1380000", "手机号码"),
        (FieldType.number, "很多", "应填写数字"),
    ],
)
def test_each_value_is_checked_by_its_type(kind: FieldType, value: str, message: str) -> None:
    found = messages(check_form([field("x", kind)], {"x": value}, today=TODAY))
    assert message in found["x"]


def test_amounts_are_checked_against_their_range() -> None:
    area = field("operating_area", FieldType.number, min=1, max=100000)
    assert "不能小于1" in messages(check_form([area], {"operating_area": "0"}))["operating_area"]
    assert check_form([area], {"operating_area": "120"}) == []


def test_what_has_happened_cannot_be_in_the_future() -> None:
    fields = [field("death_date", FieldType.date), field("hire_date", FieldType.date)]
    found = messages(
        check_form(fields, {"death_date": "2026-12-02", "hire_date": "2026-12-20"}, today=TODAY)
    )
    assert found == {"death_date": "不能晚于今天，请核对日期"}


def test_dates_must_be_in_order() -> None:
    fields = [
        field("contract_start_date", FieldType.date),
        field("contract_end_date", FieldType.date),
    ]
    found = check_form(
        fields,
        {"contract_start_date": "2026-06-01", "contract_end_date": "2026-01-01"},
        today=TODAY,
    )
    assert messages(found) == {
        "contract_end_date": "不能早于“contract_start_date”（2026-06-01），请核对"
    }
    assert (
        check_form(fields, {"contract_start_date": "2026-01-01", "contract_end_date": "2026-06-01"})
        == []
    )


def test_a_birth_date_must_be_the_one_in_the_id_number() -> None:
    fields = [
        field("child_id_number", FieldType.id_number),
        field("child_birth_date", FieldType.date),
    ]
    number = make_id_number("410103", dt.date(2026, 11, 1), 1)
    wrong = check_form(
        fields, {"child_id_number": number, "child_birth_date": "2026-11-02"}, today=TODAY
    )
    assert [p.kind for p in wrong] == ["consistency"]
    assert "2026-11-01" in wrong[0].message
    assert (
        check_form(
            fields, {"child_id_number": number, "child_birth_date": "2026-11-01"}, today=TODAY
        )
        == []
    )


def test_registered_facts_must_agree_with_the_record() -> None:
    fields = [
        field("legal_rep_name", profile_attribute="enterprise.legal_rep_name"),
        field("contact_phone", FieldType.phone, profile_attribute="enterprise.phone"),
    ]
    known = {"enterprise.legal_rep_name": "王建国", "enterprise.phone": "13900000000"}
    found = check_form(fields, {"legal_rep_name": "王建军", "contact_phone": "13911112222"}, known)
    assert [(p.kind, p.key) for p in found] == [("consistency", "legal_rep_name")]
    assert "登记的是“王建国”" in found[0].message
    assert "变更登记" in found[0].message


def test_the_window_sees_the_same_pre_review_as_the_applicant(db: Session) -> None:
    """The enterprise's registered legal representative is on its profile; the application
    names someone else: the applicant is told before submitting and submission is refused."""
    firm = b.user(db, b.ENTERPRISE)
    profile = profiles.ensure_profile_for_user(db, b.actor(firm), firm)
    profiles.set_values(
        db, b.actor(firm), profile, {"legal_rep_name": "李建设"}, "市场监督管理局（登记）"
    )
    profiles.set_reuse_consent(db, b.actor(firm), firm, True)
    case = b.food_draft(db)
    review = apply.pre_review(case)
    [problem] = [p for p in review.problems if p.kind == "consistency"]
    assert problem.key == "legal_rep_name"
    assert "李建设" in problem.message
    with pytest.raises(Exception, match="申请还有"):
        apply.submit(db, case, firm, b.actor(firm))


def test_every_missing_material_is_named(db: Session) -> None:
    case = b.food_draft(db, upload_all=False)
    missing = [p for p in apply.pre_review(case).problems if p.kind == "material"]
    assert missing
    assert {p.message for p in missing} == {"请上传此材料"}
    assert set(b.required_materials(case)) == {p.key for p in missing}


def test_consent_is_given_and_withdrawn_and_audited(db: Session) -> None:
    person = b.new_person(db)
    profile = profiles.set_reuse_consent(db, b.actor(person), person, True)
    assert profile.reuse_consent is True
    assert profile.reuse_consent_at is not None
    profiles.set_reuse_consent(db, b.actor(person), person, False)
    assert profile.reuse_consent is False
    tags = [e.tag for e in db.query(AuditEvent).filter(AuditEvent.subject_id == str(profile.id))]
    assert "profiles:profile:consent_given" in tags
    assert "profiles:profile:consent_withdrawn" in tags
