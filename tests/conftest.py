"""One migrated, demo-seeded database per backend and test run; each test in a transaction
that is rolled back at the end. Every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

_VAR = tempfile.mkdtemp(prefix="onething-test-")
os.environ["ONETHING_VAR_DIR"] = _VAR
os.environ.setdefault("ONETHING_SECRET_KEY", "test-secret")

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Connection, Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from onething.app import create_app  # noqa: E402
from onething.core import migrate  # noqa: E402
from onething.db import make_engine  # noqa: E402
from onething.demo import DEMO_PASSWORD, seed_demo  # noqa: E402

PG_URL = os.environ.get("ONETHING_TEST_DATABASE_URL", "")
REQUIRE_PG = os.environ.get("ONETHING_TEST_REQUIRE_POSTGRES") == "1"


def _pg_schema() -> str:
    """One schema per test process, so two runs on one server never drop each other's tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"onething_test_{worker}_{os.getpid()}"


def _pg_engine() -> Engine:
    if not PG_URL:
        pytest.skip(
            "PostgreSQL half skipped: ONETHING_TEST_DATABASE_URL is not set "
            "(.ci/run sets it to the server on 127.0.0.1:5432)"
        )
    schema = _pg_schema()
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as exc:
        if REQUIRE_PG:
            raise
        pytest.skip(f"PostgreSQL half skipped: cannot connect to {PG_URL}: {exc.orig}")
    finally:
        admin.dispose()
    return sa.create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})


def _sqlite_engine() -> Engine:
    return make_engine(f"sqlite:///{Path(_VAR) / 'test.db'}")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    eng = _sqlite_engine() if request.param == "sqlite" else _pg_engine()
    with eng.begin() as conn:
        migrate.upgrade(connection=conn)
    with Session(eng) as session:
        seed_demo(session)
        session.commit()
    yield eng
    eng.dispose()
    if request.param == "postgresql":
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {_pg_schema()} CASCADE"))
        admin.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    try:
        yield conn
    finally:
        trans.rollback()
        conn.close()


@pytest.fixture
def session_maker(connection: Connection) -> Callable[[], Session]:
    def factory() -> Session:
        return Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    return factory


@pytest.fixture
def db(session_maker: Callable[[], Session]) -> Iterator[Session]:
    session = session_maker()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def client(session_maker: Callable[[], Session]) -> Iterator[TestClient]:
    with TestClient(create_app(session_maker)) as c:
        yield c


@pytest.fixture
def login_token(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Headers carrying a bearer token for a demo account."""

    def headers(login: str) -> dict[str, str]:
        r = client.post("/api/v1/auth/token", json={"login": login, "password": DEMO_PASSWORD})
        assert r.status_code == 201, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    return headers


def csrf_of(client: TestClient) -> str:
    """Load a page so the CSRF cookie is set, and return it for a form post."""
    client.get("/login")
    token = client.cookies.get("ot_csrf")
    assert token
    return token


def page_login(client: TestClient, login: str) -> None:
    token = csrf_of(client)
    r = client.post(
        "/login",
        data={"login": login, "password": DEMO_PASSWORD, "next": "/", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
