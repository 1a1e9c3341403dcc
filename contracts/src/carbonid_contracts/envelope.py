"""CloudEvents 1.0 in Kafka binary mode: attributes as ``ce_*`` headers, the payload JSON as the value.

Spec: CloudEvents 1.0.2 core and the Kafka protocol binding (binary content mode). The Kafka key is the
partition key, here the enterprise id, so that one enterprise's events keep their order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from carbonid_contracts.events import EVENT_MODELS, EventPayload
from carbonid_contracts.topics import EventType

CONTENT_TYPE = "application/json"
SPEC_VERSION = "1.0"


class EnvelopeError(ValueError):
    """A message that is not a well-formed CarbonID CloudEvent; it belongs in the dead-letter topic."""


class CloudEvent(BaseModel):
    """The envelope attributes of one event, and its payload."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    source: str
    type: EventType
    subject: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    data: EventPayload
    traceparent: str | None = None

    @classmethod
    def of(cls, data: EventPayload, *, source: str, traceparent: str | None = None) -> CloudEvent:
        """An event for a payload; subject and partition key are the payload's enterprise id."""
        return cls(
            source=source, type=data.event_type(), subject=data.partition_key(), data=data, traceparent=traceparent
        )

    @property
    def key(self) -> bytes:
        return self.subject.encode()

    def headers(self) -> list[tuple[str, bytes]]:
        headers = [
            ("ce_specversion", SPEC_VERSION.encode()),
            ("ce_id", str(self.id).encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.value.encode()),
            ("ce_subject", self.subject.encode()),
            ("ce_time", self.time.astimezone(UTC).isoformat().replace("+00:00", "Z").encode()),
            ("content-type", CONTENT_TYPE.encode()),
        ]
        if self.traceparent:
            headers.append(("traceparent", self.traceparent.encode()))
        return headers

    def value(self) -> bytes:
        return self.data.model_dump_json().encode()

    @classmethod
    def decode(cls, headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes], value: bytes | None) -> CloudEvent:
        """Parse a Kafka record in binary mode; raise EnvelopeError when it is not a valid CarbonID event."""
        items = headers.items() if isinstance(headers, Mapping) else headers
        attrs: dict[str, str] = {}
        for name, raw in items:
            try:
                attrs[name.lower()] = raw.decode() if isinstance(raw, bytes | bytearray) else str(raw)
            except UnicodeDecodeError as exc:
                raise EnvelopeError(f"header {name} is not UTF-8") from exc
        missing = [h for h in ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject") if h not in attrs]
        if missing:
            raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
        if attrs["ce_specversion"] != SPEC_VERSION:
            raise EnvelopeError(f"unsupported specversion {attrs['ce_specversion']}")
        try:
            event_type = EventType(attrs["ce_type"])
        except ValueError as exc:
            raise EnvelopeError(f"unknown event type {attrs['ce_type']}") from exc
        if value is None:
            raise EnvelopeError("empty payload")
        model = EVENT_MODELS[event_type]
        try:
            data = model.model_validate_json(value)
            return cls(
                id=uuid.UUID(attrs["ce_id"]),
                source=attrs["ce_source"],
                type=event_type,
                subject=attrs["ce_subject"],
                time=_parse_time(attrs.get("ce_time")),
                data=data,
                traceparent=attrs.get("traceparent"),
            )
        except ValueError as exc:  # pydantic.ValidationError is a ValueError
            raise EnvelopeError(f"invalid {event_type.short_name} payload: {exc}") from exc


def _parse_time(raw: str | None) -> datetime:
    if raw is None:
        return datetime.now(UTC)
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def header_dict(headers: Iterable[tuple[str, bytes]]) -> dict[str, Any]:
    """Headers as a dict of strings, for logs and dead-letter records."""
    return {k: (v.decode(errors="replace") if isinstance(v, bytes | bytearray) else v) for k, v in headers}
