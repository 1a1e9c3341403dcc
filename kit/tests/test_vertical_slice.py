"""Vertical slice against the real PostgreSQL and Kafka-protocol broker.

A producer service writes its state and an outbox event in one transaction; the relay publishes it; a
consumer service applies it exactly once, even when the same event is delivered twice or the relay dies
between publishing and committing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kit_samples import enterprise_resolved
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import EnterpriseResolved
from carbonid_contracts.topics import EventType, topic_for
from carbonid_kit.app import ServiceRuntime
from carbonid_kit.db import transaction
from carbonid_kit.messaging import PermanentError
from carbonid_kit.messaging.authenticity import EventSigner
from carbonid_kit.settings import DEVELOPMENT_EVENT_SECRET, ServiceSettings
from carbonid_kit.testing import wait_until

pytestmark = pytest.mark.integration


def producer_metadata() -> tuple[MetaData, Table]:
    md = MetaData()
    enterprises = Table(
        "enterprises", md, Column("id", UUID(as_uuid=True), primary_key=True), Column("name", String, nullable=False)
    )
    return md, enterprises


def consumer_metadata() -> tuple[MetaData, Table]:
    md = MetaData()
    seen = Table(
        "seen",
        md,
        Column("enterprise_id", UUID(as_uuid=True), primary_key=True),
        Column("times", Integer, nullable=False),
    )
    return md, seen


async def make_runtime(
    name: str, url: str, bootstrap: str, prefix: str, md: MetaData, flavour: str = "tansu"
) -> ServiceRuntime:
    settings = ServiceSettings(
        service_name=name,
        database_url=url,
        kafka_bootstrap=bootstrap,
        kafka_flavour=flavour,  # type: ignore[arg-type]
        topic_prefix=prefix,
        kafka_session_timeout_ms=6000,
        outbox_poll_seconds=0.5,
    )
    runtime = ServiceRuntime(settings, md)
    async with runtime.engine.begin() as conn:
        await conn.run_sync(md.create_all)
    return runtime


@pytest.fixture
async def slice_(
    new_database: Callable[[str], Awaitable[str]], kafka_bootstrap: str, kafka_flavour: str, topic_prefix: str
) -> AsyncIterator[dict[str, Any]]:
    pmd, enterprises = producer_metadata()
    cmd, seen = consumer_metadata()
    # The producer is the owner of enterprise.resolved: consumers accept that type from the resolver only.
    producer = await make_runtime(
        "resolver", await new_database("producer"), kafka_bootstrap, topic_prefix, pmd, kafka_flavour
    )
    consumer = await make_runtime(
        "consumer", await new_database("consumer"), kafka_bootstrap, topic_prefix, cmd, kafka_flavour
    )

    async def apply(session: AsyncSession, event: CloudEvent) -> None:
        data = event.data
        assert isinstance(data, EnterpriseResolved)
        if data.name == "拒绝":
            raise PermanentError("this consumer refuses enterprises named 拒绝")
        row = (await session.execute(select(seen.c.times).where(seen.c.enterprise_id == data.enterprise_id))).first()
        if row is None:
            await session.execute(seen.insert().values(enterprise_id=data.enterprise_id, times=1))
        else:
            await session.execute(
                seen.update().where(seen.c.enterprise_id == data.enterprise_id).values(times=seen.c.times + 1)
            )

    consumer.consumers.on(EventType.ENTERPRISE_RESOLVED, apply)
    yield {
        "producer": producer,
        "consumer": consumer,
        "enterprises": enterprises,
        "seen": seen,
        "prefix": topic_prefix,
        "bootstrap": kafka_bootstrap,
    }
    await consumer.stop()
    await producer.stop()


async def write_state_and_event(runtime: ServiceRuntime, table: Table, data: EnterpriseResolved) -> None:
    async with transaction(runtime.sessions) as session:
        await session.execute(table.insert().values(id=data.enterprise_id, name=data.name))
        await runtime.outbox.add(session, data)


async def seen_counts(runtime: ServiceRuntime, seen: Table) -> dict[uuid.UUID, int]:
    async with runtime.sessions() as session:
        return {r.enterprise_id: r.times for r in (await session.execute(select(seen))).all()}


async def outbox_size(runtime: ServiceRuntime) -> int:
    async with runtime.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(runtime.outbox_table))).scalar_one())


async def test_state_and_event_commit_together_and_apply_once(slice_: dict[str, Any]) -> None:
    producer, consumer = slice_["producer"], slice_["consumer"]
    events = [enterprise_resolved(f"企业{i}") for i in range(50)]
    for data in events:
        await write_state_and_event(producer, slice_["enterprises"], data)

    # a rolled-back transaction leaves neither state nor event behind
    async def write_then_fail() -> None:
        async with transaction(producer.sessions) as session:
            await session.execute(slice_["enterprises"].insert().values(id=uuid.uuid4(), name="回滚"))
            await producer.outbox.add(session, enterprise_resolved("回滚"))
            raise RuntimeError("fail after writing")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    assert await outbox_size(producer) == 50

    await producer.start()
    await consumer.start()
    counts = await wait_until(
        lambda: _when(seen_counts(consumer, slice_["seen"]), lambda c: len(c) == 50), what="50 events applied"
    )
    assert set(counts) == {e.enterprise_id for e in events}
    assert set(counts.values()) == {1}
    assert await outbox_size(producer) == 0


async def test_duplicate_delivery_is_applied_once(slice_: dict[str, Any]) -> None:
    producer, consumer = slice_["producer"], slice_["consumer"]
    await consumer.start()
    event = CloudEvent.of(enterprise_resolved(), source=producer.outbox.source)
    kafka = AIOKafkaProducer(bootstrap_servers=slice_["bootstrap"])
    await kafka.start()
    try:
        topic = topic_for(EventType.ENTERPRISE_RESOLVED, slice_["prefix"])
        headers = producer.outbox.signer.headers(event)
        for _ in range(2):
            await kafka.send_and_wait(topic, value=event.value(), key=event.key, headers=headers)
    finally:
        await kafka.stop()
    await wait_until(
        lambda: _when(_value(lambda: consumer.consumers.skipped), lambda s: s >= 1), what="the second delivery skipped"
    )
    assert await seen_counts(consumer, slice_["seen"]) == {event.data.enterprise_id: 1}
    assert consumer.consumers.applied == 1


async def test_relay_killed_between_publish_and_commit(slice_: dict[str, Any], monkeypatch: Any) -> None:
    producer, consumer = slice_["producer"], slice_["consumer"]
    events = [enterprise_resolved(f"重发{i}") for i in range(10)]
    for data in events:
        await write_state_and_event(producer, slice_["enterprises"], data)

    from aiokafka import AIOKafkaProducer as RealProducer

    kafka = RealProducer(bootstrap_servers=slice_["bootstrap"])
    await kafka.start()

    class DiesError(Exception):
        pass

    original_gather = __import__("asyncio").gather

    async def gather_then_die(*futures: Any) -> Any:
        await original_gather(*futures)  # published and acknowledged ...
        raise DiesError("relay process killed before its commit")  # ... but the delete never commits

    monkeypatch.setattr("carbonid_kit.messaging.outbox.asyncio.gather", gather_then_die)
    with pytest.raises(DiesError):
        await producer.relay.publish_once(kafka)
    monkeypatch.undo()
    await kafka.stop()
    assert await outbox_size(producer) == 10  # nothing was lost: the rows are still there

    await producer.start()  # a fresh relay publishes them again
    await consumer.start()
    await wait_until(
        lambda: _when(_value(lambda: consumer.consumers.skipped), lambda s: s >= 10),
        what="the ten republished events skipped as duplicates",
    )
    counts = await seen_counts(consumer, slice_["seen"])
    assert counts == {e.enterprise_id: 1 for e in events}
    assert await outbox_size(producer) == 0


async def test_poison_message_goes_to_dead_letter_and_stream_goes_on(slice_: dict[str, Any]) -> None:
    producer, consumer = slice_["producer"], slice_["consumer"]
    topic = topic_for(EventType.ENTERPRISE_RESOLVED, slice_["prefix"])
    kafka = AIOKafkaProducer(bootstrap_servers=slice_["bootstrap"])
    await kafka.start()
    try:
        await kafka.send_and_wait(topic, value=b"{not json", key=b"x", headers=[("ce_specversion", b"1.0")])
        await kafka.send_and_wait(topic, value=b"{}", key=b"y", headers=[("ce_specversion", b"\xff\xfe")])
    finally:
        await kafka.stop()
    refused = enterprise_resolved("拒绝")
    good = enterprise_resolved("正常企业")
    await write_state_and_event(producer, slice_["enterprises"], refused)
    await write_state_and_event(producer, slice_["enterprises"], good)
    await producer.start()
    await consumer.start()
    await wait_until(
        lambda: _when(seen_counts(consumer, slice_["seen"]), lambda c: good.enterprise_id in c),
        what="the good event after the poison ones applied",
    )

    dlq = AIOKafkaConsumer(
        consumer.consumers.dead_letter_topic,
        bootstrap_servers=slice_["bootstrap"],
        auto_offset_reset="earliest",
        group_id=f"{slice_['prefix']}dlq-reader",
    )
    await dlq.start()
    try:
        reasons: list[str] = []
        async with __import__("asyncio").timeout(30):
            while len(reasons) < 3:
                batch = await dlq.getmany(timeout_ms=500)
                for records in batch.values():
                    reasons += [dict(r.headers)["carbonid_dlq_reason"].decode() for r in records]
    finally:
        await dlq.stop()
    assert sorted(reasons) == ["invalid-envelope", "invalid-envelope", "rejected"]
    assert refused.enterprise_id not in await seen_counts(consumer, slice_["seen"])


async def test_forged_events_are_dead_lettered_and_the_owners_applied(slice_: dict[str, Any]) -> None:
    """Anyone reaching the broker can write a record: the consumer applies an event only from its topic's owner
    (the CloudEvents source), signed with the owner's key, not tampered with and not dated in the future."""
    producer, consumer = slice_["producer"], slice_["consumer"]
    owner = producer.outbox.signer
    impostor = EventSigner(DEVELOPMENT_EVENT_SECRET, "calculator")  # a real key, but not the topic owner's
    source = producer.outbox.source
    records: list[tuple[CloudEvent, list[tuple[str, bytes]], bytes]] = []

    unsigned = CloudEvent.of(enterprise_resolved("未签名"), source=source)
    records.append((unsigned, unsigned.headers(), unsigned.value()))
    foreign = CloudEvent.of(enterprise_resolved("他人签名"), source=source)
    records.append((foreign, impostor.headers(foreign), foreign.value()))
    posing = CloudEvent.of(enterprise_resolved("冒充来源"), source="urn:carbonid:calculator:330000")
    records.append((posing, impostor.headers(posing), posing.value()))
    original = CloudEvent.of(enterprise_resolved("原始内容"), source=source)
    tampered = original.data.model_copy(update={"name": "篡改内容"})
    records.append((original, owner.headers(original), tampered.model_dump_json().encode()))
    future = enterprise_resolved("未来时间").model_copy(
        update={"resolved_at": datetime.now(UTC) + timedelta(days=3650)}
    )
    future_event = CloudEvent.of(future, source=source)
    records.append((future_event, owner.headers(future_event), future_event.value()))
    good = CloudEvent.of(enterprise_resolved("真实事件"), source=source)
    records.append((good, owner.headers(good), good.value()))

    kafka = AIOKafkaProducer(bootstrap_servers=slice_["bootstrap"])
    await kafka.start()
    try:
        topic = topic_for(EventType.ENTERPRISE_RESOLVED, slice_["prefix"])
        for _event, headers, value in records:
            await kafka.send_and_wait(topic, value=value, key=b"one-partition", headers=headers)
    finally:
        await kafka.stop()
    await consumer.start()
    await wait_until(
        lambda: _when(seen_counts(consumer, slice_["seen"]), lambda c: good.data.enterprise_id in c),
        what="the owner's signed event applied",
    )
    assert await seen_counts(consumer, slice_["seen"]) == {good.data.enterprise_id: 1}

    dlq = AIOKafkaConsumer(
        consumer.consumers.dead_letter_topic,
        bootstrap_servers=slice_["bootstrap"],
        auto_offset_reset="earliest",
        group_id=f"{slice_['prefix']}dlq-forged",
    )
    await dlq.start()
    try:
        reasons: list[str] = []
        async with asyncio.timeout(30):
            while len(reasons) < 5:
                for batch in (await dlq.getmany(timeout_ms=500)).values():
                    reasons += [dict(r.headers)["carbonid_dlq_reason"].decode() for r in batch]
    finally:
        await dlq.stop()
    assert reasons == ["unsigned", "bad-signature", "wrong-producer", "bad-signature", "future-time"]


def test_producing_and_consuming_services_refuse_to_start_without_keys_outside_development() -> None:
    production = {"environment": "production", "service_token": "a-real-service-token"}
    owner = ServiceSettings(service_name="resolver", **production)  # type: ignore[arg-type]
    runtime = ServiceRuntime(owner, MetaData())
    with pytest.raises(RuntimeError, match="CARBONID_EVENT_SIGNING_SECRET"):
        asyncio.run(runtime.start())
    consumer = ServiceRuntime(ServiceSettings(service_name="gateway", **production), MetaData())  # type: ignore[arg-type]

    async def noop(session: AsyncSession, event: CloudEvent) -> None:
        return None

    consumer.consumers.on(EventType.EVALUATION_COMPLETED, noop)
    with pytest.raises(RuntimeError, match="CARBONID_EVENT_PRODUCER_KEYS"):
        asyncio.run(consumer.consumers.start())


async def _when(awaitable: Awaitable[Any], predicate: Callable[[Any], bool]) -> Any:
    value = await awaitable
    return value if predicate(value) else None


async def _value(getter: Callable[[], Any]) -> Any:
    return getter()
