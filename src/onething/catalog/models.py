"""Catalog tables. Materials, fields, steps and situations are JSON in the YAML's own shape
(validated by catalog.schemas), so the file format and the database stay one thing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onething.db import Base, utcnow


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    level: Mapped[int]
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("region_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    duties: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))

    region: Mapped[Region] = relationship(lazy="joined")


class ServiceItem(Base):
    __tablename__ = "service_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(36), unique=True)
    base_code: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    item_type: Mapped[str] = mapped_column(String(2))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    level: Mapped[int]
    legal_basis: Mapped[str] = mapped_column(Text)
    conditions: Mapped[str] = mapped_column(Text)
    statutory_days: Mapped[int]
    promised_days: Mapped[int]
    processing: Mapped[str] = mapped_column(String(16))
    fee: Mapped[str] = mapped_column(Text)
    fee_required: Mapped[bool]
    result_type: Mapped[str] = mapped_column(String(40))
    result_name: Mapped[str] = mapped_column(String(200))
    result_key: Mapped[str | None] = mapped_column(String(64))
    visits: Mapped[int]
    online_depth: Mapped[list[Any]]
    service_object: Mapped[list[Any]]
    cross_region: Mapped[str] = mapped_column(String(16))
    commitment_allowed: Mapped[bool]
    place: Mapped[str | None] = mapped_column(String(200))
    office_hours: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    materials: Mapped[list[Any]]
    fields: Mapped[list[Any]]
    steps: Mapped[list[Any]]
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    department: Mapped[Department] = relationship(lazy="joined")


class ServiceItemVersion(Base):
    """A previous version of an item, kept when an import changes it."""

    __tablename__ = "service_item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), index=True)
    version: Mapped[int]
    snapshot: Mapped[dict[str, Any]]
    replaced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Bundle(Base):
    __tablename__ = "bundles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    target: Mapped[str] = mapped_column(String(16))
    theme: Mapped[str] = mapped_column(String(40))
    batch: Mapped[str] = mapped_column(String(8))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    summary: Mapped[str] = mapped_column(Text)
    promised_days: Mapped[int | None]
    situations: Mapped[list[Any]]
    materials: Mapped[list[Any]]
    fields: Mapped[list[Any]]
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    lead_department: Mapped[Department] = relationship(lazy="joined")
    members: Mapped[list[BundleItem]] = relationship(
        back_populates="bundle",
        cascade="all, delete-orphan",
        order_by="BundleItem.position",
        lazy="selectin",
    )


class BundleItem(Base):
    __tablename__ = "bundle_items"
    __table_args__ = (UniqueConstraint("bundle_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("bundles.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), index=True)
    position: Mapped[int]
    optional: Mapped[bool] = mapped_column(default=False)
    after: Mapped[list[Any]]
    """Codes of the items in the same bundle whose results this item waits for."""

    bundle: Mapped[Bundle] = relationship(back_populates="members")
    item: Mapped[ServiceItem] = relationship(lazy="joined")


class BundleVersion(Base):
    __tablename__ = "bundle_versions"
    __table_args__ = (UniqueConstraint("bundle_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("bundles.id"), index=True)
    version: Mapped[int]
    snapshot: Mapped[dict[str, Any]]
    replaced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
