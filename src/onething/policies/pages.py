"""Chinese pages for 惠企惠民政策: the public list and policy pages with 咨询, 我能享受哪些政策
with the pre-filled applications of 精准推送, and the departments' pages (metrics, approving
applications, registering payments, answering questions, editing a policy as YAML).

Handlers stay thin, as in cases/pages.py: load (that checks read permission), call the one
service function (write permission and every rule live there), then render or redirect. A
refusal the person can put right comes back on the same page, next to its form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote, unquote

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from onething.accounts.models import Role, User, UserKind
from onething.config import get_settings
from onething.core.errors import DomainError, ErrorDetail, forbidden, not_found
from onething.core.workdays import local_date
from onething.db import utcnow
from onething.policies import matching, outcomes
from onething.policies import service as ps
from onething.policies.explain import describer, requirement_lines
from onething.policies.models import Grant, Policy, PolicyPush
from onething.policies.schemas import (
    BENEFIT_KIND_LABELS,
    MODE_LABELS,
    PERIOD_LABELS,
    Mode,
    PolicyDoc,
)
from onething.policies.states import GRANT_STATE_LABELS, PUSH_STATE_LABELS
from onething.profiles import service as profiles
from onething.profiles.attributes import (
    KIND_LABELS,
    NUMERIC,
    AttrType,
    ProfileKind,
    load_dictionary,
)
from onething.profiles.models import Profile
from onething.web.deps import (
    Applicant,
    CsrfChecked,
    Db,
    MaybeUser,
    StaffUser,
    attempt,
    request_actor,
    require_roles,
)
from onething.web.templating import beijing, render

router = APIRouter(include_in_schema=False)
PolicyAdmin = Annotated[User, Depends(require_roles(Role.system_admin))]

FLASH_COOKIE = "ot_flash"
"""A one-time message ("已提交") carried across the redirect after a successful post."""
GRANT_TABS = {"granted": "待兑现", "fulfilled": "已兑现", "revoked": "已撤销"}
SHOWN_ROWS = 200
LABELS: dict[str, Any] = {
    "MODES": MODE_LABELS,
    "PERIODS": PERIOD_LABELS,
    "BENEFIT_KINDS": BENEFIT_KIND_LABELS,
    "TARGETS": KIND_LABELS,
    "GRANT_STATES": GRANT_STATE_LABELS,
    "PUSH_STATES": PUSH_STATE_LABELS,
    "GRANT_TABS": GRANT_TABS,
}


# ---------------------------------------------------------------- words for numbers


def money(amount: Any, unit: str = "元") -> str:
    """100 and 元/月 as "100元/月"; "" when there is no fixed sum."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount)).normalize()
    except InvalidOperation:
        return f"{amount}{unit}"
    return f"{value:f}{unit}"


def benefit_words(benefit: Mapping[str, Any]) -> str:
    """What a policy gives, in one short phrase: "1600元/月", "100～300元/月" with tiers, or
    the kind of benefit when there is no fixed sum."""
    unit = str(benefit.get("unit", "元"))
    sums = [benefit.get("amount"), *(t.get("amount") for t in benefit.get("tiers", []))]
    amounts = sorted(Decimal(str(a)) for a in sums if a is not None)
    if not amounts:
        return f"{BENEFIT_KIND_LABELS[benefit.get('kind', 'cash')]}，按规定标准"
    if amounts[0] == amounts[-1]:
        return money(amounts[0], unit)
    return f"{money(amounts[0], '')}～{money(amounts[-1], unit)}"


def period_words(period: str) -> str:
    """A grant's period (once, 2026, 2026-Q4, 2026-12) in words."""
    if period == "once":
        return "一次性"
    year, _, part = period.partition("-")
    if not part:
        return f"{year}年"
    if part.startswith("Q"):
        return f"{year}年第{part[1:]}季度"
    return f"{year}年{int(part)}月" if part.isdigit() else period


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _shown(name: str, value: Any, regions: Mapping[str, str]) -> str:
    """One profile value as a person reads it: 是/否, a region by its name, a number with its
    unit."""
    if value is True:
        return "是"
    if value is False:
        return "否"
    attr = load_dictionary().get(name)
    if attr is None or value is None:
        return "" if value is None else str(value)
    if attr.type == AttrType.region:
        return _region_words(str(value), regions)
    if attr.type in NUMERIC:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return f"{value}{attr.unit}"
    return str(value)


def _region_words(code: str, regions: Mapping[str, str]) -> str:
    """A region code as its full name down from the county: 二七区淮河路街道淮南街社区居委会."""
    names = []
    for size in (6, 9, 12):
        if len(code) >= size:
            name = regions.get(code[:size].ljust(12, "0"))
            if name and name not in names:
                names.append(name)
    return "".join(names) or code


def _label(name: str) -> str:
    attr = load_dictionary().get(name)
    return attr.label if attr else name


def _department_name(policy: Policy, regions: Mapping[str, str]) -> str:
    """二七区's departments are named without the district ("民政局"): say whose it is."""
    region = regions.get(policy.region_code, "")
    name = policy.department.name
    return name if not region or region in name or name.startswith("国家") else region + name


def _when(at: Any) -> str:
    """A source's ISO timestamp (UTC) as a Beijing date."""
    try:
        moment = dt.datetime.fromisoformat(str(at))
    except ValueError:
        return str(at or "")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return beijing(moment, "%Y-%m-%d")


# ---------------------------------------------------------------- page plumbing


def _page(
    request: Request, template: str, ctx: dict[str, Any], user: User | None, status: int = 200
) -> Response:
    flash = request.cookies.get(FLASH_COOKIE)
    helpers = {
        "money": money,
        "benefit_words": benefit_words,
        "percent": percent,
        "period_words": period_words,
    }
    context = {**LABELS, **helpers, "flash": unquote(flash) if flash else None, **ctx}
    response = render(request, template, context, status_code=status, user=user)
    if flash:
        response.delete_cookie(FLASH_COOKIE)
    return response


def _see_other(url: str, flash: str | None = None) -> Response:
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(
            FLASH_COOKIE,
            quote(flash, safe=""),
            max_age=120,
            httponly=True,
            samesite="lax",
            secure=get_settings().secure_cookies,
        )
    return response


def _today() -> dt.date:
    return local_date(utcnow())


def _is_applicant(user: User | None) -> bool:
    return user is not None and user.kind != UserKind.staff


# ---------------------------------------------------------------- everyone: the list


@router.get("/policies", response_class=HTMLResponse)
def policy_list(
    request: Request, db: Db, user: MaybeUser, target: str = "", mode: str = ""
) -> Response:
    target = target if target in {k.value for k in ProfileKind} else ""
    mode = mode if mode in {m.value for m in Mode} else ""
    rows = ps.list_policies(db, target=target or None, mode=mode or None)
    regions = ps.region_names(db)
    groups = [
        (kind, KIND_LABELS[kind], [p for p in rows if p.target == kind.value])
        for kind in ProfileKind
    ]
    ctx = {
        "groups": [g for g in groups if g[2]],
        "total": len(rows),
        "target": target,
        "mode": mode,
        "departments": {p.id: _department_name(p, regions) for p in rows},
    }
    return _page(request, "policies/list.html", ctx, user)


# ---------------------------------------------------------------- everyone: one policy


def _conditions(db: Session, policy: Policy) -> tuple[list[str], list[tuple[str, str]]]:
    """The conditions as Chinese lines, and each amount tier as (when, amount)."""
    describe = describer(ps.region_names(db))
    compiled = ps.compile_policy(policy)
    unit = str(policy.benefit.get("unit", "元"))
    tiers = [
        ("，且".join(requirement_lines(t, describe)), money(a, unit))
        for t, a in compiled.tier_trees
    ]
    return requirement_lines(compiled.tree, describe), tiers


def _policy_page(
    request: Request,
    db: Session,
    user: User | None,
    policy: Policy,
    *,
    status: int = 200,
    error: DomainError | None = None,
    question: str = "",
) -> Response:
    lines, tiers = _conditions(db, policy)
    regions = ps.region_names(db)
    asked = outcomes.consultations_of(db, policy, asked_by=user) if user is not None else []
    ctx = {
        "policy": policy,
        "lines": lines,
        "tiers": tiers,
        "department": _department_name(policy, regions),
        "active": ps.is_active(policy, _today()),
        "can_ask": _is_applicant(user),
        "asked": asked,
        "question": question,
        "error": error,
    }
    return _page(request, "policies/policy.html", ctx, user, status)


@router.get("/policies/mine", response_class=HTMLResponse)
def my_policies(request: Request, db: Db, user: Applicant) -> Response:
    profile = profiles.ensure_profile_for_user(db, request_actor(request, user), user)
    found = ps.policies_for_values(db, ProfileKind(profile.kind), profile.values, _today())
    grants = outcomes.grants_of(db, profile)
    pushes = outcomes.pushes_of(db, profile)
    regions = ps.region_names(db)
    ctx = {
        "profile": profile,
        "eligible": found.eligible,
        "nearly": found.nearly,
        "grants": grants,
        "pushes": pushes,
        "grant_of": _latest(grants),
        "push_of": _latest(pushes),
        "facts": _profile_rows(profile, regions),
    }
    return _page(request, "policies/mine.html", ctx, user)


def _latest(rows: Iterable[Grant | PolicyPush]) -> dict[int, Any]:
    """The newest grant or push of each policy (the lists come newest first)."""
    out: dict[int, Any] = {}
    for row in rows:
        out.setdefault(row.policy_id, row)
    return out


def _profile_rows(profile: Profile, regions: Mapping[str, str]) -> list[dict[str, str]]:
    """我的画像信息: each recorded value with its label, its source and when it came."""
    order = [a.name for a in load_dictionary().of_kind(ProfileKind(profile.kind))]
    names = sorted(profile.values, key=lambda n: order.index(n) if n in order else len(order))
    rows = []
    for name in names:
        source = profile.sources.get(name) or {}
        rows.append(
            {
                "label": _label(name),
                "value": _shown(name, profile.values[name], regions),
                "source": str(source.get("source", "")),
                "at": _when(source.get("at")),
            }
        )
    return rows


@router.get("/policies/{code}", response_class=HTMLResponse)
def policy_page(code: str, request: Request, db: Db, user: MaybeUser) -> Response:
    return _policy_page(request, db, user, ps.load_policy(db, code))


@router.post("/policies/{code}/consult", dependencies=[CsrfChecked])
def consult(
    code: str,
    request: Request,
    db: Db,
    user: Applicant,
    question: Annotated[str, Form()] = "",
) -> Response:
    policy = ps.load_policy(db, code)
    act = partial(outcomes.ask, db, request_actor(request, user), user, policy, question)
    error = attempt(db, act)
    if error is not None:
        return _policy_page(
            request, db, user, policy, status=error.status, error=error, question=question
        )
    return _see_other(
        f"/policies/{policy.code}#consult",
        "您的咨询已提交给发布部门，答复后会发到“消息”里，也会显示在本页。",
    )


# ---------------------------------------------------------------- applicants: one push


def _push_page(
    request: Request,
    db: Session,
    user: User,
    push: PolicyPush,
    *,
    status: int = 200,
    error: DomainError | None = None,
    note: str = "",
) -> Response:
    regions = ps.region_names(db)
    facts = [
        (f.get("label") or _label(f["attr"]), _shown(f["attr"], f.get("value"), regions))
        for f in push.application.get("facts", [])
    ]
    ctx = {
        "push": push,
        "policy": push.policy,
        "facts": facts,
        "amount": money(push.application.get("amount"), str(push.policy.benefit.get("unit", ""))),
        "department": _department_name(push.policy, regions),
        "note": note,
        "error": error,
    }
    return _page(request, "policies/push.html", ctx, user, status)


@router.get("/policies/pushes/{push_id}", response_class=HTMLResponse)
def push_page(push_id: int, request: Request, db: Db, user: Applicant) -> Response:
    return _push_page(request, db, user, outcomes.load_own_push(db, user, push_id))


@router.post("/policies/pushes/{push_id}/apply", dependencies=[CsrfChecked])
def apply_push(
    push_id: int,
    request: Request,
    db: Db,
    user: Applicant,
    note: Annotated[str, Form()] = "",
) -> Response:
    push = outcomes.load_own_push(db, user, push_id)
    act = partial(outcomes.apply_push, db, request_actor(request, user), user, push, note)
    error = attempt(db, act)
    if error is not None:
        return _push_page(request, db, user, push, status=error.status, error=error, note=note)
    return _see_other(
        f"/policies/pushes/{push.id}", "申请已提交，发布部门审核后会通过“消息”告诉您结果。"
    )


@router.post("/policies/pushes/{push_id}/dismiss", dependencies=[CsrfChecked])
def dismiss_push(push_id: int, request: Request, db: Db, user: Applicant) -> Response:
    push = outcomes.load_own_push(db, user, push_id)
    act = partial(outcomes.dismiss_push, db, request_actor(request, user), user, push)
    error = attempt(db, act)
    if error is not None:
        return _push_page(request, db, user, push, status=error.status, error=error)
    return _see_other(f"/policies/pushes/{push.id}", "已记录：您不需要这项政策。")


# ---------------------------------------------------------------- departments: overview


@router.get("/admin/policies", response_class=HTMLResponse)
def admin_policies(request: Request, db: Db, user: StaffUser) -> Response:
    every = ps.list_policies(db, include_retired=True)
    rows = [p for p in every if outcomes.can_oversee(user, p)]
    figures = outcomes.metrics(db, rows)
    ctx = {
        "rows": figures,
        "retired": {p.code for p in rows if p.retired},
        "totals": outcomes.totals(figures) if figures else None,
    }
    return _page(request, "policies/admin_list.html", ctx, user)


@router.post("/admin/policies/run", dependencies=[CsrfChecked])
def admin_run(request: Request, db: Db, user: PolicyAdmin) -> Response:
    r = matching.run_all(db, request_actor(request, user))
    return _see_other(
        "/admin/policies",
        f"比对完成：{r.profiles} 个画像 × {r.policies} 项政策，共符合 {r.eligible} 人次"
        f"（新符合 {r.newly_eligible}，不再符合 {r.no_longer_eligible}）；"
        f"新认定 {r.grants} 笔，新推送 {r.pushes} 笔，撤回推送 {r.withdrawn} 笔；"
        f"用时 {r.seconds} 秒。",
    )


# ---------------------------------------------------------------- departments: one policy


def _overseen(db: Session, user: User, code: str) -> Policy:
    policy = ps.load_policy(db, code)
    if not outcomes.can_oversee(user, policy):
        raise forbidden("只有发布部门和监管人员可以查看")
    return policy


def _policy_yaml(policy: Policy) -> str:
    doc = ps.dump_doc(ps.policy_doc(policy))
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def _admin_page(
    request: Request,
    db: Session,
    user: User,
    policy: Policy,
    *,
    grants: str = "granted",
    status: int = 200,
    error: DomainError | None = None,
    error_at: str = "",
    posted: str = "",
    yaml_text: str | None = None,
    yaml_errors: list[str] | None = None,
) -> Response:
    grants = grants if grants in GRANT_TABS else "granted"
    lines, tiers = _conditions(db, policy)
    regions = ps.region_names(db)
    ctx = {
        "policy": policy,
        "lines": lines,
        "tiers": tiers,
        "department": _department_name(policy, regions),
        "shown": partial(_shown, regions=regions),
        "m": outcomes.metrics(db, [policy])[0],
        "can_handle": outcomes.can_handle(user, policy),
        "pending": outcomes.pushes_of_policy(db, policy, "applied", SHOWN_ROWS),
        "grant_tab": grants,
        "grants": outcomes.grants_of_policy(db, policy, grants, SHOWN_ROWS),
        "shown_rows": SHOWN_ROWS,
        "consultations": outcomes.consultations_of(db, policy),
        "versions": ps.history(db, policy),
        "yaml_text": _policy_yaml(policy) if yaml_text is None else yaml_text,
        "yaml_errors": yaml_errors or [],
        "error": error,
        "error_at": error_at,
        "posted": posted,
    }
    return _page(request, "policies/admin_policy.html", ctx, user, status)


@router.get("/admin/policies/{code}", response_class=HTMLResponse)
def admin_policy(
    code: str, request: Request, db: Db, user: StaffUser, grants: str = "granted"
) -> Response:
    return _admin_page(request, db, user, _overseen(db, user, code), grants=grants)


def _decided(
    request: Request,
    db: Session,
    user: User,
    policy: Policy,
    act: Callable[[], object],
    *,
    at: str,
    done: str,
    posted: str = "",
    grants: str = "granted",
) -> Response:
    """Run the one service call; back to the policy with a message, or the same page with
    the refusal next to the form `at`."""
    error = attempt(db, act)
    if error is not None:
        return _admin_page(
            request,
            db,
            user,
            policy,
            grants=grants,
            status=error.status,
            error=error,
            error_at=at,
            posted=posted,
        )
    suffix = f"?grants={grants}" if grants != "granted" else ""
    return _see_other(f"/admin/policies/{policy.code}{suffix}#{at.replace(':', '-')}", done)


def _push_of(db: Session, policy: Policy, push_id: int) -> PolicyPush:
    push = outcomes.load_push(db, push_id)
    if push.policy_id != policy.id:
        raise not_found("政策推送", str(push_id))
    return push


def _grant_of(db: Session, policy: Policy, grant_id: int) -> Grant:
    grant = outcomes.load_grant(db, grant_id)
    if grant.policy_id != policy.id:
        raise not_found("兑现记录", str(grant_id))
    return grant


@router.post("/admin/policies/{code}/pushes/{push_id}/approve", dependencies=[CsrfChecked])
def admin_approve(code: str, push_id: int, request: Request, db: Db, user: StaffUser) -> Response:
    policy = _overseen(db, user, code)
    push = _push_of(db, policy, push_id)
    act = partial(outcomes.approve_push, db, request_actor(request, user), user, push, _today())
    done = f"已审核通过 {push.profile.name} 的申请，已生成待兑现记录。"
    return _decided(request, db, user, policy, act, at=f"push:{push.id}", done=done)


@router.post("/admin/policies/{code}/pushes/{push_id}/reject", dependencies=[CsrfChecked])
def admin_reject(
    code: str,
    push_id: int,
    request: Request,
    db: Db,
    user: StaffUser,
    reason: Annotated[str, Form()] = "",
) -> Response:
    policy = _overseen(db, user, code)
    push = _push_of(db, policy, push_id)
    act = partial(outcomes.reject_push, db, request_actor(request, user), user, push, reason)
    done = f"已审核不通过 {push.profile.name} 的申请，原因已告知申请人。"
    return _decided(request, db, user, policy, act, at=f"push:{push.id}", done=done, posted=reason)


@router.post("/admin/policies/{code}/grants/{grant_id}/fulfil", dependencies=[CsrfChecked])
def admin_fulfil(
    code: str,
    grant_id: int,
    request: Request,
    db: Db,
    user: StaffUser,
    payment_reference: Annotated[str, Form()] = "",
    grants: Annotated[str, Form()] = "granted",
) -> Response:
    policy = _overseen(db, user, code)
    grant = _grant_of(db, policy, grant_id)
    act = partial(
        outcomes.fulfil_grant, db, request_actor(request, user), user, grant, payment_reference
    )
    done = f"已登记 {grant.profile.name} 的兑现，凭证号 {payment_reference.strip()}。"
    return _decided(
        request,
        db,
        user,
        policy,
        act,
        at=f"grant:{grant.id}",
        done=done,
        posted=payment_reference,
        grants=grants,
    )


@router.post("/admin/policies/{code}/grants/{grant_id}/revoke", dependencies=[CsrfChecked])
def admin_revoke(
    code: str,
    grant_id: int,
    request: Request,
    db: Db,
    user: StaffUser,
    reason: Annotated[str, Form()] = "",
    grants: Annotated[str, Form()] = "granted",
) -> Response:
    policy = _overseen(db, user, code)
    grant = _grant_of(db, policy, grant_id)
    act = partial(outcomes.revoke_grant, db, request_actor(request, user), user, grant, reason)
    done = f"已撤销 {grant.profile.name} 的认定，原因已告知本人。"
    return _decided(
        request,
        db,
        user,
        policy,
        act,
        at=f"revoke:{grant.id}",
        done=done,
        posted=reason,
        grants=grants,
    )


@router.post(
    "/admin/policies/{code}/consultations/{consultation_id}/answer", dependencies=[CsrfChecked]
)
def admin_answer(
    code: str,
    consultation_id: int,
    request: Request,
    db: Db,
    user: StaffUser,
    answer: Annotated[str, Form()] = "",
) -> Response:
    policy = _overseen(db, user, code)
    row = outcomes.load_consultation(db, consultation_id)
    if row.policy_id != policy.id:
        raise not_found("政策咨询", str(consultation_id))
    act = partial(outcomes.answer, db, request_actor(request, user), user, row, answer)
    done = "答复已发送给咨询人。"
    return _decided(
        request, db, user, policy, act, at=f"consultation:{row.id}", done=done, posted=answer
    )


# ---------------------------------------------------------------- administrators: the editor


_PYDANTIC_WORDS = {
    "missing": "必须填写",
    "extra_forbidden": "不认识的字段（是否拼写有误？）",
    "string_too_short": "不能为空",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "decimal_parsing": "应填写数字",
    "decimal_type": "应填写数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "dict_type": "应为一组“字段: 值”",
    "list_type": "应为列表",
}


def _doc_from_yaml(text: str) -> tuple[PolicyDoc | None, list[str]]:
    """The policy the editor holds, or every problem with it in words."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [f"YAML 格式有误{('（' + where + '）') if where else ''}：{problem}"]
    if not isinstance(raw, dict):
        return None, ["内容应是一项政策（“字段: 值”的形式），不能为空"]
    try:
        return PolicyDoc.model_validate(raw), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()))
            words = _PYDANTIC_WORDS.get(err.get("type", ""))
            if words is None:
                words = str(err.get("msg", "格式不正确")).removeprefix("Value error, ")
            problems.append(f"{where}：{words}" if where else words)
        return None, problems


def _detail_line(d: ErrorDetail) -> str:
    where = d.location or d.field
    return f"{d.message}（位置：{where}）" if where else d.message


@router.post("/admin/policies/{code}/edit", dependencies=[CsrfChecked])
def admin_edit(
    code: str,
    request: Request,
    db: Db,
    user: PolicyAdmin,
    policy_yaml: Annotated[str, Form()] = "",
) -> Response:
    policy = ps.load_policy(db, code)
    doc, problems = _doc_from_yaml(policy_yaml)
    if doc is not None and doc.code != policy.code:
        doc, problems = None, [f"不能在这里修改政策编码：code 应为 {policy.code}"]
    saved: list[tuple[Policy, str]] = []
    if doc is not None:
        act = partial(ps.save_policy, db, request_actor(request, user), doc)
        error = attempt(db, lambda: saved.append(act()))
        if error is not None:
            problems = [error.message, *(_detail_line(d) for d in error.details)]
    if problems or not saved:
        return _admin_page(
            request, db, user, policy, status=422, yaml_text=policy_yaml, yaml_errors=problems
        )
    saved_policy, outcome = saved[0]
    done = (
        "内容没有变化，未生成新版本。"
        if outcome == "unchanged"
        else f"已保存为第 {saved_policy.version} 版，并已按新条件重新比对。"
    )
    return _see_other(f"/admin/policies/{policy.code}#editor", done)


@router.post("/admin/policies/{code}/retire", dependencies=[CsrfChecked])
def admin_retire(code: str, request: Request, db: Db, user: PolicyAdmin) -> Response:
    policy = ps.load_policy(db, code)
    ps.retire_policy(db, request_actor(request, user), policy)
    return _see_other(
        f"/admin/policies/{policy.code}",
        "本政策已停止执行，不再比对；已有的认定和推送保持不变。重新保存政策内容即可恢复执行。",
    )
