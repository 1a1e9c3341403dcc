"""The factor library: packaged sets in the database, operator versions, old calculations keep theirs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from calculator_harness import Harness

from carbonid_calculator.data import factor_table_texts

pytestmark = pytest.mark.integration


def new_version_body(version: str, heat_factor: str = "0.12") -> dict[str, Any]:
    """A new family version: the packaged tables, with the heat factor row re-issued under a new version."""
    texts = factor_table_texts()
    heat_header = texts.heat_csv.splitlines()[0]
    heat = f"{heat_header}\nprov-2025/{version},{heat_factor},某省地方标准 / Provincial standard,表 1 / Table 1,\n"
    return {
        "family": "provincial-heat",
        "version": version,
        "name_zh": "省级热力因子试行版",
        "name_en": "Provincial heat factor (trial)",
        "fuel_parameters_csv": texts.fuel_parameters_csv,
        "grid_electricity_csv": texts.grid_electricity_csv,
        "heat_csv": heat,
        "process_csv": texts.process_csv,
        "standard_coal_csv": texts.standard_coal_csv,
        "tables": {"fuel_parameters": ["ndrc-2013-guideline/v1", "ipcc-2006-biomass/v1"]},
    }


async def test_packaged_sets_are_listed_with_sources(harness: Harness) -> None:
    headers = harness.as_enterprise(None)
    listing = (await harness.client.get("/factor-sets", headers=headers)).json()["items"]
    ids = {s["id"] for s in listing}
    assert {"ndrc-2013-guideline/v1", "gbt-2589-ncv/v1"} <= ids
    assert next(s for s in listing if s["id"] == "ndrc-2013-guideline/v1")["is_default"] is True
    detail = (await harness.client.get("/factor-sets/ndrc-2013-guideline/v1", headers=headers)).json()
    diesel = next(r for r in detail["rows"]["fuel_parameters"] if r["source_code"] == "fuel.diesel")
    assert diesel["ncv"] == "43.33"
    assert diesel["source"]["document"].startswith("国家发展改革委")
    assert all(r["source"]["version"] for table in detail["rows"].values() for r in table)
    other = (await harness.client.get("/factor-sets/gbt-2589-ncv/v1", headers=headers)).json()
    diesel_gbt = next(r for r in other["rows"]["fuel_parameters"] if r["source_code"] == "fuel.diesel")
    assert diesel_gbt["ncv"] == "42.652"
    assert (await harness.client.get("/factor-sets/nope/v0", headers=headers)).status_code == 404


async def test_operator_adds_a_version_and_old_calculations_keep_theirs(harness: Harness) -> None:
    operator = harness.as_operator()
    body = new_version_body("v1")
    refused = await harness.client.post("/factor-sets", json=body, headers=harness.as_enterprise(None))
    assert refused.status_code == 403
    created = await harness.client.post("/factor-sets", json=body, headers=operator)
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "provincial-heat/v1"
    assert created.json()["rows"]["heat"][0]["tco2_per_gj"] == "0.12"
    again = await harness.client.post("/factor-sets", json=body, headers=operator)
    assert again.status_code == 409

    enterprise_id = await harness.enterprise()
    headers = harness.as_enterprise(enterprise_id)
    line = {"source_code": "heat.purchased", "quantity": "1000", "unit": "GJ"}
    results = {}
    for set_id in ("ndrc-2013-guideline/v1", "provincial-heat/v1"):
        cid = (await harness.draft(enterprise_id, factor_set_id=set_id))["id"]
        await harness.client.post(f"/calculations/{cid}/lines", json=line, headers=headers)
        computed = (await harness.client.post(f"/calculations/{cid}/compute", headers=headers)).json()
        results[set_id] = (cid, computed["result"]["summary"]["total_emissions_tco2"], computed["input_hash"])
    assert results["ndrc-2013-guideline/v1"][1] == "110.00"
    assert results["provincial-heat/v1"][1] == "120.00"
    assert results["ndrc-2013-guideline/v1"][2] != results["provincial-heat/v1"][2]
    stored = (await harness.client.get(f"/calculations/{results['ndrc-2013-guideline/v1'][0]}", headers=headers)).json()
    assert stored["factor_set_id"] == "ndrc-2013-guideline/v1"
    assert stored["result"]["summary"]["total_emissions_tco2"] == "110.00"


async def test_operator_upload_as_csv_files(harness: Harness) -> None:
    body = new_version_body("v2", heat_factor="0.105")
    files = {
        name.removesuffix("_csv"): (f"{name}.csv", body.pop(name).encode())
        for name in list(body)
        if name.endswith("_csv")
    }
    body["tables"] = json.dumps(body["tables"])
    response = await harness.client.post("/factor-sets", data=body, files=files, headers=harness.as_operator())
    assert response.status_code == 201, response.text
    assert response.json()["rows"]["heat"][0]["tco2_per_gj"] == "0.105"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"heat_csv": "version,tco2_per_gj,document,table,note\nx/v1,-0.11,doc,tab,\n"}, 422),
        ({"heat_csv": "version,document\nx/v1,doc\n"}, 422),
        (
            {
                "fuel_parameters_csv": "version,source_code,ncv,ncv_unit,carbon_content_tc_per_gj,oxidation_rate,"
                "document,table,assumption,note\nx/v1,fuel.moon_dust,1,GJ/t,0.02,0.9,doc,tab,false,\n"
            },
            422,
        ),
        ({"version": "../../etc"}, 422),
        ({"family": ""}, 422),
    ],
)
async def test_invalid_factor_sets_are_refused(harness: Harness, change: dict[str, Any], status: int) -> None:
    body = {**new_version_body("v9"), **change}
    response = await harness.client.post("/factor-sets", json=body, headers=harness.as_operator())
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
