"""A running evaluation service against the real PostgreSQL and broker, with helpers to feed it events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI

from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import (
    BenchmarkEntry,
    BenchmarkPublished,
    EmissionCalculated,
    EnterpriseResolved,
    EvaluationCompleted,
    EventPayload,
    Reductions,
)
from carbonid_contracts.topics import EventType, topic_for
from carbonid_evaluation.config import EvaluationSettings
from carbonid_evaluation.db import MIGRATIONS
from carbonid_evaluation.main import create_app
from carbonid_kit.migrations import upgrade_async
from carbonid_kit.testing import wait_until
from carbonid_kit.testing_tokens import TestTokens

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

ALL_NO = {
    "energy_management_system": {"value": "no"},
    "energy_metering": {"value": "none"},
    "energy_online_monitoring": {"value": "no"},
    "renewable_energy_use": {"value": "no"},
    "energy_audit": {"value": "no"},
    "carbon_management_staff": {"value": "no"},
    "carbon_reduction_targets": {"value": "none"},
    "green_factory": {"value": "none"},
    "ghg_verification": {"value": "no"},
}


def calculation(
    enterprise_id: uuid.UUID,
    *,
    period: str = "2023Q3",
    gross: str = "10000",
    added_value: str = "5000",
    industry: str = "3011",
    region: str = "330502",
    supersedes: uuid.UUID | None = None,
    confirmed_at: datetime | None = None,
    ccer: str = "200",
    green: str = "500",
    own: str = "1000",
    sinks: str = "100",
) -> EmissionCalculated:
    return EmissionCalculated(
        enterprise_id=enterprise_id,
        calculation_id=uuid.uuid4(),
        supersedes=supersedes,
        identifier_prefix="88.118.8",
        region_code=region,
        industry_code=industry,
        period=period,
        added_value_10k_cny=Decimal(added_value),
        total_emissions_tco2=Decimal(gross),
        net_emissions_tco2=Decimal(gross),
        # L as the calculator states it (DOMAIN §2; all combustion here, no process CO2), with the 2023
        # national grid factor the evaluation also assumes: (gross − own renewable × 0.5306 − sinks) ÷ added value
        intensity_tco2_per_10k_cny=(Decimal(gross) - Decimal(own) * Decimal("0.5306") - Decimal(sinks))
        / Decimal(added_value),
        energy_tce=Decimal("4000"),
        by_scope={"scope1": Decimal(gross)},
        by_category={"combustion": Decimal(gross)},
        by_carrier=[],
        reductions=Reductions(
            ccer_tco2=Decimal(ccer),
            green_certificates_mwh=Decimal(green),
            own_renewable_mwh=Decimal(own),
            sinks_tco2=Decimal(sinks),
            neutralisation_tco2=Decimal("0"),
        ),
        factor_set_version="ndrc-2015/v1",
        input_hash="a" * 64,
        confirmed_at=confirmed_at or datetime.now(UTC),
    )


def benchmark_set(
    *,
    version: str = "bm-2023.1",
    industry: str = "3011",
    scope: str = "330000",
    intensity: str = "1.5",
    year: int = 2023,
) -> BenchmarkPublished:
    return BenchmarkPublished(
        benchmark_set_id=uuid.uuid4(),
        version=version,
        region_scope=scope,
        published_by="浙江省经信厅",
        entries=[
            BenchmarkEntry(
                industry_code=industry,
                region_scope=scope,
                year=year,
                intensity_tco2_per_10k_cny=Decimal(intensity),
                sample_size=12,
                total_emissions_tco2=Decimal("180000"),
                total_added_value_10k_cny=Decimal("120000"),
            )
        ],
        published_at=datetime.now(UTC),
    )


def resolved(enterprise_id: uuid.UUID, name: str = "湖州示例建材有限公司") -> EnterpriseResolved:
    return EnterpriseResolved(
        enterprise_id=enterprise_id,
        identifier_prefix="88.118.8",
        name=name,
        uscc="91330500MA2B3C4D1Y",
        region_code="330502",
        province_code="330000",
        city_code="330500",
        county_code="330502",
        industry_code="3011",
        resolved_at=datetime.now(UTC),
    )


class Harness:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, settings: EvaluationSettings) -> None:
        self.app = app
        self.client = client
        self.settings = settings
        self.tokens = TestTokens()
        app.state.jwks.load_jwks(self.tokens.jwks)
        self._producer: AIOKafkaProducer | None = None

    @property
    def consumers(self) -> Any:
        return self.app.state.runtime.consumers

    def enterprise(self, enterprise_id: uuid.UUID) -> dict[str, str]:
        return self.tokens.headers("enterprise", enterprise_id=enterprise_id)

    def government(self, region: str = "330000") -> dict[str, str]:
        return self.tokens.headers("government", region=region)

    def operator(self) -> dict[str, str]:
        return self.tokens.headers("operator", username="operator01")

    async def publish(self, payload: EventPayload, *, event: CloudEvent | None = None) -> CloudEvent:
        if self._producer is None:
            self._producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap)
            await self._producer.start()
        event = event or CloudEvent.of(payload, source="urn:carbonid:test:330000")
        await self._producer.send_and_wait(
            topic_for(event.type, self.settings.topic_prefix),
            value=event.value(),
            key=event.key,
            headers=event.headers(),
        )
        return event

    async def wait_for_period(self, enterprise_id: uuid.UUID, calculation_id: uuid.UUID) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            response = await self.client.get("/periods", headers=self.enterprise(enterprise_id))
            body: dict[str, Any] = response.json()
            ids = {p["calculation_id"] for p in body["periods"]}
            return body if str(calculation_id) in ids else None

        return await wait_until(probe, what="the calculation in the evaluation's view")

    async def wait_for_benchmark(self, version: str) -> None:
        from sqlalchemy import select

        from carbonid_evaluation.db import BenchmarkSet

        async def probe() -> bool:
            async with self.app.state.runtime.sessions() as session:
                found = await session.execute(select(BenchmarkSet).where(BenchmarkSet.version == version))
                return found.first() is not None

        await wait_until(probe, what=f"benchmark set {version}")

    async def completed_events(self, want: set[uuid.UUID]) -> dict[uuid.UUID, EvaluationCompleted]:
        """Read evaluation.completed from the topic until every wanted evaluation id is there."""
        consumer = AIOKafkaConsumer(
            topic_for(EventType.EVALUATION_COMPLETED, self.settings.topic_prefix),
            bootstrap_servers=self.settings.kafka_bootstrap,
            auto_offset_reset="earliest",
            group_id=f"{self.settings.topic_prefix}reader-{uuid.uuid4().hex[:6]}",
        )
        await consumer.start()
        found: dict[uuid.UUID, EvaluationCompleted] = {}
        try:

            async def probe() -> bool:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        event = CloudEvent.decode(list(record.headers), record.value)
                        assert isinstance(event.data, EvaluationCompleted)
                        found[event.data.evaluation_id] = event.data
                return want <= set(found)

            await wait_until(probe, what="evaluation.completed on the topic")
        finally:
            await consumer.stop()
        return found

    async def aclose(self) -> None:
        if self._producer is not None:
            await self._producer.stop()


@asynccontextmanager
async def running_service(database_url: str, bootstrap: str, prefix: str, **overrides: Any) -> AsyncIterator[Harness]:
    await upgrade_async(MIGRATIONS, database_url)
    settings = EvaluationSettings(
        database_url=database_url,
        kafka_bootstrap=bootstrap,
        topic_prefix=prefix,
        kafka_session_timeout_ms=6000,
        outbox_poll_seconds=0.5,
        environment="test",
        log_json=False,
        **overrides,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://evaluation") as client,
    ):
        harness = Harness(app, client, settings)
        try:
            yield harness
        finally:
            await harness.aclose()
