"""Time limits in working days across the 2025 National Day holiday, with the clock stopped.

2025: 国庆 and 中秋 together, Wed 1 to Wed 8 October off; Sun 28 September and Sat 11 October
are make-up working days.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.cases import deadlines, review
from onething.cases.models import Case, ItemTask, TaskPause
from onething.core.audit import AuditEvent
from onething.core.notify import Notification
from onething.core.workdays import CHINA, WorkCalendar
from tests.cases import builders as b

CAL = WorkCalendar()
LICENCE = "食品经营许可（新办）"


def bj(month: int, day: int, hour: int = 10) -> dt.datetime:
    """A moment of 2025 in Beijing time."""
    return dt.datetime(2025, month, day, hour, tzinfo=CHINA)


def _accepted_on_friday_before_the_holiday(db: Session) -> Case:
    """Accepted Fri 26 Sep 2025 with 企业设立登记 approved the same day, so 食品经营许可
    (7 working days) and 户外招牌 (5) start on the 26th too."""
    case = b.food_draft(db)
    b.submit(db, case, bj(9, 26, 9))
    b.accept(db, case, bj(9, 26))
    b.approve(db, b.task(case, b.REG_CODE), bj(9, 26, 11))
    return case


def _pause(db: Session, t: ItemTask, now: dt.datetime, until: dt.date) -> None:
    r = b.reviewer(db, t)
    review.pause(db, t, r, b.actor(r), "site_inspection", "现场踏勘经营场所", until, now=now)


def _resume(db: Session, t: ItemTask, now: dt.datetime) -> None:
    r = b.reviewer(db, t)
    review.resume(db, t, r, b.actor(r), now=now)


def _alerts(db: Session, login: str, case: Case, item: str) -> list[str]:
    u = b.user(db, login)
    rows = db.scalars(
        select(Notification)
        .where(Notification.user_id == u.id, Notification.tag.like("cases.alert_%"))
        .order_by(Notification.id)
    )
    return [n.tag for n in rows if case.number and case.number in n.body and item in n.body]


def _used(t: ItemTask, day: dt.date) -> int:
    return review.time_used(t, day, CAL)


def test_the_task_clock_skips_the_holiday_and_the_paused_days(db: Session) -> None:
    case = _accepted_on_friday_before_the_holiday(db)
    licence = b.task(case, b.FOOD_LICENCE_CODE)
    assert licence.state == "pending"
    assert licence.promised_days == 7
    assert licence.started_on == dt.date(2025, 9, 26)
    # 28 Sep (Sun, make-up), 29, 30, 9 Oct, 10, 11 (Sat, make-up), 13: seven working days.
    assert licence.due_on == dt.date(2025, 10, 13)
    assert _used(licence, dt.date(2025, 10, 8)) == 3  # the holiday does not count

    b.claim(db, licence)
    _pause(db, licence, bj(9, 30), dt.date(2025, 10, 10))
    assert licence.state == "paused"
    # While paused the clock stands still: 30 Sep and 9 Oct are not counted.
    assert _used(licence, dt.date(2025, 9, 30)) == 3
    assert _used(licence, dt.date(2025, 10, 9)) == 3

    _resume(db, licence, bj(10, 10, 16))
    (stop,) = db.scalars(select(TaskPause).where(TaskPause.task_id == licence.id)).all()
    assert (stop.started_on, stop.ended_on, stop.working_days) == (
        dt.date(2025, 9, 30),
        dt.date(2025, 10, 10),
        2,  # 9 and 10 October: the eight holiday days are not "paused" working days
    )
    assert licence.paused_days == 2
    assert licence.due_on == dt.date(2025, 10, 15) == CAL.add_working_days(licence.started_on, 9)
    assert _used(licence, dt.date(2025, 10, 13)) == 5
    assert _used(licence, dt.date(2025, 10, 14)) == 6


def test_tick_warns_at_80_percent_and_when_overdue_once_per_level(db: Session) -> None:
    case = _accepted_on_friday_before_the_holiday(db)
    licence = b.task(case, b.FOOD_LICENCE_CODE)
    b.claim(db, licence)
    _pause(db, licence, bj(9, 30), dt.date(2025, 10, 10))
    _resume(db, licence, bj(10, 10, 16))
    version = licence.version
    watchers = ("scjg", "scjg_chief", "supervisor")

    deadlines.tick(db, now=bj(10, 13, 18))  # 5 of 7 used: 71 %
    assert licence.alert == "none"
    for login in watchers:
        assert _alerts(db, login, case, LICENCE) == []

    deadlines.tick(db, now=bj(10, 14, 8))  # 6 of 7: 86 %, and without the pause it would be 8
    assert licence.alert == "yellow"
    assert licence.version == version, "the deadline job must not bump the task's version"
    for login in watchers:
        assert _alerts(db, login, case, LICENCE) == ["cases.alert_yellow"], login
    for login in ("wjw", "cgj", "window", b.ENTERPRISE):
        assert _alerts(db, login, case, LICENCE) == [], login

    deadlines.tick(db, now=bj(10, 14, 18))
    deadlines.tick(db, now=bj(10, 15, 18))  # the due day itself: 7 of 7 is not yet late
    assert licence.alert == "yellow"
    for login in watchers:
        assert _alerts(db, login, case, LICENCE) == ["cases.alert_yellow"], login

    report = deadlines.tick(db, now=bj(10, 16, 9))
    assert report.red >= 1
    assert licence.alert == "red"
    assert licence.version == version
    assert licence.state == "claimed"
    deadlines.tick(db, now=bj(10, 17, 9))
    for login in watchers:
        assert _alerts(db, login, case, LICENCE) == [
            "cases.alert_yellow",
            "cases.alert_red",
        ], login
    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.tag == "cases:item_task:alert", AuditEvent.subject_id == str(licence.id))
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.before, e.after) for e in events] == [
        ({"alert": "none"}, {"alert": "yellow"}),
        ({"alert": "yellow"}, {"alert": "red"}),
    ]

    supervisor = b.user(db, "supervisor")
    late = [o for o in deadlines.overdue(db, supervisor, now=bj(10, 16)).tasks if o.task is licence]
    assert [(o.used, o.over_by) for o in late] == [(8, 1)]

    # The reviewer's decision is not a conflict with the job's writes.
    b.approve(db, licence, bj(10, 17))
    assert licence.state == "approved"
    assert licence.alert == "red"


def test_the_case_clock_stops_while_any_task_is_paused(db: Session) -> None:
    case = _accepted_on_friday_before_the_holiday(db)
    assert case.promised_days == 13
    assert case.due_on == dt.date(2025, 10, 21)
    licence = b.task(case, b.FOOD_LICENCE_CODE)
    sign = b.task(case, b.SIGN_CODE)
    b.claim(db, licence)
    b.claim(db, sign)

    _pause(db, licence, bj(9, 30), dt.date(2025, 10, 10))
    assert case.paused_since == dt.date(2025, 9, 30)
    _pause(db, sign, bj(10, 9), dt.date(2025, 10, 14))
    assert case.paused_since == dt.date(2025, 9, 30)

    _resume(db, licence, bj(10, 10))
    # 户外招牌 is still paused: the case clock has not restarted, its due date stays.
    assert case.paused_since == dt.date(2025, 9, 30)
    assert case.paused_days == 0
    assert case.due_on == dt.date(2025, 10, 21)
    assert deadlines.case_time_used(case, dt.date(2025, 10, 13), CAL) == 3

    _resume(db, sign, bj(10, 14))
    # The union of both pauses, 30 Sep to 14 Oct: 9, 10, 11, 13 and 14 October.
    assert case.paused_since is None
    assert case.paused_days == 5
    assert case.due_on == CAL.add_working_days(dt.date(2025, 9, 26), 18) == dt.date(2025, 10, 28)
    assert deadlines.case_time_used(case, dt.date(2025, 10, 15), CAL) == 4
    # Each task keeps its own stop: 2 and 4 working days.
    assert (licence.paused_days, sign.paused_days) == (2, 4)
    # 5 promised + 4 paused working days from 26 Sep: 28, 29, 30 Sep, 9, 10, 11, 13, 14, 15 Oct.
    assert sign.due_on == dt.date(2025, 10, 15)


def test_a_paused_task_is_not_flagged_for_the_days_it_was_stopped(db: Session) -> None:
    case = _accepted_on_friday_before_the_holiday(db)
    licence = b.task(case, b.FOOD_LICENCE_CODE)
    b.claim(db, licence)
    _pause(db, licence, bj(9, 29), dt.date(2025, 10, 31))
    deadlines.tick(db, now=bj(10, 20))  # 2 of its 12 working days came before the pause
    refreshed = db.scalar(select(ItemTask).where(ItemTask.id == licence.id))
    assert refreshed is not None
    assert refreshed.alert == "none"
    assert refreshed.state == "paused"
