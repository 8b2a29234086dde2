"""精准匹配 on the database: every active policy against every profile (`policies run`), one
policy again when it changes, one profile again when its data changes. Each keeps the match
library (PolicyMatch) true and creates the grants and pushes that follow, exactly once."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from onething.core.audit import Actor
from onething.core.workdays import local_date
from onething.db import utcnow
from onething.policies import engine
from onething.policies.models import Policy, PolicyMatch, PolicyRun
from onething.policies.outcomes import ensure_outcomes, withdraw_pushes
from onething.policies.service import active_policies, compile_policy, is_active
from onething.profiles.attributes import ProfileKind, with_derived
from onething.profiles.models import Profile

Progress = Callable[[str, int, int], None]
"""(what is being done, steps done, steps in all)"""


@dataclass
class RunReport:
    profiles: int = 0
    policies: int = 0
    checks: int = 0
    eligible: int = 0
    newly_eligible: int = 0
    no_longer_eligible: int = 0
    grants: int = 0
    pushes: int = 0
    withdrawn: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _lock(session: Session) -> None:
    """One run at a time on PostgreSQL (SQLite serialises writers by itself)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(4711001)"))


def _profiles(session: Session, kind: ProfileKind) -> list[Profile]:
    return list(
        session.scalars(select(Profile).where(Profile.kind == kind.value).order_by(Profile.id))
    )


def _reconcile(
    session: Session,
    actor: Actor,
    policy: Policy,
    eligible: set[int],
    scope: set[int] | None,
    values: Mapping[int, tuple[Profile, Mapping[str, Any]]],
    on: dt.date,
    report: RunReport,
) -> None:
    """Bring the policy's match rows in line with `eligible` (for the profiles in `scope`, all
    when None), withdraw pushes of those who no longer qualify, and create outcomes."""
    stmt = select(PolicyMatch).where(PolicyMatch.policy_id == policy.id)
    if scope is not None:
        stmt = stmt.where(PolicyMatch.profile_id.in_(scope))
    rows = {m.profile_id: m for m in session.scalars(stmt)}
    now = utcnow()
    lost = []
    for profile_id, row in rows.items():
        if row.eligible and profile_id not in eligible:
            row.eligible, row.since = False, now
            lost.append(profile_id)
    for profile_id in eligible:
        found = rows.get(profile_id)
        if found is None:
            session.add(
                PolicyMatch(policy_id=policy.id, profile_id=profile_id, eligible=True, since=now)
            )
            report.newly_eligible += 1
        elif not found.eligible:
            found.eligible, found.since = True, now
            report.newly_eligible += 1
    report.no_longer_eligible += len(lost)
    report.withdrawn += withdraw_pushes(session, actor, policy, lost)
    report.eligible += len(eligible)
    if eligible and is_active(policy, on):
        counts = ensure_outcomes(
            session,
            actor,
            policy,
            compile_policy(policy),
            (values[i] for i in sorted(eligible)),
            on,
        )
        report.grants += counts.grants
        report.pushes += counts.pushes
    session.flush()


def _evaluate(
    profiles: list[Profile], policies: Iterable[Policy], on: dt.date
) -> tuple[dict[int, set[int]], dict[int, tuple[Profile, Mapping[str, Any]]]]:
    trees = {p.id: compile_policy(p).tree for p in policies}
    if not profiles or not trees:
        return {pid: set() for pid in trees}, {}
    table = engine.table_from_records([p.id for p in profiles], [p.values for p in profiles], on)
    bits = engine.evaluate(table, trees)
    ids = [p.id for p in profiles]
    eligible: dict[int, set[int]] = {
        pid: {ids[i] for i in engine.rows(b, table.size)} for pid, b in bits.items()
    }
    kind = ProfileKind(profiles[0].kind)
    values: dict[int, tuple[Profile, Mapping[str, Any]]] = {
        p.id: (p, with_derived(p.values, on, kind)) for p in profiles
    }
    return eligible, values


def run_all(
    session: Session, actor: Actor, on: dt.date | None = None, progress: Progress | None = None
) -> RunReport:
    """Every active policy against every profile with the columnar engine; run it as often as
    you like: matches follow the data and no grant or push is ever made twice."""
    started = time.perf_counter()
    on = on or local_date(utcnow())
    _lock(session)
    report = RunReport()
    active = active_policies(session, on)
    inactive = [
        p for p in session.scalars(select(Policy).order_by(Policy.code)) if not is_active(p, on)
    ]
    steps = len(active) + len(inactive) + 2
    done = 0

    def tick(what: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(what, done, steps)

    for kind in ProfileKind:
        policies = [p for p in active if p.target == kind.value]
        profiles = _profiles(session, kind)
        eligible, values = _evaluate(profiles, policies, on)
        tick(f"已比对{len(profiles)}个{'个人' if kind == ProfileKind.person else '企业'}画像")
        report.profiles += len(profiles)
        report.checks += len(profiles) * len(policies)
        for policy in policies:
            _reconcile(session, actor, policy, eligible[policy.id], None, values, on, report)
            tick(policy.name)
    for policy in inactive:
        _reconcile(session, actor, policy, set(), None, {}, on, report)
        tick(policy.name)
    report.policies = len(active)
    report.seconds = round(time.perf_counter() - started, 3)
    _record(session, "all", report)
    return report


def rematch_policy(
    session: Session, actor: Actor, policy: Policy, on: dt.date | None = None
) -> RunReport:
    """One policy again (after it was saved or retired), against its target's profiles."""
    started = time.perf_counter()
    on = on or local_date(utcnow())
    report = RunReport(policies=1)
    if is_active(policy, on):
        profiles = _profiles(session, ProfileKind(policy.target))
        eligible, values = _evaluate(profiles, [policy], on)
        report.profiles = len(profiles)
        report.checks = len(profiles)
        _reconcile(session, actor, policy, eligible[policy.id], None, values, on, report)
    else:
        _reconcile(session, actor, policy, set(), None, {}, on, report)
    report.seconds = round(time.perf_counter() - started, 3)
    _record(session, f"policy:{policy.code}", report)
    return report


def rematch_profile(
    session: Session, actor: Actor, profile: Profile, on: dt.date | None = None
) -> RunReport:
    """One profile again (after its data changed), with the single-profile evaluator."""
    on = on or local_date(utcnow())
    kind = ProfileKind(profile.kind)
    report = RunReport(profiles=1)
    values = with_derived(profile.values, on, kind)
    pair = {profile.id: (profile, values)}
    for policy in active_policies(session, on, kind):
        holds = compile_policy(policy).holds(values)
        _reconcile(
            session, actor, policy, {profile.id} if holds else set(), {profile.id}, pair, on, report
        )
        report.policies += 1
        report.checks += 1
    return report


def _record(session: Session, scope: str, report: RunReport) -> None:
    session.add(
        PolicyRun(
            scope=scope,
            seconds=report.seconds,
            profiles=report.profiles,
            policies=report.policies,
            eligible=report.eligible,
            newly_eligible=report.newly_eligible,
            no_longer_eligible=report.no_longer_eligible,
            grants=report.grants,
            pushes=report.pushes,
        )
    )
