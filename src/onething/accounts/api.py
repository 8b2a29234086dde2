"""JSON API: tokens, the current user, registration."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from onething.accounts import service
from onething.accounts.models import ROLE_LABELS, User, UserKind
from onething.accounts.schemas import RegisterPerson, RoleOut, TokenOut, TokenRequest, UserOut
from onething.core.ids import mask_id_number
from onething.web.deps import CurrentUser, Db, request_actor

router = APIRouter(tags=["accounts"])


def user_out(user: User) -> UserOut:
    login = user.login if user.kind == UserKind.staff else mask_id_number(user.login)
    return UserOut(
        id=user.id,
        kind=user.kind,
        name=user.name,
        login_masked=login,
        roles=[
            RoleOut(
                role=r.role,
                label=ROLE_LABELS[r.role],
                region_code=r.region_code,
                department_id=r.department_id,
            )
            for r in user.roles
        ],
    )


@router.post("/auth/token", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenRequest, request: Request, db: Db) -> TokenOut:
    """Exchange a login and password for a bearer token."""
    ip = request.client.host if request.client else None
    user = service.authenticate(db, body.login, body.password, ip)
    token, row = service.issue_api_token(db, user, body.name)
    return TokenOut(token=token, expires_at=row.expires_at, user=user_out(user))


@router.delete("/auth/token", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(request: Request, db: Db, user: CurrentUser) -> None:
    """Revoke the token this request was made with."""
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    service.revoke_api_token(db, user, token)


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    return user_out(user)


@router.post("/accounts/persons", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def register(body: RegisterPerson, request: Request, db: Db) -> UserOut:
    """Register a person with their 公民身份号码."""
    user = service.register_person(
        db,
        request_actor(request, None),
        id_number=body.id_number,
        name=body.name,
        phone=body.phone,
        password=body.password,
    )
    return user_out(user)
