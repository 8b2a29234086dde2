"""Every (state, action) pair of both transition tables, on the tables and through the services.

The expected tables are written out here independently of states.py, as the issue states them,
so a row added to or dropped from the code by mistake fails a test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import product
from typing import Any

import pytest
from sqlalchemy.orm import Session

from onething.accounts.models import User
from onething.cases import apply, review, window
from onething.cases.models import Case, ItemTask
from onething.cases.states import (
    CASE_MACHINE,
    TASK_MACHINE,
    CaseAction,
    CaseState,
    Party,
    TaskAction,
    TaskState,
)
from onething.core.audit import Actor
from onething.core.errors import DomainError
from tests.cases import builders as b

C, T = CaseState, TaskState
A, W, R, S = Party.applicant, Party.window, Party.reviewer, Party.system

EXPECTED_CASE: dict[tuple[str, str], tuple[str, Party]] = {
    (C.draft, "submit"): (C.submitted, A),
    (C.draft, "withdraw"): (C.withdrawn, A),
    (C.submitted, "withdraw"): (C.withdrawn, A),
    (C.submitted, "accept"): (C.accepted, W),
    (C.submitted, "refuse"): (C.refused, W),
    (C.submitted, "request_correction"): (C.correction_requested, W),
    (C.correction_requested, "resubmit"): (C.submitted, A),
    (C.correction_requested, "withdraw"): (C.withdrawn, A),
    (C.accepted, "withdraw"): (C.withdrawn, A),
    (C.accepted, "complete"): (C.completed, S),
    (C.completed, "deliver"): (C.delivered, W),
}
EXPECTED_TASK: dict[tuple[str, str], tuple[str, Party]] = {
    (T.waiting, "start"): (T.pending, S),
    (T.waiting, "cancel"): (T.cancelled, S),
    (T.pending, "claim"): (T.claimed, R),
    (T.pending, "cancel"): (T.cancelled, S),
    (T.claimed, "pause"): (T.paused, R),
    (T.claimed, "approve"): (T.approved, R),
    (T.claimed, "deny"): (T.denied, R),
    (T.claimed, "cancel"): (T.cancelled, S),
    (T.paused, "resume"): (T.claimed, R),
    (T.paused, "cancel"): (T.cancelled, S),
}


# ---------------------------------------------------------------- the tables


@pytest.mark.parametrize(("state", "action"), list(product(CaseState, CaseAction)))
def test_case_table_pair(state: CaseState, action: CaseAction) -> None:
    expected = EXPECTED_CASE.get((state, action))
    if expected is None:
        with pytest.raises(DomainError) as err:
            CASE_MACHINE.check(state, action)
        assert (err.value.code, err.value.status) == ("invalid_transition", 409)
        assert CASE_MACHINE.state_labels[state] in err.value.message
    else:
        row = CASE_MACHINE.check(state, action)
        assert (row.target, row.party) == expected


@pytest.mark.parametrize(("state", "action"), list(product(TaskState, TaskAction)))
def test_task_table_pair(state: TaskState, action: TaskAction) -> None:
    expected = EXPECTED_TASK.get((state, action))
    if expected is None:
        with pytest.raises(DomainError) as err:
            TASK_MACHINE.check(state, action)
        assert (err.value.code, err.value.status) == ("invalid_transition", 409)
    else:
        row = TASK_MACHINE.check(state, action)
        assert (row.target, row.party) == expected


def test_tables_have_no_row_outside_the_expected_ones() -> None:
    assert set(CASE_MACHINE.table) == set(EXPECTED_CASE)
    assert set(TASK_MACHINE.table) == set(EXPECTED_TASK)
    terminal_cases = {s for s in CaseState if CASE_MACHINE.terminal(s)}
    assert terminal_cases == {C.refused, C.withdrawn, C.delivered}
    terminal_tasks = {s for s in TaskState if TASK_MACHINE.terminal(s)}
    assert terminal_tasks == {T.approved, T.denied, T.cancelled}
    assert sorted(CASE_MACHINE.allowed(C.submitted, Party.window)) == [
        "accept",
        "refuse",
        "request_correction",
    ]


# ---------------------------------------------------------------- the case services


def attempt(call: Callable[..., object], *args: Any) -> DomainError | None:
    """The DomainError the call raised, or None when it went through."""
    try:
        call(*args)
    except DomainError as exc:
        return exc
    return None


CaseCall = Callable[[Session, Case], object]


def _applicant(db: Session) -> tuple[User, Actor]:
    u = b.user(db, b.ENTERPRISE)
    return u, b.actor(u)


def _clerk(db: Session) -> tuple[User, Actor]:
    u = b.user(db, "window")
    return u, b.actor(u)


CORRECTION = [{"kind": "field", "key": "operating_area", "message": "面积与平面图不一致"}]
CASE_CALLS: dict[str, CaseCall] = {
    "submit": lambda db, c: apply.submit(db, c, *_applicant(db)),
    "withdraw": lambda db, c: apply.withdraw(db, c, *_applicant(db), "不办了"),
    "accept": lambda db, c: window.accept(db, c, *_clerk(db)),
    "refuse": lambda db, c: window.refuse(db, c, *_clerk(db), "不属于本机关职权范围"),
    "request_correction": lambda db, c: window.request_correction(db, c, *_clerk(db), CORRECTION),
    "deliver": lambda db, c: window.deliver(db, c, *_clerk(db)),
}


def _case_in(db: Session, state: CaseState) -> Case:
    clerk = b.user(db, "window")
    if state == C.draft:
        return b.food_draft(db)
    if state == C.accepted:
        return b.accepted_food_case(db)
    if state in (C.completed, C.delivered):
        case = b.completed_food_case(db)
        if state == C.delivered:
            window.deliver(db, case, clerk, b.actor(clerk))
        return case
    case = b.submitted_food_case(db)
    if state == C.correction_requested:
        b.correction(db, case, [{"kind": "other", "message": "请补充说明"}])
    elif state == C.refused:
        window.refuse(db, case, clerk, b.actor(clerk), "不属于本机关职权范围")
    elif state == C.withdrawn:
        apply.withdraw(db, case, case.applicant, b.actor(case.applicant), "不办了")
    return case


def _snapshot(case: Case) -> tuple[object, ...]:
    return (case.state, case.version, tuple((t.state, t.version) for t in case.tasks))


@pytest.mark.parametrize("state", list(CaseState))
def test_case_services_follow_the_table(db: Session, state: CaseState) -> None:
    """Each case service, by the party the table names, in a case of every state."""
    case = _case_in(db, state)
    assert case.state == state
    for name, call in CASE_CALLS.items():
        action = "resubmit" if name == "submit" and state == C.correction_requested else name
        expected = EXPECTED_CASE.get((state, action))
        before = _snapshot(case)
        savepoint = db.begin_nested()
        try:
            error = attempt(call, db, case)
            if name == "submit" and state == C.submitted:
                # A retried submission returns the case unchanged instead of failing.
                assert error is None, (error.code, error.message)
                assert _snapshot(case) == before
            elif error is not None:
                assert expected is None, (state, name, error.code, error.message)
                assert (error.code, error.status) == ("invalid_transition", 409), (state, name)
                assert _snapshot(case) == before, (state, name)
                assert not db.new, (state, name)
                assert not db.dirty, (state, name)
            else:
                assert expected is not None, (state, name)
                assert case.state == expected[0], (state, name)
                assert case.version > before[1]  # type: ignore[operator]
        finally:
            savepoint.rollback()
        assert case.state == state


# ---------------------------------------------------------------- the task services

TaskCall = Callable[[Session, ItemTask], object]


def _reviewer_call(fn: Callable[..., object], *args: object) -> TaskCall:
    def call(db: Session, t: ItemTask) -> object:
        r = b.reviewer(db, t)
        return fn(db, t, r, b.actor(r), *args)

    return call


TODAY = dt.date.today()
TASK_CALLS: dict[str, TaskCall] = {
    "claim": _reviewer_call(review.claim),
    "pause": _reviewer_call(
        review.pause, "site_inspection", "现场踏勘", TODAY + dt.timedelta(days=7)
    ),
    "resume": _reviewer_call(review.resume),
    "approve": _reviewer_call(review.approve, "符合条件，准予许可"),
    "deny": _reviewer_call(review.deny, "不符合条件，不予许可"),
}


def _task_in(db: Session, state: TaskState) -> ItemTask:
    case = b.accepted_food_case(db)
    reg = b.task(case, b.REG_CODE)
    if state == T.waiting:
        return b.task(case, b.FOOD_LICENCE_CODE)
    if state == T.pending:
        return reg
    if state == T.denied:
        return b.deny(db, b.task(case, b.HEALTH_CODE))
    if state == T.cancelled:
        b.deny(db, reg)
        return b.task(case, b.FOOD_LICENCE_CODE)
    if state == T.approved:
        b.approve(db, reg)
        return reg
    b.claim(db, reg)
    if state == T.paused:
        TASK_CALLS["pause"](db, reg)
    return reg


@pytest.mark.parametrize("state", list(TaskState))
def test_task_services_follow_the_table(db: Session, state: TaskState) -> None:
    """Each reviewer service, by the task's own department, on a task of every state."""
    t = _task_in(db, state)
    assert t.state == state
    for name, call in TASK_CALLS.items():
        expected = EXPECTED_TASK.get((state, name))
        before = (t.state, t.version, t.case.state, t.case.version)
        savepoint = db.begin_nested()
        try:
            error = attempt(call, db, t)
            if error is not None:
                assert expected is None, (state, name, error.code, error.message)
                assert (error.code, error.status) == ("invalid_transition", 409), (state, name)
                assert (t.state, t.version, t.case.state, t.case.version) == before
                assert not db.new, (state, name)
                assert not db.dirty, (state, name)
            else:
                assert expected is not None, (state, name)
                assert t.state == expected[0], (state, name)
                assert t.version > before[1]
        finally:
            savepoint.rollback()
        assert t.state == state
