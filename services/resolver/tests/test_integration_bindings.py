"""Who acts for an enterprise: a claim, its proof (a record on the enterprise's own node, or approval), the owner
inviting colleagues, removal, the member list and its audit trail. Knowing a prefix binds nobody."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from resolver_harness import MakeResolver, ResolverUnderTest

from carbonid_resolver.domain.records import enterprise_id_for

pytestmark = pytest.mark.integration

PREFIX = "88.118.8"  # region 330522 (Huzhou, Zhejiang)
ENTERPRISE = enterprise_id_for(PREFIX)
RECORD = f"{PREFIX}/CARBONID.BINDING"


async def claim(r: ResolverUnderTest, user: uuid.UUID, username: str = "claimant01") -> dict[str, Any]:
    response = await r.client.post(
        "/enterprises/resolve",
        json={"prefix": PREFIX},
        headers=r.headers("enterprise", user_id=user, username=username),
    )
    assert response.status_code == 202, response.text
    binding: dict[str, Any] = response.json()["binding"]
    return binding


def owner_headers(r: ResolverUnderTest, user: uuid.UUID, username: str = "claimant01") -> dict[str, str]:
    return r.headers("enterprise", user_id=user, username=username, enterprise_id=ENTERPRISE)


async def test_knowing_a_prefix_binds_nobody(make_resolver: MakeResolver) -> None:
    """The old resolver bound whoever resolved a prefix; now the answer is a pending claim and identity is not
    asked to bind until the claim is proven."""
    r = await make_resolver()
    user = uuid.uuid4()
    response = await r.client.post(
        "/enterprises/resolve", json={"prefix": PREFIX}, headers=r.headers("enterprise", user_id=user)
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["id"] == str(ENTERPRISE)
    binding = body["binding"]
    assert (binding["status"], binding["role"], binding["method"]) == ("pending", "owner", None)
    proof = binding["proof"]
    assert proof["record_handle"] == RECORD
    assert proof["value_type"] == "CARBONID_BINDING"
    assert proof["value"].startswith("carbonid-binding=")
    assert set(proof["methods"]) == {"node-record", "approval"}
    assert r.identity.calls == []
    assert str(user) not in r.identity.bindings

    # resolving again answers the same claim with the same challenge
    again = await claim(r, user)
    assert (again["id"], again["proof"]["value"]) == (binding["id"], proof["value"])


async def test_a_record_on_the_enterprise_node_proves_the_claim(make_resolver: MakeResolver) -> None:
    r = await make_resolver()
    user = uuid.uuid4()
    binding = await claim(r, user)
    verify = f"/enterprises/{ENTERPRISE}/binding/verify"
    headers = r.headers("enterprise", user_id=user, username="claimant01")

    missing = await r.client.post(verify, headers=headers)
    await r.node.put_record(RECORD, [(1, "CARBONID_BINDING", "carbonid-binding=someone-elses-challenge")])
    wrong = await r.client.post(verify, headers=headers)
    for refused in (missing, wrong):
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"] == "urn:carbonid:problem:binding-proof-missing"
    assert r.identity.calls == []

    await r.node.put_record(
        RECORD,
        [
            (1, "CARBONID_BINDING", "carbonid-binding=someone-elses-challenge"),
            (2, "CARBONID_BINDING", binding["proof"]["value"]),
        ],
    )
    proven = await r.client.post(verify, headers=headers)
    assert proven.status_code == 200, proven.text
    assert (proven.json()["status"], proven.json()["role"], proven.json()["method"]) == (
        "active",
        "owner",
        "node-record",
    )
    assert r.identity.bindings[str(user)] == str(ENTERPRISE)
    assert r.identity.calls[-1]["identifier_prefix"] == PREFIX

    # A second claimant holding the same kind of record cannot become a second owner.
    rival = uuid.uuid4()
    other = await claim(r, rival, "rival01")
    await r.node.put_record(RECORD, [(1, "CARBONID_BINDING", other["proof"]["value"])])
    refused = await r.client.post(verify, headers=r.headers("enterprise", user_id=rival, username="rival01"))
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:carbonid:problem:enterprise-has-owner"
    assert str(rival) not in r.identity.bindings

    listing = await r.client.get(f"/enterprises/{ENTERPRISE}/members", headers=owner_headers(r, user))
    assert listing.status_code == 200, listing.text
    items = {m["username"]: m for m in listing.json()["items"]}
    assert items["claimant01"]["status"] == "active"
    assert items["rival01"]["status"] == "pending"
    assert "proof" not in items["rival01"]  # nobody but the claimant sees a challenge
    actions = [(a["action"], a["actor"]) for a in reversed(listing.json()["audit"])]
    assert actions == [("claimed", "claimant01"), ("proven", "claimant01"), ("claimed", "rival01")]


async def test_two_claims_proven_at_once_make_one_owner(make_resolver: MakeResolver) -> None:
    r = await make_resolver()
    users = [uuid.uuid4() for _ in range(4)]
    claims = [await claim(r, u, f"racer{i}") for i, u in enumerate(users)]
    await r.node.put_record(RECORD, [(i + 1, "CARBONID_BINDING", c["proof"]["value"]) for i, c in enumerate(claims)])
    answers = await asyncio.gather(
        *(
            r.client.post(
                f"/enterprises/{ENTERPRISE}/binding/verify",
                headers=r.headers("enterprise", user_id=u, username=f"racer{i}"),
            )
            for i, u in enumerate(users)
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    assert len(r.identity.bindings) == 1


async def test_approval_by_an_operator_or_the_regional_regulator(make_resolver: MakeResolver) -> None:
    r = await make_resolver()
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    pending = await claim(r, first, "first01")
    await claim(r, second, "second01")
    rejected = await claim(r, third, "third01")

    jiangsu = r.headers("government", region="320000", username="js_province")
    zhejiang = r.headers("government", region="330500", username="huzhou_city")
    queue = await r.client.get("/binding-claims", headers=jiangsu)
    assert queue.status_code == 200
    assert queue.json()["items"] == []
    regional = await r.client.get("/binding-claims", headers=zhejiang)
    assert {c["username"] for c in regional.json()["items"]} == {"first01", "second01", "third01"}
    assert all("proof" not in c for c in regional.json()["items"])
    assert (await r.client.get("/binding-claims", headers=r.headers("enterprise"))).status_code == 403

    outside = await r.client.post(f"/binding-claims/{pending['id']}/approve", headers=jiangsu)
    assert outside.status_code == 404
    assert r.identity.calls == []

    approved = await r.client.post(f"/binding-claims/{pending['id']}/approve", headers=zhejiang)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["role"], approved.json()["method"], approved.json()["decided_by"]) == (
        "owner",
        "approval",
        "huzhou_city",
    )
    assert r.identity.bindings[str(first)] == str(ENTERPRISE)
    twice = await r.client.post(f"/binding-claims/{pending['id']}/approve", headers=zhejiang)
    assert twice.status_code == 409
    assert twice.json()["type"] == "urn:carbonid:problem:binding-already-decided"

    no = await r.client.post(f"/binding-claims/{rejected['id']}/reject", headers=r.headers("operator"))
    assert no.json()["status"] == "rejected"
    assert str(third) not in r.identity.bindings

    # With an owner in place, an approved claim makes a member, not a second owner.
    queue = (await r.client.get("/binding-claims", headers=r.headers("operator"))).json()["items"]
    assert [c["username"] for c in queue] == ["second01"]
    member = await r.client.post(f"/binding-claims/{queue[0]['id']}/approve", headers=r.headers("operator"))
    assert member.json()["role"] == "member"


async def test_identity_refusal_or_outage_commits_no_binding(make_resolver: MakeResolver) -> None:
    r = await make_resolver()
    user = uuid.uuid4()
    pending = await claim(r, user)
    r.identity.bindings[str(user)] = str(uuid.uuid4())  # bound elsewhere meanwhile
    conflict = await r.client.post(f"/binding-claims/{pending['id']}/approve", headers=r.headers("operator"))
    assert conflict.status_code == 409
    assert conflict.json()["type"] == "urn:carbonid:problem:enterprise-binding-conflict"
    del r.identity.bindings[str(user)]
    r.identity.unavailable = True
    outage = await r.client.post(f"/binding-claims/{pending['id']}/approve", headers=r.headers("operator"))
    assert outage.status_code == 503
    assert outage.json()["type"] == "urn:carbonid:problem:identity-unavailable"
    r.identity.unavailable = False
    # nothing committed: the claim is still pending and can be approved now
    retry = await r.client.post(f"/binding-claims/{pending['id']}/approve", headers=r.headers("operator"))
    assert retry.status_code == 200, retry.text


async def test_the_owner_invites_and_removes_colleagues(make_resolver: MakeResolver) -> None:
    r = await make_resolver()
    owner = uuid.uuid4()
    pending = await claim(r, owner, "owner01")
    assert (
        await r.client.post(f"/binding-claims/{pending['id']}/approve", headers=r.headers("operator"))
    ).status_code == 200
    colleague = r.identity.register("colleague01")
    r.identity.register("regulator01", role="government")
    members = f"/enterprises/{ENTERPRISE}/members"
    mine = owner_headers(r, owner, "owner01")

    invited = await r.client.post(members, json={"username": "colleague01"}, headers=mine)
    assert invited.status_code == 201, invited.text
    assert (invited.json()["role"], invited.json()["method"]) == ("member", "invitation")
    assert r.identity.bindings[str(colleague)] == str(ENTERPRISE)
    for username in ("regulator01", "nobody01"):
        refused = await r.client.post(members, json={"username": username}, headers=mine)
        assert refused.status_code == 422
        assert refused.json()["type"] == "urn:carbonid:problem:invitee-not-enterprise-user"

    # A member does not invite; an account of another enterprise neither sees nor manages this one's members.
    member_headers = r.headers("enterprise", user_id=colleague, username="colleague01", enterprise_id=ENTERPRISE)
    r.identity.register("colleague02")
    assert (await r.client.post(members, json={"username": "colleague02"}, headers=member_headers)).status_code == 403
    stranger = r.headers("enterprise", enterprise_id=uuid.uuid4())
    assert (await r.client.get(members, headers=stranger)).status_code == 403
    assert (await r.client.delete(f"{members}/{colleague}", headers=stranger)).status_code == 403
    assert (await r.client.delete(f"{members}/{owner}", headers=member_headers)).status_code == 403

    listing = (await r.client.get(members, headers=member_headers)).json()
    assert [(m["username"], m["role"]) for m in listing["items"]] == [("owner01", "owner"), ("colleague01", "member")]
    outside = await r.client.get(members, headers=r.headers("government", region="320000"))
    assert outside.status_code == 403
    regional = await r.client.get(members, headers=r.headers("government", region="330000"))
    assert regional.status_code == 200

    removed = await r.client.delete(f"{members}/{colleague}", headers=mine)
    assert removed.status_code == 200, removed.text
    assert removed.json()["status"] == "removed"
    assert str(colleague) not in r.identity.bindings
    assert r.identity.unbound[-1] == {"user_id": str(colleague), "enterprise_id": str(ENTERPRISE), "actor": str(owner)}
    assert (await r.client.delete(f"{members}/{colleague}", headers=mine)).status_code == 404

    # Invited again, the colleague leaves by itself.
    assert (await r.client.post(members, json={"username": "colleague01"}, headers=mine)).status_code == 201
    left = await r.client.delete(f"{members}/{colleague}", headers=member_headers)
    assert left.status_code == 200
    audit = [(a["action"], a["actor"]) for a in reversed((await r.client.get(members, headers=mine)).json()["audit"])]
    assert audit == [
        ("claimed", "owner01"),
        ("approved", "tester01"),
        ("invited", "owner01"),
        ("removed", "owner01"),
        ("invited", "owner01"),
        ("removed", "colleague01"),
    ]
