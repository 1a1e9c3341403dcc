"""What crosses a wire between CarbonID services: event payloads, topics, the CloudEvents envelope, code types."""

from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import (
    EVENT_MODELS,
    ActivityResolved,
    BenchmarkPublished,
    CertificateIssued,
    EmissionCalculated,
    EnterpriseResolved,
    EvaluationCompleted,
    EventPayload,
)
from carbonid_contracts.topics import EventType, topic_for

__all__ = [
    "EVENT_MODELS",
    "ActivityResolved",
    "BenchmarkPublished",
    "CertificateIssued",
    "CloudEvent",
    "EmissionCalculated",
    "EnterpriseResolved",
    "EvaluationCompleted",
    "EventPayload",
    "EventType",
    "topic_for",
]
