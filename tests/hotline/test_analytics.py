"""The hotspot rule on synthetic streams, its database run, and the figures."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy.orm import Session

from onething.hotline import analytics
from onething.hotline import service as hs
from onething.hotline.analytics import Event, hotspots
from tests.hotline.builders import act, do, new_ticket, staff, ticket_in

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
A, B = "410103001", "410103002"


def _burst(area: str, cat: str, n: int, within_hours: float = 20) -> list[Event]:
    return [
        Event(NOW - dt.timedelta(hours=within_hours * i / max(n, 1)), area, cat, 1000 + i)
        for i in range(n)
    ]


def _background(area: str, cat: str, per_day: float, days: int = 28) -> list[Event]:
    rng = random.Random(7)
    out = []
    for d in range(1, days + 1):
        for _ in range(int(per_day) + (rng.random() < per_day % 1)):
            out.append(Event(NOW - dt.timedelta(days=d, hours=rng.random() * 23), area, cat))
    return out


def test_quiet_stream_has_no_hotspot() -> None:
    events = _background(A, "路灯", 0.5) + _burst(A, "路灯", 1)
    assert hotspots(events, NOW) == []


def test_burst_over_a_quiet_baseline_is_hot() -> None:
    events = _background(A, "停水", 0.2) + _burst(A, "停水", 6) + _burst(B, "路灯", 6)
    found = {(h.area, h.category): h for h in hotspots(events, NOW)}
    assert set(found) == {(A, "停水"), (B, "路灯")}
    assert found[(A, "停水")].count == 6
    assert found[(A, "停水")].ratio >= 3


def test_needs_the_minimum_count() -> None:
    assert hotspots(_burst(A, "停水", 4), NOW) == []
    assert len(hotspots(_burst(A, "停水", 5), NOW)) == 1


def test_needs_the_ratio_over_a_busy_baseline() -> None:
    busy = _background(A, "噪声", 3)  # about 3 a day
    assert hotspots(busy + _burst(A, "噪声", 8), NOW) == []  # 8 < 3 x 3
    assert len(hotspots(busy + _burst(A, "噪声", 10), NOW)) == 1


def test_window_edges_and_settings() -> None:
    outside = [Event(NOW - dt.timedelta(hours=25), A, "停水") for _ in range(9)]
    future = [Event(NOW + dt.timedelta(hours=1), A, "停水") for _ in range(9)]
    assert hotspots(outside + future, NOW) == []
    assert len(hotspots(_burst(A, "停水", 3), NOW, min_count=3)) == 1
    busy = _background(A, "噪声", 1)
    assert hotspots(busy + _burst(A, "噪声", 6), NOW, ratio=10) == []


def test_categories_and_areas_are_counted_apart() -> None:
    events = _burst(A, "停水", 3) + _burst(A, "停电", 3) + _burst(B, "停水", 3)
    assert hotspots(events, NOW) == []


def test_detect_raises_once_per_day(db: Session) -> None:
    for i in range(5):
        new_ticket(
            db,
            f"航海路小区又停水了，第{i}栋楼一整天没水",
            now=NOW - dt.timedelta(hours=i),
            region_code="410103001000",
            category="停水",
        )
    raised = analytics.detect(db, now=NOW)
    assert ("410103001000", "停水", 5) in [(a.region_code, a.category, a.count) for a in raised]
    assert analytics.detect(db, now=NOW + dt.timedelta(minutes=10)) == []


def test_figures(db: Session) -> None:
    solved = ticket_in(db, "closed_solved")
    unsolved = ticket_in(db, "closed_unsolved")
    direct = new_ticket(db, "开办餐饮店要哪些材料", type="咨询")
    user, actor = act(db, "operator")
    hs.answer_directly(db, actor, user, direct, "见开办餐饮店一件事")
    waiting = ticket_in(db, "dispatched")
    tickets = [solved, unsolved, direct, waiting]
    f = analytics.figures_of(tickets)
    assert f.total == 4
    assert f.response_rate == 0.75
    assert f.solution_rate == 0.5
    assert f.satisfaction_rate == 0.5  # 4 满意 and 2 不满意
    assert f.direct_share == round(1 / 3, 4)
    assert f.on_time_rate == 1.0
    assert dict(f.by_department)["市场监督管理局"] == 3
    do(db, waiting, "claim")
    whole = analytics.figures(db, staff(db, "supervisor"))
    assert whole.total >= 4
