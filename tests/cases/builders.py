"""Builders for the case tests: demo users, small valid files, and filled applications that
the services take from draft to any later state, so each test says only what it is about."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onething.accounts import service as accounts
from onething.accounts.models import Role, User
from onething.cases import apply, review, window
from onething.cases import service as cs
from onething.cases.models import Case, ItemResult, ItemTask
from onething.catalog.models import Department
from onething.catalog.resolve import MaterialStatus
from onething.catalog.schemas import Necessity
from onething.core.audit import SYSTEM, Actor
from onething.core.notify import Notification
from onething.demo import DEMO_PASSWORD

ENTERPRISE = "91410103MA9G5K3D2U"
PERSON = "410103198506123014"
OTHER_PERSON = "410103199008151623"
NEW_PERSON = "410103199203041235"
ERQI = "410103000000"

REG_CODE = "114101030003000205000131001000400001"
"""企业设立登记 (市场监督管理局), the prerequisite of the food_business items below."""
HEALTH_CODE = "11410103000300017R000120027000400001"
"""食品从业人员健康证明 (卫生健康委员会), no prerequisite."""
FOOD_LICENCE_CODE = "114101030003000205000131005000400001"
"""食品经营许可（新办） (市场监督管理局), after 企业设立登记."""
SIGN_CODE = "114101030003000117000124018000400001"
"""户外招牌设施设置 (城市管理局), after 企业设立登记."""
FIRE_CODE = "11410103000300023E000137002000400001"
"""公众聚集场所投入使用、营业前消防安全检查 (消防救援大队), after 企业设立登记."""

BIRTH_CERT_CODE = "11410103000300017R000120017001400001"
"""《出生医学证明》首次签发 (卫生健康委员会), the first link of the newborn chain."""
VACCINATION_CODE = "11410103000300017R000120031001400001"
HUKOU_CODE = "11410103000300003C000107002001400001"
"""出生登记 (公安分局), after the birth certificate."""
MEDICAL_INSURANCE_CODE = "114101030003000218000136001002400001"
"""城乡居民医保参保登记 (医疗保障局), after 出生登记."""
SOCIAL_CARD_CODE = "11410103000300007Q000112010000400001"
"""社会保障卡申领 (人力资源和社会保障局), after 出生登记."""

REVIEWER_OF = {
    "scjgj": "scjg",
    "wjw": "wjw",
    "cgj": "cgj",
    "xfjy": "xfjy",
    "gaj": "gaj",
    "ybj": "ybj",
    "rsj": "rsj",
}
"""Department code → the demo reviewer login that decides its tasks."""

FOOD_ANSWERS: dict[str, str | list[str]] = {
    "has_business_licence": "no",
    "outdoor_sign": "yes",
    "public_gathering_place": "area_300_plus",
    "fire_commitment": "no",
    "food_items": ["hot_food"],
    "applicant": "legal_rep",
}
FOOD_FORM: dict[str, str] = {
    "enterprise_type": "有限责任公司",
    "legal_rep_name": "王建国",
    "legal_rep_id_number": PERSON,
    "business_address": "郑州市二七区大学路1号",
    "business_scope": "餐饮服务",
    "contact_name": "王建国",
    "contact_phone": "13800000000",
    "health_check_count": "3",
    "health_check_date": "2026-12-01",
    "food_business_form": "餐饮服务经营者",
    "food_business_items": "热食类食品制售",
    "operating_area": "320",
    "food_safety_manager_name": "李四",
    "sign_text": "二七味道",
    "sign_size": "6×1.2",
    "sign_material": "铝塑板",
    "sign_lighting": "无照明",
    "building_area": "320",
    "floor_location": "一层",
    "fire_safety_manager": "王建国",
}
NEWBORN_ANSWERS: dict[str, str | list[str]] = {
    "maternity_insurance": "no",
    "parents_marriage": "married",
    "applicant_role": "parent",
}
NEWBORN_FORM: dict[str, str] = {
    "child_name": "张小宝",
    "child_sex": "男",
    "child_birth_date": "2026-01-15",
    "birth_place": "河南省郑州市二七区",
    "delivery_institution": "郑州市第一人民医院",
    "birth_weight": "3400",
    "gestational_weeks": "39",
    "mother_name": "李娜",
    "mother_id_number": OTHER_PERSON,
    "father_name": "张伟",
    "father_id_number": PERSON,
    "applicant_address": "郑州市二七区大学路2号",
    "child_ethnicity": "汉族",
    "settle_with": "随父落户",
    "household_head_name": "张伟",
    "relation_to_household_head": "子",
    "cardholder_name": "张小宝",
    "cardholder_id_number": PERSON,
    "card_bank": "中国工商银行",
    "card_receive_method": "网点预约领取",
}
POST = {"method": "post", "recipient": "王建国", "phone": "13800000000", "address": "大学路1号"}

# ---------------------------------------------------------------- files


def pdf_bytes(tag: str = "") -> bytes:
    """A small PDF; different tags give different content (and so a different SHA-256)."""
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\n"
        + f"% {tag}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def png_bytes() -> bytes:
    """A valid 1×1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"

# ---------------------------------------------------------------- people


def user(db: Session, login: str) -> User:
    row = db.scalar(select(User).where(User.login == login))
    assert row is not None, login
    return row


def actor(u: User) -> Actor:
    return accounts.actor_of(u)


def department(db: Session, code: str, region: str = ERQI) -> Department:
    row = db.scalar(
        select(Department).where(Department.code == code, Department.region_code == region)
    )
    assert row is not None, (code, region)
    return row


def staff(db: Session, login: str, role: Role, region: str, dept: Department | None = None) -> User:
    """A staff account with one role (for scopes the demo accounts do not cover)."""
    u = accounts.create_staff(db, SYSTEM, login=login, name=login, password=DEMO_PASSWORD)
    accounts.grant_role(db, SYSTEM, u, role, region, dept.id if dept else None)
    return u


def new_person(db: Session, id_number: str = NEW_PERSON, name: str = "赵敏") -> User:
    """A person with no cases yet (the demo persons have demo cases)."""
    return accounts.register_person(
        db, SYSTEM, id_number=id_number, name=name, phone="13700001111", password=DEMO_PASSWORD
    )


def outsiders(db: Session) -> dict[str, User]:
    """Staff whose scope does not cover the 二七区 cases: another district's window and the
    city-level market regulator's reviewer."""
    return {
        "zy_window": staff(db, "zy_window", Role.window_clerk, "410102000000"),
        "zz_scjg": staff(
            db,
            "zz_scjg",
            Role.dept_reviewer,
            "410100000000",
            department(db, "scjgj", "410100000000"),
        ),
    }


# ---------------------------------------------------------------- applications


def upload(db: Session, case: Case, login_or_user: str | User, key: str, data: bytes) -> None:
    u = user(db, login_or_user) if isinstance(login_or_user, str) else login_or_user
    apply.upload_material(db, case, u, actor(u), key, io.BytesIO(data), f"{key}.pdf")


def required_materials(case: Case) -> list[str]:
    return [
        m.material.key
        for m in cs.resolution(case).materials
        if m.status == MaterialStatus.ask and m.material.necessity == Necessity.required
    ]


def draft(
    db: Session,
    bundle: str,
    login: str | User,
    answers: Mapping[str, str | Sequence[str]],
    form: Mapping[str, Any],
    *,
    upload_all: bool = True,
    delivery: Mapping[str, str] | None = None,
) -> Case:
    """A draft with the answers, the form (on top of what pre-fill gives; keys the answers
    do not ask for are left out) and, unless told otherwise, one file for every required
    material."""
    u = user(db, login) if isinstance(login, str) else login
    case, created = apply.create_draft(
        db,
        u,
        actor(u),
        bundle_code=bundle,
        draft=apply.Draft(answers=answers),
    )
    assert created
    keys = {f.key for f in cs.resolution(case).fields}
    values = {**case.form, **{k: v for k, v in form.items() if k in keys}}
    apply.update_draft(db, case, u, actor(u), apply.Draft(form=values, delivery=delivery))
    if upload_all:
        for key in required_materials(case):
            upload(db, case, u, key, pdf_bytes(key))
    return case


def food_draft(
    db: Session,
    *,
    answers: Mapping[str, str | Sequence[str]] | None = None,
    form: Mapping[str, Any] | None = None,
    upload_all: bool = True,
    delivery: Mapping[str, str] | None = None,
) -> Case:
    """开办餐饮店 for the demo enterprise: 企业设立登记, 健康证明, then 食品经营许可, 户外招牌 and
    消防检查 once the registration is approved."""
    return draft(
        db,
        "food_business",
        ENTERPRISE,
        {**FOOD_ANSWERS, **(answers or {})},
        {**FOOD_FORM, **(form or {})},
        upload_all=upload_all,
        delivery=delivery,
    )


def newborn_draft(
    db: Session,
    *,
    applicant: str | User = PERSON,
    form: Mapping[str, Any] | None = None,
    upload_all: bool = True,
) -> Case:
    return draft(
        db,
        "newborn",
        applicant,
        NEWBORN_ANSWERS,
        {**NEWBORN_FORM, **(form or {})},
        upload_all=upload_all,
    )


def submit(db: Session, case: Case, now: dt.datetime | None = None) -> Case:
    return apply.submit(db, case, case.applicant, actor(case.applicant), now=now)


def accept(db: Session, case: Case, now: dt.datetime | None = None) -> Case:
    clerk = user(db, "window")
    return window.accept(db, case, clerk, actor(clerk), now=now)


def submitted_food_case(db: Session, **kw: Any) -> Case:
    return submit(db, food_draft(db, **kw))


def accepted_food_case(db: Session, now: dt.datetime | None = None, **kw: Any) -> Case:
    case = food_draft(db, **kw)
    submit(db, case, now)
    return accept(db, case, now)


def correction(db: Session, case: Case, problems: Sequence[Mapping[str, str]]) -> None:
    clerk = user(db, "window")
    window.request_correction(db, case, clerk, actor(clerk), problems)


def task(case: Case, code: str) -> ItemTask:
    return next(t for t in case.tasks if t.item.code == code)


def reviewer(db: Session, t: ItemTask) -> User:
    return user(db, REVIEWER_OF[t.department.code])


def claim(db: Session, t: ItemTask) -> ItemTask:
    r = reviewer(db, t)
    return review.claim(db, t, r, actor(r))


def approve(db: Session, t: ItemTask, now: dt.datetime | None = None) -> ItemResult:
    r = reviewer(db, t)
    if t.state == "pending":
        review.claim(db, t, r, actor(r))
    return review.approve(db, t, r, actor(r), "材料齐全，符合法定条件，准予许可", now=now)


def deny(db: Session, t: ItemTask, opinion: str = "经营场所不符合要求，不予许可") -> ItemTask:
    r = reviewer(db, t)
    if t.state == "pending":
        review.claim(db, t, r, actor(r))
    return review.deny(db, t, r, actor(r), opinion)


def approve_all(db: Session, case: Case) -> None:
    """Approve every task as it becomes pending, prerequisites first."""
    while pending := [t for t in case.tasks if t.state in ("pending", "claimed")]:
        for t in pending:
            approve(db, t)


def completed_food_case(db: Session, **kw: Any) -> Case:
    case = accepted_food_case(db, **kw)
    approve_all(db, case)
    assert case.state == "completed"
    return case


def count(db: Session, model: type[Any], *where: Any) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def notifications(db: Session, login: str, tag: str, case: Case) -> list[Notification]:
    """The messages with this tag a user got about this case (demo cases send their own)."""
    u = user(db, login)
    stmt = select(Notification).where(
        Notification.user_id == u.id,
        Notification.tag == tag,
        Notification.body.contains(case.number or "草稿"),
    )
    return list(db.scalars(stmt.order_by(Notification.id)))
