"""Profiles: created for every applicant, fed by departments and cases, each value with its
source and time; every change audited and matched again against the policies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.accounts import service as accounts
from onething.accounts.models import Role, User, UserKind
from onething.core.audit import Actor, record_event
from onething.core.errors import DomainError, ErrorDetail, forbidden, not_found
from onething.core.ids import birth_date_of, check_id_number, check_uscc, region_contains, sex_of
from onething.db import utcnow
from onething.profiles.attributes import ProfileKind, load_dictionary
from onething.profiles.models import Profile

STAFF_READERS = (Role.dept_reviewer, Role.dept_admin, Role.supervisor, Role.system_admin)


def get_profile(session: Session, profile_id: int) -> Profile | None:
    return session.get(Profile, profile_id)


def load_profile(session: Session, profile_id: int) -> Profile:
    profile = get_profile(session, profile_id)
    if profile is None:
        raise not_found("画像", str(profile_id))
    return profile


def get_profile_of_user(session: Session, user: User) -> Profile | None:
    return session.scalar(select(Profile).where(Profile.user_id == user.id))


def check_values(kind: ProfileKind, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The values as stored (JSON), or every problem at once; derived attributes are refused
    (age follows from the birth date)."""
    dictionary = load_dictionary()
    out: dict[str, Any] = {}
    errors: list[ErrorDetail] = []
    for name, value in raw.items():
        attr = dictionary.get(name)
        if attr is None or attr.kind != kind:
            errors.append(ErrorDetail(f"画像中没有“{name}”这一项", field=name))
            continue
        if attr.derived_from:
            errors.append(ErrorDetail(f"{attr.label}由其他信息推算，不能直接填写", field=name))
            continue
        try:
            out[name] = attr.coerce(value)
        except ValueError as exc:
            errors.append(ErrorDetail(str(exc), field=name))
    if errors:
        raise DomainError("profile_invalid", "画像信息有误", 422, details=errors)
    return out


def set_values(
    session: Session,
    actor: Actor,
    profile: Profile,
    raw: Mapping[str, Any],
    source: str,
    *,
    at: dt.datetime | None = None,
    rematch: bool = True,
) -> dict[str, Any]:
    """Record values from `source` (a department, a case, the applicant); None clears one.

    Returns what changed as {name: [before, after]}. A change is matched again against every
    policy in the same transaction, so grants and pushes follow the data (免申即享).
    """
    values = check_values(ProfileKind(profile.kind), raw)
    when = (at or utcnow()).isoformat(timespec="seconds")
    current = dict(profile.values)
    sources = dict(profile.sources)
    changed: dict[str, Any] = {}
    for name, value in values.items():
        if current.get(name) == value:
            continue
        changed[name] = [current.get(name), value]
        if value is None:
            current.pop(name, None)
            sources.pop(name, None)
        else:
            current[name] = value
            sources[name] = {"source": source, "at": when}
    if not changed:
        return changed
    profile.values = current
    profile.sources = sources
    profile.updated_at = utcnow()
    record_event(
        session,
        "profiles:profile:updated",
        "profile",
        profile.id,
        actor,
        before={k: v[0] for k, v in changed.items()},
        after={k: v[1] for k, v in changed.items()},
        data={"source": source},
        region_code=profile.region_code,
    )
    session.flush()
    if rematch:
        _rematch(session, actor, profile)
    return changed


def _rematch(session: Session, actor: Actor, profile: Profile) -> None:
    """Policies follow profiles (imported here: policies build on profiles, not the reverse)."""
    from onething.policies.matching import rematch_profile

    rematch_profile(session, actor, profile)


def _region_of(code: str) -> str:
    return code[:6].ljust(12, "0")


def create_profile(
    session: Session,
    actor: Actor,
    kind: ProfileKind,
    subject_key: str,
    name: str,
    values: Mapping[str, Any],
    source: str,
    *,
    user: User | None = None,
    at: dt.datetime | None = None,
    rematch: bool = True,
) -> Profile:
    """A new profile; a person's birth date and sex come from the 公民身份号码 itself."""
    if kind == ProfileKind.person:
        subject_key = check_id_number(subject_key, "subject_key")
        seeded = {
            "birth_date": birth_date_of(subject_key).isoformat(),
            "gender": sex_of(subject_key),
        }
        region_attr, default_region = "hukou_region", subject_key[:6]
    else:
        subject_key = check_uscc(subject_key, "subject_key")
        seeded = {}
        region_attr, default_region = "registered_region", subject_key[2:8]
    if session.scalar(select(Profile.id).where(Profile.subject_key == subject_key)) is not None:
        raise DomainError("profile_exists", "该证件号码已有画像", 409, "subject_key")
    given = check_values(kind, values)
    region = str(given.get(region_attr) or default_region)
    profile = Profile(
        kind=kind.value,
        subject_key=subject_key,
        name=name,
        user_id=user.id if user else None,
        region_code=_region_of(region),
        values={},
        sources={},
    )
    session.add(profile)
    session.flush()
    record_event(
        session,
        "profiles:profile:created",
        "profile",
        profile.id,
        actor,
        after={"kind": kind.value, "name": name},
        region_code=profile.region_code,
    )
    set_values(session, actor, profile, seeded, "公民身份号码", at=at, rematch=False)
    set_values(session, actor, profile, given, source, at=at, rematch=False)
    if rematch:
        _rematch(session, actor, profile)
    return profile


def ensure_profile_for_user(session: Session, actor: Actor, user: User) -> Profile:
    """Every applicant has a profile; an account made before profiles existed gets one now."""
    profile = get_profile_of_user(session, user)
    if profile is not None:
        return profile
    if user.kind == UserKind.staff:
        raise forbidden("工作人员没有个人画像")
    existing = session.scalar(select(Profile).where(Profile.subject_key == user.login.upper()))
    if existing is not None:
        existing.user_id = user.id
        return existing
    kind = ProfileKind.person if user.kind == UserKind.person else ProfileKind.enterprise
    return create_profile(
        session, actor, kind, user.login.upper(), user.name, {}, "注册信息", user=user
    )


def _serves(user: User, roles: tuple[Role, ...], profile: Profile) -> bool:
    """Staff of the profile's region in any department: profiles are shared data (数据共享)."""
    return any(
        region_contains(sc.region_code, profile.region_code) for sc in accounts.scopes(user, *roles)
    )


def can_read(user: User, profile: Profile) -> bool:
    return profile.user_id == user.id or _serves(user, STAFF_READERS, profile)


def check_can_write(user: User, profile: Profile) -> None:
    """Departments and administrators of the profile's region feed it; supervisors only read."""
    writers = (Role.dept_reviewer, Role.dept_admin, Role.chief_representative, Role.system_admin)
    if not _serves(user, writers, profile):
        raise forbidden("只有本地区的部门工作人员可以更新画像")


def read_profile(session: Session, actor: Actor, user: User, profile_id: int) -> Profile:
    """A full record for its owner or for staff of its region; a staff read is audited."""
    profile = load_profile(session, profile_id)
    if not can_read(user, profile):
        raise forbidden("您无权查看该画像")
    if profile.user_id != user.id:
        record_event(
            session,
            "profiles:profile:read",
            "profile",
            profile.id,
            actor,
            region_code=profile.region_code,
        )
    return profile


def set_reuse_consent(session: Session, actor: Actor, user: User, allow: bool) -> Profile:
    """The holder allows (or stops) pre-filling forms from the profile and earlier cases."""
    profile = ensure_profile_for_user(session, actor, user)
    if profile.reuse_consent == allow:
        return profile
    profile.reuse_consent = allow
    profile.reuse_consent_at = utcnow()
    record_event(
        session,
        "profiles:profile:consent_given" if allow else "profiles:profile:consent_withdrawn",
        "profile",
        profile.id,
        actor,
        before={"reuse_consent": not allow},
        after={"reuse_consent": allow},
        region_code=profile.region_code,
    )
    return profile
