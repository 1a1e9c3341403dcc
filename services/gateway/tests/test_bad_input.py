"""Bad input through the gateway is a 4xx problem+json, never a 500."""

from __future__ import annotations

import pytest
from gateway_harness import Platform

pytestmark = pytest.mark.integration

REGISTER = "/api/identity/auth/register"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"username": "abcdefg", ', "application/json", 422),
        (b"\x00\x01\x02", "application/json", 422),
        (b"\xef\xbb\xbf{}", "application/json", 422),  # a byte-order mark
        (
            b'{"username": "\\udfff\\ud800abcdefg", "password": "a1!aaaaa", "password_confirm": "a1!aaaaa"}',
            "application/json",
            422,
        ),
        (
            '{"username": "碳效码碳效码碳", "password": "a1!aaaaa", "password_confirm": "a1!aaaaa"}'.encode(),
            "application/json",
            422,
        ),
        (
            b'{"username": "abc\\u202edefg", "password": "a1!aaaaa", "password_confirm": "a1!aaaaa"}',
            "application/json",
            422,
        ),
        (b'{"username": ["abcdefg"], "password": null, "password_confirm": {}}', "application/json", 422),
        (
            b'{"username": "abcdefg", "password": "a1!aaaaa", "password_confirm": "a1!aaaaa", "x": 1}',
            "application/json",
            422,
        ),
        (b"[" * 5000 + b"]" * 5000, "application/json", 400),  # too deep to parse
        (b"username=abcdefg", "application/x-www-form-urlencoded", 415),
        (b"<xml/>", "application/xml", 415),
        (b"{}", "", 415),
    ],
)
async def test_malformed_bodies(platform: Platform, content: bytes, content_type: str, status: int) -> None:
    headers = {"content-type": content_type} if content_type else {}
    async with platform.client() as client:
        response = await client.post(REGISTER, content=content, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


async def test_oversized_bodies_are_413(platform: Platform) -> None:
    big = b"x" * (3 * 1024 * 1024)

    async def chunked():  # no Content-Length: the gateway counts while it streams
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    async with platform.client() as client:
        declared = await client.post("/api/streamer/echo", content=big)
        streamed = await client.post("/api/streamer/echo", content=chunked())
        to_identity = await client.post(
            REGISTER, content=b"{" + b" " * 100_000 + b"}", headers={"content-type": "application/json"}
        )
    for response in (declared, streamed, to_identity):
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "path",
    [
        "/api/identity/%F0%9F%98%80",
        "/api/identity/%FF%FE",
        "/api/%E7%A2%B3/x",
        "/api/identity/me%00",
        "/api/",
        "/api/identity/auth/login?%FF=%FE",
    ],
)
async def test_odd_paths(platform: Platform, path: str) -> None:
    async with platform.client() as client:
        response = await client.get(path)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer abc", "Bearer a.b.c", "Bearer eyJhbGciOiJub25lIn0.e30.", "Basic dXNlcjpwYXNz"],
)
async def test_bad_tokens(platform: Platform, authorization: str) -> None:
    async with platform.client() as client:
        response = await client.get("/api/ledger/whoami", headers={"Authorization": authorization})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_non_latin_header_bytes(platform: Platform) -> None:
    async with platform.client() as client:
        response = await client.get(
            "/api/ledger/whoami",
            headers=[(b"Authorization", "Bearer 碳效码".encode()), (b"X-Request-ID", "请求".encode())],
        )
    assert response.status_code == 401
    assert response.headers["x-request-id"].isascii()
