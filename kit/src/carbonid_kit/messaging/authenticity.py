"""Who published an event: each producer signs its events (Ed25519), consumers accept an event only from its
topic's owner, signed by that owner's key, and not dated in the future.

Anyone who can reach the broker can write a record; a signature on a certificate means nothing if a forged
``evaluation.completed`` can ask for it. So:
- the outbox adds the CloudEvents extension attribute ``carbonidsig`` (Kafka header ``ce_carbonidsig``): the
  producer's Ed25519 signature over the envelope attributes and the SHA-256 of the payload;
- a consumer checks that ``source`` names the service owning the event type (``EVENT_PRODUCERS`` in the
  contracts), verifies the signature with that service's public key (``CARBONID_EVENT_PRODUCER_KEYS``), and
  refuses an event whose time, or any time in its payload, lies further ahead than ``event_max_future_seconds``
  (a far-future ``resolved_at`` would otherwise make a forged profile win every later comparison).
A refused record goes to the dead-letter topic with the reason. Keys: ``CARBONID_EVENT_SIGNING_SECRET`` (one
per service; the private key is derived from it and the service name) and the producers' public keys. In
development every service derives its key from the development default, so the embedded stack needs no setup;
outside development that default is refused, and ``carbonid-event-keys`` prints a deployment's keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import BaseModel

from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.topics import EVENT_PRODUCERS, producer_of

SIGNATURE_HEADER = "ce_carbonidsig"
SIGNED_HEADERS = ("ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "traceparent")


class EventRefusedError(Exception):
    """The record is not an authentic event of its topic's owner; ``reason`` is the dead-letter reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def signing_key(secret: str, service_name: str) -> Ed25519PrivateKey:
    """A service's private key: derived from its signing secret and its name (distinct per service)."""
    seed = hashlib.sha256(f"carbonid-event-signing:{service_name}:{secret}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signed_bytes(headers: Mapping[str, bytes], payload: bytes) -> bytes:
    """What the signature covers: the envelope attributes as sent, then the payload's SHA-256."""
    parts = [name.encode() + b"=" + headers.get(name, b"") for name in SIGNED_HEADERS]
    return b"\n".join([*parts, hashlib.sha256(payload).hexdigest().encode()])


def source_service(source: str) -> str | None:
    """``resolver`` for ``urn:carbonid:resolver:330000``; None for a source of another shape."""
    parts = source.split(":")
    if len(parts) != 4 or parts[0] != "urn" or parts[1] != "carbonid":
        return None
    return parts[2]


class EventSigner:
    """Signs the events a service puts into its outbox."""

    def __init__(self, secret: str, service_name: str) -> None:
        self.key = signing_key(secret, service_name)

    def signature(self, headers: Iterable[tuple[str, bytes]], payload: bytes) -> bytes:
        sig = self.key.sign(signed_bytes(dict(headers), payload))
        return base64.urlsafe_b64encode(sig).rstrip(b"=")

    def headers(self, event: CloudEvent) -> list[tuple[str, bytes]]:
        """The event's Kafka headers with its signature."""
        headers = event.headers()
        return [*headers, (SIGNATURE_HEADER, self.signature(headers, event.value()))]


class EventVerifier:
    """Checks that a consumed event comes from its topic's owner and is not dated in the future."""

    def __init__(
        self,
        producer_keys: Mapping[str, str],
        *,
        required: bool,
        max_future: timedelta,
    ) -> None:
        self.keys: dict[str, Ed25519PublicKey] = {
            service: Ed25519PublicKey.from_public_bytes(_b64decode(text)) for service, text in producer_keys.items()
        }
        self.required = required
        self.max_future = max_future

    def check(self, event: CloudEvent, headers: Mapping[str, bytes], payload: bytes, *, now: datetime) -> None:
        """Raise ``EventRefusedError`` unless the event may be applied."""
        if self.required:
            owner = producer_of(event.type)
            if owner is None:
                raise EventRefusedError("unknown-producer", f"no service is declared to publish {event.type.value}")
            if source_service(event.source) != owner:
                raise EventRefusedError(
                    "wrong-producer", f"{event.type.short_name} comes from {owner}, not {event.source}"
                )
            key = self.keys.get(owner)
            if key is None:
                raise EventRefusedError("unknown-producer", f"no public key of {owner} is configured")
            raw = headers.get(SIGNATURE_HEADER)
            if raw is None:
                raise EventRefusedError("unsigned", f"{event.type.short_name} from {event.source} carries no signature")
            try:
                key.verify(_b64decode(raw.decode()), signed_bytes(headers, payload))
            except (InvalidSignature, ValueError, UnicodeDecodeError) as exc:
                raise EventRefusedError("bad-signature", f"the signature is not {owner}'s") from exc
        latest = now + self.max_future
        for name, value in _times(event):
            if value > latest:
                raise EventRefusedError("future-time", f"{name} {value.isoformat()} lies in the future")


def _times(event: CloudEvent) -> Iterable[tuple[str, datetime]]:
    """The envelope's time and every time in the payload (nested models and lists included)."""
    yield "time", event.time
    yield from _model_times(event.data, "data")


def _model_times(model: BaseModel, path: str) -> Iterable[tuple[str, datetime]]:
    for name in type(model).model_fields:
        yield from _value_times(getattr(model, name), f"{path}.{name}")


def _value_times(value: Any, path: str) -> Iterable[tuple[str, datetime]]:
    if isinstance(value, datetime):
        yield path, value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, BaseModel):
        yield from _model_times(value, path)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _value_times(item, f"{path}[{i}]")


def development_producer_keys(secret: str) -> dict[str, str]:
    """Every owner's public key when each derives its key from the same (development) secret."""
    return {service: public_key_text(signing_key(secret, service)) for service in sorted(set(EVENT_PRODUCERS.values()))}


def main(argv: list[str] | None = None) -> None:
    """``carbonid-event-keys``: a fresh signing secret per producing service, and the producers' public keys."""
    services = (argv if argv is not None else sys.argv[1:]) or sorted(set(EVENT_PRODUCERS.values()))
    out: dict[str, Any] = {"signing_secrets": {}, "producer_keys": {}}
    for service in services:
        secret = secrets.token_urlsafe(32)
        out["signing_secrets"][service] = secret
        out["producer_keys"][service] = public_key_text(signing_key(secret, service))
    print(json.dumps(out, indent=2))  # noqa: T201 - the command's output
