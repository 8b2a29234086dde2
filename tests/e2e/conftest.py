"""A real server on a free local port, with its own seeded SQLite database, and chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session

from onething.app import create_app
from onething.core import migrate
from onething.db import make_engine, session_factory
from onething.demo import seed_demo

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db_file = tmp_path_factory.mktemp("e2e") / "e2e.db"
    engine = make_engine(f"sqlite:///{db_file}")
    with engine.begin() as conn:
        migrate.upgrade(connection=conn)
    with Session(engine) as session:
        seed_demo(session)
        session.commit()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(session_factory(engine)), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(
            "browser tests skipped: Debian's chromium is not installed "
            "(make test installs it with apt-get when run as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-gpu",
                "--disable-component-update",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    p = context.new_page()
    yield p
    context.close()


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def login(page: Any, base: str, login: str) -> None:
    """Log in through the login page as a person would, with the demo password."""
    from playwright.sync_api import expect

    page.context.clear_cookies()
    page.goto(base + "/login")
    page.get_by_label("公民身份号码 / 统一社会信用代码 / 工作人员账号").fill(login)
    page.get_by_label("密码").fill("onething2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
