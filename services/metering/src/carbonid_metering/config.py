"""Metering settings (environment prefix ``CARBONID_``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from carbonid_kit.settings import ServiceSettings


class MeteringSettings(ServiceSettings):
    service_name: str = "metering"
    http_port: int = Field(default=8108, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/carbonid_metering"
    kafka_consumer_batch: int = Field(default=2000, ge=1, le=10_000, description="meter.reading events per batch")

    resolver_url: str = Field(default="http://127.0.0.1:8102", description="resolver's internal handle endpoint")
    resolver_timeout_seconds: float = Field(default=10.0, gt=0)

    # HTTP batch ingest
    max_readings_per_call: int = Field(default=50_000, ge=1, le=500_000)
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)

    # Data-quality rules (domain/quality.py)
    future_skew_seconds: int = Field(default=300, ge=0, description="readings stamped further ahead are refused")
    spike_tolerance: Decimal = Field(default=Decimal("1.2"), gt=0, description="× the rated maximum of the interval")
    rollover_band: Decimal = Field(
        default=Decimal("0.1"), gt=0, lt=1, description="a drop from within this share of registerMax is a rollover"
    )
    day_time_zone: str = Field(default="Asia/Shanghai", description="days of the aggregates (China Standard Time)")

    # activity.metered: days changed by ingest are published at most this often per enterprise and day
    publish_interval_seconds: float = Field(default=2.0, gt=0)
    publish_batch: int = Field(default=500, ge=1, le=10_000)
