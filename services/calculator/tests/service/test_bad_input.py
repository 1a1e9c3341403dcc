"""Bad input gets a clear 4xx problem+json answer (never a 500) and leaves nothing half-written."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from calculator_harness import EVIDENCE_LIMIT, Harness

pytestmark = pytest.mark.integration

THIS_YEAR = str(date.today().year)


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["type"].startswith("urn:carbonid:problem:")
    assert problem["title"]
    assert problem["detail"]
    assert problem["i18n"]["zh"]["detail"]
    assert problem["i18n"]["en"]["detail"]
    if code is not None:
        codes = [e["code"] for e in problem.get("errors", [])]
        assert code in codes, codes
        for error in problem["errors"]:
            assert error["pointer"].startswith("/")
            assert error["message_zh"]
            assert error["message_en"]
    return problem


NEW_CALCULATION_CASES = [
    ({"sub_industry_code": "9999"}, "industry.unknown", "/sub_industry_code"),
    ({"period": "2005"}, "period.too_early", "/period"),
    ({"period": "2999"}, "period.future", "/period"),
    ({"period": THIS_YEAR}, "period.unfinished", "/period"),
    ({"added_value_10k_cny": "0"}, "value.not_positive", "/added_value_10k_cny"),
    ({"added_value_10k_cny": "-5"}, "value.not_positive", "/added_value_10k_cny"),
    ({"added_value_10k_cny": "900000000000000"}, "value.implausible", "/added_value_10k_cny"),
    ({"period": "2023Q5"}, "string_pattern_mismatch", "/period"),
    ({"added_value_10k_cny": "NaN"}, None, "/added_value_10k_cny"),
    ({"added_value_10k_cny": "zwölf"}, "decimal_parsing", "/added_value_10k_cny"),
    ({"sub_industry_code": "30"}, "string_pattern_mismatch", "/sub_industry_code"),
    ({"factor_set_id": "no-such/v9"}, "unknown-factor-set", "/factor_set_id"),
    ({"colour": "green"}, "extra_forbidden", "/colour"),
]


@pytest.mark.parametrize(("change", "code", "pointer"), NEW_CALCULATION_CASES)
async def test_new_calculation_refused(
    harness: Harness, change: dict[str, Any], code: str | None, pointer: str
) -> None:
    enterprise_id = await harness.enterprise()
    body = {"sub_industry_code": "3011", "period": "2023", "added_value_10k_cny": "5000", **change}
    response = await harness.client.post("/calculations", json=body, headers=harness.as_enterprise(enterprise_id))
    problem = assert_problem(response, 422, code)
    assert pointer in [e["pointer"] for e in problem["errors"]]
    listing = await harness.client.get("/calculations", headers=harness.as_enterprise(enterprise_id))
    assert listing.json()["total"] == 0  # nothing half-written


LINE_CASES = [
    ({"source_code": "fuel.unobtainium", "quantity": "1", "unit": "t"}, "line.unknown_source", "source_code"),
    ({"source_code": "fuel.diesel", "quantity": "1", "unit": "barrel"}, "line.unknown_unit", "unit"),
    ({"source_code": "fuel.diesel", "quantity": "1", "unit": "MWh"}, "line.unit_not_allowed", "unit"),
    ({"source_code": "fuel.diesel", "quantity": "-3", "unit": "t"}, "value.negative", "quantity"),
    (
        {"source_code": "fuel.bituminous_coal", "quantity": "1000000000000", "unit": "t"},
        "value.implausible",
        "quantity",
    ),
    (
        {"source_code": "electricity.purchased", "quantity": "500000000000000", "unit": "kWh"},
        "value.implausible",
        "quantity",
    ),
    (
        {"source_code": "electricity.purchased", "quantity": "1", "unit": "MWh", "measured": {"ncv": "40"}},
        "line.measured_not_applicable",
        "measured",
    ),
    (
        {"source_code": "fuel.diesel", "quantity": "1", "unit": "t", "measured": {"oxidation_rate": "-0.5"}},
        "value.not_positive",
        "measured/oxidation_rate",
    ),
    ({"source_code": "steam.purchased", "quantity": "10", "unit": "t"}, "line.steam_enthalpy_missing", None),
    ({"source_code": "fuel.diesel", "quantity": "lots", "unit": "t"}, "decimal_parsing", "quantity"),
    ({"source_code": "fuel.diesel", "quantity": "Infinity", "unit": "t"}, None, "quantity"),
    ({"source_code": "fuel.diesel", "unit": "t"}, "missing", "quantity"),
]


@pytest.mark.parametrize(("line", "code", "field"), LINE_CASES)
async def test_bad_line_refused(harness: Harness, line: dict[str, Any], code: str | None, field: str | None) -> None:
    enterprise_id = await harness.enterprise()
    headers = harness.as_enterprise(enterprise_id)
    cid = (await harness.draft(enterprise_id))["id"]
    response = await harness.client.post(f"/calculations/{cid}/lines", json=line, headers=headers)
    problem = assert_problem(response, 422, code)
    if field is not None:
        assert any(e["pointer"].endswith(field) for e in problem["errors"]), problem["errors"]
    assert (await harness.client.get(f"/calculations/{cid}", headers=headers)).json()["lines"] == []


async def test_duplicate_line_refused(harness: Harness) -> None:
    enterprise_id = await harness.enterprise()
    headers = harness.as_enterprise(enterprise_id)
    cid = (await harness.draft(enterprise_id))["id"]
    line = {"source_code": "fuel.diesel", "quantity": "2", "unit": "t"}
    assert (await harness.client.post(f"/calculations/{cid}/lines", json=line, headers=headers)).status_code == 201
    again = await harness.client.post(f"/calculations/{cid}/lines", json={**line, "unit": "kg"}, headers=headers)
    problem = assert_problem(again, 422, "line.duplicate")
    assert problem["errors"][0]["pointer"] == "/lines/1"
    assert len((await harness.client.get(f"/calculations/{cid}", headers=headers)).json()["lines"]) == 1


@pytest.mark.parametrize(
    ("reductions", "code"),
    [
        ({"ccer_tco2": "-1"}, "value.negative"),
        ({"sinks_tco2": "-0.5"}, "value.negative"),
        ({"green_certificates_mwh": "99999999999999"}, "value.implausible"),
        ({"ccer_tco2": "ten"}, "decimal_parsing"),
    ],
)
async def test_bad_reductions_refused(harness: Harness, reductions: dict[str, Any], code: str) -> None:
    enterprise_id = await harness.enterprise()
    headers = harness.as_enterprise(enterprise_id)
    cid = (await harness.draft(enterprise_id))["id"]
    response = await harness.client.put(f"/calculations/{cid}/reductions", json=reductions, headers=headers)
    assert_problem(response, 422, code)
    assert (await harness.client.get(f"/calculations/{cid}", headers=headers)).json()["reductions"]["ccer_tco2"] == "0"


async def test_compute_rejection_lists_every_error_per_field(harness: Harness) -> None:
    """Resolved data is attached as published; compute then refuses it with per-field errors."""
    from calculator_harness import activity_event

    from carbonid_contracts.events import ActivityLine

    enterprise_id = await harness.enterprise()
    headers = harness.as_enterprise(enterprise_id)
    await harness.apply(
        activity_event(
            enterprise_id,
            lines=[
                ActivityLine(source_code="fuel.mystery", item_name="未知燃料", quantity="5", unit="t"),
                ActivityLine(source_code="fuel.diesel", item_name="柴油", quantity="-2", unit="t"),
            ],
        )
    )
    cid = (await harness.draft(enterprise_id))["id"]
    attached = await harness.client.post(f"/calculations/{cid}/resolved-activity", headers=headers)
    assert attached.status_code == 200
    assert {i["code"] for i in attached.json()["issues"]} >= {"line.unknown_source", "value.negative"}
    preview = (await harness.client.get(f"/calculations/{cid}/preview", headers=headers)).json()
    assert preview["ready"] is False
    assert preview["would_compute"] is None
    response = await harness.client.post(f"/calculations/{cid}/compute", headers=headers)
    problem = assert_problem(response, 422)
    assert problem["type"] == "urn:carbonid:problem:calculation-rejected"
    pointers = {e["pointer"]: e["code"] for e in problem["errors"]}
    assert pointers["/lines/0/source_code"] == "line.unknown_source"
    assert pointers["/lines/1/quantity"] == "value.negative"
    assert len(problem["line_ids"]) == 2
    assert (await harness.client.get(f"/calculations/{cid}", headers=headers)).json()["state"] == "draft"


async def test_malformed_json_and_unknown_ids(harness: Harness) -> None:
    enterprise_id = await harness.enterprise()
    headers = {**harness.as_enterprise(enterprise_id), "content-type": "application/json"}
    assert_problem(await harness.client.post("/calculations", content=b"{not json", headers=headers), 422)
    assert_problem(await harness.client.get("/calculations/not-a-uuid", headers=headers), 422)
    missing = "00000000-0000-4000-8000-000000000000"
    assert_problem(await harness.client.get(f"/calculations/{missing}", headers=headers), 404)
    assert_problem(await harness.client.post(f"/calculations/{missing}/compute", headers=headers), 404)
    assert_problem(await harness.client.get("/calculations"), 401)


@pytest.mark.parametrize(
    ("content", "filename", "status", "slug"),
    [
        (b"%PDF-1.7\n" + b"0" * (EVIDENCE_LIMIT + 1), "big.pdf", 413, "evidence-too-large"),
        (b"<html><script>alert(1)</script></html>", "receipt.pdf", 415, "evidence-type-forbidden"),
        (b"MZ\x90\x00\x03" + b"\x00" * 100, "ccer.png", 415, "evidence-type-forbidden"),
        (b"PK\x03\x04not really a zip", "cert.ofd", 415, "evidence-type-forbidden"),
        (b"", "empty.pdf", 422, "evidence-empty"),
    ],
)
async def test_bad_evidence_refused(harness: Harness, content: bytes, filename: str, status: int, slug: str) -> None:
    enterprise_id = await harness.enterprise()
    headers = harness.as_enterprise(enterprise_id)
    cid = (await harness.draft(enterprise_id))["id"]
    response = await harness.client.post(
        f"/calculations/{cid}/evidence",
        files={"file": (filename, content, "application/pdf")},
        data={"kind": "ccer"},
        headers=headers,
    )
    problem = assert_problem(response, status)
    assert problem["type"] == f"urn:carbonid:problem:{slug}"
    assert (await harness.client.get(f"/calculations/{cid}", headers=headers)).json()["evidence"] == []


async def test_evidence_kind_and_missing_file(harness: Harness) -> None:
    enterprise_id = await harness.enterprise()
    headers = harness.as_enterprise(enterprise_id)
    cid = (await harness.draft(enterprise_id))["id"]
    bad_kind = await harness.client.post(
        f"/calculations/{cid}/evidence",
        files={"file": ("a.pdf", b"%PDF-1.4 x")},
        data={"kind": "bribe"},
        headers=headers,
    )
    assert_problem(bad_kind, 422, "literal_error")
    no_file = await harness.client.post(f"/calculations/{cid}/evidence", data={"kind": "ccer"}, headers=headers)
    assert_problem(no_file, 422)
