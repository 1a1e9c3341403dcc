"""The resolution cache of one replica: entries live as long as the values' TTL says (clamped to a floor
and a cap), "not found" answers for a short negative TTL, and an expired entry may still be served, marked
stale, for a while when the node is unavailable (stale-if-error)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class CacheEntry(Generic[T]):
    value: T | None
    """None for a negative entry."""
    stored_at: float
    fresh_until: float
    stale_until: float
    negative_code: int | None = None
    """The Handle responseCode of a negative entry (100 not found, 200 no values, 301 not homed)."""

    def is_fresh(self, now: float) -> bool:
        return now < self.fresh_until

    def may_serve_stale(self, now: float) -> bool:
        return self.value is not None and now < self.stale_until


@dataclass(frozen=True, slots=True)
class CachePolicy:
    ttl_floor_s: float = 30.0
    ttl_cap_s: float = 3600.0
    negative_ttl_s: float = 30.0
    stale_if_error_s: float = 86400.0
    default_ttl_s: float | None = None
    """TTL for values that carry none (SNMS); None means the cap."""

    def lifetime(self, ttl_s: float | None) -> float:
        """How long a positive answer stays fresh: its TTL clamped to [floor, cap]; 0 TTL is not cached."""
        if ttl_s is None:
            ttl_s = self.default_ttl_s if self.default_ttl_s is not None else self.ttl_cap_s
        if ttl_s <= 0:
            return 0.0
        return min(max(ttl_s, self.ttl_floor_s), self.ttl_cap_s)


class ResolutionCache(Generic[T]):
    """A bounded LRU map from key to entry; the clock is injected so that expiry is testable without waiting."""

    def __init__(self, policy: CachePolicy, clock: Clock, *, max_entries: int = 50_000) -> None:
        self.policy = policy
        self._clock = clock
        self._max = max_entries
        self._entries: OrderedDict[Hashable, CacheEntry[T]] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.stale_served = 0

    def __len__(self) -> int:
        return len(self._entries)

    def now(self) -> float:
        return self._clock()

    def lookup(self, key: Hashable) -> CacheEntry[T] | None:
        """The entry for ``key`` whether fresh or not (the caller decides); drops entries past all use."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self._clock()
        if not entry.is_fresh(now) and not entry.may_serve_stale(now):
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def fresh(self, key: Hashable) -> CacheEntry[T] | None:
        entry = self.lookup(key)
        if entry is not None and entry.is_fresh(self._clock()):
            self.hits += 1
            return entry
        self.misses += 1
        return None

    def put(self, key: Hashable, value: T, ttl_s: float | None) -> None:
        lifetime = self.policy.lifetime(ttl_s)
        if lifetime <= 0:
            self._entries.pop(key, None)
            return
        now = self._clock()
        fresh_until = now + lifetime
        self._store(key, CacheEntry(value, now, fresh_until, fresh_until + self.policy.stale_if_error_s))

    def put_negative(self, key: Hashable, code: int) -> None:
        if self.policy.negative_ttl_s <= 0:
            return
        now = self._clock()
        until = now + self.policy.negative_ttl_s
        self._store(key, CacheEntry(None, now, until, until, negative_code=code))

    def stale(self, key: Hashable) -> T | None:
        """A value past its freshness that may still be served, marked stale, because the node failed."""
        entry = self.lookup(key)
        if entry is None or not entry.may_serve_stale(self._clock()):
            return None
        self.stale_served += 1
        return entry.value

    def invalidate(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def _store(self, key: Hashable, entry: CacheEntry[T]) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
