"""全程留痕: the tamper-evident audit trail.

Every change records an AuditEvent in the same transaction. Just before the transaction
commits, its events are sealed into one hash chain (each event's hash covers the previous
one), under a lock so that concurrent transactions cannot fork the chain.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Index, String, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from onething.db import Base, utcnow

GENESIS = "0" * 64
_PENDING = "audit_pending"


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_label: Mapped[str] = mapped_column(String(120), default="系统")
    tag: Mapped[str] = mapped_column(String(120), index=True)
    subject_type: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(80))
    region_code: Mapped[str | None] = mapped_column(String(12))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    data: Mapped[dict[str, Any] | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


@dataclass(frozen=True)
class Actor:
    """Who did it: a user (id and display label) or the system, and from where."""

    user_id: int | None
    label: str
    ip: str | None = None


SYSTEM = Actor(None, "系统")


def jsonable(value: Any) -> Any:
    """Plain JSON for before/after snapshots: dates as ISO text, enums as values."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def record_event(
    session: Session,
    tag: str,
    subject_type: str,
    subject_id: str | int,
    actor: Actor = SYSTEM,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    region_code: str | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction; `tag` is `domain:subject:action`."""
    if tag.count(":") != 2:
        raise ValueError(f"audit tag must be domain:subject:action, got {tag!r}")
    ev = AuditEvent(
        at=utcnow(),
        actor_id=actor.user_id,
        actor_label=actor.label,
        tag=tag,
        subject_type=subject_type,
        subject_id=str(subject_id),
        region_code=region_code,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        data=jsonable(data) if data is not None else None,
        ip=actor.ip,
    )
    session.add(ev)
    session.info.setdefault(_PENDING, []).append(ev)
    return ev


def event_digest(ev: AuditEvent, prev_hash: str) -> str:
    at = ev.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    payload = {
        "seq": ev.seq,
        "at": at,
        "actor_id": ev.actor_id,
        "actor_label": ev.actor_label,
        "tag": ev.tag,
        "subject_type": ev.subject_type,
        "subject_id": ev.subject_id,
        "region_code": ev.region_code,
        "before": ev.before,
        "after": ev.after,
        "data": ev.data,
        "ip": ev.ip,
        "prev": prev_hash,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _seal(session: Session) -> None:
    pending: list[AuditEvent] = session.info.pop(_PENDING, [])
    if not pending:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(727001)"))
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.seq.is_not(None))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    seq, prev = (int(last[0] or 0), str(last[1])) if last else (0, GENESIS)
    for ev in pending:
        seq += 1
        ev.seq = seq
        ev.prev_hash = prev
        ev.hash = event_digest(ev, prev)
        prev = ev.hash
    session.flush()


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _seal(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: object) -> None:
    """Forget the events the rollback removed; a SAVEPOINT's rollback keeps earlier ones."""
    kept = [ev for ev in session.info.pop(_PENDING, []) if ev in session]
    if kept:
        session.info[_PENDING] = kept


def seal_now(session: Session) -> None:
    """Seal pending events without committing (tests that roll back at the end use this)."""
    _seal(session)


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None
    reason: str | None


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash in order; the first mismatch shows where the trail was altered."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    stmt = select(AuditEvent).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq)
    for ev in session.scalars(stmt).yield_per(1000):
        count += 1
        if ev.seq != expected_seq:
            return ChainReport(count, ev.seq, f"序号不连续：应为 {expected_seq}")
        if ev.prev_hash != prev:
            return ChainReport(count, ev.seq, "前一事件的哈希不符")
        if ev.hash != event_digest(ev, prev):
            return ChainReport(count, ev.seq, "事件内容与哈希不符（被修改）")
        prev = ev.hash
        expected_seq += 1
    return ChainReport(count, None, None)
