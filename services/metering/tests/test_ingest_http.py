"""HTTP batch ingest on the real PostgreSQL, with devices registered through the real resolver and node."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from metering_harness import DEMO_PREFIX, OTHER_PREFIX, Metering, reading

from carbonid_contracts.codes.identifier import enterprise_id_for
from carbonid_kit.testing import wait_until

pytestmark = pytest.mark.integration

METER = f"{DEMO_PREFIX}/MTR-0001"  # electricity, cumulative kWh register, CT ratio 200, rolls over at 99999999
COAL = f"{DEMO_PREFIX}/MTR-0002"  # coal weigher, interval t, rated 65.934 t/h
DAY = {"day": "2026-12-02"}


async def revisions(m: Metering, expected: list[tuple[str, int]]) -> bool:
    rows = await m.sql("SELECT day, revision FROM day_revisions ORDER BY day")
    return [(str(r.day), r.revision) for r in rows] == expected


async def setup(m: Metering) -> dict[str, str]:
    await m.resolve_enterprise(DEMO_PREFIX)
    await m.register(METER, m.enterprise())
    await m.register(COAL)
    return await m.gateway()


async def test_devices_are_registered_by_resolving_their_identifier(make_metering: Callable[..., Any]) -> None:
    async with make_metering() as m:
        missing = await m.client.post("/devices", json={"identifier": METER}, headers=m.operator())
        assert missing.status_code == 409, missing.text  # the enterprise is not on the platform yet
        assert missing.json()["type"] == "urn:carbonid:problem:enterprise-not-resolved"
        await m.resolve_enterprise(DEMO_PREFIX)
        device = await m.register(METER, m.enterprise())
        assert (device["identifier"], device["carrier"], device["unit"], device["canonical_unit"]) == (
            "88.118.8/mtr-0001",
            "electricity",
            "kWh",
            "MWh",
        )
        assert Decimal(device["multiplier"]) == 200
        assert Decimal(device["register_max"]) == Decimal("99999999") * Decimal("0.2")  # ×200 kWh → MWh
        assert Decimal(device["rated_max_per_hour"]) == Decimal("42.386301")
        assert device["enterprise_id"] == str(enterprise_id_for(DEMO_PREFIX))
        foreign = await m.client.post("/devices", json={"identifier": METER}, headers=m.enterprise(OTHER_PREFIX))
        assert foreign.status_code == 403
        unknown = await m.client.post("/devices", json={"identifier": f"{DEMO_PREFIX}/MTR-9999"}, headers=m.operator())
        assert unknown.status_code == 404, unknown.text
        assert unknown.json()["type"] == "urn:carbonid:problem:device-identifier-not-found"
        not_a_meter = await m.client.post(
            "/devices", json={"identifier": f"{DEMO_PREFIX}/ENTERPRISE"}, headers=m.operator()
        )
        assert not_a_meter.status_code == 422
        assert not_a_meter.json()["type"] == "urn:carbonid:problem:invalid-device-record"
        listed = (await m.client.get("/devices", headers=m.enterprise())).json()
        assert [(d["identifier"], d["health"]) for d in listed["items"]] == [("88.118.8/mtr-0001", "never-reported")]
        assert (await m.client.get("/devices", headers=m.enterprise(OTHER_PREFIX))).json()["items"] == []


async def test_cumulative_register_duplicates_replays_and_conflicts(make_metering: Callable[..., Any]) -> None:
    async with make_metering() as m:
        gateway = await setup(m)
        batch = [reading(METER, minutes, 1000 + minutes) for minutes in (0, 15, 30, 45, 60)]
        first = await m.post_lines(gateway, batch)
        assert first.status_code == 200, first.text
        assert (first.json()["accepted"], first.json()["duplicates"], first.json()["quarantined"]) == (5, 0, 0)
        day = await m.day(METER)
        # 60 register units × CT 200 = 12,000 kWh = 12 MWh over the four intervals after the baseline
        assert day.quantity == Decimal("12.000")
        assert (day.readings, day.expected) == (4, 96)  # the 00:00 reading closes the previous day's last interval
        again = await m.post_lines(gateway, [*batch, batch[0]])
        assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 6)
        assert (await m.day(METER)).quantity == Decimal("12.000")
        conflicting = await m.post_lines(gateway, [reading(METER, 30, 1031)])
        assert conflicting.json()["quarantined_by_reason"] == {"conflicting-duplicate": 1}
        assert (await m.day(METER)).quantity == Decimal("12.000")  # the first value stands
        seen = (await m.client.get("/quarantine", headers=m.enterprise())).json()["items"]
        assert [(q["device"], q["reason"], q["value"]) for q in seen] == [
            ("88.118.8/mtr-0001", "conflicting-duplicate", "1031")
        ]
        assert seen[0]["reason_text"]["en"].startswith("another value")


async def test_late_reading_moves_consumption_between_days_and_republishes(make_metering: Callable[..., Any]) -> None:
    async with make_metering() as m:
        gateway = await setup(m)
        # 23:45 on 12-01 and 00:30 on 12-02 (CST): the 30 units between them belong to 12-02 (interval-ending)
        assert (await m.post_lines(gateway, [reading(METER, -15, 500), reading(METER, 30, 530)])).status_code == 200
        await wait_until(lambda: revisions(m, [("2026-12-01", 1), ("2026-12-02", 1)]), timeout=20)
        assert (await m.day(METER, "2026-12-01")).quantity == Decimal(0)
        assert (await m.day(METER, "2026-12-02")).quantity == Decimal("6.0")
        # the midnight reading arrives late: 10 units were used before midnight, 20 after
        late = await m.post_lines(gateway, [reading(METER, 0, 510)])
        assert late.json()["accepted"] == 1
        assert (await m.day(METER, "2026-12-01")).quantity == Decimal("2.0")
        assert (await m.day(METER, "2026-12-02")).quantity == Decimal("4.0")
        hours = (
            await m.client.get(f"/devices/{METER}/hours", params={"day": "2026-12-02"}, headers=m.enterprise())
        ).json()
        assert [Decimal(h["quantity"]) for h in hours["items"]] == [Decimal(4)]
        await wait_until(lambda: revisions(m, [("2026-12-01", 2), ("2026-12-02", 2)]), timeout=20)


async def test_rollover_reset_gaps_units_and_impossible_values(make_metering: Callable[..., Any]) -> None:
    async with make_metering() as m:
        gateway = await setup(m)
        lines = [
            reading(METER, 0, "99999990"),
            reading(METER, 15, "4"),  # rolled over: 9 + 4 = 13 units
            reading(METER, 30, "6"),
            reading(METER, 45, "1"),  # far from the maximum: a counter reset, 1 unit since zero
            reading(METER, 90, "0.002", unit="MWh"),  # 2 kWh reported in MWh (gap of one interval before it)
            reading(COAL, 15, "12.5", unit="t"),
            reading(COAL, 30, "3500", unit="kg"),
            reading(COAL, 45, "-1", unit="t"),
            reading(COAL, 60, "40", unit="t"),  # above 65.934 t/h × 0.25 h × 1.2
            reading(COAL, 75, "2", unit="t", quality="bad"),
        ]
        response = await m.post_lines(gateway, lines)
        assert response.status_code == 200, response.text
        assert response.json()["quarantined_by_reason"] == {
            "negative-interval": 1,
            "above-rated-maximum": 1,
            "device-reported-bad": 1,
        }
        flags = await m.sql("SELECT flag FROM readings WHERE device = :d ORDER BY ts", d=METER.lower())
        assert [f.flag for f in flags] == ["baseline", "rollover", "normal", "reset", "normal"]
        # register units × CT 200 kWh: rollover 99999999 − 99999990 + 4 = 13, then 2, reset 1, then the register
        # reported in MWh (0.002 MWh = 2 units) 1 more: 17 units = 3.4 MWh
        assert (await m.day(METER)).quantity == Decimal("3.4")
        # a register jump of 998 units (199.6 MWh in 15 minutes) is beyond the meter's rating: quarantined,
        # kept as the register's reference, its consumption not counted
        spike = await m.post_lines(gateway, [reading(METER, 105, "1000")])
        assert spike.json()["quarantined_by_reason"] == {"above-rated-maximum": 1}
        assert (await m.day(METER)).quantity == Decimal("3.4")
        coal = await m.day(COAL)
        assert coal.quantity == Decimal("16.0")  # 12.5 t + 3,500 kg
        assert coal.quarantined == 3
        gaps = (
            await m.client.get(f"/devices/{METER}/gaps", params={"day": "2026-12-02"}, headers=m.enterprise())
        ).json()
        assert gaps["fill_rule"] == "none"
        # 00:15, 00:30, 00:45 and 01:30 arrived: 01:00 and 01:15 are missing, then everything after 01:30
        assert [g["missing_readings"] for g in gaps["items"]] == [2, 89]  # 01:45 is the quarantined jump
        assert (await m.day(METER)).readings == 5
        regulator = m.tokens.headers("government", region="330000")
        assert len((await m.client.get("/quarantine", headers=regulator)).json()["items"]) == 4
        elsewhere = m.tokens.headers("government", region="320000")
        assert (await m.client.get("/quarantine", headers=elsewhere)).json()["items"] == []


async def test_refused_batches_write_nothing(make_metering: Callable[..., Any]) -> None:
    async with make_metering() as m:
        gateway = await setup(m)
        unknown = await m.post_lines(gateway, [reading(METER, 15, 1), reading(f"{DEMO_PREFIX}/MTR-0003", 15, 1)])
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["pointer"] == "/lines/2/device"
        assert unknown.json()["errors"][0]["code"] == "unknown-device"
        wrong_unit = await m.post_lines(gateway, [reading(METER, 15, 1, unit="m3")])
        assert (wrong_unit.status_code, wrong_unit.json()["errors"][0]["code"]) == (422, "unit-not-convertible")
        malformed = await m.client.post(
            "/readings",
            content=b'{"device": "88.118.8/MTR-0001", "time": "2026-12-02T00:15:00", "value": "x", "unit": "kWh"}\n'
            b"nope",
            headers={**gateway, "Content-Type": "application/x-ndjson"},
        )
        assert malformed.status_code == 422
        assert [e["pointer"] for e in malformed.json()["errors"]] == ["/lines/1/time", "/lines/1/value", "/lines/2"]
        await m.resolve_enterprise(OTHER_PREFIX)
        await m.register(f"{OTHER_PREFIX}/MTR-0001")
        foreign = await m.post_lines(gateway, [reading(METER, 15, 1), reading(f"{OTHER_PREFIX}/MTR-0001", 15, 1)])
        assert foreign.status_code == 403
        assert foreign.json()["errors"][0]["code"] == "device-of-another-enterprise"
        assert (
            await m.client.post("/readings", content=b"", headers={"Authorization": "Gateway x.y"})
        ).status_code == 401
        assert await m.sql("SELECT * FROM readings") == []
        assert await m.sql("SELECT * FROM quarantine") == []
        csv = "device,time,value,unit,quality\n" + "\n".join(
            f"{METER},{r['time']},{r['value']},kWh,good" for r in [reading(METER, mm, 100 + mm) for mm in (0, 15, 30)]
        )
        accepted = await m.client.post(
            "/readings", content=csv.encode(), headers={**gateway, "Content-Type": "text/csv"}
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["accepted"] == 3
        assert (await m.day(METER)).quantity == Decimal("6.0")
        await m.client.delete(f"/gateways/{gateway['Authorization'].split()[1].split('.')[0]}", headers=m.enterprise())
        revoked = await m.post_lines(gateway, [reading(METER, 45, 200)])
        assert revoked.status_code == 401
