"""JSON API for the catalog and the work calendar."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, Field

from onething.catalog import schemas, service
from onething.catalog.models import Bundle, ServiceItem
from onething.catalog.resolve import BundleMetrics, ResolvedBundle
from onething.core import workdays
from onething.web.deps import CalendarAdmin, Db, request_actor

router = APIRouter(prefix="/catalog", tags=["catalog"])
calendar_router = APIRouter(prefix="/calendar", tags=["calendar"])


class BundleSummary(BaseModel):
    code: str
    name: str
    target: str
    theme: str
    batch: str
    region_code: str
    lead_department: str
    item_count: int
    version: int


class ItemSummary(BaseModel):
    code: str
    name: str
    item_type: str
    department: str
    region_code: str
    promised_days: int
    statutory_days: int
    visits: int
    processing: str


class ItemPage(BaseModel):
    total: int
    items: list[ItemSummary]


class ItemDetail(schemas.Item):
    department_name: str
    version: int


class FiguresOut(BaseModel):
    materials: int
    fields: int
    steps: int
    visits: int
    days: int


class MetricsOut(BaseModel):
    code: str
    name: str
    scenario: dict[str, list[str]]
    item_count: int
    one_by_one: FiguresOut
    as_bundle: FiguresOut
    reduction: FiguresOut
    promised_days: int | None


class BundleDetail(schemas.Bundle):
    lead_department_name: str
    version: int
    item_names: dict[str, str]
    metrics: MetricsOut


class ResolveRequest(BaseModel):
    answers: dict[str, str | list[str]] = Field(default_factory=dict)


class MaterialNeedOut(BaseModel):
    material: schemas.Material
    asked_by: list[str]
    status: str


class ResolvedOut(BaseModel):
    answers: dict[str, list[str]]
    items: list[ItemSummary]
    after: dict[str, list[str]]
    fields: list[schemas.FormField]
    materials: list[MaterialNeedOut]
    critical_days: int


class SearchOut(BaseModel):
    bundles: list[BundleSummary]
    items: list[ItemSummary]


def bundle_summary(row: Bundle) -> BundleSummary:
    return BundleSummary(
        code=row.code,
        name=row.name,
        target=row.target,
        theme=row.theme,
        batch=row.batch,
        region_code=row.region_code,
        lead_department=row.lead_department.name,
        item_count=len(row.members),
        version=row.version,
    )


def item_summary(row: ServiceItem) -> ItemSummary:
    return ItemSummary(
        code=row.code,
        name=row.name,
        item_type=row.item_type,
        department=row.department.name,
        region_code=row.region_code,
        promised_days=row.promised_days,
        statutory_days=row.statutory_days,
        visits=row.visits,
        processing=row.processing,
    )


def metrics_out(m: BundleMetrics) -> MetricsOut:
    return MetricsOut.model_validate(dataclasses.asdict(m))


@router.get("/bundles", response_model=list[BundleSummary])
def list_bundles(db: Db, region: str | None = None) -> list[BundleSummary]:
    """The 一件事 bundles offered in a region (including those of the levels above it)."""
    code = service.load_region(db, region).code if region else None
    return [bundle_summary(b) for b in service.list_bundles(db, code)]


@router.get("/bundles/{code}", response_model=BundleDetail)
def get_bundle(code: str, db: Db) -> BundleDetail:
    row = service.load_bundle(db, code)
    doc = service.bundle_schema(row).model_dump()
    return BundleDetail(
        **doc,
        lead_department_name=row.lead_department.name,
        version=row.version,
        item_names={m.item.code: m.item.name for m in row.members},
        metrics=metrics_out(service.metrics_for(row)),
    )


@router.post("/bundles/{code}/resolve", response_model=ResolvedOut)
def resolve_bundle(code: str, db: Db, body: Annotated[ResolveRequest, Body()]) -> ResolvedOut:
    """Given situation answers: the items that apply, one merged form and one material list."""
    row = service.load_bundle(db, code)
    resolved: ResolvedBundle = service.resolve(row, body.answers)
    rows = {m.item.code: m.item for m in row.members}
    return ResolvedOut(
        answers=resolved.answers,
        items=[item_summary(rows[i.code]) for i in resolved.items],
        after=resolved.after,
        fields=resolved.fields,
        materials=[
            MaterialNeedOut(material=n.material, asked_by=n.item_names, status=n.status.value)
            for n in resolved.materials
        ],
        critical_days=resolved.critical_days,
    )


@router.get("/metrics", response_model=list[MetricsOut])
def metrics(db: Db) -> list[MetricsOut]:
    """Per bundle: materials, fields, steps, visits and days one by one and as one bundle."""
    return [metrics_out(m) for m in service.all_metrics(db)]


@router.get("/items", response_model=ItemPage)
def list_items(
    db: Db,
    q: Annotated[str | None, Query(max_length=100)] = None,
    region: str | None = None,
    department_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ItemPage:
    code = service.load_region(db, region).code if region else None
    total, rows = service.list_items(
        db, query=q, region_code=code, department_id=department_id, limit=limit, offset=offset
    )
    return ItemPage(total=total, items=[item_summary(r) for r in rows])


@router.get("/items/{code}", response_model=ItemDetail)
def get_item(code: str, db: Db) -> ItemDetail:
    row = service.load_item(db, code)
    return ItemDetail(
        **service.item_schema(row).model_dump(),
        department_name=row.department.name,
        version=row.version,
    )


@router.get("/search", response_model=SearchOut)
def search(
    db: Db, q: Annotated[str, Query(min_length=1, max_length=100)], region: str | None = None
) -> SearchOut:
    """Search bundles and items by name."""
    code = service.load_region(db, region).code if region else None
    _total, items = service.list_items(db, query=q, region_code=code, limit=50)
    return SearchOut(
        bundles=[bundle_summary(b) for b in service.search_bundles(db, q, code)],
        items=[item_summary(i) for i in items],
    )


class RegionOut(BaseModel):
    code: str
    name: str
    level: int
    parent_code: str | None


class DepartmentOut(BaseModel):
    id: int
    code: str
    name: str
    region_code: str
    uscc: str
    duties: str


@router.get("/regions", response_model=list[RegionOut])
def regions(db: Db) -> list[RegionOut]:
    return [
        RegionOut(code=r.code, name=r.name, level=r.level, parent_code=r.parent_code)
        for r in service.list_regions(db)
    ]


@router.get("/departments", response_model=list[DepartmentOut])
def departments(db: Db, region: str | None = None) -> list[DepartmentOut]:
    code = service.load_region(db, region).code if region else None
    return [
        DepartmentOut(
            id=d.id,
            code=d.code,
            name=d.name,
            region_code=d.region_code,
            uscc=d.uscc,
            duties=d.duties,
        )
        for d in service.list_departments(db, code)
    ]


class WorkdayOut(BaseModel):
    start: dt.date
    days: int
    due: dt.date


class CalendarDayIn(BaseModel):
    is_workday: bool
    name: str = Field(max_length=60)


class CalendarDayOut(BaseModel):
    day: dt.date
    is_workday: bool
    name: str


@calendar_router.get("/add", response_model=WorkdayOut)
def add_days(db: Db, start: dt.date, days: Annotated[int, Query(ge=-3650, le=3650)]) -> WorkdayOut:
    """The date `days` working days after `start` (start not counted)."""
    cal = workdays.load_calendar(db)
    return WorkdayOut(start=start, days=days, due=cal.add_working_days(start, days))


@calendar_router.get("/days", response_model=list[CalendarDayOut])
def list_days(db: Db) -> list[CalendarDayOut]:
    """The administrator's table of holidays and make-up workdays."""
    return [
        CalendarDayOut(day=r.day, is_workday=r.is_workday, name=r.name)
        for r in workdays.list_calendar_days(db)
    ]


@calendar_router.put("/days/{day}", response_model=CalendarDayOut)
def put_day(
    day: dt.date, body: CalendarDayIn, request: Request, db: Db, user: CalendarAdmin
) -> CalendarDayOut:
    row = workdays.set_calendar_day(
        db, request_actor(request, user), day, body.is_workday, body.name
    )
    return CalendarDayOut(day=row.day, is_workday=row.is_workday, name=row.name)
