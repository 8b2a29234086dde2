"""`onething policies match` on files, as an analyst runs it: CSV or Parquet profiles and YAML
or JSON policies in, (policy_id, profile_id) pairs out, agreeing with json-logic pair for pair;
bad files get a clear message and no output."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml

from onething.policies.offline import match_files
from onething.profiles.attributes import ProfileKind, with_derived
from tests.policies.test_engine_agrees import reference

ON = dt.date(2026, 12, 1)
POLICIES: list[dict[str, Any]] = [
    {
        "id": "elder",
        "conditions": {
            "and": [
                {"in_region": [{"var": "hukou_region"}, "410100"]},
                {">=": [{"var": "age"}, 80]},
            ]
        },
    },
    {
        "id": "poor_disabled",
        "conditions": {
            "and": [
                {"var": "disability_cert"},
                {"==": [{"var": "dibao_member"}, True]},
                {"!": {"var": "tekun_person"}},
            ]
        },
    },
    {
        "id": "young_jobless",
        "conditions": {
            "and": [
                {"<=": [16, {"var": "age"}, 24]},
                {"in": [{"var": "employment_status"}, ["登记失业", "未就业"]]},
            ]
        },
    },
    {
        "id": "low_income",
        "conditions": {
            "or": [
                {"<": [{"var": "family_income_per_capita"}, 800]},
                {"==": [{"var": "low_income_family"}, True]},
            ]
        },
    },
    {
        "id": "new_mother",
        "conditions": {
            "and": [
                {"==": [{"var": "gender"}, "女"]},
                {">=": [{"var": "childbirth_date"}, "2025-06-01"]},
            ]
        },
    },
    {"id": "not_erqi", "conditions": {"!": {"in": ["410103", {"var": "hukou_region"}]}}},
]


def people(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        row: dict[str, Any] = {"profile_id": f"P{i:05d}"}

        def maybe() -> bool:
            return rng.random() > 0.1  # a tenth of the cells are empty

        if maybe():
            row["birth_date"] = (ON - dt.timedelta(days=rng.randrange(0, 36500))).isoformat()
        if maybe():
            row["hukou_region"] = rng.choice(["410103", "410102", "410103001001", "310101"])
        if maybe():
            row["gender"] = rng.choice(["男", "女"])
        for flag in ("disability_cert", "dibao_member", "tekun_person", "low_income_family"):
            if maybe():
                row[flag] = rng.random() < 0.3
        if maybe():
            row["employment_status"] = rng.choice(["在职参保", "登记失业", "未就业", "在校"])
        if maybe():
            row["family_income_per_capita"] = round(rng.uniform(0, 3000), 1)
        if maybe():
            row["childbirth_date"] = (ON - dt.timedelta(days=rng.randrange(0, 1000))).isoformat()
        out.append(row)
    return out


def expected_pairs(rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
    pairs = set()
    for row in rows:
        values = with_derived(
            {k: v for k, v in row.items() if k != "profile_id"}, ON, ProfileKind.person
        )
        for p in POLICIES:
            if reference(p["conditions"], values):
                pairs.add((p["id"], row["profile_id"]))
    return pairs


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    columns = sorted({k for r in rows for k in r})
    table = pa.table(
        {
            c: pa.array(
                [
                    None
                    if r.get(c) is None
                    else str(r[c]).lower()
                    if isinstance(r.get(c), bool)
                    else str(r[c])
                    for r in rows
                ],
                pa.string(),
            )
            for c in columns
        }
    )
    pacsv.write_csv(table, path)


def result_pairs(path: Path) -> set[tuple[str, str]]:
    table = pq.read_table(path)
    assert table.column_names == ["policy_id", "profile_id"]
    return set(
        zip(
            table.column("policy_id").to_pylist(),
            table.column("profile_id").to_pylist(),
            strict=True,
        )
    )


def test_csv_and_yaml_agree_with_jsonlogic_pair_for_pair(tmp_path: Path) -> None:
    rows = people(3000)
    write_csv(rows, tmp_path / "profiles.csv")
    (tmp_path / "policies.yaml").write_text(
        yaml.safe_dump(POLICIES, allow_unicode=True), encoding="utf-8"
    )
    report = match_files(
        tmp_path / "profiles.csv", tmp_path / "policies.yaml", tmp_path / "out.parquet", ON
    )
    want = expected_pairs(rows)
    assert result_pairs(tmp_path / "out.parquet") == want
    assert report.pairs == len(want) > 0
    assert all(report.eligible[p["id"]] > 0 for p in POLICIES)


def test_parquet_with_typed_columns_and_a_given_age(tmp_path: Path) -> None:
    rows = people(2000, seed=11)
    for r in rows[::3]:
        r["age"] = random.Random(r["profile_id"]).randrange(0, 100)  # a given age wins
    columns = sorted({k for r in rows for k in r})
    pq.write_table(
        pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows]), tmp_path / "p.parquet"
    )
    (tmp_path / "p.json").write_text(
        json.dumps({"policies": POLICIES}, ensure_ascii=False), encoding="utf-8"
    )
    match_files(tmp_path / "p.parquet", tmp_path / "p.json", tmp_path / "out.parquet", ON)
    assert result_pairs(tmp_path / "out.parquet") == expected_pairs(rows)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onething.cli", "policies", "match", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_the_command_writes_pairs_and_reports_json(tmp_path: Path) -> None:
    rows = people(500, seed=3)
    write_csv(rows, tmp_path / "profiles.csv")
    (tmp_path / "policies.yaml").write_text(
        yaml.safe_dump(POLICIES, allow_unicode=True), encoding="utf-8"
    )
    out = tmp_path / "pairs.parquet"
    proc = run_cli(
        "--profiles",
        str(tmp_path / "profiles.csv"),
        "--policies",
        str(tmp_path / "policies.yaml"),
        "--out",
        str(out),
        "--on",
        "2026-12-01",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["profiles"] == 500
    assert report["pairs"] == len(result_pairs(out)) == len(expected_pairs(rows))


@pytest.mark.parametrize(
    ("policies", "profiles", "message"),
    [
        (
            [{"id": "a", "conditions": {">=": [{"var": "agee"}, 1]}}],
            "profile_id,age\n1,3\n",
            "未知属性“agee”",
        ),
        (
            [
                {"id": "a", "conditions": {">=": [{"var": "age"}, 1]}},
                {"id": "a", "conditions": True},
            ],
            "profile_id,age\n1,3\n",
            "政策 id a 重复",
        ),
        ([{"conditions": True}], "profile_id,age\n1,3\n", "缺少必填字段"),
        ([{"id": "a", "conditions": True}], "age\n3\n", "缺少 profile_id 列"),
        (
            [{"id": "a", "conditions": True}],
            "profile_id,gender\n1,男\n2,未知\n",
            "gender 列有无法识别的值“未知”",
        ),
        ([{"id": "a", "conditions": True}], "profile_id,age\n1,三\n", "age 列应全部为数值"),
        ([{"id": "a", "conditions": True}], "profile_id,age\n1,3.5\n", "age 列应全部为整数"),
        (
            [{"id": "a", "conditions": True}],
            "profile_id,birth_date\n1,1990/1/1\n",
            "birth_date 列应全部为日期",
        ),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(
    tmp_path: Path, policies: list[Any], profiles: str, message: str
) -> None:
    (tmp_path / "pol.yaml").write_text(
        yaml.safe_dump(policies, allow_unicode=True), encoding="utf-8"
    )
    (tmp_path / "pro.csv").write_text(profiles, encoding="utf-8")
    out = tmp_path / "out.parquet"
    proc = run_cli(
        "--profiles",
        str(tmp_path / "pro.csv"),
        "--policies",
        str(tmp_path / "pol.yaml"),
        "--out",
        str(out),
    )
    assert proc.returncode == 1
    assert message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_missing_files_are_named(tmp_path: Path) -> None:
    proc = run_cli(
        "--profiles",
        str(tmp_path / "none.csv"),
        "--policies",
        str(tmp_path / "none.yaml"),
        "--out",
        str(tmp_path / "o.parquet"),
    )
    assert proc.returncode == 1
    assert "政策文件不存在" in proc.stderr
