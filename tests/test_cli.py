"""The command line as an administrator runs it, on its own embedded database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Run:
    var = tmp_path_factory.mktemp("cli-var")
    env = {
        **os.environ,
        "ONETHING_VAR_DIR": str(var),
        "ONETHING_DATABASE_URL": "",
        "COLUMNS": "200",
    }

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "onething.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    run("db", "upgrade")
    run("demo")
    return run


def test_demo_is_safe_to_run_twice(cli: Run) -> None:
    out = cli("demo").stdout
    assert "'created': {}" in out
    assert "window" in out
    assert "onething2026" in out


def test_catalog_list_json(cli: Run) -> None:
    rows = json.loads(cli("catalog", "list", "--json").stdout)
    assert len(rows) >= 21
    food = next(r for r in rows if r["name"] == "开办餐饮店")
    assert food["target"] == "enterprise"
    assert any("食品经营许可" in i["name"] for i in food["items"])


def test_catalog_metrics_json_show_reductions(cli: Run) -> None:
    metrics = {m["name"]: m for m in json.loads(cli("catalog", "metrics", "--json").stdout)}
    for name in ("新生儿出生", "开办餐饮店"):
        m = metrics[name]
        assert m["reduction"]["materials"] > 0, name
        assert m["reduction"]["days"] > 0, name
        assert m["reduction"]["visits"] > 0, name
        assert m["as_bundle"]["days"] < m["one_by_one"]["days"]


def test_bad_yaml_is_refused_with_reasons(cli: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("items:\n  - name: 无编码事项\n    colour: red\n", encoding="utf-8")
    proc = cli("catalog", "import", str(bad), check=False)
    assert proc.returncode == 1
    assert "未导入任何内容" in proc.stderr
    assert "items[0].colour: 未知字段" in proc.stderr
    assert "items[0].code: 缺少必填字段" in proc.stderr


def test_export_then_import_changes_nothing(cli: Run, tmp_path: Path) -> None:
    cli("catalog", "export", str(tmp_path / "out"))
    report = json.loads(cli("catalog", "import", str(tmp_path / "out")).stdout)
    assert report["created"] == {}
    assert report["updated"] == {}


def test_audit_chain_verifies(cli: Run) -> None:
    assert "审计链完整" in cli("audit", "verify").stdout


def test_calendar_add(cli: Run) -> None:
    assert cli("calendar", "add", "2025-01-24", "5").stdout.strip() == "2025-02-07"


def test_policies_run_twice_makes_no_duplicate_grant(cli: Run) -> None:
    first = json.loads(cli("policies", "run", "--json").stdout)
    second = json.loads(cli("policies", "run", "--json").stdout)
    assert first["profiles"] >= 1800
    assert first["policies"] >= 40
    assert second["grants"] == 0
    assert second["pushes"] == 0
    assert second["eligible"] == first["eligible"]
    metrics = json.loads(cli("policies", "metrics", "--json").stdout)
    granted = {m["code"]: m["granted"] for m in metrics}
    assert granted["P01"] > 0
    again = {
        m["code"]: m["granted"] for m in json.loads(cli("policies", "metrics", "--json").stdout)
    }
    assert again == granted


def test_policies_import_refuses_a_bad_file_whole(cli: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "policies:\n- code: Z1\n  name: 测试\n  region: '410103'\n  department: nosuch\n"
        "  legal_basis: x\n  target: person\n  mode: auto_grant\n  summary: x\n"
        "  benefit: {description: x}\n  valid_from: 2026-01-01\n"
        '  conditions: {">=": [{"var": "age"}, "八十"]}\n',
        encoding="utf-8",
    )
    proc = cli("policies", "import", str(bad), check=False)
    assert proc.returncode == 1
    assert '不能与 "八十" 比较' in proc.stderr
    assert "没有编码为 nosuch 的部门" in proc.stderr
    listed = json.loads(cli("policies", "list", "--json").stdout)
    assert "Z1" not in {p["code"] for p in listed}
    checked = cli("policies", "check", str(bad), check=False)
    assert checked.returncode == 1


def test_policies_for_one_person(cli: Run) -> None:
    out = json.loads(cli("policies", "for", "410103194003150020", "--json").stdout)
    assert "P01" in {e["code"] for e in out["eligible"]}
    missing = cli("policies", "for", "410103199901010000", check=False)
    assert missing.returncode == 1


def test_hotline_tick_and_train(cli: Run) -> None:
    report = json.loads(cli("hotline", "tick", "--json").stdout)
    assert set(report) >= {"checked", "dispatch_overdue", "yellow", "red", "escalated", "hotspots"}
    again = json.loads(cli("hotline", "tick", "--json").stdout)
    assert again["dispatch_overdue"] == 0
    assert again["hotspots"] == 0
    trained = json.loads(cli("hotline", "train", "--json").stdout)
    assert trained["held_out"] == 728
    assert trained["top1"] >= 0.85
    assert trained["model"].endswith("classifier.joblib")


def test_hotline_import_of_message_board_posts_is_all_or_nothing(cli: Run, tmp_path: Path) -> None:
    posts = [
        {
            "content": "航海中路小区门口的路灯坏了一个月了，晚上黑漆漆的",
            "caller_phone": "13812345678",
            "region_code": "410103",
            "address": "航海中路",
        },
        {
            "content": "想问一下开奶茶店要办哪些证",
            "caller_phone": "13912345678",
            "region_code": "410103",
        },
    ]
    good = tmp_path / "posts.jsonl"
    good.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in posts), encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps(posts[0], ensure_ascii=False)
        + "\n"
        + json.dumps({"content": "", "caller_phone": "1"}),
        encoding="utf-8",
    )
    refused = cli("hotline", "import", str(bad), "--operator", "operator", check=False)
    assert refused.returncode == 1
    assert "全部未导入" in refused.stderr
    assert "第2条" in refused.stderr
    done = cli("hotline", "import", str(good), "--operator", "operator")
    assert "已导入 2 条" in done.stdout
    wrong = cli(
        "hotline", "import", str(good), "--operator", "operator", "--channel", "phone", check=False
    )
    assert wrong.returncode == 1
