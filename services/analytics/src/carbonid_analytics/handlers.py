"""The consumer of analytics: the four projected event types go, a batch at a time, to ``batch.apply_new``.

The kit's consumer claims each batch's events in the inbox and passes the new ones, in partition/offset order,
to one call in one transaction (``EventConsumers.subscribe_batch``); a batch that fails for a reason other
than the infrastructure is applied again one event at a time, so only the event at fault is dead-lettered.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_analytics.batch import apply_new
from carbonid_analytics.config import AnalyticsSettings
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.topics import EventType
from carbonid_kit.messaging.consumer import EventConsumers

PROJECTED_EVENT_TYPES: tuple[EventType, ...] = (
    EventType.ENTERPRISE_RESOLVED,
    EventType.EMISSION_CALCULATED,
    EventType.EVALUATION_COMPLETED,
    EventType.CERTIFICATE_ISSUED,
)

PUBLIC_EVENT_TYPES: tuple[EventType, ...] = (
    EventType.EVALUATION_COMPLETED,
    EventType.CERTIFICATE_ISSUED,
    EventType.BENCHMARK_PUBLISHED,
)
"""Events a regulator may subscribe to (webhooks). Emission calculations stay private to the platform."""


class ProjectionHandlers:
    """The consumer of analytics; the settings decide how webhook deliveries are queued."""

    def __init__(self, settings: AnalyticsSettings) -> None:
        self.settings = settings

    def register(self, consumers: EventConsumers) -> None:
        consumers.subscribe_batch(PROJECTED_EVENT_TYPES, self.apply)

    async def apply(self, session: AsyncSession, events: list[CloudEvent]) -> None:
        """Apply the new events of a batch (already claimed in the inbox) inside the consumer's transaction."""
        await apply_new(session, events, dead_after=self.settings.webhook_max_attempts)
