"""The platform's journey across every service, through the gateway only, on the embedded stack.

Five demo enterprises of Zhejiang: three cement plants (3011) and two paper mills (2211), all manufacturing
(section C). A benchmark set needs at least five enterprises within its publisher's scope; only government users
publish and none has a national scope, so the subset is the five of one province that share a section (the six
cement plants lie in four provinces). The test drives registration, the forced password change, the binding and
one resolution's live stream itself, then lets the demo loader run the rest for the subset (calculations, the
benchmark set, evaluations) and checks every outcome through the API: confirmed calculations, the published set,
issued evaluations, certificates verified publicly, their QR codes and identifier records, the regional dashboard
and its scope. A second loader run must change nothing.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from carbonid_demo.__main__ import load
from carbonid_demo.client import Account, ApiError, Gateway
from carbonid_demo.loader import Report
from carbonid_demo.plan import DEMO_PASSWORD, INITIAL_PASSWORD, SeedEnterprise
from carbonid_idnode.config import DEV_ADMIN_SECRET
from carbonid_kit.testing import wait_until
from carbonid_stack.__main__ import Stack
from carbonid_stack.components import demo_accounts_file

pytestmark = pytest.mark.e2e

SUBSET = ("88.118.8", "88.118.9", "88.118.10", "88.118.11", "88.118.12")
HUZHOU = {"88.118.8", "88.118.9", "88.118.11", "88.118.12"}  # 88.118.10 lies in Quzhou (330881)
MONTH = "2026-10"
YEAR = "2025"
LOADER_OPTIONS: dict[str, Any] = {
    "prefixes": SUBSET,
    "months": 1,  # 2026-10
    "aggregates": ["year"],  # 2025: the benchmark's basis and the dashboards' default period
    "evaluations": 1,
    "concurrency": 5,
    "deadline_s": 90.0,
}


def slug(response: httpx.Response) -> str:
    return str(response.json().get("type", "")).rsplit(":", 1)[-1]


async def eventually(probe: Callable[[], Awaitable[Any]], what: str, deadline_s: float = 60.0) -> Any:
    """Poll until the probe answers something truthy (an event reaching another service)."""
    return await wait_until(probe, timeout=deadline_s, interval=0.3, what=what)


async def publish_on_node(stack: Stack, handle: str, value_type: str, text: str) -> None:
    """What the enterprise does on its own identifier node: publish the claim's value, as the prefix's admin."""
    prefix = handle.partition("/")[0]
    basic = base64.b64encode(f"300%3A{prefix}/ADMIN:{DEV_ADMIN_SECRET}".encode()).decode()
    async with httpx.AsyncClient(base_url=stack.config.url(stack.config.node_port), timeout=10) as node:
        written = await node.put(
            f"/api/handles/{handle}",
            json={"values": [{"index": 1, "type": value_type, "data": {"format": "string", "value": text}}]},
            headers={"Authorization": f"Basic {basic}"},
        )
    assert written.status_code in (200, 201), written.text


async def run_loader(url: str) -> Report:
    return await load(url, accounts_file=demo_accounts_file(), quiet=True, **LOADER_OPTIONS)


@pytest.fixture(scope="module")
async def gateway(stack: Stack) -> AsyncIterator[Gateway]:
    client = Gateway(stack.config.url(stack.config.gateway_port), rate=40)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(scope="module")
async def journey(stack: Stack, gateway: Gateway) -> dict[str, Any]:
    """Flows 1–3 by hand for the first enterprise, then the demo loader for the subset."""
    http = gateway.http
    first = SeedEnterprise(SUBSET[0], "3011", "330522")

    # Flow 1: registration rules (spot checks), registration, forced change, log in again.
    for body, pointer in (
        ({"username": "short1", "password": "Abcdef12", "password_confirm": "Abcdef12"}, "/username"),
        ({"username": "企业用户名称很长", "password": "Abcdef12", "password_confirm": "Abcdef12"}, "/username"),
        ({"username": "journey_user1", "password": "abcdefghij", "password_confirm": "abcdefghij"}, "/password"),
        ({"username": "journey_user1", "password": "Abcdef12", "password_confirm": "Abcdef13"}, "/password_confirm"),
    ):
        refused = await http.post("/api/identity/auth/register", json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert any(e.get("pointer") == pointer for e in refused.json()["errors"]), refused.json()
    new_user = {"username": first.username, "password": INITIAL_PASSWORD, "password_confirm": INITIAL_PASSWORD}
    registered = await http.post("/api/identity/auth/register", json=new_user)
    assert registered.status_code == 201, registered.text
    taken = await http.post("/api/identity/auth/register", json={**new_user, "username": first.username.upper()})
    assert taken.status_code == 409  # usernames are unique case-insensitively
    account = Account(gateway, first.username)
    await account.login([INITIAL_PASSWORD])
    assert account.must_change_password
    assert account.claims["pwd_change"] is True
    bearer = {"Authorization": f"Bearer {account.access_token}"}
    pending = await http.get("/api/calculator/calculations", headers=bearer)
    assert pending.status_code == 403
    assert slug(pending) == "password-change-required"
    await account.change_password(DEMO_PASSWORD)  # logs in again with the new password
    assert not account.must_change_password
    assert (await http.get("/api/identity/me", headers=bearer)).status_code == 401  # tokens before the change

    # Flow 2: an unbound user may not calculate; an unknown prefix is not an identifier enterprise; the real one
    # gives a claim, proven by the record the enterprise publishes on its own identifier node; then the next
    # token carries ``ent``.
    with pytest.raises(ApiError) as not_bound:
        await account.json("GET", "/api/calculator/calculations")
    assert not_bound.value.slug == "enterprise-not-bound"
    with pytest.raises(ApiError) as unknown:
        await account.json("POST", "/api/resolver/enterprises/resolve", json_body={"prefix": "88.118.999"})
    assert (unknown.value.status, unknown.value.slug) == (404, "not-an-identifier-enterprise")
    profile = await account.json("POST", "/api/resolver/enterprises/resolve", json_body={"prefix": first.prefix})
    assert profile["identifier_prefix"] == first.prefix
    assert profile["industry"]["code"] == "3011"
    assert profile["region"]["code"] == "330522"
    claim = profile["binding"]
    assert (claim["status"], claim["role"]) == ("pending", "owner")
    await account.refresh()
    assert "ent" not in account.claims  # knowing a prefix binds nobody
    await publish_on_node(stack, claim["proof"]["record_handle"], claim["proof"]["value_type"], claim["proof"]["value"])
    proven = await account.json("POST", f"/api/resolver/enterprises/{profile['id']}/binding/verify")
    assert (proven["status"], proven["method"]) == ("active", "node-record")
    await account.refresh()
    assert account.claims["ent"] == profile["id"]
    members = await account.json("GET", f"/api/resolver/enterprises/{profile['id']}/members")
    assert [(m["username"], m["role"]) for m in members["items"]] == [(first.username, "owner")]

    # Flow 3's identifier-resolution request, followed live: the server-sent events of one resolution.
    started = await account.json(
        "POST", f"/api/resolver/enterprises/{profile['id']}/activity-resolutions", json_body={"period": MONTH}
    )
    steps: list[str] = []
    async with http.stream(
        "GET",
        "/api/resolver" + started["events_url"],
        headers={"Authorization": f"Bearer {await account.token()}", "Accept": "text/event-stream"},
        timeout=30,
    ) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                steps.append(line.removeprefix("event:").strip())
                if steps[-1] in ("published", "failed"):
                    break
    assert steps[0] == "queued"
    assert steps[-1] == "published", steps
    assert {"template-fetched", "records-fetched", "validated", "mapped"} <= set(steps)
    resolution = await account.json("GET", "/api/resolver" + started["status_url"])
    assert resolution["status"] == "succeeded"
    production = {p["item_code"]: p for p in resolution["result"]["production"]}
    assert production["industrialAddedValue"]["unit"] == "10^4 CNY"

    # The rest of the journey for the five enterprises: the demo loader, through the gateway as well.
    report = await run_loader(str(gateway.base_url))
    assert report.failures == [], report.failures
    return {"report": report, "profile": profile, "account": account}


async def enterprise_account(gateway: Gateway, prefix: str) -> Account:
    account = Account(gateway, "ent" + prefix.replace(".", ""))
    await account.login([DEMO_PASSWORD])
    return account


async def built_in(gateway: Gateway, username: str) -> Account:
    account = Account(gateway, username)
    await account.login([DEMO_PASSWORD])  # the loader did the forced change
    return account


async def test_loader_drove_every_step(journey: dict[str, Any]) -> None:
    counts = journey["report"].counts
    assert counts["accounts.enterprise.registered"] == len(SUBSET) - 1  # the first one registered by hand
    assert counts["accounts.enterprise.existing"] == 1
    assert counts["enterprises.bound"] == len(SUBSET) - 1
    assert counts["calculations.confirmed"] == 2 * len(SUBSET)
    # Zhejiang 2025 (Huzhou's four are too few); a national set too once analytics lets the operator publish one.
    assert counts["benchmark_sets.published"] in (1, 2)
    assert counts["evaluations.issued"] == len(SUBSET)
    assert counts["certificates.seen"] == len(SUBSET)


async def test_calculations_are_confirmed(gateway: Gateway, journey: dict[str, Any]) -> None:
    for prefix in SUBSET:
        account = await enterprise_account(gateway, prefix)
        page = await account.json("GET", "/api/calculator/calculations")
        assert {(c["period"], c["state"]) for c in page["items"]} == {(YEAR, "confirmed"), (MONTH, "confirmed")}
        annual = next(c for c in page["items"] if c["period"] == YEAR)
        detail = await account.json("GET", f"/api/calculator/calculations/{annual['id']}")
        assert detail["lines"], "resolved activity lines attached"
        assert all(line["origin"] == "resolved" and line["locked"] for line in detail["lines"])
        assert detail["resolution"] is not None
        assert float(detail["total_emissions_tco2"]) > 0


async def test_benchmark_set_published(gateway: Gateway, journey: dict[str, Any]) -> None:
    zhejiang = await built_in(gateway, "zj_province")
    sets = await zhejiang.json(
        "GET", "/api/analytics/benchmark-sets", params={"year": int(YEAR), "region_scope": "330000"}
    )
    mine = [s for s in sets["items"] if s["region_scope"] == "330000"]
    assert [s["version"] for s in mine] == ["330000-2025-v1"]
    detail = await zhejiang.json("GET", f"/api/analytics/benchmark-sets/{mine[0]['benchmark_set_id']}")
    assert {(e["industry_code"], e["sample_size"]) for e in detail["entries"]} == {("C", 5)}
    assert detail["method"] == "ratio-of-sums"
    journey["benchmark_version"] = mine[0]["version"]


async def test_evaluations_issued_and_certificates_verify(
    stack: Stack, gateway: Gateway, journey: dict[str, Any]
) -> None:
    url = str(gateway.base_url)
    http = gateway.http
    for prefix in SUBSET:
        account = await enterprise_account(gateway, prefix)
        evaluations = await account.json("GET", "/api/evaluation/evaluations")
        assert [(e["period"], e["status"]) for e in evaluations["items"]] == [(YEAR, "completed")]
        evaluation = await account.json("GET", f"/api/evaluation/evaluations/{evaluations['items'][0]['id']}")
        assert evaluation["grade"] in (1, 2, 3, 4, 5)
        # The operator's national set and Zhejiang's set both cover these enterprises (section C, 5 each). The
        # evaluation takes the most specific set it has received when it computes; the two benchmark.published
        # events are keyed by scope, so they may reach it in either order.
        assert evaluation["computation"]["benchmark_version"] in {"330000-2025-v1", "100000-2025-v1"}

        certificates = (await account.json("GET", "/api/certificates/certificates"))["items"]
        assert len(certificates) == 1
        certificate = certificates[0]
        assert certificate["evaluation_id"] == evaluation["id"]
        assert certificate["grade"] == evaluation["grade"]
        assert certificate["status"] == "valid"
        code = certificate["code"]
        assert code.startswith(f"CE-{evaluation['region_code']}-{YEAR}-{evaluation['grade']}-")
        assert certificate["url"] == f"{url}/c/{code}"

        # Public verification (no token).
        verification = await http.get(f"/api/certificates/public/certificates/{code}/verification")
        assert verification.status_code == 200, verification.text
        checked = verification.json()
        assert checked["status"] == "valid"
        assert checked["signature_valid"] is True
        assert checked["content_hash"] == checked["issued_content_hash"]

        # The coloured code decodes to the public URL.
        png = await http.get(f"/api/certificates/public/certificates/{code}/qr.png")
        assert png.status_code == 200
        assert png.headers["content-type"] == "image/png"
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)).convert("RGB"))
        assert [d.text for d in decoded] == [certificate["url"]]

        # The certificate identifier resolves through the certificates service's Handle API.
        record = await http.get(f"/api/certificates/api/handles/{certificate['handle']}")
        assert record.status_code == 200, record.text
        values = {v["type"]: v["data"]["value"] for v in record.json()["values"]}
        assert record.json()["responseCode"] == 1
        assert values["CARBONID.CERT.CODE"] == code
        assert values["URL"] == certificate["url"]
        assert values["CARBONID.CERT.GRADE"] == str(evaluation["grade"])
        assert json.loads(values["CARBONID.CERT.CONTENT"])["code"] == code


async def test_dashboards_follow_the_region_scope(gateway: Gateway, journey: dict[str, Any]) -> None:
    zhejiang = await built_in(gateway, "zj_province")
    huzhou = await built_in(gateway, "huzhou_city")
    jiangsu = await built_in(gateway, "js_province")

    async def summary_of(account: Account, expected: int) -> dict[str, Any] | None:
        document: dict[str, Any] = await account.json("GET", "/api/analytics/dashboard/summary")
        return document if document["certificates"] == expected else None

    province = await eventually(lambda: summary_of(zhejiang, len(SUBSET)), "analytics to count the certificates")
    assert province["region_scope"] == "330000"
    assert province["period"] == YEAR
    assert province["figures"]["enterprises"] == len(SUBSET)
    assert province["evaluated_enterprises"] == len(SUBSET)
    assert sum(province["grade_distribution"].values()) == len(SUBSET)
    assert float(province["figures"]["intensity_tco2_per_10k_cny"]) > 0

    city = await eventually(lambda: summary_of(huzhou, len(HUZHOU)), "the Huzhou summary")
    assert city["figures"]["enterprises"] == len(HUZHOU)

    # The node-type filter: 88.118.10 runs its own identifier node (企业自建节点), the others are hosted by the
    # secondary node; the resolver learns it from its routes, as Handle REST records do not say.
    for node_type, expected in (("enterprise", 1), ("secondary", len(SUBSET) - 1), ("unknown", 0)):
        sliced = await zhejiang.json("GET", "/api/analytics/dashboard/summary", params={"node_type": node_type})
        assert sliced["figures"]["enterprises"] == expected, node_type

    with pytest.raises(ApiError) as outside:
        await jiangsu.json("GET", "/api/analytics/dashboard/summary", params={"region": "330000"})
    assert (outside.value.status, outside.value.slug) == (403, "outside-region-scope")
    own = await jiangsu.json("GET", "/api/analytics/dashboard/summary")
    assert own["figures"]["enterprises"] == 0

    enterprise = await enterprise_account(gateway, SUBSET[0])
    with pytest.raises(ApiError) as refused:
        await enterprise.json("GET", "/api/analytics/dashboard/summary")
    assert refused.value.status == 403


async def platform_counts(gateway: Gateway) -> dict[str, Any]:
    """What exists, read through the API: per enterprise its calculations, evaluations, certificates."""
    counts: dict[str, Any] = {}
    for prefix in SUBSET:
        account = await enterprise_account(gateway, prefix)
        calculations = await account.json("GET", "/api/calculator/calculations")
        evaluations = await account.json("GET", "/api/evaluation/evaluations", params={"include_abandoned": "true"})
        certificates = await account.json("GET", "/api/certificates/certificates")
        counts[prefix] = (
            calculations["total"],
            sorted((c["id"], c["state"]) for c in calculations["items"]),
            evaluations["total"],
            sorted((e["id"], e["status"]) for e in evaluations["items"]),
            sorted((c["code"], c["status"]) for c in certificates["items"]),
        )
    zhejiang = await built_in(gateway, "zj_province")
    sets = await zhejiang.json("GET", "/api/analytics/benchmark-sets")
    counts["benchmark_sets"] = sorted(s["version"] for s in sets["items"])
    return counts


async def test_second_run_changes_nothing(gateway: Gateway, journey: dict[str, Any]) -> None:
    before = await platform_counts(gateway)
    report = await run_loader(str(gateway.base_url))
    assert report.failures == []
    assert report.changed == 0, report.summary()
    assert report.counts["calculations.confirmed.existing"] == 2 * len(SUBSET)
    assert report.counts["evaluations.issued.existing"] == len(SUBSET)
    assert report.counts["benchmark_sets.existing"] == journey["report"].counts["benchmark_sets.published"]
    assert await platform_counts(gateway) == before
