"""The internal handle endpoint other services use (metering registers meters through it)."""

from __future__ import annotations

import pytest
from resolver_harness import SERVICE_TOKEN, MakeResolver

pytestmark = pytest.mark.integration

SERVICE = {"X-Carbonid-Service-Token": SERVICE_TOKEN}


async def test_a_device_record_comes_through_the_adapters_with_its_enterprise(make_resolver: MakeResolver) -> None:
    r = await make_resolver()
    before = await r.client.get("/internal/handles/88.118.8/MTR-0001", headers=SERVICE)
    assert before.status_code == 200, before.text
    assert before.json()["enterprise"] is None  # the platform does not know the enterprise yet
    values = {v["type"]: v["value"] for v in before.json()["values"]}
    assert (values["energyCarrier"], values["unit"], values["registerKind"]) == ("electricity", "kWh", "cumulative")

    resolved = await r.client.post("/enterprises/resolve", json={"prefix": "88.118.8"}, headers=r.headers("operator"))
    assert resolved.status_code == 200, resolved.text
    after = (await r.client.get("/internal/handles/88.118.8/MTR-0001", headers=SERVICE)).json()
    assert after["enterprise"]["id"] == resolved.json()["id"]
    assert after["enterprise"]["region_code"] == resolved.json()["region"]["code"]

    missing = await r.client.get("/internal/handles/88.118.8/MTR-9999", headers=SERVICE)
    assert (missing.status_code, missing.json()["type"]) == (404, "urn:carbonid:problem:handle-not-found")
    refused = await r.client.get("/internal/handles/88.118.8/MTR-0001", headers=r.headers("operator"))
    assert refused.status_code == 403
