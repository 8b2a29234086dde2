"""One Jinja environment for every page; handlers build a context dict and render a template."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from onething.accounts.models import ROLE_LABELS, Role, User
from onething.config import get_settings
from onething.core.ids import mask_id_number, mask_phone
from onething.core.workdays import CHINA


def beijing(moment: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Times are stored in UTC; people read them in Beijing time, to the minute."""
    return moment.astimezone(CHINA).strftime(fmt) if moment else ""


def day(value: dt.date | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["ROLE_LABELS"] = ROLE_LABELS
TEMPLATES.env.filters["mask_id"] = mask_id_number
TEMPLATES.env.filters["mask_phone"] = mask_phone
TEMPLATES.env.filters["beijing"] = beijing
TEMPLATES.env.filters["day"] = day


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    user: User | None = None,
) -> HTMLResponse:
    roles = {str(r.role) for r in user.roles} if user else set()
    ctx: dict[str, Any] = {
        "settings": get_settings(),
        "user": user,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "is_staff": bool(roles),
        "is_admin": Role.system_admin in roles,
        "roles": roles,
        "unread": getattr(request.state, "unread", 0),
        **(context or {}),
    }
    return TEMPLATES.TemplateResponse(request, template, ctx, status_code=status_code)
