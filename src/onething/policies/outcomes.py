"""What matching leads to: grants (免申即享), pushes with a pre-filled application (精准推送),
their handling by the department, consultations, and the per-policy metrics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onething.accounts import service as accounts
from onething.accounts.models import DEPARTMENT_ROLES, Role, User
from onething.core.audit import Actor, record_event
from onething.core.errors import DomainError, forbidden, not_found
from onething.core.machine import Machine
from onething.core.notify import notify
from onething.db import utcnow
from onething.policies.models import Grant, Policy, PolicyConsultation, PolicyMatch, PolicyPush
from onething.policies.rules import attributes_of
from onething.policies.schemas import MODE_LABELS, Mode, Period
from onething.policies.service import CompiledPolicy, period_of
from onething.policies.states import GRANT_MACHINE, PUSH_MACHINE, GrantState, PushState
from onething.profiles.attributes import load_dictionary
from onething.profiles.models import Profile

HANDLER_ROLES = (*DEPARTMENT_ROLES, Role.system_admin)


def can_handle(user: User, policy: Policy) -> bool:
    """Staff of the issuing department (or an administrator) fulfil, revoke and decide."""
    if accounts.can_act(user, Role.system_admin, policy.region_code):
        return True
    return any(
        accounts.can_act(user, r, policy.region_code, policy.department_id)
        for r in DEPARTMENT_ROLES
    )


def can_oversee(user: User, policy: Policy) -> bool:
    return can_handle(user, policy) or accounts.can_act(user, Role.supervisor, policy.region_code)


def _move(
    session: Session,
    row: Grant | PolicyPush,
    machine: Machine,
    action: str,
    actor: Actor,
    data: Mapping[str, Any] | None = None,
) -> None:
    """The one writer of grant and push states, audited in the same transaction."""
    transition = machine.check(row.state, action)
    before = row.state
    row.state = transition.target
    subject = "grant" if isinstance(row, Grant) else "push"
    record_event(
        session,
        f"policies:{subject}:{action}",
        subject,
        row.id,
        actor,
        before={"state": before},
        after={"state": transition.target},
        data={"policy": row.policy.code, "profile_id": row.profile_id, **(data or {})},
        region_code=row.profile.region_code,
    )


def _tell(session: Session, profile: Profile, title: str, body: str, link: str) -> bool:
    """An in-app message (and e-mail/SMS where configured) to the profile's account."""
    if profile.user_id is None:
        return False
    user = session.get(User, profile.user_id)
    if user is None:
        return False
    notify(session, [accounts.recipient_of(user)], "policies", title, body, link)
    return True


def _money(amount: Decimal | None, unit: str) -> str:
    return f"{amount.normalize():f}{unit}" if amount is not None else ""


def _grant(
    session: Session,
    actor: Actor,
    policy: Policy,
    profile: Profile,
    period: str,
    amount: Decimal | None,
    push: PolicyPush | None = None,
) -> Grant:
    """The one place a Grant is made: flushed (its unique key checked now) and audited."""
    grant = Grant(
        policy_id=policy.id,
        profile_id=profile.id,
        period=period,
        amount=amount,
        state=GrantState.granted,
        push_id=push.id if push else None,
        policy=policy,
        profile=profile,
    )
    session.add(grant)
    session.flush()
    record_event(
        session,
        "policies:grant:granted",
        "grant",
        grant.id,
        actor,
        after={"state": GrantState.granted, "amount": amount, "period": period},
        data={"policy": policy.code, "profile_id": profile.id, "push_id": grant.push_id},
        region_code=profile.region_code,
    )
    return grant


def _handler(user: User, policy: Policy, what: str) -> None:
    if not can_handle(user, policy):
        raise forbidden(f"只有发布部门可以{what}")


def _reason(text: str, prompt: str, field: str = "reason") -> str:
    """A reason the holder will read: required, trimmed."""
    why = text.strip()
    if not why:
        raise DomainError(f"{field}_required", prompt, 422, field)
    return why


# ---------------------------------------------------------------- created by the engine


def push_period(period: Period, on: dt.date) -> str:
    """One push per year for a recurring benefit (a pension is applied for once, a yearly
    subsidy each year), one in all for a one-off."""
    return "once" if period == Period.once else str(on.year)


def prefilled_application(
    profile: Profile, compiled: CompiledPolicy, values: Mapping[str, Any], on: dt.date
) -> dict[str, Any]:
    dictionary = load_dictionary().attributes
    used = sorted(attributes_of(compiled.tree))
    return {
        "name": profile.name,
        "subject_key": profile.subject_key,
        "as_of": on.isoformat(),
        "facts": [
            {"attr": a, "label": dictionary[a].label, "value": values.get(a)}
            for a in used
            if values.get(a) is not None
        ],
        "amount": str(compiled.amount_for(values))
        if compiled.amount_for(values) is not None
        else None,
    }


@dataclass
class OutcomeCounts:
    grants: int = 0
    pushes: int = 0


def ensure_outcomes(
    session: Session,
    actor: Actor,
    policy: Policy,
    compiled: CompiledPolicy,
    profiles: Iterable[tuple[Profile, Mapping[str, Any]]],
    on: dt.date,
) -> OutcomeCounts:
    """A grant (auto-grant) or a push (push mode) for each eligible profile in this period,
    exactly once: existing ones are looked up first, and a unique key backs it."""
    counts = OutcomeCounts()
    if compiled.mode == Mode.apply:
        return counts
    unit = policy.benefit.get("unit", "")
    if compiled.mode == Mode.auto_grant:
        period = period_of(compiled.period, on)
        have = set(
            session.scalars(
                select(Grant.profile_id).where(Grant.policy_id == policy.id, Grant.period == period)
            )
        )
        for profile, values in profiles:
            if profile.id in have:
                continue
            amount = compiled.amount_for(values)
            grant = _grant(session, actor, policy, profile, period, amount)
            grant.notified = _tell(
                session,
                profile,
                f"免申即享：{policy.name}",
                f"经数据比对，您符合“{policy.name}”的条件，无需申请，"
                f"已为您认定{period if period != 'once' else ''}待遇 {_money(amount, unit)}，"
                "将按规定发放。如有疑问请咨询发布部门或拨打 12345。",
                "/policies/mine",
            )
            counts.grants += 1
        return counts
    period = push_period(compiled.period, on)
    have = set(
        session.scalars(
            select(PolicyPush.profile_id).where(
                PolicyPush.policy_id == policy.id, PolicyPush.period == period
            )
        )
    )
    for profile, values in profiles:
        if profile.id in have:
            continue
        push = PolicyPush(
            policy_id=policy.id,
            profile_id=profile.id,
            period=period,
            state=PushState.pushed,
            application=prefilled_application(profile, compiled, values, on),
            policy=policy,
            profile=profile,
        )
        session.add(push)
        session.flush()
        record_event(
            session,
            "policies:push:pushed",
            "push",
            push.id,
            actor,
            after={"state": PushState.pushed, "period": period},
            data={"policy": policy.code, "profile_id": profile.id},
            region_code=profile.region_code,
        )
        push.notified = _tell(
            session,
            profile,
            f"政策推送：{policy.name}",
            f"您可能符合“{policy.name}”的条件。申请表已按您的信息填好，核对无误后一键即可提交。",
            f"/policies/pushes/{push.id}",
        )
        counts.pushes += 1
    return counts


def withdraw_pushes(
    session: Session, actor: Actor, policy: Policy, profile_ids: Iterable[int]
) -> int:
    """Pushes not yet acted on are withdrawn when the profile no longer meets the policy."""
    ids = list(profile_ids)
    if not ids:
        return 0
    stmt = select(PolicyPush).where(
        PolicyPush.policy_id == policy.id,
        PolicyPush.state == PushState.pushed,
        PolicyPush.profile_id.in_(ids),
    )
    n = 0
    for push in session.scalars(stmt):
        _move(session, push, PUSH_MACHINE, "withdraw", actor, {"reason": "已不符合政策条件"})
        push.reason = "已不符合政策条件"
        n += 1
    return n


# ---------------------------------------------------------------- people and departments


def load_grant(session: Session, grant_id: int) -> Grant:
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise not_found("兑现记录", str(grant_id))
    return grant


def load_push(session: Session, push_id: int) -> PolicyPush:
    push = session.get(PolicyPush, push_id)
    if push is None:
        raise not_found("政策推送", str(push_id))
    return push


def load_own_push(session: Session, user: User, push_id: int) -> PolicyPush:
    """A push for its holder only (the pre-filled application shows personal data)."""
    push = load_push(session, push_id)
    _owner(user, push)
    return push


def fulfil_grant(
    session: Session, actor: Actor, user: User, grant: Grant, payment_reference: str
) -> Grant:
    _handler(user, grant.policy, "登记兑现")
    reference = _reason(payment_reference, "请填写支付凭证号或发放批次号", "payment_reference")
    _move(session, grant, GRANT_MACHINE, "fulfil", actor, {"payment_reference": reference})
    grant.payment_reference = reference[:64]
    grant.fulfilled_at = utcnow()
    paid = _money(grant.amount, grant.policy.benefit.get("unit", ""))
    _tell(
        session,
        grant.profile,
        f"待遇已发放：{grant.policy.name}",
        f"“{grant.policy.name}”待遇 {paid} 已发放，凭证号 {reference}。",
        "/policies/mine",
    )
    return grant


def revoke_grant(session: Session, actor: Actor, user: User, grant: Grant, reason: str) -> Grant:
    _handler(user, grant.policy, "撤销认定")
    why = _reason(reason, "请写明撤销原因")
    _move(session, grant, GRANT_MACHINE, "revoke", actor, {"reason": why})
    grant.reason = why
    grant.revoked_at = utcnow()
    _tell(
        session,
        grant.profile,
        f"认定已撤销：{grant.policy.name}",
        f"经复核，您的“{grant.policy.name}”认定已撤销，原因：{why}。如有异议可向发布部门申请复核。",
        "/policies/mine",
    )
    return grant


def _owner(user: User, push: PolicyPush) -> None:
    if push.profile.user_id != user.id:
        raise forbidden("只能办理本人的政策推送")


def apply_push(
    session: Session, actor: Actor, user: User, push: PolicyPush, note: str = ""
) -> PolicyPush:
    """The applicant confirms the pre-filled application in one step."""
    _owner(user, push)
    if push.state == PushState.applied:
        return push  # a retried click changes nothing
    _move(
        session,
        push,
        PUSH_MACHINE,
        "apply",
        actor,
        {"note": note.strip()} if note.strip() else None,
    )
    push.applied_at = utcnow()
    if note.strip():
        push.application = {**push.application, "note": note.strip()[:500]}
    return push


def dismiss_push(session: Session, actor: Actor, user: User, push: PolicyPush) -> PolicyPush:
    _owner(user, push)
    _move(session, push, PUSH_MACHINE, "dismiss", actor)
    return push


def approve_push(
    session: Session, actor: Actor, user: User, push: PolicyPush, on: dt.date
) -> Grant:
    """The department approves the application: the benefit is granted like an auto-grant."""
    _handler(user, push.policy, "审核申请")
    _move(session, push, PUSH_MACHINE, "approve", actor)
    push.decided_at = utcnow()
    amount = push.application.get("amount")
    period = period_of(Period(push.policy.benefit.get("period", "once")), on)
    existing = session.scalar(
        select(Grant).where(
            Grant.policy_id == push.policy_id,
            Grant.profile_id == push.profile_id,
            Grant.period == period,
        )
    )
    if existing is not None:
        return existing
    money = Decimal(amount) if amount is not None else None
    grant = _grant(session, actor, push.policy, push.profile, period, money, push)
    grant.notified = _tell(
        session,
        push.profile,
        f"申请已通过：{push.policy.name}",
        f"您申请的“{push.policy.name}”已审核通过，待遇将按规定发放。",
        "/policies/mine",
    )
    return grant


def reject_push(
    session: Session, actor: Actor, user: User, push: PolicyPush, reason: str
) -> PolicyPush:
    _handler(user, push.policy, "审核申请")
    why = _reason(reason, "请写明不通过的原因")
    _move(session, push, PUSH_MACHINE, "reject", actor, {"reason": why})
    push.reason = why
    push.decided_at = utcnow()
    _tell(
        session,
        push.profile,
        f"申请未通过：{push.policy.name}",
        f"您申请的“{push.policy.name}”未通过审核，原因：{why}。",
        f"/policies/pushes/{push.id}",
    )
    return push


# ---------------------------------------------------------------- consultations


def ask(
    session: Session, actor: Actor, user: User, policy: Policy, question: str
) -> PolicyConsultation:
    text = question.strip()
    if len(text) < 4:
        raise DomainError("question_too_short", "请把问题写完整（至少 4 个字）", 422, "question")
    row = PolicyConsultation(
        policy_id=policy.id, user_id=user.id, question=text[:2000], policy=policy
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        "policies:consultation:asked",
        "consultation",
        row.id,
        actor,
        data={"policy": policy.code},
        region_code=policy.region_code,
    )
    return row


def answer(
    session: Session, actor: Actor, user: User, consultation: PolicyConsultation, text: str
) -> PolicyConsultation:
    _handler(user, consultation.policy, "答复政策咨询")
    reply = _reason(text, "请填写答复内容", "answer")
    if consultation.answered_at is not None:
        raise DomainError("already_answered", "该咨询已答复", 409)
    consultation.answer = reply[:4000]
    consultation.answered_at = utcnow()
    consultation.answered_by = user.id
    record_event(
        session,
        "policies:consultation:answered",
        "consultation",
        consultation.id,
        actor,
        data={"policy": consultation.policy.code},
        region_code=consultation.policy.region_code,
    )
    asker = session.get(User, consultation.user_id)
    if asker is not None:
        notify(
            session,
            [accounts.recipient_of(asker)],
            "policies",
            f"政策咨询已答复：{consultation.policy.name}",
            reply[:200],
            f"/policies/{consultation.policy.code}",
        )
    return consultation


# ---------------------------------------------------------------- metrics


@dataclass(frozen=True)
class PolicyMetrics:
    code: str
    name: str
    mode: str
    eligible: int
    pushed: int
    applied: int
    granted: int
    fulfilled: int
    consultations: int
    answered: int
    push_rate: float | None
    """线上推送率: eligible profiles told online (a push or a grant notice) / eligible."""
    online_rate: float
    """网上可办率: 1 when the benefit can be had online (auto-grant and push always can)."""
    fulfilment_rate: float | None
    """兑现落实率: fulfilled / granted (not revoked)."""
    answer_rate: float | None
    """咨询答复率: answered / consultations."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _counts(session: Session, column: Any, *where: Any) -> dict[int, int]:
    stmt = select(column, func.count()).where(*where).group_by(column)
    return {k: int(v) for k, v in session.execute(stmt).all()}


def metrics(session: Session, policies: list[Policy]) -> list[PolicyMetrics]:
    """Per-policy figures in a handful of grouped queries, whatever the number of policies."""
    live = (PushState.applied, PushState.approved, PushState.rejected)
    eligible = _counts(session, PolicyMatch.policy_id, PolicyMatch.eligible.is_(True))
    pushes = _counts(session, PolicyPush.policy_id, PolicyPush.notified.is_(True))
    applied = _counts(session, PolicyPush.policy_id, PolicyPush.state.in_(live))
    granted = _counts(session, Grant.policy_id, Grant.state != GrantState.revoked)
    told = _counts(session, Grant.policy_id, Grant.notified.is_(True), Grant.push_id.is_(None))
    fulfilled = _counts(session, Grant.policy_id, Grant.state == GrantState.fulfilled)
    asked = _counts(session, PolicyConsultation.policy_id)
    answered = _counts(
        session, PolicyConsultation.policy_id, PolicyConsultation.answered_at.is_not(None)
    )
    out = []
    for p in policies:
        n = eligible.get(p.id, 0)
        pushed = pushes.get(p.id, 0) + told.get(p.id, 0)
        online = p.online or p.mode != Mode.apply
        out.append(
            PolicyMetrics(
                code=p.code,
                name=p.name,
                mode=MODE_LABELS[Mode(p.mode)],
                eligible=n,
                pushed=pushed,
                applied=applied.get(p.id, 0),
                granted=granted.get(p.id, 0),
                fulfilled=fulfilled.get(p.id, 0),
                consultations=asked.get(p.id, 0),
                answered=answered.get(p.id, 0),
                push_rate=_ratio(min(pushed, n), n) if p.mode != Mode.apply else None,
                online_rate=1.0 if online else 0.0,
                fulfilment_rate=_ratio(fulfilled.get(p.id, 0), granted.get(p.id, 0)),
                answer_rate=_ratio(answered.get(p.id, 0), asked.get(p.id, 0)),
            )
        )
    return out


# ---------------------------------------------------------------- lists


def grants_of(session: Session, profile: Profile) -> list[Grant]:
    stmt = select(Grant).where(Grant.profile_id == profile.id).order_by(Grant.id.desc())
    return list(session.scalars(stmt))


def pushes_of(session: Session, profile: Profile) -> list[PolicyPush]:
    stmt = select(PolicyPush).where(PolicyPush.profile_id == profile.id)
    return list(session.scalars(stmt.order_by(PolicyPush.id.desc())))


def grants_of_policy(
    session: Session, policy: Policy, state: str | None = None, limit: int = 500
) -> list[Grant]:
    stmt = select(Grant).where(Grant.policy_id == policy.id)
    if state:
        stmt = stmt.where(Grant.state == state)
    return list(session.scalars(stmt.order_by(Grant.id.desc()).limit(limit)))


def pushes_of_policy(
    session: Session, policy: Policy, state: str | None = None, limit: int = 500
) -> list[PolicyPush]:
    stmt = select(PolicyPush).where(PolicyPush.policy_id == policy.id)
    if state:
        stmt = stmt.where(PolicyPush.state == state)
    return list(session.scalars(stmt.order_by(PolicyPush.id.desc()).limit(limit)))


def consultations_of(
    session: Session, policy: Policy, asked_by: User | None = None
) -> list[PolicyConsultation]:
    stmt = select(PolicyConsultation).where(PolicyConsultation.policy_id == policy.id)
    if asked_by is not None:
        stmt = stmt.where(PolicyConsultation.user_id == asked_by.id)
    return list(session.scalars(stmt.order_by(PolicyConsultation.id.desc())))


def load_consultation(session: Session, consultation_id: int) -> PolicyConsultation:
    row = session.get(PolicyConsultation, consultation_id)
    if row is None:
        raise not_found("政策咨询", str(consultation_id))
    return row


def totals(rows: list[PolicyMetrics]) -> dict[str, Any]:
    """The totals row: counts added up, each rate over the added-up counts it is made of."""
    told = [r for r in rows if r.push_rate is not None]
    eligible_told = sum(r.eligible for r in told)
    sums = {
        name: sum(getattr(r, name) for r in rows)
        for name in (
            "eligible",
            "pushed",
            "applied",
            "granted",
            "fulfilled",
            "consultations",
            "answered",
        )
    }

    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    return {
        **sums,
        "push_rate": ratio(sum(min(r.pushed, r.eligible) for r in told), eligible_told),
        "online_rate": ratio(sum(1 for r in rows if r.online_rate), len(rows)),
        "fulfilment_rate": ratio(sums["fulfilled"], sums["granted"]),
        "answer_rate": ratio(sums["answered"], sums["consultations"]),
    }
