"""Request plumbing: the identity context, the client's address, JSON-only bodies, identity's own token check.

Identity verifies its own access tokens against its key table (no JWKS round trip to itself) and also refuses
tokens issued before the user's last password change or revocation, which offline verifiers cannot know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request

from carbonid_identity.context import Identity
from carbonid_identity.db import User
from carbonid_identity.domain.policy import RuleViolation
from carbonid_identity.keys import ALGORITHM
from carbonid_identity.logins import issued_before_revocation
from carbonid_kit.addresses import client_address as forwarded_client
from carbonid_kit.auth import PASSWORD_CHANGE_REQUIRED, Caller, bearer_token, caller_from_claims, unauthenticated
from carbonid_kit.db import transaction
from carbonid_kit.problems import FieldError, Problem


def identity_of(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


IdentityDep = Annotated[Identity, Depends(identity_of)]


def client_address(request: Request) -> str:
    """The client's address: the peer, or the last untrusted hop of X-Forwarded-For when the peer is a proxy."""
    peer = request.client.host if request.client else "unknown"
    return forwarded_client(
        peer, request.headers.get("x-forwarded-for", ""), identity_of(request).settings.trusted_proxies
    )


ClientAddress = Annotated[str, Depends(client_address)]


async def require_json(request: Request) -> None:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise Problem(
            415,
            "unsupported-media-type",
            "不支持的内容类型",
            "Unsupported media type",
            "请求体须为 application/json",
            "The request body must be application/json",
        )


JsonBody = Depends(require_json)


def rules_problem(violations: list[RuleViolation]) -> Problem:
    return Problem(
        422,
        "validation-error",
        "输入校验失败",
        "Validation failed",
        "；".join(v.zh for v in violations),
        "; ".join(v.en for v in violations),
        errors=[FieldError(f"/{v.field}", v.code, v.zh, v.en) for v in violations],
    )


@dataclass(frozen=True)
class Authenticated:
    caller: Caller
    user: User
    claims: dict[str, Any]


def _revoked() -> Problem:
    return Problem(
        401,
        "token-revoked",
        "登录已失效",
        "Session ended",
        "密码已修改或登录已被撤销，请重新登录",
        "The password was changed or the session revoked: log in again",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def _authenticate(request: Request) -> Authenticated:
    token = bearer_token(request)
    if token is None:
        raise unauthenticated("请先登录", "Log in first")
    identity = identity_of(request)
    try:
        kid = str(jwt.get_unverified_header(token).get("kid", ""))
    except jwt.PyJWTError as exc:
        raise unauthenticated("令牌格式无效", "Malformed access token") from exc
    async with transaction(identity.sessions) as session:
        key = await identity.keys.public_key(session, kid)
        if key is None:
            raise unauthenticated("令牌签名密钥未知", "Access token signed with an unknown key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=identity.settings.jwt_audience,
                issuer=identity.settings.jwt_issuer,
                options={"require": ["exp", "iat", "sub"], "verify_exp": False, "verify_iat": False},
            )
            if claims.get("typ") != "access":
                raise unauthenticated("不是访问令牌", "Not an access token")
            caller = caller_from_claims(claims)
        except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
            raise unauthenticated("令牌无效", "Invalid access token") from exc
        if float(claims["exp"]) <= identity.clock().timestamp():
            raise Problem(
                401, "token-expired", "登录已过期", "Access token expired", "请刷新令牌或重新登录",
                "Refresh the token or log in again", headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
        user = await session.get(User, caller.user_id)
    if user is None or user.disabled or issued_before_revocation(user, float(claims["iat"])):
        raise _revoked()
    return Authenticated(caller, user, claims)


async def authenticated_allowing_pending_change(request: Request) -> Authenticated:
    """The caller, even while the forced password change is pending (me, change password, logout)."""
    return await _authenticate(request)


async def authenticated(request: Request) -> Authenticated:
    auth = await _authenticate(request)
    if auth.user.must_change_password:
        raise Problem(
            403,
            PASSWORD_CHANGE_REQUIRED,
            "请先修改初始密码",
            "Change your initial password first",
            "首次登录后必须修改密码",
            "The password must be changed after the first login",
        )
    return auth


async def operator(request: Request) -> Authenticated:
    auth = await authenticated(request)
    if auth.user.role != "operator":
        raise Problem(403, "forbidden", "禁止访问", "Forbidden", "仅平台运营人员可执行", "Operators only")
    return auth


PendingCaller = Annotated[Authenticated, Depends(authenticated_allowing_pending_change)]
OperatorCaller = Annotated[Authenticated, Depends(operator)]
