"""Batch handlers (``EventConsumers.subscribe_batch``) on the real PostgreSQL and Kafka-protocol broker.

A batch handler gets the new events of a batch in one call and one transaction; the consumer keeps its
promises: duplicates skipped, offsets committed after the effects, infrastructure errors retried without
limit, and a batch that fails for the event's fault applied again one event at a time so that only the
poison event goes to the dead-letter topic.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kit_samples import enterprise_resolved
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import EnterpriseResolved
from carbonid_contracts.topics import EventType, topic_for
from carbonid_kit.app import ServiceRuntime
from carbonid_kit.messaging import PermanentError
from carbonid_kit.messaging.consumer import EventConsumers
from carbonid_kit.settings import ServiceSettings
from carbonid_kit.testing import wait_until

pytestmark = pytest.mark.integration

REFUSED = "拒绝"


def event_named(name: str) -> CloudEvent:
    return CloudEvent.of(enterprise_resolved(name), source="urn:test")


@dataclass
class Consumer:
    runtime: ServiceRuntime
    applied: Table
    prefix: str
    bootstrap: str
    calls: list[list[str]] = field(default_factory=list)
    """The names passed to each call of the batch handler (including calls whose transaction rolled back)."""
    transient_failures_left: int = 0

    @property
    def consumers(self) -> EventConsumers:
        return self.runtime.consumers

    async def rows(self) -> dict[str, int]:
        """How many times each name was applied (committed effects only)."""
        t = self.applied
        async with self.runtime.sessions() as session:
            result = await session.execute(select(t.c.name, func.count()).group_by(t.c.name))
            return {name: int(n) for name, n in result.all()}

    async def publish(self, events: list[CloudEvent], key: bytes = b"one-partition") -> None:
        """Send in this order with one key, so that the records share a partition and their order is known."""
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, linger_ms=20)
        await producer.start()
        try:
            topic = topic_for(EventType.ENTERPRISE_RESOLVED, self.prefix)
            sent = [await producer.send(topic, value=e.value(), key=key, headers=e.headers()) for e in events]
            await asyncio.gather(*sent)
        finally:
            await producer.stop()

    async def dead_letters(self, expected: int) -> list[dict[str, str]]:
        reader = AIOKafkaConsumer(
            self.consumers.dead_letter_topic,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            group_id=f"{self.prefix}dlq-reader",
        )
        await reader.start()
        found: list[dict[str, str]] = []
        try:
            async with asyncio.timeout(30):
                while len(found) < expected:
                    for records in (await reader.getmany(timeout_ms=500)).values():
                        found += [{k: v.decode() for k, v in r.headers} for r in records]
        finally:
            await reader.stop()
        return found


@pytest.fixture
async def consumer(
    new_database: Callable[[str], Awaitable[str]], kafka_bootstrap: str, kafka_flavour: str, topic_prefix: str
) -> AsyncIterator[Consumer]:
    md = MetaData()
    applied = Table(
        "applied",
        md,
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("name", String, nullable=False),
        Column("batch_size", Integer, nullable=False),
    )
    settings = ServiceSettings(
        service_name="batcher",
        environment="test",  # the events here are made up by the test (authenticity: test_vertical_slice)
        database_url=await new_database("batcher"),
        kafka_bootstrap=kafka_bootstrap,
        kafka_flavour=kafka_flavour,  # type: ignore[arg-type]
        topic_prefix=topic_prefix,
        kafka_session_timeout_ms=6000,
        outbox_relay_enabled=False,
    )
    runtime = ServiceRuntime(settings, md)
    async with runtime.engine.begin() as conn:
        await conn.run_sync(md.create_all)
    state = Consumer(runtime, applied, topic_prefix, kafka_bootstrap)

    async def apply(session: AsyncSession, events: list[CloudEvent]) -> None:
        names = [e.data.name for e in events if isinstance(e.data, EnterpriseResolved)]
        state.calls.append(names)
        if state.transient_failures_left > 0:
            state.transient_failures_left -= 1
            raise ConnectionResetError("the database went away mid-batch")
        if REFUSED in names:
            raise PermanentError("this consumer refuses enterprises named 拒绝")
        # no ON CONFLICT: a second application of one event would fail the test with a unique violation
        rows = [{"event_id": e.id, "name": n, "batch_size": len(events)} for e, n in zip(events, names, strict=True)]
        await session.execute(insert(applied), rows)

    runtime.consumers.subscribe_batch([EventType.ENTERPRISE_RESOLVED], apply)
    yield state
    await runtime.stop()


async def test_duplicates_are_skipped_and_new_events_arrive_together_in_offset_order(consumer: Consumer) -> None:
    events = [event_named(f"企业{i:02d}") for i in range(40)]
    # every fifth event twice within the stream, before the consumer runs: one fetch holds both copies
    await consumer.publish([e for i, e in enumerate(events) for _ in range(2 if i % 5 == 0 else 1)])
    await consumer.runtime.start()
    await wait_until(lambda: _when(consumer.rows(), lambda r: len(r) == 40), what="40 events applied")

    # a redelivery after they were applied (another batch) changes nothing either
    await consumer.publish(events[:10])
    await wait_until(lambda: _value(lambda: consumer.consumers.skipped >= 8 + 10), what="18 duplicates skipped")
    assert await consumer.rows() == {f"企业{i:02d}": 1 for i in range(40)}
    assert consumer.consumers.applied == 40
    assert consumer.consumers.dead_lettered == 0
    assert max(len(c) for c in consumer.calls) > 1, consumer.calls  # the handler got batches, not single events
    for names in consumer.calls:
        assert len(names) == len(set(names))  # each new event once per call ...
        assert names == sorted(names)  # ... in offset order
    assert [] not in consumer.calls  # a batch of duplicates only does not call the handler


async def test_poison_event_is_dead_lettered_and_the_rest_of_its_batch_applied(consumer: Consumer) -> None:
    events = [event_named(f"企业{i:02d}") for i in range(30)]
    poison = event_named(REFUSED)
    await consumer.publish([*events[:12], poison, *events[12:]])
    await consumer.runtime.start()
    await wait_until(lambda: _when(consumer.rows(), lambda r: len(r) == 30), what="the 30 good events applied")

    letters = await consumer.dead_letters(1)
    assert [(d["carbonid_dlq_reason"], d["ce_id"]) for d in letters] == [("rejected", str(poison.id))]
    assert "拒绝" in letters[0]["carbonid_dlq_detail"]
    assert await consumer.rows() == {f"企业{i:02d}": 1 for i in range(30)}  # each once, the poison never
    assert consumer.consumers.dead_lettered == 1
    # the batch holding the poison failed as a whole, then went through the same handler one event at a time
    failed = next(c for c in consumer.calls if REFUSED in c)
    assert len(failed) > 1
    assert [REFUSED] in consumer.calls
    assert sum(1 for c in consumer.calls if len(c) == 1) >= len(failed)


async def test_infrastructure_errors_are_retried_without_dead_letters(consumer: Consumer) -> None:
    consumer.transient_failures_left = 5  # more than max_attempts: a transient error never counts as one
    assert consumer.consumers.max_attempts < 5
    events = [event_named(f"企业{i:02d}") for i in range(20)]
    await consumer.publish(events)
    await consumer.runtime.start()
    await wait_until(lambda: _when(consumer.rows(), lambda r: len(r) == 20), timeout=60, what="20 events applied")
    assert consumer.transient_failures_left == 0
    assert await consumer.rows() == {f"企业{i:02d}": 1 for i in range(20)}
    assert consumer.consumers.dead_lettered == 0
    assert consumer.consumers.applied == 20


def test_an_event_type_has_one_kind_of_handler() -> None:
    consumers = EventConsumers(ServiceSettings(service_name="x"), None, None)  # type: ignore[arg-type]

    async def per_event(session: AsyncSession, event: CloudEvent) -> None:
        pass

    async def per_batch(session: AsyncSession, events: list[CloudEvent]) -> None:
        pass

    consumers.on(EventType.ENTERPRISE_RESOLVED, per_event)
    with pytest.raises(ValueError, match="per-event"):
        consumers.subscribe_batch([EventType.ENTERPRISE_RESOLVED, EventType.EMISSION_CALCULATED], per_batch)
    consumers.subscribe_batch([EventType.EMISSION_CALCULATED], per_batch)
    with pytest.raises(ValueError, match="batch"):
        consumers.on(EventType.EMISSION_CALCULATED, per_event)
    assert set(consumers.topics.values()) == {EventType.ENTERPRISE_RESOLVED, EventType.EMISSION_CALCULATED}


async def _when(awaitable: Awaitable[Any], predicate: Callable[[Any], bool]) -> Any:
    value = await awaitable
    return value if predicate(value) else None


async def _value(getter: Callable[[], Any]) -> Any:
    return getter()
