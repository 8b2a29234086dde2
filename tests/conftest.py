"""One migrated, demo-seeded database per backend and test run; each test in a transaction
that is rolled back at the end. Every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

_VAR = tempfile.mkdtemp(prefix="onething-test-")
os.environ["ONETHING_VAR_DIR"] = _VAR
os.environ.setdefault("ONETHING_SECRET_KEY", "test-secret")

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Connection, Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from onething.app import create_app  # noqa: E402
from onething.core import migrate  # noqa: E402
from onething.db import make_engine  # noqa: E402
from onething.demo import DEMO_PASSWORD, seed_demo  # noqa: E402
from tests.databases import pg_schema  # noqa: E402


def _sqlite_engine() -> Engine:
    return make_engine(f"sqlite:///{Path(_VAR) / 'test.db'}")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    with ExitStack() as stack:
        if request.param == "sqlite":
            eng = _sqlite_engine()
            stack.callback(eng.dispose)
        else:
            eng = stack.enter_context(pg_schema("test"))
        with eng.begin() as conn:
            migrate.upgrade(connection=conn)
        with Session(eng) as session:
            seed_demo(session)
            session.commit()
        yield eng


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
