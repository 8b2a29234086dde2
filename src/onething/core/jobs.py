"""Periodic background work for the embedded deployment: one daemon thread per job.

At scale the same job functions run under Celery beat (docs/OPERATIONS.md); each opens its own
transaction and never shares a request's session.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("onething.jobs")


def every(minutes: float, job: Callable[[], object], name: str) -> threading.Event:
    """Run `job` now and then every `minutes` until the returned event is set."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                log.info("job %s: %s", name, job())
            except Exception:
                log.exception("job %s failed", name)
            stop.wait(minutes * 60)

    threading.Thread(target=loop, name=f"job-{name}", daemon=True).start()
    return stop
