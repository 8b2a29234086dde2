from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from onething.core.audit import SYSTEM
from onething.core.errors import DomainError
from onething.core.workdays import (
    WorkCalendar,
    add_working_days,
    load_calendar,
    set_calendar_day,
    working_days_between,
)

D = dt.date

# The State Council's published arrangements (国办发明电): days off that fall on weekdays,
# and weekend days that are make-up workdays (调休).
OFFICIAL = {
    2024: {
        "off": [
            D(2024, 1, 1),
            D(2024, 2, 12),
            D(2024, 2, 13),
            D(2024, 2, 14),
            D(2024, 2, 15),
            D(2024, 2, 16),
            D(2024, 4, 4),
            D(2024, 4, 5),
            D(2024, 5, 1),
            D(2024, 5, 2),
            D(2024, 5, 3),
            D(2024, 6, 10),
            D(2024, 9, 16),
            D(2024, 9, 17),
            D(2024, 10, 1),
            D(2024, 10, 4),
            D(2024, 10, 7),
        ],
        "work": [
            D(2024, 2, 4),
            D(2024, 2, 18),
            D(2024, 4, 7),
            D(2024, 4, 28),
            D(2024, 5, 11),
            D(2024, 9, 14),
            D(2024, 9, 29),
            D(2024, 10, 12),
        ],
    },
    2025: {
        "off": [
            D(2025, 1, 1),
            D(2025, 1, 28),
            D(2025, 1, 31),
            D(2025, 2, 4),
            D(2025, 4, 4),
            D(2025, 5, 1),
            D(2025, 5, 5),
            D(2025, 6, 2),
            D(2025, 10, 1),
            D(2025, 10, 6),
            D(2025, 10, 8),
        ],
        "work": [D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)],
    },
    2026: {
        "off": [
            D(2026, 1, 1),
            D(2026, 1, 2),
            D(2026, 2, 16),
            D(2026, 2, 20),
            D(2026, 2, 23),
            D(2026, 4, 6),
            D(2026, 5, 1),
            D(2026, 5, 5),
            D(2026, 6, 19),
            D(2026, 9, 25),
            D(2026, 10, 1),
            D(2026, 10, 7),
        ],
        "work": [
            D(2026, 1, 4),
            D(2026, 2, 14),
            D(2026, 2, 28),
            D(2026, 5, 9),
            D(2026, 9, 20),
            D(2026, 10, 10),
        ],
    },
}


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_official_holidays_and_make_up_days(year: int) -> None:
    cal = WorkCalendar()
    for day in OFFICIAL[year]["off"]:
        assert not cal.is_workday(day), day
    for day in OFFICIAL[year]["work"]:
        assert day.weekday() >= 5
        assert cal.is_workday(day), day


def test_spring_festival_2025_deadline() -> None:
    # Accepted on Fri 24 Jan 2025 with 5 working days: Sun 26 Jan (make-up), Mon 27 Jan,
    # then the holiday until 4 Feb; Wed 5, Thu 6, Fri 7 Feb.
    assert add_working_days(D(2025, 1, 24), 5) == D(2025, 2, 7)
    assert working_days_between(D(2025, 1, 24), D(2025, 2, 7)) == 5


dates = st.dates(min_value=D(2004, 1, 1), max_value=D(2026, 11, 30))


@given(dates, st.integers(min_value=0, max_value=60))
def test_adding_then_counting_gives_back_n(start: dt.date, n: int) -> None:
    due = add_working_days(start, n)
    assert working_days_between(start, due) == n
    if n > 0:
        assert WorkCalendar().is_workday(due)
        assert working_days_between(start, due - dt.timedelta(days=1)) == n - 1


@given(dates, st.integers(min_value=1, max_value=40))
def test_going_back_is_the_inverse(start: dt.date, n: int) -> None:
    due = add_working_days(start, n)
    assert add_working_days(due, -n) <= start
    assert working_days_between(due, start) == -n


@settings(deadline=None)
@given(dates, dates)
def test_between_is_antisymmetric(a: dt.date, b: dt.date) -> None:
    assert working_days_between(a, b) == -working_days_between(b, a)


@given(st.dates(min_value=D(2027, 1, 1), max_value=D(2030, 12, 31)))
def test_years_beyond_the_package_fall_back_to_weekdays(day: dt.date) -> None:
    assert WorkCalendar().is_workday(day) == (day.weekday() < 5)


def test_table_entries_cover_later_years(db: Session) -> None:
    set_calendar_day(db, SYSTEM, D(2027, 1, 1), False, "元旦")
    set_calendar_day(db, SYSTEM, D(2027, 1, 2), True, "元旦调休")
    cal = load_calendar(db)
    assert not cal.is_workday(D(2027, 1, 1))
    assert cal.is_workday(D(2027, 1, 2))
    assert cal.year_is_known(2027)
    # Thu 31 Dec 2026 + 1 working day skips New Year's Day 2027 and lands on the make-up Saturday.
    assert cal.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 2)


def test_table_entry_needs_a_name(db: Session) -> None:
    with pytest.raises(DomainError, match="名称"):
        set_calendar_day(db, SYSTEM, D(2027, 5, 1), False, "  ")
