"""Projection lag metrics (in the kit's registry, served on ``/metrics``).

The kit's ``carbonid_consumer_event_age_seconds`` histogram records the age of every applied event; these
gauges say, per projection, when the newest applied event happened and how old it was when applied.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import Counter, Gauge

from carbonid_kit.metrics import REGISTRY

PROJECTION_LAST_EVENT_TIME = Gauge(
    "carbonid_analytics_projection_last_event_timestamp_seconds",
    "Time (CloudEvents time, Unix seconds) of the newest event applied to the projection",
    ["projection"],
    registry=REGISTRY,
)
PROJECTION_LAG_SECONDS = Gauge(
    "carbonid_analytics_projection_lag_seconds",
    "Age of the last event applied to the projection, when it was applied",
    ["projection"],
    registry=REGISTRY,
)
WEBHOOK_ATTEMPTS = Counter(
    "carbonid_analytics_webhook_attempts_total", "Webhook delivery attempts", ["outcome"], registry=REGISTRY
)


def observe_applied(projection: str, event_time: datetime) -> None:
    now = datetime.now(UTC)
    seconds = event_time.timestamp()
    gauge = PROJECTION_LAST_EVENT_TIME.labels(projection)
    # A replay or an out-of-order event must not move the "newest event" backwards.
    gauge.set(max(seconds, gauge._value.get()))
    PROJECTION_LAG_SECONDS.labels(projection).set(max(0.0, (now - event_time).total_seconds()))
