"""Fault switches for resolver tests: latency, 503 responses, hung requests and malformed bodies.

Implemented as plain ASGI middleware so that it can delay, hang or corrupt any response, including the
Handle and SNMS facades, without their code knowing. ``/_faults`` itself is never faulted.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any
from urllib.parse import parse_qs, unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carbonid_idnode.records import handle_key

FAULTS_PATH = "/_faults"
MAX_HANG_MS = 120_000


class FaultConfig(BaseModel):
    """What to inject, into which requests, and how many times (``remaining`` None: until reset)."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=MAX_HANG_MS)
    status_503: bool = False
    timeout: bool = False
    timeout_max_ms: int = Field(default=30000, ge=0, le=MAX_HANG_MS)
    malformed_body: bool = False
    only_paths: list[str] = Field(default_factory=list)
    prefix: str | None = None
    remaining: int | None = Field(default=None, ge=0)

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.status_503 or self.timeout or self.malformed_body)


class FaultState:
    """The current switches and a count of requests that were faulted; safe across threads."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._config = config or FaultConfig()
        self._injected = 0

    @property
    def config(self) -> FaultConfig:
        with self._lock:
            return self._config

    def set(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config
            self._injected = 0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"faults": self._config.model_dump(), "injected": self._injected}

    def claim(self, scope: Scope) -> FaultConfig | None:
        """The faults to apply to this request, counting it against ``remaining``."""
        with self._lock:
            config = self._config
            if not config.active or not _matches(config, scope):
                return None
            if config.remaining is not None:
                if config.remaining <= 0:
                    return None
                self._config = config.model_copy(update={"remaining": config.remaining - 1})
            self._injected += 1
            return config


def _request_prefix(scope: Scope) -> str | None:
    path: str = scope.get("path", "")
    if path.startswith("/api/handles/"):
        return path.removeprefix("/api/handles/").partition("/")[0]
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    for name in ("handle", "prefix"):
        if query.get(name):
            return unquote(query[name][0]).partition("/")[0]
    return None


def _matches(config: FaultConfig, scope: Scope) -> bool:
    path: str = scope.get("path", "")
    if path.startswith(FAULTS_PATH) or scope.get("type") != "http":
        return False
    if config.only_paths and not any(path.startswith(p) for p in config.only_paths):
        return False
    if config.prefix:
        prefix = _request_prefix(scope)
        wanted = handle_key(config.prefix)
        if prefix is None:
            return False
        got = handle_key(prefix)
        if got != wanted and not got.startswith(wanted + "."):
            return False
    return True


async def _send_body(send: Send, status: int, body: bytes, content_type: str, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class FaultMiddleware:
    """Applies the claimed faults in order: latency, hang, 503, malformed body."""

    def __init__(self, app: ASGIApp, state: FaultState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        config = self.state.claim(scope) if scope["type"] == "http" else None
        if config is None:
            await self.app(scope, receive, send)
            return
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        if config.timeout:
            # Hang until the client gives up, but never longer than the bound, so a forgotten switch
            # cannot keep a test runner waiting forever.
            try:
                await asyncio.wait_for(_wait_for_disconnect(receive), timeout=config.timeout_max_ms / 1000)
                return
            except TimeoutError:
                body = json.dumps({"responseCode": 2, "message": "fault injection: request hung"}).encode()
                await _send_body(send, 504, body, "application/json", [])
                return
        if config.status_503:
            await self._send_503(scope, send)
            return
        if config.malformed_body:
            await self._send_truncated(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _send_503(self, scope: Scope, send: Send) -> None:
        retry_after = [(b"retry-after", b"1")]
        path: str = scope.get("path", "")
        if path.startswith("/api/"):
            payload: dict[str, Any] = {"responseCode": 3, "message": "Server too busy (fault injection)"}
            if path.startswith("/api/handles/"):
                payload["handle"] = unquote(path.removeprefix("/api/handles/"))
            await _send_body(send, 503, json.dumps(payload).encode(), "application/json", retry_after)
            return
        # Enterprise nodes sit behind nginx, whose 503 page is HTML.
        html = b"<html><head><title>503 Service Temporarily Unavailable</title></head><body></body></html>"
        await _send_body(send, 503, html, "text/html", retry_after)

    async def _send_truncated(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if start is None:
            return
        body = b"".join(chunks)
        broken = body[: max(1, len(body) // 2)]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(broken)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": broken})


def fault_config_from_settings(
    *,
    latency_ms: int,
    status_503: bool,
    timeout: bool,
    timeout_max_ms: int,
    malformed_body: bool,
    only_paths: str,
    prefix: str,
    remaining: int | None,
) -> FaultConfig:
    return FaultConfig(
        latency_ms=latency_ms,
        status_503=status_503,
        timeout=timeout,
        timeout_max_ms=timeout_max_ms,
        malformed_body=malformed_body,
        only_paths=[p.strip() for p in only_paths.split(",") if p.strip()],
        prefix=prefix or None,
        remaining=remaining,
    )


def _problem(status: int, title: str, detail: str, errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse(
        {
            "type": "urn:carbonid:idnode:invalid-fault-config",
            "title": title,
            "status": status,
            "detail": detail,
            "errors": errors,
        },
        status_code=status,
        media_type="application/problem+json",
    )


def faults_router(state: FaultState) -> APIRouter:
    router = APIRouter(prefix=FAULTS_PATH, tags=["faults"])

    @router.get("")
    async def get_faults() -> dict[str, Any]:
        return state.snapshot()

    @router.post("", response_model=None)
    async def set_faults(request: Request) -> dict[str, Any] | JSONResponse:
        try:
            config = FaultConfig.model_validate_json(await request.body())
        except ValidationError as exc:
            errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
            return _problem(400, "故障配置无效 / Invalid fault configuration", "see errors", errors)
        state.set(config)
        return state.snapshot()

    @router.delete("")
    async def reset_faults() -> dict[str, Any]:
        state.set(FaultConfig())
        return state.snapshot()

    return router
