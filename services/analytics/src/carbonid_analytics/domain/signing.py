"""Standard Webhooks signatures (standardwebhooks.com, v1 symmetric): HMAC-SHA256 over ``{id}.{timestamp}.{body}``.

The secret is ``whsec_`` followed by base64 of 24–64 random bytes; the key is the decoded bytes. A delivery
carries ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature: v1,<base64 signature>``
(space-separated when several secrets are in rotation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks secret prefix, not a secret


class InvalidSignatureError(ValueError):
    pass


def new_secret(size: int = 32) -> str:
    """A fresh signing secret in the Standard Webhooks format."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(size)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one message."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secret: str, message_id: str, timestamp: int, body: bytes, header: str, *, now: int, tolerance: int = 300
) -> None:
    """What a receiver does: check the timestamp is recent and one ``v1`` signature matches; raise otherwise."""
    if abs(now - timestamp) > tolerance:
        raise InvalidSignatureError("timestamp outside the tolerance")
    expected = sign(secret, message_id, timestamp, body).encode()
    for candidate in header.split(" "):
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected):
            return
    raise InvalidSignatureError("no matching signature")


def backoff_seconds(attempt: int, *, base: float, cap: float, jitter: float) -> float:
    """Delay before the retry that follows failed attempt number ``attempt`` (1-based).

    Exponential (base · 2^(attempt−1), capped) with "equal jitter": half fixed, half random, ``jitter`` ∈ [0, 1).
    """
    ceiling = min(cap, base * float(2 ** max(0, attempt - 1)))
    return ceiling / 2 + ceiling / 2 * jitter
