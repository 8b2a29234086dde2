"""Accounts, staff roles, web sessions and API tokens."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onething.db import Base, utcnow


class UserKind(StrEnum):
    person = "person"
    enterprise = "enterprise"
    staff = "staff"


class Role(StrEnum):
    window_clerk = "window_clerk"
    dept_reviewer = "dept_reviewer"
    chief_representative = "chief_representative"
    dept_admin = "dept_admin"
    hotline_operator = "hotline_operator"
    hotline_dispatcher = "hotline_dispatcher"
    supervisor = "supervisor"
    system_admin = "system_admin"


ROLE_LABELS: dict[Role, str] = {
    Role.window_clerk: "综合窗口人员",
    Role.dept_reviewer: "部门审批人员",
    Role.chief_representative: "首席事务代表",
    Role.dept_admin: "部门管理员",
    Role.hotline_operator: "12345话务员",
    Role.hotline_dispatcher: "12345派单员",
    Role.supervisor: "监管人员",
    Role.system_admin: "系统管理员",
}

DEPARTMENT_ROLES = frozenset({Role.dept_reviewer, Role.chief_representative, Role.dept_admin})


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[UserKind] = mapped_column(String(16))
    login: Mapped[str] = mapped_column(String(64), unique=True)
    """公民身份号码 for persons, 统一社会信用代码 for enterprises, an account name for staff."""
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))
    """Optional: used only when an SMTP server is configured for notifications."""
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class StaffRole(Base):
    """A role held in a region's subtree, and for department roles in one department."""

    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("user_id", "role", "region_code", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))

    user: Mapped[User] = relationship(back_populates="roles")


class WebSession(Base):
    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
