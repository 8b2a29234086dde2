"""API shapes for accounts."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from onething.accounts.models import Role, UserKind


class TokenRequest(BaseModel):
    login: str = Field(description="公民身份号码、统一社会信用代码或工作人员账号", max_length=64)
    password: str = Field(max_length=128)
    name: str = Field(default="api", max_length=80, description="令牌用途，便于日后识别和吊销")


class RoleOut(BaseModel):
    role: Role
    label: str
    region_code: str
    department_id: int | None


class UserOut(BaseModel):
    id: int
    kind: UserKind
    name: str
    login_masked: str
    roles: list[RoleOut]


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_at: dt.datetime
    user: UserOut


class RegisterPerson(BaseModel):
    id_number: str = Field(max_length=18)
    name: str = Field(max_length=40)
    phone: str | None = Field(default=None, max_length=11)
    password: str = Field(max_length=128)
