"""Optimistic locking for every versioned record (cases, item tasks, tickets): SQLAlchemy's
`version_id_col` adds `WHERE version = ?` to each update; these turn a lost race, or a
decision made on a stale screen, into one clear 409."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from onething.core.errors import conflict
from onething.core.ids import region_prefix

STALE = "该记录刚刚已被他人处理，请刷新页面查看最新状态后再操作"


class Versioned(Protocol):
    version: int


def save(session: Session) -> None:
    """Flush now so a concurrent change to the same record becomes a clear conflict."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise conflict(STALE) from exc


def check_version(row: Versioned, expected: int | None) -> None:
    """The caller saw `expected`; if the record changed since, its decision may be stale."""
    if expected is not None and row.version != expected:
        raise conflict(STALE)


def in_regions(column: Any, regions: Sequence[str]) -> ColumnElement[bool]:
    """`column` (a region code) lies in one of these regions' subtrees."""
    return or_(*[column.like(region_prefix(r) + "%") for r in regions])
