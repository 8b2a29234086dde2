"""Throw-away PostgreSQL schemas for tests: one per purpose and test process, dropped after."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from onething.db import make_engine

PG_URL = os.environ.get("ONETHING_TEST_DATABASE_URL", "")
REQUIRE_PG = os.environ.get("ONETHING_TEST_REQUIRE_POSTGRES") == "1"


def schema_name(purpose: str) -> str:
    """Worker and process id keep concurrent runs on one server out of each other's way."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"onething_{purpose}_{worker}_{os.getpid()}"


@contextmanager
def pg_schema(purpose: str, pool_size: int = 5) -> Iterator[Engine]:
    """An engine on a fresh schema; skips with the reason when no server is configured."""
    if not PG_URL:
        pytest.skip(
            "PostgreSQL half skipped: ONETHING_TEST_DATABASE_URL is not set "
            "(.ci/run sets it to the server on 127.0.0.1:5432)"
        )
    schema = schema_name(purpose)
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if REQUIRE_PG:
            raise
        pytest.skip(f"PostgreSQL half skipped: cannot connect to {PG_URL}: {exc.orig}")
    engine = sa.create_engine(
        PG_URL, pool_size=pool_size, connect_args={"options": f"-csearch_path={schema}"}
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
