"""Request-scoped dependencies: one transaction per request, the user, named permissions."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from onething.accounts import service as accounts
from onething.accounts.models import Role, User, UserKind
from onething.core import notify
from onething.core.audit import Actor
from onething.core.errors import DomainError, forbidden

SESSION_COOKIE = "ot_session"
CSRF_COOKIE = "ot_csrf"
REGION_COOKIE = "ot_region"


def get_db(request: Request) -> Iterator[Session]:
    """The request's unit of work: commit if the handler succeeds, roll back if it fails."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except DomainError as exc:
        if exc.keep_changes:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# Commit before the response goes out (FastAPI's default for `yield` dependencies is after),
# so the page a redirect leads to always sees what the request did.
Db = Annotated[Session, Depends(get_db, scope="function")]


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def optional_user(request: Request, db: Db) -> User | None:
    """API calls authenticate with a bearer token, pages with the session cookie; never mixed,
    so a cookie can never be replayed against the JSON API by another site."""
    if is_api(request):
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return accounts.user_for_token(db, token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    user = accounts.user_for_session(db, cookie) if cookie else None
    if user is not None and request.method == "GET":
        # Every page's header shows how many messages are waiting.
        request.state.unread = notify.unread_count(db, user.id)
    return user


MaybeUser = Annotated[User | None, Depends(optional_user)]


def current_user(user: MaybeUser) -> User:
    if user is None:
        raise DomainError("login_required", "请先登录", 401)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: Role) -> Callable[[User], User]:
    def dependency(user: CurrentUser) -> User:
        if not accounts.has_role(user, *roles):
            raise forbidden()
        return user

    dependency.__name__ = "require_" + "_or_".join(r.value for r in roles)
    return dependency


def require_applicant(user: CurrentUser) -> User:
    if user.kind == UserKind.staff:
        raise forbidden("此功能供群众和企业办事使用，工作人员请使用工作台")
    return user


StaffUser = Annotated[User, Depends(require_roles(*Role))]
CatalogAdmin = Annotated[User, Depends(require_roles(Role.system_admin))]
CalendarAdmin = Annotated[User, Depends(require_roles(Role.system_admin))]
Applicant = Annotated[User, Depends(require_applicant)]
HotlineOperator = Annotated[User, Depends(require_roles(Role.hotline_operator))]
HotlineStaff = Annotated[
    User,
    Depends(
        require_roles(
            Role.hotline_operator,
            Role.hotline_dispatcher,
            Role.supervisor,
            Role.dept_reviewer,
            Role.chief_representative,
            Role.dept_admin,
            Role.system_admin,
        )
    ),
]
"""Anyone who works on 12345 tickets; the service checks each ticket's party and scope."""
HotlineOversight = Annotated[
    User,
    Depends(
        require_roles(
            Role.supervisor, Role.hotline_dispatcher, Role.hotline_operator, Role.system_admin
        )
    ),
]


def request_actor(request: Request, user: User | None) -> Actor:
    ip = request.client.host if request.client else None
    return accounts.actor_of(user, ip)


def csrf_token(request: Request) -> str:
    token: str = getattr(request.state, "csrf_token", "")
    return token


async def check_csrf(request: Request) -> None:
    """Double-submit check for every form post from a page."""
    form = await request.form()
    sent = form.get("csrf_token")
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not isinstance(sent, str) or not secrets.compare_digest(sent, cookie):
        raise DomainError("csrf_failed", "页面已过期，请刷新页面后重新提交", 403)


CsrfChecked = Depends(check_csrf)


async def posted_form(request: Request) -> AsyncIterator[FormData]:
    """The whole posted form, for pages whose fields come from the catalog (one merged form)
    rather than from the handler's signature; parsed once, so sync handlers can read it, and
    its uploaded files closed after the response."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


PostedForm = Annotated[FormData, Depends(posted_form)]


def region_of(request: Request) -> str:
    from onething.config import get_settings

    code = request.cookies.get(REGION_COOKIE, "")
    if code.isdigit() and len(code) == 12:
        return code
    return get_settings().default_region


def attempt(db: Session, action: Callable[[], object]) -> DomainError | None:
    """Run one service call in a savepoint. A refusal the person can put right comes back to
    be shown on the same page with only that call undone, so what the request did before it
    (a saved draft) is kept; 'not allowed' and 'not found' still go to the error page."""
    try:
        with db.begin_nested():
            action()
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        return exc
    return None


def see_other(url: str) -> Response:
    """Post/redirect/get: after a form is handled, the browser loads the result page."""
    return RedirectResponse(url, status_code=303)


def form_text(form: FormData, name: str) -> str:
    """One posted text field, trimmed; empty when absent or a file."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
