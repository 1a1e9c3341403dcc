"""Helpers of the certificates service tests: evaluation payloads, a movable clock, the running service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from carbonid_certificates.config import CertificatesSettings
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import EvaluationCompleted, EventPayload
from carbonid_contracts.topics import topic_for
from carbonid_kit.testing_tokens import TestTokens

GRADE_COLOURS = {1: "#1A7F37", 2: "#57AB5A", 3: "#D4A72C", 4: "#E16F24", 5: "#CF222E"}
PUBLIC_BASE = "https://carbonid.example.cn"
PREFIX = "88.118.8.carbonid"


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def evaluation(**overrides: Any) -> EvaluationCompleted:
    grade = overrides.get("grade", 3)
    fields: dict[str, Any] = {
        "enterprise_id": uuid.uuid4(),
        "evaluation_id": uuid.uuid4(),
        "calculation_id": uuid.uuid4(),
        "enterprise_name": "湖州绿能纺织有限公司",
        "region_code": "330502",
        "industry_code": "1713",
        "period": "2025Q3",
        "total_emissions_tco2": "10000.0000",
        "net_emissions_tco2": "8895.1000",
        "intensity_tco2_per_10k_cny": "1.8727",
        "level": "medium",
        "benchmark_intensity_tco2_per_10k_cny": "1.7",
        "efficiency_value_k": "1.1016",
        "grade": grade,
        "grade_colour": GRADE_COLOURS[grade],
        "neutralisation_rate": "0.1104",
        "rule_set_version": "zhejiang-2022/v1",
        "benchmark_version": "bm-2025.1",
        "input_hash": "ab" * 32,
        "completed_at": datetime(2025, 10, 15, 1, 0, tzinfo=UTC),
    }
    fields.update(overrides)
    return EvaluationCompleted(**fields)


@dataclass
class Service:
    app: FastAPI
    client: httpx.AsyncClient
    settings: CertificatesSettings
    tokens: TestTokens
    clock: MovableClock
    bootstrap: str

    async def publish(self, *payloads: EventPayload, events: list[CloudEvent] | None = None) -> list[CloudEvent]:
        """Publish payloads (and ready-made events, e.g. a redelivery) as another service would."""
        out = [CloudEvent.of(p, source="urn:carbonid:evaluation:test") for p in payloads] + list(events or [])
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap)
        await producer.start()
        try:
            for event in out:
                topic = topic_for(event.type, self.settings.topic_prefix)
                await producer.send_and_wait(topic, value=event.value(), key=event.key, headers=event.headers())
        finally:
            await producer.stop()
        return out

    def operator(self) -> dict[str, str]:
        return self.tokens.headers("operator")
