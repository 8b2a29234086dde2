"""JSON API for cases: applicants, the comprehensive window, departments and supervisors.

Every endpoint loads the record through the service (which checks who may see it), makes one
service call, and returns the shapes in cases/schemas.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, UploadFile, status
from fastapi.responses import FileResponse

from onething.cases import apply, deadlines, review, window
from onething.cases import service as cs
from onething.cases.models import Case
from onething.cases.schemas import (
    CaseDetail,
    CaseIn,
    CaseOut,
    ChangesOut,
    CorrectionIn,
    DeliverIn,
    DraftIn,
    FieldChangeOut,
    FileOut,
    InboxOut,
    NoticeOut,
    NotificationOut,
    OpinionIn,
    OverdueOut,
    OverdueReportOut,
    PauseIn,
    PreReviewOut,
    ProblemOut,
    QueueOut,
    ReadIn,
    ReasonIn,
    TaskOut,
    TimelineOut,
    VersionIn,
)
from onething.cases.states import CaseState, TaskState
from onething.core import notify
from onething.core.files import store_upload
from onething.web.deps import Applicant, CurrentUser, Db, StaffUser, request_actor
from onething.web.downloads import attachment_response

router = APIRouter(tags=["cases"])
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=80, description="重试同一请求时带相同的值"),
]


def detail(db: Db, case: Case) -> CaseDetail:
    notice = window.latest_notice(db, case)
    return CaseDetail.build(
        case,
        apply.pre_review(case),
        NoticeOut(
            round=notice.round,
            problems=[ProblemOut(**p) for p in notice.problems],
            note=notice.note,
            issued_at=notice.issued_at,
            resolved_at=notice.resolved_at,
        )
        if notice
        else None,
    )


def _draft(body: DraftIn) -> apply.Draft:
    return apply.Draft(
        answers=body.answers, form=body.form, materials=body.materials, delivery=body.delivery
    )


# ---------------------------------------------------------------- applicant


@router.post("/files", response_model=FileOut, status_code=status.HTTP_201_CREATED)
def upload_file(file: UploadFile, db: Db, user: Applicant) -> FileOut:
    """Upload one material file (PDF, JPG or PNG, checked by content); use its id in a case."""
    return FileOut.of(store_upload(db, file.file, file.filename or "", user.id))


@router.post("/cases", response_model=CaseDetail, status_code=status.HTTP_201_CREATED)
def create_case(
    body: CaseIn,
    request: Request,
    response: Response,
    db: Db,
    user: Applicant,
    idempotency_key: IdempotencyKey = None,
) -> CaseDetail:
    """Start an application (and submit it with `submit: true`). A retry with the same
    Idempotency-Key returns the first call's case with status 200, never a second case."""
    actor = request_actor(request, user)
    case, created = apply.create_draft(
        db,
        user,
        actor,
        bundle_code=body.bundle,
        item_code=body.item,
        draft=_draft(body),
        idempotency_key=idempotency_key,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    elif body.submit:
        apply.submit(db, case, user, actor)
    return detail(db, case)


@router.get("/cases", response_model=list[CaseOut])
def list_my_cases(db: Db, user: Applicant) -> list[CaseOut]:
    return [CaseOut.of(c) for c in cs.my_cases(db, user)]


@router.get("/cases/by-number/{number}", response_model=CaseDetail)
def case_by_number(number: str, db: Db, user: CurrentUser) -> CaseDetail:
    return detail(db, cs.find_case_by_number(db, number, user))


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(case_id: int, db: Db, user: CurrentUser) -> CaseDetail:
    return detail(db, cs.load_case(db, case_id, user))


@router.patch("/cases/{case_id}", response_model=CaseDetail)
def update_case(
    case_id: int, body: DraftIn, request: Request, db: Db, user: Applicant
) -> CaseDetail:
    """Save answers, form values, materials or delivery of a draft or a case to correct."""
    case = cs.load_case(db, case_id, user)
    apply.update_draft(
        db, case, user, request_actor(request, user), _draft(body), expected_version=body.version
    )
    return detail(db, case)


@router.post(
    "/cases/{case_id}/materials/{key}",
    response_model=CaseDetail,
    status_code=status.HTTP_201_CREATED,
)
def upload_case_material(
    case_id: int, key: str, file: UploadFile, request: Request, db: Db, user: Applicant
) -> CaseDetail:
    case = cs.load_case(db, case_id, user)
    apply.upload_material(
        db, case, user, request_actor(request, user), key, file.file, file.filename or ""
    )
    return detail(db, case)


@router.delete("/cases/{case_id}/materials/{material_id}", response_model=CaseDetail)
def remove_case_material(
    case_id: int, material_id: int, request: Request, db: Db, user: Applicant
) -> CaseDetail:
    case = cs.load_case(db, case_id, user)
    apply.remove_material(db, case, user, request_actor(request, user), material_id)
    return detail(db, case)


@router.get("/cases/{case_id}/pre-review", response_model=PreReviewOut)
def pre_review(case_id: int, db: Db, user: CurrentUser) -> PreReviewOut:
    return PreReviewOut.of(apply.pre_review(cs.load_case(db, case_id, user)))


@router.post("/cases/{case_id}/submit", response_model=CaseDetail)
def submit_case(
    case_id: int, request: Request, db: Db, user: Applicant, body: VersionIn | None = None
) -> CaseDetail:
    """Submit, or resubmit after a correction; submitting a submitted case changes nothing."""
    case = cs.load_case(db, case_id, user)
    apply.submit(
        db,
        case,
        user,
        request_actor(request, user),
        expected_version=body.version if body else None,
    )
    return detail(db, case)


@router.post("/cases/{case_id}/withdraw", response_model=CaseDetail)
def withdraw_case(
    case_id: int, body: ReasonIn, request: Request, db: Db, user: Applicant
) -> CaseDetail:
    case = cs.load_case(db, case_id, user)
    apply.withdraw(db, case, user, request_actor(request, user), body.reason)
    return detail(db, case)


@router.get("/cases/{case_id}/timeline", response_model=list[TimelineOut])
def case_timeline(case_id: int, db: Db, user: CurrentUser) -> list[TimelineOut]:
    """进度随时查: every step with who and when."""
    case = cs.load_case(db, case_id, user)
    return [TimelineOut(**vars(e)) for e in cs.timeline(db, case)]


@router.get("/cases/{case_id}/files/{file_id}", response_class=FileResponse)
def download_file(case_id: int, file_id: str, db: Db, user: CurrentUser) -> FileResponse:
    """A material file of a case the caller may see, as an attachment."""
    return attachment_response(cs.case_file(cs.load_case(db, case_id, user), file_id))


# ---------------------------------------------------------------- window


@router.get("/window/queue", response_model=list[QueueOut])
def window_queue(
    db: Db,
    user: StaffUser,
    state: Annotated[list[CaseState] | None, Query()] = None,
) -> list[QueueOut]:
    """Cases for the window, oldest first; default: submitted, waiting for acceptance."""
    states = [s.value for s in state] if state else [CaseState.submitted.value]
    return [
        QueueOut(case=CaseOut.of(e.case), waiting_days=e.waiting_days, overdue=e.overdue)
        for e in window.queue(db, user, states)
    ]


@router.get("/window/cases/{case_id}/changes", response_model=ChangesOut | None)
def window_changes(case_id: int, db: Db, user: StaffUser) -> ChangesOut | None:
    """What the applicant's last correction changed."""
    changes = window.changes_since_last_round(db, cs.load_case(db, case_id, user))
    if changes is None:
        return None
    return ChangesOut(
        fields=[FieldChangeOut(**vars(f)) for f in changes.fields],
        files_added=changes.files_added,
        files_removed=changes.files_removed,
    )


@router.post("/window/cases/{case_id}/accept", response_model=CaseDetail)
def accept_case(
    case_id: int, request: Request, db: Db, user: StaffUser, body: VersionIn | None = None
) -> CaseDetail:
    case = cs.load_case(db, case_id, user)
    window.accept(
        db,
        case,
        user,
        request_actor(request, user),
        expected_version=body.version if body else None,
    )
    return detail(db, case)


@router.post("/window/cases/{case_id}/refuse", response_model=CaseDetail)
def refuse_case(
    case_id: int, body: ReasonIn, request: Request, db: Db, user: StaffUser
) -> CaseDetail:
    case = cs.load_case(db, case_id, user)
    window.refuse(
        db, case, user, request_actor(request, user), body.reason, expected_version=body.version
    )
    return detail(db, case)


@router.post("/window/cases/{case_id}/correction", response_model=CaseDetail)
def request_correction(
    case_id: int, body: CorrectionIn, request: Request, db: Db, user: StaffUser
) -> CaseDetail:
    """一次性告知: every problem at once."""
    case = cs.load_case(db, case_id, user)
    window.request_correction(
        db,
        case,
        user,
        request_actor(request, user),
        [p.model_dump(exclude_none=True) for p in body.problems],
        body.note,
        expected_version=body.version,
    )
    return detail(db, case)


@router.post("/window/cases/{case_id}/deliver", response_model=CaseDetail)
def deliver_case(
    case_id: int, body: DeliverIn, request: Request, db: Db, user: StaffUser
) -> CaseDetail:
    """出件: all results together, by the applicant's chosen delivery."""
    case = cs.load_case(db, case_id, user)
    window.deliver(
        db,
        case,
        user,
        request_actor(request, user),
        tracking_number=body.tracking_number,
        expected_version=body.version,
    )
    return detail(db, case)


# ---------------------------------------------------------------- departments


@router.get("/tasks", response_model=list[InboxOut])
def task_inbox(
    db: Db,
    user: StaffUser,
    state: Annotated[list[TaskState] | None, Query()] = None,
) -> list[InboxOut]:
    """The tasks of the caller's departments; default: pending and in review."""
    states = [s.value for s in state] if state else ["pending", "claimed", "paused"]
    return [
        InboxOut(task=TaskOut.of(e.task), used_days=e.used, alert=e.alert)
        for e in review.inbox(db, user, states)
    ]


@router.get("/tasks/{task_id}", response_model=TaskOut)
def get_task(task_id: int, db: Db, user: StaffUser) -> TaskOut:
    return TaskOut.of(cs.load_task(db, task_id, user))


@router.post("/tasks/{task_id}/claim", response_model=TaskOut)
def claim_task(
    task_id: int, request: Request, db: Db, user: StaffUser, body: VersionIn | None = None
) -> TaskOut:
    task = cs.load_task(db, task_id, user)
    review.claim(
        db,
        task,
        user,
        request_actor(request, user),
        expected_version=body.version if body else None,
    )
    return TaskOut.of(task)


@router.post("/tasks/{task_id}/pause", response_model=TaskOut)
def pause_task(task_id: int, body: PauseIn, request: Request, db: Db, user: StaffUser) -> TaskOut:
    """特别程序: the clock stops until resumed."""
    task = cs.load_task(db, task_id, user)
    review.pause(
        db,
        task,
        user,
        request_actor(request, user),
        body.kind,
        body.reason,
        body.expected_end,
        expected_version=body.version,
    )
    return TaskOut.of(task)


@router.post("/tasks/{task_id}/resume", response_model=TaskOut)
def resume_task(
    task_id: int, request: Request, db: Db, user: StaffUser, body: VersionIn | None = None
) -> TaskOut:
    task = cs.load_task(db, task_id, user)
    review.resume(
        db,
        task,
        user,
        request_actor(request, user),
        expected_version=body.version if body else None,
    )
    return TaskOut.of(task)


@router.post("/tasks/{task_id}/approve", response_model=TaskOut)
def approve_task(
    task_id: int, body: OpinionIn, request: Request, db: Db, user: StaffUser
) -> TaskOut:
    task = cs.load_task(db, task_id, user)
    review.approve(
        db, task, user, request_actor(request, user), body.opinion, expected_version=body.version
    )
    return TaskOut.of(task)


@router.post("/tasks/{task_id}/deny", response_model=TaskOut)
def deny_task(task_id: int, body: OpinionIn, request: Request, db: Db, user: StaffUser) -> TaskOut:
    task = cs.load_task(db, task_id, user)
    review.deny(
        db, task, user, request_actor(request, user), body.opinion, expected_version=body.version
    )
    return TaskOut.of(task)


# ---------------------------------------------------------------- supervision and messages


@router.get("/supervision/overdue", response_model=OverdueReportOut)
def overdue(db: Db, user: StaffUser) -> OverdueReportOut:
    """Open tasks past their time limit in the caller's regions, by department and region."""
    report = deadlines.overdue(db, user)
    return OverdueReportOut(
        tasks=[
            OverdueOut(task=TaskOut.of(o.task), used_days=o.used, over_by=o.over_by)
            for o in report.tasks
        ],
        by_department=dict(report.by_department),
        by_region=dict(report.by_region),
    )


@router.get("/notifications", response_model=list[NotificationOut])
def list_notifications(db: Db, user: CurrentUser) -> list[NotificationOut]:
    return [
        NotificationOut.model_validate(n, from_attributes=True)
        for n in notify.list_notifications(db, user.id)
    ]


@router.post("/notifications/read")
def read_notifications(body: ReadIn, db: Db, user: CurrentUser) -> dict[str, int]:
    return {"marked": notify.mark_read(db, user.id, body.ids)}
