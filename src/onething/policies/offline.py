"""`onething policies match`: the engine on files, without a database.

Profiles come as Parquet or CSV with columns named as the attribute dictionary and an id column
`profile_id`; policies as YAML or JSON, a list (or `{"policies": [...]}`) of objects with `id`
(or `code`), `conditions` and optionally `target`. The result is Parquet with one row per
(policy_id, profile_id) pair that meets the policy.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml
from pydantic import ValidationError

from onething.catalog.yamlio import translate_error
from onething.core.errors import DomainError, ErrorDetail
from onething.policies import engine
from onething.policies.rules import Node, check_conditions
from onething.policies.schemas import OfflinePolicy
from onething.profiles.attributes import AttrType, load_dictionary

TEXT_TYPES = (AttrType.enum, AttrType.region, AttrType.code, AttrType.text, AttrType.bool)


def read_profiles(path: Path, on: dt.date) -> engine.ProfileTable:
    if not path.exists():
        raise DomainError("file_missing", f"画像文件不存在：{path}", 422)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            table = pq.read_table(path)
        elif suffix in (".csv", ".txt"):
            text = {
                a.name: pa.string()
                for a in load_dictionary().attributes.values()
                if a.type in TEXT_TYPES
            }
            table = pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(
                    column_types={**text, "profile_id": pa.string(), "kind": pa.string()},
                    strings_can_be_null=True,
                ),
            )
        else:
            raise DomainError("file_type", "画像文件应为 .parquet 或 .csv", 422)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DomainError("profiles_unreadable", f"画像文件无法读取：{exc}", 422) from None
    return engine.table_from_arrow(table, on)


def read_policies(path: Path) -> list[OfflinePolicy]:
    """Every policy in the file, or every problem in it at once."""
    if not path.exists():
        raise DomainError("file_missing", f"政策文件不存在：{path}", 422)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DomainError("policies_unreadable", f"政策文件无法解析：{exc}", 422) from None
    if isinstance(raw, dict):
        raw = raw.get("policies")
    if not isinstance(raw, list):
        raise DomainError("policies_unreadable", "政策文件应是政策列表，或含 policies 列表", 422)
    out: list[OfflinePolicy] = []
    errors: list[ErrorDetail] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        try:
            policy = OfflinePolicy.model_validate(item)
        except ValidationError as exc:
            errors.extend(
                ErrorDetail(translate_error(e), location=f"[{i}]." + ".".join(map(str, e["loc"])))
                for e in exc.errors()
            )
            continue
        if policy.id in seen:
            errors.append(ErrorDetail(f"政策 id {policy.id} 重复", location=f"[{i}]"))
        seen.add(policy.id)
        _, found = check_conditions(policy.conditions, policy.target, f"{policy.id}.conditions")
        errors.extend(found)
        out.append(policy)
    if errors:
        raise DomainError(
            "policies_invalid", f"政策文件有 {len(errors)} 处错误", 422, details=errors
        )
    return out


@dataclass
class MatchReport:
    profiles: int
    policies: int
    pairs: int
    seconds: float
    """Evaluation only, after the profiles are loaded."""
    load_seconds: float
    eligible: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "profiles": self.profiles,
            "policies": self.policies,
            "pairs": self.pairs,
            "seconds": self.seconds,
            "load_seconds": self.load_seconds,
            "checks_per_second": int(self.profiles * self.policies / self.seconds)
            if self.seconds
            else None,
            "eligible": self.eligible,
        }


def match_files(
    profiles_path: Path,
    policies_path: Path,
    out: Path,
    on: dt.date,
    progress: Callable[[str, int, int], None] | None = None,
) -> MatchReport:
    policies = read_policies(policies_path)
    started = time.perf_counter()
    table = read_profiles(profiles_path, on)
    loaded = time.perf_counter()
    if progress:
        progress(f"已读入 {table.size} 个画像", 1, 3)
    trees: dict[str, Node] = {p.id: check_conditions(p.conditions, p.target)[0] for p in policies}
    results = engine.evaluate(table, trees)
    evaluated = time.perf_counter()
    if progress:
        progress("已完成比对", 2, 3)
    targets = {p.id: p.target.value if p.target else None for p in policies}
    id_type = table.ids.type
    schema = pa.schema([("policy_id", pa.string()), ("profile_id", id_type)])
    report = MatchReport(
        table.size, len(policies), 0, round(evaluated - loaded, 4), round(loaded - started, 4)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(out, schema) as writer:
        for pid, ids in engine.pairs(table, results, targets):
            report.eligible[pid] = len(ids)
            report.pairs += len(ids)
            if len(ids):
                writer.write_table(
                    pa.table(
                        {
                            "policy_id": pa.repeat(pa.scalar(pid, pa.string()), len(ids)),
                            "profile_id": ids,
                        },
                        schema=schema,
                    )
                )
    if progress:
        progress(f"已写出 {report.pairs} 对", 3, 3)
    return report
