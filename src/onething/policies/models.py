"""Policies (惠企惠民政策), their versions, the match library (政策匹配库), grants (免申即享),
pushes (精准推送), consultations and engine runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onething.catalog.models import Department
from onething.db import Base, utcnow
from onething.profiles.models import Profile


class Policy(Base):
    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    target: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16), index=True)
    legal_basis: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    benefit: Mapped[dict[str, Any]]
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    conditions: Mapped[Any] = mapped_column(JSON)
    how_to_apply: Mapped[str | None] = mapped_column(Text)
    online: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str | None] = mapped_column(String(500))
    retired: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    department: Mapped[Department] = relationship(lazy="joined")


class PolicyVersion(Base):
    """A previous version of a policy, kept when it changes."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    version: Mapped[int]
    doc: Mapped[dict[str, Any]]
    replaced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PolicyMatch(Base):
    """政策匹配库: whether a profile meets a policy, as the engine last found it."""

    __tablename__ = "policy_matches"
    __table_args__ = (UniqueConstraint("policy_id", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    eligible: Mapped[bool] = mapped_column(index=True)
    since: Mapped[dt.datetime] = mapped_column(default=utcnow)
    """When `eligible` last changed."""


class Grant(Base):
    """免申即享: one benefit for one profile and one period, granted exactly once."""

    __tablename__ = "policy_grants"
    __table_args__ = (UniqueConstraint("policy_id", "profile_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    period: Mapped[str] = mapped_column(String(10))
    """once, 2026, 2026-Q4 or 2026-12 by the benefit's period."""
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    state: Mapped[str] = mapped_column(String(16), index=True)
    push_id: Mapped[int | None] = mapped_column(ForeignKey("policy_pushes.id"))
    """The push whose application led to it (None for auto-grants)."""
    notified: Mapped[bool] = mapped_column(default=False)
    """Told online (线上推送率): the profile has an account that got the message."""
    payment_reference: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    fulfilled_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    policy: Mapped[Policy] = relationship(lazy="joined")
    profile: Mapped[Profile] = relationship(lazy="joined")


class PolicyPush(Base):
    """精准推送: the eligible person or enterprise is told, with the application filled in."""

    __tablename__ = "policy_pushes"
    __table_args__ = (UniqueConstraint("policy_id", "profile_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    period: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(16), index=True)
    application: Mapped[dict[str, Any]]
    """The pre-filled application: the values the applicant confirms in one step."""
    notified: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime | None]

    policy: Mapped[Policy] = relationship(lazy="joined")
    profile: Mapped[Profile] = relationship(lazy="joined")


class PolicyConsultation(Base):
    """A question about a policy and the department's answer (咨询答复率)."""

    __tablename__ = "policy_consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    asked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[dt.datetime | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    policy: Mapped[Policy] = relationship(lazy="joined")


class PolicyRun(Base):
    """One run of the matching engine, for the supervisors' record."""

    __tablename__ = "policy_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(80))
    """all, policy:<code> or profile:<id>."""
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    seconds: Mapped[float] = mapped_column(default=0.0)
    profiles: Mapped[int] = mapped_column(default=0)
    policies: Mapped[int] = mapped_column(default=0)
    eligible: Mapped[int] = mapped_column(default=0)
    newly_eligible: Mapped[int] = mapped_column(default=0)
    no_longer_eligible: Mapped[int] = mapped_column(default=0)
    grants: Mapped[int] = mapped_column(default=0)
    pushes: Mapped[int] = mapped_column(default=0)
