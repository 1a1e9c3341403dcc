"""Rule sets: the bundled one at startup, publishing a new version, recomputation proving the same result."""

from __future__ import annotations

import copy
import json
import uuid
from importlib import resources
from typing import Any

import pytest
from evaluation_harness import ALL_NO, Harness, benchmark_set, calculation

pytestmark = pytest.mark.integration


def bundled_document() -> dict[str, Any]:
    text = resources.files("carbonid_evaluation.data").joinpath("rule-sets", "zhejiang-2022.v1.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


async def evaluate_once(service: Harness, enterprise_id: uuid.UUID, period: str) -> dict[str, Any]:
    headers = service.enterprise(enterprise_id)
    start = await service.client.post("/evaluations", json={"period": period}, headers=headers)
    assert start.status_code == 201, start.text
    url = f"/evaluations/{start.json()['id']}"
    assert (
        await service.client.put(f"{url}/questionnaire", json={"answers": ALL_NO}, headers=headers)
    ).status_code == 200
    assert (await service.client.post(f"{url}/neutralisation", headers=headers)).status_code == 200
    computed = await service.client.post(f"{url}/compute", headers=headers)
    assert computed.status_code == 200, computed.text
    issued = await service.client.post(f"{url}/issue", headers=headers)
    assert issued.status_code == 200
    body: dict[str, Any] = issued.json()
    return body


async def test_bundled_rule_set_is_active_and_questionnaire_served(service: Harness) -> None:
    listed = (await service.client.get("/rule-sets", headers=service.operator())).json()
    active = [r for r in listed if r["active"]]
    assert [r["key"] for r in active] == ["zhejiang-2022/v1"]
    one = await service.client.get("/rule-sets/zhejiang-2022/v1", headers=service.government())
    assert one.status_code == 200
    assert one.json()["document"]["grade_bands"][0]["k_max"] == "0.6"
    questionnaire = (await service.client.get("/questionnaire", headers=service.enterprise(uuid.uuid4()))).json()
    assert questionnaire["rule_set_version"] == "zhejiang-2022/v1"
    first = questionnaire["questions"][0]
    assert first["id"] == "energy_management_system"
    assert {o["value"]: o["evidence_required"] for o in first["options"]} == {"yes": True, "no": False}


async def test_publish_new_version_and_recompute_old_evaluation(service: Harness) -> None:
    enterprise_id = uuid.uuid4()
    await service.publish(benchmark_set(version="bm-rules", intensity="1.5", year=2023))
    await service.wait_for_benchmark("bm-rules")
    calc = calculation(enterprise_id, period="2023-11")
    await service.publish(calc)
    await service.wait_for_period(enterprise_id, calc.calculation_id)
    before = await evaluate_once(service, enterprise_id, "2023-11")
    assert before["result"]["grade"] == 4  # K = 1.2493 under 2022 thresholds
    assert before["rule_set_version"] == "zhejiang-2022/v1"

    v2 = copy.deepcopy(bundled_document())
    v2["version"] = "v2"
    v2["grade_bands"][2]["k_max"] = "1.3"  # a looser grade 3 in the next year's thresholds
    v2["questionnaire"]["version"] = "zhejiang-2022/v2/q1"
    assert (
        await service.client.post("/rule-sets", json=v2, headers=service.enterprise(enterprise_id))
    ).status_code == 403
    published = await service.client.post("/rule-sets", json=v2, headers=service.operator())
    assert published.status_code == 201, published.text
    assert published.json()["active"] is True
    assert published.json()["key"] == "zhejiang-2022/v2"
    again = await service.client.post("/rule-sets", json=v2, headers=service.operator())
    assert again.status_code == 409  # a published version never changes

    broken = copy.deepcopy(v2)
    broken["version"] = "v3"
    broken["grade_bands"][1]["k_max"] = "0.5"  # not increasing
    broken["grade_bands"][0]["colour"] = "green"
    refused = await service.client.post("/rule-sets", json=broken, headers=service.operator())
    assert refused.status_code == 422
    pointers = {e["pointer"] for e in refused.json()["errors"]}
    assert {"/grade_bands/1/k_max", "/grade_bands/0/colour"} <= pointers
    not_json = await service.client.post("/rule-sets", content=b"{not json", headers=service.operator())
    assert not_json.status_code == 422
    assert not_json.json()["type"] == "urn:carbonid:problem:rule-set-invalid"
    listed = (await service.client.get("/rule-sets", headers=service.operator())).json()
    assert {r["key"] for r in listed} == {"zhejiang-2022/v1", "zhejiang-2022/v2"}  # nothing of the refused ones

    after = await evaluate_once(service, enterprise_id, "2023-11")
    assert after["rule_set_version"] == "zhejiang-2022/v2"
    assert after["result"]["grade"] == 3  # same K, new thresholds
    assert after["supersedes"] == before["id"]

    # the earlier evaluation keeps v1 and recomputes to exactly the same hash and result
    proof = await service.client.post(f"/evaluations/{before['id']}/recompute", headers=service.operator())
    assert proof.status_code == 200, proof.text
    body = proof.json()
    assert body["equal"] is True
    assert body["differences"] == []
    assert body["rule_set_version"] == "zhejiang-2022/v1"
    assert body["input_hash"]["stored"] == body["input_hash"]["recomputed"] == before["computation"]["input_hash"]
    assert body["result"]["grade"] == 4
    regional = await service.client.post(f"/evaluations/{after['id']}/recompute", headers=service.government("330000"))
    assert regional.json()["equal"] is True
    assert (
        await service.client.post(f"/evaluations/{after['id']}/recompute", headers=service.government("110000"))
    ).status_code == 403

    # rolling back to v1 is an activation, not a new publication
    rolled = await service.client.post("/rule-sets/zhejiang-2022/v1/activate", headers=service.operator())
    assert rolled.json()["active"] is True
    active = [
        r["key"] for r in (await service.client.get("/rule-sets", headers=service.operator())).json() if r["active"]
    ]
    assert active == ["zhejiang-2022/v1"]
