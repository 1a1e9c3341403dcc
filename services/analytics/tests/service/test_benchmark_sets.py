"""Publishing a benchmark set: government within its scope; the set and benchmark.published in one transaction."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from analytics_synthetic import enterprise_events

from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import BenchmarkPublished, EmissionCalculated
from carbonid_contracts.topics import EventType, topic_for
from carbonid_kit.testing import wait_until

pytestmark = pytest.mark.integration


async def test_publish_benchmark_set_emits_the_event(
    make_analytics: Any, publish: Any, kafka_bootstrap: str, topic_prefix: str
) -> None:
    rng = random.Random(11)
    events: list[CloudEvent] = []
    for i in range(12):
        region = "330502" if i < 8 else "320102"
        events += enterprise_events(rng, i, periods=["2024"], region=region, industry="3011" if i % 4 else "3012")
    async with make_analytics() as analytics:
        await publish(events)
        unique = len({e.id for e in events})

        async def applied() -> bool:
            return await analytics.inbox_size() == unique

        await wait_until(applied, timeout=60, interval=0.2, what="events applied")
        preview = await analytics.get("/benchmarks/preview", "government", "330000", year=2024)
        by_code = {e["industry_code"]: e for e in preview["entries"]}
        assert by_code["3011"]["sample_size"] == 6
        assert by_code["3011"]["meets_minimum_sample"]
        assert by_code["3012"]["sample_size"] == 2
        assert not by_code["3012"]["meets_minimum_sample"]
        assert by_code["30"]["sample_size"] == by_code["C"]["sample_size"] == 8
        calcs = [e.data for e in events if isinstance(e.data, EmissionCalculated)]
        assert any(c.region_code.startswith("33") for c in calcs)

        gov = analytics.as_("government", region="100000", username="national01")
        body = {"year": 2024}
        refused = await analytics.client.post("/benchmark-sets", json=body, headers=analytics.as_("enterprise"))
        assert refused.status_code == 403
        refused = await analytics.client.post(
            "/benchmark-sets",
            json={"year": 2024, "region_scope": "100000"},
            headers=analytics.as_("government", region="330000"),
        )
        assert refused.status_code == 403
        empty = await analytics.client.post("/benchmark-sets", json={"year": 2019}, headers=gov)
        assert empty.status_code == 422
        assert empty.json()["type"] == "urn:carbonid:problem:no-benchmark-entries"

        first = await analytics.client.post("/benchmark-sets", json=body, headers=gov)
        assert first.status_code == 201, first.text
        second = await analytics.client.post("/benchmark-sets", json={**body, "levels": ["division"]}, headers=gov)
        assert second.status_code == 201
        one, two = first.json(), second.json()
        assert one["version"] == "100000-2024-v1"
        assert two["version"] == "100000-2024-v2"
        assert one["published_by"] == "national01"
        national = await analytics.get("/benchmarks/preview", year=2024)
        expected = {e["industry_code"]: e for e in national["entries"] if e["meets_minimum_sample"]}
        assert {e["industry_code"] for e in one["entries"]} == set(expected)
        for entry in one["entries"]:
            assert entry["intensity_tco2_per_10k_cny"] == expected[entry["industry_code"]]["intensity_tco2_per_10k_cny"]
            assert entry["sample_size"] == expected[entry["industry_code"]]["sample_size"] >= 5
        assert all(len(e["industry_code"]) == 2 for e in two["entries"])
        listed = await analytics.get("/benchmark-sets", "government", "100000", year=2024)
        assert [s["version"] for s in listed["items"]] == ["100000-2024-v2", "100000-2024-v1"]
        fetched = await analytics.get(f"/benchmark-sets/{one['benchmark_set_id']}", "government", "100000")
        assert fetched == one
        hidden = await analytics.client.get(
            f"/benchmark-sets/{one['benchmark_set_id']}", headers=analytics.as_("government", region="330000")
        )
        assert hidden.status_code == 404

        consumer = AIOKafkaConsumer(
            topic_for(EventType.BENCHMARK_PUBLISHED, topic_prefix),
            bootstrap_servers=kafka_bootstrap,
            auto_offset_reset="earliest",
            group_id=f"{topic_prefix}reader-{uuid.uuid4().hex[:6]}",
        )
        await consumer.start()
        received: list[BenchmarkPublished] = []
        try:
            async with asyncio.timeout(30):
                while len(received) < 2:
                    for records in (await consumer.getmany(timeout_ms=500)).values():
                        for r in records:
                            event = CloudEvent.decode(list(r.headers), r.value)
                            assert isinstance(event.data, BenchmarkPublished)
                            assert r.key == b"benchmark:100000"
                            received.append(event.data)
        finally:
            await consumer.stop()
        by_version = {e.version: e for e in received}
        assert set(by_version) == {"100000-2024-v1", "100000-2024-v2"}
        published = by_version["100000-2024-v1"]
        assert str(published.benchmark_set_id) == one["benchmark_set_id"]
        assert {e.industry_code: format(e.intensity_tco2_per_10k_cny, "f") for e in published.entries} == {
            e["industry_code"]: e["intensity_tco2_per_10k_cny"] for e in one["entries"]
        }
