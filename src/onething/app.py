"""FastAPI application factory: mounts every domain's API router and pages."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from onething import __version__
from onething.accounts import api as accounts_api
from onething.accounts import pages as accounts_pages
from onething.cases import api as cases_api
from onething.cases import pages as cases_pages
from onething.catalog import api as catalog_api
from onething.catalog import pages as catalog_pages
from onething.config import get_settings
from onething.core.errors import DomainError
from onething.db import session_factory
from onething.guidance import api as guidance_api
from onething.guidance import pages as guidance_pages
from onething.hotline import api as hotline_api
from onething.hotline import pages as hotline_pages
from onething.policies import api as policies_api
from onething.policies import pages as policies_pages
from onething.web.deps import CSRF_COOKIE, is_api
from onething.web.templating import render

STATIC = Path(__file__).parent / "web" / "static"

_HTTP_MESSAGES = {
    404: "您访问的页面不存在",
    405: "不支持这种请求方式",
    401: "请先登录",
    403: "您没有访问权限",
}


def create_app(factory: Callable[[], Session] | sessionmaker[Session] | None = None) -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title=f"onething {settings.platform_name} API",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        description="一体化政务服务平台的 JSON 接口。认证：`POST /api/v1/auth/token` 取得令牌，"
        "之后在请求头带 `Authorization: Bearer <token>`。错误统一为 "
        '`{"error": {"code", "message", "field", "details"}}`。',
    )
    app.state.session_factory = factory or session_factory()

    @app.middleware("http")
    async def csrf_cookie(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        request.state.csrf_token = token
        response = await call_next(request)
        if CSRF_COOKIE not in request.cookies and not is_api(request):
            response.set_cookie(
                CSRF_COOKIE, token, httponly=True, samesite="lax", secure=settings.secure_cookies
            )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (
        accounts_api.router,
        catalog_api.router,
        catalog_api.calendar_router,
        cases_api.router,
        policies_api.router,
        guidance_api.router,
        hotline_api.router,
    ):
        app.include_router(router, prefix="/api/v1")
    for module in (
        accounts_pages,
        catalog_pages,
        cases_pages,
        policies_pages,
        guidance_pages,
        hotline_pages,
    ):
        app.include_router(module.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


def _error_body(exc: DomainError) -> dict[str, Any]:
    return {"error": exc.as_dict()}


async def _domain_error(request: Request, exc: DomainError) -> Response:
    if is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(_error_body(exc), status_code=exc.status, headers=headers)
    if exc.status == 401:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return render(request, "error.html", {"error": exc}, status_code=exc.status)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    details = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
        details.append({"field": ".".join(loc) or None, "message": _zh(err)})
    error = DomainError("validation_error", "提交的内容有误，请检查后重试", 422)
    if is_api(request):
        body = _error_body(error)
        body["error"]["details"] = details
        return JSONResponse(body, status_code=422)
    return render(request, "error.html", {"error": error, "details": details}, status_code=422)


def _zh(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "必填项未填写"
    if kind.startswith("int") or kind.startswith("float"):
        return "应填写数字"
    if kind.startswith("date"):
        return "日期格式应为 YYYY-MM-DD"
    if kind == "string_too_long":
        return "内容过长"
    return str(err.get("msg", "格式不正确"))


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    message = _HTTP_MESSAGES.get(exc.status_code, "请求无法处理")
    error = DomainError("http_" + str(exc.status_code), message, exc.status_code)
    if is_api(request):
        return JSONResponse(_error_body(error), status_code=exc.status_code)
    return render(request, "error.html", {"error": error}, status_code=exc.status_code)
