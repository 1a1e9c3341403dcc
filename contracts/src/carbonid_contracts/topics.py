"""Event types and the Kafka topic each travels on (one topic per event type, keyed by enterprise id)."""

from enum import StrEnum


class EventType(StrEnum):
    """CloudEvents ``type`` of every CarbonID event; the trailing ``.v1`` is the contract version."""

    ENTERPRISE_RESOLVED = "cn.carbonid.enterprise.resolved.v1"
    ACTIVITY_RESOLVED = "cn.carbonid.activity.resolved.v1"
    EMISSION_CALCULATED = "cn.carbonid.emission.calculated.v1"
    EVALUATION_COMPLETED = "cn.carbonid.evaluation.completed.v1"
    CERTIFICATE_ISSUED = "cn.carbonid.certificate.issued.v1"
    BENCHMARK_PUBLISHED = "cn.carbonid.benchmark.published.v1"
    METER_READING = "cn.carbonid.meter.reading.v1"
    ACTIVITY_METERED = "cn.carbonid.activity.metered.v1"

    @property
    def short_name(self) -> str:
        """``emission.calculated.v1`` for ``cn.carbonid.emission.calculated.v1``."""
        return self.value.removeprefix("cn.carbonid.")


EVENT_PRODUCERS: dict[EventType, str] = {
    EventType.ENTERPRISE_RESOLVED: "resolver",
    EventType.ACTIVITY_RESOLVED: "resolver",
    EventType.EMISSION_CALCULATED: "calculator",
    EventType.EVALUATION_COMPLETED: "evaluation",
    EventType.CERTIFICATE_ISSUED: "certificates",
    EventType.BENCHMARK_PUBLISHED: "analytics",
    # Meters' collection gateways write straight into the topic; they sign with the key of the deployment's
    # collection-gateway secret (``carbonid-event-keys collection-gateway``) and name it in ``source``
    # (``urn:carbonid:collection-gateway:<gateway>``). Which devices a gateway may report is metering's check.
    EventType.METER_READING: "collection-gateway",
    EventType.ACTIVITY_METERED: "metering",
}
"""The one service that may publish each event type (its topic's owner); consumers refuse any other source."""


def producer_of(event_type: EventType) -> str | None:
    """The service owning the event type's topic, None for a type nobody was declared to own."""
    return EVENT_PRODUCERS.get(event_type)


def topic_for(event_type: EventType, prefix: str = "carbonid.") -> str:
    """The topic of an event type under a deployment's topic prefix, e.g. ``carbonid.emission.calculated.v1``."""
    return f"{prefix}{event_type.short_name}"


def dead_letter_topic(consumer_group: str, prefix: str = "carbonid.") -> str:
    """Where a consumer group puts the messages it cannot process, with the reason in the headers."""
    return f"{prefix}dlq.{consumer_group}"
