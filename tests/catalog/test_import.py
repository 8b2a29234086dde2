from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from onething.catalog.models import Bundle, ServiceItem, ServiceItemVersion
from onething.catalog.service import export_catalog, import_catalog, load_item
from onething.core.audit import SYSTEM
from onething.core.errors import DomainError
from tests.catalog.builders import bundle_doc, item_doc, write


def _counts(db: Session) -> tuple[int, int]:
    return (
        db.scalar(sa.select(sa.func.count()).select_from(ServiceItem)) or 0,
        db.scalar(sa.select(sa.func.count()).select_from(Bundle)) or 0,
    )


def _errors(db: Session, path: Path) -> list[str]:
    before = _counts(db)
    with pytest.raises(DomainError) as exc:
        import_catalog(db, SYSTEM, path)
    assert exc.value.code == "catalog_invalid"
    assert _counts(db) == before, "a rejected import must change nothing"
    return [f"{d.location} {d.message}" for d in exc.value.details]


def test_import_creates_then_is_idempotent(db: Session, tmp_path: Path) -> None:
    a, b = item_doc("900001001000", "测试许可甲"), item_doc("900001002000", "测试许可乙")
    write(tmp_path / "items.yaml", {"items": [a, b]})
    write(tmp_path / "bundle.yaml", {"bundles": [bundle_doc([a["code"], b["code"]])]})
    first = import_catalog(db, SYSTEM, tmp_path)
    assert first.created == {"items": 2, "bundles": 1}
    again = import_catalog(db, SYSTEM, tmp_path)
    assert again.created == {}
    assert again.updated == {}
    assert again.unchanged == {"items": 2, "bundles": 1}


def test_a_changed_item_keeps_its_previous_version(db: Session, tmp_path: Path) -> None:
    doc = item_doc()
    write(tmp_path / "a.yaml", {"items": [doc]})
    import_catalog(db, SYSTEM, tmp_path)
    doc["promised_days"] = 3
    write(tmp_path / "a.yaml", {"items": [doc]})
    report = import_catalog(db, SYSTEM, tmp_path)
    assert report.updated == {"items": 1}
    row = load_item(db, doc["code"])
    assert (row.version, row.promised_days) == (2, 3)
    old = db.scalars(
        sa.select(ServiceItemVersion).where(ServiceItemVersion.item_id == row.id)
    ).all()
    assert [(v.version, v.snapshot["promised_days"]) for v in old] == [(1, 5)]


def test_malformed_yaml_is_rejected_with_its_line(db: Session, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("items:\n  - code: [unclosed\n", encoding="utf-8")
    errors = _errors(db, tmp_path)
    assert len(errors) == 1
    assert errors[0].startswith("bad.yaml:")
    assert "YAML 语法错误" in errors[0]


def test_every_error_is_listed_with_file_and_path(db: Session, tmp_path: Path) -> None:
    good = item_doc("900001001000")
    unknown_field = item_doc("900001002000", colour="红")
    bad_days = item_doc("900001003000", promised_days=0)
    bad_code = item_doc("900001004000", code="12345")
    write(tmp_path / "one.yaml", {"items": [good, unknown_field]})
    write(tmp_path / "two.yaml", {"items": [bad_days, bad_code]})
    errors = _errors(db, tmp_path)
    assert any(e.startswith("one.yaml:items[1].colour") and "未知字段" in e for e in errors)
    assert any(e.startswith("two.yaml:items[0].promised_days") for e in errors)
    assert any(e.startswith("two.yaml:items[1].code") and "格式不正确" in e for e in errors)


def test_unknown_department_and_wrong_code_prefix(db: Session, tmp_path: Path) -> None:
    doc = item_doc(department="nosuch")
    write(tmp_path / "a.yaml", {"items": [doc]})
    errors = _errors(db, tmp_path)
    assert any("部门 nosuch" in e and "不存在" in e for e in errors)
    doc = item_doc(code="91110000600037341L" + "900001001000" + "400001")
    write(tmp_path / "a.yaml", {"items": [doc]})
    assert any("统一社会信用代码" in e for e in _errors(db, tmp_path))


def test_dependency_cycle_is_named(db: Session, tmp_path: Path) -> None:
    a, b, c = (item_doc(f"90000100{i}000", f"事项{i}") for i in (1, 2, 3))
    bundle = bundle_doc([a["code"], b["code"], c["code"]])
    bundle["items"][0]["after"] = [c["code"]]
    bundle["items"][1]["after"] = [a["code"]]
    bundle["items"][2]["after"] = [b["code"]]
    write(tmp_path / "items.yaml", {"items": [a, b, c]})
    write(tmp_path / "bundle.yaml", {"bundles": [bundle]})
    errors = _errors(db, tmp_path)
    assert any("成环" in e and "事项1" in e and "事项3" in e for e in errors)


def test_bundle_references_are_checked(db: Session, tmp_path: Path) -> None:
    a = item_doc()
    bundle = bundle_doc([a["code"], "9" * 36])
    bundle["items"][0]["optional"] = True
    bundle["situations"] = [
        {
            "key": "q",
            "question": "是否？",
            "options": [
                {"value": "yes", "label": "是", "include_materials": ["nope"]},
                {"value": "no", "label": "否"},
            ],
        }
    ]
    write(tmp_path / "x.yaml", {"items": [a], "bundles": [bundle]})
    errors = _errors(db, tmp_path)
    assert any(f"事项 {'9' * 36} 不存在" in e for e in errors)
    assert any("材料 nope 不存在" in e for e in errors)
    assert any("可选事项没有任何情形选项会选中它" in e for e in errors)


def test_duplicate_definitions_across_files(db: Session, tmp_path: Path) -> None:
    doc = item_doc()
    write(tmp_path / "a.yaml", {"items": [doc]})
    write(tmp_path / "b.yaml", {"items": [doc]})
    errors = _errors(db, tmp_path)
    assert any("重复定义" in e and "a.yaml" in e for e in errors)


def test_export_import_export_is_byte_identical(db: Session, tmp_path: Path) -> None:
    first = tmp_path / "first"
    second = tmp_path / "second"
    files = export_catalog(db, first)
    report = import_catalog(db, SYSTEM, first)
    assert (report.created, report.updated) == ({}, {}), "re-importing an export changes nothing"
    export_catalog(db, second)
    for f in files:
        rel = f.relative_to(first)
        assert (second / rel).read_bytes() == f.read_bytes(), rel
    assert sorted(p.relative_to(second) for p in second.rglob("*.yaml")) == sorted(
        p.relative_to(first) for p in files
    )


def test_shipped_catalog_has_every_national_bundle(db: Session) -> None:
    names = set(db.scalars(sa.select(Bundle.name)))
    expected = {
        "企业信息变更",
        "开办运输企业",
        "开办餐饮店",
        "员工录用",
        "企业破产信息核查",
        "企业上市合法合规信息核查",
        "水电气网联合报装",
        "新生儿出生",
        "教育入学",
        "社会保障卡居民服务",
        "残疾人服务",
        "退休",
        "身后",
        "科技型企业创新政策扶持",
        "信用修复",
        "二手房转移登记及水电气网联动过户",
        "公民婚育",
        "申请公租房",
        "军人退役",
        "户口迁移",
        "个体工商户转型为企业",
    }
    assert expected <= names
