"""The proxy itself: streaming, timeouts and unavailable services, headers in and out, CORS, rate limits."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from gateway_harness import GZIPPED_BODY, Platform

from carbonid_gateway.config import GatewaySettings
from carbonid_gateway.main import create_app
from carbonid_kit.testing_tokens import TestTokens

pytestmark = pytest.mark.integration


async def test_server_sent_events_are_not_buffered(platform: Platform) -> None:
    platform.streamer.release.clear()
    async with platform.client() as client, client.stream("GET", "/api/streamer/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        chunks = response.aiter_raw()
        # The first event arrives while the service is still holding back the second one.
        first = await asyncio.wait_for(chunks.__anext__(), timeout=5)
        assert b"event: first" in first
        assert b"second" not in first
        platform.streamer.release.set()
        rest = b"".join([chunk async for chunk in chunks])
    assert b"event: second" in rest


async def test_large_download_streams_through_intact(platform: Platform) -> None:
    async with platform.client() as client, client.stream("GET", "/api/streamer/download") as response:
        assert response.headers["content-length"] == str(80 * 65536)
        assert response.headers["content-disposition"] == 'attachment; filename="report.bin"'
        received = 0
        async for chunk in response.aiter_bytes():
            received += len(chunk)
    assert received == 80 * 65536


async def test_a_compressed_answer_passes_byte_for_byte(platform: Platform) -> None:
    """Small answers are read whole and sent in one piece, still exactly the bytes the service sent."""
    async with platform.client() as client, client.stream("GET", "/api/streamer/gzipped") as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-length"] == str(len(GZIPPED_BODY))
    assert raw == GZIPPED_BODY


async def test_an_answer_broken_off_mid_body_is_a_502(platform: Platform) -> None:
    async with platform.client() as client:
        response = await client.get("/api/streamer/truncated/")  # a mounted ASGI app
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:carbonid:problem:bad-gateway"


async def test_an_unavailable_service_is_a_prompt_503(platform: Platform) -> None:
    started = time.monotonic()
    async with platform.client() as client:
        response = await client.get("/api/down/anything")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:carbonid:problem:service-unavailable"
    assert time.monotonic() - started < 5


async def test_a_silent_service_is_a_504_after_the_read_timeout(platform: Platform) -> None:
    async with platform.client() as client:
        response = await client.get("/api/streamer/slow")
    assert response.status_code == 504
    assert response.json()["type"] == "urn:carbonid:problem:gateway-timeout"


async def test_unknown_service_and_internal_paths_are_404(platform: Platform) -> None:
    async with platform.client() as client:
        unknown = await client.get("/api/nosuchservice/x")
        internal = await client.get(f"/api/identity/internal/users/{uuid.uuid4()}")
        encoded = await client.get(f"/api/identity/%69nternal/users/{uuid.uuid4()}")
        traversal = await client.get("/api/streamer/a/%2E%2E/echo")
    for response in (unknown, internal, encoded):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert traversal.status_code == 400


async def test_internal_headers_are_stripped_and_ids_forwarded(platform: Platform) -> None:
    async with platform.client() as client:
        response = await client.post(
            "/api/streamer/echo?q=%E7%A2%B3&x=1",
            content=b"x" * 1000,
            headers={
                "X-Carbonid-Service-Token": "stolen",
                "X-Carbonid-User": "operator",
                "X-Forwarded-Host": "evil.example",
                "X-Request-ID": "req-12345",
                "Forwarded": "for=1.2.3.4",
                "Authorization": "Bearer not-a-token-for-streamer",
                "content-type": "application/octet-stream",
            },
        )
    assert response.status_code == 401  # the gateway checks a token it is given, even for an open service
    async with platform.client() as client:
        response = await client.post(
            "/api/streamer/echo?q=%E7%A2%B3&x=1",
            content=b"x" * 1000,
            headers={
                "X-Carbonid-Service-Token": "stolen",
                "X-Forwarded-Host": "evil.example",
                "X-Forwarded-For": "203.0.113.7",
                "X-Request-ID": "req-12345",
                "Forwarded": "for=1.2.3.4",
                "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                "content-type": "application/octet-stream",
            },
        )
    assert response.status_code == 200
    seen = response.json()["headers"]
    assert "x-carbonid-service-token" not in seen
    assert "forwarded" not in seen
    assert seen["x-forwarded-host"] != "evil.example"
    assert seen["x-forwarded-for"] == "203.0.113.7"  # the test client is a trusted proxy here
    assert seen["x-forwarded-prefix"] == "/api/streamer"
    assert seen["x-request-id"] == "req-12345"
    assert seen["traceparent"] == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert response.json()["query"] == "q=%E7%A2%B3&x=1"
    assert response.json()["body_bytes"] == 1000
    assert response.headers["x-request-id"] == "req-12345"
    assert response.headers.get_list("x-request-id") == ["req-12345"]


async def test_a_request_id_is_made_when_absent(platform: Platform) -> None:
    async with platform.client() as client:
        response = await client.get("/api/streamer/echo")
    rid = response.headers["x-request-id"]
    assert len(rid) >= 16
    assert response.json()["headers"]["x-request-id"] == rid
    assert response.json()["headers"]["traceparent"].startswith("00-")


async def test_security_headers(platform: Platform) -> None:
    async with platform.client() as client:
        api = await client.get("/api/streamer/echo")
        console = await client.get("/")
    for response in (api, console):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "strict-transport-security" not in response.headers  # not TLS in this setting
    assert api.headers["content-security-policy"].startswith("default-src 'none'")
    assert console.headers["content-security-policy"].startswith("default-src 'self'")


async def test_hsts_only_when_the_setting_says_tls() -> None:
    app = create_app(GatewaySettings(environment="test", log_json=False, tls=True, upstreams={}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="https://gw.test") as client:
        response = await client.get("/health/live")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_cors_allow_list(platform: Platform) -> None:
    async with platform.client() as client:
        allowed = await client.options(
            "/api/streamer/echo",
            headers={"Origin": "https://console.example.cn", "Access-Control-Request-Method": "POST"},
        )
        refused = await client.options(
            "/api/streamer/echo",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        simple = await client.get("/api/streamer/echo", headers={"Origin": "https://console.example.cn"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://console.example.cn"
    assert "access-control-allow-origin" not in refused.headers
    assert simple.headers["access-control-allow-origin"] == "https://console.example.cn"
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


async def test_several_set_cookie_headers_survive(platform: Platform) -> None:
    async with platform.client() as client:
        response = await client.get("/api/streamer/cookies")
    assert len(response.headers.get_list("set-cookie")) == 2


async def test_readiness_reports_upstreams(platform: Platform) -> None:
    async with platform.client() as client:
        ready = await client.get("/health/ready")
        states = (await client.get("/health/upstreams")).json()["upstreams"]
    assert ready.status_code == 200
    assert states["identity"] == "ready"
    assert states["down"] == "unreachable"


async def test_readiness_fails_when_identity_is_down() -> None:
    settings = GatewaySettings(environment="test", log_json=False, upstreams={"identity": "http://127.0.0.1:9"})
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw.test") as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    assert "identity: unreachable" in response.json()["detail"]


async def test_rate_limits_per_address_and_per_user(platform: Platform) -> None:
    tokens = TestTokens()
    settings = GatewaySettings(
        environment="test",
        log_json=False,
        upstreams={"streamer": platform.gateway_settings.upstreams["streamer"]},
        rate_per_address=0.5,
        burst_per_address=6,
        rate_per_user=0.5,
        burst_per_user=2,
        trusted_proxies=["127.0.0.1"],
    )
    app = create_app(settings)
    app.state.jwks.load_jwks(tokens.jwks)
    user_a = tokens.headers("operator")
    user_b = tokens.headers("operator")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw.test") as client,
    ):
        codes_a = [(await client.get("/api/streamer/echo", headers=user_a)).status_code for _ in range(3)]
        assert codes_a == [200, 200, 429]
        assert (await client.get("/api/streamer/echo", headers=user_b)).status_code == 200
        anonymous = [(await client.get("/api/streamer/echo")).status_code for _ in range(3)]
        assert anonymous[-1] == 429  # the address's burst of 6 is spent (3 + 1 + 2 before it)
        throttled = await client.get("/api/streamer/echo")
        assert throttled.status_code == 429
        assert throttled.headers["content-type"] == "application/problem+json"
        assert int(throttled.headers["retry-after"]) >= 1
        other = await client.get("/api/streamer/echo", headers={"X-Forwarded-For": "203.0.113.50"})
        assert other.status_code == 200


async def test_pending_password_change_is_refused_at_the_gateway_itself(platform: Platform) -> None:
    name = f"pend{uuid.uuid4().hex[:6]}"
    body = {"username": name, "password": "Initial-123", "password_confirm": "Initial-123"}
    async with platform.client() as client:
        assert (await client.post("/api/identity/auth/register", json=body)).status_code == 201
        tokens = (
            await client.post("/api/identity/auth/login", json={"username": name, "password": "Initial-123"})
        ).json()
        platform.streamer.seen_headers = {}
        # The streamer answers anyone; only the gateway can refuse this token before it gets there.
        response = await client.get("/api/streamer/echo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 403
    assert response.json()["type"] == "urn:carbonid:problem:password-change-required"
    assert platform.streamer.seen_headers == {}
