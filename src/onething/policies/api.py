"""JSON API for policies: the catalogue of policies, 我能享受哪些政策, pushes and grants, the
departments' handling, consultations, profiles and the engine run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from onething.accounts.models import Role, User
from onething.core.errors import DomainError, forbidden
from onething.core.workdays import local_date
from onething.db import utcnow
from onething.policies import matching, outcomes
from onething.policies import service as ps
from onething.policies.explain import describer, requirement_lines
from onething.policies.models import Grant, Policy, PolicyConsultation, PolicyPush
from onething.policies.schemas import (
    MODE_LABELS,
    AnswerIn,
    AnswerOut,
    ConsentIn,
    ConsultationOut,
    GrantOut,
    Mode,
    MyPoliciesOut,
    NoteIn,
    PolicyDetailOut,
    PolicyDoc,
    PolicyOut,
    ProfileOut,
    ProfileValuesIn,
    PushOut,
    QuestionIn,
    ReasonIn,
    ReferenceIn,
    SavedOut,
    UnmetOut,
)
from onething.policies.service import PolicyAnswer
from onething.policies.states import GRANT_STATE_LABELS, PUSH_STATE_LABELS
from onething.profiles import service as profiles
from onething.profiles.attributes import ProfileKind
from onething.profiles.models import Profile
from onething.web.deps import Applicant, CurrentUser, Db, StaffUser, request_actor, require_roles

router = APIRouter(tags=["policies"])
PolicyAdmin = Annotated[User, Depends(require_roles(Role.system_admin))]


def policy_out(p: Policy) -> PolicyOut:
    return PolicyOut(
        code=p.code,
        name=p.name,
        target=ProfileKind(p.target),
        mode=Mode(p.mode),
        mode_label=MODE_LABELS[Mode(p.mode)],
        department=p.department.name,
        summary=p.summary,
        benefit=p.benefit,
        valid_from=p.valid_from,
        valid_to=p.valid_to,
        online=p.online,
        retired=p.retired,
        version=p.version,
    )


def detail_out(db: Db, p: Policy) -> PolicyDetailOut:
    lines = requirement_lines(ps.compile_policy(p).tree, describer(ps.region_names(db)))
    return PolicyDetailOut(
        **policy_out(p).model_dump(),
        legal_basis=p.legal_basis,
        conditions=p.conditions,
        conditions_text=lines,
        how_to_apply=p.how_to_apply,
        source=p.source,
    )


def grant_out(g: Grant) -> GrantOut:
    return GrantOut(
        id=g.id,
        policy=g.policy.code,
        policy_name=g.policy.name,
        profile_id=g.profile_id,
        holder=g.profile.name,
        period=g.period,
        amount=g.amount,
        state=g.state,
        state_label=GRANT_STATE_LABELS[g.state],
        payment_reference=g.payment_reference,
        reason=g.reason,
        created_at=g.created_at,
        fulfilled_at=g.fulfilled_at,
    )


def push_out(p: PolicyPush) -> PushOut:
    return PushOut(
        id=p.id,
        policy=p.policy.code,
        policy_name=p.policy.name,
        profile_id=p.profile_id,
        holder=p.profile.name,
        period=p.period,
        state=p.state,
        state_label=PUSH_STATE_LABELS[p.state],
        application=p.application,
        reason=p.reason,
        created_at=p.created_at,
        applied_at=p.applied_at,
    )


def consultation_out(c: PolicyConsultation) -> ConsultationOut:
    return ConsultationOut(
        id=c.id,
        policy=c.policy.code,
        question=c.question,
        answer=c.answer,
        asked_at=c.asked_at,
        answered_at=c.answered_at,
    )


def profile_out(p: Profile) -> ProfileOut:
    return ProfileOut(
        id=p.id,
        kind=ProfileKind(p.kind),
        name=p.name,
        subject_key=p.subject_key,
        region_code=p.region_code,
        values=p.values,
        sources=p.sources,
        reuse_consent=p.reuse_consent,
        updated_at=p.updated_at,
    )


def answer_out(p: Policy, a: PolicyAnswer) -> AnswerOut:
    return AnswerOut(
        policy=policy_out(p),
        eligible=a.eligible,
        amount=a.amount,
        unmet=[UnmetOut(attr=u.attr, requirement=u.requirement, actual=u.actual) for u in a.unmet],
    )


# ---------------------------------------------------------------- everyone


@router.get("/policies", response_model=list[PolicyOut])
def list_policies(
    db: Db,
    target: Annotated[ProfileKind | None, Query(description="person 或 enterprise")] = None,
    mode: Annotated[Mode | None, Query()] = None,
) -> list[PolicyOut]:
    """Published policies (惠企惠民政策清单)."""
    rows = ps.list_policies(
        db, target=target.value if target else None, mode=mode.value if mode else None
    )
    return [policy_out(p) for p in rows]


@router.get("/policies/{code}", response_model=PolicyDetailOut)
def get_policy(code: str, db: Db) -> PolicyDetailOut:
    return detail_out(db, ps.load_policy(db, code))


@router.post("/policies/{code}/consultations", response_model=ConsultationOut, status_code=201)
def ask(
    code: str, body: QuestionIn, request: Request, db: Db, user: CurrentUser
) -> ConsultationOut:
    """Ask the issuing department about a policy (咨询); the answer arrives as a message."""
    row = outcomes.ask(
        db, request_actor(request, user), user, ps.load_policy(db, code), body.question
    )
    return consultation_out(row)


# ---------------------------------------------------------------- applicants


@router.get("/me/profile", response_model=ProfileOut)
def my_profile(request: Request, db: Db, user: Applicant) -> ProfileOut:
    """一人一档 / 一企一档: what the platform holds on you, each value with its source."""
    return profile_out(profiles.ensure_profile_for_user(db, request_actor(request, user), user))


@router.put("/me/consent", response_model=ProfileOut)
def my_consent(body: ConsentIn, request: Request, db: Db, user: Applicant) -> ProfileOut:
    """Allow (or stop) pre-filling application forms from your profile and earlier cases."""
    return profile_out(
        profiles.set_reuse_consent(db, request_actor(request, user), user, body.reuse)
    )


@router.get("/me/policies", response_model=MyPoliciesOut)
def my_policies(request: Request, db: Db, user: Applicant) -> MyPoliciesOut:
    """我能享受哪些政策: every policy your profile meets, and for those it nearly meets, which
    conditions fail and why."""
    profile = profiles.ensure_profile_for_user(db, request_actor(request, user), user)
    found = ps.policies_for_values(
        db, ProfileKind(profile.kind), profile.values, local_date(utcnow())
    )
    return MyPoliciesOut(
        eligible=[answer_out(p, a) for p, a in found.eligible],
        nearly=[answer_out(p, a) for p, a in found.nearly],
    )


@router.get("/me/grants", response_model=list[GrantOut])
def my_grants(request: Request, db: Db, user: Applicant) -> list[GrantOut]:
    profile = profiles.ensure_profile_for_user(db, request_actor(request, user), user)
    return [grant_out(g) for g in outcomes.grants_of(db, profile)]


@router.get("/me/pushes", response_model=list[PushOut])
def my_pushes(request: Request, db: Db, user: Applicant) -> list[PushOut]:
    profile = profiles.ensure_profile_for_user(db, request_actor(request, user), user)
    return [push_out(p) for p in outcomes.pushes_of(db, profile)]


@router.post("/me/pushes/{push_id}/apply", response_model=PushOut)
def apply_push(push_id: int, body: NoteIn, request: Request, db: Db, user: Applicant) -> PushOut:
    """Submit the pre-filled application in one step (a retry changes nothing)."""
    push = outcomes.load_push(db, push_id)
    return push_out(outcomes.apply_push(db, request_actor(request, user), user, push, body.note))


@router.post("/me/pushes/{push_id}/dismiss", response_model=PushOut)
def dismiss_push(push_id: int, request: Request, db: Db, user: Applicant) -> PushOut:
    push = outcomes.load_push(db, push_id)
    return push_out(outcomes.dismiss_push(db, request_actor(request, user), user, push))


# ---------------------------------------------------------------- departments


def _overseen(db: Db, user: User, code: str) -> Policy:
    policy = ps.load_policy(db, code)
    if not outcomes.can_oversee(user, policy):
        raise forbidden("只有发布部门和监管人员可以查看")
    return policy


@router.get("/policies/{code}/grants", response_model=list[GrantOut])
def policy_grants(
    code: str, db: Db, user: StaffUser, state: Annotated[str | None, Query()] = None
) -> list[GrantOut]:
    policy = _overseen(db, user, code)
    return [grant_out(g) for g in outcomes.grants_of_policy(db, policy, state)]


@router.get("/policies/{code}/pushes", response_model=list[PushOut])
def policy_pushes(
    code: str, db: Db, user: StaffUser, state: Annotated[str | None, Query()] = None
) -> list[PushOut]:
    policy = _overseen(db, user, code)
    return [push_out(p) for p in outcomes.pushes_of_policy(db, policy, state)]


@router.get("/policies/{code}/consultations", response_model=list[ConsultationOut])
def policy_consultations(code: str, db: Db, user: StaffUser) -> list[ConsultationOut]:
    policy = _overseen(db, user, code)
    return [consultation_out(c) for c in outcomes.consultations_of(db, policy)]


@router.post("/grants/{grant_id}/fulfil", response_model=GrantOut)
def fulfil(grant_id: int, body: ReferenceIn, request: Request, db: Db, user: StaffUser) -> GrantOut:
    """登记兑现: the benefit was paid; record the payment reference."""
    grant = outcomes.load_grant(db, grant_id)
    actor = request_actor(request, user)
    return grant_out(outcomes.fulfil_grant(db, actor, user, grant, body.payment_reference))


@router.post("/grants/{grant_id}/revoke", response_model=GrantOut)
def revoke(grant_id: int, body: ReasonIn, request: Request, db: Db, user: StaffUser) -> GrantOut:
    """The eligibility was wrong: revoke, with the reason the holder is told."""
    grant = outcomes.load_grant(db, grant_id)
    return grant_out(
        outcomes.revoke_grant(db, request_actor(request, user), user, grant, body.reason)
    )


@router.post("/pushes/{push_id}/approve", response_model=GrantOut)
def approve(push_id: int, request: Request, db: Db, user: StaffUser) -> GrantOut:
    push = outcomes.load_push(db, push_id)
    actor = request_actor(request, user)
    return grant_out(outcomes.approve_push(db, actor, user, push, local_date(utcnow())))


@router.post("/pushes/{push_id}/reject", response_model=PushOut)
def reject(push_id: int, body: ReasonIn, request: Request, db: Db, user: StaffUser) -> PushOut:
    push = outcomes.load_push(db, push_id)
    return push_out(outcomes.reject_push(db, request_actor(request, user), user, push, body.reason))


@router.post("/consultations/{consultation_id}/answer", response_model=ConsultationOut)
def answer(
    consultation_id: int, body: AnswerIn, request: Request, db: Db, user: StaffUser
) -> ConsultationOut:
    row = outcomes.load_consultation(db, consultation_id)
    return consultation_out(
        outcomes.answer(db, request_actor(request, user), user, row, body.answer)
    )


@router.get("/policy-metrics", response_model=list[dict[str, object]])
def policy_metrics(db: Db, user: StaffUser) -> list[dict[str, object]]:
    """Per policy: eligible, pushed, applied, granted, fulfilled, consultations answered and
    线上推送率、网上可办率、兑现落实率、咨询答复率."""
    rows = [p for p in ps.list_policies(db) if outcomes.can_oversee(user, p)]
    return [m.as_dict() for m in outcomes.metrics(db, rows)]


# ---------------------------------------------------------------- administrators


@router.put("/policies/{code}", response_model=SavedOut)
def save_policy(
    code: str, body: PolicyDoc, request: Request, db: Db, user: PolicyAdmin
) -> SavedOut:
    """Create or change a policy (YAML's shape as JSON); conditions are checked against the
    attribute dictionary, the old version is kept, and the policy is matched again."""
    if body.code != code:
        raise DomainError("code_mismatch", "路径中的编码与内容中的 code 不一致", 422, "code")
    policy, outcome = ps.save_policy(db, request_actor(request, user), body)
    return SavedOut(outcome=outcome, policy=detail_out(db, policy))


@router.post("/policies/{code}/retire", response_model=PolicyDetailOut)
def retire_policy(code: str, request: Request, db: Db, user: PolicyAdmin) -> PolicyDetailOut:
    policy = ps.load_policy(db, code)
    ps.retire_policy(db, request_actor(request, user), policy)
    return detail_out(db, policy)


@router.post("/policies-run", response_model=dict[str, object])
def run_engine(request: Request, db: Db, user: PolicyAdmin) -> dict[str, object]:
    """Match every active policy against every profile now (also `onething policies run`)."""
    return matching.run_all(db, request_actor(request, user)).as_dict()


@router.get("/profiles/{profile_id}", response_model=ProfileOut)
def read_profile(profile_id: int, request: Request, db: Db, user: StaffUser) -> ProfileOut:
    """A full profile for staff of its region; every such read is audited."""
    return profile_out(profiles.read_profile(db, request_actor(request, user), user, profile_id))


@router.patch("/profiles/{profile_id}", response_model=ProfileOut)
def update_profile(
    profile_id: int, body: ProfileValuesIn, request: Request, db: Db, user: StaffUser
) -> ProfileOut:
    """Departments feed profiles (数据共享): the values are checked against the dictionary,
    recorded with their source, and matched again against every policy at once."""
    actor = request_actor(request, user)
    profile = profiles.read_profile(db, actor, user, profile_id)
    profiles.check_can_write(user, profile)
    profiles.set_values(db, actor, profile, body.values, body.source)
    return profile_out(profile)
