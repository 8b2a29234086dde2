"""Request and response shapes of the cases API, and how a case is shown in them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from onething.cases import service as cs
from onething.cases.apply import PreReview, applicant_actions, current_files
from onething.cases.models import Case, ItemTask
from onething.cases.states import (
    ALERT_LABELS,
    CASE_STATE_LABELS,
    TASK_STATE_LABELS,
)
from onething.core.files import StoredFile
from onething.core.ids import mask_id_number


class FileOut(BaseModel):
    id: str
    filename: str
    media_type: str
    size: int
    sha256: str

    @classmethod
    def of(cls, row: StoredFile) -> FileOut:
        return cls(
            id=row.id,
            filename=row.filename,
            media_type=row.media_type,
            size=row.size,
            sha256=row.sha256,
        )


class DraftIn(BaseModel):
    answers: dict[str, str | list[str]] | None = None
    form: dict[str, Any] | None = None
    materials: dict[str, list[str]] | None = Field(
        default=None, description="材料键 → 先用 POST /files 上传得到的文件 id 列表"
    )
    delivery: dict[str, str] | None = Field(
        default=None,
        description='{"method": "online"|"window"|"post", 邮寄时另需 recipient, phone, address}',
    )
    version: int | None = Field(
        default=None, description="调用方看到的版本；已被他人修改时返回 409"
    )


class CaseIn(DraftIn):
    bundle: str | None = Field(default=None, description="一件事编码，如 newborn")
    item: str | None = Field(default=None, description="单个事项的实施编码")
    submit: bool = Field(default=False, description="创建后立即提交")


class VersionIn(BaseModel):
    version: int | None = None


class ReasonIn(VersionIn):
    reason: str = Field(min_length=1, max_length=2000)


class ProblemIn(BaseModel):
    kind: str = Field(description="field | material | other")
    key: str = ""
    label: str | None = None
    message: str = Field(min_length=1, max_length=1000)


class CorrectionIn(VersionIn):
    problems: list[ProblemIn] = Field(min_length=1)
    note: str = ""


class DeliverIn(VersionIn):
    tracking_number: str | None = None


class PauseIn(VersionIn):
    kind: str = Field(description="site_inspection | expert_review | hearing | testing")
    reason: str = Field(min_length=1, max_length=1000)
    expected_end: dt.date


class OpinionIn(VersionIn):
    opinion: str = Field(min_length=1, max_length=4000)


class ProblemOut(BaseModel):
    kind: str
    key: str
    label: str
    message: str


class PreReviewOut(BaseModel):
    ok: bool
    problems: list[ProblemOut]
    deferred: list[str]

    @classmethod
    def of(cls, review: PreReview) -> PreReviewOut:
        return cls(
            ok=review.ok,
            problems=[ProblemOut(**p.as_dict()) for p in review.problems],
            deferred=review.deferred,
        )


class FieldOut(BaseModel):
    key: str
    label: str
    type: str
    required: bool
    choices: list[str] | None
    help: str | None
    value: str | None


class MaterialOut(BaseModel):
    key: str
    name: str
    status: str
    necessity: str
    acceptance_standard: str
    blank_form_url: str | None
    sample_url: str | None
    files: list[FileOut]
    material_ids: list[int]


class ResultOut(BaseModel):
    name: str
    number: str
    result_type: str
    issued_at: dt.datetime


class TaskOut(BaseModel):
    id: int
    case_id: int
    case_number: str | None
    item_code: str
    item_name: str
    department: str
    state: str
    state_label: str
    after: list[int]
    started_on: dt.date | None
    due_on: dt.date | None
    promised_days: int
    paused_days: int
    alert: str
    alert_label: str
    opinion: str | None
    decided_at: dt.datetime | None
    result: ResultOut | None
    version: int

    @classmethod
    def of(cls, t: ItemTask) -> TaskOut:
        return cls(
            id=t.id,
            case_id=t.case_id,
            case_number=t.case.number,
            item_code=t.item.code,
            item_name=t.item.name,
            department=t.department.name,
            state=t.state,
            state_label=TASK_STATE_LABELS[t.state],
            after=t.after,
            started_on=t.started_on,
            due_on=t.due_on,
            promised_days=t.promised_days,
            paused_days=t.paused_days,
            alert=t.alert,
            alert_label=ALERT_LABELS[t.alert],
            opinion=t.opinion,
            decided_at=t.decided_at,
            result=ResultOut(
                name=t.result.name,
                number=t.result.number,
                result_type=t.result.result_type,
                issued_at=t.result.issued_at,
            )
            if t.result
            else None,
            version=t.version,
        )


class CaseOut(BaseModel):
    id: int
    number: str | None
    title: str
    state: str
    state_label: str
    applicant: str
    region_code: str
    submitted_at: dt.datetime | None
    accepted_on: dt.date | None
    due_on: dt.date | None
    promised_days: int | None
    alert: str
    delivery: dict[str, Any]
    tracking_number: str | None
    reason: str | None
    version: int

    @classmethod
    def of(cls, c: Case) -> CaseOut:
        return cls(**_case_fields(c))


def _case_fields(c: Case) -> dict[str, Any]:
    return {
        "id": c.id,
        "number": c.number,
        "title": c.title,
        "state": c.state,
        "state_label": CASE_STATE_LABELS[c.state],
        "applicant": f"{c.applicant.name}（{mask_id_number(c.applicant.login)}）",
        "region_code": c.region_code,
        "submitted_at": c.submitted_at,
        "accepted_on": c.accepted_on,
        "due_on": c.due_on,
        "promised_days": c.promised_days,
        "alert": c.alert,
        "delivery": c.delivery,
        "tracking_number": c.tracking_number,
        "reason": c.reason,
        "version": c.version,
    }


class NoticeOut(BaseModel):
    round: int
    problems: list[ProblemOut]
    note: str | None
    issued_at: dt.datetime
    resolved_at: dt.datetime | None


class CaseDetail(CaseOut):
    answers: dict[str, Any]
    fields: list[FieldOut]
    materials: list[MaterialOut]
    pre_review: PreReviewOut
    tasks: list[TaskOut]
    notice: NoticeOut | None
    applicant_actions: list[str]

    @classmethod
    def build(cls, c: Case, review: PreReview, notice: NoticeOut | None) -> CaseDetail:
        resolved = cs.resolution(c)
        files = current_files(c)
        return cls(
            **_case_fields(c),
            answers=c.answers,
            fields=[
                FieldOut(
                    key=f.key,
                    label=f.label,
                    type=f.type,
                    required=f.required,
                    choices=f.choices,
                    help=f.help,
                    value=c.form.get(f.key),
                )
                for f in resolved.fields
            ],
            materials=[
                MaterialOut(
                    key=m.material.key,
                    name=m.material.name,
                    status=m.status,
                    necessity=m.material.necessity,
                    acceptance_standard=m.material.acceptance_standard,
                    blank_form_url=m.material.blank_form_url,
                    sample_url=m.material.sample_url,
                    files=[FileOut.of(r.file) for r in files.get(m.material.key, [])],
                    material_ids=[r.id for r in files.get(m.material.key, [])],
                )
                for m in resolved.materials
            ],
            pre_review=PreReviewOut.of(review),
            tasks=[TaskOut.of(t) for t in c.tasks],
            notice=notice,
            applicant_actions=applicant_actions(c),
        )


class TimelineOut(BaseModel):
    at: dt.datetime
    who: str
    what: str
    note: str | None
    subject: str


class QueueOut(BaseModel):
    case: CaseOut
    waiting_days: int
    overdue: bool


class FieldChangeOut(BaseModel):
    key: str
    label: str
    before: str | None
    after: str | None


class ChangesOut(BaseModel):
    fields: list[FieldChangeOut]
    files_added: dict[str, list[str]]
    files_removed: dict[str, list[str]]


class InboxOut(BaseModel):
    task: TaskOut
    used_days: int
    alert: str


class OverdueOut(BaseModel):
    task: TaskOut
    used_days: int
    over_by: int


class OverdueReportOut(BaseModel):
    tasks: list[OverdueOut]
    by_department: dict[str, int]
    by_region: dict[str, int]


class NotificationOut(BaseModel):
    id: int
    tag: str
    title: str
    body: str
    link: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class ReadIn(BaseModel):
    ids: list[int] | None = None
