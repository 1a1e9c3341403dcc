"""Through the gateway, against a real identity: registration, login, forced change, revocation, lockout,
expiry, key rotation, verification by another service, and the authorisation matrix."""

from __future__ import annotations

import uuid

import httpx
import jwt
import pytest
from gateway_harness import (
    ENTERPRISE_A,
    ENTERPRISE_B,
    ENTERPRISE_C,
    NEW_PASSWORD,
    PASSWORD,
    Platform,
    bearer,
    from_address,
    login,
    registered_and_changed,
)

from carbonid_kit.testing import wait_until

pytestmark = pytest.mark.integration


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"


def address() -> str:
    return f"198.51.100.{uuid.uuid4().int % 250 + 1}"


@pytest.mark.parametrize(
    ("username", "password", "confirm", "status", "code"),
    [
        ("u" * 6, "abc12345", "abc12345", 422, "username-too-short"),
        (None, "abc12345", "abc12345", 201, None),  # 7-character name
        ("u" * 15, "abc12345", "abc12345", 201, None),
        ("u" * 16, "abc12345", "abc12345", 422, "username-too-long"),
        (None, "abc1234", "abc1234", 422, "password-length"),
        (None, "abcdefgh1234567!", "abcdefgh1234567!", 201, None),
        (None, "abcdefgh1234567!x", "abcdefgh1234567!x", 422, "password-length"),
        (None, "abcdefgh", "abcdefgh", 422, "password-composition"),
        (None, "abc12345", "abc12346", 422, "password-mismatch"),
        (None, "abc 12345", "abc 12345", 422, "password-characters"),
        ("用户名用户名用户", "abc12345", "abc12345", 422, "username-characters"),
    ],
)
async def test_registration_rules_through_the_gateway(
    platform: Platform, username: str | None, password: str, confirm: str, status: int, code: str | None
) -> None:
    name = username or unique("r")  # 7 characters
    if status == 201 and username is not None:
        name = uuid.uuid4().hex[: len(username)]
    async with platform.client() as client:
        response = await client.post(
            "/api/identity/auth/register", json={"username": name, "password": password, "password_confirm": confirm}
        )
    assert response.status_code == status, response.text
    if code:
        assert response.headers["content-type"] == "application/problem+json"
        assert code in {e["code"] for e in response.json()["errors"]}


async def test_case_insensitive_uniqueness_through_the_gateway(platform: Platform) -> None:
    name = unique("Case_")
    body = {"username": name, "password": PASSWORD, "password_confirm": PASSWORD}
    async with platform.client() as client:
        assert (await client.post("/api/identity/auth/register", json=body)).status_code == 201
        again = await client.post("/api/identity/auth/register", json={**body, "username": name.swapcase()})
    assert again.status_code == 409


async def test_forced_change_is_enforced_at_the_gateway_and_the_service(platform: Platform) -> None:
    name = unique("forced")
    async with platform.client() as client:
        body = {"username": name, "password": PASSWORD, "password_confirm": PASSWORD}
        assert (await client.post("/api/identity/auth/register", json=body)).status_code == 201
        first = (await login(client, name)).json()
        assert first["must_change_password"] is True
        refused = await client.get("/api/ledger/whoami", headers=bearer(first))
        assert refused.status_code == 403
        assert refused.json()["type"] == "urn:carbonid:problem:password-change-required"
        assert (await client.get("/api/identity/me", headers=bearer(first))).status_code == 200
        admin = await client.get("/api/identity/admin/users", headers=bearer(first))
        assert admin.json()["type"] == "urn:carbonid:problem:password-change-required"
        change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}
        assert (await client.post("/api/identity/auth/password", json=change, headers=bearer(first))).status_code == 200
        # Revoked: the old refresh token, and the old access token at identity (other services refuse it for
        # its pwd_change claim).
        old_refresh = await client.post("/api/identity/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert old_refresh.status_code == 401
        assert (await client.get("/api/identity/me", headers=bearer(first))).status_code == 401
        assert (await client.get("/api/ledger/whoami", headers=bearer(first))).status_code == 403
        second = (await login(client, name, NEW_PASSWORD)).json()
        whoami = await client.get("/api/ledger/whoami", headers=bearer(second))
    assert whoami.status_code == 200
    assert whoami.json()["role"] == "enterprise"


async def test_another_service_verifies_tokens_with_identity_jwks(platform: Platform) -> None:
    name = unique("verify")
    async with platform.client() as client:
        tokens = await registered_and_changed(client, name)
        whoami = await client.get("/api/ledger/whoami", headers=bearer(tokens))
        assert whoami.status_code == 200
        assert (
            whoami.json()["user_id"] == jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"]
        )
        forged = tokens["access_token"][:-4] + ("AAAA" if not tokens["access_token"].endswith("AAAA") else "BBBB")
        refused = await client.get("/api/ledger/whoami", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401
    # The service refuses the forged token by itself too (the gateway is not the only check).
    async with httpx.AsyncClient(base_url=platform.servers[1].url) as direct:
        assert (await direct.get("/whoami", headers={"Authorization": f"Bearer {forged}"})).status_code == 401
        assert (await direct.get("/whoami", headers=bearer(tokens))).status_code == 200


async def test_account_lockout_through_the_gateway(platform: Platform) -> None:
    name = unique("locked")
    async with platform.client() as client:
        await registered_and_changed(client, name)
        for _ in range(5):
            wrong = await login(client, name, "Wrong-pass1", headers=from_address(address()))
            assert wrong.status_code == 401
        locked = await login(client, name, NEW_PASSWORD, headers=from_address(address()))
        unknown = await login(client, unique("nobody"), NEW_PASSWORD, headers=from_address(address()))
    assert locked.status_code == unknown.status_code == 401
    assert locked.json()["type"] == unknown.json()["type"] == "urn:carbonid:problem:invalid-credentials"
    assert locked.json()["detail"] == unknown.json()["detail"]


async def test_address_throttle_through_the_gateway(platform: Platform) -> None:
    attacker = address()
    async with platform.client() as client:
        for i in range(20):
            response = await login(client, unique(f"spray{i}"), "Wrong-pass1", headers=from_address(attacker))
            assert response.status_code == 401
        throttled = await login(client, unique("spray"), "Wrong-pass1", headers=from_address(attacker))
        elsewhere = await login(client, unique("spray"), "Wrong-pass1", headers=from_address(address()))
    assert throttled.status_code == 429
    assert throttled.headers["content-type"] == "application/problem+json"
    assert int(throttled.headers["retry-after"]) > 0
    assert elsewhere.status_code == 401


async def test_expired_token_is_refused(platform: Platform) -> None:
    name = unique("expire")
    async with platform.client() as client:
        await registered_and_changed(client, name)
        platform.identity_clock.offset = -platform.identity_clock.offset.__class__(minutes=16)
        try:
            stale = (await login(client, name, NEW_PASSWORD)).json()
        finally:
            platform.identity_clock.offset = platform.identity_clock.offset.__class__()
        refused = await client.get("/api/ledger/whoami", headers=bearer(stale))
    assert refused.status_code == 401
    assert refused.json()["type"] == "urn:carbonid:problem:token-expired"


async def test_key_rotation_keeps_old_tokens_valid(platform: Platform) -> None:
    operator = unique("oper")
    await platform.create_account(operator, "operator")
    async with platform.client() as client:
        old = (await login(client, operator)).json()
        assert (await client.get("/api/ledger/whoami", headers=bearer(old))).status_code == 200
        rotated = await client.post("/api/identity/admin/keys/rotate", headers=bearer(old))
        assert rotated.status_code == 200
        new = (await login(client, operator)).json()
        assert jwt.get_unverified_header(new["access_token"])["kid"] == rotated.json()["kid"]

        async def new_token_accepted() -> bool:
            # The kit's verifier refetches the JWKS for an unknown key id at most once a second.
            return (await client.get("/api/ledger/whoami", headers=bearer(new))).status_code == 200

        await wait_until(new_token_accepted, timeout=5, what="new key accepted")
        assert (await client.get("/api/ledger/whoami", headers=bearer(old))).status_code == 200
        kids = {k["kid"] for k in (await client.get("/api/identity/.well-known/jwks.json")).json()["keys"]}
    assert {jwt.get_unverified_header(t["access_token"])["kid"] for t in (old, new)} <= kids


# --- the authorisation matrix ---------------------------------------------------------------------------------

ROWS = ["enterprise A", "enterprise B", "unbound enterprise", "province 330000", "city 330500",
        "other province 320000", "operator", "anonymous"]  # fmt: skip
# Which enterprise records each caller may read (A: Huzhou 330502, B: Nanjing 320102, C: Hangzhou 330106).
ALLOWED: dict[str, set[uuid.UUID]] = {
    "enterprise A": {ENTERPRISE_A},
    "enterprise B": {ENTERPRISE_B},
    "unbound enterprise": set(),
    "province 330000": {ENTERPRISE_A, ENTERPRISE_C},
    "city 330500": {ENTERPRISE_A},
    "other province 320000": {ENTERPRISE_B},
    "operator": {ENTERPRISE_A, ENTERPRISE_B, ENTERPRISE_C},
    "anonymous": set(),
}


async def callers(platform: Platform, client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {"anonymous": {}}
    for label, enterprise in (("enterprise A", ENTERPRISE_A), ("enterprise B", ENTERPRISE_B)):
        tokens = await registered_and_changed(client, unique("ent"))
        me = (await client.get("/api/identity/me", headers=bearer(tokens))).json()
        await platform.bind(me["id"], enterprise)
        refreshed = await client.post("/api/identity/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        out[label] = bearer(refreshed.json())
    out["unbound enterprise"] = bearer(await registered_and_changed(client, unique("ent")))
    for label, region in (
        ("province 330000", "330000"),
        ("city 330500", "330500"),
        ("other province 320000", "320000"),
    ):
        name = unique("gov")
        await platform.create_account(name, "government", region)
        out[label] = bearer((await login(client, name)).json())
    name = unique("op")
    await platform.create_account(name, "operator")
    out["operator"] = bearer((await login(client, name)).json())
    return out


async def test_authorisation_matrix(platform: Platform) -> None:
    async with platform.client() as client:
        headers = await callers(platform, client)
        refused_cells = 0
        for row in ROWS:
            for enterprise in (ENTERPRISE_A, ENTERPRISE_B, ENTERPRISE_C):
                response = await client.get(f"/api/ledger/enterprises/{enterprise}", headers=headers[row])
                if enterprise in ALLOWED[row]:
                    assert response.status_code == 200, (row, enterprise, response.text)
                else:
                    refused_cells += 1
                    expected = 401 if row == "anonymous" else 403
                    assert response.status_code == expected, (row, enterprise, response.text)
                    assert response.headers["content-type"] == "application/problem+json"
            page = await client.get(f"/api/ledger/certificates/{uuid.uuid4()}", headers=headers[row])
            assert page.status_code == 200, (row, page.text)  # certificate pages are public
    assert refused_cells == 15  # 8 callers × 3 enterprises − 9 allowed cells: every forbidden one was refused


async def test_client_cannot_pose_as_a_service_or_another_user(platform: Platform) -> None:
    async with platform.client() as client:
        internal = await client.get(
            f"/api/identity/internal/users/{uuid.uuid4()}",
            headers={"X-Carbonid-Service-Token": "gateway-test-service-token"},
        )
        assert internal.status_code == 404
        sneaky = await client.get(
            "/api/identity/x/%2e%2e/internal/users", headers={"X-Carbonid-Service-Token": "gateway-test-service-token"}
        )
        assert sneaky.status_code in (400, 404)
