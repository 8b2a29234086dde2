"""Catalog services: import and export YAML, look up bundles and items, keep versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from onething.catalog import schemas
from onething.catalog.models import (
    Bundle,
    BundleItem,
    BundleVersion,
    Department,
    Region,
    ServiceItem,
    ServiceItemVersion,
)
from onething.catalog.resolve import (
    Answers,
    BundleMetrics,
    ResolvedBundle,
    bundle_metrics,
    resolve_bundle,
)
from onething.catalog.yamlio import Known, check_path, write_yaml
from onething.core.audit import Actor, record_event
from onething.core.errors import DomainError, not_found
from onething.core.ids import region_ancestors, region_level, short_region_code
from onething.db import utcnow

# ---------------------------------------------------------------- conversions


def item_schema(row: ServiceItem) -> schemas.Item:
    return schemas.Item(
        code=row.code,
        base_code=row.base_code,
        name=row.name,
        type=schemas.ItemType(row.item_type),
        department=row.department.code,
        region=row.region_code,
        level=row.level,
        legal_basis=row.legal_basis,
        conditions=row.conditions,
        statutory_days=row.statutory_days,
        promised_days=row.promised_days,
        processing=schemas.ProcessingKind(row.processing),
        fee=row.fee,
        fee_required=row.fee_required,
        result_type=row.result_type,
        result_name=row.result_name,
        result_key=row.result_key,
        visits=row.visits,
        online_depth=list(row.online_depth),
        service_object=[schemas.ServiceObject(s) for s in row.service_object],
        cross_region=schemas.CrossRegionScope(row.cross_region),
        commitment_allowed=row.commitment_allowed,
        place=row.place,
        office_hours=row.office_hours,
        phone=row.phone,
        materials=[schemas.Material.model_validate(m) for m in row.materials],
        fields=[schemas.FormField.model_validate(f) for f in row.fields],
        steps=[schemas.Step.model_validate(s) for s in row.steps],
    )


def bundle_schema(row: Bundle) -> schemas.Bundle:
    return schemas.Bundle(
        code=row.code,
        name=row.name,
        target=schemas.Target(row.target),
        theme=row.theme,
        batch=row.batch,
        region=row.region_code,
        lead_department=row.lead_department.code,
        summary=row.summary,
        promised_days=row.promised_days,
        items=[
            schemas.BundleItem(item=m.item.code, optional=m.optional, after=list(m.after))
            for m in row.members
        ],
        situations=[schemas.Situation.model_validate(s) for s in row.situations],
        materials=[schemas.Material.model_validate(m) for m in row.materials],
        fields=[schemas.FormField.model_validate(f) for f in row.fields],
    )


def _json_list(models: list[Any]) -> list[Any]:
    return [m.model_dump(mode="json", exclude_defaults=True) for m in models]


def _apply_item(row: ServiceItem, item: schemas.Item, dept: Department) -> None:
    row.code = item.code
    row.base_code = item.base_code
    row.name = item.name
    row.item_type = item.type.value
    row.department_id = dept.id
    row.department = dept
    row.region_code = item.region
    row.level = item.level
    row.legal_basis = item.legal_basis
    row.conditions = item.conditions
    row.statutory_days = item.statutory_days
    row.promised_days = item.promised_days
    row.processing = item.processing.value
    row.fee = item.fee
    row.fee_required = item.fee_required
    row.result_type = item.result_type
    row.result_name = item.result_name
    row.result_key = item.result_key
    row.visits = item.visits
    row.online_depth = list(item.online_depth)
    row.service_object = [s.value for s in item.service_object]
    row.cross_region = item.cross_region.value
    row.commitment_allowed = item.commitment_allowed
    row.place = item.place
    row.office_hours = item.office_hours
    row.phone = item.phone
    row.materials = _json_list(item.materials)
    row.fields = _json_list(item.fields)
    row.steps = _json_list(item.steps)


# ---------------------------------------------------------------- import


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _known(session: Session) -> Known:
    known = Known()
    known.regions = set(session.scalars(select(Region.code)))
    for dept in session.scalars(select(Department)):
        known.departments[(dept.region_code, dept.code)] = dept.uscc
    for row in session.scalars(select(ServiceItem)):
        known.items[row.code] = item_schema(row)
    return known


def import_catalog(session: Session, actor: Actor, path: Path) -> ImportReport:
    """Import a YAML file or directory whole, or nothing: every error is listed at once."""
    if not path.exists():
        raise DomainError("catalog_path_missing", f"找不到文件或目录：{path}", 404)
    cat, errors = check_path(path, _known(session))
    if errors:
        raise DomainError(
            "catalog_invalid",
            f"目录数据有 {len(errors)} 处错误，未导入任何内容",
            422,
            details=errors,
        )
    report = ImportReport()
    for region in sorted(cat.regions.values(), key=lambda r: region_level(r.code)):
        _upsert_region(session, actor, region, report)
    for dept in cat.departments.values():
        _upsert_department(session, actor, dept, report)
    session.flush()
    for item in cat.items.values():
        _upsert_item(session, actor, item, report)
    session.flush()
    for bundle in cat.bundles.values():
        _upsert_bundle(session, actor, bundle, report)
    session.flush()
    return report


def _upsert_region(
    session: Session, actor: Actor, region: schemas.Region, report: ImportReport
) -> None:
    row = session.get(Region, region.code)
    after = {"name": region.name, "parent": region.parent}
    if row is None:
        session.add(
            Region(
                code=region.code,
                name=region.name,
                level=region_level(region.code),
                parent_code=region.parent,
            )
        )
        session.flush()
        report.count(report.created, "regions")
        record_event(session, "catalog:region:created", "region", region.code, actor, after=after)
    elif row.name != region.name or row.parent_code != region.parent:
        before = {"name": row.name, "parent": row.parent_code}
        row.name, row.parent_code = region.name, region.parent
        report.count(report.updated, "regions")
        record_event(
            session,
            "catalog:region:updated",
            "region",
            region.code,
            actor,
            before=before,
            after=after,
        )
    else:
        report.count(report.unchanged, "regions")


def _upsert_department(
    session: Session, actor: Actor, dept: schemas.Department, report: ImportReport
) -> None:
    row = session.scalar(
        select(Department).where(
            Department.region_code == dept.region, Department.code == dept.code
        )
    )
    after = dept.model_dump(mode="json")
    if row is None:
        row = Department(code=dept.code, region_code=dept.region)
        session.add(row)
        kind = "created"
        before = None
    else:
        before = _dept_schema(row).model_dump(mode="json")
        if before == after:
            report.count(report.unchanged, "departments")
            return
        kind = "updated"
    row.name, row.uscc, row.duties = dept.name, dept.uscc, dept.duties
    row.address, row.phone = dept.address, dept.phone
    session.flush()
    report.count(report.created if kind == "created" else report.updated, "departments")
    record_event(
        session,
        f"catalog:department:{kind}",
        "department",
        row.id,
        actor,
        before=before,
        after=after,
        region_code=dept.region,
    )


def _dept_schema(row: Department) -> schemas.Department:
    return schemas.Department(
        code=row.code,
        name=row.name,
        region=row.region_code,
        uscc=row.uscc,
        duties=row.duties,
        address=row.address,
        phone=row.phone,
    )


def _department(session: Session, region: str, code: str) -> Department:
    dept = session.scalar(
        select(Department).where(Department.region_code == region, Department.code == code)
    )
    if dept is None:
        raise not_found("部门", f"{code}（{region}）")
    return dept


def _upsert_item(session: Session, actor: Actor, item: schemas.Item, report: ImportReport) -> None:
    row = session.scalar(select(ServiceItem).where(ServiceItem.code == item.code))
    dept = _department(session, item.region, item.department)
    after = item.model_dump(mode="json", exclude_defaults=True)
    if row is None:
        row = ServiceItem(version=1)
        _apply_item(row, item, dept)
        session.add(row)
        session.flush()
        report.count(report.created, "items")
        record_event(
            session,
            "catalog:item:created",
            "service_item",
            item.code,
            actor,
            after={"version": 1, "name": item.name},
            region_code=item.region,
        )
        return
    current = item_schema(row)
    if current == item:
        report.count(report.unchanged, "items")
        return
    before = current.model_dump(mode="json", exclude_defaults=True)
    session.add(ServiceItemVersion(item_id=row.id, version=row.version, snapshot=before))
    _apply_item(row, item, dept)
    row.version += 1
    row.updated_at = utcnow()
    report.count(report.updated, "items")
    record_event(
        session,
        "catalog:item:updated",
        "service_item",
        item.code,
        actor,
        before={"version": row.version - 1},
        after={"version": row.version, "changed": _changed_keys(before, after)},
        region_code=item.region,
    )


def _changed_keys(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def _upsert_bundle(
    session: Session, actor: Actor, bundle: schemas.Bundle, report: ImportReport
) -> None:
    row = session.scalar(select(Bundle).where(Bundle.code == bundle.code))
    lead = next(
        d
        for r in region_ancestors(bundle.region)
        if (
            d := session.scalar(
                select(Department).where(
                    Department.region_code == r, Department.code == bundle.lead_department
                )
            )
        )
        is not None
    )
    after = bundle.model_dump(mode="json", exclude_defaults=True)
    if row is not None:
        current = bundle_schema(row)
        if current == bundle:
            report.count(report.unchanged, "bundles")
            return
        before = current.model_dump(mode="json", exclude_defaults=True)
        session.add(BundleVersion(bundle_id=row.id, version=row.version, snapshot=before))
        row.version += 1
        row.updated_at = utcnow()
        row.members.clear()
        session.flush()
        kind = "updated"
    else:
        before = {}
        row = Bundle(version=1)
        session.add(row)
        kind = "created"
    row.code, row.name, row.target = bundle.code, bundle.name, bundle.target.value
    row.theme, row.batch, row.region_code = bundle.theme, bundle.batch, bundle.region
    row.lead_department_id, row.lead_department = lead.id, lead
    row.summary, row.promised_days = bundle.summary, bundle.promised_days
    row.situations = _json_list(bundle.situations)
    row.materials = _json_list(bundle.materials)
    row.fields = _json_list(bundle.fields)
    items = {
        r.code: r
        for r in session.scalars(
            select(ServiceItem).where(ServiceItem.code.in_([bi.item for bi in bundle.items]))
        )
    }
    for pos, bi in enumerate(bundle.items):
        row.members.append(
            BundleItem(
                item_id=items[bi.item].id,
                item=items[bi.item],
                position=pos,
                optional=bi.optional,
                after=list(bi.after),
            )
        )
    session.flush()
    report.count(report.created if kind == "created" else report.updated, "bundles")
    record_event(
        session,
        f"catalog:bundle:{kind}",
        "bundle",
        bundle.code,
        actor,
        before={"version": row.version - 1} if before else None,
        after={"version": row.version, "changed": _changed_keys(before, after) if before else []},
        region_code=bundle.region,
    )


# ---------------------------------------------------------------- export


def _short(doc: dict[str, Any]) -> dict[str, Any]:
    if "region" in doc:
        doc["region"] = short_region_code(doc["region"])
    return doc


def export_catalog(session: Session, out: Path) -> list[Path]:
    """Write the catalog as YAML: one canonical layout, so export → import → export is stable."""
    written: list[Path] = []
    regions = session.scalars(select(Region).order_by(Region.code)).all()
    write_yaml(
        out / "regions.yaml",
        {
            "regions": [
                schemas.dump_model(schemas.Region(code=r.code, name=r.name, parent=r.parent_code))
                for r in regions
            ]
        },
    )
    written.append(out / "regions.yaml")
    depts = session.scalars(
        select(Department).order_by(Department.region_code.desc(), Department.id)
    ).all()
    write_yaml(
        out / "departments.yaml",
        {"departments": [_short(schemas.dump_model(_dept_schema(d))) for d in depts]},
    )
    written.append(out / "departments.yaml")
    by_file: dict[str, list[dict[str, Any]]] = {}
    for row in session.scalars(select(ServiceItem).order_by(ServiceItem.code)):
        name = f"{short_region_code(row.region_code)}-{row.department.code}.yaml"
        by_file.setdefault(name, []).append(_short(schemas.dump_model(item_schema(row))))
    for name, docs in sorted(by_file.items()):
        write_yaml(out / "items" / name, {"items": docs})
        written.append(out / "items" / name)
    for bundle in session.scalars(select(Bundle).order_by(Bundle.code)):
        path = out / "bundles" / f"{bundle.code}.yaml"
        write_yaml(path, {"bundles": [_short(schemas.dump_model(bundle_schema(bundle)))]})
        written.append(path)
    return written


# ---------------------------------------------------------------- queries


def visible_regions(region_code: str) -> list[str]:
    """A region sees the bundles and items of its own level and every level above it."""
    return region_ancestors(region_code)


def list_bundles(session: Session, region_code: str | None = None) -> list[Bundle]:
    stmt = select(Bundle).order_by(Bundle.batch, Bundle.id)
    if region_code:
        stmt = stmt.where(Bundle.region_code.in_(visible_regions(region_code)))
    return list(session.scalars(stmt))


def load_bundle(session: Session, code: str) -> Bundle:
    row = session.scalar(select(Bundle).where(Bundle.code == code))
    if row is None:
        raise not_found("一件事", code)
    return row


def load_item(session: Session, code: str) -> ServiceItem:
    row = session.scalar(select(ServiceItem).where(ServiceItem.code == code))
    if row is None:
        raise not_found("事项", code)
    return row


def list_items(
    session: Session,
    *,
    query: str | None = None,
    region_code: str | None = None,
    department_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[ServiceItem]]:
    stmt = select(ServiceItem)
    if query:
        like = f"%{query.strip()}%"
        stmt = stmt.where(or_(ServiceItem.name.like(like), ServiceItem.result_name.like(like)))
    if region_code:
        stmt = stmt.where(ServiceItem.region_code.in_(visible_regions(region_code)))
    if department_id:
        stmt = stmt.where(ServiceItem.department_id == department_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(ServiceItem.name, ServiceItem.code).limit(limit).offset(offset)
    )
    return total, list(rows)


def search_bundles(session: Session, query: str, region_code: str | None = None) -> list[Bundle]:
    like = f"%{query.strip()}%"
    stmt = select(Bundle).where(or_(Bundle.name.like(like), Bundle.summary.like(like)))
    if region_code:
        stmt = stmt.where(Bundle.region_code.in_(visible_regions(region_code)))
    return list(session.scalars(stmt.order_by(Bundle.id)))


def item_versions(session: Session, item: ServiceItem) -> list[ServiceItemVersion]:
    return list(
        session.scalars(
            select(ServiceItemVersion)
            .where(ServiceItemVersion.item_id == item.id)
            .order_by(ServiceItemVersion.version.desc())
        )
    )


def list_regions(session: Session) -> list[Region]:
    return list(session.scalars(select(Region).order_by(Region.code)))


def load_region(session: Session, code: str) -> Region:
    row = session.get(Region, code.ljust(12, "0")) if code.isdigit() else None
    if row is None:
        raise not_found("行政区划", code)
    return row


def list_departments(session: Session, region_code: str | None = None) -> list[Department]:
    stmt = select(Department).order_by(Department.region_code, Department.id)
    if region_code:
        stmt = stmt.where(Department.region_code == region_code)
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- guides and figures

PERSON_THEMES = [
    "出生",
    "教育",
    "就业",
    "婚育",
    "生活",
    "社会保障",
    "置业",
    "出行",
    "就医",
    "救助",
    "养老",
    "身后",
]
ENTERPRISE_THEMES = ["准入准营", "招聘用工", "纳税缴费", "经营发展", "工程建设", "注销退出"]


def group_by_theme(bundles: list[Bundle], target: str) -> list[tuple[str, list[Bundle]]]:
    """Bundles of one target grouped along the life cycle, in the cycle's order."""
    order = PERSON_THEMES if target == "person" else ENTERPRISE_THEMES
    groups: dict[str, list[Bundle]] = {}
    for b in bundles:
        if b.target == target:
            groups.setdefault(b.theme, []).append(b)
    rank = {t: i for i, t in enumerate(order)}
    return sorted(groups.items(), key=lambda kv: (rank.get(kv[0], len(order)), kv[0]))


def bundle_items(row: Bundle) -> dict[str, schemas.Item]:
    return {m.item.code: item_schema(m.item) for m in row.members}


def resolve(row: Bundle, answers: Answers) -> ResolvedBundle:
    return resolve_bundle(bundle_schema(row), bundle_items(row), answers)


def metrics_for(row: Bundle) -> BundleMetrics:
    return bundle_metrics(bundle_schema(row), bundle_items(row))


def all_metrics(session: Session) -> list[BundleMetrics]:
    return [metrics_for(b) for b in list_bundles(session)]
