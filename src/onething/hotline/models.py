"""Ticket (12345工单) and HotspotAlert (热点预警).

Ticket carries a version column: SQLAlchemy adds `WHERE version = ?` to every update, so of
two concurrent decisions on one ticket exactly one succeeds. Only the service's `move` writes
`state`; the deadline job writes alerts with plain UPDATEs that leave the version alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onething.accounts.models import User
from onething.catalog.models import Department, Region
from onething.db import Base, utcnow


class Ticket(Base):
    __tablename__ = "hotline_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    """工单编号: "R" + yyyymmdd (Beijing) + the ticket's id, zero-padded to 7 digits."""
    channel: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(8), index=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    content: Mapped[str] = mapped_column(Text)
    caller_name: Mapped[str] = mapped_column(String(60))
    caller_phone: Mapped[str] = mapped_column(String(20), index=True)
    contact: Mapped[str | None] = mapped_column(String(60))
    """Another way to reach the caller (a second number, an e-mail), if given."""
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    urgency: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(24), index=True)
    proposal: Mapped[dict[str, Any] | None]
    """What the classifier proposed at entry (department, top3, type, category, urgency)."""
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    """The lead unit (主办单位) the ticket is with."""
    assisting: Mapped[list[Any]]
    """Ids of the assisting units (协办单位), when ownership was settled by consultation."""
    handled_directly: Mapped[bool] = mapped_column(default=False)
    """直办: answered by the operator at once from the catalog or the policies."""
    transfer_to: Mapped[str | None] = mapped_column(String(8))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("hotline_tickets.id"))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    dispatch_due_at: Mapped[dt.datetime]
    dispatched_at: Mapped[dt.datetime | None]
    handling_days: Mapped[int] = mapped_column(default=0)
    """Working days the unit has, extensions included."""
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    replied_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    reply: Mapped[str | None] = mapped_column(Text)
    pending: Mapped[dict[str, Any] | None]
    """The open return or extension request: {"kind", "reason", "days", "by"}."""
    return_count: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)
    escalated: Mapped[bool] = mapped_column(default=False)
    """督办: under the supervisors' watch (overdue or reopened)."""
    alert: Mapped[str] = mapped_column(String(8), default="none")
    dispatch_alert: Mapped[bool] = mapped_column(default=False)
    solved: Mapped[bool | None]
    satisfaction: Mapped[int | None]
    """Callback rating, 5 非常满意 .. 1 非常不满意."""
    on_time: Mapped[bool | None]
    """Replied within the handling deadline (set on each reply)."""
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    region: Mapped[Region] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")
    operator: Mapped[User | None] = relationship(lazy="joined")


class HotspotAlert(Base):
    """One category in one area passed the hotspot rule on one day: raised once."""

    __tablename__ = "hotline_hotspots"
    __table_args__ = (UniqueConstraint("region_code", "category", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    category: Mapped[str] = mapped_column(String(40))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    count: Mapped[int]
    baseline: Mapped[float]
    """Mean tickets a day of this category in this area over the preceding window."""
    ticket_ids: Mapped[list[Any]]
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
