"""Policies as data: check, save with versions, import and export YAML, and the one-profile
answer to "我能享受哪些政策" (what it meets, and for what it nearly meets, why not)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from onething.catalog.models import Department, Region
from onething.catalog.yamlio import load_model, write_yaml, yaml_files
from onething.core.audit import Actor, record_event
from onething.core.errors import DomainError, ErrorDetail, not_found
from onething.core.ids import short_region_code
from onething.db import utcnow
from onething.policies.explain import describer
from onething.policies.models import Policy, PolicyVersion
from onething.policies.rules import Node, Predicate, Unmet, check_conditions, compile_node, unmet
from onething.policies.schemas import Mode, Period, PolicyDoc, PolicyFile
from onething.profiles.attributes import ProfileKind, with_derived

NEARLY = 2
"""A policy is "nearly met" when at most this many of its conditions fail."""


# ---------------------------------------------------------------- compiled policies


@dataclass(frozen=True)
class CompiledPolicy:
    id: int
    code: str
    version: int
    target: ProfileKind
    mode: Mode
    tree: Node
    holds: Predicate
    amount: Decimal | None
    tiers: tuple[tuple[Predicate, Decimal], ...]
    tier_trees: tuple[tuple[Node, Decimal], ...]
    period: Period

    def amount_for(self, values: Mapping[str, Any]) -> Decimal | None:
        for when, amount in self.tiers:
            if when(values):
                return amount
        return self.amount


_compiled: dict[tuple[int, int], CompiledPolicy] = {}


def _tree(rule: Any, kind: ProfileKind, where: str) -> Node:
    tree, errors = check_conditions(rule, kind, where)
    if errors:
        raise DomainError("policy_conditions_invalid", "政策条件有误", 422, details=errors)
    return tree


def compile_policy(policy: Policy) -> CompiledPolicy:
    """The policy's conditions as closures, cached per version."""
    key = (policy.id, policy.version)
    hit = _compiled.get(key)
    if hit is not None:
        return hit
    kind = ProfileKind(policy.target)
    tree = _tree(policy.conditions, kind, "conditions")
    benefit = policy.benefit
    tier_trees = tuple(
        (_tree(t["when"], kind, f"benefit.tiers[{i}]"), Decimal(str(t["amount"])))
        for i, t in enumerate(benefit.get("tiers", []))
    )
    amount = benefit.get("amount")
    out = CompiledPolicy(
        id=policy.id,
        code=policy.code,
        version=policy.version,
        target=kind,
        mode=Mode(policy.mode),
        tree=tree,
        holds=compile_node(tree),
        amount=Decimal(str(amount)) if amount is not None else None,
        tiers=tuple((compile_node(t), a) for t, a in tier_trees),
        tier_trees=tier_trees,
        period=Period(benefit.get("period", "once")),
    )
    _compiled[key] = out
    return out


def period_of(period: Period, on: dt.date) -> str:
    """The benefit period a grant belongs to: a grant is made once per profile and period."""
    if period == Period.monthly:
        return f"{on.year}-{on.month:02d}"
    if period == Period.quarterly:
        return f"{on.year}-Q{(on.month - 1) // 3 + 1}"
    if period == Period.yearly:
        return str(on.year)
    return "once"


# ---------------------------------------------------------------- queries


def is_active(policy: Policy, on: dt.date) -> bool:
    return (
        not policy.retired
        and policy.valid_from <= on
        and (policy.valid_to is None or policy.valid_to >= on)
    )


def active_policies(session: Session, on: dt.date, kind: ProfileKind | None = None) -> list[Policy]:
    stmt = select(Policy).where(
        Policy.retired.is_(False),
        Policy.valid_from <= on,
        or_(Policy.valid_to.is_(None), Policy.valid_to >= on),
    )
    if kind is not None:
        stmt = stmt.where(Policy.target == kind.value)
    return list(session.scalars(stmt.order_by(Policy.code)))


def list_policies(
    session: Session,
    *,
    target: str | None = None,
    mode: str | None = None,
    department_id: int | None = None,
    include_retired: bool = False,
) -> list[Policy]:
    stmt = select(Policy)
    if target:
        stmt = stmt.where(Policy.target == target)
    if mode:
        stmt = stmt.where(Policy.mode == mode)
    if department_id is not None:
        stmt = stmt.where(Policy.department_id == department_id)
    if not include_retired:
        stmt = stmt.where(Policy.retired.is_(False))
    return list(session.scalars(stmt.order_by(Policy.code)))


def get_policy(session: Session, code: str) -> Policy | None:
    return session.scalar(select(Policy).where(Policy.code == code))


def load_policy(session: Session, code: str) -> Policy:
    policy = get_policy(session, code)
    if policy is None:
        raise not_found("政策", code)
    return policy


def region_names(session: Session) -> dict[str, str]:
    return {r.code: r.name for r in session.scalars(select(Region))}


# ---------------------------------------------------------------- documents


def policy_doc(policy: Policy) -> PolicyDoc:
    return PolicyDoc(
        code=policy.code,
        name=policy.name,
        region=policy.region_code,
        department=policy.department.code,
        legal_basis=policy.legal_basis,
        target=ProfileKind(policy.target),
        mode=Mode(policy.mode),
        summary=policy.summary,
        benefit=policy.benefit,
        valid_from=policy.valid_from,
        valid_to=policy.valid_to,
        conditions=policy.conditions,
        how_to_apply=policy.how_to_apply,
        online=policy.online,
        source=policy.source,
    )


def dump_doc(doc: PolicyDoc) -> dict[str, Any]:
    """For YAML and JSON columns: defaults left out, the region as its short code."""
    out = doc.model_dump(mode="json", exclude_defaults=True)
    out["region"] = short_region_code(doc.region)
    out["conditions"] = doc.conditions
    return out


def check_doc(session: Session | None, doc: PolicyDoc, where: str) -> list[ErrorDetail]:
    """Every problem with one policy: its conditions and tiers against the dictionary, its
    department (when a database is at hand), its mode and how to apply."""
    errors: list[ErrorDetail] = []
    for rule, path in [(doc.conditions, "conditions")] + [
        (t.when, f"benefit.tiers[{i}].when") for i, t in enumerate(doc.benefit.tiers)
    ]:
        _, found = check_conditions(rule, doc.target, f"{where}:{path}")
        errors.extend(found)
    if doc.mode != Mode.auto_grant and not doc.how_to_apply:
        errors.append(ErrorDetail("推送和依申请的政策须写明申请方式 how_to_apply", location=where))
    if session is not None and _department(session, doc) is None:
        errors.append(
            ErrorDetail(
                f"{short_region_code(doc.region)} 没有编码为 {doc.department} 的部门",
                location=f"{where}:department",
            )
        )
    return errors


def _department(session: Session, doc: PolicyDoc) -> Department | None:
    return session.scalar(
        select(Department).where(
            Department.region_code == doc.region, Department.code == doc.department
        )
    )


def read_policy_files(path: Path) -> tuple[list[PolicyDoc], list[ErrorDetail]]:
    """Every policy in a file or directory, checked whole; all problems at once."""
    if not path.exists():
        return [], [ErrorDetail("文件或目录不存在", location=str(path))]
    docs: list[PolicyDoc] = []
    errors: list[ErrorDetail] = []
    seen: dict[str, str] = {}
    for file in yaml_files(path):
        label = file.name if path.is_dir() else str(file)
        parsed, found = load_model(file, label, PolicyFile, "policies")
        errors.extend(found)
        if parsed is None:
            continue
        for i, doc in enumerate(parsed.policies):
            where = f"{label}:policies[{i}]"
            if doc.code in seen:
                errors.append(
                    ErrorDetail(f"政策编码 {doc.code} 与 {seen[doc.code]} 重复", location=where)
                )
            seen[doc.code] = where
            errors.extend(check_doc(None, doc, where))
            docs.append(doc)
    return docs, errors


def save_policy(
    session: Session, actor: Actor, doc: PolicyDoc, *, rematch: bool = True
) -> tuple[Policy, str]:
    """Create or change a policy ("created", "updated" or "unchanged"); a change keeps the
    previous version and is matched again against every profile."""
    errors = check_doc(session, doc, doc.code)
    if errors:
        raise DomainError(
            "policy_invalid", f"政策 {doc.code} 有 {len(errors)} 处错误", 422, details=errors
        )
    department = _department(session, doc)
    assert department is not None
    policy = get_policy(session, doc.code)
    after = dump_doc(doc)
    if policy is not None:
        before = dump_doc(policy_doc(policy))
        if before == after and not policy.retired:
            return policy, "unchanged"
        session.add(PolicyVersion(policy_id=policy.id, version=policy.version, doc=before))
        policy.version += 1
        outcome = "updated"
    else:
        before = None
        policy = Policy(code=doc.code, version=1)
        session.add(policy)
        outcome = "created"
    policy.name = doc.name
    policy.region_code = doc.region
    policy.department_id = department.id
    policy.department = department
    policy.target = doc.target.value
    policy.mode = doc.mode.value
    policy.legal_basis = doc.legal_basis
    policy.summary = doc.summary
    policy.benefit = doc.benefit.model_dump(mode="json")
    policy.valid_from = doc.valid_from
    policy.valid_to = doc.valid_to
    policy.conditions = doc.conditions
    policy.how_to_apply = doc.how_to_apply
    policy.online = doc.online
    policy.source = doc.source
    policy.retired = False
    policy.updated_at = utcnow()
    session.flush()
    record_event(
        session,
        f"policies:policy:{outcome}",
        "policy",
        policy.code,
        actor,
        before=before,
        after=after,
        data={"version": policy.version},
        region_code=policy.region_code,
    )
    if rematch:
        from onething.policies.matching import rematch_policy

        rematch_policy(session, actor, policy)
    return policy, outcome


def retire_policy(session: Session, actor: Actor, policy: Policy) -> None:
    """A retired policy matches no one; its grants and pushes stay as they are."""
    if policy.retired:
        return
    policy.retired = True
    policy.updated_at = utcnow()
    record_event(
        session,
        "policies:policy:retired",
        "policy",
        policy.code,
        actor,
        region_code=policy.region_code,
    )
    from onething.policies.matching import rematch_policy

    rematch_policy(session, actor, policy)


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def import_policies(
    session: Session, actor: Actor, path: Path, *, rematch: bool = True
) -> ImportReport:
    """All of it or nothing: every file and every policy is checked before anything is saved."""
    docs, errors = read_policy_files(path)
    for doc in docs:
        if _department(session, doc) is None:
            errors.append(
                ErrorDetail(
                    f"{short_region_code(doc.region)} 没有编码为 {doc.department} 的部门",
                    location=f"{doc.code}:department",
                )
            )
    if errors:
        raise DomainError(
            "policies_invalid", f"政策数据有 {len(errors)} 处错误", 422, details=errors
        )
    report = ImportReport()
    for doc in docs:
        _, outcome = save_policy(session, actor, doc, rematch=rematch)
        getattr(report, outcome).append(doc.code)
    return report


def export_policies(session: Session, out: Path) -> list[Path]:
    """One file per target, policies by code: export → import → export is identical."""
    written = []
    for kind in ProfileKind:
        docs = [dump_doc(policy_doc(p)) for p in list_policies(session, target=kind.value)]
        if docs:
            path = out / f"{kind.value}.yaml"
            write_yaml(path, {"policies": docs})
            written.append(path)
    return written


def history(session: Session, policy: Policy) -> list[PolicyVersion]:
    stmt = select(PolicyVersion).where(PolicyVersion.policy_id == policy.id)
    return list(session.scalars(stmt.order_by(PolicyVersion.version.desc())))


# ---------------------------------------------------------------- one profile


@dataclass(frozen=True)
class PolicyAnswer:
    code: str
    eligible: bool
    unmet: tuple[Unmet, ...]
    amount: Decimal | None


def answer_values(
    compiled: Sequence[CompiledPolicy],
    values: Mapping[str, Any],
    explain: Any,
    nearly: int = NEARLY,
) -> list[PolicyAnswer]:
    """Every policy the values meet, and those with at most `nearly` failing conditions with
    the reasons; the fast path behind one profile's page (bench/policies)."""
    out = []
    for c in compiled:
        if c.holds(values):
            out.append(PolicyAnswer(c.code, True, (), c.amount_for(values)))
            continue
        reasons = unmet(c.tree, values, explain, cap=nearly)
        if reasons:
            out.append(PolicyAnswer(c.code, False, tuple(reasons), c.amount_for(values)))
    return out


@dataclass(frozen=True)
class ProfilePolicies:
    eligible: list[tuple[Policy, PolicyAnswer]]
    nearly: list[tuple[Policy, PolicyAnswer]]


def policies_for_values(
    session: Session, kind: ProfileKind, values: Mapping[str, Any], on: dt.date
) -> ProfilePolicies:
    """我能享受哪些政策 for one profile's values as of `on`."""
    policies = active_policies(session, on, kind)
    by_code = {p.code: p for p in policies}
    explain = describer(region_names(session))
    answers = answer_values(
        [compile_policy(p) for p in policies], with_derived(dict(values), on, kind), explain
    )
    eligible = [(by_code[a.code], a) for a in answers if a.eligible]
    nearly = sorted(
        ((by_code[a.code], a) for a in answers if not a.eligible), key=lambda pa: len(pa[1].unmet)
    )
    return ProfilePolicies(eligible, nearly)


def codes(policies: Iterable[Policy]) -> list[str]:
    return [p.code for p in policies]
