"""Random walks over one ticket: any action of the table at any time, by the party the
table names. Allowed ones lead where the table says, the others change nothing, and the
audit trail replays to the current state with its hash chain intact."""

from __future__ import annotations

from typing import ClassVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select
from sqlalchemy.orm import Session, SessionTransaction

from onething.core.audit import AuditEvent, seal_now, verify_chain
from onething.core.errors import DomainError
from onething.hotline.models import Ticket
from onething.hotline.states import TICKET_MACHINE, TicketAction
from tests.hotline.builders import do, new_ticket

ACTIONS = sorted(a.value for a in TicketAction)
RIGHTFUL_REFUSALS = {"invalid_transition", "same_department", "no_department"}


class TicketWalk(RuleBasedStateMachine):
    db: ClassVar[Session]

    def __init__(self) -> None:
        super().__init__()
        self.example: SessionTransaction = self.db.begin_nested()
        self.ticket: Ticket = new_ticket(self.db)

    @rule(action=st.sampled_from(ACTIONS))
    def act(self, action: str) -> None:
        t = self.ticket
        before = t.state
        row = TICKET_MACHINE.table.get((before, action))
        savepoint = self.db.begin_nested()
        error: DomainError | None = None
        try:
            do(self.db, t, action)
        except DomainError as exc:
            error = exc
        if error is not None:
            savepoint.rollback()
            self.db.expire_all()
            assert error.code in RIGHTFUL_REFUSALS, (before, action, error.code, error.message)
            if error.code == "invalid_transition":
                assert row is None
            assert t.state == before
            return
        savepoint.commit()
        assert row is not None, (before, action)
        assert t.state == row.target

    @invariant()
    def the_trail_replays(self) -> None:
        events = self.db.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.subject_type == "hotline_ticket",
                AuditEvent.subject_id == str(self.ticket.id),
            )
            .order_by(AuditEvent.id)
        )
        state = None
        for ev in events:
            if ev.after and "state" in ev.after:
                assert ev.before is None or ev.before.get("state") == state
                state = ev.after["state"]
        assert state == self.ticket.state

    def teardown(self) -> None:
        try:
            seal_now(self.db)
            assert verify_chain(self.db).broken_at is None
        finally:
            self.example.rollback()
            self.db.expire_all()


def test_random_walks(db: Session) -> None:
    TicketWalk.db = db
    run_state_machine_as_test(
        TicketWalk,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
