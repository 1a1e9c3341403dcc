"""Enterprise resolution against the running identifier node, PostgreSQL and the broker."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from resolver_harness import SNMS_SECRET, SNMS_USER, MakeResolver, NodeControl, ResolverUnderTest, read_events
from sqlalchemy import func, select

from carbonid_contracts.events import EnterpriseResolved
from carbonid_resolver.db import Enterprise, outbox
from carbonid_resolver.domain.records import enterprise_id_for

pytestmark = pytest.mark.integration


async def stored(r: ResolverUnderTest) -> tuple[int, int]:
    async with r.app.state.resolver.runtime.sessions() as session:
        enterprises = (await session.execute(select(func.count()).select_from(Enterprise))).scalar_one()
        events = (await session.execute(select(func.count()).select_from(outbox))).scalar_one()
    return int(enterprises), int(events)


async def test_resolve_stores_profile_and_publishes(make_resolver: MakeResolver) -> None:
    r = await make_resolver()
    user = uuid.uuid4()
    response = await r.client.post(
        "/enterprises/resolve", json={"prefix": " 88.118.8 "}, headers=r.headers("enterprise", user_id=user)
    )
    assert response.status_code == 202, response.text  # a claim: binding needs a proof (test_integration_bindings)
    profile = response.json()
    enterprise_id = enterprise_id_for("88.118.8")
    assert profile["id"] == str(enterprise_id)
    assert profile["identifier_prefix"] == "88.118.8"
    assert profile["uscc"] == await r.node.value("88.118.8/ENTERPRISE", "orgCrtCode")
    assert profile["name"] == await r.node.value("88.118.8/ENTERPRISE", "orgName")
    assert profile["region"] == {"code": "330522", "province": "330000", "city": "330500", "county": "330522"}
    assert profile["industry"]["code"] == "3011"
    assert profile["stale"] is False
    assert profile["binding"]["status"] == "pending"
    assert r.identity.calls == []

    events = await read_events(
        r.settings.kafka_bootstrap, r.settings.topic_prefix, EnterpriseResolved, lambda e: len(e) >= 1
    )
    data = events[0].data
    assert isinstance(data, EnterpriseResolved)
    assert (data.enterprise_id, data.identifier_prefix, data.uscc) == (enterprise_id, "88.118.8", profile["uscc"])
    assert (data.region_code, data.industry_code) == ("330522", "3011")

    # resolving again (the account now bound) gives the same id and another event, not a second row
    again = await r.client.post(
        "/enterprises/resolve",
        json={"prefix": "88.118.8"},
        headers=r.headers("enterprise", user_id=user, enterprise_id=enterprise_id),
    )
    assert again.status_code == 200, again.text
    assert again.json()["id"] == str(enterprise_id)
    assert "binding" not in again.json()
    assert (await stored(r))[0] == 1


async def test_who_may_see_a_profile(make_resolver: MakeResolver) -> None:
    r = await make_resolver()
    operator = r.headers("operator")
    created = await r.client.post("/enterprises/resolve", json={"prefix": "88.118.9"}, headers=operator)
    assert created.status_code == 200, created.text
    ent = uuid.UUID(created.json()["id"])
    path = f"/enterprises/{ent}"
    assert (await r.client.get(path, headers=r.headers("enterprise", enterprise_id=ent))).status_code == 200
    assert (await r.client.get(path, headers=r.headers("enterprise", enterprise_id=uuid.uuid4()))).status_code == 403
    assert (await r.client.get(path, headers=r.headers("government", region="330500"))).status_code == 200
    assert (await r.client.get(path, headers=r.headers("government", region="320000"))).status_code == 403
    assert (await r.client.get(path)).status_code == 401
    assert (await r.client.get(f"/enterprises/{uuid.uuid4()}", headers=operator)).status_code == 404

    listing = await r.client.get(
        "/enterprises", params={"industry": "30"}, headers=r.headers("government", region="330000")
    )
    assert [e["identifier_prefix"] for e in listing.json()["items"]] == ["88.118.9"]
    outside = await r.client.get(
        "/enterprises", params={"region": "320000"}, headers=r.headers("government", region="330000")
    )
    assert outside.status_code == 403
    assert (await r.client.get("/enterprises", headers=r.headers("enterprise"))).status_code == 403


@pytest.mark.parametrize(("prefix", "code"), [("88.999.9", 301), ("88.118.1", 100)])
async def test_not_an_identifier_enterprise(make_resolver: MakeResolver, prefix: str, code: int) -> None:
    """An unknown prefix (not homed: 301) and a prefix without an enterprise record (100) say so clearly."""
    r = await make_resolver()
    response = await r.client.post("/enterprises/resolve", json={"prefix": prefix}, headers=r.headers("enterprise"))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "urn:carbonid:problem:not-an-identifier-enterprise"
    assert problem["handle_response_code"] == code
    assert problem["i18n"]["zh"]["title"] == "不是标识解析企业"
    assert await stored(r) == (0, 0)
    assert r.identity.calls == []


async def test_concurrent_first_resolutions_agree(make_resolver: MakeResolver) -> None:
    """Simultaneous first resolutions of one prefix all succeed with one row (the id and the prefix are both
    unique, so an upsert on one of them alone let a racing insert fail on the other: a CI run saw a 500)."""
    r = await make_resolver()
    answers = await asyncio.gather(
        *(
            r.client.post("/enterprises/resolve", json={"prefix": "88.134.9126"}, headers=r.headers("operator"))
            for _ in range(12)
        )
    )
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["id"] for a in answers} == {str(enterprise_id_for("88.134.9126"))}
    assert (await stored(r))[0] == 1  # one row; the events may already have left the outbox


async def test_user_bound_elsewhere_is_refused_before_any_lookup(make_resolver: MakeResolver) -> None:
    r = await make_resolver()
    headers = r.headers("enterprise", enterprise_id=uuid.uuid4())
    response = await r.client.post("/enterprises/resolve", json={"prefix": "88.118.8"}, headers=headers)
    assert response.status_code == 409
    assert response.json()["type"] == "urn:carbonid:problem:enterprise-binding-conflict"
    assert await stored(r) == (0, 0)


async def test_invalid_prefix_and_roles(make_resolver: MakeResolver) -> None:
    r = await make_resolver()
    bad = await r.client.post("/enterprises/resolve", json={"prefix": "88 118"}, headers=r.headers("enterprise"))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/prefix"
    government = await r.client.post(
        "/enterprises/resolve", json={"prefix": "88.118.8"}, headers=r.headers("government", region="330000")
    )
    assert government.status_code == 403


async def test_node_type_over_handle_rest_comes_from_the_route(make_resolver: MakeResolver, node: NodeControl) -> None:
    """Handle REST records carry no node type: an operator declares it on the route (here one enterprise's own
    node ahead of the secondary node hosting the others); without a declaration it stays unknown."""
    r = await make_resolver(
        nodes=[
            {"prefix": "88.118.", "kind": "handle", "base_url": node.url, "node_type": "secondary"},
            {"prefix": "88.118.10", "kind": "handle", "base_url": node.url, "node_type": "enterprise"},
            {"prefix": "*", "kind": "handle", "base_url": node.url},
        ]
    )

    async def node_type(prefix: str) -> str:
        response = await r.client.post("/enterprises/resolve", json={"prefix": prefix}, headers=r.headers("operator"))
        assert response.status_code == 200, response.text
        return str(response.json()["source"]["node_type"])

    assert await node_type("88.118.8") == "secondary"
    assert await node_type("88.118.10") == "enterprise"
    assert await node_type("88.134.9126") == "unknown"
    events = await read_events(
        r.settings.kafka_bootstrap, r.settings.topic_prefix, EnterpriseResolved, lambda e: len(e) >= 3
    )
    by_prefix = {e.data.identifier_prefix: e.data.node_type for e in events if isinstance(e.data, EnterpriseResolved)}
    assert by_prefix == {"88.118.8": "secondary", "88.118.10": "enterprise", "88.134.9126": "unknown"}


async def test_snms_adapter_resolves_the_same_enterprise(make_resolver: MakeResolver, node: NodeControl) -> None:
    """The SNMS facade (token, prefix query) gives the same profile as the Handle REST API, plus the node type."""
    snms = {
        "prefix": "88.",
        "kind": "snms",
        "base_url": node.url,
        "credentials": {"username": SNMS_USER, "password": SNMS_SECRET},
    }
    r = await make_resolver(nodes=[{"prefix": "*", "kind": "handle", "base_url": node.url}, snms])
    response = await r.client.post("/enterprises/resolve", json={"prefix": "88.118.8"}, headers=r.headers("operator"))
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["source"]["adapter"] == "snms"
    assert profile["source"]["node_type"] == "secondary"
    assert profile["uscc"] == await node.value("88.118.8/ENTERPRISE", "orgCrtCode")
    assert profile["region"]["code"] == "330522"
    missing = await r.client.post("/enterprises/resolve", json={"prefix": "88.999.9"}, headers=r.headers("operator"))
    assert missing.json()["type"] == "urn:carbonid:problem:not-an-identifier-enterprise"
