"""Real concurrent transactions on both backends: idempotent creation, one decision per task,
distinct case numbers, and a failed request that leaves nothing behind.

The per-test rolled-back connection cannot run two transactions at once, so this module has
its own database: a temporary SQLite file, or a dedicated PostgreSQL schema.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from onething.cases import apply, review
from onething.cases.models import Case, CaseCounter, ItemResult, ItemTask
from onething.core import migrate
from onething.core.audit import AuditEvent, verify_chain
from onething.core.errors import DomainError
from onething.core.notify import Notification
from onething.db import make_engine
from onething.demo import seed_demo
from tests.cases import builders as b
from tests.databases import pg_schema

THREADS = 8
T = TypeVar("T")


@contextmanager
def _sqlite() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="onething-conc-") as tmp:
        eng = make_engine(f"sqlite:///{Path(tmp) / 'conc.db'}")
        try:
            yield eng
        finally:
            eng.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def conc_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    made = _sqlite() if request.param == "sqlite" else pg_schema("conc", pool_size=THREADS + 2)
    with made as eng:
        with eng.begin() as conn:
            migrate.upgrade(connection=conn)
        with Session(eng) as session:
            seed_demo(session)
            session.commit()
        yield eng


def _race(workers: list[Callable[[], T]]) -> list[T | DomainError]:
    """Run each worker in its own thread, released together; DomainErrors are results,
    anything else fails the test."""
    barrier = threading.Barrier(len(workers), timeout=30)
    results: dict[int, T | DomainError] = {}
    crashes: list[BaseException] = []

    def run(i: int, work: Callable[[], T]) -> None:
        try:
            barrier.wait()
            results[i] = work()
        except DomainError as exc:
            results[i] = exc
        except BaseException as exc:
            crashes.append(exc)

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
        assert not t.is_alive(), "a worker hung"
    if crashes:
        raise crashes[0]
    return [results[i] for i in sorted(results)]


def _unit_of_work(engine: Engine, work: Callable[[Session], T]) -> T:
    """What one request does: commit on success, roll back on a DomainError."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            result = work(session)
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise


def _food_draft_input(session: Session) -> apply.Draft:
    """Answers, form and already uploaded files for a complete 开办餐饮店 application."""
    ent = b.user(session, b.ENTERPRISE)
    probe, _ = apply.create_draft(
        session, ent, b.actor(ent), bundle_code="food_business", draft=apply.Draft(b.FOOD_ANSWERS)
    )
    files: dict[str, list[str]] = {}
    for key in b.required_materials(probe):
        b.upload(session, probe, ent, key, b.pdf_bytes(key))
    for m in probe.materials:
        files.setdefault(m.material_key, []).append(m.file_id)
    return apply.Draft(answers=b.FOOD_ANSWERS, form={**probe.form, **b.FOOD_FORM}, materials=files)


def test_same_idempotency_key_makes_one_case(conc_engine: Engine) -> None:
    draft = _unit_of_work(conc_engine, _food_draft_input)
    key = "retry-8a1f"

    def create_and_submit(session: Session) -> tuple[str | None, int]:
        ent = b.user(session, b.ENTERPRISE)
        case, _ = apply.create_draft(
            session,
            ent,
            b.actor(ent),
            bundle_code="food_business",
            draft=draft,
            idempotency_key=key,
        )
        apply.submit(session, case, ent, b.actor(ent))
        return case.number, case.id

    results = _race([lambda: _unit_of_work(conc_engine, create_and_submit) for _ in range(THREADS)])
    ok = [r for r in results if not isinstance(r, DomainError)]
    failed = [r for r in results if isinstance(r, DomainError)]
    assert ok, failed
    assert all((e.code, e.status) == ("conflict", 409) for e in failed), failed
    assert len(set(ok)) == 1, ok
    with Session(conc_engine) as session:
        rows = session.scalars(select(Case).where(Case.idempotency_key == key)).all()
        assert len(rows) == 1
        assert rows[0].state == "submitted"
        assert (rows[0].number, rows[0].id) == ok[0]
        assert rows[0].round == 1
        assert verify_chain(session).broken_at is None


DECISION_TAG = {"approved": "cases:item_task:approve", "denied": "cases:item_task:deny"}
OPINION = {"approved": "符合条件，准予登记", "denied": "名称重复，不予登记"}


def decisions_of(session: Session, task_id: int) -> list[str]:
    """The decision events the task's audit trail holds: the loser must have written none."""
    stmt = select(AuditEvent.tag).where(
        AuditEvent.subject_type == "item_task",
        AuditEvent.subject_id == str(task_id),
        AuditEvent.tag.in_(list(DECISION_TAG.values())),
    )
    return list(session.scalars(stmt))


def test_two_decisions_on_one_task_exactly_one_wins(conc_engine: Engine) -> None:
    def setup(session: Session) -> tuple[int, int]:
        case = b.accepted_food_case(session)
        reg = b.task(case, b.REG_CODE)
        b.claim(session, reg)
        return case.id, reg.id

    case_id, task_id = _unit_of_work(conc_engine, setup)
    barrier = threading.Barrier(2, timeout=30)

    def decide(login: str, approve: bool) -> Callable[[], str]:
        def work() -> str:
            with Session(conc_engine, expire_on_commit=False) as session:
                try:
                    u = b.user(session, login)
                    t = session.get(ItemTask, task_id)
                    assert t is not None
                    assert t.state == "claimed"
                    assert len(t.case.tasks) == 5
                    barrier.wait()
                    if approve:
                        review.approve(session, t, u, b.actor(u), OPINION["approved"])
                    else:
                        review.deny(session, t, u, b.actor(u), OPINION["denied"])
                    session.commit()
                    return "approved" if approve else "denied"
                except BaseException:
                    session.rollback()
                    raise

        return work

    results = _race([decide("scjg", True), decide("scjg_chief", False)])
    won = [r for r in results if isinstance(r, str)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == 1, results
    assert len(lost) == 1, results
    assert (lost[0].code, lost[0].status) == ("conflict", 409)
    assert "刷新" in lost[0].message

    with Session(conc_engine) as session:
        t = session.get(ItemTask, task_id)
        assert t is not None
        assert t.state == won[0]
        assert decisions_of(session, task_id) == [DECISION_TAG[won[0]]]
        assert t.opinion == OPINION[won[0]]
        others = {x.item.code: x.state for x in t.case.tasks if x.id != task_id}
        results_made = session.scalar(
            select(sa.func.count()).select_from(ItemResult).where(ItemResult.case_id == case_id)
        )
        if won[0] == "approved":
            assert results_made == 1
            assert others[b.FOOD_LICENCE_CODE] == "pending"
        else:
            assert results_made == 0
            assert others[b.FOOD_LICENCE_CODE] == "cancelled"
        number = t.case.number or ""
        denials = session.scalars(
            select(Notification).where(
                Notification.tag == "cases.task_deny", Notification.body.contains(number)
            )
        ).all()
        assert bool(denials) == (won[0] == "denied")
        assert verify_chain(session).broken_at is None


def test_concurrent_submissions_get_distinct_numbers(conc_engine: Engine) -> None:
    def setup(session: Session) -> list[int]:
        return [b.food_draft(session).id for _ in range(THREADS)]

    ids = _unit_of_work(conc_engine, setup)
    day = dt.datetime(2025, 6, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))

    def submit(case_id: int) -> Callable[[], str]:
        def work(session: Session) -> str:
            case = session.get(Case, case_id)
            assert case is not None
            apply.submit(session, case, case.applicant, b.actor(case.applicant), now=day)
            assert case.number is not None
            return case.number

        return lambda: _unit_of_work(conc_engine, work)

    numbers = _race([submit(i) for i in ids])
    assert all(isinstance(n, str) for n in numbers), numbers
    assert sorted(n for n in numbers if isinstance(n, str)) == [
        f"41010320250603{i:06d}" for i in range(1, THREADS + 1)
    ]
    with Session(conc_engine) as session:
        counter = session.get(CaseCounter, ("410103", "20250603"))
        assert counter is not None
        assert counter.last == THREADS


def test_a_failed_request_leaves_no_half_made_draft(conc_engine: Engine) -> None:
    """A first attempt with bad answers is rolled back whole, so a retry with the same key
    makes the case instead of finding an empty draft."""
    key = "first-try-4c2d"

    def create(answers: dict[str, Any]) -> Callable[[Session], tuple[int, bool]]:
        def work(session: Session) -> tuple[int, bool]:
            ent = b.user(session, b.ENTERPRISE)
            case, created = apply.create_draft(
                session,
                ent,
                b.actor(ent),
                bundle_code="food_business",
                draft=apply.Draft(answers=answers),
                idempotency_key=key,
            )
            return case.id, created

        return work

    with pytest.raises(DomainError) as err:
        _unit_of_work(conc_engine, create({**b.FOOD_ANSWERS, "applicant": "robot"}))
    assert err.value.code == "invalid_answers"
    with Session(conc_engine) as session:
        assert session.scalars(select(Case).where(Case.idempotency_key == key)).all() == []

    case_id, created = _unit_of_work(conc_engine, create(b.FOOD_ANSWERS))
    assert created
    with Session(conc_engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.answers["applicant"] == ["legal_rep"]
