"""Pages: log in, log out, register, my account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onething.accounts import service
from onething.accounts.models import UserKind
from onething.config import get_settings
from onething.core.errors import DomainError
from onething.profiles import service as profiles
from onething.web.deps import (
    SESSION_COOKIE,
    Applicant,
    CsrfChecked,
    CurrentUser,
    Db,
    MaybeUser,
    request_actor,
)
from onething.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local paths: a login link must not send people to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: MaybeUser, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "form": {}}, user=user)


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    db: Db,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    ip = request.client.host if request.client else None
    try:
        user = service.authenticate(db, login, password, ip)
    except DomainError as exc:
        if not exc.keep_changes:
            db.rollback()
        return render(
            request,
            "login.html",
            {"error": exc, "next": _safe_next(next), "form": {"login": login}},
            status_code=exc.status,
        )
    token = service.start_web_session(db, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
        max_age=get_settings().session_days * 86400,
    )
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, db: Db) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        service.end_web_session(db, cookie)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/register", response_class=HTMLResponse)
def register_page(request: Request, user: MaybeUser) -> Response:
    return render(request, "register.html", {"form": {}}, user=user)


@router.post("/register", dependencies=[CsrfChecked])
def register(
    request: Request,
    db: Db,
    id_number: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password2: Annotated[str, Form()] = "",
) -> Response:
    form = {"id_number": id_number, "name": name, "phone": phone}
    try:
        if password != password2:
            raise DomainError("password_mismatch", "两次输入的密码不一致", 422, "password2")
        service.register_person(
            db,
            request_actor(request, None),
            id_number=id_number,
            name=name,
            phone=phone or None,
            password=password,
        )
    except DomainError as exc:
        db.rollback()
        return render(
            request, "register.html", {"error": exc, "form": form}, status_code=exc.status
        )
    return render(
        request,
        "login.html",
        {"notice": "注册成功，请登录", "next": "/", "form": {"login": id_number}},
    )


@router.get("/me", response_class=HTMLResponse)
def my_account(request: Request, db: Db, user: CurrentUser) -> Response:
    profile = None if user.kind == UserKind.staff else profiles.get_profile_of_user(db, user)
    return render(request, "me.html", {"profile": profile}, user=user)


@router.post("/me/consent", dependencies=[CsrfChecked])
def my_consent(
    request: Request, db: Db, user: Applicant, reuse: Annotated[str, Form()] = ""
) -> Response:
    """授权复用: pre-fill forms from my profile and earlier cases, or stop doing so."""
    profiles.set_reuse_consent(db, request_actor(request, user), user, reuse == "yes")
    return RedirectResponse("/me#consent", status_code=303)
