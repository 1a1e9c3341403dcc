"""Resolution cache: TTL from the values (clamped), negative entries, stale-if-error, LRU bound."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from carbonid_resolver.domain.cache import CachePolicy, ResolutionCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


POLICY = CachePolicy(ttl_floor_s=30, ttl_cap_s=3600, negative_ttl_s=20, stale_if_error_s=600)


def test_entry_lives_as_long_as_its_ttl_then_expires() -> None:
    clock = Clock()
    cache: ResolutionCache[str] = ResolutionCache(POLICY, clock)
    cache.put("k", "v", 120)
    clock.now = 119.9
    entry = cache.fresh("k")
    assert entry is not None
    assert entry.value == "v"
    clock.now = 120
    assert cache.fresh("k") is None
    assert cache.hits == 1
    assert cache.misses == 1


def test_ttl_is_capped_and_floored() -> None:
    clock = Clock()
    cache: ResolutionCache[str] = ResolutionCache(POLICY, clock)
    cache.put("long", "v", 86400)
    cache.put("short", "v", 1)
    clock.now = 29
    assert cache.fresh("short") is not None
    clock.now = 3599
    assert cache.fresh("long") is not None
    assert cache.fresh("short") is None
    clock.now = 3600
    assert cache.fresh("long") is None


def test_zero_ttl_is_not_cached() -> None:
    cache: ResolutionCache[str] = ResolutionCache(POLICY, Clock())
    cache.put("k", "v", 0)
    assert len(cache) == 0


def test_negative_entry_is_short_and_never_served_stale() -> None:
    clock = Clock()
    cache: ResolutionCache[str] = ResolutionCache(POLICY, clock)
    cache.put_negative("k", 100)
    entry = cache.fresh("k")
    assert entry is not None
    assert entry.value is None
    assert entry.negative_code == 100
    clock.now = 20
    assert cache.fresh("k") is None
    assert cache.stale("k") is None


def test_expired_value_is_served_stale_only_within_the_window() -> None:
    clock = Clock()
    cache: ResolutionCache[str] = ResolutionCache(POLICY, clock)
    cache.put("k", "v", 60)
    clock.now = 61
    assert cache.fresh("k") is None
    assert cache.stale("k") == "v"
    assert cache.stale_served == 1
    clock.now = 60 + 600
    assert cache.stale("k") is None
    assert len(cache) == 0


def test_least_recently_used_entry_goes_first() -> None:
    cache: ResolutionCache[str] = ResolutionCache(POLICY, Clock(), max_entries=2)
    cache.put("a", "1", 60)
    cache.put("b", "2", 60)
    assert cache.fresh("a") is not None
    cache.put("c", "3", 60)
    assert cache.fresh("b") is None
    assert cache.fresh("a") is not None
    assert cache.fresh("c") is not None


@given(st.floats(min_value=0.001, max_value=1e7, allow_nan=False))
def test_lifetime_always_within_floor_and_cap(ttl: float) -> None:
    assert POLICY.ttl_floor_s <= POLICY.lifetime(ttl) <= POLICY.ttl_cap_s


def test_missing_ttl_uses_the_cap() -> None:
    assert POLICY.lifetime(None) == 3600
