"""Background jobs of the cases domain, each in its own transaction (job name `cases.tick`)."""

from __future__ import annotations

from onething.cases.deadlines import TickReport, tick
from onething.db import transaction


def run_tick() -> TickReport:
    with transaction() as session:
        return tick(session)
