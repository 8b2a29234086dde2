"""What applicants, the window and departments rely on along the happy and the unhappy paths."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.cases import apply, window
from onething.cases import service as cs
from onething.cases.models import CorrectionNotice, ItemResult
from onething.cases.states import CASE_MACHINE, TASK_MACHINE
from onething.core.audit import AuditEvent, seal_now, verify_chain
from onething.core.errors import DomainError
from onething.core.workdays import WorkCalendar
from onething.profiles.service import set_reuse_consent
from tests.cases import builders as b

CAL = WorkCalendar()
# Mon 2026-03-02 10:00 in Beijing: a plain working week.
MONDAY = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def test_acceptance_fans_out_one_task_per_item_to_its_department(db: Session) -> None:
    case = b.food_draft(db)
    b.submit(db, case, MONDAY)
    b.accept(db, case, MONDAY)

    routed = {t.item.code: (t.department.code, t.region_code) for t in case.tasks}
    assert routed == {
        b.REG_CODE: ("scjgj", "410103000000"),
        b.HEALTH_CODE: ("wjw", "410103000000"),
        b.FOOD_LICENCE_CODE: ("scjgj", "410103000000"),
        b.SIGN_CODE: ("cgj", "410103000000"),
        b.FIRE_CODE: ("xfjy", "410103000000"),
    }
    today = dt.date(2026, 3, 2)
    assert case.accepted_on == today
    assert case.promised_days == 13
    assert case.due_on == CAL.add_working_days(today, 13) == dt.date(2026, 3, 19)
    reg = b.task(case, b.REG_CODE)
    for t in case.tasks:
        if t.item.code in (b.REG_CODE, b.HEALTH_CODE):
            assert t.state == "pending"
            assert t.after == []
            assert t.started_on == today
            # 企业设立登记 1 working day, 健康证明 3, from Monday 2 March 2026.
            assert (
                t.due_on
                == {b.REG_CODE: dt.date(2026, 3, 3), b.HEALTH_CODE: dt.date(2026, 3, 5)}[
                    t.item.code
                ]
            )
        else:
            assert t.state == "waiting"
            assert t.after == [reg.id]
            assert t.started_on is None
            assert t.due_on is None
    # Each department that has work now is told; the waiting ones are not yet.
    assert len(b.notifications(db, "scjg", "cases.task_start", case)) == 1
    assert len(b.notifications(db, "wjw", "cases.task_start", case)) == 1
    assert b.notifications(db, "cgj", "cases.task_start", case) == []
    assert b.notifications(db, "xfjy", "cases.task_start", case) == []
    accepted = b.notifications(db, b.ENTERPRISE, "cases.accept", case)
    assert len(accepted) == 1
    assert "2026年03月19日" in accepted[0].body


def test_other_answers_bring_other_items(db: Session) -> None:
    """Already licensed, no sign, a small place: verification, health and the food licence."""
    case = b.accepted_food_case(
        db,
        answers={
            "has_business_licence": "yes",
            "outdoor_sign": "no",
            "public_gathering_place": "neither",
        },
    )
    codes = {t.item.code for t in case.tasks}
    assert len(case.tasks) == 3
    assert codes == {"114101030003000205000131036000400001", b.HEALTH_CODE, b.FOOD_LICENCE_CODE}
    verify = b.task(case, "114101030003000205000131036000400001")
    assert b.task(case, b.FOOD_LICENCE_CODE).after == [verify.id]


def test_food_licence_starts_only_after_registration_is_approved(db: Session) -> None:
    case = b.food_draft(db)
    b.submit(db, case, MONDAY)
    b.accept(db, case, MONDAY)
    licence = b.task(case, b.FOOD_LICENCE_CODE)

    b.approve(db, b.task(case, b.HEALTH_CODE), MONDAY)
    assert licence.state == "waiting"
    b.claim(db, b.task(case, b.REG_CODE))
    assert licence.state == "waiting"

    wednesday = MONDAY + dt.timedelta(days=2)
    b.approve(db, b.task(case, b.REG_CODE), wednesday)
    for code in (b.FOOD_LICENCE_CODE, b.SIGN_CODE, b.FIRE_CODE):
        t = b.task(case, code)
        assert t.state == "pending"
        assert t.started_on == dt.date(2026, 3, 4)
        # 食品经营许可 7, 户外招牌 5, 消防 1 working days from Wednesday 4 March 2026.
        assert (
            t.due_on
            == {
                b.FOOD_LICENCE_CODE: dt.date(2026, 3, 13),
                b.SIGN_CODE: dt.date(2026, 3, 11),
                b.FIRE_CODE: dt.date(2026, 3, 5),
            }[code]
        )
    starts = db.scalars(
        select(AuditEvent).where(
            AuditEvent.tag == "cases:item_task:start", AuditEvent.subject_id == str(licence.id)
        )
    ).all()
    assert [(e.actor_id, e.actor_label) for e in starts] == [(None, "系统")]
    assert len(b.notifications(db, "cgj", "cases.task_start", case)) == 1
    assert len(b.notifications(db, "xfjy", "cases.task_start", case)) == 1
    assert case.state == "accepted"


def test_denying_the_registration_ends_its_dependents_and_tells_everyone(db: Session) -> None:
    case = b.accepted_food_case(db)
    reg = b.task(case, b.REG_CODE)
    b.deny(db, reg, "企业名称与已登记企业重名，不予登记")

    assert reg.state == "denied"
    assert reg.opinion == "企业名称与已登记企业重名，不予登记"
    ended = [b.task(case, c) for c in (b.FOOD_LICENCE_CODE, b.SIGN_CODE, b.FIRE_CODE)]
    assert [t.state for t in ended] == ["cancelled"] * 3
    for t in ended:
        ev = db.scalar(
            select(AuditEvent).where(
                AuditEvent.tag == "cases:item_task:cancel", AuditEvent.subject_id == str(t.id)
            )
        )
        assert ev is not None
        assert ev.data is not None
        assert "企业设立登记" in ev.data["note"]
    assert b.task(case, b.HEALTH_CODE).state == "pending"
    assert case.state == "accepted"

    for login in (b.ENTERPRISE, "window"):
        (told,) = b.notifications(db, login, "cases.task_deny", case)
        assert "企业名称与已登记企业重名" in told.body
        for t in ended:
            assert t.item.name in told.body
    for login in ("cgj", "xfjy", "scjg"):
        assert len(b.notifications(db, login, "cases.task_cancel", case)) == 1

    # Deciding the last open task completes the case, with one result.
    b.approve(db, b.task(case, b.HEALTH_CODE))
    assert case.state == "completed"
    assert b.count(db, ItemResult, ItemResult.case_id == case.id) == 1


def test_the_newborn_chain_runs_in_order_and_a_denial_ends_all_that_follows(
    db: Session,
) -> None:
    case = b.newborn_draft(db)
    b.submit(db, case)
    b.accept(db, case)
    state = {t.item.code: t.state for t in case.tasks}
    assert state == {
        b.BIRTH_CERT_CODE: "pending",
        b.VACCINATION_CODE: "pending",
        b.HUKOU_CODE: "waiting",
        b.MEDICAL_INSURANCE_CODE: "waiting",
        b.SOCIAL_CARD_CODE: "waiting",
    }
    b.approve(db, b.task(case, b.BIRTH_CERT_CODE))
    assert b.task(case, b.HUKOU_CODE).state == "pending"
    assert b.task(case, b.MEDICAL_INSURANCE_CODE).state == "waiting"
    b.approve(db, b.task(case, b.HUKOU_CODE))
    assert b.task(case, b.MEDICAL_INSURANCE_CODE).state == "pending"
    assert b.task(case, b.SOCIAL_CARD_CODE).state == "pending"
    assert len(b.notifications(db, "rsj", "cases.task_start", case)) == 1

    second = b.newborn_draft(db)
    b.submit(db, second)
    b.accept(db, second)
    b.deny(db, b.task(second, b.BIRTH_CERT_CODE), "出生信息与助产机构记录不符")
    ended = (b.HUKOU_CODE, b.MEDICAL_INSURANCE_CODE, b.SOCIAL_CARD_CODE)
    # The denial ends its dependents and theirs: 出生登记, then 医保 and 社保卡.
    assert [b.task(second, c).state for c in ended] == ["cancelled"] * 3
    assert b.task(second, b.VACCINATION_CODE).state == "pending"
    (told,) = b.notifications(db, b.PERSON, "cases.task_deny", second)
    for code in ended:
        assert b.task(second, code).item.name in told.body
    for login in ("gaj", "ybj", "rsj"):
        assert len(b.notifications(db, login, "cases.task_cancel", second)) == 1


def test_the_case_completes_when_every_task_is_decided(db: Session) -> None:
    case = b.accepted_food_case(db)
    b.approve(db, b.task(case, b.REG_CODE))
    b.approve(db, b.task(case, b.HEALTH_CODE))
    b.approve(db, b.task(case, b.FOOD_LICENCE_CODE))
    b.deny(db, b.task(case, b.SIGN_CODE), "招牌设置位置占用消防通道")
    assert case.state == "accepted"
    assert case.decided_at is None
    assert b.notifications(db, b.ENTERPRISE, "cases.complete", case) == []

    b.approve(db, b.task(case, b.FIRE_CODE))
    assert case.state == "completed"
    assert case.decided_at is not None
    results = db.scalars(select(ItemResult).where(ItemResult.case_id == case.id)).all()
    assert sorted(r.number for r in results) == [
        f"{case.number}-01",
        f"{case.number}-02",
        f"{case.number}-03",
        f"{case.number}-05",
    ]
    assert len(b.notifications(db, b.ENTERPRISE, "cases.complete", case)) == 1
    assert len(b.notifications(db, "window", "cases.complete", case)) == 1
    complete = db.scalar(
        select(AuditEvent).where(
            AuditEvent.tag == "cases:case:complete", AuditEvent.subject_id == str(case.id)
        )
    )
    assert complete is not None
    assert complete.data is not None
    assert complete.data["note"] == "4 个事项准予，1 个事项未准予"


def test_delivery_by_post_goes_out_with_its_tracking_number(db: Session) -> None:
    case = b.completed_food_case(db, delivery=b.POST)
    clerk = b.user(db, "window")
    window.deliver(db, case, clerk, b.actor(clerk), tracking_number=" SF1234567890 ")
    assert case.state == "delivered"
    assert case.tracking_number == "SF1234567890"
    assert case.delivered_at is not None
    (told,) = b.notifications(db, b.ENTERPRISE, "cases.deliver", case)
    assert "SF1234567890" in told.body
    assert "食品经营许可证" in told.body


def test_resubmission_keeps_the_number_and_shows_what_changed(db: Session) -> None:
    case = b.submitted_food_case(db)
    number = case.number
    assert number is not None
    assert window.changes_since_last_round(db, case) is None
    b.correction(
        db,
        case,
        [
            {"kind": "field", "key": "operating_area", "message": "面积与平面图不一致"},
            {"kind": "material", "key": "lease_contract", "message": "请上传租赁合同"},
        ],
    )
    assert case.state == "correction_requested"
    (told,) = b.notifications(db, b.ENTERPRISE, "cases.request_correction", case)
    assert "面积与平面图不一致" in told.body
    assert "租赁合同" in told.body

    ent = case.applicant
    apply.update_draft(
        db, case, ent, b.actor(ent), apply.Draft(form={**case.form, "operating_area": "300"})
    )
    apply.upload_material(
        db, case, ent, b.actor(ent), "lease_contract", io.BytesIO(b.pdf_bytes("lease")), "租赁.pdf"
    )
    b.submit(db, case)

    assert case.state == "submitted"
    assert case.number == number
    assert case.round == 2
    notice = db.scalar(select(CorrectionNotice).where(CorrectionNotice.case_id == case.id))
    assert notice is not None
    assert notice.resolved_at is not None
    changes = window.changes_since_last_round(db, case)
    assert changes is not None
    assert [(c.key, c.before, c.after) for c in changes.fields] == [
        ("operating_area", "320", "300")
    ]
    assert changes.files_added == {"lease_contract": ["租赁.pdf"]}
    assert changes.files_removed == {}
    assert len(b.notifications(db, "window", "cases.resubmit", case)) == 1


def test_prefill_takes_the_account_then_with_consent_the_last_submitted_case(db: Session) -> None:
    person = b.new_person(db)
    fresh, _ = apply.create_draft(db, person, b.actor(person), bundle_code="newborn")
    assert fresh.form == {
        "applicant_name": "赵敏",
        "applicant_id_number": b.NEW_PERSON,
        "applicant_phone": "13700001111",
    }

    earlier = b.newborn_draft(db, applicant=person, form={"applicant_phone": "13911112222"})
    apply.update_draft(
        db,
        fresh,
        person,
        b.actor(person),
        apply.Draft(form={**fresh.form, "household_head_name": "草稿里的名字"}),
    )
    b.submit(db, earlier)

    without, _ = apply.create_draft(db, person, b.actor(person), bundle_code="newborn")
    assert "father_name" not in without.form, "no reuse of earlier cases without consent"

    set_reuse_consent(db, b.actor(person), person, True)
    again, _ = apply.create_draft(db, person, b.actor(person), bundle_code="newborn")
    assert again.form["father_name"] == "张伟"
    assert again.form["mother_id_number"] == b.OTHER_PERSON
    # The earlier case was about another child: nothing about the child is carried over.
    assert "child_name" not in again.form
    assert "child_id_number" not in again.form
    # The account's own data comes first; an unsubmitted draft is never a source.
    assert again.form["applicant_phone"] == "13700001111"
    assert again.form["household_head_name"] == "张伟"
    assert again.form["applicant_name"] == "赵敏"

    enterprise = b.user(db, b.ENTERPRISE)
    food, _ = apply.create_draft(db, enterprise, b.actor(enterprise), bundle_code="food_business")
    assert food.form["enterprise_name"] == enterprise.name
    assert food.form["uscc"] == b.ENTERPRISE


def test_the_timeline_lists_every_step_and_who_took_it(db: Session) -> None:
    case = b.completed_food_case(db)
    clerk = b.user(db, "window")
    window.deliver(db, case, clerk, b.actor(clerk))
    entries = cs.timeline(db, case)
    case_steps = [(e.what, e.who) for e in entries if e.subject == "办件"]
    ent = case.applicant
    assert [w for w, _ in case_steps if w not in ("保存申请内容", "上传材料")] == [
        "创建草稿",
        "提交申请",
        "受理",
        "全部事项办结",
        "出件",
    ]
    assert ("提交申请", f"{ent.name}（{ent.id}）") in case_steps
    assert ("受理", "王芳（window）") in case_steps
    assert ("全部事项办结", "系统") in case_steps
    reg = "企业设立登记（市场监督管理局）"
    assert [(e.what, e.who) for e in entries if e.subject == reg] == [
        ("开始办理", "王芳（window）"),
        ("签收", "刘洋（scjg）"),
        ("准予", "刘洋（scjg）"),
    ]
    sign = next(e for e in entries if e.subject.startswith("户外招牌") and e.what == "准予")
    assert sign.who == "周强（cgj）"
    assert sign.note == "材料齐全，符合法定条件，准予许可"


def _replay(events: list[AuditEvent], start: str | None) -> str | None:
    state = start
    for ev in events:
        assert ev.before is not None, ev.tag
        assert ev.after is not None, ev.tag
        assert ev.before["state"] == state, (ev.tag, ev.before, state)
        state = ev.after["state"]
    return state


def test_every_transition_wrote_an_audit_event(db: Session) -> None:
    case = b.accepted_food_case(db)
    b.deny(db, b.task(case, b.HEALTH_CODE))
    b.approve(db, b.task(case, b.REG_CODE))
    for code in (b.FOOD_LICENCE_CODE, b.FIRE_CODE):
        b.approve(db, b.task(case, code))
    b.claim(db, b.task(case, b.SIGN_CODE))
    b.approve(db, b.task(case, b.SIGN_CODE))
    clerk = b.user(db, "window")
    window.deliver(db, case, clerk, b.actor(clerk))
    seal_now(db)

    def moves(subject_type: str, subject_id: int, prefix: str) -> list[AuditEvent]:
        stmt = select(AuditEvent).where(
            AuditEvent.subject_type == subject_type,
            AuditEvent.subject_id == str(subject_id),
            AuditEvent.tag.like(prefix + "%"),
            AuditEvent.after.is_not(None),
        )
        return [e for e in db.scalars(stmt.order_by(AuditEvent.seq)) if "state" in (e.after or {})]

    case_moves = moves("case", case.id, "cases:case:")
    assert [e.tag.rsplit(":", 1)[1] for e in case_moves] == [
        "submit",
        "accept",
        "complete",
        "deliver",
    ]
    assert _replay(case_moves, "draft") == case.state == "delivered"
    for e in case_moves:
        assert e.before is not None
        CASE_MACHINE.check(e.before["state"], e.tag.rsplit(":", 1)[1])
    for t in case.tasks:
        task_moves = moves("item_task", t.id, "cases:item_task:")
        assert _replay(task_moves, "waiting") == t.state
        for e in task_moves:
            assert e.before is not None
            TASK_MACHINE.check(e.before["state"], e.tag.rsplit(":", 1)[1])
        assert all(e.data and e.data["case_id"] == case.id for e in task_moves)
    assert verify_chain(db).broken_at is None


def test_a_case_is_found_by_number_only_by_those_who_may_read_it(db: Session) -> None:
    case = b.submitted_food_case(db)
    assert case.number is not None
    assert cs.find_case_by_number(db, case.number, b.user(db, "window")) is case
    assert cs.find_case_by_number(db, case.number, b.user(db, "supervisor")) is case
    for login in (b.PERSON, "gaj"):
        with pytest.raises(DomainError) as err:
            cs.find_case_by_number(db, case.number, b.user(db, login))
        assert err.value.status == 404


def test_a_refused_call_in_a_savepoint_does_not_unseal_earlier_events(db: Session) -> None:
    """Pages undo a refused call with its SAVEPOINT and commit the rest: what the request
    did before must still be sealed into the audit chain."""
    case = b.submitted_food_case(db)
    seal_now(db)
    clerk = b.user(db, "window")
    window.accept(db, case, clerk, b.actor(clerk))
    savepoint = db.begin_nested()
    with pytest.raises(DomainError):
        window.deliver(db, case, clerk, b.actor(clerk))
    savepoint.rollback()
    db.commit()
    accepted = db.scalars(
        select(AuditEvent).where(
            AuditEvent.subject_type == "case",
            AuditEvent.subject_id == str(case.id),
            AuditEvent.tag == "cases:case:accept",
        )
    ).all()
    assert len(accepted) == 1
    assert accepted[0].seq is not None, "the accept event was never sealed into the chain"
    assert accepted[0].hash is not None
    assert verify_chain(db).broken_at is None
