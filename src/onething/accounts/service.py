"""Accounts: registration, login with lock-out, web sessions, API tokens and role scopes."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from onething.accounts.models import (
    DEPARTMENT_ROLES,
    ApiToken,
    Role,
    StaffRole,
    User,
    UserKind,
    WebSession,
)
from onething.catalog.models import Department, Region
from onething.config import get_settings
from onething.core.audit import Actor, record_event
from onething.core.errors import DomainError, not_found
from onething.core.ids import check_id_number, check_uscc, region_contains
from onething.core.notify import Recipient
from onething.db import utcnow

_hasher = PasswordHasher()
_STAFF_LOGIN = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
_PHONE = re.compile(r"^1[3-9]\d{9}$")
BAD_LOGIN = "账号或密码不正确"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < 8 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise DomainError("weak_password", "密码至少8位，且须同时包含字母和数字", 422, "password")


def check_phone(phone: str) -> str:
    phone = phone.strip()
    if not _PHONE.match(phone):
        raise DomainError("invalid_phone", "手机号码应为11位，以1开头", 422, "phone")
    return phone


def actor_of(user: User | None, ip: str | None = None) -> Actor:
    if user is None:
        return Actor(None, "匿名", ip)
    return Actor(
        user.id, f"{user.name}（{user.login if user.kind == UserKind.staff else user.id}）", ip
    )


def normalise_login(login: str) -> tuple[UserKind | None, str]:
    """Tell a 公民身份号码 from a 统一社会信用代码 from a staff account, and check digits."""
    value = login.strip()
    if not value:
        raise DomainError("login_required", "请输入账号", 422, "login")
    if len(value) == 18 and value[:17].isdigit():
        return UserKind.person, check_id_number(value, "login")
    if len(value) == 18:
        return UserKind.enterprise, check_uscc(value, "login")
    if value.isdigit() or (len(value) in {15, 17, 19} and value[:14].isdigit()):
        raise DomainError("invalid_id_number", "公民身份号码应为18位", 422, "login")
    return UserKind.staff, value.lower()


def register_person(
    session: Session, actor: Actor, *, id_number: str, name: str, phone: str | None, password: str
) -> User:
    number = check_id_number(id_number)
    name = name.strip()
    if not 2 <= len(name) <= 40:
        raise DomainError("invalid_name", "请填写与身份证一致的姓名", 422, "name")
    return _register(
        session,
        actor,
        UserKind.person,
        number,
        name,
        phone,
        password,
        "该公民身份号码已注册，请直接登录",
        "id_number",
    )


def register_enterprise(
    session: Session, actor: Actor, *, uscc: str, name: str, phone: str | None, password: str
) -> User:
    code = check_uscc(uscc)
    name = name.strip()
    if not 2 <= len(name) <= 120:
        raise DomainError("invalid_name", "请填写与营业执照一致的名称", 422, "name")
    return _register(
        session,
        actor,
        UserKind.enterprise,
        code,
        name,
        phone,
        password,
        "该统一社会信用代码已注册，请直接登录",
        "uscc",
    )


def _register(
    session: Session,
    actor: Actor,
    kind: UserKind,
    login: str,
    name: str,
    phone: str | None,
    password: str,
    exists_message: str,
    login_field: str,
) -> User:
    """What registering a person and an enterprise share once their identifier is checked."""
    check_password_strength(password)
    phone = check_phone(phone) if phone else None
    if session.scalar(select(User).where(User.login == login)) is not None:
        raise DomainError("account_exists", exists_message, 409, login_field)
    user = User(
        kind=kind, login=login, name=name, phone=phone, password_hash=hash_password(password)
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        "accounts:user:registered",
        "user",
        user.id,
        actor,
        after={"kind": kind, "name": name},
    )
    # 一人一档 / 一企一档: every applicant has a profile from the start (profiles build on
    # accounts, hence the import here).
    from onething.profiles.service import ensure_profile_for_user

    ensure_profile_for_user(session, actor, user)
    return user


def create_staff(
    session: Session,
    actor: Actor,
    *,
    login: str,
    name: str,
    password: str,
    phone: str | None = None,
) -> User:
    login = login.strip().lower()
    if not _STAFF_LOGIN.match(login):
        raise DomainError(
            "invalid_login", "工作人员账号为3至32位小写字母、数字或 _ . -，以字母开头", 422, "login"
        )
    check_password_strength(password)
    if session.scalar(select(User).where(User.login == login)) is not None:
        raise DomainError("account_exists", f"账号 {login} 已存在", 409, "login")
    user = User(
        kind=UserKind.staff,
        login=login,
        name=name.strip(),
        phone=phone,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        "accounts:user:created",
        "user",
        user.id,
        actor,
        after={"kind": "staff", "login": login, "name": user.name},
    )
    return user


def grant_role(
    session: Session,
    actor: Actor,
    user: User,
    role: Role,
    region_code: str,
    department_id: int | None = None,
) -> StaffRole:
    if user.kind != UserKind.staff:
        raise DomainError("not_staff", "只有工作人员账号才能分配岗位角色", 422)
    if session.get(Region, region_code) is None:
        raise not_found("行政区划", region_code)
    if role in DEPARTMENT_ROLES:
        dept = session.get(Department, department_id) if department_id else None
        if dept is None:
            raise DomainError(
                "department_required", "部门岗位必须指定所属部门", 422, "department_id"
            )
        if not region_contains(region_code, dept.region_code):
            raise DomainError(
                "department_out_of_region", "部门不在该岗位的行政区划范围内", 422, "department_id"
            )
    elif department_id is not None and session.get(Department, department_id) is None:
        raise not_found("部门", str(department_id))
    sr = StaffRole(role=role, region_code=region_code, department_id=department_id)
    user.roles.append(sr)
    session.flush()
    record_event(
        session,
        "accounts:role:granted",
        "user",
        user.id,
        actor,
        after={"role": role, "region": region_code, "department_id": department_id},
        region_code=region_code,
    )
    return sr


def authenticate(session: Session, login: str, password: str, ip: str | None = None) -> User:
    """Check a password; five failures in a row lock the account for a while."""
    settings = get_settings()
    _kind, value = normalise_login(login)
    if not password:
        raise DomainError("password_required", "请输入密码", 422, "password")
    user = session.scalar(select(User).where(User.login == value))
    now = utcnow()
    if user is None:
        _hasher.hash(password)  # same cost whether or not the account exists
        raise DomainError("bad_credentials", BAD_LOGIN, 401)
    if user.locked_until is not None and user.locked_until > now:
        minutes = int((user.locked_until - now).total_seconds() // 60) + 1
        raise DomainError(
            "account_locked", f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试", 423
        )
    if not user.active:
        raise DomainError("account_disabled", "账号已停用，请联系管理员", 403)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_logins += 1
        data = {"failed_logins": user.failed_logins}
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + dt.timedelta(minutes=settings.login_lock_minutes)
            user.failed_logins = 0
            data["locked"] = True
        record_event(
            session,
            "accounts:user:login_failed",
            "user",
            user.id,
            Actor(None, "匿名", ip),
            data=data,
        )
        raise DomainError("bad_credentials", BAD_LOGIN, 401, keep_changes=True) from None
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record_event(session, "accounts:user:logged_in", "user", user.id, actor_of(user, ip))
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_web_session(session: Session, user: User) -> str:
    token = secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(days=get_settings().session_days)
    session.add(WebSession(token_hash=_digest(token), user_id=user.id, expires_at=expires))
    session.flush()
    return token


def user_for_session(session: Session, token: str) -> User | None:
    ws = session.get(WebSession, _digest(token))
    if ws is None or ws.expires_at <= utcnow():
        return None
    user = session.get(User, ws.user_id)
    return user if user is not None and user.active else None


def end_web_session(session: Session, token: str) -> None:
    ws = session.get(WebSession, _digest(token))
    if ws is not None:
        session.delete(ws)
        session.flush()


def issue_api_token(session: Session, user: User, name: str = "api") -> tuple[str, ApiToken]:
    token = "ot_" + secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(days=get_settings().token_days)
    row = ApiToken(token_hash=_digest(token), user_id=user.id, name=name[:80], expires_at=expires)
    session.add(row)
    session.flush()
    record_event(
        session,
        "accounts:token:issued",
        "user",
        user.id,
        actor_of(user),
        data={"token_id": row.id, "name": row.name},
    )
    return token, row


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def revoke_api_token(session: Session, user: User, token: str) -> None:
    """The holder revokes the token it is using; the event names the holder."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is not None and row.revoked_at is None and row.user_id == user.id:
        row.revoked_at = utcnow()
        record_event(
            session,
            "accounts:token:revoked",
            "user",
            row.user_id,
            actor_of(user),
            data={"token_id": row.id},
        )


@dataclass(frozen=True)
class Scope:
    role: Role
    region_code: str
    department_id: int | None


def scopes(user: User, *roles: Role) -> list[Scope]:
    return [
        Scope(r.role, r.region_code, r.department_id)
        for r in user.roles
        if not roles or r.role in roles
    ]


def has_role(user: User, *roles: Role) -> bool:
    return user.kind == UserKind.staff and bool(scopes(user, *roles))


def can_act(user: User, role: Role, region_code: str, department_id: int | None = None) -> bool:
    """Whether the user holds `role` over this region (and department, for department roles)."""
    for sc in scopes(user, role):
        if not region_contains(sc.region_code, region_code):
            continue
        if sc.department_id is not None and sc.department_id != department_id:
            continue
        return True
    return False


def staff_for(
    session: Session, roles: Sequence[Role], region_code: str, department_id: int | None = None
) -> list[User]:
    """Active staff who hold one of `roles` over this region (and department): whom to tell."""
    rows = session.scalars(
        select(StaffRole).where(StaffRole.role.in_([r.value for r in roles]))
    ).all()
    users: dict[int, User] = {}
    for r in rows:
        if not region_contains(r.region_code, region_code):
            continue
        if r.department_id is not None and r.department_id != department_id:
            continue
        if r.user.active:
            users[r.user.id] = r.user
    return list(users.values())


def recipient_of(user: User) -> Recipient:
    return Recipient(user.id, user.email, user.phone)
