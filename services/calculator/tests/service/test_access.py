"""Authorisation: own enterprise, government within its region (read only), operators everywhere."""

from __future__ import annotations

import pytest
from calculator_harness import Harness

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


async def _computed(harness: Harness, region: str = "330502") -> tuple[str, str, dict[str, str]]:
    enterprise_id = await harness.enterprise(region=region)
    headers = harness.as_enterprise(enterprise_id)
    cid = (await harness.draft(enterprise_id))["id"]
    line = {"source_code": "fuel.diesel", "quantity": "12", "unit": "t"}
    assert (await harness.client.post(f"/calculations/{cid}/lines", json=line, headers=headers)).status_code == 201
    assert (await harness.client.post(f"/calculations/{cid}/compute", headers=headers)).status_code == 200
    return str(enterprise_id), cid, headers


async def test_other_enterprise_is_refused(harness: Harness) -> None:
    _, cid, _ = await _computed(harness)
    other = harness.as_enterprise(await harness.enterprise())
    for method, path in (
        ("GET", f"/calculations/{cid}"),
        ("GET", f"/calculations/{cid}/preview"),
        ("GET", f"/calculations/{cid}/report"),
        ("GET", f"/calculations/{cid}/report.pdf"),
        ("POST", f"/calculations/{cid}/compute"),
        ("POST", f"/calculations/{cid}/confirm"),
        ("POST", f"/calculations/{cid}/recalculate"),
        ("PUT", f"/calculations/{cid}/reductions"),
    ):
        response = await harness.client.request(method, path, headers=other, json={} if method == "PUT" else None)
        assert response.status_code == 403, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_unbound_enterprise_user_is_told_to_bind(harness: Harness) -> None:
    headers = harness.as_enterprise(None)
    body = {"sub_industry_code": "3011", "period": "2023", "added_value_10k_cny": "1"}
    response = await harness.client.post("/calculations", json=body, headers=headers)
    assert response.status_code == 403
    assert response.json()["type"] == "urn:carbonid:problem:enterprise-not-bound"
    assert (await harness.client.get("/calculations", headers=headers)).status_code == 403


async def test_enterprise_without_resolved_profile_cannot_start(harness: Harness) -> None:
    import uuid

    headers = harness.as_enterprise(uuid.uuid4())
    body = {"sub_industry_code": "3011", "period": "2023", "added_value_10k_cny": "1"}
    response = await harness.client.post("/calculations", json=body, headers=headers)
    assert response.status_code == 409
    assert response.json()["type"] == "urn:carbonid:problem:enterprise-unknown"


async def test_government_reads_within_its_region_only(harness: Harness) -> None:
    enterprise_id, cid, owner = await _computed(harness, region="330502")
    inside_city = harness.as_government("330500")
    inside_province = harness.as_government("330000")
    outside = harness.as_government("320000")
    for headers in (inside_city, inside_province):
        assert (await harness.client.get(f"/calculations/{cid}", headers=headers)).status_code == 200
        assert (await harness.client.get(f"/calculations/{cid}/report", headers=headers)).status_code == 200
        listing = await harness.client.get("/calculations", params={"enterprise_id": enterprise_id}, headers=headers)
        assert [i["id"] for i in listing.json()["items"]] == [cid]
    assert (await harness.client.get(f"/calculations/{cid}", headers=outside)).status_code == 403
    listing = await harness.client.get("/calculations", params={"enterprise_id": enterprise_id}, headers=outside)
    assert listing.json()["items"] == []
    # Government users read; they do not edit or confirm.
    assert (await harness.client.post(f"/calculations/{cid}/confirm", headers=inside_city)).status_code == 403
    operator = harness.as_operator()
    assert (await harness.client.get(f"/calculations/{cid}", headers=operator)).status_code == 200
    assert (await harness.client.post(f"/calculations/{cid}/confirm", headers=operator)).status_code == 403
    assert (await harness.client.post(f"/calculations/{cid}/confirm", headers=owner)).status_code == 200


async def test_evidence_is_content_addressed_and_visible_to_owner_and_regulators(harness: Harness) -> None:
    import hashlib

    _, cid, owner = await _computed(harness, region="330502")
    pdf = b"%PDF-1.4\n% CCER retirement certificate\n%%EOF\n"
    first = await harness.client.post(
        f"/calculations/{cid}/evidence", files={"file": ("ccer.pdf", pdf)}, data={"kind": "ccer"}, headers=owner
    )
    assert first.status_code == 201, first.text
    sha = first.json()["sha256"]
    assert sha == hashlib.sha256(pdf).hexdigest()
    assert first.json()["media_type"] == "application/pdf"
    # The same file again (another name, another kind) is stored once and linked twice.
    second = await harness.client.post(
        f"/calculations/{cid}/evidence", files={"file": ("dup.pdf", pdf)}, data={"kind": "sinks"}, headers=owner
    )
    assert second.json()["sha256"] == sha
    assert len(second.json()["evidence"]) == 2
    png = await harness.client.post(
        f"/calculations/{cid}/evidence",
        files={"file": ("gec.png", PNG)},
        data={"kind": "green_certificates"},
        headers=owner,
    )
    assert png.json()["media_type"] == "image/png"
    # Evidence does not change figures: the calculation stays computed.
    assert (await harness.client.get(f"/calculations/{cid}", headers=owner)).json()["state"] == "computed"

    for headers in (owner, harness.as_government("330500"), harness.as_operator()):
        download = await harness.client.get(f"/evidence/{sha}", headers=headers)
        assert download.status_code == 200
        assert download.content == pdf
        assert download.headers["content-type"] == "application/pdf"
    for headers in (harness.as_government("320000"), harness.as_enterprise(await harness.enterprise())):
        assert (await harness.client.get(f"/evidence/{sha}", headers=headers)).status_code == 403
    assert (await harness.client.get("/evidence/" + "0" * 64, headers=owner)).status_code == 404
    assert (await harness.client.get("/evidence/not-a-hash", headers=owner)).status_code == 404


async def test_industry_tree_and_sources(harness: Harness) -> None:
    headers = harness.as_enterprise(None)
    sections = (await harness.client.get("/industries", headers=headers)).json()["items"]
    assert {"B", "C", "D"} <= {s["code"] for s in sections}
    divisions = (await harness.client.get("/industries", params={"parent": "C"}, headers=headers)).json()["items"]
    assert "30" in {d["code"] for d in divisions}
    classes = (await harness.client.get("/industries", params={"parent": "301"}, headers=headers)).json()["items"]
    cement = next(c for c in classes if c["code"] == "3011")
    assert cement["is_sub_industry"] is True
    sources = (await harness.client.get("/industries/3011/sources", headers=headers)).json()
    codes = [s["code"] for s in sources["sources"]]
    assert "process.caco3" in codes
    assert "electricity.purchased" in codes
    assert [p["code"] for p in sources["path"]] == ["C", "30", "301", "3011"]
    assert (await harness.client.get("/industries/30/sources", headers=headers)).status_code == 422
    assert (await harness.client.get("/industries/9999/sources", headers=headers)).status_code == 404
    assert (await harness.client.get("/industries", params={"parent": "Z"}, headers=headers)).status_code == 404
