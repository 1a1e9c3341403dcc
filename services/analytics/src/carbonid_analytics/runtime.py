"""The analytics runtime: the kit's runtime, with consumer-group generations so projections can be rebuilt.

A rebuild (operator) stops the consumers, truncates the projections and the inbox and moves to the next
*generation* in one transaction; the consumers then join a fresh consumer group (``analytics.g<n>``), which
starts at the earliest offset of every topic, so the projections are replayed from the beginning. The
generation is kept in the database: other replicas notice it within ``generation_poll_seconds`` and switch
too (anything they apply meanwhile is deduplicated by the inbox, so the result is the same). Dead letters
keep going to the service's one dead-letter topic whatever the generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from carbonid_analytics import db
from carbonid_analytics.config import AnalyticsSettings
from carbonid_analytics.handlers import ProjectionHandlers
from carbonid_analytics.metrics import PROJECTION_LAST_EVENT_TIME
from carbonid_contracts.topics import dead_letter_topic
from carbonid_kit.app import ServiceRuntime
from carbonid_kit.db import transaction
from carbonid_kit.messaging import EventConsumers

log = logging.getLogger(__name__)
PROJECTIONS = ("enterprises", "calculations", "evaluations", "certificates")


def group_for(service_name: str, generation: int) -> str:
    return service_name if generation == 0 else f"{service_name}.g{generation}"


class GenerationConsumers(EventConsumers):
    """The kit's consumers under the group of one generation, dead-lettering to the service's topic."""

    def __init__(
        self, settings: AnalyticsSettings, sessions: async_sessionmaker[AsyncSession], generation: int
    ) -> None:
        super().__init__(settings, sessions, db.inbox, group=group_for(settings.service_name, generation))
        self.generation = generation

    @property
    def dead_letter_topic(self) -> str:
        return dead_letter_topic(self.settings.service_name, self.settings.topic_prefix)


async def read_generation(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with transaction(sessions) as session:
        await session.execute(insert(db.consumer_generation).values(id=1, generation=0).on_conflict_do_nothing())
        row = (await session.execute(select(db.consumer_generation.c.generation))).scalar_one()
        return int(row)


class AnalyticsRuntime(ServiceRuntime):
    def __init__(self, settings: AnalyticsSettings, handlers: ProjectionHandlers) -> None:
        super().__init__(settings, db.Base.metadata)
        self.analytics_settings = settings
        self.handlers = handlers
        self.generation = 0
        self.consumers = self._consumers(0)
        self._switch = asyncio.Lock()
        self._watcher: asyncio.Task[None] | None = None

    def _consumers(self, generation: int) -> GenerationConsumers:
        consumers = GenerationConsumers(self.analytics_settings, self.sessions, generation)
        self.handlers.register(consumers)
        return consumers

    async def start(self) -> None:
        if self.settings.consumers_enabled:
            self.generation = await read_generation(self.sessions)
            self.consumers = self._consumers(self.generation)
            self._watcher = asyncio.create_task(self._watch(), name="analytics-generation-watch")
        await super().start()

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        await super().stop()

    async def rebuild(self, requested_by: str) -> int:
        """Truncate the projections and the inbox, move to the next generation and replay from the start."""
        async with self._switch:
            await self.consumers.stop()
            async with transaction(self.sessions) as session:
                names = ", ".join(t.name for t in (*db.PROJECTION_TABLES, db.inbox))
                await session.execute(text(f"TRUNCATE {names}"))
                await session.execute(
                    insert(db.consumer_generation).values(id=1, generation=0).on_conflict_do_nothing()
                )
                generation = (
                    await session.execute(
                        update(db.consumer_generation)
                        .values(
                            generation=db.consumer_generation.c.generation + 1,
                            changed_at=text("now()"),
                            changed_by=requested_by,
                        )
                        .returning(db.consumer_generation.c.generation)
                    )
                ).scalar_one()
            for projection in PROJECTIONS:
                PROJECTION_LAST_EVENT_TIME.labels(projection).set(0)
            await self._switch_to(int(generation))
            log.info("projections rebuilding", extra={"generation": generation, "requested_by": requested_by})
            return int(generation)

    async def _switch_to(self, generation: int) -> None:
        await self.consumers.stop()
        self.generation = generation
        self.consumers = self._consumers(generation)
        if self.settings.consumers_enabled:
            await self.consumers.start()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.analytics_settings.generation_poll_seconds)
            try:
                generation = await read_generation(self.sessions)
                if generation != self.generation:
                    async with self._switch:
                        if generation != self.generation:
                            await self._switch_to(generation)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not check the consumer generation")
