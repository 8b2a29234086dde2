"""Builders for catalog YAML used by the tests: small, valid, and easy to break on purpose."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SCJGJ_USCC = "114101030003000205"  # 二七区市场监督管理局 in the shipped departments.yaml
CGJ_USCC = "11410103000300011X"


def item_code(uscc: str, base: str, serial: int = 1, level: int = 4) -> str:
    return f"{uscc}{base}{level}{serial:05d}"


def item_doc(base: str = "900001001000", name: str = "测试许可", **over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "code": item_code(SCJGJ_USCC, base),
        "base_code": base,
        "name": name,
        "type": "01",
        "department": "scjgj",
        "region": "410103",
        "level": 4,
        "legal_basis": "《中华人民共和国行政许可法》第二十九条",
        "conditions": "申请人具备与经营项目相适应的场所和设备。",
        "statutory_days": 20,
        "promised_days": 5,
        "result_type": "证照",
        "result_name": name + "证",
        "visits": 1,
        "online_depth": [1, 2, 3, 4],
        "service_object": ["enterprise"],
        "materials": [
            {
                "key": "business_licence",
                "name": "营业执照",
                "type": "1",
                "source": "20",
                "shared": True,
                "acceptance_standard": "在有效期内",
            },
            {
                "key": "application_form_" + base,
                "name": name + "申请书",
                "type": "2",
                "acceptance_standard": "填写完整并加盖公章",
            },
        ],
        "fields": [
            {"key": "enterprise_name", "label": "企业名称", "profile_attribute": "enterprise.name"},
            {"key": "uscc", "label": "统一社会信用代码", "type": "uscc"},
        ],
        "steps": [
            {"name": "受理", "days": 0},
            {"name": "审查", "days": 3},
            {"name": "决定", "days": 2},
        ],
    }
    doc.update(over)
    return doc


def bundle_doc(codes: list[str], **over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "code": "test_bundle",
        "name": "测试开办",
        "target": "enterprise",
        "theme": "准入准营",
        "batch": "2024-1",
        "region": "410103",
        "lead_department": "scjgj",
        "summary": "用于测试的一件事。",
        "items": [{"item": c} for c in codes],
    }
    doc.update(over)
    return doc


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
