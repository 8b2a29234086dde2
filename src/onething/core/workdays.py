"""工作日历: working days as the State Council publishes them.

chinese-calendar knows the official holidays and make-up workdays (调休) for the years it
covers; an administrator's table of overrides comes first, and covers later years.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import chinese_calendar
from sqlalchemy import Boolean, Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from onething.core.audit import Actor, record_event
from onething.core.errors import DomainError
from onething.db import Base

PACKAGE_YEARS = range(2004, 2027)
CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def local_date(moment: dt.datetime) -> dt.date:
    """Working days and benefit periods are counted on Beijing time, whatever the server's."""
    return moment.astimezone(CHINA).date()


class CalendarDay(Base):
    """An administrator's entry: this date is (or is not) a working day, and why."""

    __tablename__ = "calendar_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(60))


@functools.lru_cache(maxsize=20000)
def _official_workday(day: dt.date) -> bool:
    if day.year in PACKAGE_YEARS:
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


@dataclass
class WorkCalendar:
    overrides: dict[dt.date, bool] = field(default_factory=dict)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return _official_workday(day)

    def year_is_known(self, year: int) -> bool:
        """True when the package or the table holds the year's official arrangement."""
        return year in PACKAGE_YEARS or any(d.year == year for d in self.overrides)

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (start itself is not counted); n <= 0 steps back."""
        day = start
        if n == 0:
            return start
        step = 1 if n > 0 else -1
        remaining = abs(n)
        while remaining:
            day += dt.timedelta(days=step)
            if self.is_workday(day):
                remaining -= 1
        return day

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in (a, b]; negative when b is before a."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a
        while day < b:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


def load_calendar(session: Session) -> WorkCalendar:
    rows = session.scalars(select(CalendarDay)).all()
    return WorkCalendar({r.day: r.is_workday for r in rows})


def add_working_days(start: dt.date, n: int, calendar: WorkCalendar | None = None) -> dt.date:
    return (calendar or WorkCalendar()).add_working_days(start, n)


def working_days_between(a: dt.date, b: dt.date, calendar: WorkCalendar | None = None) -> int:
    return (calendar or WorkCalendar()).working_days_between(a, b)


def set_calendar_day(
    session: Session, actor: Actor, day: dt.date, is_workday: bool, name: str
) -> CalendarDay:
    """Enter or correct one day of the table."""
    name = name.strip()
    if not name:
        raise DomainError("calendar_name_required", "请填写节假日或调休的名称", 422, "name")
    if len(name) > 60:
        raise DomainError("calendar_name_too_long", "名称不能超过60个字", 422, "name")
    row = session.get(CalendarDay, day)
    before = None if row is None else {"is_workday": row.is_workday, "name": row.name}
    if row is None:
        row = CalendarDay(day=day, is_workday=is_workday, name=name)
        session.add(row)
    else:
        row.is_workday = is_workday
        row.name = name
    session.flush()
    record_event(
        session,
        "core:calendar_day:set",
        "calendar_day",
        day.isoformat(),
        actor,
        before=before,
        after={"is_workday": is_workday, "name": name},
    )
    return row


def remove_calendar_day(session: Session, actor: Actor, day: dt.date) -> bool:
    """Drop an override so the official arrangement (or the plain week) applies again."""
    row = session.get(CalendarDay, day)
    if row is None:
        return False
    record_event(
        session,
        "core:calendar_day:removed",
        "calendar_day",
        day.isoformat(),
        actor,
        before={"is_workday": row.is_workday, "name": row.name},
    )
    session.delete(row)
    session.flush()
    return True


def list_calendar_days(session: Session, year: int | None = None) -> list[CalendarDay]:
    stmt = select(CalendarDay).order_by(CalendarDay.day)
    if year is not None:
        stmt = stmt.where(
            CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31)
        )
    return list(session.scalars(stmt))
