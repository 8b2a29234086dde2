"""一人一档 / 一企一档: one profile per person and per enterprise."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from onething.db import Base, utcnow


class Profile(Base):
    """The attributes the platform holds on one person or enterprise.

    `values` maps dictionary names to JSON values (dates as ISO text); `sources` maps the same
    names to where and when each value came from ({"source": ..., "at": ...}), so every value
    can be traced to the department or case that supplied it.
    """

    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    subject_key: Mapped[str] = mapped_column(String(18), unique=True)
    """公民身份号码 of a person, 统一社会信用代码 of an enterprise."""
    name: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    """Where the subject belongs (户籍地 / 注册地), 12 digits: scopes staff access."""
    values: Mapped[dict[str, Any]]
    sources: Mapped[dict[str, Any]]
    reuse_consent: Mapped[bool] = mapped_column(default=False, server_default=false())
    """The holder allows forms to be pre-filled from this profile and earlier cases."""
    reuse_consent_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
