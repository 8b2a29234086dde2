"""How a stored file leaves the platform, for pages and the API alike."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import FileResponse

from onething.core.files import StoredFile, path_of


def _attachment(filename: str) -> str:
    """An ASCII fallback for old clients and the real name as RFC 5987 `filename*`."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def attachment_response(stored: StoredFile) -> FileResponse:
    """Always downloaded, never shown inline, so an uploaded file can never run as a page of
    this site; never cached by shared caches."""
    return FileResponse(
        path_of(stored.sha256),
        media_type=stored.media_type,
        headers={
            "Content-Disposition": _attachment(stored.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
