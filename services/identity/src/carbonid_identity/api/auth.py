"""Self-registration, login, refresh, logout, password change, the caller's own account, the JWKS."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from carbonid_identity import logins, throttle_store
from carbonid_identity.accounts import NewAccount, RulesBrokenError, UsernameTakenError, create_account
from carbonid_identity.api.deps import (
    ClientAddress,
    IdentityDep,
    JsonBody,
    PendingCaller,
    authenticated_allowing_pending_change,
    require_json,
    rules_problem,
)
from carbonid_identity.api.schemas import (
    LoginRequest,
    LogoutRequest,
    PasswordChanged,
    PasswordChangeRequest,
    RefreshRequest,
    RegistrationRequest,
    TokenResponse,
    UserView,
)
from carbonid_identity.domain.policy import registration_violations
from carbonid_kit.auth import bearer_token
from carbonid_kit.db import transaction
from carbonid_kit.problems import FieldError, Problem

router = APIRouter(tags=["auth"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _username_taken() -> Problem:
    return Problem(
        409,
        "username-taken",
        "用户名已被注册",
        "Username taken",
        "该用户名已被注册（不区分大小写）",
        "This username is already registered (case-insensitively)",
        errors=[FieldError("/username", "username-taken", "用户名已被注册", "Username taken")],
    )


def _invalid_credentials() -> Problem:
    return Problem(
        401,
        "invalid-credentials",
        "用户名或密码错误",
        "Invalid credentials",
        "用户名或密码错误，或失败次数过多已暂时锁定，请稍后再试",
        "Wrong username or password, or too many failed attempts: try again later",
    )


@router.post(
    "/auth/register",
    status_code=201,
    response_model=UserView,
    dependencies=[JsonBody],
    summary="Self-registration of an enterprise user (注册)",
    responses={
        409: {"description": "username taken"},
        422: {"description": "rules broken"},
        429: {"description": "too many registrations from this address"},
    },
)
async def register(body: RegistrationRequest, identity: IdentityDep, address: ClientAddress) -> UserView:
    violations = registration_violations(body.username, body.password, body.password_confirm)
    if violations:
        raise rules_problem(violations)
    async with transaction(identity.sessions) as session:
        locked, _ = await throttle_store.reserve_attempt(
            session, throttle_store.REGISTRATION, address, identity.clock(), identity.registration_policy
        )
    if locked is not None:
        seconds = max(1, math.ceil(locked.total_seconds()))
        raise Problem(
            429,
            "too-many-registrations",
            "注册过于频繁",
            "Too many registrations",
            f"来自该地址的注册次数过多，请{seconds}秒后再试",
            f"Too many registrations from this address: retry in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )
    account = NewAccount(body.username, body.password, "enterprise", must_change_password=True, self_registered=True)
    try:
        async with transaction(identity.sessions) as session:
            user = await create_account(identity, session, account, client_address=address)
    except UsernameTakenError as exc:
        raise _username_taken() from exc
    except IntegrityError as exc:  # two registrations of one name at once: the unique index decides
        raise _username_taken() from exc
    except RulesBrokenError as exc:
        raise rules_problem(exc.violations) from exc
    return UserView.of(user)


@router.post(
    "/auth/login",
    response_model=TokenResponse,
    dependencies=[JsonBody],
    summary="Log in (登录): access token and refresh token",
    responses={401: {"description": "invalid credentials"}, 429: {"description": "too many failures"}},
)
async def login(body: LoginRequest, identity: IdentityDep, address: ClientAddress, response: Response) -> TokenResponse:
    try:
        issued = await logins.login(identity, body.username, body.password, address)
    except logins.InvalidCredentialsError as exc:
        raise _invalid_credentials() from exc
    except logins.AddressThrottledError as exc:
        seconds = max(1, math.ceil(exc.retry_after.total_seconds()))
        raise Problem(
            429,
            "too-many-login-attempts",
            "登录失败次数过多",
            "Too many failed logins",
            f"来自该地址的登录失败次数过多，请{seconds}秒后再试",
            f"Too many failed logins from this address: retry in {seconds} s",
            headers={"Retry-After": str(seconds)},
        ) from exc
    response.headers.update(NO_STORE)
    return _tokens(issued)


def _tokens(issued: logins.IssuedTokens) -> TokenResponse:
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
        refresh_expires_in=issued.refresh_expires_in,
        must_change_password=issued.must_change_password,
    )


@router.post(
    "/auth/refresh",
    response_model=TokenResponse,
    dependencies=[JsonBody],
    summary="Rotate a refresh token: new access and refresh tokens",
    responses={401: {"description": "refresh token refused"}},
)
async def refresh(
    body: RefreshRequest, identity: IdentityDep, address: ClientAddress, response: Response
) -> TokenResponse:
    try:
        issued = await logins.refresh(identity, body.refresh_token, address)
    except logins.RefreshRefusedError as exc:
        raise Problem(
            401,
            "refresh-token-reused" if exc.reason == "reused" else "invalid-refresh-token",
            "刷新令牌无效",
            "Refresh token refused",
            "刷新令牌已失效或被重复使用，请重新登录",
            "The refresh token is no longer valid or was reused: log in again",
        ) from exc
    response.headers.update(NO_STORE)
    return _tokens(issued)


@router.post(
    "/auth/logout",
    status_code=204,
    summary="Log out: end the session of a refresh token, or every session of the caller",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": LogoutRequest.model_json_schema()}},
        }
    },
    responses={401: {"description": "neither a refresh token nor an access token"}},
)
async def logout(request: Request, identity: IdentityDep, address: ClientAddress) -> Response:
    refresh_token: str | None = None
    raw = await request.body()
    if raw.strip():
        await require_json(request)
        try:
            refresh_token = LogoutRequest.model_validate_json(raw).refresh_token
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from exc
    user_id = None
    if bearer_token(request) is not None:
        user_id = (await authenticated_allowing_pending_change(request)).user.id
    if refresh_token is None and user_id is None:
        raise Problem(401, "unauthenticated", "需要登录", "Authentication required", "请提供刷新令牌或访问令牌",
                      "Send a refresh token or an access token")  # fmt: skip
    await logins.logout(identity, refresh_token, user_id, address)
    return Response(status_code=204)


@router.post(
    "/auth/password",
    response_model=PasswordChanged,
    dependencies=[JsonBody],
    summary="Change the password (重置密码); every session ends, log in again",
    responses={401: {"description": "not logged in"}, 422: {"description": "rules broken"}},
)
async def change_password(
    body: PasswordChangeRequest, caller: PendingCaller, identity: IdentityDep, address: ClientAddress
) -> PasswordChanged:
    try:
        await logins.change_password(
            identity,
            caller.user.id,
            current_password=body.current_password,
            new_password=body.new_password,
            confirmation=body.new_password_confirm,
            client_address=address,
        )
    except logins.InvalidCredentialsError as exc:
        raise Problem(401, "token-revoked", "登录已失效", "Session ended") from exc
    except logins.PasswordRulesBrokenError as exc:
        raise rules_problem(exc.violations) from exc
    return PasswordChanged()


@router.get("/me", response_model=UserView, summary="The caller's own account", responses={401: {}})
async def me(caller: PendingCaller) -> UserView:
    return UserView.of(caller.user)


@router.get("/.well-known/jwks.json", summary="Public keys that verify access tokens (JWKS)", tags=["keys"])
async def jwks(identity: IdentityDep, response: Response) -> dict[str, Any]:
    async with transaction(identity.sessions) as session:
        document = await identity.keys.jwks(session)
        if not document["keys"]:
            await identity.keys.active(session)  # first start: make the first key
            document = await identity.keys.jwks(session)
    # Verifiers cache it; a short max-age lets a rotation reach them before the new key signs much.
    response.headers["Cache-Control"] = "public, max-age=60"
    return document
