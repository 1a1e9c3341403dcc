"""Retry schedule: exponential backoff with full jitter, Retry-After honoured up to the cap."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from carbonid_resolver.domain.retry import Deadline, RetryPolicy


@given(st.integers(min_value=1, max_value=20), st.floats(min_value=0, max_value=1, exclude_max=True))
def test_pause_within_the_exponential_ceiling(attempt: int, draw: float) -> None:
    policy = RetryPolicy(retries=5, base_s=0.2, max_s=2.0)
    pause = policy.pause(attempt, rng=lambda: draw)
    assert 0 <= pause <= min(2.0, 0.2 * 2 ** (attempt - 1))


def test_full_jitter_spans_zero_to_ceiling() -> None:
    policy = RetryPolicy(retries=2, base_s=0.2, max_s=2.0)
    assert policy.pause(2, rng=lambda: 0.0) == 0.0
    assert policy.pause(2, rng=lambda: 0.999) == 0.999 * 0.4


def test_retry_after_is_a_floor_but_capped() -> None:
    policy = RetryPolicy(retries=2, base_s=0.2, max_s=2.0)
    assert policy.pause(1, retry_after_s=1.0, rng=lambda: 0.0) == 1.0
    assert policy.pause(1, retry_after_s=120.0, rng=lambda: 0.0) == 2.0


def test_deadline_counts_down_on_its_clock() -> None:
    now = [10.0]
    deadline = Deadline(8.0, lambda: now[0])
    assert deadline.remaining() == 8.0
    now[0] = 17.5
    assert deadline.remaining() == 0.5
    now[0] = 19.0
    assert deadline.remaining() == 0.0
    assert deadline.expired
