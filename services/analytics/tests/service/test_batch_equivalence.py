"""The set-wise batch path yields exactly the per-event handlers' projections, whatever the order and batching."""

from __future__ import annotations

import random
from typing import Any

import pytest
from analytics_synthetic import deliveries, generate
from sqlalchemy import select

from carbonid_analytics import db
from carbonid_analytics.batch import apply_batch
from carbonid_analytics.config import AnalyticsSettings
from carbonid_analytics.handlers import ProjectionHandlers
from carbonid_contracts.topics import EventType
from carbonid_kit.db import create_engine, session_factory, transaction
from carbonid_kit.messaging.inbox import claim
from carbonid_kit.migrations import upgrade_async

pytestmark = pytest.mark.integration


async def dump(sessions: Any) -> dict[str, list[tuple[Any, ...]]]:
    async with sessions() as session:
        return {
            t.name: sorted((tuple(r) for r in (await session.execute(select(t))).all()), key=repr)
            for t in (*db.PROJECTION_TABLES, db.inbox)
            if t is not db.inbox
        }


async def test_batches_equal_per_event_handlers(new_database: Any) -> None:
    events = generate(77, 150)
    engines = []
    try:
        per_event_url, batch_url = await new_database("an_single"), await new_database("an_batch")
        for url in (per_event_url, batch_url):
            await upgrade_async(db.MIGRATIONS, url)
        single = create_engine(per_event_url, pool_size=1)
        batched = create_engine(batch_url, pool_size=1)
        engines += [single, batched]
        handlers: dict[EventType, Any] = {}

        class Registry:
            def on(self, event_type: EventType, handler: Any) -> None:
                handlers[event_type] = handler

        ProjectionHandlers(AnalyticsSettings()).register(Registry())
        sessions = session_factory(single)
        for event in deliveries(events, 1):
            async with transaction(sessions) as session:
                if await claim(session, db.inbox, event.id, event.type.value):
                    await handlers[event.type](session, event)

        rng = random.Random(2)
        stream = deliveries(events, 9, duplicate_share=0.3)
        batch_sessions = session_factory(batched)
        applied = 0
        while stream:
            size = rng.randint(1, 400)
            async with transaction(batch_sessions) as session:
                applied += await apply_batch(session, stream[:size], dead_after=3)
            stream = stream[size:]
        assert applied == len({e.id for e in events})
        reference = await dump(sessions)
        assert sum(1 for r in reference["calculations"] if r[3]) > 100
        assert await dump(batch_sessions) == reference
    finally:
        for engine in engines:
            await engine.dispose()
