"""E-mail and SMS channels against real servers on 127.0.0.1, started by the tests.

Messages go out only after a commit, in a worker thread; a rollback sends nothing, and a
broken gateway never loses the in-app message.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from onething.accounts.models import User, UserKind
from onething.config import Settings, get_settings
from onething.core import migrate
from onething.core.notify import (
    Message,
    Notification,
    Recipient,
    SmsGatewayChannel,
    SmtpChannel,
    notify,
    wait_for_deliveries,
)
from onething.db import make_engine
from tests.cases import builders as b


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.messages.append(mail)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@dataclass
class Gateway:
    """What the fake SMS gateway received, and the status it answers with."""

    status: int = 200
    posts: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The cached settings, with every channel off; monkeypatch restores what a test sets."""
    s = get_settings()
    for name, value in (("smtp_host", ""), ("sms_gateway_url", ""), ("smtp_from", "")):
        monkeypatch.setattr(s, name, value)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    return s


@pytest.fixture
def mailbox(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", port)
    monkeypatch.setattr(settings, "smtp_from", "noreply@onething.test")
    try:
        yield box
    finally:
        wait_for_deliveries()
        controller.stop()


@pytest.fixture
def gateway(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.posts.append((dict(self.headers.items()), json.loads(body)))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(settings, "sms_gateway_url", f"http://127.0.0.1:{server.server_port}/sms")
    monkeypatch.setattr(settings, "sms_gateway_token", "gw-secret")
    try:
        yield state
    finally:
        wait_for_deliveries()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def own_engine() -> Iterator[Engine]:
    """A small database of its own, so that a commit is a real commit."""
    with tempfile.TemporaryDirectory(prefix="onething-notify-") as tmp:
        eng = make_engine(f"sqlite:///{Path(tmp) / 'notify.db'}")
        with eng.begin() as conn:
            migrate.upgrade(connection=conn)
        try:
            yield eng
        finally:
            eng.dispose()


def _member(engine: Engine, login: str) -> Recipient:
    with Session(engine) as session:
        u = User(
            kind=UserKind.person,
            login=login,
            name="钱多多",
            phone="13812345678",
            email=f"{login}@example.org",
            password_hash="-",
        )
        session.add(u)
        session.commit()
        return Recipient(u.id, u.email, u.phone)


def _in_app(engine: Engine, user_id: int) -> list[str]:
    with Session(engine) as session:
        stmt = sa.select(Notification.title).where(Notification.user_id == user_id)
        return list(session.scalars(stmt.order_by(Notification.id)))


# ---------------------------------------------------------------- e-mail


def test_smtp_channel_sends_one_mail(mailbox: Mailbox, settings: Settings) -> None:
    channel = SmtpChannel(settings)
    message = Message(
        Recipient(1, email="zhang@example.org"), "申请已受理", "您的办件已受理。", "/my/cases/7"
    )
    assert channel.send(message) is True
    assert channel.send(Message(Recipient(2), "无邮箱", "不会发送", None)) is False

    (mail,) = mailbox.messages
    assert mailbox.recipients == [["zhang@example.org"]]
    assert mail["Subject"] == "申请已受理"
    assert mail["From"] == "noreply@onething.test"
    body = mail.get_content()
    assert "您的办件已受理。" in body
    assert "/my/cases/7" in body


def test_a_committed_notification_is_mailed_after_the_commit(
    mailbox: Mailbox, own_engine: Engine
) -> None:
    r = _member(own_engine, "mail-commit")
    with Session(own_engine) as session:
        assert notify(session, [r, r], "cases.accept", "申请已受理", "承诺 5 个工作日内办结") == 1
        assert mailbox.messages == [], "nothing goes out before the commit"
        session.commit()
    wait_for_deliveries()
    assert [m["Subject"] for m in mailbox.messages] == ["申请已受理"]
    assert mailbox.recipients == [["mail-commit@example.org"]]
    assert _in_app(own_engine, r.user_id) == ["申请已受理"]


def test_a_rolled_back_notification_sends_nothing(mailbox: Mailbox, own_engine: Engine) -> None:
    r = _member(own_engine, "mail-rollback")
    with Session(own_engine) as session:
        notify(session, [r], "cases.accept", "不会发出", "事务已回滚")
        session.flush()
        session.rollback()
    wait_for_deliveries()
    assert mailbox.messages == []
    assert _in_app(own_engine, r.user_id) == []


def test_a_case_action_mails_the_applicant(mailbox: Mailbox, db: Session) -> None:
    """Through the services: the submission's message reaches the applicant's mailbox."""
    case = b.food_draft(db)
    case.applicant.email = "boss@erqi-weidao.example"
    b.submit(db, case)
    db.commit()
    wait_for_deliveries()
    subjects = {
        tuple(to): m["Subject"] for to, m in zip(mailbox.recipients, mailbox.messages, strict=True)
    }
    assert subjects[("boss@erqi-weidao.example",)] == "申请已提交"
    (mail,) = [m for m in mailbox.messages if m["To"] == "boss@erqi-weidao.example"]
    assert case.number is not None
    assert case.number in mail.get_content()


# ---------------------------------------------------------------- SMS


def test_sms_gateway_channel_posts_json_with_the_token(
    gateway: Gateway, settings: Settings
) -> None:
    channel = SmsGatewayChannel(settings)
    assert channel.send(Message(Recipient(1, phone="13800000000"), "请补正", "缺少租赁合同", None))
    assert channel.send(Message(Recipient(2, email="x@example.org"), "无手机", "-", None)) is False

    ((headers, payload),) = gateway.posts
    assert payload == {"phone": "13800000000", "text": "【请补正】缺少租赁合同"}
    assert headers["Authorization"] == "Bearer gw-secret"
    assert headers["Content-Type"].startswith("application/json")


def test_a_broken_gateway_loses_no_in_app_message(gateway: Gateway, own_engine: Engine) -> None:
    gateway.status = 503
    r = _member(own_engine, "sms-broken")
    with Session(own_engine) as session:
        notify(session, [r], "cases.deliver", "办理结果已出件", "请登录下载")
        session.commit()
    wait_for_deliveries()  # the failure is logged in the worker, not raised here
    assert len(gateway.posts) == 1
    assert gateway.posts[0][1]["phone"] == "13812345678"
    assert _in_app(own_engine, r.user_id) == ["办理结果已出件"]


def test_both_channels_after_one_commit(
    mailbox: Mailbox, gateway: Gateway, own_engine: Engine
) -> None:
    r = _member(own_engine, "both-channels")
    with Session(own_engine) as session:
        notify(session, [r], "cases.complete", "全部事项已办结", "综合窗口将统一出件")
        session.commit()
    wait_for_deliveries()
    assert [m["Subject"] for m in mailbox.messages] == ["全部事项已办结"]
    assert [p["text"] for _, p in gateway.posts] == ["【全部事项已办结】综合窗口将统一出件"]


# ---------------------------------------------------------------- savepoints


def test_a_released_savepoint_is_not_the_commit(mailbox: Mailbox, own_engine: Engine) -> None:
    """Pages run each service call in a SAVEPOINT: releasing it must not send anything,
    and a rollback of the whole request afterwards sends nothing at all."""
    r = _member(own_engine, "savepoint-release")
    with Session(own_engine) as session:
        with session.begin_nested():
            notify(session, [r], "cases.accept", "申请已受理", "受理")
        wait_for_deliveries()
        assert mailbox.messages == [], "sent before the real commit"
        session.rollback()
    wait_for_deliveries()
    assert mailbox.messages == []
    assert _in_app(own_engine, r.user_id) == []


def test_a_rolled_back_savepoint_keeps_what_came_before(
    mailbox: Mailbox, own_engine: Engine
) -> None:
    r = _member(own_engine, "savepoint-rollback")
    with Session(own_engine) as session:
        notify(session, [r], "cases.accept", "申请已受理", "受理")
        savepoint = session.begin_nested()
        notify(session, [r], "cases.refuse", "不会发出", "此调用被撤销")
        savepoint.rollback()
        session.commit()
    wait_for_deliveries()
    assert [m["Subject"] for m in mailbox.messages] == ["申请已受理"]
    assert _in_app(own_engine, r.user_id) == ["申请已受理"]
