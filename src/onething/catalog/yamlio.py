"""Reading and checking catalog YAML without touching the database.

A directory is read whole and checked whole: every error is listed by file, path and
reason, and nothing is imported unless the whole set is clean.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from onething.catalog.schemas import Bundle, CatalogFile, Department, Item, Region
from onething.core.errors import ErrorDetail
from onething.core.ids import is_valid_uscc, region_ancestors, region_level

M = TypeVar("M", bound=BaseModel)

LEVEL_BY_REGION_LEVEL = {1: 2, 2: 3, 3: 4, 4: 5, 5: 6}


@dataclass
class CatalogSet:
    """Everything read from a set of files, with where each thing came from."""

    regions: dict[str, Region] = field(default_factory=dict)
    departments: dict[tuple[str, str], Department] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    bundles: dict[str, Bundle] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)


@dataclass
class Known:
    """What already exists in the database, so a partial import can refer to it."""

    regions: set[str] = field(default_factory=set)
    departments: dict[tuple[str, str], str] = field(default_factory=dict)
    """(region, code) -> USCC"""
    items: dict[str, Item] = field(default_factory=dict)


def yaml_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"})
    return [path]


def _loc(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_model(
    path: Path, label: str, model: type[M], top: str
) -> tuple[M | None, list[ErrorDetail]]:
    """One YAML file validated as `model`, with every problem located as file:path; `top`
    names the keys the file's top-level mapping may hold (for the message)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, [ErrorDetail("文件不是 UTF-8 编码", location=label)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{label}:{mark.line + 1}:{mark.column + 1}" if mark else label
        return None, [ErrorDetail(f"YAML 语法错误：{getattr(exc, 'problem', exc)}", location=where)]
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return None, [ErrorDetail(f"文件顶层必须是映射（{top}）", location=label)]
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        return None, [
            ErrorDetail(translate_error(err), location=f"{label}:{_loc(err['loc'])}")
            for err in exc.errors()
        ]


def write_yaml(path: Path, doc: dict[str, Any]) -> None:
    """The one YAML layout every export writes: keys in model order, Chinese as is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=4096)
    path.write_text(text, encoding="utf-8")


def parse_file(path: Path, label: str) -> tuple[CatalogFile | None, list[ErrorDetail]]:
    return load_model(path, label, CatalogFile, "regions/departments/items/bundles")


def translate_error(err: Any) -> str:
    """A pydantic error in Chinese."""
    kind = err["type"]
    if kind == "extra_forbidden":
        return "未知字段"
    if kind == "missing":
        return "缺少必填字段"
    if kind == "string_pattern_mismatch":
        return f"格式不正确（应匹配 {err['ctx']['pattern']}）"
    if kind in {"greater_than", "greater_than_equal"}:
        bound = err["ctx"].get("gt", err["ctx"].get("ge"))
        return f"数值必须大于{'或等于' if kind.endswith('equal') else ''} {bound}"
    if kind == "enum":
        return f"取值不正确（允许：{err['ctx']['expected']}）"
    if kind == "value_error":
        return str(err["ctx"]["error"])
    return str(err["msg"])


def read_catalog(path: Path) -> tuple[CatalogSet, list[ErrorDetail]]:
    """Parse every YAML file under `path`; duplicates across files are errors."""
    cat = CatalogSet()
    errors: list[ErrorDetail] = []
    base = path if path.is_dir() else path.parent
    for file in yaml_files(path):
        label = str(file.relative_to(base))
        doc, errs = parse_file(file, label)
        errors.extend(errs)
        if doc is None:
            continue
        for i, region in enumerate(doc.regions):
            _put(
                cat.regions,
                region.code,
                region,
                cat.origin,
                f"{label}:regions[{i}]",
                "行政区划",
                errors,
            )
        for i, dept in enumerate(doc.departments):
            key = (dept.region, dept.code)
            _put(
                cat.departments, key, dept, cat.origin, f"{label}:departments[{i}]", "部门", errors
            )
        for i, item in enumerate(doc.items):
            _put(cat.items, item.code, item, cat.origin, f"{label}:items[{i}]", "事项", errors)
        for i, bundle in enumerate(doc.bundles):
            _put(
                cat.bundles,
                bundle.code,
                bundle,
                cat.origin,
                f"{label}:bundles[{i}]",
                "一件事",
                errors,
            )
    return cat, errors


def _put(
    target: dict[Any, Any],
    key: Any,
    value: Any,
    origin: dict[str, str],
    where: str,
    what: str,
    errors: list[ErrorDetail],
) -> None:
    okey = f"{what}:{key}"
    if key in target:
        errors.append(ErrorDetail(f"{what} {key} 重复定义（另见 {origin[okey]}）", location=where))
        return
    target[key] = value
    origin[okey] = where


def check_catalog(cat: CatalogSet, known: Known | None = None) -> list[ErrorDetail]:
    """Cross-file rules: references resolve, codes agree, dependencies have no cycle."""
    known = known or Known()
    errors: list[ErrorDetail] = []
    regions = known.regions | set(cat.regions)
    depts = dict(known.departments)
    depts.update({k: d.uscc for k, d in cat.departments.items()})
    items: dict[str, Item] = dict(known.items)
    items.update(cat.items)

    def at(what: str, key: str) -> str:
        return cat.origin.get(f"{what}:{key}", "?")

    for code, region in cat.regions.items():
        if region.parent is not None:
            if region.parent not in regions:
                errors.append(
                    ErrorDetail(
                        f"上级行政区划 {region.parent} 不存在", location=at("行政区划", code)
                    )
                )
            elif region_level(region.parent) != region_level(
                code
            ) - 1 or region.parent not in region_ancestors(code):
                errors.append(
                    ErrorDetail(
                        f"行政区划代码 {code} 与上级 {region.parent} 不一致",
                        location=at("行政区划", code),
                    )
                )
    for key, dept in cat.departments.items():
        where = at("部门", str(key))
        if dept.region not in regions:
            errors.append(ErrorDetail(f"行政区划 {dept.region} 不存在", location=where))
        if not is_valid_uscc(dept.uscc):
            errors.append(ErrorDetail(f"统一社会信用代码 {dept.uscc} 校验码不正确", location=where))
    for code, item in cat.items.items():
        errors.extend(_check_item(item, depts, at("事项", code)))
    for code, bundle in cat.bundles.items():
        errors.extend(_check_bundle(bundle, items, depts, regions, at("一件事", code)))
    return errors


def _check_item(item: Item, depts: dict[tuple[str, str], str], where: str) -> list[ErrorDetail]:
    errors = []
    uscc = depts.get((item.region, item.department))
    if uscc is None:
        errors.append(ErrorDetail(f"部门 {item.department}（{item.region}）不存在", location=where))
    elif item.code[:18] != uscc:
        errors.append(ErrorDetail("实施编码前18位必须是实施部门的统一社会信用代码", location=where))
    expected_level = LEVEL_BY_REGION_LEVEL[region_level(item.region)]
    if item.level != expected_level:
        errors.append(
            ErrorDetail(f"行使层级应为 {expected_level}（与实施区划一致）", location=where)
        )
    if item.code[30] != str(item.level) or not item.code[31:].isdigit():
        errors.append(
            ErrorDetail("实施编码第31位应为行使层级，后5位为业务办理项序号", location=where)
        )
    return errors


def _check_bundle(
    bundle: Bundle,
    items: dict[str, Item],
    depts: dict[tuple[str, str], str],
    regions: set[str],
    where: str,
) -> list[ErrorDetail]:
    errors: list[ErrorDetail] = []
    if bundle.region not in regions:
        errors.append(ErrorDetail(f"行政区划 {bundle.region} 不存在", location=where))
    if not any((r, bundle.lead_department) in depts for r in region_ancestors(bundle.region)):
        errors.append(ErrorDetail(f"牵头部门 {bundle.lead_department} 不存在", location=where))
    codes = {bi.item for bi in bundle.items}
    material_keys = {m.key for m in bundle.materials}
    field_types: dict[str, tuple[str, str]] = {
        f.key: (f.type.value, "一件事") for f in bundle.fields
    }
    for i, bi in enumerate(bundle.items):
        item = items.get(bi.item)
        loc = f"{where}.items[{i}]"
        if item is None:
            errors.append(ErrorDetail(f"事项 {bi.item} 不存在", location=loc))
            continue
        if bundle.target.value not in {s.value for s in item.service_object}:
            errors.append(
                ErrorDetail(f"事项《{item.name}》的服务对象不包含本一件事的对象", location=loc)
            )
        material_keys.update(m.key for m in item.materials)
        for f in item.fields:
            seen = field_types.setdefault(f.key, (f.type.value, item.name))
            if seen[0] != f.type.value:
                errors.append(
                    ErrorDetail(
                        f"表单字段 {f.key} 在《{item.name}》中是 {f.type.value}，"
                        f"在《{seen[1]}》中是 {seen[0]}",
                        location=loc,
                    )
                )
        for dep in bi.after:
            if dep not in codes:
                errors.append(
                    ErrorDetail(f"前置事项 {dep} 不在本一件事中", location=f"{loc}.after")
                )
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for bi in bundle.items:
        sorter.add(bi.item, *[d for d in bi.after if d in codes])
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = " → ".join(items[c].name if c in items else c for c in exc.args[1])
        errors.append(ErrorDetail(f"事项前后依赖成环：{cycle}", location=f"{where}.items"))
    included: set[str] = set()
    for si, sit in enumerate(bundle.situations):
        for oi, opt in enumerate(sit.options):
            loc = f"{where}.situations[{si}].options[{oi}]"
            included.update(opt.include_items)
            for ref in [*opt.include_items, *opt.exclude_items]:
                if ref not in codes:
                    errors.append(ErrorDetail(f"情形引用的事项 {ref} 不在本一件事中", location=loc))
            for mref in [*opt.include_materials, *opt.exclude_materials]:
                if mref not in material_keys:
                    errors.append(ErrorDetail(f"情形引用的材料 {mref} 不存在", location=loc))
    for i, bi in enumerate(bundle.items):
        if bi.optional and bi.item not in included:
            errors.append(
                ErrorDetail("可选事项没有任何情形选项会选中它", location=f"{where}.items[{i}]")
            )
    return errors


def check_path(path: Path, known: Known | None = None) -> tuple[CatalogSet, list[ErrorDetail]]:
    """Parse and cross-check a file or directory: the one check behind import, CLI and tool."""
    cat, errors = read_catalog(path)
    return cat, errors or check_catalog(cat, known)
