"""JSON API for cases: applicants, the window, departments and supervisors."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["办件"])
