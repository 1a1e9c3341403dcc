"""Fault switches: latency, 503, hung requests, malformed bodies; scoping by path and prefix; env at start."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from carbonid_idnode import create_app
from carbonid_idnode.testing import test_settings

ENTERPRISE = "/api/handles/88.118.8/ENTERPRISE"


async def set_faults(client: httpx.AsyncClient, **faults: object) -> dict[str, object]:
    r = await client.post("/_faults", json=faults)
    assert r.status_code == 200, r.text
    result: dict[str, object] = r.json()
    return result


async def test_no_faults_by_default(client: httpx.AsyncClient) -> None:
    snapshot = (await client.get("/_faults")).json()
    assert snapshot["injected"] == 0
    assert snapshot["faults"]["status_503"] is False
    assert (await client.get(ENTERPRISE)).status_code == 200


async def test_503_on_handle_api_is_code_3_with_retry_after(client: httpx.AsyncClient) -> None:
    await set_faults(client, status_503=True)
    r = await client.get(ENTERPRISE)
    assert r.status_code == 503
    assert r.headers["retry-after"] == "1"
    assert r.json() == {
        "responseCode": 3,
        "message": "Server too busy (fault injection)",
        "handle": "88.118.8/ENTERPRISE",
    }
    snms = await client.get("/identityv2/data/detail?handle=88.118.8/ENTERPRISE")
    assert snms.status_code == 503
    assert snms.headers["content-type"].startswith("text/html")
    assert (await client.get("/_faults")).json()["injected"] == 2


async def test_reset_clears_faults(client: httpx.AsyncClient) -> None:
    await set_faults(client, status_503=True)
    assert (await client.delete("/_faults")).json()["faults"]["status_503"] is False
    assert (await client.get(ENTERPRISE)).status_code == 200


async def test_remaining_counts_down_then_recovers(client: httpx.AsyncClient) -> None:
    await set_faults(client, status_503=True, remaining=2)
    statuses = [(await client.get(ENTERPRISE)).status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]


async def test_only_paths_scopes_faults(client: httpx.AsyncClient) -> None:
    await set_faults(client, status_503=True, only_paths=["/identityv2"])
    assert (await client.get(ENTERPRISE)).status_code == 200
    assert (await client.get("/identityv2/data/detail?handle=88.118.8/ENTERPRISE")).status_code == 503


async def test_prefix_scopes_faults_to_one_prefix_and_its_derived_prefixes(client: httpx.AsyncClient) -> None:
    await set_faults(client, status_503=True, prefix="88.118.8")
    assert (await client.get(ENTERPRISE)).status_code == 503
    assert (await client.get("/api/handles/88.118.9/ENTERPRISE")).status_code == 200
    assert (await client.get("/identityv2/data/detail", params={"handle": "88.118.8/ENTERPRISE"})).status_code == 503
    assert (await client.get("/snms/api/prefix/query", params={"prefix": "88.118.80"})).status_code == 200
    assert (await client.get("/api/prefixes")).status_code == 200


async def test_malformed_body_keeps_status_but_breaks_json(client: httpx.AsyncClient) -> None:
    await set_faults(client, malformed_body=True)
    r = await client.get(ENTERPRISE)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert int(r.headers["content-length"]) == len(r.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)


async def test_latency_delays_the_answer(client: httpx.AsyncClient) -> None:
    await set_faults(client, latency_ms=200)
    started = time.monotonic()
    r = await client.get(ENTERPRISE)
    assert r.status_code == 200
    assert time.monotonic() - started >= 0.19  # a lower bound only: the delay must have happened


async def test_hang_is_bounded(client: httpx.AsyncClient) -> None:
    await set_faults(client, timeout=True, timeout_max_ms=50)
    r = await client.get(ENTERPRISE)
    assert r.status_code == 504
    assert r.json()["responseCode"] == 2


@pytest.mark.parametrize(
    "config",
    [{"latency_ms": -1}, {"status_503": "sometimes"}, {"unknown": True}, {"timeout_max_ms": 10_000_000}],
)
async def test_invalid_config_is_problem_json(client: httpx.AsyncClient, config: dict[str, object]) -> None:
    r = await client.post("/_faults", json=config)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert {"type", "title", "detail", "errors"} <= set(body)
    assert (await client.get("/_faults")).json()["faults"]["latency_ms"] == 0


async def test_faults_from_settings_at_start(client_for: Callable[[FastAPI], httpx.AsyncClient]) -> None:
    app = create_app(test_settings(fault_status_503=True, fault_only_paths="/api/handles, /snms"))
    async with client_for(app) as client:
        assert (await client.get(ENTERPRISE)).status_code == 503
        assert (await client.get("/api/prefixes")).status_code == 200
        assert (await client.post("/identity/token", json={})).status_code == 200


def test_faults_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDNODE_FAULT_LATENCY_MS", "75")
    monkeypatch.setenv("IDNODE_FAULT_MALFORMED_BODY", "true")
    monkeypatch.setenv("IDNODE_FAULT_PREFIX", "88.118.8")
    app = create_app(test_settings())
    faults = app.state.faults.config
    assert (faults.latency_ms, faults.malformed_body, faults.prefix) == (75, True, "88.118.8")


def test_faults_api_can_be_switched_off() -> None:
    app = create_app(test_settings(faults_api_enabled=False))
    assert not any(getattr(r, "path", "") == "/_faults" for r in app.routes)
