"""Retry schedule for transient node failures: exponential backoff with full jitter, within a deadline."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    retries: int = 2
    base_s: float = 0.2
    max_s: float = 2.0

    def pause(
        self, attempt: int, *, retry_after_s: float | None = None, rng: Callable[[], float] = random.random
    ) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based).

        Full jitter: uniform in [0, min(max, base·2^(attempt-1))]; a node's ``Retry-After`` is honoured as
        a floor, but never beyond ``max_s`` (the deadline decides whether there is time for it at all).
        """
        ceiling = min(self.max_s, self.base_s * 2.0 ** (attempt - 1))
        pause = float(rng()) * ceiling
        if retry_after_s is not None:
            pause = max(pause, min(retry_after_s, self.max_s))
        return pause


class Deadline:
    """One overall time budget per resolution, shared by every request and pause inside it."""

    def __init__(self, seconds: float, clock: Clock) -> None:
        self._clock = clock
        self.seconds = seconds
        self.expires_at = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self.expires_at - self._clock())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0
