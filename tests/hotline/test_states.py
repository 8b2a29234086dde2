"""Every transition of the ticket table, through the service, audited; nothing else allowed."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.core.audit import AuditEvent
from onething.core.errors import DomainError
from onething.hotline.states import TICKET_MACHINE, TicketAction, TicketState
from tests.hotline.builders import PATHS, do, ticket_in

ROWS = sorted(TICKET_MACHINE.table)


def test_every_state_is_reachable_and_every_action_used() -> None:
    assert set(PATHS) == {s.value for s in TicketState}
    assert {a for _, a in ROWS} == {a.value for a in TicketAction}
    assert {s for s, _ in ROWS} | {t.target for t in TICKET_MACHINE.table.values()} == set(PATHS)
    assert {s for s in PATHS if TICKET_MACHINE.terminal(s)} == {
        "closed_solved",
        "merged",
        "transferred",
    }


@pytest.mark.parametrize(("state", "action"), ROWS)
def test_transition(db: Session, state: str, action: str) -> None:
    t = ticket_in(db, state)
    do(db, t, action)
    assert t.state == TICKET_MACHINE.table[(state, action)].target
    ev = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "hotline_ticket", AuditEvent.subject_id == str(t.id))
        .order_by(AuditEvent.id.desc())
    ).first()
    assert ev is not None
    assert ev.tag == f"hotline:ticket:{action}"
    assert ev.before == {"state": state}
    assert ev.after == {"state": t.state}


@pytest.mark.parametrize("state", sorted(PATHS))
def test_actions_outside_the_table_are_refused(db: Session, state: str) -> None:
    t = ticket_in(db, state)
    for action in sorted(a.value for a in TicketAction):
        if (state, action) in TICKET_MACHINE.table:
            continue
        with pytest.raises(DomainError) as err:
            TICKET_MACHINE.check(t.state, action)
        assert err.value.code == "invalid_transition"
        assert err.value.status == 409
    # and through the service as well, for one action that is never allowed here
    if (state, "claim") not in TICKET_MACHINE.table and t.department is not None:
        with pytest.raises(DomainError) as err:
            do(db, t, "claim")
        assert err.value.code == "invalid_transition"
