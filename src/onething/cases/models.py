"""Case (办件), its ItemTasks (部门子件), submissions, correction notices, pauses and results.

Case and ItemTask carry a version column: SQLAlchemy adds `WHERE version = ?` to every
update, so of two concurrent actions on one record exactly one succeeds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onething.accounts.models import User
from onething.catalog.models import Bundle, Department, ServiceItem
from onething.core.files import StoredFile
from onething.db import Base, utcnow


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("applicant_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(24), unique=True)
    """办件编号: 6-digit region + yyyymmdd + 6-digit sequence, given on first submission."""
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    bundle_id: Mapped[int | None] = mapped_column(ForeignKey("bundles.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("service_items.id"))
    title: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    answers: Mapped[dict[str, Any]]
    form: Mapped[dict[str, Any]]
    delivery: Mapped[dict[str, Any]]
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    round: Mapped[int] = mapped_column(default=0)
    """How many times the applicant has submitted (1 + corrections)."""
    promised_days: Mapped[int | None]
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    paused_days: Mapped[int] = mapped_column(default=0)
    paused_since: Mapped[dt.date | None] = mapped_column(Date)
    alert: Mapped[str] = mapped_column(String(8), default="none")
    reason: Mapped[str | None] = mapped_column(Text)
    """Why it was refused or withdrawn."""
    tracking_number: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    decided_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    applicant: Mapped[User] = relationship(lazy="joined")
    bundle: Mapped[Bundle | None] = relationship(lazy="joined")
    item: Mapped[ServiceItem | None] = relationship(lazy="joined")
    tasks: Mapped[list[ItemTask]] = relationship(
        back_populates="case", order_by="ItemTask.position", lazy="selectin"
    )
    materials: Mapped[list[CaseMaterial]] = relationship(
        order_by="CaseMaterial.id", lazy="selectin", viewonly=True
    )


class CaseMaterial(Base):
    """A file given for one material of a case; replaced files stay, marked removed."""

    __tablename__ = "case_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    material_key: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[str] = mapped_column(ForeignKey("stored_files.id"))
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[dt.datetime | None]

    file: Mapped[StoredFile] = relationship(lazy="joined")


class CaseSubmission(Base):
    """What the applicant submitted in one round, so the window sees what a correction changed."""

    __tablename__ = "case_submissions"
    __table_args__ = (UniqueConstraint("case_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    round: Mapped[int]
    answers: Mapped[dict[str, Any]]
    form: Mapped[dict[str, Any]]
    files: Mapped[dict[str, Any]]
    """material key → list of [file id, file name, sha256]."""
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CorrectionNotice(Base):
    """一次性告知: every problem with a submission, in writing, at once."""

    __tablename__ = "correction_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    round: Mapped[int]
    problems: Mapped[list[Any]]
    """[{"kind": "field"|"material"|"other", "key", "label", "message"}]"""
    note: Mapped[str | None] = mapped_column(Text)
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]


class CaseCounter(Base):
    """The last sequence number given per region and day (case numbers)."""

    __tablename__ = "case_counters"

    region: Mapped[str] = mapped_column(String(6), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int]


class ItemTask(Base):
    __tablename__ = "item_tasks"
    __table_args__ = (UniqueConstraint("case_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    position: Mapped[int]
    after: Mapped[list[Any]]
    """Ids of the tasks of the same case whose approval this task waits for."""
    state: Mapped[str] = mapped_column(String(16), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    promised_days: Mapped[int]
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    paused_days: Mapped[int] = mapped_column(default=0)
    alert: Mapped[str] = mapped_column(String(8), default="none")
    opinion: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    case: Mapped[Case] = relationship(back_populates="tasks")
    item: Mapped[ServiceItem] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    pauses: Mapped[list[TaskPause]] = relationship(
        order_by="TaskPause.id", lazy="selectin", viewonly=True
    )
    result: Mapped[ItemResult | None] = relationship(lazy="selectin", viewonly=True)


class TaskPause(Base):
    """A step that does not count toward the time limit: 现场踏勘, 专家评审, 听证..."""

    __tablename__ = "task_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("item_tasks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)
    started_on: Mapped[dt.date] = mapped_column(Date)
    expected_end: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    working_days: Mapped[int | None]


class ItemResult(Base):
    """An approved item's result (its licence, certificate or decision), issued with the case."""

    __tablename__ = "item_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("item_tasks.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(60), unique=True)
    result_type: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
