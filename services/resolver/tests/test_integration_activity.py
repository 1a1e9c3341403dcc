"""Activity resolution against the running identifier node: SSE steps, sums, events, invalid data, mapping."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from resolver_harness import MakeResolver, NodeControl, ResolverUnderTest, read_events, sse_events

from carbonid_contracts.codes.period import Period
from carbonid_contracts.events import ActivityResolved

pytestmark = pytest.mark.integration


async def resolve_enterprise(r: ResolverUnderTest, prefix: str) -> uuid.UUID:
    response = await r.client.post("/enterprises/resolve", json={"prefix": prefix}, headers=r.headers("operator"))
    assert response.status_code == 200, response.text
    return uuid.UUID(response.json()["id"])


async def node_sum(node: NodeControl, prefix: str, period: str, item: str) -> Decimal:
    total = Decimal(0)
    for month in Period.parse(period).months():
        total += Decimal(await node.value(f"{prefix}/energy.{month}", item))
    return total


async def test_quarter_resolution_streams_each_step_and_publishes(make_resolver: MakeResolver) -> None:
    r = await make_resolver(serve=True)
    ent = await resolve_enterprise(r, "88.118.8")
    headers = r.headers("enterprise", enterprise_id=ent)
    started = await r.client.post(
        f"/enterprises/{ent}/activity-resolutions", json={"period": "2025Q3"}, headers=headers
    )
    assert started.status_code == 202, started.text
    body = started.json()
    assert body["status"] in ("queued", "running")

    steps: list[tuple[str, dict[str, Any]]] = []
    async with r.client.stream("GET", body["events_url"], headers=headers) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = ""
        async for chunk in stream.aiter_text():
            text += chunk
            steps = sse_events(text)
            if steps and steps[-1][0] in ("published", "failed"):
                break
    names = [name for name, _ in steps]
    assert names == ["queued", "template-fetched", *["records-fetched"] * 3, "validated", "mapped", "published"], steps
    fetched = [data["data"] for name, data in steps if name == "records-fetched"]
    assert [f["n"] for f in fetched] == [1, 2, 3]
    assert {f["month"] for f in fetched} == {"2025-07", "2025-08", "2025-09"}
    assert all(data["message_zh"] and data["message_en"] for _, data in steps)

    result = (await r.client.get(body["status_url"], headers=headers)).json()
    assert result["status"] == "succeeded"
    assert result["stale"] is False
    lines = {line["source_code"]: line for line in result["result"]["lines"]}
    assert Decimal(lines["fuel.bituminous_coal"]["quantity"]) == await node_sum(r.node, "88.118.8", "2025Q3", "rawCoal")
    assert lines["fuel.bituminous_coal"]["unit"] == "t"
    assert Decimal(lines["electricity.purchased"]["quantity"]) == await node_sum(
        r.node, "88.118.8", "2025Q3", "electricityPurchased"
    )
    assert lines["electricity.purchased"]["unit"] == "MWh"
    assert "process.caco3" in lines
    assert result["result"]["template_id"] == "88.118.1/META.ENERGY_ACTIVITY"

    events = await read_events(
        r.settings.kafka_bootstrap, r.settings.topic_prefix, ActivityResolved, lambda e: len(e) >= 1
    )
    event = events[0].data
    assert isinstance(event, ActivityResolved)
    assert (event.enterprise_id, event.period, event.stale) == (ent, "2025Q3", False)
    assert str(event.resolution_id) == body["id"]
    assert {line.source_code: line.quantity for line in event.lines} == {
        code: Decimal(line["quantity"]) for code, line in lines.items()
    }


async def test_month_and_year_and_missing_months(make_resolver: MakeResolver) -> None:
    r = await make_resolver()
    ent = await resolve_enterprise(r, "88.118.11")
    headers = r.headers("enterprise", enterprise_id=ent)
    url = f"/enterprises/{ent}/activity-resolutions?wait=true"

    month = await r.client.post(url, json={"period": "2025-07"}, headers=headers)
    assert month.status_code == 200, month.text
    line = next(x for x in month.json()["result"]["lines"] if x["source_code"] == "fuel.bituminous_coal")
    assert line["handles"] == ["88.118.11/energy.2025-07"]

    year = await r.client.post(url, json={"period": "2025"}, headers=headers)
    assert year.status_code == 200, year.text
    assert len(year.json()["result"]["records"]) == 12

    # the node's data start in 2024-11: a 2024 resolution lacks ten months and lists them
    missing = await r.client.post(url, json={"period": "2024"}, headers=headers)
    assert missing.status_code == 404
    problem = missing.json()
    assert problem["type"] == "urn:carbonid:problem:activity-records-missing"
    assert problem["missing_months"] == [f"2024-{m:02d}" for m in range(1, 11)]
    assert problem["handle_response_code"] == 100
    stored = (await r.client.get(f"/activity-resolutions/{problem['resolution_id']}", headers=headers)).json()
    assert stored["status"] == "failed"
    assert stored["steps"][-1]["step"] == "failed"

    bad = await r.client.post(url, json={"period": "2025Q5"}, headers=headers)
    assert bad.status_code == 422
    other = await r.client.post(
        url, json={"period": "2025"}, headers=r.headers("enterprise", enterprise_id=uuid.uuid4())
    )
    assert other.status_code == 403


async def test_invalid_template_data_is_reported_per_item(make_resolver: MakeResolver) -> None:
    r = await make_resolver()
    prefix = "88.118.13"
    ent = await resolve_enterprise(r, prefix)
    handle = f"{prefix}/energy.2025-08"
    original = await r.node.value(handle, "electricityPurchased")
    await r.node.put_value(handle, 2004, "electricityPurchased", "12,5")
    try:
        response = await r.client.post(
            f"/enterprises/{ent}/activity-resolutions?wait=true",
            json={"period": "2025Q3"},
            headers=r.headers("operator"),
        )
    finally:
        await r.node.put_value(handle, 2004, "electricityPurchased", original)
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:carbonid:problem:invalid-template-data"
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [
        (f"/records/{handle}/electricityPurchased", "not-a-number")
    ]
    assert problem["errors"][0]["message_zh"]
    assert problem["errors"][0]["message_en"]


async def test_mapping_is_managed_by_operators_and_read_by_regulators(make_resolver: MakeResolver) -> None:
    """The mapping is global (every region's calculations use it): a regulator of one region reads it but
    does not change it for the others."""
    r = await make_resolver()
    regulator = r.headers("government", region="330000")
    gov = r.headers("operator")
    mappings = (await r.client.get("/metadata/mappings", headers=regulator)).json()["items"]
    coal = next(m for m in mappings if m["item_code"] == "rawCoal" and m["industry_code"] == "*")
    assert coal["source_code"] == "fuel.bituminous_coal"

    denied = await r.client.post(
        "/metadata/mappings", json={"industry_code": "3011", "item_code": "rawCoal"}, headers=r.headers("enterprise")
    )
    assert denied.status_code == 403
    body = {"industry_code": "3011", "item_code": "rawCoal", "source_code": "fuel.raw_coal", "unit": "t"}
    assert (await r.client.post("/metadata/mappings", json=body, headers=regulator)).status_code == 403
    assert (await r.client.delete(f"/metadata/mappings/{coal['id']}", headers=regulator)).status_code == 403
    invalid = await r.client.post(
        "/metadata/mappings", json={"industry_code": "3011", "item_code": "rawCoal", "unit": "barrels"}, headers=gov
    )
    assert invalid.status_code == 422

    # cement (3011) reports its coal as raw coal: a class-specific rule overrides the default
    created = await r.client.post(
        "/metadata/mappings",
        json={"industry_code": "3011", "item_code": "rawCoal", "source_code": "fuel.raw_coal", "unit": "t"},
        headers=gov,
    )
    assert created.status_code == 201, created.text
    duplicate = await r.client.post(
        "/metadata/mappings",
        json={"industry_code": "3011", "item_code": "rawCoal", "source_code": "fuel.coke"},
        headers=gov,
    )
    assert duplicate.status_code == 409
    ent = await resolve_enterprise(r, "88.118.8")
    url = f"/enterprises/{ent}/activity-resolutions?wait=true"
    resolved = await r.client.post(url, json={"period": "2025-07"}, headers=r.headers("operator"))
    sources = {line["source_code"] for line in resolved.json()["result"]["lines"]}
    assert "fuel.raw_coal" in sources
    assert "fuel.bituminous_coal" not in sources

    # without any rule for raw coal the resolution says which items are unmapped, it drops nothing
    await r.client.delete(f"/metadata/mappings/{created.json()['id']}", headers=gov)
    assert (await r.client.delete(f"/metadata/mappings/{coal['id']}", headers=gov)).status_code == 204
    unmapped = await r.client.post(url, json={"period": "2025-07"}, headers=r.headers("operator"))
    assert unmapped.status_code == 422
    assert unmapped.json()["type"] == "urn:carbonid:problem:unmapped-template-items"
    assert unmapped.json()["items"] == ["rawCoal"]

    templates = (await r.client.get("/metadata/templates", headers=gov)).json()["items"]
    assert {t["handle"] for t in templates} == {"88.118.1/META.ENTERPRISE_INFO", "88.118.1/META.ENERGY_ACTIVITY"}
    one = await r.client.get("/metadata/templates/88.118.1/META.ENERGY_ACTIVITY", headers=gov)
    assert next(i for i in one.json()["items"] if i["code"] == "naturalGas")["unit"] == "10^4 Nm3"
