"""Uploaded files: sniffed by content, size-limited, stored once by SHA-256 under var/files.

The public id is random, so a file can never be reached by guessing a path or a counter;
whoever serves a file checks first that the caller may see the record that holds it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from pathlib import Path
from typing import BinaryIO

import puremagic
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from onething.config import get_settings
from onething.core.errors import DomainError
from onething.db import Base, utcnow

ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
ALLOWED_LABEL = "PDF、JPG、PNG"
_CHUNK = 1 << 20
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class StoredFile(Base):
    __tablename__ = "stored_files"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    media_type: Mapped[str] = mapped_column(String(80))
    filename: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def safe_filename(name: str, extension: str) -> str:
    """The name people see: no path, no control or reserved characters, the sniffed extension."""
    base = Path(unicodedata.normalize("NFC", name or "").replace("\\", "/")).name
    stem = _UNSAFE.sub("_", Path(base).stem).strip(" ._") or "材料"
    return stem[:80] + extension


def sniff(head: bytes) -> str:
    """The media type the content really has, if it is one we accept."""
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        matches = []
    for match in matches:
        if match.mime_type in ALLOWED_TYPES:
            return str(match.mime_type)
    what = f"（检测为“{matches[0].name}”）" if matches else ""
    raise DomainError(
        "file_type_not_allowed",
        f"文件内容不是 {ALLOWED_LABEL} 格式{what}，请上传扫描件或照片",
        415,
        "file",
    )


def path_of(sha256: str) -> Path:
    return get_settings().files_dir / sha256[:2] / sha256


def store_upload(
    session: Session, stream: BinaryIO, filename: str, owner_id: int | None
) -> StoredFile:
    """Read the upload up to the size limit, check its content, keep one copy per content."""
    limit = get_settings().upload_max_mb * 1024 * 1024
    files_dir = get_settings().files_dir
    files_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, tmp_name = tempfile.mkstemp(dir=files_dir, prefix=".upload-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise DomainError(
                        "file_too_large",
                        f"文件超过 {get_settings().upload_max_mb} MB，请压缩或分页扫描后再上传",
                        413,
                        "file",
                    )
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise DomainError("file_empty", "文件是空的，请重新选择", 422, "file")
        media_type = sniff(head)
        sha = digest.hexdigest()
        target = path_of(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            tmp.unlink()
        else:
            tmp.replace(target)
    finally:
        if tmp.exists():
            tmp.unlink()
    row = StoredFile(
        id=secrets.token_hex(16),
        sha256=sha,
        size=size,
        media_type=media_type,
        filename=safe_filename(filename, ALLOWED_TYPES[media_type]),
        owner_id=owner_id,
    )
    session.add(row)
    return row
