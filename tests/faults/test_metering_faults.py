"""Fault injection on metering's ingest (meter.reading on Apache Kafka, PostgreSQL): nothing lost, nothing doubled.

metering runs as an OS process on a fresh topic prefix and database. Its meters are registered straight into
its database (device registration through the resolver is not what is faulted here). A day of readings for
every meter is produced as ``meter.reading`` events; the scenario kills metering with SIGKILL while a batch's
transaction is provably open (blocked on a lock the ingest needs), restarts it, then replays the whole day
twice under new event ids (a gateway resending after an outage). The invariants: every reading stored once,
every day's quantity equal to what the registers say, every event id in the inbox, nothing dead-lettered.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from carbonid_metering.db import MIGRATIONS
from pipeline import Infra, Pipeline, eventually

from carbonid_contracts.codes.identifier import enterprise_id_for
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import MeterReadings, MeterReadingValue
from carbonid_kit.migrations import upgrade_async

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

DEVICES = 20
START = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 2026-12-02 00:00 CST
UNITS_PER_INTERVAL = 3  # every register counts 3 kWh-units (× CT 10) per 15 minutes


def device(i: int) -> str:
    return f"88.200.{i // 4}/mtr-{i % 4:04d}"


@pytest.fixture
async def metering(infra: Infra) -> AsyncIterator[Pipeline]:
    p = Pipeline(infra, "metering", with_analytics=False)
    p.services = ["metering"]
    p.database_urls = {"metering": f"{infra.postgres.url}/{p.prefix.rstrip('.')}_metering"}
    p.folder.mkdir(parents=True, exist_ok=True)
    await upgrade_async(MIGRATIONS, p.database_urls["metering"])
    now = datetime.now(UTC)
    async with p.engine("metering").begin() as conn:
        from carbonid_metering.db import devices
        from sqlalchemy import insert

        await conn.execute(
            insert(devices),
            [
                {
                    "identifier": device(i), "enterprise_id": enterprise_id_for(device(i).split("/")[0]),
                    "enterprise_prefix": device(i).split("/")[0], "enterprise_name": f"企业 {i // 4}",
                    "region_code": "330502", "name": f"meter {i}", "kind": "meter", "carrier": "electricity",
                    "source_code": "electricity.purchased", "unit": "kWh", "canonical_unit": "MWh",
                    "multiplier": Decimal(10), "register_kind": "cumulative", "register_max": Decimal(10_000),
                    "rated_max_per_hour": Decimal(1), "interval_seconds": 900, "enabled": True, "record": {},
                    "node": "faults", "registered_at": now, "resolved_at": now,
                }
                for i in range(DEVICES)
            ],
        )  # fmt: skip
    p.add_process("metering", "metering").start()
    try:
        await p.processes["metering"].wait_ready()
        yield p
    except BaseException:
        print(f"---- metering log tail\n{p.processes['metering'].log_tail()}")
        raise
    finally:
        await p.close()


def day_of_events(per_event: int) -> list[CloudEvent]:
    """Every meter's 97 register values from 00:00 to 24:00 CST, ``per_event`` readings an event."""
    out = []
    for i in range(DEVICES):
        values = [
            MeterReadingValue(
                time=START + timedelta(minutes=15 * k), value=Decimal(100 + UNITS_PER_INTERVAL * k), unit="kWh"
            )
            for k in range(97)
        ]
        for j in range(0, len(values), per_event):
            payload = MeterReadings(
                enterprise_id=enterprise_id_for(device(i).split("/")[0]),
                device=device(i),
                readings=values[j : j + per_event],
            )
            out.append(CloudEvent.of(payload, source="urn:carbonid:faults:gateway"))
    return out


async def check_invariants(p: Pipeline, event_ids: set[uuid.UUID]) -> None:
    readings = await p.scalar("metering", "SELECT count(*) FROM readings")
    assert readings == DEVICES * 97
    rows = await p.query("metering", "SELECT device, day, quantity, readings FROM device_days ORDER BY device, day")
    per_day = {(r.device, str(r.day)): (r.quantity, r.readings) for r in rows}
    for i in range(DEVICES):
        # 96 intervals × 3 units × CT 10 kWh = 2.88 MWh on 12-02; the 00:00 baseline alone on 12-01
        assert per_day[(device(i), "2026-12-02")] == (Decimal("2.88"), 96), device(i)
        assert per_day[(device(i), "2026-12-01")] == (Decimal(0), 1), device(i)
    inbox = {r.event_id for r in await p.query("metering", "SELECT event_id FROM inbox_events")}
    assert event_ids <= inbox
    assert await p.dead_letters("metering") == []


async def test_metering_killed_mid_batch_then_a_day_replayed_twice(metering: Pipeline) -> None:
    p = metering
    process = p.processes["metering"]
    first = day_of_events(per_event=8)
    async with p.holding_lock("metering", "LOCK TABLE device_hours IN EXCLUSIVE MODE"):
        for event in first:
            await p.publish(event.data, event=event)
        await p.wait_for_blocked("metering", "%device_hours%")
        process.sigkill()
    assert await p.scalar("metering", "SELECT count(*) FROM readings") == 0  # the open batch rolled back
    await p.restart("metering")

    async def all_stored() -> bool:
        return await p.scalar("metering", "SELECT count(*) FROM readings") == DEVICES * 97

    await eventually(all_stored, "every reading stored after the restart", timeout=180)
    await check_invariants(p, {e.id for e in first})

    replays = day_of_events(per_event=24) + day_of_events(per_event=97)  # new event ids, the same readings
    for event in replays:
        await p.publish(event.data, event=event)

    async def replayed() -> bool:
        count = await p.scalar("metering", "SELECT count(*) FROM inbox_events")
        return int(count) >= len(first) + len(replays)

    await eventually(replayed, "both replays consumed", timeout=180)
    await check_invariants(p, {e.id for e in first + replays})
    print(
        f"[faults] metering_killed_mid_batch_then_a_day_replayed_twice: events={len(first)}+{len(replays)}, "
        f"readings={DEVICES * 97}, exits={process.exits}"
    )
