from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonid_analytics.domain.signing import InvalidSignatureError, backoff_seconds, new_secret, sign, verify


def test_signature_matches_the_standard_webhooks_definition() -> None:
    # Test vector of the Standard Webhooks reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected
    verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, f"v1,bad {expected}", now=1614265330)


def test_verify_rejects_tampering_and_old_timestamps() -> None:
    secret = new_secret()
    header = sign(secret, "m1", 1000, b"{}")
    with pytest.raises(InvalidSignatureError):
        verify(secret, "m1", 1000, b"{ }", header, now=1000)
    with pytest.raises(InvalidSignatureError):
        verify(secret, "m1", 1000, b"{}", header, now=2000)
    with pytest.raises(InvalidSignatureError):
        verify(new_secret(), "m1", 1000, b"{}", header, now=1000)


def test_secret_format() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    assert len(key) == 32
    digest = hmac.new(key, b"i.1.x", hashlib.sha256).digest()
    assert sign(secret, "i", 1, b"x") == "v1," + base64.b64encode(digest).decode()


@given(st.integers(1, 30), st.floats(0, 0.999))
def test_backoff_grows_and_stays_within_bounds(attempt: int, jitter: float) -> None:
    delay = backoff_seconds(attempt, base=2.0, cap=600.0, jitter=jitter)
    ceiling = min(600.0, 2.0 * 2 ** (attempt - 1))
    assert ceiling / 2 <= delay <= ceiling
