"""Request and response bodies of identity's HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from carbonid_contracts.codes.regions import KnownRegionCode
from carbonid_identity.db import User

# Lengths here only bound the work (hashing, logging); the manual's rules answer with their own messages.
LooseUsername = Field(min_length=1, max_length=64)
LoosePassword = Field(min_length=1, max_length=128)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegistrationRequest(Strict):
    username: str = LooseUsername
    password: str = LoosePassword
    password_confirm: str = LoosePassword


class LoginRequest(Strict):
    username: str = LooseUsername
    password: str = LoosePassword


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=1, max_length=256)


class LogoutRequest(Strict):
    refresh_token: str | None = Field(default=None, min_length=1, max_length=256)


class PasswordChangeRequest(Strict):
    current_password: str = LoosePassword
    new_password: str = LoosePassword
    new_password_confirm: str = LoosePassword


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int = Field(description="seconds the access token lives")
    refresh_token: str
    refresh_expires_in: int
    must_change_password: bool


class PasswordChanged(BaseModel):
    status: Literal["password-changed"] = "password-changed"
    relogin_required: Literal[True] = True
    message_zh: str = "密码已修改，请使用新密码重新登录"
    message_en: str = "Password changed: log in again with the new password"


class UserView(BaseModel):
    id: uuid.UUID
    username: str
    role: Literal["enterprise", "government", "operator"]
    region_scope: str | None
    enterprise_id: uuid.UUID | None
    identifier_prefix: str | None
    enterprise_region_code: str | None
    must_change_password: bool
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            id=user.id,
            username=user.username,
            role=user.role,  # the column's check constraint keeps it to the three roles
            region_scope=user.region_scope,
            enterprise_id=user.enterprise_id,
            identifier_prefix=user.identifier_prefix,
            enterprise_region_code=user.enterprise_region_code,
            must_change_password=user.must_change_password,
            disabled=user.disabled,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )


class BuiltInAccountRequest(Strict):
    username: str = LooseUsername
    password: str = LoosePassword
    role: Literal["government", "operator"]
    region_scope: str | None = Field(default=None, max_length=6)
    must_change_password: bool = True


class AccountChangeRequest(Strict):
    role: Literal["enterprise", "government", "operator"] | None = None
    region_scope: str | None = Field(default=None, max_length=6)
    disabled: bool | None = None


class EnterpriseBinding(Strict):
    enterprise_id: uuid.UUID
    identifier_prefix: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$")
    region_code: KnownRegionCode


class EnterpriseUnbinding(Strict):
    enterprise_id: uuid.UUID
    actor: uuid.UUID | None = Field(default=None, description="the account that removed the binding")


class BindingResult(BaseModel):
    user_id: uuid.UUID
    enterprise_id: uuid.UUID
    newly_bound: bool


class KeyRotated(BaseModel):
    kid: str


class AuditView(BaseModel):
    id: uuid.UUID
    occurred_at: datetime
    action: str
    actor_user_id: uuid.UUID | None
    subject_user_id: uuid.UUID | None
    client_address: str | None
    request_id: str | None
    details: dict[str, object]
