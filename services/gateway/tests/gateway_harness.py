"""A small platform for the gateway's tests: identity (real), stand-in services built on the kit, the gateway,
each under uvicorn on 127.0.0.1 in its own thread, so that bytes really cross sockets."""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import StreamingResponse

from carbonid_gateway.config import GatewaySettings
from carbonid_gateway.main import create_app as create_gateway
from carbonid_identity.accounts import NewAccount, create_account
from carbonid_identity.config import IdentitySettings
from carbonid_identity.context import Identity
from carbonid_identity.db import MIGRATIONS
from carbonid_identity.main import create_app as create_identity
from carbonid_kit.app import create_service_app
from carbonid_kit.auth import CurrentCaller, OptionalCaller
from carbonid_kit.db import create_engine, session_factory, transaction
from carbonid_kit.embedded import free_port
from carbonid_kit.migrations import upgrade_async
from carbonid_kit.problems import forbidden, not_found
from carbonid_kit.settings import ServiceSettings

SERVICE_TOKEN = "gateway-test-service-token"
CHEAP_ARGON2: dict[str, Any] = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}
PASSWORD = "Initial-123"
NEW_PASSWORD = "Changed-456"

# The stand-in "ledger" service's enterprises: A in Huzhou (浙江 湖州 吴兴区), B in Nanjing (江苏 南京 玄武区),
# C in Hangzhou (浙江 杭州 西湖区): inside Zhejiang but outside Huzhou.
ENTERPRISE_A = uuid.UUID("00000000-0000-4000-8000-00000000000a")
ENTERPRISE_B = uuid.UUID("00000000-0000-4000-8000-00000000000b")
ENTERPRISE_C = uuid.UUID("00000000-0000-4000-8000-00000000000c")
ENTERPRISE_REGIONS = {ENTERPRISE_A: "330502", ENTERPRISE_B: "320102", ENTERPRISE_C: "330106"}


@dataclass
class MovableClock:
    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1:``port`` in a thread (its own event loop)."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on", timeout_graceful_shutdown=2
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def ledger_app(jwks_url: str) -> FastAPI:
    """A stand-in service that authorises like every real one: ``caller.may_see`` on each record."""
    settings = ServiceSettings(service_name="ledger", jwks_url=jwks_url, log_json=False, environment="test")
    router = APIRouter()

    @router.get("/enterprises/{enterprise_id}")
    async def enterprise(enterprise_id: uuid.UUID, caller: CurrentCaller) -> dict[str, str]:
        region = ENTERPRISE_REGIONS.get(enterprise_id)
        if region is None:
            raise not_found("企业", "Enterprise")
        if not caller.may_see(enterprise_id=enterprise_id, region_code=region):
            raise forbidden()
        return {"enterprise_id": str(enterprise_id), "region_code": region}

    @router.get("/certificates/{certificate_id}")
    async def certificate(certificate_id: uuid.UUID, caller: OptionalCaller) -> dict[str, str]:
        return {"certificate_id": str(certificate_id), "viewer": caller.role if caller else "public"}

    @router.get("/whoami")
    async def whoami(caller: CurrentCaller) -> dict[str, Any]:
        return {
            "user_id": str(caller.user_id),
            "role": caller.role,
            "region": caller.region_scope,
            "enterprise_id": str(caller.enterprise_id) if caller.enterprise_id else None,
        }

    return create_service_app(settings, None, title="ledger (test stand-in)", routers=[router])


@dataclass
class StreamerControl:
    release: threading.Event = field(default_factory=threading.Event)
    seen_headers: dict[str, str] = field(default_factory=dict)
    seen_body_bytes: int = 0


def streamer_app(control: StreamerControl) -> FastAPI:
    """A stand-in with a server-sent event stream, a large download, a slow answer and a header echo."""
    settings = ServiceSettings(service_name="streamer", log_json=False, environment="test")
    router = APIRouter()

    @router.get("/events")
    async def events() -> StreamingResponse:
        async def stream() -> AsyncIterator[bytes]:
            yield b'event: first\ndata: {"n": 1}\n\n'
            # The second event waits until the test has seen the first: a buffering proxy would hang here.
            await asyncio.to_thread(control.release.wait, 10)
            yield b'event: second\ndata: {"n": 2}\n\n'

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @router.get("/download")
    async def download() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for i in range(80):
                yield bytes([i % 256]) * 65536

        return StreamingResponse(
            chunks(),
            media_type="application/octet-stream",
            headers={"Content-Disposition": 'attachment; filename="report.bin"', "Content-Length": str(80 * 65536)},
        )

    @router.get("/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(30)  # silent for longer than the read timeout
        return {"status": "late"}

    @router.get("/echo")
    async def echo_get(request: Request) -> dict[str, Any]:
        return await echo(request)

    @router.post("/echo")
    async def echo_post(request: Request) -> dict[str, Any]:
        return await echo(request)

    async def echo(request: Request) -> dict[str, Any]:
        control.seen_headers = dict(request.headers)
        body = await request.body()
        control.seen_body_bytes = len(body)
        return {"headers": dict(request.headers), "query": str(request.url.query), "body_bytes": len(body)}

    @router.get("/gzipped")
    async def gzipped() -> Response:
        return Response(
            GZIPPED_BODY,
            media_type="application/json",
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )

    @router.get("/cookies")
    async def cookies() -> Any:
        from fastapi.responses import JSONResponse

        response = JSONResponse({"ok": True})
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    app = create_service_app(
        settings, None, title="streamer (test stand-in)", routers=[router], max_body_bytes=50_000_000
    )
    app.mount("/truncated", truncated_answer)
    return app


# A gzip body whose bytes must reach the client exactly as the service sent them (the gateway never inflates).
GZIPPED_BODY = gzip.compress(b'{"answer": "' + b"x" * 4000 + b'"}', mtime=0)


async def truncated_answer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI answer that declares 1,000 bytes and sends 10: the connection breaks mid-body."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"1000")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"partial"', "more_body": False})


@dataclass
class Platform:
    identity: ServerThread
    identity_settings: IdentitySettings
    identity_clock: MovableClock
    gateway: ServerThread
    gateway_settings: GatewaySettings
    servers: list[ServerThread]
    streamer: StreamerControl

    @property
    def url(self) -> str:
        return self.gateway.url

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.gateway.url, timeout=15.0, **kwargs)

    async def create_account(self, username: str, role: str, region: str | None = None, *, force: bool = False) -> None:
        """A built-in account, written straight into identity's database (as the seed command does)."""
        engine = create_engine(self.identity_settings.database_url, pool_size=1)
        try:
            ctx = Identity(self.identity_settings, session_factory(engine))
            async with transaction(ctx.sessions) as session:
                await create_account(ctx, session, NewAccount(username, PASSWORD, role, region, force))  # type: ignore[arg-type]
        finally:
            await engine.dispose()

    async def bind(self, user_id: str, enterprise_id: uuid.UUID) -> None:
        async with httpx.AsyncClient(base_url=self.identity.url) as direct:
            response = await direct.post(
                f"/internal/users/{user_id}/enterprise",
                json={
                    "enterprise_id": str(enterprise_id),
                    "identifier_prefix": "88.118.8",
                    "region_code": ENTERPRISE_REGIONS[enterprise_id],
                },
                headers={"X-Carbonid-Service-Token": SERVICE_TOKEN},
            )
            assert response.status_code in (200, 201), response.text

    def stop(self) -> None:
        self.streamer.release.set()
        for server in reversed(self.servers):
            server.stop()


async def start_platform(database_url: str, *, with_streamer: bool = True, **gateway_overrides: Any) -> Platform:
    await upgrade_async(MIGRATIONS, database_url)
    clock = MovableClock()
    identity_settings = IdentitySettings(
        database_url=database_url,
        environment="test",
        log_json=False,
        service_token=SERVICE_TOKEN,
        trusted_proxies=["127.0.0.1"],
        **CHEAP_ARGON2,
    )
    servers: list[ServerThread] = []
    identity = ServerThread(create_identity(identity_settings, clock=clock)).start()
    servers.append(identity)
    jwks_url = f"{identity.url}/.well-known/jwks.json"
    ledger = ServerThread(ledger_app(jwks_url)).start()
    servers.append(ledger)
    control = StreamerControl()
    upstreams = {"identity": identity.url, "ledger": ledger.url}
    if with_streamer:
        streamer = ServerThread(streamer_app(control)).start()
        servers.append(streamer)
        upstreams["streamer"] = streamer.url
        upstreams["down"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = GatewaySettings(
        **{
            "environment": "test",
            "log_json": False,
            "jwks_url": jwks_url,
            "upstreams": upstreams,
            # Long enough for identity under a loaded CI machine; /slow stays silent for longer still.
            "read_timeout_seconds": 8.0,
            "connect_timeout_seconds": 1.0,
            "rate_per_address": 10_000.0,
            "burst_per_address": 10_000,
            "rate_per_user": 10_000.0,
            "burst_per_user": 10_000,
            "trusted_proxies": ["127.0.0.1"],
            "max_body_bytes": 2 * 1024 * 1024,
            "cors_allow_origins": ["https://console.example.cn"],
            "openapi_cache_seconds": 0.0,
            **gateway_overrides,
        }
    )
    gateway = ServerThread(create_gateway(settings)).start()
    servers.append(gateway)
    return Platform(identity, identity_settings, clock, gateway, settings, servers, control)


def from_address(address: str) -> dict[str, str]:
    """Headers that make the gateway (which trusts 127.0.0.1 in tests) see ``address`` as the client."""
    return {"X-Forwarded-For": address}


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD, **kwargs: Any) -> httpx.Response:
    return await client.post("/api/identity/auth/login", json={"username": username, "password": password}, **kwargs)


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def registered_and_changed(client: httpx.AsyncClient, username: str, **kwargs: Any) -> dict[str, Any]:
    """Through the gateway: register, log in, forced change, log in again."""
    body = {"username": username, "password": PASSWORD, "password_confirm": PASSWORD}
    assert (await client.post("/api/identity/auth/register", json=body, **kwargs)).status_code == 201
    first = (await login(client, username, **kwargs)).json()
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}
    headers = {**kwargs.pop("headers", {}), **bearer(first)}
    response = await client.post("/api/identity/auth/password", json=change, headers=headers, **kwargs)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = (await login(client, username, NEW_PASSWORD)).json()
    return tokens
