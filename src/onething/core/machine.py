"""State machines as explicit transition tables; each domain's services consult nothing else.

Each row says which party may take an action in a state and where it leads; a test walks every
(state, action) pair of each table.
"""

from __future__ import annotations

from dataclasses import dataclass

from onething.core.errors import DomainError


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    party: str
    """Who may take it: a StrEnum of the owning domain."""


class Machine:
    """A transition table: (state, action) → (next state, the party allowed to act)."""

    def __init__(
        self,
        what: str,
        rows: list[Transition],
        state_labels: dict[str, str],
        action_labels: dict[str, str],
    ) -> None:
        self.what = what
        self.table = {(t.source, t.action): t for t in rows}
        self.state_labels = state_labels
        self.action_labels = action_labels

    def check(self, state: str, action: str) -> Transition:
        row = self.table.get((state, action))
        if row is None:
            raise DomainError(
                "invalid_transition",
                f"{self.what}当前状态为“{self.state_labels[state]}”，"
                f"不能{self.action_labels[action]}",
                409,
            )
        return row

    def allowed(self, state: str, party: str | None = None) -> list[str]:
        return [
            t.action
            for (s, _), t in self.table.items()
            if s == state and (party is None or t.party == party)
        ]

    def terminal(self, state: str) -> bool:
        return not any(s == state for s, _ in self.table)
