"""Public guide pages (home, bundle, item, search) and the administrator's catalog pages."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onething.catalog import schemas, service
from onething.core import workdays
from onething.core.errors import DomainError
from onething.web.deps import (
    REGION_COOKIE,
    CalendarAdmin,
    CatalogAdmin,
    CsrfChecked,
    Db,
    MaybeUser,
    region_of,
    request_actor,
)
from onething.web.templating import render

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 5 * 1024 * 1024


def _region_ctx(request: Request, db: Db) -> dict[str, object]:
    code = region_of(request)
    regions = [r for r in service.list_regions(db) if r.level <= 3]
    current = next((r for r in regions if r.code == code), None)
    return {"regions": regions, "region": current, "region_code": code}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: Db, user: MaybeUser) -> Response:
    ctx = _region_ctx(request, db)
    bundles = service.list_bundles(db, str(ctx["region_code"]))
    ctx.update(
        person_groups=service.group_by_theme(bundles, "person"),
        enterprise_groups=service.group_by_theme(bundles, "enterprise"),
        bundle_count=len(bundles),
    )
    return render(request, "home.html", ctx, user=user)


@router.post("/region", dependencies=[CsrfChecked])
def switch_region(
    db: Db, region: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
) -> Response:
    row = service.load_region(db, region)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(REGION_COOKIE, row.code, samesite="lax", max_age=365 * 86400)
    return response


@router.get("/bundles/{code}", response_class=HTMLResponse)
def bundle_page(code: str, request: Request, db: Db, user: MaybeUser) -> Response:
    row = service.load_bundle(db, code)
    doc = service.bundle_schema(row)
    metrics = service.metrics_for(row)
    resolved = service.resolve(row, metrics.scenario)
    ctx = _region_ctx(request, db)
    ctx.update(
        bundle=row,
        doc=doc,
        metrics=metrics,
        resolved=resolved,
        members=row.members,
        item_names={m.item.code: m.item.name for m in row.members},
        ITEM_TYPES=schemas.ITEM_TYPE_LABELS,
    )
    return render(request, "bundle.html", ctx, user=user)


@router.get("/items/{code}", response_class=HTMLResponse)
def item_page(code: str, request: Request, db: Db, user: MaybeUser) -> Response:
    row = service.load_item(db, code)
    ctx = _region_ctx(request, db)
    ctx.update(
        item=row,
        doc=service.item_schema(row),
        ITEM_TYPES=schemas.ITEM_TYPE_LABELS,
        versions=service.item_versions(db, row),
    )
    return render(request, "item.html", ctx, user=user)


# ---------------------------------------------------------------- administration


@router.get("/admin/catalog", response_class=HTMLResponse)
def admin_catalog(request: Request, db: Db, user: CatalogAdmin) -> Response:
    ctx = {
        "bundles": service.list_bundles(db),
        "departments": service.list_departments(db),
        "item_total": service.list_items(db, limit=1)[0],
    }
    return render(request, "admin/catalog.html", ctx, user=user)


@router.post("/admin/catalog/import", dependencies=[CsrfChecked])
async def admin_import(
    request: Request, db: Db, user: CatalogAdmin, files: list[UploadFile]
) -> Response:
    ctx: dict[str, object] = {"bundles": [], "departments": [], "item_total": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for i, upload in enumerate(files):
            data = await upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                raise DomainError("file_too_large", "单个文件不能超过 5 MB", 413)
            safe = Path(upload.filename or f"upload-{i}.yaml").name
            if not safe.endswith((".yaml", ".yml")):
                raise DomainError("not_yaml", f"只接受 .yaml 或 .yml 文件：{safe}", 422)
            (Path(tmp) / f"{i:03d}-{safe}").write_bytes(data)
        try:
            report = service.import_catalog(db, request_actor(request, user), Path(tmp))
        except DomainError as exc:
            db.rollback()
            ctx.update(error=exc)
            report = None
    ctx.update(
        bundles=service.list_bundles(db),
        departments=service.list_departments(db),
        item_total=service.list_items(db, limit=1)[0],
        report=report,
    )
    return render(
        request, "admin/catalog.html", ctx, user=user, status_code=422 if report is None else 200
    )


@router.get("/admin/calendar", response_class=HTMLResponse)
def admin_calendar(
    request: Request, db: Db, user: CalendarAdmin, year: int | None = None
) -> Response:
    year = year or dt.date.today().year
    cal = workdays.load_calendar(db)
    ctx = {
        "year": year,
        "days": workdays.list_calendar_days(db, year),
        "known": cal.year_is_known(year),
        "in_package": year in workdays.PACKAGE_YEARS,
    }
    return render(request, "admin/calendar.html", ctx, user=user)


@router.post("/admin/calendar", dependencies=[CsrfChecked])
def admin_calendar_set(
    request: Request,
    db: Db,
    user: CalendarAdmin,
    day: Annotated[dt.date, Form()],
    kind: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "set",
) -> Response:
    actor = request_actor(request, user)
    if action == "remove":
        workdays.remove_calendar_day(db, actor, day)
    else:
        workdays.set_calendar_day(db, actor, day, kind == "workday", name)
    return RedirectResponse(f"/admin/calendar?year={day.year}", status_code=303)
