"""The calculation lifecycle through the HTTP API: draft → lines → reductions → compute → confirm → report."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from calculator_harness import Harness, activity_event, pdf_text
from sqlalchemy import select

from carbonid_calculator.db import outbox
from carbonid_contracts.events import EmissionCalculated

pytestmark = pytest.mark.integration


async def test_full_lifecycle_publishes_one_event_with_the_api_totals(harness: Harness) -> None:
    client = harness.client
    enterprise_id = await harness.enterprise()
    headers = harness.as_enterprise(enterprise_id)
    await harness.apply(activity_event(enterprise_id))

    calc = await harness.draft(enterprise_id)
    assert calc["state"] == "draft"
    assert calc["factor_set_id"] == "ndrc-2013-guideline/v1"
    assert calc["region_code"] == "330502"
    cid = calc["id"]

    attached = await client.post(f"/calculations/{cid}/resolved-activity", headers=headers)
    assert attached.status_code == 200, attached.text
    lines = attached.json()["lines"]
    assert [(line["source_code"], line["origin"], line["locked"]) for line in lines] == [
        ("fuel.bituminous_coal", "resolved", True),
        ("electricity.purchased", "resolved", True),
    ]

    manual = await client.post(
        f"/calculations/{cid}/lines",
        json={
            "source_code": "fuel.diesel",
            "quantity": "10",
            "unit": "t",
            "measured": {"ncv": "42.9"},
        },
        headers=headers,
    )
    assert manual.status_code == 201, manual.text
    reductions = await client.put(
        f"/calculations/{cid}/reductions",
        json={"ccer_tco2": "100", "green_certificates_mwh": "500", "sinks_tco2": "5"},
        headers=headers,
    )
    assert reductions.status_code == 200, reductions.text

    preview = (await client.get(f"/calculations/{cid}/preview", headers=headers)).json()
    assert preview["ready"] is True
    assert preview["would_compute"]["total_emissions_tco2"]

    computed = await client.post(f"/calculations/{cid}/compute", headers=headers)
    assert computed.status_code == 200, computed.text
    body = computed.json()
    assert body["state"] == "computed"
    summary = body["result"]["summary"]
    # DOMAIN §1 by hand: coal 1000 t × 23.204 × 0.02618 × 0.93 × 44/12, diesel measured NCV 42.9,
    # electricity 2000 MWh × 0.5306 (2023 national average).
    coal = Decimal(1000) * Decimal("23.204") * Decimal("0.02618") * Decimal("0.93") * 44 / 12
    diesel = Decimal(10) * Decimal("42.9") * Decimal("0.02020") * Decimal("0.98") * 44 / 12
    electricity = Decimal(2000) * Decimal("0.5306")
    expected_total = (coal + diesel + electricity).quantize(Decimal("0.01"))
    assert Decimal(summary["total_emissions_tco2"]) == expected_total
    assert summary["grid_factor"]["tco2_per_mwh"] == "0.5306"
    assert len(body["input_hash"]) == 64
    trace = body["result"]["trace"]
    assert any(o["measured"] for step in trace for o in step["operands"] if o["name"] == "NCV")
    assert body["result"]["factor_sources"]

    confirmed = await client.post(f"/calculations/{cid}/confirm", headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] == "confirmed"
    assert confirmed.json()["supersedes"] is None

    async with harness.runtime.sessions() as session:
        rows = (await session.execute(select(outbox.c.payload, outbox.c.key))).all()
    events = [json.loads(r.payload) for r in rows if json.loads(r.payload).get("calculation_id") == cid]
    assert len(events) == 1
    event = EmissionCalculated.model_validate(events[0])
    assert event.total_emissions_tco2 == Decimal(summary["total_emissions_tco2"])
    assert event.net_emissions_tco2 == Decimal(summary["net_emissions_tco2"])
    assert event.input_hash == body["input_hash"]
    assert event.factor_set_version == "ndrc-2013-guideline/v1"
    assert event.region_code == "330502"

    # Confirmed is immutable.
    for method, path, payload in (
        ("POST", f"/calculations/{cid}/lines", {"source_code": "fuel.lpg", "quantity": "1", "unit": "t"}),
        ("PUT", f"/calculations/{cid}/reductions", {"ccer_tco2": "1"}),
        ("POST", f"/calculations/{cid}/compute", None),
        ("POST", f"/calculations/{cid}/confirm", None),
    ):
        refused = await client.request(method, path, json=payload, headers=headers)
        assert refused.status_code == 409, (path, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")

    # Recalculate: a new draft with the same inputs; confirming it supersedes the first.
    again = await client.post(f"/calculations/{cid}/recalculate", headers=headers)
    assert again.status_code == 201, again.text
    new = again.json()
    assert new["state"] == "draft"
    assert new["recalculated_from"] == cid
    assert len(new["lines"]) == 3
    assert (await client.post(f"/calculations/{new['id']}/compute", headers=headers)).status_code == 200
    second = await client.post(f"/calculations/{new['id']}/confirm", headers=headers)
    assert second.json()["supersedes"] == cid
    assert second.json()["input_hash"] == body["input_hash"]  # same inputs, same hash

    listing = (await client.get("/calculations", headers=headers)).json()
    assert [item["id"] for item in listing["items"]] == [new["id"], cid]  # newest first
    assert (await client.get(f"/calculations/{cid}", headers=headers)).json()["state"] == "confirmed"


async def test_edit_after_compute_returns_to_draft(harness: Harness) -> None:
    enterprise_id = await harness.enterprise()
    headers = harness.as_enterprise(enterprise_id)
    cid = (await harness.draft(enterprise_id))["id"]
    line = {"source_code": "fuel.natural_gas", "quantity": "120000", "unit": "m3"}
    added = await harness.client.post(f"/calculations/{cid}/lines", json=line, headers=headers)
    assert added.status_code == 201
    computed = (await harness.client.post(f"/calculations/{cid}/compute", headers=headers)).json()
    assert computed["state"] == "computed"
    line_id = added.json()["line"]["id"]
    removed = await harness.client.delete(f"/calculations/{cid}/lines/{line_id}", headers=headers)
    assert removed.status_code == 200
    assert removed.json()["state"] == "draft"
    assert removed.json()["result"] is None
    not_computed = await harness.client.post(f"/calculations/{cid}/confirm", headers=headers)
    assert not_computed.status_code == 409
    assert not_computed.json()["type"] == "urn:carbonid:problem:calculation-not-computed"


async def test_attach_without_resolution_points_to_the_resolver(harness: Harness) -> None:
    enterprise_id = await harness.enterprise()
    cid = (await harness.draft(enterprise_id, period="2022"))["id"]
    response = await harness.client.post(
        f"/calculations/{cid}/resolved-activity", headers=harness.as_enterprise(enterprise_id)
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "urn:carbonid:problem:resolved-activity-missing"
    assert problem["resolve"]["href"].endswith(f"/enterprises/{enterprise_id}/activity-resolutions")
    assert problem["resolve"]["body"] == {"period": "2022"}


async def test_latest_resolution_of_the_period_is_attached(harness: Harness) -> None:
    from datetime import UTC, datetime, timedelta

    from carbonid_contracts.events import ActivityLine

    enterprise_id = await harness.enterprise()
    old = datetime.now(UTC) - timedelta(days=2)
    await harness.apply(
        activity_event(
            enterprise_id,
            lines=[ActivityLine(source_code="fuel.diesel", item_name="柴油", quantity="1", unit="t")],
            resolved_at=datetime.now(UTC),
        )
    )
    await harness.apply(activity_event(enterprise_id, resolved_at=old))
    await harness.apply(activity_event(enterprise_id, period="2023Q1"))
    cid = (await harness.draft(enterprise_id))["id"]
    attached = await harness.client.post(
        f"/calculations/{cid}/resolved-activity", headers=harness.as_enterprise(enterprise_id)
    )
    assert [line["source_code"] for line in attached.json()["lines"]] == ["fuel.diesel"]


async def test_resolved_steam_enthalpy_becomes_the_steam_lines_parameter(harness: Harness) -> None:
    """The node publishes the enthalpy as an item of its own; it must land on the steam line (DOMAIN §1)."""
    from carbonid_contracts.events import ActivityLine

    enterprise_id = await harness.enterprise()
    await harness.apply(
        activity_event(
            enterprise_id,
            lines=[
                ActivityLine(source_code="steam.purchased", item_name="外购蒸汽", quantity="1000", unit="t"),
                ActivityLine(source_code="steam.enthalpy", item_name="蒸汽焓值", quantity="2777", unit="kJ/kg"),
            ],
        )
    )
    cid = (await harness.draft(enterprise_id))["id"]
    headers = harness.as_enterprise(enterprise_id)
    attached = (await harness.client.post(f"/calculations/{cid}/resolved-activity", headers=headers)).json()
    assert [(x["source_code"], x["steam_enthalpy_kj_per_kg"]) for x in attached["lines"]] == [
        ("steam.purchased", "2777")
    ]
    computed = await harness.client.post(f"/calculations/{cid}/compute", headers=headers)
    assert computed.status_code == 200, computed.text
    assert computed.json()["result"]["summary"]["total_emissions_tco2"] == "305.47"  # DOMAIN §1: 2,777 GJ x 0.11


async def test_report_html_and_pdf(harness: Harness) -> None:
    enterprise_id = await harness.enterprise(name="德清绿色陶瓷有限公司")
    headers = harness.as_enterprise(enterprise_id)
    cid = (await harness.draft(enterprise_id))["id"]
    assert (await harness.client.get(f"/calculations/{cid}/report", headers=headers)).status_code == 409
    for line in (
        {"source_code": "fuel.bituminous_coal", "quantity": "500", "unit": "t"},
        {"source_code": "electricity.purchased", "quantity": "800", "unit": "MWh"},
    ):
        assert (await harness.client.post(f"/calculations/{cid}/lines", json=line, headers=headers)).status_code == 201
    computed = (await harness.client.post(f"/calculations/{cid}/compute", headers=headers)).json()
    total = computed["result"]["summary"]["total_emissions_tco2"]

    html = await harness.client.get(f"/calculations/{cid}/report", headers=headers)
    assert html.status_code == 200
    assert "德清绿色陶瓷有限公司" in html.text
    assert total in html.text
    assert "data:image/png;base64," in html.text
    assert "企业盖章" in html.text

    pdf = await harness.client.get(f"/calculations/{cid}/report.pdf", headers=headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    text = pdf_text(pdf.content)
    assert "德清绿色陶瓷有限公司" in text
    assert total in text
    assert "国家发展改革委" in text
    assert "负责人签字" in text
