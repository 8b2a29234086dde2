from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onething.core.audit import Actor, AuditEvent, record_event, seal_now, verify_chain


def test_events_are_chained_and_verify(db: Session) -> None:
    actor = Actor(7, "测试员", "127.0.0.1")
    record_event(
        db,
        "cases:case:accepted",
        "case",
        "A1",
        actor,
        before={"s": "submitted"},
        after={"s": "accepted"},
    )
    record_event(db, "cases:case:completed", "case", "A1", actor)
    seal_now(db)
    events = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.subject_id == "A1").order_by(AuditEvent.seq)
    ).all()
    assert [e.tag for e in events] == ["cases:case:accepted", "cases:case:completed"]
    assert events[1].prev_hash == events[0].hash
    report = verify_chain(db)
    assert report.broken_at is None
    assert report.checked >= 2


def test_an_edited_event_breaks_the_chain(db: Session) -> None:
    record_event(
        db, "cases:case:refused", "case", "B2", Actor(1, "甲"), data={"reason": "材料不全"}
    )
    record_event(db, "cases:case:withdrawn", "case", "B2", Actor(1, "甲"))
    seal_now(db)
    target = db.scalar(sa.select(AuditEvent).where(AuditEvent.tag == "cases:case:refused"))
    assert target is not None
    db.execute(
        sa.update(AuditEvent).where(AuditEvent.id == target.id).values(data={"reason": "已篡改"})
    )
    db.expire_all()
    report = verify_chain(db)
    assert report.broken_at == target.seq
    assert report.reason is not None
    assert "被修改" in report.reason


def test_a_deleted_event_breaks_the_chain(db: Session) -> None:
    record_event(db, "x:y:one", "y", "C3")
    record_event(db, "x:y:two", "y", "C3")
    record_event(db, "x:y:three", "y", "C3")
    seal_now(db)
    middle = db.scalar(sa.select(AuditEvent).where(AuditEvent.tag == "x:y:two"))
    assert middle is not None
    db.execute(sa.delete(AuditEvent).where(AuditEvent.id == middle.id))
    db.expire_all()
    assert verify_chain(db).broken_at == (middle.seq or 0) + 1


def test_commit_seals_events(db: Session) -> None:
    ev = record_event(db, "x:y:z", "y", "D4")
    db.commit()
    assert ev.seq is not None
    assert ev.hash is not None
