"""Verifying callers: access tokens (JWT, EdDSA/ES256) checked offline against identity's JWKS.

The gateway checks the token once for routing and rate limits, but forwards it unchanged; every service
checks it again here, so that no header a client could forge is ever trusted. Authorisation (which
enterprise, which region) stays in each service; this module only says who the caller is.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import httpx
import jwt
from fastapi import Depends, Request
from jwt import PyJWK

from carbonid_contracts.codes.region import region_within
from carbonid_kit.problems import Problem

log = logging.getLogger(__name__)

Role = Literal["enterprise", "government", "operator"]
PASSWORD_CHANGE_REQUIRED = "password-change-required"  # noqa: S105 - a problem type, not a secret


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    username: str
    role: Role
    region_scope: str | None = None
    enterprise_id: uuid.UUID | None = None
    must_change_password: bool = False

    def may_see(self, *, enterprise_id: uuid.UUID | None = None, region_code: str | None = None) -> bool:
        """Enterprise users see their own enterprise; government users their region; operators all."""
        if self.role == "operator":
            return True
        if self.role == "enterprise":
            return enterprise_id is not None and enterprise_id == self.enterprise_id
        return bool(self.region_scope and region_code and region_within(self.region_scope, region_code))


def unauthenticated(detail_zh: str, detail_en: str) -> Problem:
    return Problem(
        401,
        "unauthenticated",
        "需要登录",
        "Authentication required",
        detail_zh,
        detail_en,
        headers={"WWW-Authenticate": "Bearer"},
    )


class TokenRevocations:
    """Per-user valid-after times, polled from identity: tokens issued before are refused in every service.

    Identity sets a user's valid-after on a password change, logout everywhere, disabling, a change of role or
    scope, and unbinding from an enterprise. Polling (``GET /internal/revocations?since=``, every
    ``poll_seconds``) reaches every replica of every service, which a consumer group would not; each poll
    reads back a few seconds before the previous answer's ``next``, so a revocation committed late is not
    missed. A failed poll keeps what is known and tries again (identity down delays revocations, never
    refuses valid tokens).
    """

    OVERLAP = timedelta(seconds=10)

    def __init__(
        self,
        url: str,
        service_token: str,
        *,
        poll_seconds: float = 2.0,
        window_seconds: float = 3600.0,
        timeout_seconds: float = 3.0,
    ) -> None:
        self.url = url
        self.service_token = service_token
        self.poll_seconds = poll_seconds
        self.window = timedelta(seconds=window_seconds)
        self.timeout_seconds = timeout_seconds
        self._valid_after: dict[uuid.UUID, float] = {}
        self._since: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self.polls = 0
        self.synced = asyncio.Event()

    def revoked(self, user_id: uuid.UUID, issued_at: float) -> bool:
        valid_after = self._valid_after.get(user_id)
        return valid_after is not None and issued_at < valid_after

    def note(self, user_id: uuid.UUID, valid_after: float) -> None:
        self._valid_after[user_id] = max(valid_after, self._valid_after.get(user_id, valid_after))

    async def sync_once(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout_seconds))
        now = datetime.now(UTC)
        since = self._since or now - self.window
        self.polls += 1
        response = await self._client.get(
            self.url,
            params={"since": since.isoformat()},
            headers={"X-Carbonid-Service-Token": self.service_token},
        )
        response.raise_for_status()
        body = response.json()
        for item in body["items"]:
            self.note(uuid.UUID(str(item["user_id"])), float(item["valid_after"]))
        self._since = datetime.fromisoformat(str(body["next"])) - self.OVERLAP
        horizon = (now - self.window).timestamp()  # tokens issued before it expired long ago
        if len(self._valid_after) > 10_000:
            self._valid_after = {u: t for u, t in self._valid_after.items() if t >= horizon}
        self.synced.set()

    async def _run(self) -> None:
        while True:
            try:
                await self.sync_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # identity down or answering nonsense: keep what is known, retry
                log.warning("token revocations not polled", extra={"error": repr(exc), "url": self.url})
            await asyncio.sleep(self.poll_seconds)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="token-revocations")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class JwksVerifier:
    """Verifies access tokens with keys fetched from a JWKS URL, cached, refreshed on an unknown key id.

    A token whose key is cached is verified without waiting on anything: no lock, no fetch (a cache past its
    age is refreshed in the background while the keys it holds keep verifying). Fetches are single-flight
    (every caller that needs one awaits the same), at most one per ``min_refresh_seconds``; a key id that a
    completed fetch did not contain is refused at once for ``negative_cache_seconds``. So tokens with made-up
    key ids cost identity one fetch a second at most and never delay a valid token.
    """

    NEGATIVE_CACHE_SIZE = 4096

    def __init__(
        self,
        jwks_url: str,
        *,
        issuer: str,
        audience: str,
        cache_seconds: float = 300.0,
        leeway_seconds: float = 30.0,
        min_refresh_seconds: float = 1.0,
        negative_cache_seconds: float = 30.0,
        fetch_timeout_seconds: float = 3.0,
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self.cache_seconds = cache_seconds
        self.leeway_seconds = leeway_seconds  # clock skew between identity and this service
        self.min_refresh_seconds = min_refresh_seconds
        self.negative_cache_seconds = negative_cache_seconds
        self.fetch_timeout_seconds = fetch_timeout_seconds
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = float("-inf")  # when the keys were last loaded
        self._attempted_at = float("-inf")  # when a fetch last started, successful or not
        self._unknown: dict[str, float] = {}  # key id -> refused until (monotonic)
        self._refreshing: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self.fetches = 0  # JWKS fetches started (observable in tests and metrics)
        self.revocations: TokenRevocations | None = None

    def load_jwks(self, document: dict[str, Any]) -> None:
        self._keys = {k["kid"]: PyJWK.from_dict(k) for k in document.get("keys", []) if "kid" in k}
        self._fetched_at = time.monotonic()
        self._unknown = {kid: until for kid, until in self._unknown.items() if kid not in self._keys}

    async def _fetch(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.fetch_timeout_seconds))
        self.fetches += 1
        try:
            response = await self._client.get(self.jwks_url)
            response.raise_for_status()
            self.load_jwks(response.json())
        except (httpx.HTTPError, json.JSONDecodeError, KeyError, TypeError, ValueError, jwt.PyJWTError) as exc:
            if not self._keys:
                raise Problem(
                    503,
                    "identity-unavailable",
                    "身份服务暂不可用",
                    "Identity service unavailable",
                    "无法获取令牌验证公钥",
                    "Could not fetch the token verification keys",
                ) from exc

    def _start_refresh(self) -> asyncio.Task[None] | None:
        """The fetch in flight, or a new one if the rate limit allows; None when neither."""
        if self._refreshing is not None and not self._refreshing.done():
            return self._refreshing
        now = time.monotonic()
        if now - self._attempted_at < self.min_refresh_seconds:
            return None
        self._attempted_at = now
        self._refreshing = asyncio.get_running_loop().create_task(self._fetch(), name="jwks-refresh")
        self._refreshing.add_done_callback(_retrieve_exception)
        return self._refreshing

    async def _key_for(self, kid: str) -> PyJWK | None:
        key = self._keys.get(kid)
        if key is not None:
            if time.monotonic() - self._fetched_at >= self.cache_seconds:
                self._start_refresh()  # stale-while-revalidate: this token does not wait for it
            return key
        now = time.monotonic()
        if self._unknown.get(kid, 0.0) > now:
            return None
        refresh = self._start_refresh()
        if refresh is not None:
            # Shielded: a caller that goes away does not cancel the fetch the others await.
            await asyncio.shield(refresh)
        key = self._keys.get(kid)
        if key is None and refresh is not None:
            if len(self._unknown) >= self.NEGATIVE_CACHE_SIZE:
                self._unknown = {k: t for k, t in self._unknown.items() if t > now}
                if len(self._unknown) >= self.NEGATIVE_CACHE_SIZE:
                    self._unknown.clear()
            self._unknown[kid] = time.monotonic() + self.negative_cache_seconds
        return key

    async def verify(self, token: str) -> Caller:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise unauthenticated("令牌格式无效", "Malformed access token") from exc
        kid = str(header.get("kid", ""))
        key = await self._key_for(kid)
        if key is None:
            raise unauthenticated("令牌签名密钥未知", "Access token signed with an unknown key")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["EdDSA", "ES256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub"]},
                leeway=self.leeway_seconds,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Problem(
                401,
                "token-expired",
                "登录已过期",
                "Access token expired",
                "请刷新令牌或重新登录",
                "Refresh the token or log in again",
            ) from exc
        except jwt.PyJWTError as exc:
            raise unauthenticated("令牌无效", "Invalid access token") from exc
        if claims.get("typ") != "access":
            raise unauthenticated("不是访问令牌", "Not an access token")
        caller = caller_from_claims(claims)
        if self.revocations is not None and self.revocations.revoked(caller.user_id, float(claims["iat"])):
            raise Problem(
                401,
                "token-revoked",
                "登录已失效",
                "Access token revoked",
                "该账号的会话已全部结束（修改密码、退出所有设备、停用或变更权限），请重新登录",
                "Every session of this account ended (password change, logout everywhere, disabled or "
                "re-scoped): log in again",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return caller

    async def aclose(self) -> None:
        if self.revocations is not None:
            await self.revocations.aclose()
        if self._refreshing is not None and not self._refreshing.done():
            self._refreshing.cancel()
        if self._client is not None:
            await self._client.aclose()


def _retrieve_exception(task: asyncio.Task[None]) -> None:
    # A background refresh that failed is reported to whoever awaited it; unawaited, it must not warn.
    if not task.cancelled():
        task.exception()


def caller_from_claims(claims: dict[str, Any]) -> Caller:
    ent = claims.get("ent")
    return Caller(
        user_id=uuid.UUID(str(claims["sub"])),
        username=str(claims.get("name", "")),
        role=claims["role"],
        region_scope=claims.get("region"),
        enterprise_id=uuid.UUID(ent) if ent else None,
        must_change_password=bool(claims.get("pwd_change", False)),
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def optional_caller(request: Request) -> Caller | None:
    token = bearer_token(request)
    if token is None:
        return None
    verifier: JwksVerifier = request.app.state.jwks
    return await verifier.verify(token)


async def current_caller(request: Request) -> Caller:
    """The authenticated caller; 401 without a valid token, 403 until a forced password change is done."""
    caller = await optional_caller(request)
    if caller is None:
        raise unauthenticated("请先登录", "Log in first")
    if caller.must_change_password:
        raise Problem(
            403,
            PASSWORD_CHANGE_REQUIRED,
            "请先修改初始密码",
            "Change your initial password first",
            "首次登录后必须修改密码",
            "The password must be changed after the first login",
        )
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]
OptionalCaller = Annotated[Caller | None, Depends(optional_caller)]


def require_role(*roles: Role) -> Any:
    async def dependency(caller: CurrentCaller) -> Caller:
        if caller.role not in roles:
            raise Problem(
                403, "forbidden", "禁止访问", "Forbidden", "当前角色无权执行此操作", "Your role may not do this"
            )
        return caller

    return Depends(dependency)


async def require_service(request: Request) -> None:
    """Service-to-service calls carry the deployment's shared service token."""
    expected: str = request.app.state.settings.service_token.get_secret_value()
    given = request.headers.get("x-carbonid-service-token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Problem(403, "service-only", "仅限内部服务调用", "Internal services only")
