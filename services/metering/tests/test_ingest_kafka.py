"""meter.reading on the real broker: replayed batches applied once, bad events dead-lettered, days published."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from metering_harness import DEMO_PREFIX, OTHER_PREFIX, meter_event, produce

from carbonid_contracts.codes.identifier import enterprise_id_for
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import ActivityMetered
from carbonid_contracts.topics import EventType, dead_letter_topic, topic_for
from carbonid_kit.testing import wait_until

pytestmark = pytest.mark.integration

METER = f"{DEMO_PREFIX}/MTR-0001"
COAL = f"{DEMO_PREFIX}/MTR-0002"


async def read_topic(bootstrap: str, topic: str, want: Callable[[list[Any]], bool], timeout: float = 30) -> list[Any]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(timeout):
            while not want(records):
                batch = await consumer.getmany(timeout_ms=500)
                for partition_records in batch.values():
                    records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


async def test_kafka_batches_replayed_twice_count_once(
    make_metering: Callable[..., Any], kafka_bootstrap: str, topic_prefix: str
) -> None:
    async with make_metering() as m:
        await m.resolve_enterprise(DEMO_PREFIX)
        await m.register(METER)
        await m.register(COAL)
        register = [(15 * i, str(2000 + 5 * i), "kWh") for i in range(97)]  # the whole day 00:00 … 24:00
        events = [
            meter_event(METER, register[:50]),
            meter_event(METER, register[50:]),
            meter_event(COAL, [(15, "2.5", "t"), (30, "2500", "kg")]),
        ]
        await produce(kafka_bootstrap, topic_prefix, events, repeat=2)  # a replay of everything
        unknown = meter_event(f"{DEMO_PREFIX}/MTR-0404", [(15, "1", "kWh")])
        foreign = meter_event(METER, [(15, "1", "kWh")], prefix=OTHER_PREFIX)  # claims another enterprise
        await produce(kafka_bootstrap, topic_prefix, [unknown, foreign])

        async def applied() -> bool:
            day = await m.day(METER)
            return day is not None and day.readings == 96

        await wait_until(applied, timeout=60)
        day = await m.day(METER)
        assert day.quantity == Decimal("96") * 5 * Decimal("0.2")  # 5 units × 200 kWh per interval
        assert (await m.day(COAL)).quantity == Decimal("5.0")
        count = await m.sql("SELECT count(*) AS n FROM readings")
        assert count[0].n == 97 + 2

        dlq = await read_topic(kafka_bootstrap, dead_letter_topic("metering", topic_prefix), lambda r: len(r) >= 2)
        reasons = sorted(dict(r.headers)["carbonid_dlq_detail"].decode().split(":")[0] for r in dlq)
        assert reasons == ["device-of-another-enterprise", "unknown-device"]

        def complete_day(records: list[Any]) -> ActivityMetered | None:
            for record in records:
                event = CloudEvent.decode(list(record.headers), record.value).data
                assert isinstance(event, ActivityMetered)
                lines = {line.source_code: line for line in event.lines}
                if str(event.day) == "2026-12-02" and lines["electricity.purchased"].readings == 96:
                    return event
            return None

        published = await read_topic(
            kafka_bootstrap, topic_for(EventType.ACTIVITY_METERED, topic_prefix), lambda r: complete_day(r) is not None
        )
        last = complete_day(published)
        assert last is not None
        assert last.enterprise_id == enterprise_id_for(DEMO_PREFIX)
        lines = {line.source_code: line for line in last.lines}
        electricity = lines["electricity.purchased"]
        assert (electricity.quantity, electricity.unit) == (Decimal("96.0"), "MWh")
        assert electricity.completeness == Decimal(1)
        coal = lines["fuel.bituminous_coal"]
        assert (coal.quantity, coal.readings, coal.gaps) == (Decimal("5.0"), 2, 94)
        assert last.completeness == (Decimal(98) / Decimal(192)).quantize(Decimal("0.0001"))
