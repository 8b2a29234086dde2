"""Bad input: each a clear DomainError, raised before anything is changed or stored."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import pytest
from sqlalchemy.orm import Session

from onething.cases import apply, review, window
from onething.cases.models import Case, CaseMaterial, CaseSubmission, CorrectionNotice
from onething.config import get_settings
from onething.core.errors import DomainError
from onething.core.files import StoredFile
from tests.cases import builders as b


def _files_on_disk() -> set[str]:
    root = get_settings().files_dir
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.exists() else set()


class Unchanged:
    """Remembers a case; later checks that the session holds no change and that neither the
    case nor any of its tasks moved or got a new version."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.seen: dict[int, tuple[object, ...]] = {}

    @staticmethod
    def _snap(case: Case) -> tuple[object, ...]:
        return (case.state, case.version, tuple((t.state, t.version) for t in case.tasks))

    def remember(self, case: Case) -> None:
        self.db.flush()
        self.seen[case.id] = self._snap(case)

    def check(self, case: Case) -> None:
        assert not self.db.new, self.db.new
        assert not self.db.dirty, self.db.dirty
        assert not self.db.deleted, self.db.deleted
        assert self._snap(case) == self.seen[case.id]


@pytest.fixture
def unchanged(db: Session) -> Unchanged:
    return Unchanged(db)


@contextmanager
def fails(code: str, status: int) -> Iterator[pytest.ExceptionInfo[DomainError]]:
    with pytest.raises(DomainError) as err:
        yield err
    assert (err.value.code, err.value.status) == (code, status), err.value
    assert err.value.message


def test_submit_lists_every_missing_field_and_material(db: Session) -> None:
    case = b.food_draft(db, form={"contact_phone": "", "business_scope": ""}, upload_all=False)
    for key in b.required_materials(case):
        if key != "staff_list":
            b.upload(db, case, b.ENTERPRISE, key, b.pdf_bytes(key))
    db.flush()
    version = case.version
    ent = case.applicant

    with fails("incomplete_application", 422) as err:
        apply.submit(db, case, ent, b.actor(ent))
    assert sorted(d.field or "" for d in err.value.details) == [
        "business_scope",
        "contact_phone",
        "staff_list",
    ]
    messages = {d.field: d.message for d in err.value.details}
    assert messages["contact_phone"].endswith("必填项未填写")
    assert messages["staff_list"].endswith("请上传此材料")
    assert "3" in err.value.message
    assert not db.dirty
    assert not db.new
    assert (case.state, case.number, case.round, case.version) == ("draft", None, 0, version)
    assert b.count(db, CaseSubmission, CaseSubmission.case_id == case.id) == 0


def test_a_wrong_id_number_is_named_with_its_reason(db: Session) -> None:
    bad = "410103199203041236"  # the check digit should be 5
    case = b.food_draft(db, form={"legal_rep_id_number": bad})
    assert case.form["legal_rep_id_number"] == bad  # a draft keeps what was typed
    ent = case.applicant
    with fails("incomplete_application", 422) as err:
        apply.submit(db, case, ent, b.actor(ent))
    (detail,) = err.value.details
    assert detail.field == "legal_rep_id_number"
    assert detail.message.endswith("公民身份号码校验码不正确")
    assert case.state == "draft"
    assert case.number is None

    short = {**case.form, "legal_rep_id_number": "4101"}
    apply.update_draft(db, case, ent, b.actor(ent), apply.Draft(form=short))
    with fails("incomplete_application", 422) as err:
        apply.submit(db, case, ent, b.actor(ent))
    assert err.value.details[0].message.endswith("公民身份号码应为18位")


class _Big(io.RawIOBase):
    """`size` bytes behind a PDF header, produced as they are read."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.head = b.pdf_bytes()

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        n = min(len(buf), self.left)
        chunk = (self.head + bytes(n))[:n]
        self.head = self.head[n:]
        buf[:n] = chunk
        self.left -= n
        return n


@pytest.mark.parametrize(
    ("data", "name", "code", "status"),
    [
        (None, "扫描件.pdf", "file_too_large", 413),
        (b.EXE, "营业执照.pdf", "file_type_not_allowed", 415),
        (b"", "空文件.pdf", "file_empty", 422),
        (b"just some text, not a scan", "说明.pdf", "file_type_not_allowed", 415),
    ],
    ids=["30MB", "exe-named-pdf", "empty", "text"],
)
def test_bad_uploads_are_refused_and_leave_nothing(
    db: Session, data: bytes | None, name: str, code: str, status: int
) -> None:
    case = b.food_draft(db, upload_all=False)
    db.flush()
    ent = case.applicant
    files_before = b.count(db, StoredFile)
    disk_before = _files_on_disk()
    stream: BinaryIO = (
        io.BufferedReader(_Big(30 * 1024 * 1024)) if data is None else io.BytesIO(data)
    )

    with fails(code, status) as err:
        apply.upload_material(db, case, ent, b.actor(ent), "staff_list", stream, name)
    assert err.value.field == "file"
    if code == "file_too_large":
        assert "20 MB" in err.value.message
    assert not db.new
    assert not db.dirty
    assert b.count(db, StoredFile) == files_before
    assert b.count(db, CaseMaterial, CaseMaterial.case_id == case.id) == 0
    assert _files_on_disk() == disk_before, "no stored or temporary file may stay behind"


def test_a_good_upload_is_sniffed_renamed_and_stored_once(db: Session) -> None:
    case = b.food_draft(db, upload_all=False)
    ent = case.applicant
    png = b.png_bytes()
    disk_before = _files_on_disk()
    first = apply.upload_material(
        db, case, ent, b.actor(ent), "staff_list", io.BytesIO(png), "../../etc/名单.pdf"
    )
    second = apply.upload_material(
        db, case, ent, b.actor(ent), "staff_id_card", io.BytesIO(png), "身份证"
    )
    assert first.file.media_type == "image/png"
    assert first.file.filename == "名单.png"
    assert second.file.filename == "身份证.png"
    root = get_settings().files_dir
    stored = f"{first.file.sha256[:2]}/{first.file.sha256}"
    # Two uploads of one content: one file on disk (with its directory, if new).
    assert _files_on_disk() - disk_before <= {stored, first.file.sha256[:2]}
    assert stored in _files_on_disk()
    assert second.file.sha256 == first.file.sha256
    assert (root / first.file.sha256[:2] / first.file.sha256).read_bytes() == png
    assert not any(p.name.startswith(".upload-") for p in root.rglob("*"))


def test_a_decision_on_another_departments_task_is_forbidden(
    db: Session, unchanged: Unchanged
) -> None:
    case = b.accepted_food_case(db)
    reg = b.task(case, b.REG_CODE)
    b.claim(db, reg)
    unchanged.remember(case)
    for login in ("wjw", "cgj", "xfjy", "gaj", "scjg_admin", "window", "supervisor"):
        other = b.user(db, login)
        with fails("forbidden", 403) as err:
            review.approve(db, reg, other, b.actor(other), "同意")
        assert "主管部门" in err.value.message
        unchanged.check(case)
    stranger = b.user(db, b.PERSON)
    with fails("not_found", 404):
        apply.withdraw(db, case, stranger, b.actor(stranger), "")
    unchanged.check(case)


def test_no_withdrawal_once_a_department_has_decided(db: Session, unchanged: Unchanged) -> None:
    case = b.accepted_food_case(db)
    b.approve(db, b.task(case, b.HEALTH_CODE))
    unchanged.remember(case)
    ent = case.applicant
    with fails("already_decided", 409):
        apply.withdraw(db, case, ent, b.actor(ent), "不想办了")
    unchanged.check(case)
    assert b.task(case, b.REG_CODE).state == "pending"


def test_refusal_needs_a_reason(db: Session, unchanged: Unchanged) -> None:
    case = b.submitted_food_case(db)
    unchanged.remember(case)
    clerk = b.user(db, "window")
    for reason in ("", "   ", "不行"):
        with fails("reason_required", 422) as err:
            window.refuse(db, case, clerk, b.actor(clerk), reason)
        assert err.value.field == "reason"
        unchanged.check(case)
    assert case.reason is None


def test_a_correction_notice_names_only_what_the_case_has(
    db: Session, unchanged: Unchanged
) -> None:
    case = b.submitted_food_case(db)
    unchanged.remember(case)
    clerk = b.user(db, "window")
    problems = [
        {"kind": "field", "key": "operating_area", "message": "面积不符"},
        {"kind": "field", "key": "favourite_colour", "message": "请填写"},
        {"kind": "material", "key": "moon_rock", "message": "请上传"},
        {"kind": "material", "key": "lease_contract", "message": "  "},
    ]
    with fails("invalid_notice", 422) as err:
        window.request_correction(db, case, clerk, b.actor(clerk), problems)
    assert [d.field for d in err.value.details] == [
        "problems.1.key",
        "problems.2.key",
        "problems.3.message",
    ]
    assert "favourite_colour" in err.value.details[0].message
    unchanged.check(case)
    with fails("problems_required", 422):
        window.request_correction(db, case, clerk, b.actor(clerk), [])
    unchanged.check(case)
    assert b.count(db, CorrectionNotice, CorrectionNotice.case_id == case.id) == 0


def test_delivery_by_post_needs_a_tracking_number(db: Session, unchanged: Unchanged) -> None:
    case = b.completed_food_case(db, delivery=b.POST)
    unchanged.remember(case)
    clerk = b.user(db, "window")
    for tracking in (None, "", "   "):
        with fails("tracking_required", 422) as err:
            window.deliver(db, case, clerk, b.actor(clerk), tracking_number=tracking)
        assert err.value.field == "tracking_number"
        unchanged.check(case)
    assert case.delivered_at is None
    assert case.tracking_number is None


def test_post_delivery_needs_an_address(db: Session) -> None:
    case = b.food_draft(db, upload_all=False)
    ent = case.applicant
    with fails("delivery_incomplete", 422) as err:
        apply.update_draft(db, case, ent, b.actor(ent), apply.Draft(delivery={"method": "post"}))
    assert err.value.field == "recipient"
    assert case.delivery == {"method": "online"}


def test_answers_with_an_unknown_option_or_question(db: Session) -> None:
    case = b.food_draft(db, upload_all=False)
    db.flush()
    answers, version = dict(case.answers), case.version
    ent = case.applicant
    bad = {
        **b.FOOD_ANSWERS,
        "outdoor_sign": "maybe",
        "food_items": ["hot_food", "space_food"],
        "pets_allowed": "yes",
    }
    with fails("invalid_answers", 422) as err:
        apply.update_draft(db, case, ent, b.actor(ent), apply.Draft(answers=bad))
    assert sorted(d.field or "" for d in err.value.details) == [
        "food_items",
        "outdoor_sign",
        "pets_allowed",
    ]
    assert "space_food" in next(d.message for d in err.value.details if d.field == "food_items")
    assert not db.dirty
    assert not db.new
    assert (case.answers, case.version) == (answers, version)


def test_unknown_form_fields_are_refused(db: Session) -> None:
    case = b.food_draft(db, upload_all=False)
    db.flush()
    ent = case.applicant
    form = dict(case.form)
    with fails("unknown_field", 422) as err:
        apply.update_draft(
            db, case, ent, b.actor(ent), apply.Draft(form={**form, "shoe_size": "42"})
        )
    assert [d.field for d in err.value.details] == ["shoe_size"]
    assert case.form == form
