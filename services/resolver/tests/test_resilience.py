"""Retries, circuit breaker, cache and deadline around the adapters (httpx MockTransport, injected clock)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from carbonid_resolver.config import ResolverSettings
from carbonid_resolver.domain.errors import HandleNotFound, NodeBadResponse, NodeTimeout, NodeUnavailable
from carbonid_resolver.resilience import NodeDirectory

HANDLE = "88.118.8/ENTERPRISE"
OK = {"responseCode": 1, "handle": HANDLE, "values": [{"index": 2000, "type": "orgName", "data": "华达", "ttl": 600}]}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ScriptedNode:
    """Answers with the next scripted response; the last one repeats."""

    def __init__(self, *script: tuple[int, Any]) -> None:
        self.script = list(script)
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        status, body = self.script[0] if len(self.script) == 1 else self.script.pop(0)
        if isinstance(body, Exception):
            raise body
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content)


BUSY = (503, {"responseCode": 3, "message": "busy"})


def directory(node: Any, clock: Clock, pauses: list[float], **overrides: Any) -> NodeDirectory:
    values: dict[str, Any] = {
        "nodes": [{"prefix": "*", "kind": "handle", "base_url": "http://node"}],
        "retry_attempts": 2,
        "retry_base_s": 0.1,
        "retry_max_s": 1.0,
        "breaker_failure_threshold": 3,
        "breaker_cooldown_s": 30,
        "cache_ttl_floor_s": 30,
        "cache_ttl_cap_s": 3600,
        "negative_cache_ttl_s": 20,
        "stale_if_error_s": 3600,
    }
    settings = ResolverSettings(**{**values, **overrides})

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    return NodeDirectory(settings, clock=clock, transport=httpx.MockTransport(node), sleep=sleep)


async def test_transient_failures_are_retried_with_backoff() -> None:
    node, pauses = ScriptedNode(BUSY, BUSY, (200, OK)), []
    d = directory(node, Clock(), pauses)
    fetched = await d.for_prefix("88.118.8").resolve(HANDLE, d.deadline())
    assert fetched.value.by_type() == {"orgName": "华达"}
    assert node.calls == 3
    assert len(pauses) == 2
    assert all(0 <= p <= 1.0 for p in pauses)


async def test_gives_up_after_the_retries_and_says_unavailable() -> None:
    node, pauses = ScriptedNode(BUSY), []
    d = directory(node, Clock(), pauses)
    with pytest.raises(NodeUnavailable) as exc:
        await d.for_prefix("88.118.8").resolve(HANDLE, d.deadline())
    assert node.calls == 3
    assert exc.value.handle_response_code == 3
    assert exc.value.breaker_state == "open"  # three consecutive failures reached the threshold


@pytest.mark.parametrize(
    ("answer", "error"),
    [((404, {"responseCode": 100, "handle": HANDLE}), HandleNotFound), ((200, b"{not json"), NodeBadResponse)],
)
async def test_definite_answers_are_not_retried(answer: tuple[int, Any], error: type[Exception]) -> None:
    node, pauses = ScriptedNode(answer), []
    d = directory(node, Clock(), pauses)
    with pytest.raises(error):
        await d.for_prefix("88.118.8").resolve(HANDLE, d.deadline())
    assert node.calls == 1
    assert pauses == []


async def test_not_found_is_cached_briefly() -> None:
    node, clock = ScriptedNode((404, {"responseCode": 100, "handle": HANDLE})), Clock()
    d = directory(node, clock, [])
    client = d.for_prefix("88.118.8")
    for _ in range(2):
        with pytest.raises(HandleNotFound):
            await client.resolve(HANDLE, d.deadline())
    assert node.calls == 1
    clock.now = 20
    with pytest.raises(HandleNotFound):
        await client.resolve(HANDLE, d.deadline())
    assert node.calls == 2


async def test_breaker_fails_fast_then_probes_and_closes() -> None:
    node, clock = ScriptedNode(BUSY), Clock()
    d = directory(node, clock, [], retry_attempts=0)
    client = d.for_prefix("88.118.8")
    for _ in range(3):
        with pytest.raises(NodeUnavailable):
            await client.resolve(HANDLE, d.deadline())
    assert client.breaker.state.value == "open"
    with pytest.raises(NodeUnavailable) as exc:
        await client.resolve(HANDLE, d.deadline())
    assert node.calls == 3  # failed fast: the node was not asked
    assert exc.value.breaker_state == "open"
    node.script = [(200, OK)]
    clock.now = 30
    assert client.breaker.state.value == "half-open"
    assert (await client.resolve(HANDLE, d.deadline())).value.handle == HANDLE
    assert client.breaker.state.value == "closed"


async def test_cache_follows_the_values_ttl_and_serves_stale_when_the_node_fails() -> None:
    node, clock = ScriptedNode((200, OK)), Clock()
    d = directory(node, clock, [])
    client = d.for_prefix("88.118.8")
    first = await client.resolve(HANDLE, d.deadline())
    clock.now = 599
    second = await client.resolve(HANDLE, d.deadline())
    assert (first.cached, second.cached, node.calls) == (False, True, 1)
    clock.now = 600  # the value's ttl
    node.script = [BUSY]
    stale = await client.resolve(HANDLE, d.deadline())
    assert stale.stale
    assert stale.value.by_type() == {"orgName": "华达"}
    assert node.calls == 4  # it did try (with retries) before serving stale
    node.script = [(200, OK)]
    clock.now = 631  # the breaker opened; after its cool-down a fresh answer replaces the stale one
    fresh = await client.resolve(HANDLE, d.deadline())
    assert not fresh.stale
    assert not fresh.cached


async def test_one_deadline_bounds_a_hung_node() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    class Hanging(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return await hang(request)

    settings = ResolverSettings(
        nodes=[{"prefix": "*", "kind": "handle", "base_url": "http://node"}], resolution_deadline_s=0.3
    )
    d = NodeDirectory(settings, transport=Hanging())
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(NodeTimeout):
        await d.for_prefix("88.118.8").resolve(HANDLE, d.deadline())
    assert loop.time() - started < 5


def test_longest_matching_route_serves_a_prefix() -> None:
    settings = ResolverSettings(
        nodes=[
            {"prefix": "*", "kind": "handle", "base_url": "http://default"},
            {"prefix": "88.", "kind": "handle", "base_url": "http://idis"},
            {"prefix_pattern": "88.118.8", "kind": "snms", "base_url": "http://ent",
             "credentials": {"username": "u", "password": "p"}},
        ]
    )  # fmt: skip
    d = NodeDirectory(settings)
    assert d.for_prefix("88.118.8").route.base_url == "http://ent"
    assert d.for_prefix("88.118.8.2").route.base_url == "http://ent"
    assert d.for_prefix("88.118.80").route.base_url == "http://idis"
    assert d.for_prefix("86.135.1").route.base_url == "http://default"


def test_snms_route_needs_credentials() -> None:
    with pytest.raises(ValueError, match="credentials"):
        ResolverSettings(nodes=[{"prefix": "*", "kind": "snms", "base_url": "http://n"}])
