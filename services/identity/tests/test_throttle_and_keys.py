"""Throttle state machine and sealed signing keys (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from carbonid_identity.domain.throttle import ThrottlePolicy, after_failure, lock_remaining
from carbonid_identity.keys import KeyUnsealError, seal_private_key, unseal_private_key

POLICY = ThrottlePolicy(max_failures=5, window=timedelta(minutes=15), lockout=timedelta(minutes=15))
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_fifth_failure_in_the_window_locks_for_the_lockout() -> None:
    state = None
    for i in range(4):
        state = after_failure(state, T0 + timedelta(minutes=i), POLICY)
        assert lock_remaining(state, T0 + timedelta(minutes=i)) is None
    state = after_failure(state, T0 + timedelta(minutes=4), POLICY)
    assert lock_remaining(state, T0 + timedelta(minutes=4)) == timedelta(minutes=15)
    assert lock_remaining(state, T0 + timedelta(minutes=19)) is None


def test_failures_outside_the_window_do_not_add_up() -> None:
    state = None
    for i in range(4):
        state = after_failure(state, T0 + timedelta(minutes=i), POLICY)
    state = after_failure(state, T0 + timedelta(minutes=20), POLICY)  # window ran out: counts as the first
    assert state.failures == 1
    assert lock_remaining(state, T0 + timedelta(minutes=20)) is None


def test_sealed_key_opens_only_with_its_secret_and_kid() -> None:
    key = Ed25519PrivateKey.generate()
    sealed = seal_private_key(key, "kid1", b"secret-one")
    opened = unseal_private_key(sealed, "kid1", b"secret-one")
    raw = opened.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert raw == key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert key.private_bytes_raw() not in sealed
    with pytest.raises(KeyUnsealError):
        unseal_private_key(sealed, "kid1", b"secret-two")
    with pytest.raises(KeyUnsealError):
        unseal_private_key(sealed, "kid2", b"secret-one")  # moved to another row
