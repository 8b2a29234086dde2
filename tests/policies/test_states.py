"""Every (state, action) pair of the grant and push machines: allowed exactly when the table
has the row, refused with a Chinese message naming the state otherwise."""

from __future__ import annotations

import pytest

from onething.core.errors import DomainError
from onething.core.machine import Machine
from onething.policies.states import (
    GRANT_MACHINE,
    PUSH_MACHINE,
    GrantState,
    PushState,
)

CASES = [
    (GRANT_MACHINE, list(GrantState), ["fulfil", "revoke"]),
    (PUSH_MACHINE, list(PushState), ["apply", "dismiss", "withdraw", "approve", "reject"]),
]


@pytest.mark.parametrize(("machine", "states", "actions"), CASES)
def test_every_pair(machine: Machine, states: list[str], actions: list[str]) -> None:
    for state in states:
        for action in actions:
            row = machine.table.get((state, action))
            if row is None:
                with pytest.raises(DomainError) as exc:
                    machine.check(state, action)
                assert exc.value.status == 409
                assert machine.state_labels[state] in exc.value.message
            else:
                assert machine.check(state, action).target in states


def test_terminal_states_and_paths() -> None:
    assert [s for s in GrantState if GRANT_MACHINE.terminal(s)] == [GrantState.revoked]
    assert {s for s in PushState if PUSH_MACHINE.terminal(s)} == {
        PushState.approved,
        PushState.rejected,
        PushState.dismissed,
        PushState.withdrawn,
    }
    # Fulfilled benefits can still be revoked when the eligibility proves wrong.
    assert GRANT_MACHINE.check(GrantState.fulfilled, "revoke").target == GrantState.revoked
    assert PUSH_MACHINE.allowed(PushState.pushed, "applicant") == ["apply", "dismiss"]
