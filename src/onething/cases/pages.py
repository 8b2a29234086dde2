"""Chinese pages for applicants (apply, my cases), the window and the departments."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
