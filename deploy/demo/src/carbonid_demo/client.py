"""HTTP through the gateway only: a rate-limited client that honours ``Retry-After``, and logged-in accounts.

The gateway limits requests per client address (50/s, burst 100 by default) and per user; the loader keeps
under the address limit with its own token bucket and waits out any 429 it still gets.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({429, 503})
"""429: rate limited; 503: the gateway could not reach the service (nothing was done) or it is not ready."""


class ApiError(Exception):
    """A refused request: the status and the problem+json document the platform answered with."""

    def __init__(self, method: str, path: str, status: int, problem: Mapping[str, Any]) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.problem = dict(problem)
        super().__init__(f"{method} {path} → {status} {self.slug}: {problem.get('detail') or problem.get('title')}")

    @property
    def slug(self) -> str:
        """The last part of the problem type, e.g. ``resolved-activity-missing``."""
        return str(self.problem.get("type", "")).rsplit(":", 1)[-1].rsplit("/", 1)[-1]


class TokenBucket:
    """At most ``rate`` requests a second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = time.monotonic()
        self.lock = asyncio.Lock()

    async def take(self) -> None:
        if self.rate <= 0:
            return
        async with self.lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


class Gateway:
    """The platform's front door: ``{base}/api/<service>/<path>``."""

    def __init__(self, base_url: str, *, rate: float = 40.0, timeout: float = 60.0, attempts: int = 8) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=5.0),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )
        self.bucket = TokenBucket(rate, burst=max(1.0, min(rate, 50.0)))
        self.attempts = attempts
        self.requests = 0

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """Send one request; 429 and 503 are retried after ``Retry-After``, other errors raise ``ApiError``."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        delay = 0.5
        for attempt in range(self.attempts):
            await self.bucket.take()
            self.requests += 1
            try:
                response = await self.http.request(
                    method, path, headers=headers, json=json_body, params=params, files=files, data=data
                )
            except (httpx.ConnectError, httpx.RemoteProtocolError):
                if attempt == self.attempts - 1:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if response.status_code in RETRYABLE_STATUSES and attempt < self.attempts - 1:
                retry_after = response.headers.get("Retry-After")
                wait = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else delay
                await asyncio.sleep(min(wait, 30.0))
                delay = min(delay * 2, 5.0)
                continue
            if response.status_code >= 400:
                raise ApiError(method, path, response.status_code, problem_of(response))
            return response
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.request(method, path, **kwargs)
        return response.json() if response.content else None


def problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"title": response.text[:200]}
    return body if isinstance(body, dict) else {"title": str(body)[:200]}


def claims_of(token: str) -> dict[str, Any]:
    """The (unverified) claims of a JWT: the loader only reads ``ent``, ``role`` and ``pwd_change`` from them."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


@dataclass
class Account:
    """A logged-in user: refreshes its access token before it expires and once more on ``token-expired``."""

    gateway: Gateway
    username: str
    password: str = ""
    access_token: str = ""
    refresh_token: str = ""
    expires_at: float = 0.0
    must_change_password: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def claims(self) -> dict[str, Any]:
        return claims_of(self.access_token)

    def _take(self, tokens: Mapping[str, Any]) -> None:
        self.access_token = str(tokens["access_token"])
        self.refresh_token = str(tokens["refresh_token"])
        self.expires_at = time.monotonic() + float(tokens["expires_in"])
        self.must_change_password = bool(tokens.get("must_change_password"))

    async def login(self, passwords: Sequence[str]) -> None:
        """Log in with the first password that works; the last refusal is raised when none does."""
        last: ApiError | None = None
        for password in passwords:
            try:
                tokens = await self.gateway.json(
                    "POST",
                    "/api/identity/auth/login",
                    json_body={"username": self.username, "password": password},
                )
            except ApiError as exc:
                if exc.status != 401:
                    raise
                last = exc
                continue
            self.password = password
            self._take(tokens)
            return
        assert last is not None
        raise last

    async def change_password(self, new_password: str) -> None:
        """The forced change (every session ends), then a fresh login with the new password."""
        await self.gateway.request(
            "POST",
            "/api/identity/auth/password",
            token=self.access_token,
            json_body={
                "current_password": self.password,
                "new_password": new_password,
                "new_password_confirm": new_password,
            },
        )
        await self.login([new_password])

    async def refresh(self) -> None:
        async with self.lock:
            tokens = await self.gateway.json(
                "POST", "/api/identity/auth/refresh", json_body={"refresh_token": self.refresh_token}
            )
            self._take(tokens)

    async def token(self) -> str:
        if time.monotonic() > self.expires_at - 60:
            await self.refresh()
        return self.access_token

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.gateway.request(method, path, token=await self.token(), **kwargs)
        except ApiError as exc:
            if exc.status != 401 or exc.slug != "token-expired":
                raise
            await self.refresh()
            return await self.gateway.request(method, path, token=self.access_token, **kwargs)

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.request(method, path, **kwargs)
        return response.json() if response.content else None


async def wait_for(
    probe: Callable[[], Awaitable[T | None]], *, what: str, deadline_s: float, interval_s: float = 0.3
) -> T:
    """Poll ``probe`` until it returns something other than None, or fail after ``deadline_s`` seconds."""
    deadline = time.monotonic() + deadline_s
    pause = interval_s
    while True:
        value = await probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {deadline_s:.0f} s for {what}")
        await asyncio.sleep(pause)
        pause = min(pause * 1.5, 2.0)
