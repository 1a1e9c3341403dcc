"""Test harness of metering: the app with its lifespan, the real resolver beside it (in-process, its own
database, the real identifier node behind it), gateways, devices, and a raw meter.reading producer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from carbonid_metering.config import MeteringSettings
from carbonid_metering.db import MIGRATIONS
from carbonid_metering.main import create_app
from carbonid_metering.resolver_client import ResolverClient
from sqlalchemy import text

from carbonid_contracts.codes.identifier import enterprise_id_for
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import MeterReadings, MeterReadingValue
from carbonid_contracts.topics import EventType, topic_for
from carbonid_kit.migrations import upgrade_async
from carbonid_kit.testing_tokens import TestTokens

SERVICE_TOKEN = "metering-tests-service-token"
DEMO_PREFIX = "88.118.8"
OTHER_PREFIX = "88.118.9"
DAY_START = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 2026-12-02 00:00 China Standard Time


def at(minutes: int) -> datetime:
    """``minutes`` after 2026-12-02 00:00 CST."""
    return DAY_START + timedelta(minutes=minutes)


@dataclass
class Metering:
    app: Any
    client: httpx.AsyncClient
    settings: MeteringSettings
    tokens: TestTokens
    resolver: httpx.AsyncClient

    def operator(self) -> dict[str, str]:
        return self.tokens.headers("operator")

    def enterprise(self, prefix: str = DEMO_PREFIX) -> dict[str, str]:
        return self.tokens.headers("enterprise", enterprise_id=enterprise_id_for(prefix))

    async def resolve_enterprise(self, prefix: str) -> None:
        response = await self.resolver.post("/enterprises/resolve", json={"prefix": prefix}, headers=self.operator())
        assert response.status_code == 200, response.text

    async def register(self, identifier: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            "/devices", json={"identifier": identifier}, headers=headers or self.operator()
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def gateway(self, prefix: str = DEMO_PREFIX) -> dict[str, str]:
        response = await self.client.post(
            "/gateways", json={"name": f"gw {prefix}", "enterprise_prefix": prefix}, headers=self.enterprise(prefix)
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Gateway {response.json()['credential']}"}

    async def post_lines(self, gateway: dict[str, str], lines: Iterable[dict[str, Any]]) -> httpx.Response:
        import json

        body = "\n".join(json.dumps(line, default=str) for line in lines)
        return await self.client.post(
            "/readings", content=body.encode(), headers={**gateway, "Content-Type": "application/x-ndjson"}
        )

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.app.state.runtime.sessions() as session:
            return list((await session.execute(text(statement), params)).all())

    async def day(self, device: str, day: str = "2026-12-02") -> Any:
        rows = await self.sql(
            "SELECT * FROM device_days WHERE device = :d AND day = :day", d=device.lower(), day=date.fromisoformat(day)
        )
        return rows[0] if rows else None


def reading(
    device: str, minutes: int, value: str | Decimal, unit: str = "kWh", quality: str = "good"
) -> dict[str, Any]:
    return {"device": device, "time": at(minutes).isoformat(), "value": str(value), "unit": unit, "quality": quality}


def meter_event(device: str, readings: list[tuple[int, str, str]], *, prefix: str = DEMO_PREFIX) -> CloudEvent:
    payload = MeterReadings(
        enterprise_id=enterprise_id_for(prefix),
        device=device,
        gateway="test-gateway",
        readings=[MeterReadingValue(time=at(m), value=Decimal(v), unit=u) for m, v, u in readings],
    )
    return CloudEvent.of(payload, source="urn:carbonid:collection-gateway:test")


async def produce(bootstrap: str, prefix: str, events: list[CloudEvent], *, repeat: int = 1) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    try:
        topic = topic_for(EventType.METER_READING, prefix)
        futures = [
            await producer.send(topic, value=e.value(), key=e.key, headers=e.headers())
            for _ in range(repeat)
            for e in events
        ]
        for future in futures:
            await future
    finally:
        await producer.stop()


@asynccontextmanager
async def running_resolver(
    database_url: str, kafka_bootstrap: str, topic_prefix: str, tokens: TestTokens, node_url: str
) -> AsyncIterator[Any]:
    from carbonid_resolver.config import ResolverSettings
    from carbonid_resolver.db import MIGRATIONS as RESOLVER_MIGRATIONS
    from carbonid_resolver.main import create_app as create_resolver

    await upgrade_async(RESOLVER_MIGRATIONS, database_url)
    settings = ResolverSettings(
        environment="test",
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        kafka_session_timeout_ms=6000,
        outbox_poll_seconds=0.5,
        nodes=[{"prefix": "*", "kind": "handle", "base_url": node_url, "name": "idnode"}],
        service_token=SERVICE_TOKEN,
        log_json=False,
        log_level="WARNING",
    )
    app = create_resolver(settings)
    async with app.router.lifespan_context(app):
        app.state.jwks.load_jwks(tokens.jwks)
        yield app


@asynccontextmanager
async def open_metering(
    database_url: str,
    resolver_database_url: str,
    kafka_bootstrap: str,
    topic_prefix: str,
    tokens: TestTokens,
    node_url: str,
    **overrides: Any,
) -> AsyncIterator[Metering]:
    """A migrated metering app in its lifespan, the real resolver in-process beside it, clients for both."""
    await upgrade_async(MIGRATIONS, database_url)
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "kafka_bootstrap": kafka_bootstrap,
        "topic_prefix": topic_prefix,
        "kafka_session_timeout_ms": 6000,
        "outbox_poll_seconds": 0.5,
        "publish_interval_seconds": 0.2,
        "service_token": SERVICE_TOKEN,
        "log_json": False,
        "log_level": "WARNING",
    }
    settings = MeteringSettings(**{**values, **overrides})
    async with AsyncExitStack() as stack:
        resolver_app = await stack.enter_async_context(
            running_resolver(resolver_database_url, kafka_bootstrap, topic_prefix, tokens, node_url)
        )
        resolver_transport = httpx.ASGITransport(app=resolver_app)
        app = create_app(settings)
        await app.state.resolver.aclose()
        app.state.resolver = ResolverClient(settings, transport=resolver_transport)
        await stack.enter_async_context(app.router.lifespan_context(app))
        stack.push_async_callback(app.state.resolver.aclose)
        app.state.jwks.load_jwks(tokens.jwks)
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://metering")
        )
        resolver = await stack.enter_async_context(
            httpx.AsyncClient(transport=resolver_transport, base_url="http://resolver")
        )
        yield Metering(app, client, settings, tokens, resolver)


def new_id() -> str:
    return uuid.uuid4().hex[:8]
