"""Integration harness: the real identifier node and an identity stand-in under uvicorn, a fake clock, Kafka reads."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import EventPayload
from carbonid_contracts.topics import topic_for
from carbonid_kit.testing_tokens import TestTokens
from carbonid_resolver.config import ResolverSettings

NODE_ADMIN_SECRET = "resolver-tests-admin-secret"
SNMS_USER = "carbonid-tests"
SNMS_SECRET = "resolver-tests-snms-secret"
SERVICE_TOKEN = "resolver-tests-service-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """An ASGI app served by uvicorn on 127.0.0.1 in a thread of its own (its own event loop)."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name=f"uvicorn-{self.port}")

    def start(self, timeout: float = 30.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class FakeClock:
    """The resolver's cache and breaker clock; tests advance it instead of sleeping."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class IdentityStandIn:
    """Identity's internal binding endpoints, as the resolver expects them (not identity's code)."""

    def register(self, username: str, role: str = "enterprise") -> uuid.UUID:
        user_id = uuid.uuid4()
        self.users[username] = {"id": str(user_id), "username": username, "role": role, "disabled": False}
        return user_id

    def __init__(self) -> None:
        self.bindings: dict[str, str] = {}
        self.calls: list[dict[str, Any]] = []
        self.unbound: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.unavailable = False
        app = FastAPI()

        @app.post("/internal/users/{user_id}/enterprise")
        async def bind(user_id: uuid.UUID, request: Request) -> JSONResponse:
            if request.headers.get("x-carbonid-service-token") != SERVICE_TOKEN:
                return JSONResponse({"type": "urn:carbonid:problem:service-only"}, status_code=403)
            body = await request.json()
            self.calls.append({"user_id": str(user_id), **body})
            if self.unavailable:
                return JSONResponse({"type": "urn:carbonid:problem:unavailable"}, status_code=503)
            bound = self.bindings.get(str(user_id))
            if bound is not None and bound != body["enterprise_id"]:
                return JSONResponse({"type": "urn:carbonid:problem:enterprise-already-bound"}, status_code=409)
            self.bindings[str(user_id)] = body["enterprise_id"]
            return JSONResponse({"user_id": str(user_id), **body})

        @app.post("/internal/users/{user_id}/enterprise/unbind")
        async def unbind(user_id: uuid.UUID, request: Request) -> JSONResponse:
            if request.headers.get("x-carbonid-service-token") != SERVICE_TOKEN:
                return JSONResponse({"type": "urn:carbonid:problem:service-only"}, status_code=403)
            body = await request.json()
            self.unbound.append({"user_id": str(user_id), **body})
            if self.bindings.get(str(user_id)) == body["enterprise_id"]:
                del self.bindings[str(user_id)]
            return Response(status_code=204)

        @app.get("/internal/users")
        async def user_named(username: str, request: Request) -> JSONResponse:
            if request.headers.get("x-carbonid-service-token") != SERVICE_TOKEN:
                return JSONResponse({"type": "urn:carbonid:problem:service-only"}, status_code=403)
            user = self.users.get(username)
            if user is None:
                return JSONResponse({"type": "urn:carbonid:problem:not-found"}, status_code=404)
            return JSONResponse(user)

        self.app = app


def admin_of(handle: str) -> dict[str, str]:
    """Basic credentials of the administrator of the handle's prefix (HS_SECKEY)."""
    prefix = handle.partition("/")[0]
    credentials = base64.b64encode(f"300%3A{prefix}/ADMIN:{NODE_ADMIN_SECRET}".encode()).decode()
    return {"Authorization": f"Basic {credentials}"}


class NodeControl:
    """Fault switches and authenticated writes of the running identifier node."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.AsyncClient(base_url=url, timeout=10)

    async def faults(self, **config: Any) -> None:
        response = await self.http.post("/_faults", json=config)
        assert response.status_code == 200, response.text

    async def reset(self) -> None:
        await self.http.delete("/_faults")

    async def injected(self) -> int:
        return int((await self.http.get("/_faults")).json()["injected"])

    async def record(self, handle: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/handles/{handle}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def put_value(self, handle: str, index: int, value_type: str, text: str) -> None:
        response = await self.http.put(
            f"/api/handles/{handle}",
            params={"index": index, "overwrite": "true"},
            json={"values": [{"index": index, "type": value_type, "data": {"format": "string", "value": text}}]},
            headers=admin_of(handle),
        )
        assert response.status_code in (200, 201), response.text

    async def put_record(self, handle: str, values: list[tuple[int, str, str]]) -> None:
        """Create or replace a whole record, as the prefix's administrator (``(index, type, text)`` values)."""
        body = [{"index": i, "type": t, "data": {"format": "string", "value": v}} for i, t, v in values]
        response = await self.http.put(f"/api/handles/{handle}", json={"values": body}, headers=admin_of(handle))
        assert response.status_code in (200, 201), response.text

    async def value(self, handle: str, value_type: str) -> str:
        for value in (await self.record(handle))["values"]:
            if value["type"] == value_type:
                return str(value["data"]["value"])
        raise KeyError(value_type)


async def read_events(
    bootstrap: str, topic_prefix: str, payload: type[EventPayload], until: Callable[[list[CloudEvent]], bool],
    *, timeout: float = 30.0,
) -> list[CloudEvent]:  # fmt: skip
    """Read the event type's topic from the start until ``until`` holds (or fail after ``timeout``)."""
    consumer = AIOKafkaConsumer(
        topic_for(payload.event_type(), topic_prefix),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"{topic_prefix}reader-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    events: list[CloudEvent] = []
    try:
        async with asyncio.timeout(timeout):
            while not until(events):
                batch = await consumer.getmany(timeout_ms=300)
                for records in batch.values():
                    events += [CloudEvent.decode(r.headers, r.value) for r in records]
    finally:
        await consumer.stop()
    return events


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """``(event, data)`` of every event in a text/event-stream body."""
    out: list[tuple[str, dict[str, Any]]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data.append(line.removeprefix("data:").strip())
        if data:
            out.append((name, json.loads("\n".join(data))))
    return out


@dataclass
class ResolverUnderTest:
    app: FastAPI
    client: httpx.AsyncClient
    clock: FakeClock
    tokens: TestTokens
    settings: ResolverSettings
    identity: IdentityStandIn
    node: NodeControl

    def headers(self, role: Any, **kwargs: Any) -> dict[str, str]:
        return self.tokens.headers(role, **kwargs)


MakeResolver = Callable[..., Awaitable[ResolverUnderTest]]
