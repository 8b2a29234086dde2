"""`onething hotline tick`: dispatch time limits, handling deadlines, 督办 and hotspots.

- A ticket still waiting for dispatch past its limit (1 h emergency, 2 h utility, 24 h
  otherwise) is marked once and the dispatchers are told.
- A unit's ticket turns yellow at the warning share of its working days and red when over;
  red puts it under 督办 (escalated) and tells the unit and the supervisors.
- The hotspot rule runs over the last 24 hours.

Alerts are plain UPDATEs, so the job never bumps a ticket's version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onething.accounts.models import Role
from onething.cases.review import alert_level
from onething.cases.states import Alert
from onething.core.audit import SYSTEM, record_event
from onething.core.workdays import load_calendar, local_date
from onething.db import utcnow
from onething.hotline import analytics
from onething.hotline import service as hs
from onething.hotline.models import Ticket
from onething.hotline.states import ALERT_LABELS, WITH_DEPARTMENT, TicketState

_RANK = {Alert.none: 0, Alert.yellow: 1, Alert.red: 2}


@dataclass
class TickReport:
    checked: int = 0
    dispatch_overdue: int = 0
    yellow: int = 0
    red: int = 0
    escalated: int = 0
    hotspots: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def tick(session: Session, *, now: dt.datetime | None = None) -> TickReport:
    now = now or utcnow()
    today = local_date(now)
    cal = load_calendar(session)
    report = TickReport()
    waiting = session.scalars(
        select(Ticket).where(
            Ticket.state == TicketState.received,
            Ticket.dispatch_due_at < now,
            Ticket.dispatch_alert.is_(False),
        )
    ).all()
    for t in waiting:
        session.execute(update(Ticket).where(Ticket.id == t.id).values(dispatch_alert=True))
        record_event(
            session,
            "hotline:ticket:dispatch_overdue",
            "hotline_ticket",
            t.id,
            SYSTEM,
            after={"dispatch_alert": True},
            data={"note": f"超过派单时限（{t.dispatch_due_at:%Y-%m-%d %H:%M} UTC）"},
            region_code=t.region_code,
        )
        hs.tell_role(
            session,
            Role.hotline_dispatcher,
            t,
            "hotline.dispatch_overdue",
            f"【派单超时】{t.number}",
            f"{hs.label(t)}已超过派单时限，请立即派单",
        )
        report.dispatch_overdue += 1
    open_rows = session.scalars(
        select(Ticket).where(Ticket.state.in_([s.value for s in WITH_DEPARTMENT]))
    ).all()
    for t in open_rows:
        report.checked += 1
        if t.started_on is None:
            continue
        used = max(cal.working_days_between(t.started_on, today), 0)
        level = alert_level(used, t.handling_days)
        if _RANK[level] > _RANK[Alert(t.alert)]:
            before = t.alert
            session.execute(update(Ticket).where(Ticket.id == t.id).values(alert=level))
            record_event(
                session,
                "hotline:ticket:alert",
                "hotline_ticket",
                t.id,
                SYSTEM,
                before={"alert": before},
                after={"alert": level},
                data={"note": ALERT_LABELS[level]},
                region_code=t.region_code,
            )
            report.yellow += level == Alert.yellow
            report.red += level == Alert.red
        if level == Alert.red and not t.escalated:
            note = f"超过办理时限（到期日 {t.due_on:%Y-%m-%d}），转入督办"
            if hs.escalate(session, SYSTEM, None, t, note):
                report.escalated += 1
                hs.tell_role(
                    session, Role.supervisor, t, "hotline.escalated", f"【督办】{t.number}", note
                )
    report.hotspots = len(analytics.detect(session, now=now))
    session.expire_all()
    return report


def run_tick() -> TickReport:
    from onething.db import transaction

    with transaction() as session:
        return tick(session)
