"""The merged OpenAPI document, and the web console's static files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_harness import Platform

from carbonid_gateway.config import GatewaySettings
from carbonid_gateway.main import create_app
from carbonid_gateway.openapi import merge


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


@pytest.mark.integration
async def test_merged_openapi_covers_every_service(platform: Platform) -> None:
    async with platform.client() as client:
        document = (await client.get("/api/openapi.json")).json()
    paths = document["paths"]
    assert "/api/identity/auth/login" in paths
    assert "/api/identity/.well-known/jwks.json" in paths
    assert "/api/ledger/enterprises/{enterprise_id}" in paths
    assert not [p for p in paths if "/internal/" in p or "/health/" in p]
    assert document["info"]["x-unavailable"] == ["down"]
    schemas = document["components"]["schemas"]
    assert "identity_LoginRequest" in schemas
    assert "identity_HTTPValidationError" in schemas
    assert "ledger_HTTPValidationError" in schemas
    for ref in refs(document):
        kind, name = ref.removeprefix("#/components/").split("/", 1)
        assert name in document["components"][kind], ref
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values() if "operationId" in op]
    assert len(operation_ids) == len(set(operation_ids))


def test_merge_prefixes_colliding_components() -> None:
    schema = {"$ref": "#/components/schemas/Problem"}
    doc = {
        "paths": {"/x": {"get": {"operationId": "x", "responses": {"200": {"content": {"a/b": {"schema": schema}}}}}}},
        "components": {"schemas": {"Problem": {"type": "object"}}},
    }
    merged = merge({"one": doc, "two": doc, "three": None})
    assert set(merged["components"]["schemas"]) == {"one_Problem", "two_Problem"}
    content = merged["paths"]["/api/two/x"]["get"]["responses"]["200"]["content"]["a/b"]
    assert content["schema"]["$ref"] == "#/components/schemas/two_Problem"
    assert merged["info"]["x-unavailable"] == ["three"]


async def console_client(console_dir: Path | None) -> httpx.AsyncClient:
    app = create_app(GatewaySettings(environment="test", log_json=False, console_dir=console_dir, upstreams={}))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw.test")


async def test_console_files_and_spa_fallback(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>console</title>", encoding="utf-8")
    (tmp_path / "assets" / "app-1a2b.js").write_text("console.log('hi')", encoding="utf-8")
    (tmp_path.parent / "secret.txt").write_text("secret", encoding="utf-8")
    async with await console_client(tmp_path) as client:
        index = await client.get("/")
        asset = await client.get("/assets/app-1a2b.js")
        deep = await client.get("/enterprises/123/report")
        escape = await client.get("/..%2Fsecret.txt")
        api_miss = await client.get("/api")
        post = await client.post("/somewhere")
    assert "console" in index.text
    assert index.headers["cache-control"] == "no-cache"
    assert asset.text == "console.log('hi')"
    assert "immutable" in asset.headers["cache-control"]
    assert "console" in deep.text  # single-page app: the client-side router takes over
    assert "secret" not in escape.text
    assert api_miss.status_code == 404
    assert api_miss.headers["content-type"] == "application/problem+json"
    assert post.status_code == 405
    assert post.headers["content-type"] == "application/problem+json"


async def test_placeholder_without_a_built_console() -> None:
    async with await console_client(None) as client:
        response = await client.get("/")
    assert response.status_code == 200
    assert "CarbonID" in response.text


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.1", "198.51.100.7", [], "203.0.113.1"),  # nobody trusted: X-Forwarded-For ignored
        ("203.0.113.1", "198.51.100.7", ["10.0.0.0/8"], "203.0.113.1"),  # the peer is not a proxy
        ("10.1.2.3", "198.51.100.7", ["10.0.0.0/8"], "198.51.100.7"),
        ("10.1.2.3", "6.6.6.6, 198.51.100.7, 10.9.9.9", ["10.0.0.0/8"], "198.51.100.7"),  # spoofed first hop
        ("10.1.2.3", "not-an-ip", ["10.0.0.0/8"], "10.1.2.3"),
        ("10.1.2.3", "", ["10.0.0.0/8"], "10.1.2.3"),
        ("::1", "2001:db8::5", ["::1"], "2001:db8::5"),
    ],
)
def test_client_address(peer: str, forwarded: str, trusted: list[str], expected: str) -> None:
    from carbonid_kit.addresses import client_address

    assert client_address(peer, forwarded, trusted) == expected
