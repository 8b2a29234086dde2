"""Domain errors: a code, a Chinese message and an HTTP status, rendered by one handler."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass
class ErrorDetail:
    """One problem: where (file, path or form field) and why."""

    message: str
    field: str | None = None
    location: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.location is not None:
            out["location"] = self.location
        return out


@dataclass
class DomainError(Exception):
    """Raised by services; never a 500, always a message a person can act on."""

    code: str
    message: str
    status: int = 400
    field: str | None = None
    details: list[ErrorDetail] = dataclasses.field(default_factory=list)
    keep_changes: bool = False
    """Commit what the request did before failing (a failed login's counter must stick)."""

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.details:
            out["details"] = [d.as_dict() for d in self.details]
        return out


def not_found(what: str, key: str) -> DomainError:
    return DomainError("not_found", f"未找到{what}：{key}", 404)


def forbidden(message: str = "您没有办理此项操作的权限") -> DomainError:
    return DomainError("forbidden", message, 403)


def conflict(message: str) -> DomainError:
    return DomainError("conflict", message, 409)
