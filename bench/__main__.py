"""`make bench`: speed of the catalog's hot paths on this machine (never asserted in tests)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.cases import cases_per_second
from bench.hotline import main as hotline_bench
from bench.policies import main as policies_bench
from bench.search import main as search_bench
from onething.catalog import service
from onething.core import migrate
from onething.core.workdays import WorkCalendar
from onething.db import make_engine
from onething.demo import seed_demo

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _rate(label: str, n: int, seconds: float) -> None:
    print(f"{label:<48} {n / seconds:>12,.0f} /s   ({seconds * 1e6 / n:,.1f} µs each)")


def main() -> None:
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}, "
        f"python {platform.python_version()}"
    )
    print(f"date: {dt.date.today().isoformat()}")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        with engine.begin() as conn:
            migrate.upgrade(connection=conn)
        with Session(engine) as session:
            start = time.perf_counter()
            seed_demo(session)
            session.commit()
            print(
                f"{'import shipped catalog + demo accounts':<48} "
                f"{time.perf_counter() - start:>10.2f} s"
            )
            bundles = service.list_bundles(session)
            prepared = [(service.bundle_schema(b), service.bundle_items(b)) for b in bundles]
            from onething.catalog.resolve import bundle_metrics, resolve_bundle, widest_scenario

            n = 0
            start = time.perf_counter()
            while time.perf_counter() - start < 1.0:
                for doc, items in prepared:
                    resolve_bundle(doc, items, widest_scenario(doc))
                    n += 1
            _rate("resolve a bundle (situations → form, materials)", n, time.perf_counter() - start)
            n = 0
            start = time.perf_counter()
            while time.perf_counter() - start < 1.0:
                for doc, items in prepared:
                    bundle_metrics(doc, items)
                    n += 1
            _rate("bundle figures (one by one vs bundle)", n, time.perf_counter() - start)
        n, seconds = cases_per_second(engine)
        _rate("food_business case end to end, SQLite", n, seconds)
        engine.dispose()
    _postgres_cases()
    cal = WorkCalendar()
    day = dt.date(2024, 1, 1)
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < 1.0:
        cal.add_working_days(day + dt.timedelta(days=n % 900), 20)
        n += 1
    _rate("add_working_days(date, 20)", n, time.perf_counter() - start)
    hotline_bench()
    policies_bench()
    search_bench()


def _postgres_cases() -> None:
    """The same case journey on PostgreSQL, when the server of docs/OPERATIONS.md is up."""
    url = os.environ.get("ONETHING_BENCH_DATABASE_URL", PG_URL)
    admin = make_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS onething_bench CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA onething_bench"))
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL cases skipped: {exc.orig}")
        return
    engine = sa.create_engine(url, connect_args={"options": "-csearch_path=onething_bench"})
    try:
        with engine.begin() as conn:
            migrate.upgrade(connection=conn)
        with Session(engine) as session:
            seed_demo(session)
            session.commit()
        n, seconds = cases_per_second(engine)
        _rate("food_business case end to end, PostgreSQL", n, seconds)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS onething_bench CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
