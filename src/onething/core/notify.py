"""Notifications: one `notify()` for every domain.

Every message is written to the database (the in-app inbox) and to the log in the caller's
transaction. E-mail and SMS are optional channels configured in settings; they are sent only
after the transaction commits, in a worker thread, so a slow or broken gateway never loses or
delays the in-app message and a rolled-back action never sends anything.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import smtplib
import urllib.request
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import ForeignKey, String, Text, event, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from onething.config import Settings, get_settings
from onething.db import Base, utcnow

log = logging.getLogger("onething.notify")
_OUTBOX = "onething.notify.outbox"


class Notification(Base):
    """One in-app message to one user."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    tag: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Message:
    recipient: Recipient
    title: str
    body: str
    link: str | None


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> bool:
        """Send one message; False when this channel cannot reach the recipient."""


class SmtpChannel:
    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: Message) -> bool:
        if not message.recipient.email:
            return False
        s = self.settings
        mail = EmailMessage()
        mail["From"] = s.smtp_from or f"noreply@{s.smtp_host}"
        mail["To"] = message.recipient.email
        mail["Subject"] = message.title
        mail.set_content(message.body + (f"\n\n{message.link}" if message.link else ""))
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=10) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
            smtp.send_message(mail)
        return True


class SmsGatewayChannel:
    """A generic HTTP SMS gateway: POST {"phone", "text"} as JSON with a bearer token."""

    name = "sms"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: Message) -> bool:
        if not message.recipient.phone:
            return False
        payload = json.dumps(
            {"phone": message.recipient.phone, "text": f"【{message.title}】{message.body}"},
            ensure_ascii=False,
        ).encode()
        request = urllib.request.Request(
            self.settings.sms_gateway_url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.settings.sms_gateway_token}",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            status: int = response.status
            return 200 <= status < 300


def configured_channels(settings: Settings | None = None) -> list[Channel]:
    settings = settings or get_settings()
    channels: list[Channel] = []
    if settings.smtp_host:
        channels.append(SmtpChannel(settings))
    if settings.sms_gateway_url:
        channels.append(SmsGatewayChannel(settings))
    return channels


_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="notify")
_pending: list[Future[None]] = []


def _deliver(channels: Sequence[Channel], messages: Sequence[Message]) -> None:
    for message in messages:
        for channel in channels:
            try:
                channel.send(message)
            except Exception:
                log.exception("%s delivery to user %s failed", channel.name, message.recipient)


def wait_for_deliveries(timeout: float = 30) -> None:
    """Block until queued e-mail and SMS deliveries are done (tests and shutdown)."""
    while _pending:
        _pending.pop().result(timeout=timeout)


def notify(
    session: Session,
    recipients: Iterable[Recipient],
    tag: str,
    title: str,
    body: str,
    link: str | None = None,
) -> int:
    """Write one message per distinct recipient; queue e-mail/SMS for after the commit."""
    seen: set[int] = set()
    for r in recipients:
        if r.user_id in seen:
            continue
        seen.add(r.user_id)
        row = Notification(user_id=r.user_id, tag=tag, title=title, body=body, link=link)
        session.add(row)
        log.info("notify user=%s tag=%s %s", r.user_id, tag, title)
        session.info.setdefault(_OUTBOX, []).append((row, Message(r, title, body, link)))
    return len(seen)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released: the messages wait for the real commit
    messages = [m for _, m in session.info.pop(_OUTBOX, [])]
    if not messages:
        return
    channels = configured_channels()
    if channels:
        _pending.append(_executor.submit(_deliver, channels, messages))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: object) -> None:
    """Drop the messages whose rows the rollback removed; a SAVEPOINT's rollback keeps the
    ones queued before it."""
    kept = [(row, m) for row, m in session.info.pop(_OUTBOX, []) if row in session]
    if kept:
        session.info[_OUTBOX] = kept


def list_notifications(session: Session, user_id: int, limit: int = 50) -> list[Notification]:
    stmt = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def unread_count(session: Session, user_id: int) -> int:
    stmt = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return session.scalar(stmt) or 0


def mark_read(session: Session, user_id: int, ids: Sequence[int] | None = None) -> int:
    """Mark the user's messages read (all of them when `ids` is None); returns how many."""
    stmt = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    result = session.execute(stmt.values(read_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
