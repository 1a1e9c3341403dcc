"""Step order, questionnaire rules, evidence files and who may see what."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from evaluation_harness import ALL_NO, PDF, PNG, Harness, benchmark_set, calculation

pytestmark = pytest.mark.integration


async def started(
    service: Harness, *, industry: str = "3011", region: str = "330502", period: str = "2023Q4"
) -> tuple[uuid.UUID, str]:
    enterprise_id = uuid.uuid4()
    calc = calculation(enterprise_id, period=period, industry=industry, region=region)
    await service.publish(calc)
    await service.wait_for_period(enterprise_id, calc.calculation_id)
    response = await service.client.post(
        "/evaluations", json={"period": period}, headers=service.enterprise(enterprise_id)
    )
    assert response.status_code == 201, response.text
    assert response.json()["step"] == "questionnaire"
    return enterprise_id, response.json()["id"]


def problem_type(response: Any) -> str:
    return str(response.json()["type"]).removeprefix("urn:carbonid:problem:")


async def test_steps_are_taken_in_order(service: Harness) -> None:
    enterprise_id, evaluation_id = await started(service)
    headers = service.enterprise(enterprise_id)
    base = f"/evaluations/{evaluation_id}"
    assert (
        problem_type(await service.client.post(f"{base}/neutralisation", headers=headers)) == "questionnaire-incomplete"
    )
    assert problem_type(await service.client.post(f"{base}/compute", headers=headers)) == "questionnaire-incomplete"
    assert problem_type(await service.client.post(f"{base}/issue", headers=headers)) == "not-computed"

    # a draft is saved without every answer; submitting needs them all, and evidence for a "yes"
    draft = await service.client.put(
        f"{base}/questionnaire", json={"answers": {"energy_audit": {"value": "no"}}, "submit": False}, headers=headers
    )
    assert draft.status_code == 200
    assert draft.json()["questionnaire"]["answers"] == {"energy_audit": {"value": "no", "evidence": []}}
    incomplete = await service.client.put(
        f"{base}/questionnaire", json={"answers": {"energy_audit": {"value": "no"}}}, headers=headers
    )
    assert incomplete.status_code == 422
    assert problem_type(incomplete) == "questionnaire-invalid"
    pointers = {e["pointer"] for e in incomplete.json()["errors"]}
    assert "/answers/energy_management_system" in pointers
    no_evidence = await service.client.put(
        f"{base}/questionnaire", json={"answers": {**ALL_NO, "energy_audit": {"value": "yes"}}}, headers=headers
    )
    assert no_evidence.status_code == 422
    assert {e["pointer"] for e in no_evidence.json()["errors"]} == {"/answers/energy_audit/evidence"}
    bad_option = await service.client.put(
        f"{base}/questionnaire",
        json={"answers": {"energy_audit": {"value": "maybe"}}, "submit": False},
        headers=headers,
    )
    assert bad_option.status_code == 422
    unchanged = await service.client.get(base, headers=headers)
    assert unchanged.json()["questionnaire"]["answers"] == {"energy_audit": {"value": "no", "evidence": []}}

    submitted = await service.client.put(f"{base}/questionnaire", json={"answers": ALL_NO}, headers=headers)
    assert submitted.json()["step"] == "neutralisation"
    assert problem_type(await service.client.post(f"{base}/compute", headers=headers)) == "neutralisation-not-confirmed"
    assert (await service.client.post(f"{base}/neutralisation", headers=headers)).json()["step"] == "computation"
    computed = await service.client.post(f"{base}/compute", headers=headers)
    # no benchmark published for 3011 in 2023 in this module: a clear refusal, and nothing stored
    assert computed.status_code == 422
    assert problem_type(computed) == "no-benchmark"
    assert "3011" in computed.json()["detail"]
    assert (await service.client.get(base, headers=headers)).json()["step"] == "computation"

    await service.publish(benchmark_set(version="bm-steps", intensity="2"))
    await service.wait_for_benchmark("bm-steps")
    computed = await service.client.post(f"{base}/compute", headers=headers)
    assert computed.status_code == 200, computed.text
    assert computed.json()["step"] == "issuance"
    # changing the questionnaire after the computation discards the result
    changed = await service.client.put(
        f"{base}/questionnaire",
        json={"answers": {**ALL_NO, "energy_online_monitoring": {"value": "yes"}}},
        headers=headers,
    )
    assert changed.json()["step"] == "computation"
    assert changed.json()["result"] is None
    assert problem_type(await service.client.post(f"{base}/issue", headers=headers)) == "not-computed"
    recomputed = await service.client.post(f"{base}/compute", headers=headers)
    assert recomputed.json()["result"]["questionnaire"]["score"] == "5"


async def test_evidence_type_size_and_download(service: Harness) -> None:
    enterprise_id, evaluation_id = await started(service)
    headers = service.enterprise(enterprise_id)
    url = f"/evaluations/{evaluation_id}/evidence"

    async def upload(content: bytes, media_type: str, question: str = "energy_audit") -> Any:
        return await service.client.post(
            url, data={"question_id": question}, files={"file": ("报告.pdf", content, media_type)}, headers=headers
        )

    assert (await upload(b"MZ\x90\x00 not a pdf", "application/pdf")).status_code == 415
    assert (await upload(PNG, "application/pdf")).status_code == 415  # declared type must match the content
    too_big = await upload(b"%PDF-" + b"0" * (64 * 1024), "application/pdf")
    assert too_big.status_code == 413
    assert problem_type(too_big) == "evidence-too-large"
    assert (await upload(PDF, "application/pdf", question="no_such_question")).status_code == 422
    ok = await upload(PDF, "application/pdf")
    assert ok.status_code == 201, ok.text
    png = await upload(PNG, "image/png")
    assert png.status_code == 201
    assert ok.json()["sha256"] != png.json()["sha256"]
    same = await upload(PDF, "application/pdf")
    assert same.json()["sha256"] == ok.json()["sha256"]  # content-addressed: stored once

    # only the chosen file is linked when the answer names it
    chosen = await service.client.put(
        f"/evaluations/{evaluation_id}/questionnaire",
        json={"answers": {**ALL_NO, "energy_audit": {"value": "yes", "evidence": [png.json()["id"]]}}},
        headers=headers,
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["questionnaire"]["answers"]["energy_audit"]["evidence"] == [png.json()["id"]]
    foreign = await service.client.put(
        f"/evaluations/{evaluation_id}/questionnaire",
        json={"answers": {**ALL_NO, "energy_audit": {"value": "yes", "evidence": [str(uuid.uuid4())]}}},
        headers=headers,
    )
    assert foreign.status_code == 422

    download = f"{url}/{ok.json()['id']}"
    mine = await service.client.get(download, headers=headers)
    assert mine.status_code == 200
    assert mine.content == PDF
    assert mine.headers["content-type"] == "application/pdf"
    regulator = await service.client.get(download, headers=service.government("330500"))
    assert regulator.status_code == 200
    assert regulator.content == PDF
    assert (await service.client.get(download, headers=service.government("110000"))).status_code == 403
    assert (await service.client.get(download, headers=service.enterprise(uuid.uuid4()))).status_code == 404


async def test_who_may_see_and_do_what(service: Harness) -> None:
    enterprise_id, evaluation_id = await started(service)
    url = f"/evaluations/{evaluation_id}"
    assert (await service.client.get(url)).status_code == 401
    other = service.enterprise(uuid.uuid4())
    assert (await service.client.get(url, headers=other)).status_code == 404
    assert (
        await service.client.put(f"{url}/questionnaire", json={"answers": ALL_NO}, headers=other)
    ).status_code == 404
    assert (await service.client.get(url, headers=service.government("330500"))).status_code == 200
    outside = await service.client.get(url, headers=service.government("440000"))
    assert outside.status_code == 403
    assert (await service.client.get(url, headers=service.operator())).status_code == 200
    # regulators read, they do not fill in an enterprise's questionnaire
    gov_write = await service.client.put(
        f"{url}/questionnaire", json={"answers": ALL_NO}, headers=service.government("330500")
    )
    assert gov_write.status_code == 403
    assert (await service.client.post(f"{url}/recompute", headers=service.enterprise(enterprise_id))).status_code == 403

    unbound = service.tokens.headers("enterprise")
    refused = await service.client.post("/evaluations", json={}, headers=unbound)
    assert refused.status_code == 403
    assert problem_type(refused) == "enterprise-not-bound"
    assert refused.json()["binding_page"] == "/enterprise/bind"
    assert (await service.client.get("/periods", headers=unbound)).status_code == 403

    region_list = (await service.client.get("/evaluations", headers=service.government("330000"))).json()
    assert evaluation_id in {e["id"] for e in region_list["items"]}
    elsewhere = (await service.client.get("/evaluations", headers=service.government("440000"))).json()
    assert evaluation_id not in {e["id"] for e in elsewhere["items"]}
    others = (await service.client.get("/evaluations", headers=other)).json()
    assert others["items"] == []


async def test_cancel_discards_and_evaluate_again_replaces_an_unfinished_evaluation(service: Harness) -> None:
    enterprise_id, first = await started(service, period="2023H2")
    headers = service.enterprise(enterprise_id)
    again = await service.client.post("/evaluations", json={"period": "2023H2"}, headers=headers)
    assert again.status_code == 201
    old = await service.client.get(f"/evaluations/{first}", headers=headers)
    assert old.json()["status"] == "abandoned"
    assert (
        problem_type(
            await service.client.put(f"/evaluations/{first}/questionnaire", json={"answers": ALL_NO}, headers=headers)
        )
        == "evaluation-abandoned"
    )
    cancelled = await service.client.delete(f"/evaluations/{again.json()['id']}", headers=headers)
    assert cancelled.status_code == 204
    history = (await service.client.get("/evaluations", headers=headers)).json()
    assert history["items"] == []
    everything = (await service.client.get("/evaluations?include_abandoned=true", headers=headers)).json()
    assert len(everything["items"]) == 2
