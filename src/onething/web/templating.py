"""One Jinja environment for every page; handlers build a context dict and render a template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from onething.accounts.models import ROLE_LABELS, Role, User
from onething.config import get_settings
from onething.core.ids import mask_id_number

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["ROLE_LABELS"] = ROLE_LABELS
TEMPLATES.env.filters["mask_id"] = mask_id_number


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    user: User | None = None,
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "settings": get_settings(),
        "user": user,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "is_staff": bool(user and user.roles),
        "is_admin": bool(user and any(r.role == Role.system_admin for r in user.roles)),
        **(context or {}),
    }
    return TEMPLATES.TemplateResponse(request, template, ctx, status_code=status_code)
