"""Every fault switch of the running identifier node, the circuit breaker, and cache expiry."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from resolver_harness import MakeResolver, read_events

from carbonid_contracts.events import ActivityResolved

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("faults", "status", "slug", "code", "requests"),
    [
        # latency beyond the 0.5 s read timeout: a timeout, retried twice, never "not found"
        ({"latency_ms": 1500}, 504, "identifier-node-timeout", 602, 3),
        ({"status_503": True}, 503, "identifier-node-unavailable", 3, 3),
        # a hung request: the read timeout ends it; retried within the overall deadline
        ({"timeout": True, "timeout_max_ms": 4000}, 504, "identifier-node-timeout", 602, 3),
        # a truncated JSON body is not retried (it is not transient) but reported as such
        ({"malformed_body": True}, 502, "identifier-node-bad-response", 4, 1),
    ],
)
async def test_fault_switches_give_the_right_problem(
    make_resolver: MakeResolver, faults: dict[str, Any], status: int, slug: str, code: int, requests: int
) -> None:
    r = await make_resolver(breaker_failure_threshold=10)
    await r.node.faults(**faults, only_paths=["/api/handles"])
    user = uuid.uuid4()
    response = await r.client.post(
        "/enterprises/resolve", json={"prefix": "88.132.924"}, headers=r.headers("enterprise", user_id=user)
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == f"urn:carbonid:problem:{slug}"
    assert problem["handle_response_code"] == code
    assert problem["node"] == "idnode"
    assert await r.node.injected() == requests
    assert r.identity.calls == []  # nothing was bound for an answer we never got
    if status == 503:
        assert problem["breaker_state"] == "closed"
        assert "retry-after" in response.headers

    # the same fault during an activity resolution fails the resolution with the same problem
    await r.node.reset()
    ok = await r.client.post("/enterprises/resolve", json={"prefix": "88.132.924"}, headers=r.headers("operator"))
    ent = ok.json()["id"]
    await r.node.faults(**faults, only_paths=["/api/handles"])
    activity = await r.client.post(
        f"/enterprises/{ent}/activity-resolutions?wait=true", json={"period": "2025-03"}, headers=r.headers("operator")
    )
    assert activity.status_code == status
    assert activity.json()["type"] == f"urn:carbonid:problem:{slug}"


async def test_breaker_opens_fails_fast_and_closes_after_the_node_recovers(make_resolver: MakeResolver) -> None:
    r = await make_resolver(breaker_failure_threshold=3, breaker_cooldown_s=30)
    operator = r.headers("operator")
    await r.node.faults(status_503=True)
    first = await r.client.post("/enterprises/resolve", json={"prefix": "88.113.393"}, headers=operator)
    assert first.status_code == 503
    assert first.json()["breaker_state"] == "open"  # three attempts, three failures

    await r.node.reset()  # the node is healthy again, but the breaker has not probed yet
    fast = await r.client.post("/enterprises/resolve", json={"prefix": "88.113.393"}, headers=operator)
    assert fast.status_code == 503
    problem = fast.json()
    assert problem["type"] == "urn:carbonid:problem:identifier-node-unavailable"
    assert problem["breaker_state"] == "open"
    nodes = (await r.client.get("/nodes", headers=operator)).json()["items"]
    assert nodes[0]["breaker"] == "open"

    r.clock.advance(30)  # cool-down over: one probe goes through, succeeds, and closes the breaker
    recovered = await r.client.post("/enterprises/resolve", json={"prefix": "88.113.393"}, headers=operator)
    assert recovered.status_code == 200, recovered.text
    nodes = (await r.client.get("/nodes", headers=operator)).json()["items"]
    assert nodes[0]["breaker"] == "closed"


async def test_cache_expires_with_the_capped_ttl_and_serves_stale_on_error(make_resolver: MakeResolver) -> None:
    r = await make_resolver(cache_ttl_cap_s=600)
    operator = r.headers("operator")
    handle = "88.118.12/ENTERPRISE"
    original = await r.node.value(handle, "orgName")
    first = await r.client.post("/enterprises/resolve", json={"prefix": "88.118.12"}, headers=operator)
    assert first.json()["name"] == original
    await r.node.put_value(handle, 2000, "orgName", original + "（更名）")
    try:
        r.clock.advance(599)  # the values' 86400 s TTL is capped at 600 s: still cached
        cached = await r.client.post("/enterprises/resolve", json={"prefix": "88.118.12"}, headers=operator)
        assert cached.json()["name"] == original
        r.clock.advance(1)
        fresh = await r.client.post("/enterprises/resolve", json={"prefix": "88.118.12"}, headers=operator)
        assert fresh.json()["name"] == original + "（更名）"
        assert fresh.json()["stale"] is False

        r.clock.advance(600)  # expired again, and now the node is down: the last answer, marked stale
        await r.node.faults(status_503=True)
        stale = await r.client.post("/enterprises/resolve", json={"prefix": "88.118.12"}, headers=operator)
        assert stale.status_code == 200, stale.text
        assert stale.json()["stale"] is True
        assert stale.json()["name"] == original + "（更名）"
    finally:
        await r.node.reset()
        await r.node.put_value(handle, 2000, "orgName", original)


async def test_not_found_is_negatively_cached_briefly(make_resolver: MakeResolver) -> None:
    r = await make_resolver(negative_cache_ttl_s=15)
    operator = r.headers("operator")
    for _ in range(2):
        response = await r.client.post("/enterprises/resolve", json={"prefix": "88.118.1"}, headers=operator)
        assert response.status_code == 404
    # while the negative entry lives, a node outage does not change the answer; after it, the outage shows
    await r.node.faults(status_503=True)
    cached = await r.client.post("/enterprises/resolve", json={"prefix": "88.118.1"}, headers=operator)
    assert cached.status_code == 404
    assert await r.node.injected() == 0
    r.clock.advance(15)
    outage = await r.client.post("/enterprises/resolve", json={"prefix": "88.118.1"}, headers=operator)
    assert outage.status_code == 503


async def test_stale_activity_is_marked_in_the_result_and_the_event(make_resolver: MakeResolver) -> None:
    r = await make_resolver(cache_ttl_cap_s=600, breaker_failure_threshold=50)
    operator = r.headers("operator")
    ent = (await r.client.post("/enterprises/resolve", json={"prefix": "88.137.638"}, headers=operator)).json()["id"]
    url = f"/enterprises/{ent}/activity-resolutions?wait=true"
    fresh = await r.client.post(url, json={"period": "2025Q2"}, headers=operator)
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["stale"] is False

    r.clock.advance(600)
    await r.node.faults(status_503=True)
    stale = await r.client.post(url, json={"period": "2025Q2"}, headers=operator)
    assert stale.status_code == 200, stale.text
    assert stale.json()["stale"] is True
    assert stale.json()["result"]["lines"] == fresh.json()["result"]["lines"]
    assert [s["data"].get("stale") for s in stale.json()["steps"] if s["step"] == "records-fetched"] == [True] * 3

    events = await read_events(
        r.settings.kafka_bootstrap, r.settings.topic_prefix, ActivityResolved, lambda e: len(e) >= 2
    )
    assert {str(e.data.resolution_id): e.data.stale for e in events if isinstance(e.data, ActivityResolved)} == {
        fresh.json()["id"]: False,
        stale.json()["id"]: True,
    }


async def test_non_template_handles_never_open_the_breaker(make_resolver: MakeResolver) -> None:
    """Any signed-in user can ask for a template by handle: well-formed handles that are not templates are the
    asker's mistake (422), not the node's failure, so they cannot open its circuit breaker for everyone."""
    r = await make_resolver()  # breaker threshold 3
    user = r.headers("enterprise")
    for handle in ("88.118.8/ENTERPRISE", "88.118.9/ENTERPRISE", "88.118.10/ENTERPRISE", "88.118.11/ENTERPRISE"):
        response = await r.client.get(f"/metadata/templates/{handle}", headers=user)
        assert response.status_code == 422, response.text
        assert response.json()["type"] == "urn:carbonid:problem:not-a-template"
    nodes = (await r.client.get("/nodes", headers=r.headers("operator"))).json()["items"]
    assert [(n["breaker"], n["consecutive_failures"]) for n in nodes] == [("closed", 0)]
    ok = await r.client.post("/enterprises/resolve", json={"prefix": "88.118.12"}, headers=r.headers("operator"))
    assert ok.status_code == 200, ok.text
