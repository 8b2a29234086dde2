"""Chinese pages for the case lifecycle: applicants apply and follow their cases, the window
accepts and issues the results, departments review, supervisors see what is overdue.

Handlers stay thin: load the record (that checks read permission), call the service (write
permission and every rule live there), then render one template or redirect (post/redirect/
get). A refusal the person can put right comes back on the same page, next to its field.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as PostedFile

from onething.accounts.models import User
from onething.cases import apply, deadlines, review, window
from onething.cases import service as cs
from onething.cases.models import Case, ItemTask
from onething.cases.states import (
    ALERT_LABELS,
    CASE_MACHINE,
    CASE_STATE_LABELS,
    DELIVERY_LABELS,
    PAUSE_KIND_LABELS,
    TASK_MACHINE,
    TASK_STATE_LABELS,
    CaseState,
    Party,
    TaskState,
)
from onething.catalog import service as catalog
from onething.catalog.models import Bundle
from onething.config import get_settings
from onething.core import notify
from onething.core.audit import Actor
from onething.core.errors import DomainError
from onething.core.files import ALLOWED_LABEL
from onething.web.deps import (
    Applicant,
    CsrfChecked,
    CurrentUser,
    Db,
    PostedForm,
    StaffUser,
    attempt,
    form_text,
    request_actor,
    see_other,
)
from onething.web.downloads import attachment_response
from onething.web.templating import render

router = APIRouter(include_in_schema=False)

LABELS: dict[str, Any] = {
    "CASE_STATES": CASE_STATE_LABELS,
    "TASK_STATES": TASK_STATE_LABELS,
    "DELIVERY": DELIVERY_LABELS,
    "ALERTS": ALERT_LABELS,
    "PAUSE_KINDS": PAUSE_KIND_LABELS,
}
ACCEPT_FILES = ".pdf,.jpg,.jpeg,.png"
QUEUE_TABS: dict[str, str] = {
    CaseState.submitted: "待受理",
    CaseState.correction_requested: "待补正",
    CaseState.accepted: "审批中",
    CaseState.completed: "待出件",
}
INBOX_TABS: dict[str, tuple[str, list[str]]] = {
    "pending": ("待签收", [TaskState.pending]),
    "claimed": ("审查中", [TaskState.claimed]),
    "paused": ("特别程序", [TaskState.paused]),
    "done": ("已办结", [TaskState.approved, TaskState.denied]),
}


def _page(
    request: Request, template: str, ctx: dict[str, Any], user: User, status: int = 200
) -> Response:
    return render(request, template, {**LABELS, **ctx}, status_code=status, user=user)


def _prefixed(form: FormData, prefix: str) -> dict[str, str]:
    """The posted values named `prefix.key`, as {key: value}."""
    return {
        name.removeprefix(prefix): value
        for name, value in form.multi_items()
        if name.startswith(prefix) and isinstance(value, str)
    }


def _answer_labels(case: Case) -> list[tuple[str, str]]:
    """The situation questions and what the applicant chose, in words."""
    if case.bundle is None:
        return []
    out = []
    for s in catalog.bundle_schema(case.bundle).situations:
        picked = case.answers.get(s.key, [])
        chosen = [o.label for o in s.options if o.value in picked]
        out.append((s.question, "、".join(chosen) or "未选择"))
    return out


def _notice_requests(case: Case, db: Session) -> dict[str, str]:
    """What the open correction notice asks, by "kind:key", to show beside each field."""
    if case.state != CaseState.correction_requested:
        return {}
    notice = window.latest_notice(db, case)
    problems = notice.problems if notice is not None else []
    return {f"{p['kind']}:{p['key']}": p["message"] for p in problems}


# ---------------------------------------------------------------- applicant: apply


@router.get("/apply/{bundle_code}", response_class=HTMLResponse)
def apply_page(bundle_code: str, request: Request, db: Db, user: Applicant) -> Response:
    """Answers may arrive pre-selected (智能导办: `?answer.outdoor_sign=yes`); the applicant
    confirms each one before the application starts."""
    bundle = catalog.load_bundle(db, bundle_code)
    doc = catalog.bundle_schema(bundle)
    chosen = {s.key: request.query_params.getlist(f"answer.{s.key}") for s in doc.situations}
    chosen = {key: values for key, values in chosen.items() if values}
    return _apply_page(request, user, bundle, chosen, inferred=bool(chosen))


def _apply_page(
    request: Request,
    user: User,
    bundle: Bundle,
    chosen: Mapping[str, list[str]] | None = None,
    missing: list[str] | None = None,
    status: int = 200,
    inferred: bool = False,
) -> Response:
    ctx = {
        "bundle": bundle,
        "doc": catalog.bundle_schema(bundle),
        "chosen": chosen or {},
        "inferred": inferred,
        "missing": missing or [],
        "wrong_kind": bundle.target != user.kind,
        # One key per page view: a double click on 开始填写 makes one draft, not two.
        "token": secrets.token_urlsafe(16),
    }
    return _page(request, "cases/apply.html", ctx, user, status)


@router.post("/apply/{bundle_code}", dependencies=[CsrfChecked])
def start_application(
    bundle_code: str, request: Request, db: Db, user: Applicant, form: PostedForm
) -> Response:
    bundle = catalog.load_bundle(db, bundle_code)
    doc = catalog.bundle_schema(bundle)
    chosen = {s.key: [str(v) for v in form.getlist(f"answer.{s.key}")] for s in doc.situations}
    chosen = {key: values for key, values in chosen.items() if values}
    try:
        case, _ = apply.create_draft(
            db,
            user,
            request_actor(request, user),
            bundle_code=bundle.code,
            draft=apply.Draft(answers=chosen),
            idempotency_key=form_text(form, "token")[:80] or None,
            all_answers=True,
        )
    except DomainError as exc:
        if exc.code != "answers_required":
            raise
        missing = [d.field for d in exc.details if d.field]
        return _apply_page(request, user, bundle, chosen, missing, 422)
    return see_other(f"/my/cases/{case.id}/edit")


# ---------------------------------------------------------------- applicant: my cases


@router.get("/my/cases", response_class=HTMLResponse)
def my_cases(request: Request, db: Db, user: Applicant) -> Response:
    return _page(request, "cases/my_cases.html", {"cases": cs.my_cases(db, user)}, user)


@router.get("/my/cases/{case_id}/edit", response_class=HTMLResponse)
def edit_page(case_id: int, request: Request, db: Db, user: Applicant) -> Response:
    case = cs.load_case(db, case_id, user)
    if case.state not in apply.EDITABLE:
        return see_other(f"/my/cases/{case.id}")
    return _edit_page(request, db, user, case)


def _edit_page(
    request: Request,
    db: Session,
    user: User,
    case: Case,
    *,
    status: int = 200,
    error: DomainError | None = None,
    values: Mapping[str, str] | None = None,
    delivery: Mapping[str, str] | None = None,
    material_errors: Mapping[str, str] | None = None,
    show_all: bool = False,
) -> Response:
    """The one form and the one material list. Field messages are shown beside what was typed;
    beside empty fields only once the applicant has tried to submit."""
    resolved = cs.resolution(case)
    values = case.form if values is None else values
    field_problems = apply.form_problems(case, resolved, values)
    other_problems = [
        p
        for p in apply.pre_review(case, resolved).problems
        if p.kind not in ("field", "consistency")
    ]
    errors = {p.key: p.message for p in field_problems if show_all or values.get(p.key)}
    if error is not None and error.field:
        errors.setdefault(error.field, error.message)
    ctx = {
        "case": case,
        "resolved": resolved,
        "values": values,
        "delivery": case.delivery if delivery is None else delivery,
        "field_errors": errors,
        "material_errors": material_errors or {},
        # Empty fields are not listed before the first attempt to submit (no nagging).
        "problems": [
            *(p for p in field_problems if show_all or values.get(p.key)),
            *other_problems,
        ],
        "complete": not field_problems and not other_problems,
        "files": apply.current_files(case),
        "fix": _notice_requests(case, db),
        "notice": window.latest_notice(db, case)
        if case.state == CaseState.correction_requested
        else None,
        "answers": _answer_labels(case),
        "error": error,
        "accept_files": ACCEPT_FILES,
        "allowed_label": ALLOWED_LABEL,
        "max_mb": get_settings().upload_max_mb,
    }
    return _page(request, "cases/edit.html", ctx, user, status)


@router.post("/my/cases/{case_id}/edit", dependencies=[CsrfChecked])
def save_case(
    case_id: int, request: Request, db: Db, user: Applicant, form: PostedForm
) -> Response:
    """One form for everything: typed values are saved first whatever button was pressed, then
    files are added or removed, then (for 提交申请) the case is submitted."""
    case = cs.load_case(db, case_id, user, lock=True)
    action = form_text(form, "action") or "save"
    seen_round = form_text(form, "round")
    if action == "submit" and seen_round and seen_round != str(case.round):
        # The page was rendered before the last submission: a second click on 提交申请.
        return see_other(f"/my/cases/{case.id}")
    actor = request_actor(request, user)
    values, delivery = _prefixed(form, "field."), _prefixed(form, "delivery.")
    draft = apply.Draft(form=values, delivery=delivery)
    error = attempt(db, partial(apply.update_draft, db, case, user, actor, draft))
    if error is not None:
        return _edit_page(
            request,
            db,
            user,
            case,
            status=error.status,
            error=error,
            values=values,
            delivery=delivery,
        )
    for raw in form.getlist("remove"):
        if isinstance(raw, str) and raw.isdigit():
            apply.remove_material(db, case, user, actor, int(raw))
    material_errors = _upload_files(db, case, user, actor, form)
    if material_errors:
        return _edit_page(request, db, user, case, status=422, material_errors=material_errors)
    if action == "submit":
        error = attempt(db, partial(apply.submit, db, case, user, actor))
        if error is not None:
            return _edit_page(
                request, db, user, case, status=error.status, error=error, show_all=True
            )
        return see_other(f"/my/cases/{case.id}")
    anchor = "#materials" if action == "upload" or form.getlist("remove") else ""
    return see_other(f"/my/cases/{case.id}/edit{anchor}")


def _upload_files(
    db: Session, case: Case, user: User, actor: Actor, form: FormData
) -> dict[str, str]:
    """Store every chosen file (inputs named `file.<material key>`); a refused file is reported
    beside its material while the others are kept."""
    errors: dict[str, str] = {}
    for name, value in form.multi_items():
        if not (name.startswith("file.") and isinstance(value, PostedFile) and value.filename):
            continue
        key = name.removeprefix("file.")
        upload = partial(
            apply.upload_material, db, case, user, actor, key, value.file, value.filename
        )
        error = attempt(db, upload)
        if error is not None:
            errors[key] = f"{value.filename}：{error.message}"
    return errors


@router.post("/my/cases/{case_id}/materials/{key}", dependencies=[CsrfChecked])
def upload_material(
    case_id: int, key: str, request: Request, db: Db, user: Applicant, file: UploadFile
) -> Response:
    """One file for one material, for clients that post a single file."""
    case = cs.load_case(db, case_id, user, lock=True)
    upload = partial(
        apply.upload_material,
        db,
        case,
        user,
        request_actor(request, user),
        key,
        file.file,
        file.filename or "",
    )
    error = attempt(db, upload)
    if error is not None:
        errors = {key: f"{file.filename}：{error.message}"}
        return _edit_page(request, db, user, case, status=error.status, material_errors=errors)
    return see_other(f"/my/cases/{case.id}/edit#m-{key}")


@router.get("/my/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: int, request: Request, db: Db, user: Applicant) -> Response:
    return _case_page(request, db, user, cs.load_case(db, case_id, user))


def _case_page(
    request: Request,
    db: Session,
    user: User,
    case: Case,
    *,
    status: int = 200,
    error: DomainError | None = None,
) -> Response:
    ctx = {
        "case": case,
        "resolved": cs.resolution(case),
        "files": apply.current_files(case),
        "answers": _answer_labels(case),
        "notice": window.latest_notice(db, case)
        if case.state == CaseState.correction_requested
        else None,
        "timeline": cs.timeline(db, case),
        "can_withdraw": apply.can_withdraw(case),
        "error": error,
    }
    return _page(request, "cases/case.html", ctx, user, status)


@router.post("/my/cases/{case_id}/withdraw", dependencies=[CsrfChecked])
def withdraw_case(
    case_id: int,
    request: Request,
    db: Db,
    user: Applicant,
    reason: Annotated[str, Form()] = "",
) -> Response:
    case = cs.load_case(db, case_id, user, lock=True)
    actor = request_actor(request, user)
    error = attempt(db, partial(apply.withdraw, db, case, user, actor, reason))
    if error is not None:
        return _case_page(request, db, user, case, status=error.status, error=error)
    return see_other(f"/my/cases/{case.id}")


# ---------------------------------------------------------------- files and messages


@router.get("/files/{case_id}/{file_id}")
def download_file(case_id: int, file_id: str, db: Db, user: CurrentUser) -> Response:
    """A material file, only to someone who may see its case."""
    return attachment_response(cs.case_file(cs.load_case(db, case_id, user), file_id))


@router.get("/messages", response_class=HTMLResponse)
def messages(request: Request, db: Db, user: CurrentUser) -> Response:
    ctx = {"messages": notify.list_notifications(db, user.id)}
    return _page(request, "cases/messages.html", ctx, user)


@router.post("/messages/read", dependencies=[CsrfChecked])
def read_messages(db: Db, user: CurrentUser) -> Response:
    notify.mark_read(db, user.id)
    return see_other("/messages")


# ---------------------------------------------------------------- comprehensive window


@router.get("/window", response_class=HTMLResponse)
def window_queue(
    request: Request, db: Db, user: StaffUser, state: str = CaseState.submitted
) -> Response:
    state = state if state in QUEUE_TABS else CaseState.submitted
    ctx = {"tabs": QUEUE_TABS, "state": state, "entries": window.queue(db, user, [state])}
    return _page(request, "cases/window_queue.html", ctx, user)


@dataclass
class Checklist:
    """The 一次性告知 form: one row per field and material ("kind:key"), ticked or not, each
    with the requirement text; plus anything else and a note."""

    picked: list[str]
    messages: dict[str, str]
    other: str = ""
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_review(cls, check: apply.PreReview) -> Checklist:
        """Pre-ticked where the pre-review found a problem, its message as the requirement."""
        found = {
            f"{p.kind}:{p.key}": p.message
            for p in check.problems
            if p.kind in ("field", "material")
        }
        return cls(list(found), found)

    @classmethod
    def posted(cls, form: FormData) -> Checklist:
        picked = [str(v) for v in form.getlist("pick")]
        return cls(
            picked, _prefixed(form, "msg."), form_text(form, "other"), form_text(form, "note")
        )

    def problems(self) -> list[dict[str, str]]:
        out = []
        for row in self.picked:
            kind, _, key = row.partition(":")
            out.append({"kind": kind, "key": key, "message": self.messages.get(row, "")})
        if self.other:
            out.append({"kind": "other", "key": "other", "message": self.other})
        return out

    def explain(self, exc: DomainError) -> None:
        """Put the service's per-problem messages ("problems.3.message") beside their rows."""
        rows = [*self.picked, "other"]
        for d in exc.details:
            parts = (d.field or "").split(".")
            if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(rows):
                self.errors[rows[int(parts[1])]] = d.message


@router.get("/window/cases/{case_id}", response_class=HTMLResponse)
def window_case(case_id: int, request: Request, db: Db, user: StaffUser) -> Response:
    return _window_page(request, db, user, cs.load_case(db, case_id, user))


def _window_page(
    request: Request,
    db: Session,
    user: User,
    case: Case,
    *,
    status: int = 200,
    error: DomainError | None = None,
    checklist: Checklist | None = None,
) -> Response:
    resolved = cs.resolution(case)
    check = apply.pre_review(case, resolved)
    acts = CASE_MACHINE.allowed(case.state, Party.window) if cs.is_window(user, case) else []
    ctx = {
        "case": case,
        "resolved": resolved,
        "check": check,
        "files": apply.current_files(case),
        "answers": _answer_labels(case),
        "changes": window.changes_since_last_round(db, case),
        "notices": window.notices(db, case),
        "timeline": cs.timeline(db, case),
        "actions": acts,
        "checklist": checklist or Checklist.from_review(check),
        "checklist_rows": [
            *((f"field:{f.key}", f.label, "填报项") for f in resolved.fields),
            *(
                (f"material:{n.material.key}", n.material.name, "材料")
                for n in resolved.asked_materials
            ),
        ],
        "material_names": {n.material.key: n.material.name for n in resolved.materials},
        "error": error,
    }
    return _page(request, "cases/window_case.html", ctx, user, status)


def _window_decided(
    request: Request,
    db: Session,
    user: User,
    case: Case,
    error: DomainError | None,
    checklist: Checklist | None = None,
) -> Response:
    if error is None:
        return see_other(f"/window/cases/{case.id}")
    return _window_page(
        request, db, user, case, status=error.status, error=error, checklist=checklist
    )


@router.post("/window/cases/{case_id}/accept", dependencies=[CsrfChecked])
def window_accept(
    case_id: int, request: Request, db: Db, user: StaffUser, version: Annotated[int, Form()]
) -> Response:
    case = cs.load_case(db, case_id, user, lock=True)
    actor = request_actor(request, user)
    act = partial(window.accept, db, case, user, actor, expected_version=version)
    return _window_decided(request, db, user, case, attempt(db, act))


@router.post("/window/cases/{case_id}/refuse", dependencies=[CsrfChecked])
def window_refuse(
    case_id: int,
    request: Request,
    db: Db,
    user: StaffUser,
    version: Annotated[int, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    case = cs.load_case(db, case_id, user, lock=True)
    actor = request_actor(request, user)
    act = partial(window.refuse, db, case, user, actor, reason, expected_version=version)
    return _window_decided(request, db, user, case, attempt(db, act))


@router.post("/window/cases/{case_id}/correction", dependencies=[CsrfChecked])
def window_correction(
    case_id: int,
    request: Request,
    db: Db,
    user: StaffUser,
    form: PostedForm,
    version: Annotated[int, Form()],
) -> Response:
    case = cs.load_case(db, case_id, user, lock=True)
    checklist = Checklist.posted(form)
    act = partial(
        window.request_correction,
        db,
        case,
        user,
        request_actor(request, user),
        checklist.problems(),
        checklist.note,
        expected_version=version,
    )
    error = attempt(db, act)
    if error is not None:
        checklist.explain(error)
    return _window_decided(request, db, user, case, error, checklist)


@router.post("/window/cases/{case_id}/deliver", dependencies=[CsrfChecked])
def window_deliver(
    case_id: int,
    request: Request,
    db: Db,
    user: StaffUser,
    version: Annotated[int, Form()],
    tracking_number: Annotated[str, Form()] = "",
) -> Response:
    case = cs.load_case(db, case_id, user, lock=True)
    act = partial(
        window.deliver,
        db,
        case,
        user,
        request_actor(request, user),
        tracking_number=tracking_number,
        expected_version=version,
    )
    return _window_decided(request, db, user, case, attempt(db, act))


# ---------------------------------------------------------------- departments


@router.get("/dept/tasks", response_class=HTMLResponse)
def dept_inbox(request: Request, db: Db, user: StaffUser, state: str = "pending") -> Response:
    state = state if state in INBOX_TABS else "pending"
    ctx = {
        "tabs": {key: label for key, (label, _) in INBOX_TABS.items()},
        "state": state,
        "entries": review.inbox(db, user, INBOX_TABS[state][1]),
    }
    return _page(request, "cases/dept_inbox.html", ctx, user)


@router.get("/dept/tasks/{task_id}", response_class=HTMLResponse)
def dept_task(task_id: int, request: Request, db: Db, user: StaffUser) -> Response:
    return _task_page(request, db, user, cs.load_task(db, task_id, user))


def _task_page(
    request: Request,
    db: Session,
    user: User,
    task: ItemTask,
    *,
    status: int = 200,
    error: DomainError | None = None,
    posted: Mapping[str, str] | None = None,
) -> Response:
    case = task.case
    mine = cs.is_reviewer(user, task)
    ctx = {
        "task": task,
        "case": case,
        "resolved": cs.resolution(case),
        "files": apply.current_files(case),
        "answers": _answer_labels(case),
        "actions": TASK_MACHINE.allowed(task.state, Party.reviewer) if mine else [],
        "waiting_for": [t for t in case.tasks if t.id in task.after],
        "reviewable": {t.id for t in case.tasks if cs.is_reviewer(user, t)},
        "timeline": cs.timeline(db, case),
        "posted": posted or {},
        "error": error,
    }
    return _page(request, "cases/dept_task.html", ctx, user, status)


def _task_decided(
    request: Request,
    db: Session,
    user: User,
    task_id: int,
    act: Callable[[ItemTask, Actor], object],
    posted: Mapping[str, str] | None = None,
) -> Response:
    task = cs.load_task(db, task_id, user)
    error = attempt(db, partial(act, task, request_actor(request, user)))
    if error is None:
        return see_other(f"/dept/tasks/{task.id}")
    return _task_page(request, db, user, task, status=error.status, error=error, posted=posted)


Version = Annotated[int, Form()]
"""The record's version the page showed: a decision on a stale page is a clear conflict."""


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DomainError(
            "invalid_date", "请填写日期，例如 2026-01-31", 422, "expected_end"
        ) from None


@router.post("/dept/tasks/{task_id}/claim", dependencies=[CsrfChecked])
def dept_claim(
    task_id: int, request: Request, db: Db, user: StaffUser, version: Version
) -> Response:
    return _task_decided(
        request,
        db,
        user,
        task_id,
        lambda task, actor: review.claim(db, task, user, actor, expected_version=version),
    )


@router.post("/dept/tasks/{task_id}/pause", dependencies=[CsrfChecked])
def dept_pause(
    task_id: int,
    request: Request,
    db: Db,
    user: StaffUser,
    version: Version,
    kind: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    expected_end: Annotated[str, Form()] = "",
) -> Response:
    return _task_decided(
        request,
        db,
        user,
        task_id,
        lambda task, actor: review.pause(
            db, task, user, actor, kind, reason, _day(expected_end), expected_version=version
        ),
        {"kind": kind, "reason": reason, "expected_end": expected_end},
    )


@router.post("/dept/tasks/{task_id}/resume", dependencies=[CsrfChecked])
def dept_resume(
    task_id: int, request: Request, db: Db, user: StaffUser, version: Version
) -> Response:
    return _task_decided(
        request,
        db,
        user,
        task_id,
        lambda task, actor: review.resume(db, task, user, actor, expected_version=version),
    )


@router.post("/dept/tasks/{task_id}/approve", dependencies=[CsrfChecked])
def dept_approve(
    task_id: int,
    request: Request,
    db: Db,
    user: StaffUser,
    version: Version,
    opinion: Annotated[str, Form()] = "",
) -> Response:
    return _task_decided(
        request,
        db,
        user,
        task_id,
        lambda task, actor: review.approve(
            db, task, user, actor, opinion, expected_version=version
        ),
        {"opinion": opinion},
    )


@router.post("/dept/tasks/{task_id}/deny", dependencies=[CsrfChecked])
def dept_deny(
    task_id: int,
    request: Request,
    db: Db,
    user: StaffUser,
    version: Version,
    opinion: Annotated[str, Form()] = "",
) -> Response:
    return _task_decided(
        request,
        db,
        user,
        task_id,
        lambda task, actor: review.deny(db, task, user, actor, opinion, expected_version=version),
        {"opinion": opinion},
    )


# ---------------------------------------------------------------- supervision


@router.get("/supervision", response_class=HTMLResponse)
def supervision(request: Request, db: Db, user: StaffUser) -> Response:
    ctx = {"report": deadlines.overdue(db, user)}
    return _page(request, "cases/supervision.html", ctx, user)
