"""aiokafka settings in one place: what the producer and the consumers of every service use."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer

from carbonid_kit.settings import ServiceSettings


def producer_options(settings: ServiceSettings) -> dict[str, Any]:
    """acks=all always; idempotence only where the broker supports it (Apache Kafka, not Tansu)."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "client_id": f"{settings.service_name}-relay",
        "acks": "all",
        "enable_idempotence": settings.idempotent_producer,
        "linger_ms": 5,
        "max_batch_size": 256 * 1024,
        "compression_type": "lz4",
        "request_timeout_ms": 15_000,
        "retry_backoff_ms": 200,
    }
    return options


def new_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(**producer_options(settings))
