"""诉求分析: counts and rates over tickets, and the hotspot detector (热点预警).

The hotspot rule: a category in an area (a township-level region code) is hot when the
tickets of the last 24 hours number at least `hotline_hotspot_min_count` and at least
`hotline_hotspot_ratio` times its daily mean over the `hotline_hotspot_baseline_days` days
before those 24 hours. `hotspots()` is a pure function over a stream, so it can be tested on
synthetic streams; `detect()` runs it on the database and records each alert once a day.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.accounts import service as accounts
from onething.accounts.models import Role, User
from onething.config import get_settings
from onething.core.audit import SYSTEM, record_event
from onething.core.errors import forbidden
from onething.core.notify import notify
from onething.core.workdays import local_date
from onething.db import utcnow
from onething.hotline import service as hs
from onething.hotline.models import HotspotAlert, Ticket
from onething.hotline.states import CLOSED_STATES, TicketState


@dataclass(frozen=True)
class Event:
    """One ticket as the detector sees it."""

    at: dt.datetime
    area: str
    category: str
    ticket_id: int = 0


@dataclass(frozen=True)
class Hotspot:
    area: str
    category: str
    count: int
    baseline: float
    """Mean per day over the baseline window."""
    ticket_ids: tuple[int, ...]

    @property
    def ratio(self) -> float:
        return self.count / self.baseline if self.baseline else float("inf")


def area_of(region_code: str) -> str:
    """The township-level area (9 digits) of a 12-digit code."""
    return region_code[:9]


def hotspots(
    events: Iterable[Event],
    now: dt.datetime,
    *,
    min_count: int | None = None,
    ratio: float | None = None,
    baseline_days: int | None = None,
) -> list[Hotspot]:
    s = get_settings()
    min_count = s.hotline_hotspot_min_count if min_count is None else min_count
    ratio = s.hotline_hotspot_ratio if ratio is None else ratio
    baseline_days = s.hotline_hotspot_baseline_days if baseline_days is None else baseline_days
    recent_from = now - dt.timedelta(hours=24)
    base_from = recent_from - dt.timedelta(days=baseline_days)
    recent: dict[tuple[str, str], list[int]] = defaultdict(list)
    base: Counter[tuple[str, str]] = Counter()
    for e in events:
        key = (e.area, e.category)
        if recent_from < e.at <= now:
            recent[key].append(e.ticket_id)
        elif base_from < e.at <= recent_from:
            base[key] += 1
    out = []
    for key, ids in recent.items():
        mean = base[key] / baseline_days if baseline_days else 0.0
        if len(ids) >= min_count and len(ids) >= ratio * mean:
            out.append(Hotspot(key[0], key[1], len(ids), round(mean, 3), tuple(sorted(ids))))
    out.sort(key=lambda h: (-h.count, h.area, h.category))
    return out


def detect(session: Session, *, now: dt.datetime | None = None) -> list[HotspotAlert]:
    """Run the rule on the database; each (area, category) is raised at most once a day."""
    now = now or utcnow()
    s = get_settings()
    since = now - dt.timedelta(hours=24, days=s.hotline_hotspot_baseline_days)
    rows = session.execute(
        select(Ticket.id, Ticket.received_at, Ticket.region_code, Ticket.category).where(
            Ticket.received_at > since,
            Ticket.received_at <= now,
            Ticket.category != "",
            Ticket.state != TicketState.merged,
        )
    ).all()
    events = [Event(r.received_at, area_of(r.region_code), r.category, r.id) for r in rows]
    raised = []
    day = local_date(now)
    for h in hotspots(events, now):
        region = h.area.ljust(12, "0")
        exists = session.scalar(
            select(HotspotAlert.id).where(
                HotspotAlert.region_code == region,
                HotspotAlert.category == h.category,
                HotspotAlert.day == day,
            )
        )
        if exists is not None:
            continue
        alert = HotspotAlert(
            region_code=region,
            category=h.category,
            day=day,
            count=h.count,
            baseline=h.baseline,
            ticket_ids=list(h.ticket_ids),
            raised_at=now,
        )
        session.add(alert)
        session.flush()
        record_event(
            session,
            "hotline:hotspot:raised",
            "hotline_hotspot",
            alert.id,
            SYSTEM,
            after={"category": h.category, "count": h.count, "baseline": h.baseline},
            region_code=region,
        )
        users = accounts.staff_for(session, [Role.supervisor, Role.hotline_dispatcher], region)
        notify(
            session,
            [accounts.recipient_of(u) for u in users],
            "hotline.hotspot",
            f"【热点预警】{h.category}",
            f"24小时内{h.count}件（此前日均{h.baseline:.1f}件），区划{region}",
            "/hotline/analytics",
        )
        raised.append(alert)
    return raised


def recent_hotspots(session: Session, regions: Sequence[str], days: int = 7) -> list[HotspotAlert]:
    since = local_date(utcnow()) - dt.timedelta(days=days)
    stmt = select(HotspotAlert).where(
        HotspotAlert.day >= since, hs.in_regions(HotspotAlert.region_code, regions)
    )
    return list(session.scalars(stmt.order_by(HotspotAlert.raised_at.desc())))


# ---------------------------------------------------------------- figures


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


@dataclass
class Figures:
    total: int = 0
    by_type: list[tuple[str, int]] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_department: list[tuple[str, int]] = field(default_factory=list)
    by_region: list[tuple[str, int]] = field(default_factory=list)
    by_day: list[tuple[str, int]] = field(default_factory=list)
    response_rate: float | None = None
    """Share of tickets that needed an answer and got one (replied or closed)."""
    solution_rate: float | None = None
    """Solved among the tickets closed after a callback."""
    satisfaction_rate: float | None = None
    """满意 or 非常满意 or 基本满意 among the rated tickets."""
    on_time_rate: float | None = None
    """Replied by the deadline among the replied tickets."""
    direct_share: float | None = None
    """直办 among all tickets answered (directly or by a unit)."""
    mean_satisfaction: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_type": dict(self.by_type),
            "by_category": dict(self.by_category),
            "by_department": dict(self.by_department),
            "by_region": dict(self.by_region),
            "by_day": dict(self.by_day),
            "response_rate": self.response_rate,
            "solution_rate": self.solution_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "on_time_rate": self.on_time_rate,
            "direct_share": self.direct_share,
            "mean_satisfaction": self.mean_satisfaction,
        }


def figures_of(tickets: Sequence[Ticket]) -> Figures:
    f = Figures(total=len(tickets))
    f.by_type = Counter(t.type for t in tickets).most_common()
    f.by_category = Counter(t.category or "未分类" for t in tickets).most_common()
    f.by_department = Counter(
        t.department.name if t.department else ("直办" if t.handled_directly else "未派单")
        for t in tickets
    ).most_common()
    f.by_region = Counter(t.region.name for t in tickets).most_common()
    f.by_day = sorted(Counter(f"{local_date(t.received_at):%Y-%m-%d}" for t in tickets).items())
    needing = [t for t in tickets if t.state not in ("merged", "transferred")]
    answered = [t for t in needing if t.replied_at is not None or t.state in CLOSED_STATES]
    f.response_rate = _ratio(len(answered), len(needing))
    closed = [t for t in tickets if t.state in CLOSED_STATES]
    f.solution_rate = _ratio(sum(t.solved is True for t in closed), len(closed))
    rated = [t.satisfaction for t in tickets if t.satisfaction is not None]
    f.satisfaction_rate = _ratio(sum(r >= 3 for r in rated), len(rated))
    f.mean_satisfaction = round(sum(rated) / len(rated), 2) if rated else None
    timed = [t for t in tickets if t.on_time is not None]
    f.on_time_rate = _ratio(sum(t.on_time is True for t in timed), len(timed))
    f.direct_share = _ratio(sum(t.handled_directly for t in answered), len(answered))
    return f


def figures(
    session: Session,
    user: User,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Figures:
    """The figures over the tickets of the user's regions (supervisors, hotline staff)."""
    roles = (Role.supervisor, Role.hotline_dispatcher, Role.hotline_operator, Role.system_admin)
    regions = [sc.region_code for sc in accounts.scopes(user, *roles)]
    if not regions:
        raise forbidden("只有监管人员和12345热线可以查看诉求分析")
    stmt = select(Ticket).where(hs.in_regions(Ticket.region_code, regions))
    china = dt.timezone(dt.timedelta(hours=8))
    if since is not None:
        stmt = stmt.where(Ticket.received_at >= dt.datetime.combine(since, dt.time(), china))
    if until is not None:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), china)
        stmt = stmt.where(Ticket.received_at < end)
    return figures_of(list(session.scalars(stmt)))
