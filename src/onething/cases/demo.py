"""Demo cases in every state, made through the real services with back-dated clocks, so the
window queue, the department inboxes, the timeline and the overdue lists all have content."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onething.accounts.models import User
from onething.accounts.service import actor_of
from onething.cases import apply, review, window
from onething.cases import service as cs
from onething.cases.deadlines import tick
from onething.cases.forms import check_field
from onething.cases.models import Case, ItemTask
from onething.catalog.schemas import FieldType, FormField
from onething.core.audit import Actor
from onething.core.ids import make_id_number
from onething.core.workdays import local_date
from onething.db import utcnow

DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

_TEXT = {
    "name": "张伟",
    "address": "河南省郑州市二七区大学路80号",
    "scope": "餐饮服务；食品销售",
    "sign": "二七味道",
}


def sample_value(f: FormField, user: User, today: dt.date) -> str:
    """A plausible value for a demo form; checked with the same rules as a real submission."""
    if f.type == FieldType.id_number and f.key.startswith("child"):
        value = make_id_number("410103", today - dt.timedelta(days=3), 1)  # born that day
    elif f.type == FieldType.id_number:
        value = user.login if user.kind == "person" else "410103198506123014"
    elif f.type == FieldType.uscc:
        value = user.login.upper() if user.kind == "enterprise" else "91410103MA9G5K3D2U"
    elif f.type == FieldType.phone:
        value = user.phone or "13800000000"
    elif f.type == FieldType.date:
        value = (today - dt.timedelta(days=3)).isoformat()
    elif f.type == FieldType.number:
        value = f"{max(f.min or 1, 1):g}" if f.max is None or f.max >= 1 else f"{f.max:g}"
    elif f.type == FieldType.choice:
        value = (f.choices or [""])[0]
    elif f.type == FieldType.region:
        value = "410103000000"
    else:
        hint = next((v for k, v in _TEXT.items() if k in f.key), None)
        value = hint or ("张伟" if "name" in f.key else f"{f.label}（演示）")
    return value if check_field(f, value) is None else ""


def _user(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.login) == login.lower()))
    if user is None:
        raise LookupError(login)
    return user


def _filled(
    session: Session,
    login: str,
    bundle: str,
    answers: Mapping[str, str | Sequence[str]],
    at: dt.datetime,
    delivery: dict[str, str] | None = None,
) -> Case:
    user = _user(session, login)
    actor = actor_of(user)
    case, _ = apply.create_draft(
        session, user, actor, bundle_code=bundle, draft=apply.Draft(answers=answers)
    )
    case.created_at = at
    resolved = cs.resolution(case)
    today = local_date(at)
    form = {f.key: case.form.get(f.key) or sample_value(f, user, today) for f in resolved.fields}
    apply.update_draft(
        session,
        case,
        user,
        actor,
        apply.Draft(form=form, delivery=delivery or {"method": "online"}),
    )
    for need in apply.pre_review(case).problems:
        if need.kind == "material":
            apply.upload_material(
                session, case, user, actor, need.key, io.BytesIO(DEMO_PDF), f"{need.label}.pdf"
            )
    return case


def _submit(session: Session, case: Case, at: dt.datetime) -> Case:
    return apply.submit(session, case, case.applicant, actor_of(case.applicant), now=at)


def _staff(session: Session, login: str) -> tuple[User, Actor]:
    user = _user(session, login)
    return user, actor_of(user)


def _decide(session: Session, task: ItemTask, at: dt.datetime, approve: bool = True) -> None:
    login = {"scjgj": "scjg"}.get(task.department.code, task.department.code)
    user = _user(session, login)
    actor = actor_of(user)
    if task.state == "pending":
        review.claim(session, task, user, actor)
    if approve:
        review.approve(session, task, user, actor, "材料齐全，符合法定条件，准予办理", now=at)
    else:
        review.deny(session, task, user, actor, "经现场核查，经营场所不符合食品安全要求", now=at)


NEWBORN = {"maternity_insurance": "no", "parents_marriage": "married", "applicant_role": "parent"}
FOOD = {
    "has_business_licence": "no",
    "outdoor_sign": "yes",
    "public_gathering_place": "neither",
    "fire_commitment": "no",
    "food_items": ["hot_food", "drinks"],
    "applicant": "legal_rep",
}
PERSON_A, PERSON_B, ENTERPRISE = "410103198506123014", "410103199008151623", "91410103MA9G5K3D2U"


def seed_demo_cases(session: Session, now: dt.datetime | None = None) -> int:
    """Create the demo cases once; returns how many were made (0 when they already exist)."""
    if session.scalar(select(func.count()).select_from(Case)):
        return 0
    now = now or utcnow()
    days = dt.timedelta(days=1)
    clerk, clerk_actor = _staff(session, "window")
    made: list[Case] = []

    # 草稿: started, not yet submitted.
    made.append(_filled(session, PERSON_B, "newborn", NEWBORN, now - days))
    # 待受理: one fresh, one waiting past the five-day limit.
    made.append(_submit(session, _filled(session, PERSON_A, "newborn", NEWBORN, now), now))
    made.append(
        _submit(
            session,
            _filled(session, PERSON_B, "newborn", NEWBORN, now - 10 * days),
            now - 10 * days,
        )
    )
    # 待补正: told once what to fix.
    case = _submit(
        session, _filled(session, ENTERPRISE, "food_business", FOOD, now - 2 * days), now - 2 * days
    )
    window.request_correction(
        session,
        case,
        clerk,
        clerk_actor,
        [
            {"kind": "field", "key": "operating_area", "message": "面积与平面布局图不一致，请核对"},
            {"kind": "material", "key": "lease_contract", "message": "请补充经营场所租赁合同"},
        ],
        "请一次补齐后在线重新提交",
        now=now - days,
    )
    made.append(case)
    # 审批中: back-dated so one task is overdue, one is near its limit, one is paused.
    case = _submit(
        session,
        _filled(session, ENTERPRISE, "food_business", FOOD, now - 12 * days),
        now - 12 * days,
    )
    window.accept(session, case, clerk, clerk_actor, now=now - 11 * days)
    first = case.tasks[0]
    _decide(session, first, now - 10 * days)
    for task in case.tasks:
        if task.department.code == "cgj" and task.state == "pending":
            user, actor = _staff(session, "cgj")
            review.claim(session, task, user, actor)
            review.pause(
                session,
                task,
                user,
                actor,
                "site_inspection",
                "需现场踏勘招牌设置位置及周边环境",
                local_date(now + 3 * days),
                now=now - 2 * days,
            )
    made.append(case)
    # 不予受理 and 已撤回.
    case = _submit(
        session, _filled(session, PERSON_A, "newborn", NEWBORN, now - 6 * days), now - 6 * days
    )
    window.refuse(
        session,
        case,
        clerk,
        clerk_actor,
        "新生儿户籍不在本区，请向户籍所在地申请",
        now=now - 5 * days,
    )
    made.append(case)
    case = _submit(
        session, _filled(session, PERSON_B, "newborn", NEWBORN, now - 4 * days), now - 4 * days
    )
    apply.withdraw(
        session, case, case.applicant, actor_of(case.applicant), "信息填写有误，重新申请"
    )
    made.append(case)
    # 已办结待出件 (one item denied, its dependents ended) and 已出件 by post.
    for delivered, approve in ((False, False), (True, True)):
        delivery = (
            {
                "method": "post",
                "recipient": "王建国",
                "phone": "13900000000",
                "address": "郑州市二七区大学路80号",
            }
            if delivered
            else None
        )
        case = _submit(
            session,
            _filled(session, ENTERPRISE, "food_business", FOOD, now - 15 * days, delivery),
            now - 15 * days,
        )
        window.accept(session, case, clerk, clerk_actor, now=now - 14 * days)
        _decide(session, case.tasks[0], now - 13 * days, approve)
        for task in list(case.tasks):
            if task.state == "pending":
                _decide(session, task, now - 12 * days)
        if delivered:
            window.deliver(session, case, clerk, clerk_actor, tracking_number="1187654321098")
        made.append(case)
    tick(session, now=now)
    return len(made)
