"""Background jobs of the policies domain, each in its own transaction (job name
`policies.run`): the daily run catches what the calendar changes (a birthday, a new period)."""

from __future__ import annotations

from onething.core.audit import SYSTEM
from onething.db import transaction
from onething.policies.matching import RunReport, run_all


def run_policies() -> RunReport:
    with transaction() as session:
        return run_all(session, SYSTEM)
