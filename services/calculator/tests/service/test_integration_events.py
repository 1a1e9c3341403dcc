"""From ``activity.resolved`` on the broker to a confirmed calculation, its PDF and ``emission.calculated``.

Real PostgreSQL and a real Kafka-protocol broker (the kit's fixtures), the calculator with its consumers and
outbox relay running, HTTP through ASGITransport.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from calculator_harness import activity_event, enterprise_event, pdf_text
from sqlalchemy import func, select

from carbonid_calculator.config import CalculatorSettings
from carbonid_calculator.db import MIGRATIONS, EnterpriseView, ResolvedActivity
from carbonid_calculator.main import create_app
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import ActivityLine, EmissionCalculated
from carbonid_contracts.topics import EventType, topic_for
from carbonid_kit.migrations import upgrade_async
from carbonid_kit.testing import wait_until
from carbonid_kit.testing_tokens import TestTokens

pytestmark = pytest.mark.integration


@pytest.fixture
async def live(
    new_database: Callable[[str], Awaitable[str]], kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[dict[str, Any]]:
    url = await new_database("calc_live")
    await upgrade_async(MIGRATIONS, url)
    settings = CalculatorSettings(
        environment="test",
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        kafka_session_timeout_ms=6000,
        outbox_poll_seconds=0.5,
        log_json=False,
        log_level="WARNING",
    )
    app = create_app(settings)
    tokens = TestTokens()
    app.state.jwks.load_jwks(tokens.jwks)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://calculator") as client,
    ):
        yield {"app": app, "client": client, "tokens": tokens, "producer": producer, "prefix": topic_prefix}
    await producer.stop()


async def publish(live: dict[str, Any], event: CloudEvent) -> None:
    topic = topic_for(event.type, live["prefix"])
    await live["producer"].send_and_wait(topic, value=event.value(), key=event.key, headers=event.headers())


async def count(live: dict[str, Any], model: type[Any], **where: Any) -> int:
    runtime = live["app"].state.runtime
    async with runtime.sessions() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int((await session.execute(query)).scalar_one())


async def read_emission_events(live: dict[str, Any], calculation_id: str, bootstrap: str) -> list[EmissionCalculated]:
    consumer = AIOKafkaConsumer(
        topic_for(EventType.EMISSION_CALCULATED, live["prefix"]),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"{live['prefix']}reader-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    found: list[EmissionCalculated] = []
    try:
        async with asyncio.timeout(60):
            while not found:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        event = CloudEvent.decode(record.headers, record.value)
                        assert isinstance(event.data, EmissionCalculated)
                        if str(event.data.calculation_id) == calculation_id:
                            found.append(event.data)
    finally:
        await consumer.stop()
    return found


async def test_activity_resolved_to_confirmed_calculation_pdf_and_event(
    live: dict[str, Any], kafka_bootstrap: str
) -> None:
    client: httpx.AsyncClient = live["client"]
    tokens: TestTokens = live["tokens"]
    enterprise_id = uuid.uuid4()
    headers = tokens.headers("enterprise", enterprise_id=enterprise_id)

    await publish(live, CloudEvent.of(enterprise_event(enterprise_id, name="安吉绿色水泥有限公司"), source="urn:test"))
    activity = CloudEvent.of(
        activity_event(
            enterprise_id,
            lines=[
                ActivityLine(source_code="fuel.bituminous_coal", item_name="烟煤", quantity="20000", unit="t"),
                ActivityLine(source_code="process.caco3", item_name="石灰石", quantity="300000", unit="t"),
                ActivityLine(source_code="electricity.purchased", item_name="外购电", quantity="45000000", unit="kWh"),
            ],
        ),
        source="urn:test",
    )
    await publish(live, activity)
    await publish(live, activity)  # a redelivery: applied once

    await wait_until(lambda: count(live, EnterpriseView, id=enterprise_id), what="enterprise view")
    consumers = live["app"].state.runtime.consumers
    await wait_until(
        lambda: _when(count(live, ResolvedActivity, enterprise_id=enterprise_id), lambda n: n >= 1),
        what="resolved activity stored",
    )
    await wait_until(lambda: _when(_value(lambda: consumers.skipped), lambda n: n >= 1), what="the redelivery skipped")
    assert await count(live, ResolvedActivity, enterprise_id=enterprise_id) == 1

    calc = await client.post(
        "/calculations",
        json={"sub_industry_code": "3011", "period": "2023", "added_value_10k_cny": "42000"},
        headers=headers,
    )
    assert calc.status_code == 201, calc.text
    cid = calc.json()["id"]
    attached = await client.post(f"/calculations/{cid}/resolved-activity", headers=headers)
    assert attached.status_code == 200, attached.text
    assert attached.json()["resolution"]["resolution_id"] == str(activity.data.resolution_id)  # type: ignore[attr-defined]
    line = {"source_code": "fuel.diesel", "quantity": "150", "unit": "t"}
    assert (await client.post(f"/calculations/{cid}/lines", json=line, headers=headers)).status_code == 201
    reductions = {"ccer_tco2": "2000", "green_certificates_mwh": "5000", "sinks_tco2": "30"}
    assert (await client.put(f"/calculations/{cid}/reductions", json=reductions, headers=headers)).status_code == 200
    evidence = await client.post(
        f"/calculations/{cid}/evidence",
        files={"file": ("ccer.pdf", b"%PDF-1.4\n%CCER\n%%EOF")},
        data={"kind": "ccer"},
        headers=headers,
    )
    assert evidence.status_code == 201
    computed = await client.post(f"/calculations/{cid}/compute", headers=headers)
    assert computed.status_code == 200, computed.text
    confirmed = await client.post(f"/calculations/{cid}/confirm", headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    summary = confirmed.json()["result"]["summary"]

    events = await read_emission_events(live, cid, kafka_bootstrap)
    assert len(events) == 1
    event = events[0]
    assert event.enterprise_id == enterprise_id
    assert event.total_emissions_tco2 == Decimal(summary["total_emissions_tco2"])
    assert event.net_emissions_tco2 == Decimal(summary["net_emissions_tco2"])
    assert event.intensity_tco2_per_10k_cny == Decimal(summary["intensity_tco2_per_10k_cny"])
    assert event.reductions.neutralisation_tco2 == Decimal(summary["reductions"]["neutralisation_tco2"])
    assert {k: str(v) for k, v in event.by_category.items()} == summary["by_category"]
    assert event.input_hash == confirmed.json()["input_hash"]
    assert event.region_code == "330502"
    assert event.industry_code == "3011"
    assert event.period == "2023"
    assert event.supersedes is None

    pdf = await client.get(f"/calculations/{cid}/report.pdf", headers=headers)
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert "安吉绿色水泥有限公司" in text
    assert summary["total_emissions_tco2"] in text
    for source in confirmed.json()["result"]["factor_sources"]:
        assert "".join(source["document"].split()) in text

    # Authorisation on the same data: another enterprise and a government user of another region are refused.
    other = tokens.headers("enterprise", enterprise_id=uuid.uuid4())
    assert (await client.get(f"/calculations/{cid}/report.pdf", headers=other)).status_code == 403
    elsewhere = tokens.headers("government", region="110000")
    assert (await client.get(f"/calculations/{cid}", headers=elsewhere)).status_code == 403
    regulator = tokens.headers("government", region="330000")
    assert (await client.get(f"/calculations/{cid}/report.pdf", headers=regulator)).status_code == 200


async def _when(awaitable: Awaitable[Any], predicate: Callable[[Any], bool]) -> Any:
    value = await awaitable
    return value if predicate(value) else None


async def _value(getter: Callable[[], Any]) -> Any:
    return getter()
