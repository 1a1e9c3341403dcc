"""The composition every service shares: runtime (database, outbox relay, consumers) and the FastAPI app.

A service's ``create_app()`` builds its settings, a ``ServiceRuntime`` (engine, sessions, outbox, consumers),
registers its event handlers and routers, and calls ``create_service_app``. Nothing runs at import time:
the database, the relay and the consumers start in the app's lifespan and stop with it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import MetaData, Table, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carbonid_contracts.topics import EVENT_PRODUCERS
from carbonid_kit.auth import JwksVerifier, TokenRevocations
from carbonid_kit.db import create_engine, session_factory
from carbonid_kit.logging import configure_logging, request_id_var, trace_id_from_traceparent, trace_id_var
from carbonid_kit.messaging.consumer import EventConsumers
from carbonid_kit.messaging.inbox import inbox_table
from carbonid_kit.messaging.outbox import Outbox, OutboxRelay, outbox_table
from carbonid_kit.metrics import HTTP_LATENCY, HTTP_REQUESTS, metrics_endpoint
from carbonid_kit.problems import (
    Problem,
    install_problem_handlers,
    problem_for_status,
    problem_response,
    unexpected_error_problem,
)
from carbonid_kit.settings import ServiceSettings

ReadinessCheck = Callable[[], Awaitable[None]]
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Degradation:
    """An optional part that is missing: the service runs, but ``part`` answers less than it should.

    Services report it at start (a warning in the log) and in ``/health/ready`` (``degraded``), so that the
    operator learns it when the platform starts, not from a user's 503 later (``carbonid-stack up`` prints it).
    """

    part: str
    detail_zh: str
    detail_en: str


DegradedCheck = Callable[[], Degradation | None]


class NotReadyError(Exception):
    """A readiness check's failure whose message may be shown (other exceptions are logged, not shown)."""


class ServiceRuntime:
    """Database engine and sessions, the outbox and its relay, and the event consumers of one service."""

    def __init__(self, settings: ServiceSettings, metadata: MetaData) -> None:
        self.settings = settings
        self.metadata = metadata
        existing_outbox, existing_inbox = metadata.tables.get("outbox_events"), metadata.tables.get("inbox_events")
        self.outbox_table: Table = existing_outbox if existing_outbox is not None else outbox_table(metadata)
        self.inbox_table: Table = existing_inbox if existing_inbox is not None else inbox_table(metadata)
        self.engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
        self.sessions = session_factory(self.engine)
        self.outbox = Outbox(settings, self.outbox_table)
        self.relay = OutboxRelay(settings, self.engine, self.outbox_table)
        self.consumers = EventConsumers(settings, self.sessions, self.inbox_table)

    async def start(self) -> None:
        owns = self.settings.service_name in EVENT_PRODUCERS.values()
        if owns and self.outbox.signer is None:
            raise RuntimeError(
                f"{self.settings.service_name} publishes events: set CARBONID_EVENT_SIGNING_SECRET "
                "(carbonid-event-keys prints one per service and the producers' public keys)"
            )
        if self.settings.outbox_relay_enabled:
            await self.relay.start()
        if self.settings.consumers_enabled:
            await self.consumers.start()

    async def stop(self) -> None:
        await self.consumers.stop()
        await self.relay.stop()
        await self.engine.dispose()

    async def check_database(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))


class RequestContextMiddleware:
    """Request id (``X-Request-ID``, made when absent), trace id from ``traceparent``, metrics, body size cap.

    Pure ASGI so that streamed responses (downloads, server-sent events) pass through unbuffered.
    """

    def __init__(self, app: ASGIApp, *, service: str, max_body_bytes: int) -> None:
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        rid = headers.get("x-request-id", "")
        if not (0 < len(rid) <= 128 and rid.isascii() and rid.isprintable()):
            rid = uuid.uuid4().hex
        request_id_var.set(rid)
        trace_id_var.set(trace_id_from_traceparent(headers.get("traceparent")) or rid.replace("-", "")[:32])
        started = time.perf_counter()
        status = 500
        method = scope["method"]

        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            problem = problem_for_status(413 if declared.isdigit() else 400)
            request = Request(scope)
            body = problem.document(
                "en" if "en" in headers.get("accept-language", "")[:2] else "zh", instance=request.url.path
            )
            response = JSONResponse(
                body, status_code=problem.status, media_type="application/problem+json", headers={"X-Request-ID": rid}
            )
            await response(scope, receive, send)
            self._observe(scope, method, problem.status, started)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise Problem(413, "payload-too-large", "请求体过大", "Payload too large")
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        started_response = False

        async def tracking_send(message: Message) -> None:
            nonlocal started_response
            started_response = started_response or message["type"] == "http.response.start"
            await send_with_id(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception as exc:
            # Answer here rather than in Starlette's outermost error middleware, so that the answer is
            # problem+json and carries the request id like every other.
            problem = unexpected_error_problem(exc, scope.get("path"))
            if started_response:
                raise
            await problem_response(Request(scope), problem)(scope, receive, tracking_send)
        finally:
            self._observe(scope, method, status, started)

    def _observe(self, scope: Scope, method: str, status: int, started: float) -> None:
        # The router records the matched route in the (shared) scope; unmatched paths share one label.
        route = str(getattr(scope.get("route"), "path", "unmatched"))
        HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
        HTTP_LATENCY.labels(self.service, method, route).observe(time.perf_counter() - started)


def create_service_app(
    settings: ServiceSettings,
    runtime: ServiceRuntime | None,
    *,
    title: str,
    description: str = "",
    routers: Sequence[APIRouter] = (),
    readiness: Sequence[ReadinessCheck] = (),
    on_startup: Sequence[Callable[[FastAPI], Awaitable[None]]] = (),
    on_shutdown: Sequence[Callable[[FastAPI], Awaitable[None]]] = (),
    degraded: Sequence[DegradedCheck] = (),
    max_body_bytes: int = 1_048_576,
    verify_tokens: bool = True,
) -> FastAPI:
    """A FastAPI app with health, metrics, problem+json errors, request ids, and the runtime's lifespan."""
    configure_logging(settings.service_name, settings.log_level, json_output=settings.log_json)
    jwks = JwksVerifier(
        settings.jwks_url,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        cache_seconds=settings.jwks_cache_seconds,
        leeway_seconds=settings.jwt_leeway_seconds,
    )
    if verify_tokens and settings.revocations_polled:
        jwks.revocations = TokenRevocations(
            settings.revocations_endpoint(),
            settings.service_token.get_secret_value(),
            poll_seconds=settings.revocation_poll_seconds,
            window_seconds=settings.revocation_window_seconds,
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if jwks.revocations is not None:
            jwks.revocations.start()
        if runtime is not None:
            await runtime.start()
        for hook in on_startup:
            await hook(app)
        for missing in degradations():
            log.warning("degraded: %s: %s", missing.part, missing.detail_en, extra={"part": missing.part})
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook(app)
            if runtime is not None:
                await runtime.stop()
            await jwks.aclose()

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.jwks = jwks
    app.state.verify_tokens = verify_tokens
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name, max_body_bytes=max_body_bytes)

    def degradations() -> list[Degradation]:
        return [found for check in degraded if (found := check()) is not None]

    checks: list[ReadinessCheck] = list(readiness)
    if runtime is not None:
        checks.insert(0, runtime.check_database)

    @app.get("/health/live", tags=["health"], summary="Liveness")
    async def live() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get(
        "/health/ready",
        tags=["health"],
        summary="Readiness: database and dependencies answer",
        responses={503: {"description": "not ready"}},
    )
    async def ready() -> Any:
        for check in checks:
            try:
                await check()
            except NotReadyError as exc:  # a message written to be shown
                raise Problem(503, "not-ready", "服务未就绪", "Service not ready", str(exc), str(exc)) from exc
            except Exception as exc:  # any other failure: logged, never shown (hosts, users, driver text)
                log.warning("not ready", extra={"check": getattr(check, "__name__", "check"), "error": repr(exc)})
                raise Problem(
                    503, "not-ready", "服务未就绪", "Service not ready", "依赖暂不可用", "A dependency is unavailable"
                ) from exc
        body: dict[str, Any] = {"status": "ready", "service": settings.service_name}
        if missing := degradations():
            body["degraded"] = [asdict(found) for found in missing]
        return body

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics() -> Response:
        return metrics_endpoint()

    for router in routers:
        app.include_router(router)
    return app
