"""Login throttling: failures counted in a fixed window; reaching the limit locks for a while."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta
    lockout: timedelta


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    window_started_at: datetime
    locked_until: datetime | None = None


def lock_remaining(state: ThrottleState | None, now: datetime) -> timedelta | None:
    """How long the subject stays locked, or None when it may try now."""
    if state is None or state.locked_until is None or state.locked_until <= now:
        return None
    return state.locked_until - now


def after_failure(state: ThrottleState | None, now: datetime, policy: ThrottlePolicy) -> ThrottleState:
    """The state after one more failed attempt at ``now``.

    A window that has run out starts again; the attempt that reaches ``max_failures`` locks the subject for
    ``policy.lockout`` and starts a fresh window, so that the next lock needs as many failures again.
    """
    if state is None or now - state.window_started_at >= policy.window:
        state = ThrottleState(failures=0, window_started_at=now)
    failures = state.failures + 1
    if failures >= policy.max_failures:
        return ThrottleState(failures=0, window_started_at=now, locked_until=now + policy.lockout)
    return ThrottleState(failures=failures, window_started_at=state.window_started_at, locked_until=state.locked_until)
