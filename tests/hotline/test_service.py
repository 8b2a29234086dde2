"""Ticket rules through the service: clocks, permissions, returns, extensions, reopening,
merge suggestions, direct answers, transfer, the deadline job."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.core.audit import AuditEvent
from onething.core.errors import DomainError
from onething.core.notify import Notification
from onething.hotline import answers as knowledge
from onething.hotline import merging, public, queries
from onething.hotline import service as hs
from onething.hotline.deadlines import tick
from onething.hotline.models import Ticket
from tests.hotline.builders import act, do, new_ticket, staff, ticket_in

UTC = dt.UTC
# 08:00 Beijing on Wednesday 30 September 2026, the day before the National Day holiday
SEP30 = dt.datetime(2026, 9, 30, 0, 0, tzinfo=UTC)
DEC4 = dt.datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # Friday 10:00 Beijing


def _events(db: Session, t: Ticket, tag: str) -> list[AuditEvent]:
    return list(
        db.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == "hotline_ticket",
                AuditEvent.subject_id == str(t.id),
                AuditEvent.tag == tag,
            )
        )
    )


def test_entry_proposes_department_type_and_category(db: Session) -> None:
    t = new_ticket(db, now=DEC4)
    assert t.number == f"R20261204{t.id:07d}"
    assert t.state == "received"
    assert t.proposal is not None
    assert t.proposal["department"] == "市场监督管理局"
    assert len(t.proposal["top3"]) == 3
    assert t.type in {"投诉", "举报", "求助", "咨询"}
    assert t.dispatch_due_at == DEC4 + dt.timedelta(hours=24)
    assert _events(db, t, "hotline:ticket:received")


@pytest.mark.parametrize(("urgency", "hours"), [("emergency", 1), ("utility", 2), ("normal", 24)])
def test_dispatch_limits_by_urgency(db: Session, urgency: str, hours: int) -> None:
    t = new_ticket(db, now=DEC4, urgency=urgency)
    assert t.dispatch_due_at == DEC4 + dt.timedelta(hours=hours)


def test_handling_deadline_counts_working_days_over_the_holiday(db: Session) -> None:
    t = new_ticket(db, "请问开办餐饮店需要哪些材料", now=SEP30, type="咨询")
    user, actor = act(db, "dispatcher")
    hs.dispatch(db, actor, user, t, department="scjgj", now=SEP30)
    assert t.started_on == dt.date(2026, 9, 30)
    assert t.handling_days == 3
    # 1-7 October are holidays; 8, 9 and the make-up Saturday 10 October are working days
    assert t.due_on == dt.date(2026, 10, 10)


def test_handling_deadline_for_a_complaint(db: Session) -> None:
    t = new_ticket(db, now=DEC4, type="投诉")
    user, actor = act(db, "dispatcher")
    hs.dispatch(db, actor, user, t, department="scjgj", now=DEC4)
    assert t.handling_days == 10
    assert t.due_on == dt.date(2026, 12, 18)


def test_extension_moves_the_deadline(db: Session) -> None:
    t = new_ticket(db, now=DEC4, type="投诉")
    user, actor = act(db, "dispatcher")
    hs.dispatch(db, actor, user, t, department="scjgj", now=DEC4)
    do(db, t, "claim")
    do(db, t, "request_extension")
    assert t.pending == {"kind": "extension", "reason": "需要现场检测", "days": 5}
    do(db, t, "approve_extension")
    assert t.handling_days == 15
    assert t.due_on == dt.date(2026, 12, 25)
    assert t.pending is None


def test_only_the_right_party_may_act(db: Session) -> None:
    t = ticket_in(db, "received")
    user, actor = act(db, "operator")
    with pytest.raises(DomainError) as err:
        hs.dispatch(db, actor, user, t, department="scjgj")
    assert err.value.status == 403
    do(db, t, "dispatch")
    gaj, gaj_actor = act(db, "gaj")
    with pytest.raises(DomainError) as err:
        hs.claim(db, gaj_actor, gaj, t)
    assert err.value.status == 403
    with pytest.raises(DomainError):
        queries.load_ticket(db, t.id, gaj)
    assert queries.load_ticket(db, t.id, staff(db, "scjg")) is t
    assert t in queries.queue(db, staff(db, "scjg"))
    assert t not in queries.queue(db, gaj)


def test_return_reviewed_and_redispatched_restarts_the_clock(db: Session) -> None:
    t = new_ticket(db, now=DEC4, type="投诉")
    user, actor = act(db, "dispatcher")
    hs.dispatch(db, actor, user, t, department="scjgj", now=DEC4)
    do(db, t, "return_ticket")
    assert t.return_count == 1
    assert t.pending is not None
    assert t.pending["kind"] == "return"
    with pytest.raises(DomainError) as err:
        hs.review_return(db, actor, user, t, approve=True, department="scjgj")
    assert err.value.code == "same_department"
    later = DEC4 + dt.timedelta(days=3)  # Monday 7 December
    hs.review_return(db, actor, user, t, approve=True, department="cgj", now=later)
    assert t.state == "dispatched"
    assert t.department is not None
    assert t.department.name == "城市管理局"
    assert t.started_on == dt.date(2026, 12, 7)
    assert t.pending is None
    cgj = staff(db, "cgj")
    assert db.scalar(select(Notification).where(Notification.user_id == cgj.id)) is not None


def test_reopen_after_unsolved_callback_escalates(db: Session) -> None:
    t = ticket_in(db, "closed_unsolved")
    assert t.solved is False
    assert t.satisfaction == 2
    user, actor = act(db, "operator")
    with pytest.raises(DomainError) as err:
        hs.reopen(db, actor, user, t, "没解决")
    assert err.value.status == 403
    do(db, t, "reopen")
    assert t.state == "claimed"
    assert t.escalated is True
    assert t.reopen_count == 1
    assert t.solved is None
    assert t.satisfaction is None


def test_direct_answer_is_recorded_as_handled_directly(db: Session) -> None:
    t = new_ticket(db, "想开个小饭馆，开办餐饮店要办哪些证", type="咨询")
    answers = knowledge.direct_answers(db, t.content)
    assert answers
    assert any("餐饮" in a.name for a in answers)
    user, actor = act(db, "operator")
    hs.answer_directly(
        db, actor, user, t, "可通过“开办餐饮店”一件事一次办理", sources=[answers[0].name]
    )
    assert t.state == "replied"
    assert t.handled_directly
    assert t.on_time
    assert t.department_id is None
    hs.callback(db, actor, user, t, solved=True, satisfaction=5)
    assert t.state == "closed_solved"


def test_a_question_gets_the_guides_answer_first_with_its_source(db: Session) -> None:
    """The operator reads out what the portal would answer, quoted from the guide."""
    answers = knowledge.direct_answers(db, "办残疾人证要带什么材料")
    assert answers[0].kind == "answer"
    assert "身份证" in answers[0].summary
    assert answers[0].link.startswith("/items/")
    assert "申请材料" in answers[0].name
    assert {a.kind for a in answers[1:]} <= {"bundle", "item", "faq", "policy"}


def test_transfer_to_110(db: Session) -> None:
    t = new_ticket(db, "楼下有人打架，拿着刀", urgency="emergency")
    user, actor = act(db, "operator")
    with pytest.raises(DomainError):
        hs.transfer(db, actor, user, t, "999")
    hs.transfer(db, actor, user, t, "110")
    assert t.state == "transferred"
    assert t.transfer_to == "110"


def test_merge_suggestions_same_area_similar_recent(db: Session) -> None:
    text = "大学路和航海路交叉口的路灯坏了一个多星期，晚上黑乎乎的"
    first = new_ticket(db, text, now=DEC4, region_code="410103001000", address="")
    other_area = new_ticket(db, text, now=DEC4, region_code="410103002000", address="")
    different = new_ticket(
        db, "社保卡丢了怎么补办", now=DEC4, region_code="410103001000", address=""
    )
    old = new_ticket(
        db, text, now=DEC4 - dt.timedelta(days=30), region_code="410103001000", address=""
    )
    dup = new_ticket(
        db,
        "航海路大学路交叉口路灯坏了一个星期了，晚上太黑",
        now=DEC4 + dt.timedelta(hours=2),
        region_code="410103001000",
        address="",
    )
    found = [m.ticket for m in merging.merge_suggestions(db, dup)]
    assert first in found
    assert other_area not in found
    assert different not in found
    assert old not in found
    user, actor = act(db, "dispatcher")
    hs.merge(db, actor, user, dup, first)
    assert dup.state == "merged"
    assert dup.merged_into_id == first.id
    with pytest.raises(DomainError):
        hs.merge(db, actor, user, different, dup)


def test_similarity() -> None:
    assert merging.similarity("路灯坏了", "路灯坏了") == pytest.approx(1.0)
    assert merging.similarity("路灯坏了", "社保卡补办") == 0.0
    assert merging.similarity("", "路灯") == 0.0


def test_public_lookup_needs_number_and_phone(db: Session) -> None:
    t = ticket_in(db, "replied")
    assert public.public_lookup(db, t.number.lower(), "137-1234-5678") is t
    with pytest.raises(DomainError):
        public.public_lookup(db, t.number, "13700000000")
    with pytest.raises(DomainError):
        public.public_lookup(db, "R000", "13712345678")
    view = public.public_view(db, t)
    assert view["caller_phone"] == "137****5678"
    assert view["reply"] == "已责令下架并处罚"
    assert "张先生" not in str(view)


def test_tick_dispatch_overdue_yellow_red_and_escalation(db: Session) -> None:
    late = new_ticket(db, now=DEC4, urgency="emergency")
    t = new_ticket(db, now=DEC4, type="咨询")  # 3 working days
    user, actor = act(db, "dispatcher")
    hs.dispatch(db, actor, user, t, department="scjgj", now=DEC4)
    assert t.due_on == dt.date(2026, 12, 9)
    report = tick(db, now=DEC4 + dt.timedelta(hours=2))
    assert report.dispatch_overdue >= 1
    db.refresh(late)
    assert late.dispatch_alert is True
    assert _events(db, late, "hotline:ticket:dispatch_overdue")
    again = tick(db, now=DEC4 + dt.timedelta(hours=3))
    assert again.dispatch_overdue == 0
    # Wednesday 9 December: 3 of 3 days used, yellow
    tick(db, now=dt.datetime(2026, 12, 9, 2, tzinfo=UTC))
    db.refresh(t)
    assert t.alert == "yellow"
    assert not t.escalated
    # Thursday 10 December: over, red and 督办
    version = t.version
    tick(db, now=dt.datetime(2026, 12, 10, 2, tzinfo=UTC))
    db.refresh(t)
    assert t.alert == "red"
    assert t.escalated
    assert t.version == version
    assert _events(db, t, "hotline:ticket:escalate")
    sup = staff(db, "supervisor")
    assert db.scalar(
        select(Notification).where(
            Notification.user_id == sup.id, Notification.tag == "hotline.escalated"
        )
    )
    report = tick(db, now=dt.datetime(2026, 12, 11, 2, tzinfo=UTC))
    assert report.escalated == 0


def test_reply_after_the_deadline_is_not_on_time(db: Session) -> None:
    t = new_ticket(db, now=DEC4, type="咨询")
    user, actor = act(db, "dispatcher")
    hs.dispatch(db, actor, user, t, department="scjgj", now=DEC4)
    do(db, t, "claim")
    unit, unit_actor = act(db, "scjg")
    hs.reply(db, unit_actor, unit, t, "已答复", now=dt.datetime(2026, 12, 10, 2, tzinfo=UTC))
    assert t.on_time is False


def test_stale_version_is_a_conflict(db: Session) -> None:
    t = ticket_in(db, "dispatched")
    unit, actor = act(db, "scjg")
    with pytest.raises(DomainError) as err:
        hs.claim(db, actor, unit, t, version=t.version - 1)
    assert err.value.status == 409


def test_bad_input(db: Session) -> None:
    user, actor = act(db, "operator")
    for bad, field in [
        ({"content": "  "}, "content"),
        ({"caller_phone": "12"}, "caller_phone"),
        ({"region_code": "999999"}, "region_code"),
        ({"type": "闲聊"}, "type"),
        ({"urgency": "soon"}, "urgency"),
        ({"channel": "fax"}, "channel"),
    ]:
        fields = {
            "content": "路灯坏了",
            "caller_name": "李女士",
            "caller_phone": "13712345678",
            **bad,
        }
        with pytest.raises(DomainError) as err:
            hs.create_ticket(db, actor, user, hs.NewTicket(**fields))
        assert err.value.field == field, bad
    gaj, gaj_actor = act(db, "gaj")
    with pytest.raises(DomainError) as err:
        hs.create_ticket(db, gaj_actor, gaj, hs.NewTicket("路灯坏了", "李女士", "13712345678"))
    assert err.value.status == 403


def test_a_dispatchers_correction_becomes_training_data(db: Session, tmp_path: object) -> None:
    """A ticket the dispatcher sent elsewhere than proposed, once answered, is learnt from."""
    from pathlib import Path

    from onething.hotline import classify

    t = new_ticket(db, "小区门口的井盖丢了，晚上差点把人绊倒", type="求助")
    assert t.proposal is not None
    other = "cgj" if t.proposal["code"] != "cgj" else "scjgj"
    user, actor = act(db, "dispatcher")
    hs.dispatch(db, actor, user, t, department=other)
    assert knowledge.routing_corrections(db) == [], "not before it is answered"
    do(db, t, "claim")
    do(db, t, "reply")
    [example] = knowledge.routing_corrections(db)
    assert (example.text, example.department) == (t.content, other)
    model, report = classify.train(Path(str(tmp_path)) / "m.joblib", corrections=[example])
    assert model.trained_on == len(classify.load_corpus().tickets) + 1
    assert report.held_out >= 700, "measured on the corpus's own split"


def test_the_caller_answers_the_callback_and_unsolved_goes_back_under_supervision(
    db: Session,
) -> None:
    t = ticket_in(db, "replied")
    with pytest.raises(DomainError):
        public.caller_callback(db, t.number, "13700000000", solved=True, satisfaction=5)
    public.caller_callback(db, t.number, t.caller_phone, solved=False, satisfaction=2)
    assert t.state == "claimed", "差评重办 to the same unit"
    assert t.escalated is True
    assert t.reopen_count == 1
    with pytest.raises(DomainError) as exc:
        public.caller_callback(db, t.number, t.caller_phone, solved=True, satisfaction=5)
    assert exc.value.status == 409
    do(db, t, "reply")
    public.caller_callback(db, t.number, t.caller_phone, solved=True, satisfaction=5)
    assert t.state == "closed_solved"
    assert t.satisfaction == 5
    who = db.scalars(
        select(AuditEvent.actor_label).where(AuditEvent.tag == "hotline:ticket:close_solved")
    ).all()
    assert "来电人（回访链接）" in who


def test_the_callback_on_the_lookup_page(client: object, db: Session) -> None:
    from fastapi.testclient import TestClient

    from tests.conftest import csrf_of

    assert isinstance(client, TestClient)
    t = ticket_in(db, "replied")
    token = csrf_of(client)
    page = client.post(
        "/hotline/lookup", data={"number": t.number, "phone": t.caller_phone, "csrf_token": token}
    ).text
    assert 'id="callback"' in page
    done = client.post(
        "/hotline/lookup/callback",
        data={
            "number": t.number,
            "phone": t.caller_phone,
            "solved": "yes",
            "satisfaction": "4",
            "csrf_token": token,
        },
    )
    assert done.status_code == 200
    assert "谢谢您的评价" in done.text
    db.refresh(t)
    assert t.state == "closed_solved"
