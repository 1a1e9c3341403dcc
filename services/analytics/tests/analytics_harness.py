"""Test harness of analytics: a running app with a client, and a raw event publisher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select

from carbonid_analytics import db
from carbonid_analytics.config import AnalyticsSettings
from carbonid_analytics.main import create_app
from carbonid_analytics.runtime import AnalyticsRuntime
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.topics import topic_for
from carbonid_kit.migrations import upgrade_async
from carbonid_kit.testing_tokens import TestTokens


@dataclass
class Analytics:
    app: Any
    client: httpx.AsyncClient
    runtime: AnalyticsRuntime
    settings: AnalyticsSettings
    tokens: TestTokens

    def as_(self, role: str, **kwargs: Any) -> dict[str, str]:
        return self.tokens.headers(role, **kwargs)  # type: ignore[arg-type]

    async def get(self, path: str, role: str = "operator", region: str | None = None, **params: Any) -> Any:
        response = await self.client.get(path, params=params, headers=self.as_(role, region=region))
        assert response.status_code == 200, response.text
        return response.json()

    async def inbox_size(self) -> int:
        async with self.runtime.sessions() as session:
            return int((await session.execute(select(func.count()).select_from(db.inbox))).scalar_one())


@asynccontextmanager
async def open_analytics(
    database_url: str, kafka_bootstrap: str, topic_prefix: str, tokens: TestTokens, **overrides: Any
) -> AsyncIterator[Analytics]:
    """A migrated analytics app with its lifespan running and a client; test tokens are trusted."""
    await upgrade_async(db.MIGRATIONS, database_url)
    settings = AnalyticsSettings(
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        kafka_session_timeout_ms=6000,
        outbox_poll_seconds=0.5,
        environment="test",
        log_json=False,
        log_level="WARNING",
        generation_poll_seconds=1.0,
        **overrides,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        app.state.jwks.load_jwks(tokens.jwks)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://analytics") as client:
            yield Analytics(app, client, app.state.runtime, settings, tokens)


async def publish_events(kafka_bootstrap: str, topic_prefix: str, events: list[CloudEvent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    try:
        futures = [
            await producer.send(topic_for(e.type, topic_prefix), value=e.value(), key=e.key, headers=e.headers())
            for e in events
        ]
        for f in futures:
            await f
    finally:
        await producer.stop()
