"""Resilient access to identifier nodes: routing by prefix, one deadline per resolution, retries with
backoff and jitter for transient failures only, a circuit breaker per node, and the resolution cache with
negative entries and stale-if-error."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from prometheus_client import Counter, Histogram

from carbonid_resolver.adapters.base import NodeAdapter, TemplateDocument
from carbonid_resolver.adapters.handle_rest import HandleRestAdapter
from carbonid_resolver.adapters.snms import SnmsAdapter
from carbonid_resolver.config import NodeRoute, ResolverSettings
from carbonid_resolver.domain.breaker import BreakerState, CircuitBreaker, Clock
from carbonid_resolver.domain.cache import CachePolicy, ResolutionCache
from carbonid_resolver.domain.errors import (
    HandleNotFound,
    NodeFailure,
    NodeRefused,
    NodeTimeout,
    NodeUnavailable,
    NotATemplate,
    ResolutionError,
    ValuesNotFound,
)
from carbonid_resolver.domain.records import NodeRecord
from carbonid_resolver.domain.retry import Deadline, RetryPolicy

log = logging.getLogger(__name__)
T = TypeVar("T")

NODE_LATENCY = Histogram("carbonid_resolver_node_seconds", "Latency of identifier-node requests", ["node", "outcome"])
CACHE_LOOKUPS = Counter("carbonid_resolver_cache_total", "Resolution cache lookups", ["result"])


@dataclass(frozen=True, slots=True)
class Fetched(Generic[T]):
    value: T
    stale: bool = False
    cached: bool = False
    node: str = ""


def adapter_for(route: NodeRoute, client: httpx.AsyncClient | None = None) -> NodeAdapter:
    return SnmsAdapter(route, client) if route.kind == "snms" else HandleRestAdapter(route, client)


class NodeClient:
    """One identifier node: its adapter, its circuit breaker, and the resolver's policy around each call."""

    def __init__(
        self,
        adapter: NodeAdapter,
        settings: ResolverSettings,
        cache: ResolutionCache[Any],
        clock: Clock,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.adapter = adapter
        self.route = adapter.route
        self.name = adapter.route.label
        self.settings = settings
        self.cache = cache
        self.breaker = CircuitBreaker(
            failure_threshold=settings.breaker_failure_threshold, cooldown_s=settings.breaker_cooldown_s, clock=clock
        )
        self.retry = RetryPolicy(settings.retry_attempts, settings.retry_base_s, settings.retry_max_s)
        self._sleep = sleep

    def _timeout(self, deadline: Deadline) -> httpx.Timeout:
        remaining = deadline.remaining()
        return httpx.Timeout(
            connect=min(self.settings.connect_timeout_s, remaining),
            read=min(self.settings.read_timeout_s, remaining),
            write=min(self.settings.read_timeout_s, remaining),
            pool=min(self.settings.connect_timeout_s, remaining),
        )

    async def call(
        self,
        key: Hashable,
        operation: Callable[[httpx.Timeout], Awaitable[T]],
        deadline: Deadline,
        *,
        ttl_of: Callable[[T], float | None],
        handle: str | None,
        use_cache: bool = True,
    ) -> Fetched[T]:
        """The value for ``key``: fresh from the cache, else from the node, else stale from the cache."""
        cache_key = (self.name, key)
        if use_cache:
            entry = self.cache.fresh(cache_key)
            if entry is not None:
                CACHE_LOOKUPS.labels("hit").inc()
                if entry.value is None:
                    code = entry.negative_code or 100
                    if code == 200:
                        raise ValuesNotFound("handle has no values (cached)", handle=handle, node=self.name)
                    raise HandleNotFound("not found (cached)", handle=handle, node=self.name, code=code)
                return Fetched(entry.value, cached=True, node=self.name)
            CACHE_LOOKUPS.labels("miss").inc()
        failure: NodeFailure | None = None
        attempt = 0
        while True:
            if not self.breaker.allow():
                failure = NodeUnavailable(
                    f"circuit breaker for {self.name} is open",
                    handle=handle,
                    node=self.name,
                    retry_after_s=self.breaker.retry_in_s(),
                    breaker_state=BreakerState.OPEN.value,
                )
                break
            remaining = deadline.remaining()
            if remaining <= 0:
                self.breaker.release()
                failure = failure or NodeTimeout("resolution deadline spent", handle=handle, node=self.name)
                break
            started = time.perf_counter()
            try:
                async with asyncio.timeout(remaining):
                    value = await operation(self._timeout(deadline))
            except (HandleNotFound, ValuesNotFound) as exc:
                self.breaker.record_success()  # an authoritative answer: the node is healthy
                NODE_LATENCY.labels(self.name, "not-found").observe(time.perf_counter() - started)
                if use_cache:
                    self.cache.put_negative(cache_key, exc.handle_response_code or 100)
                raise
            except (NodeRefused, NotATemplate):
                self.breaker.record_success()  # the node answered; the request (or the record) was at fault
                raise
            except (NodeFailure, TimeoutError) as exc:
                self.breaker.record_failure()
                failure = (
                    exc
                    if isinstance(exc, NodeFailure)
                    else NodeTimeout("resolution deadline spent", handle=handle, node=self.name)
                )
                NODE_LATENCY.labels(self.name, type(failure).__name__).observe(time.perf_counter() - started)
                log.warning(
                    "identifier node failure",
                    extra={"node": self.name, "handle": handle, "error": failure.message, "attempt": attempt},
                )
                if not failure.transient or attempt >= self.retry.retries:
                    break
                attempt += 1
                retry_after = failure.retry_after_s if isinstance(failure, NodeUnavailable) else None
                pause = self.retry.pause(attempt, retry_after_s=retry_after)
                if pause >= deadline.remaining():
                    break
                await self._sleep(pause)
                continue
            except BaseException:
                self.breaker.release()
                raise
            self.breaker.record_success()
            NODE_LATENCY.labels(self.name, "ok").observe(time.perf_counter() - started)
            if use_cache:
                self.cache.put(cache_key, value, ttl_of(value))
            return Fetched(value, node=self.name)
        stale = self.cache.stale(cache_key) if use_cache else None
        if stale is not None:
            CACHE_LOOKUPS.labels("stale").inc()
            return Fetched(stale, stale=True, cached=True, node=self.name)
        if isinstance(failure, NodeUnavailable):
            failure.breaker_state = self.breaker.state.value
        raise failure

    # -- typed operations -------------------------------------------------------------------------------------

    async def resolve(self, handle: str, deadline: Deadline, *, use_cache: bool = True) -> Fetched[NodeRecord]:
        return await self.call(
            ("record", handle.lower()),
            lambda timeout: self.adapter.resolve(handle, timeout=timeout),
            deadline,
            ttl_of=lambda record: record.ttl_seconds(),
            handle=handle,
            use_cache=use_cache,
        )

    async def enterprise(self, prefix: str, handle: str, deadline: Deadline) -> Fetched[NodeRecord]:
        return await self.call(
            ("enterprise", prefix.lower()),
            lambda timeout: self.adapter.enterprise(prefix, handle, timeout=timeout),
            deadline,
            ttl_of=lambda record: record.ttl_seconds(),
            handle=handle,
        )

    async def template(self, handle: str, deadline: Deadline) -> Fetched[TemplateDocument]:
        return await self.call(
            ("template", handle.lower()),
            lambda timeout: self.adapter.template(handle, timeout=timeout),
            deadline,
            ttl_of=lambda _: None,
            handle=handle,
        )

    async def templates(self, prefix: str | None, deadline: Deadline) -> Fetched[list[TemplateDocument]]:
        return await self.call(
            ("templates", (prefix or "").lower()),
            lambda timeout: self.adapter.templates(prefix, timeout=timeout),
            deadline,
            ttl_of=lambda _: None,
            handle=None,
        )


class NodeDirectory:
    """Every configured node; picks the one serving a prefix (longest matching pattern)."""

    def __init__(
        self,
        settings: ResolverSettings,
        *,
        clock: Clock = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.clock = clock
        policy = CachePolicy(
            ttl_floor_s=settings.cache_ttl_floor_s,
            ttl_cap_s=settings.cache_ttl_cap_s,
            negative_ttl_s=settings.negative_cache_ttl_s,
            stale_if_error_s=settings.stale_if_error_s,
        )
        self.cache: ResolutionCache[Any] = ResolutionCache(policy, clock, max_entries=settings.cache_max_entries)
        self.nodes: list[NodeClient] = []
        for route in settings.nodes:
            client = (
                httpx.AsyncClient(transport=transport, base_url=route.base_url.rstrip("/"))
                if transport is not None
                else None
            )
            self.nodes.append(NodeClient(adapter_for(route, client), settings, self.cache, clock, sleep))

    def for_prefix(self, prefix: str) -> NodeClient:
        best: tuple[int, NodeClient] | None = None
        for node in self.nodes:
            score = node.route.specificity(prefix)
            if score is not None and (best is None or score > best[0]):
                best = (score, node)
        if best is None:
            raise NodeRefused(f"no identifier node is configured for prefix {prefix}", handle=prefix, code=None)
        return best[1]

    def for_handle(self, handle: str) -> NodeClient:
        return self.for_prefix(handle.partition("/")[0])

    def deadline(self) -> Deadline:
        """A fresh budget for one resolution (wall clock, never the injected test clock)."""
        return Deadline(self.settings.resolution_deadline_s, time.monotonic)

    def status(self) -> list[dict[str, Any]]:
        return [
            {
                "node": n.name,
                "kind": n.route.kind,
                "prefix": n.route.prefix,
                "node_type": n.route.node_type,
                "breaker": n.breaker.state.value,
                "consecutive_failures": n.breaker.consecutive_failures,
            }
            for n in self.nodes
        ]

    async def aclose(self) -> None:
        for node in self.nodes:
            await node.adapter.aclose()


__all__ = ["Fetched", "NodeClient", "NodeDirectory", "ResolutionError"]
