"""Transactional outbox: an event row is written in the same transaction as the state change it reports.

The relay claims unpublished rows in commit order (``FOR UPDATE SKIP LOCKED``), publishes them with acks=all,
waits for every acknowledgement, then deletes them and commits. A crash between publishing and committing
publishes those rows again on restart: delivery is at least once, and consumers deduplicate with the inbox.
One transaction-scoped advisory lock lets only one relay of a service publish at a time, so that events of
one enterprise keep their commit order even with several replicas; the relay wakes on ``NOTIFY`` and polls
slowly as a fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Identity, LargeBinary, MetaData, String, Table, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import EventPayload
from carbonid_contracts.topics import topic_for
from carbonid_kit.logging import request_id_var, trace_id_var
from carbonid_kit.messaging.authenticity import EventSigner
from carbonid_kit.messaging.kafka import new_producer
from carbonid_kit.metrics import EVENTS_PUBLISHED, OUTBOX_PENDING
from carbonid_kit.settings import ServiceSettings

log = logging.getLogger(__name__)

OUTBOX_TABLE = "outbox_events"
NOTIFY_CHANNEL = "carbonid_outbox"


def outbox_table(metadata: MetaData) -> Table:
    """Add the outbox table to a service's metadata (its migrations then create it)."""
    return Table(
        OUTBOX_TABLE,
        metadata,
        Column("seq", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("topic", String(255), nullable=False),
        Column("key", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class Outbox:
    """Writes events into the caller's transaction. Nothing is sent until that transaction commits."""

    def __init__(self, settings: ServiceSettings, table: Table) -> None:
        self.source = f"urn:carbonid:{settings.service_name}:{settings.region_code}"
        self.topic_prefix = settings.topic_prefix
        self.table = table
        secret = settings.event_secret()
        # Without a secret (outside development) events go unsigned and consumers refuse them; the runtime
        # refuses to start a producing service that has none.
        self.signer = EventSigner(secret, settings.service_name) if secret else None

    async def add(self, session: AsyncSession, payload: EventPayload, *, traceparent: str | None = None) -> CloudEvent:
        event = CloudEvent.of(payload, source=self.source, traceparent=traceparent or _current_traceparent())
        await self.add_event(session, event)
        return event

    async def add_event(self, session: AsyncSession, event: CloudEvent) -> None:
        raw = self.signer.headers(event) if self.signer else event.headers()
        headers = [[k, v.decode()] for k, v in raw]
        await session.execute(
            self.table.insert().values(
                event_id=event.id,
                topic=topic_for(event.type, self.topic_prefix),
                key=event.key,
                headers=headers,
                payload=event.value(),
            )
        )
        # Delivered at commit, and collapsed with the other notifications of the same transaction.
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


def _current_traceparent() -> str:
    trace = trace_id_var.get() or uuid.uuid4().hex
    span = (request_id_var.get() or uuid.uuid4().hex).replace("-", "")[:16].ljust(16, "0")
    return f"00-{trace}-{span}-01"


class OutboxRelay:
    """Publishes a service's outbox to Kafka; one asyncio task, restarted with backoff after any failure."""

    def __init__(self, settings: ServiceSettings, engine: AsyncEngine, table: Table) -> None:
        self.settings = settings
        self.engine = engine
        self.table = table
        self.batch = settings.outbox_batch
        self.lock_key = zlib.crc32(f"outbox:{settings.service_name}".encode())
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.published = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.settings.service_name}-outbox-relay")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        backoff = 0.2
        while not self._stopping:
            try:
                await self._serve()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; restarting", extra={"backoff_s": backoff})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def _serve(self) -> None:
        producer = new_producer(self.settings)
        await producer.start()
        try:
            async with self.engine.connect() as listen_conn:
                raw = await listen_conn.get_raw_connection()
                driver: Any = raw.driver_connection

                def on_notify(*_: object) -> None:
                    self._wake.set()

                await driver.add_listener(NOTIFY_CHANNEL, on_notify)
                try:
                    while not self._stopping:
                        published = await self.publish_once(producer)
                        if published >= self.batch:
                            continue  # more waiting: no pause
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._wake.wait(), timeout=self.settings.outbox_poll_seconds)
                        self._wake.clear()
                finally:
                    with contextlib.suppress(Exception):
                        await driver.remove_listener(NOTIFY_CHANNEL, on_notify)
        finally:
            await producer.stop()

    async def publish_once(self, producer: Any) -> int:
        """Claim, publish and delete one batch; returns how many rows it published."""
        t = self.table
        async with self.engine.begin() as conn:
            got = (await conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": self.lock_key})).scalar()
            if not got:
                return 0
            rows: Sequence[Any] = (
                await conn.execute(t.select().order_by(t.c.seq).limit(self.batch).with_for_update(skip_locked=True))
            ).all()
            if not rows:
                return 0
            futures = [
                await producer.send(
                    row.topic,
                    value=row.payload,
                    key=row.key,
                    headers=[(k, v.encode()) for k, v in row.headers],
                )
                for row in rows
            ]
            await asyncio.gather(*futures)  # every acknowledgement (acks=all) before the rows go
            await conn.execute(t.delete().where(t.c.seq.in_([row.seq for row in rows])))
        now = datetime.now(UTC)
        service = self.settings.service_name
        for row in rows:
            EVENTS_PUBLISHED.labels(service, row.topic).inc()
            OUTBOX_PENDING.labels(service).observe((now - row.created_at).total_seconds())
        self.published += len(rows)
        return len(rows)
