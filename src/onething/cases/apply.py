"""The applicant's side: draft, one form, one set of materials, idempotent submission,
correction and withdrawal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from onething.accounts.models import User, UserKind
from onething.cases import service as cs
from onething.cases.forms import (
    Problem,
    check_form,
    known_facts,
    normalise_values,
    prefill,
    problems_error,
)
from onething.cases.models import Case, CaseCounter, CaseMaterial, CaseSubmission, CorrectionNotice
from onething.cases.states import CASE_MACHINE, DECIDED_TASK_STATES, CaseState, Delivery, Party
from onething.catalog import service as catalog
from onething.catalog.models import Bundle
from onething.catalog.resolve import (
    MaterialStatus,
    ResolvedBundle,
    missing_answers,
    normalise_answers,
)
from onething.catalog.schemas import Necessity
from onething.core.audit import Actor, record_event
from onething.core.errors import DomainError, not_found
from onething.core.files import StoredFile, store_upload
from onething.core.ids import short_region_code
from onething.core.workdays import local_date
from onething.db import utcnow

EDITABLE = frozenset({CaseState.draft, CaseState.correction_requested})


@dataclass
class Draft:
    """What the applicant gives: situation answers, form values, files per material, delivery."""

    answers: Mapping[str, str | Sequence[str]] | None = None
    form: Mapping[str, Any] | None = None
    materials: Mapping[str, Sequence[str]] | None = None
    """material key → ids of files the applicant uploaded earlier (API)."""
    delivery: Mapping[str, str] | None = None


@dataclass
class PreReview:
    problems: list[Problem] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    """Materials accepted as 容缺后补: to follow, not blocking."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _subject(session: Session, bundle_code: str | None, item_code: str | None) -> dict[str, Any]:
    if bool(bundle_code) == bool(item_code):
        raise DomainError("subject_required", "请选择要办理的一件事或单个事项", 422, "bundle")
    if bundle_code:
        bundle = catalog.load_bundle(session, bundle_code)
        return {
            "bundle": bundle,
            "title": f"{bundle.name}一件事",
            "region_code": bundle.region_code,
            "target": bundle.target,
        }
    item = catalog.load_item(session, item_code or "")
    return {
        "item": item,
        "title": item.name,
        "region_code": item.region_code,
        "target": "enterprise" if item.service_object == ["enterprise"] else None,
    }


def create_draft(
    session: Session,
    user: User,
    actor: Actor,
    *,
    bundle_code: str | None = None,
    item_code: str | None = None,
    draft: Draft | None = None,
    idempotency_key: str | None = None,
    all_answers: bool = False,
) -> tuple[Case, bool]:
    """Start an application. With an idempotency key, a retry returns the case the first call
    made (second value False) instead of making another one. With `all_answers`, every
    situation question must be answered first (the pages ask them before the form)."""
    if user.kind == UserKind.staff:
        raise DomainError("applicant_only", "工作人员账号不能提交申请", 403)
    if idempotency_key:
        existing = _by_key(session, user, idempotency_key)
        if existing is not None:
            return existing, False
    subject = _subject(session, bundle_code, item_code)
    target = subject.pop("target")
    if target and target != user.kind:
        who = "企业" if target == "enterprise" else "个人"
        raise DomainError("wrong_applicant_kind", f"此事项由{who}申请，请使用{who}账号", 422)
    if all_answers and "bundle" in subject:
        _require_answers(subject["bundle"], (draft.answers if draft else None) or {})
    case = Case(
        applicant_id=user.id,
        state=CaseState.draft,
        answers={},
        form={},
        delivery={"method": Delivery.online},
        idempotency_key=idempotency_key or None,
        **subject,
    )
    if idempotency_key:
        try:
            with session.begin_nested():
                session.add(case)
        except IntegrityError:
            existing = _by_key(session, user, idempotency_key)
            if existing is None:
                raise
            return existing, False
    else:
        session.add(case)
        session.flush()
    case.applicant = user
    record_event(
        session, "cases:case:created", "case", case.id, actor, region_code=case.region_code
    )
    if draft is not None:
        update_draft(session, case, user, actor, draft)
    else:
        case.form = prefill(session, user, cs.resolution(case).fields, {})
    cs.save(session)
    return case, True


def _unanswered(bundle: Bundle, answers: Mapping[str, Sequence[str]]) -> list[Problem]:
    schema = catalog.bundle_schema(bundle)
    missing = set(missing_answers(schema, answers))
    return [
        Problem("answer", s.key, s.question, "请选择")
        for s in schema.situations
        if s.key in missing
    ]


def _require_answers(bundle: Bundle, answers: Mapping[str, str | Sequence[str]]) -> None:
    schema = catalog.bundle_schema(bundle)
    problems = _unanswered(bundle, normalise_answers(schema, answers))
    if problems:
        raise problems_error("answers_required", "请回答每一个问题后再开始填写", problems)


def _by_key(session: Session, user: User, key: str) -> Case | None:
    return session.scalar(
        select(Case).where(Case.applicant_id == user.id, Case.idempotency_key == key)
    )


def update_draft(
    session: Session,
    case: Case,
    user: User,
    actor: Actor,
    draft: Draft,
    *,
    expected_version: int | None = None,
) -> Case:
    """Save what the applicant typed so far; nothing here is required yet."""
    cs.require_party(user, case, Party.applicant)
    cs.check_version(case, expected_version)
    if case.state not in EDITABLE:
        raise DomainError("not_editable", "办件已提交，当前不能修改；如需补正请等待窗口通知", 409)
    if draft.answers is not None:
        if case.state != CaseState.draft:
            raise DomainError(
                "answers_locked", "补正时不能更改情形选择；如情形有变，请撤回后重新申请", 409
            )
        if case.bundle is not None:
            case.answers = catalog.resolve(case.bundle, draft.answers).answers
    resolved = cs.resolution(case)
    if draft.form is not None:
        case.form = normalise_values(resolved.fields, draft.form)
    elif draft.answers is not None:
        # New answers may bring new fields: fill those from what is already known.
        case.form = prefill(session, user, resolved.fields, case.form)
    if draft.delivery is not None:
        case.delivery = check_delivery(draft.delivery)
    if draft.materials is not None:
        allowed = {m.material.key for m in resolved.asked_materials}
        for key, file_ids in draft.materials.items():
            if key not in allowed:
                raise DomainError("unknown_material", f"本次申请不需要材料：{key}", 422, key)
            for file_id in file_ids:
                _attach(session, case, user, key, _own_file(session, user, file_id))
    record_event(
        session,
        "cases:case:updated",
        "case",
        case.id,
        actor,
        data={"fields": sorted((draft.form or {}).keys())},
        region_code=case.region_code,
    )
    cs.save(session)
    return case


def check_delivery(raw: Mapping[str, str]) -> dict[str, str]:
    method = raw.get("method") or Delivery.online
    if method not in Delivery.__members__:
        raise DomainError(
            "invalid_delivery", "取件方式只能是网上下载、窗口领取或邮寄", 422, "method"
        )
    out = {"method": method}
    if method == Delivery.post:
        for key, label in (("recipient", "收件人"), ("phone", "收件电话"), ("address", "邮寄地址")):
            value = (raw.get(key) or "").strip()
            if not value:
                raise DomainError("delivery_incomplete", f"邮寄送达请填写{label}", 422, key)
            out[key] = value[:200]
    return out


def _own_file(session: Session, user: User, file_id: str) -> StoredFile:
    row = session.get(StoredFile, file_id)
    if row is None or row.owner_id != user.id:
        raise not_found("上传的文件", file_id)
    return row


def _attach(session: Session, case: Case, user: User, key: str, file: StoredFile) -> CaseMaterial:
    current = [m for m in case.materials if m.material_key == key and m.removed_at is None]
    if any(m.file_id == file.id for m in current):
        return next(m for m in current if m.file_id == file.id)
    if len(current) >= 10:
        raise DomainError("too_many_files", "每项材料最多上传10个文件", 422, key)
    row = CaseMaterial(case_id=case.id, material_key=key, file_id=file.id, file=file)
    session.add(row)
    session.flush()
    session.expire(case, ["materials"])
    return row


def upload_material(
    session: Session,
    case: Case,
    user: User,
    actor: Actor,
    key: str,
    stream: BinaryIO,
    filename: str,
) -> CaseMaterial:
    """One file for one material of an editable case (pages upload straight to the case)."""
    cs.require_party(user, case, Party.applicant)
    if case.state not in EDITABLE:
        raise DomainError("not_editable", "办件已提交，当前不能上传材料", 409)
    if key not in {m.material.key for m in cs.resolution(case).asked_materials}:
        raise DomainError("unknown_material", f"本次申请不需要材料：{key}", 422, key)
    file = store_upload(session, stream, filename, user.id)
    row = _attach(session, case, user, key, file)
    record_event(
        session,
        "cases:case:material_added",
        "case",
        case.id,
        actor,
        data={"material": key, "note": file.filename, "sha256": file.sha256},
        region_code=case.region_code,
    )
    return row


def remove_material(
    session: Session, case: Case, user: User, actor: Actor, material_id: int
) -> None:
    cs.require_party(user, case, Party.applicant)
    if case.state not in EDITABLE:
        raise DomainError("not_editable", "办件已提交，当前不能删除材料", 409)
    row = session.get(CaseMaterial, material_id)
    if row is None or row.case_id != case.id or row.removed_at is not None:
        raise not_found("材料文件", str(material_id))
    row.removed_at = utcnow()
    session.expire(case, ["materials"])
    record_event(
        session,
        "cases:case:material_removed",
        "case",
        case.id,
        actor,
        data={"material": row.material_key, "note": row.file.filename},
        region_code=case.region_code,
    )


def current_files(case: Case) -> dict[str, list[CaseMaterial]]:
    out: dict[str, list[CaseMaterial]] = {}
    for m in case.materials:
        if m.removed_at is None:
            out.setdefault(m.material_key, []).append(m)
    return out


def form_problems(case: Case, resolved: ResolvedBundle, values: Mapping[str, str]) -> list[Problem]:
    """The form's checks with what the platform knows of the applicant (the same facts that
    pre-filled it), so the applicant and the window see the same result."""
    session = object_session(case)
    known = known_facts(session, case.applicant) if session is not None else {}
    return check_form(resolved.fields, values, known)


def pre_review(case: Case, resolved: ResolvedBundle | None = None) -> PreReview:
    """智能预审, the checks both the applicant and the window see before anything is decided."""
    resolved = resolved or cs.resolution(case)
    review = PreReview()
    if case.bundle is not None:
        review.problems.extend(_unanswered(case.bundle, case.answers))
    review.problems.extend(form_problems(case, resolved, case.form))
    files = current_files(case)
    for need in resolved.materials:
        m = need.material
        if need.status != MaterialStatus.ask or files.get(m.key):
            continue
        if m.necessity == Necessity.required:
            review.problems.append(Problem("material", m.key, m.name, "请上传此材料"))
        elif m.necessity == Necessity.deferrable:
            review.deferred.append(m.name)
    return review


def _require_complete(case: Case) -> None:
    review = pre_review(case)
    if not review.ok:
        raise problems_error(
            "incomplete_application",
            f"申请还有 {len(review.problems)} 处需要补充或修改",
            review.problems,
        )


def next_case_number(session: Session, region_code: str, day: dt.date) -> str:
    """Region + date + sequence; one atomic upsert, so concurrent submissions never collide."""
    region = short_region_code(region_code)[:6]
    stamp = day.strftime("%Y%m%d")
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(CaseCounter)
        .values(region=region, day=stamp, last=1)
        .on_conflict_do_update(
            index_elements=[CaseCounter.region, CaseCounter.day],
            set_={"last": CaseCounter.last + 1},
        )
        .returning(CaseCounter.last)
    )
    last = session.execute(stmt).scalar_one()
    return f"{region}{stamp}{last:06d}"


def _snapshot(session: Session, case: Case, now: dt.datetime) -> None:
    files = {
        key: [[m.file_id, m.file.filename, m.file.sha256] for m in rows]
        for key, rows in current_files(case).items()
    }
    session.add(
        CaseSubmission(
            case_id=case.id,
            round=case.round,
            answers=case.answers,
            form=case.form,
            files=files,
            submitted_at=now,
        )
    )


def submit(
    session: Session,
    case: Case,
    user: User,
    actor: Actor,
    *,
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Case:
    """Submit a draft, or a corrected case again. Submitting what is already submitted (a
    retry) returns it unchanged."""
    cs.require_party(user, case, Party.applicant)
    if case.state == CaseState.submitted:
        return case
    cs.check_version(case, expected_version)
    now = now or utcnow()
    action = "resubmit" if case.state == CaseState.correction_requested else "submit"
    CASE_MACHINE.check(case.state, action)
    _require_complete(case)
    if case.number is None:
        case.number = next_case_number(session, case.region_code, local_date(now))
    case.round += 1
    case.submitted_at = now
    _snapshot(session, case, now)
    if action == "resubmit":
        notice = _open_notice(session, case)
        if notice is not None:
            notice.resolved_at = now
    cs.move_case(session, case, action, actor, data={"round": case.round})
    cs.save(session)
    what = "补正材料已重新提交" if action == "resubmit" else "申请已提交"
    cs.tell_applicant(
        session,
        case,
        f"cases.{action}",
        what,
        f"您的{cs.case_label(case)}{what}，综合窗口将尽快审核。",
    )
    cs.tell_window(
        session,
        case,
        f"cases.{action}",
        "有新的办件待受理" if action == "submit" else "办件已补正，待重新审核",
        f"{cs.case_label(case)}，申请人：{case.applicant.name}",
    )
    return case


def _open_notice(session: Session, case: Case) -> CorrectionNotice | None:
    return session.scalar(
        select(CorrectionNotice)
        .where(CorrectionNotice.case_id == case.id, CorrectionNotice.resolved_at.is_(None))
        .order_by(CorrectionNotice.id.desc())
    )


def can_withdraw(case: Case) -> bool:
    """Until a department has decided any item, the applicant may take the case back."""
    return "withdraw" in CASE_MACHINE.allowed(case.state) and not any(
        t.state in DECIDED_TASK_STATES for t in case.tasks
    )


def applicant_actions(case: Case) -> list[str]:
    """What the applicant can do now, as the API tells clients."""
    return [
        a
        for a in CASE_MACHINE.allowed(case.state, Party.applicant)
        if a != "withdraw" or can_withdraw(case)
    ]


def withdraw(
    session: Session,
    case: Case,
    user: User,
    actor: Actor,
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> Case:
    """The applicant withdraws before any department has decided; open tasks end."""
    cs.require_party(user, case, Party.applicant)
    CASE_MACHINE.check(case.state, "withdraw")
    reason = reason.strip() or "申请人主动撤回"
    if not can_withdraw(case):
        raise DomainError(
            "already_decided", "已有部门作出审批决定，不能撤回；如有疑问请联系综合窗口", 409
        )
    for task in case.tasks:
        cs.move_task(session, task, "cancel", actor, note="申请人撤回申请")
    case.reason = reason[:500]
    case.decided_at = now or utcnow()
    was_submitted = case.state != CaseState.draft
    cs.move_case(session, case, "withdraw", actor, note=case.reason)
    cs.save(session)
    if was_submitted:
        cs.tell_window(
            session, case, "cases.withdraw", "申请人已撤回办件", f"{cs.case_label(case)}：{reason}"
        )
        for task in case.tasks:
            cs.tell_department(
                session, task, "cases.withdraw", "办件已撤回", f"{cs.case_label(case)}已撤回"
            )
    return case
