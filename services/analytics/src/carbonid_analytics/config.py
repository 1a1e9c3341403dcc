"""Analytics settings (environment prefix ``CARBONID_``)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from carbonid_kit.settings import Environment, ServiceSettings


class AnalyticsSettings(ServiceSettings):
    service_name: str = "analytics"
    http_port: int = Field(default=8106, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/carbonid_analytics"

    # Benchmarks (DOMAIN §2 choice: at least 5 enterprises behind an industry average).
    benchmark_min_sample: int = Field(default=5, ge=1, description="minimum enterprises behind a benchmark entry")
    benchmark_intensity_places: int = Field(default=6, ge=0, le=12, description="decimal places of published L")

    # Dashboards
    ratio_places: int = Field(default=6, ge=2, le=12, description="decimal places of ratios (intensity, shares, rates)")
    ranking_max_limit: int = Field(default=100, ge=1, le=1000)

    # Regulator webhooks (Standard Webhooks)
    webhooks_enabled: bool = True
    webhook_max_attempts: int = Field(default=8, ge=1, le=50, description="attempts before a delivery is dead")
    webhook_backoff_base_seconds: float = Field(default=5.0, gt=0, description="first retry delay before jitter")
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_poll_seconds: float = Field(default=1.0, gt=0, description="how often the dispatcher looks for due work")
    webhook_batch: int = Field(default=50, ge=1, le=1000)
    webhook_lease_seconds: float = Field(default=60.0, gt=0, description="a claimed delivery is retried after this")
    webhook_concurrency: int = Field(default=50, ge=1, le=1000, description="attempts in flight per replica")
    webhook_per_receiver_concurrency: int = Field(
        default=4, ge=1, le=100, description="attempts in flight to one subscription, so a slow one holds only these"
    )
    webhook_max_response_bytes: int = Field(default=65536, ge=0, description="response body read, then dropped")
    webhook_max_subscriptions_per_account: int = Field(default=20, ge=1, le=1000)
    webhook_allow_private_hosts: bool | None = Field(
        default=None, description="loopback/private receivers; None: allowed in development and test only"
    )

    # Rebuilds: other replicas notice a new consumer generation within this interval.
    generation_poll_seconds: float = Field(default=5.0, gt=0)

    @property
    def allow_private_webhook_hosts(self) -> bool:
        if self.webhook_allow_private_hosts is not None:
            return self.webhook_allow_private_hosts
        return self.environment in (Environment.DEVELOPMENT, Environment.TEST)

    @model_validator(mode="after")
    def _lease_outlasts_attempt(self) -> Self:
        # A lease shorter than an attempt would let another replica send the same delivery while it is in flight.
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError("webhook_lease_seconds must exceed webhook_timeout_seconds")
        return self
