"""Identity's HTTP API against a real PostgreSQL: registration, login, forced change, sessions, keys."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from identity_harness import (
    NEW_PASSWORD,
    PASSWORD,
    SERVICE_TOKEN,
    IdentityUnderTest,
    bearer,
    change_password,
    login,
    problem_codes,
    ready_user,
    register,
)
from pydantic import ValidationError

from carbonid_identity.config import IdentitySettings
from carbonid_identity.main import SeedFile, inline_password_refusal

pytestmark = pytest.mark.integration


def claims_of(tokens: dict[str, Any]) -> dict[str, Any]:
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})


# --- registration -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password", "confirm", "status", "codes"),
    [
        ("abcdefg", "abc12345", "abc12345", 201, set()),  # username 7, password 8
        ("abcdefghijklmno", "abcdefgh1234567!", "abcdefgh1234567!", 201, set()),  # 15 and 16
        ("abcdef", "abc12345", "abc12345", 422, {"username-too-short"}),  # 6
        ("abcdefghijklmnop", "abc12345", "abc12345", 422, {"username-too-long"}),  # 16
        ("abcdefg", "abc1234", "abc1234", 422, {"password-length"}),  # 7
        ("abcdefg", "abcdefgh1234567!x", "abcdefgh1234567!x", 422, {"password-length"}),  # 17
        ("abcdefg", "abcdefgh", "abcdefgh", 422, {"password-composition"}),
        ("abcdefg", "12345678", "12345678", 422, {"password-composition"}),
        ("abcdefg", "abcd!@#$", "abcd!@#$", 201, set()),
        ("abcdefg", "abc12345", "abc12346", 422, {"password-mismatch"}),
        ("用户名用户名用户", "abc12345", "abc12345", 422, {"username-characters"}),
        ("ａｂｃｄｅｆｇ", "abc12345", "abc12345", 422, {"username-characters"}),
        ("abc\u200bdefg", "abc12345", "abc12345", 422, {"username-characters"}),
        ("abcdefg", "pässwörd12", "pässwörd12", 422, {"password-characters"}),
        (
            "abc",
            "abc",
            "x",
            422,
            {"username-too-short", "password-length", "password-composition", "password-mismatch"},
        ),
    ],
)
async def test_registration_rules(
    identity: IdentityUnderTest, username: str, password: str, confirm: str, status: int, codes: set[str]
) -> None:
    response = await identity.client.post(
        "/auth/register",
        json={"username": username, "password": password, "password_confirm": confirm},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == status, response.text
    if status == 422:
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["type"] == "urn:carbonid:problem:validation-error"
        assert problem_codes(response) == codes
        for error in body["errors"]:
            assert error["message_zh"] != error["message_en"]
            assert error["pointer"].startswith("/")
    else:
        assert response.json()["role"] == "enterprise"
        assert response.json()["must_change_password"] is True


async def test_usernames_are_unique_case_insensitively(identity: IdentityUnderTest) -> None:
    assert (await register(identity.client, "Alice_01")).status_code == 201
    again = await register(identity.client, "aLICE_01")
    assert again.status_code == 409
    assert again.json()["type"] == "urn:carbonid:problem:username-taken"
    assert problem_codes(again) == {"username-taken"}


async def test_concurrent_registrations_of_one_name_create_one_account(identity: IdentityUnderTest) -> None:
    results = await asyncio.gather(*(register(identity.client, f"Racer_0{i % 2}X".upper()) for i in range(6)))
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(201) == 2  # RACER_00X and RACER_01X
    assert all(s in (201, 409) for s in statuses)


async def test_self_registration_cannot_choose_a_role(identity: IdentityUnderTest) -> None:
    response = await identity.client.post(
        "/auth/register",
        json={"username": "sneaky01", "password": PASSWORD, "password_confirm": PASSWORD, "role": "operator"},
    )
    assert response.status_code == 422
    assert problem_codes(response) == {"extra_forbidden"}


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"username": "abcdefg"', "application/json", 422),  # truncated JSON
        (b"not json at all", "application/json", 422),
        (b"[]", "application/json", 422),
        (b'"a string"', "application/json", 422),
        (
            b'{"username": "\\ud800abcdefg", "password": "abc12345", "password_confirm": "abc12345"}',
            "application/json",
            422,
        ),
        (
            b'{"username": "abcdefg\\u0000", "password": "abc12345", "password_confirm": "abc12345"}',
            "application/json",
            422,
        ),
        (b'{"username": 1234567, "password": "abc12345", "password_confirm": "abc12345"}', "application/json", 422),
        (b"username=abcdefg&password=abc12345", "application/x-www-form-urlencoded", 415),
        (b'{"username": "abcdefg"}', "text/plain", 415),
        (b"\xff\xfe\x00garbage", "application/json", 422),
        (b"{" + b'"a":' * 10 + b"1}", "application/json", 422),
    ],
)
async def test_bad_input_is_a_4xx_problem(
    identity: IdentityUnderTest, content: bytes, content_type: str, status: int
) -> None:
    response = await identity.client.post("/auth/register", content=content, headers={"content-type": content_type})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_oversized_body_is_refused(identity: IdentityUnderTest) -> None:
    big = b'{"username": "' + b"a" * 70_000 + b'"}'
    response = await identity.client.post("/auth/register", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


# --- login and the forced password change -------------------------------------------------------------------


async def test_login_issues_tokens_with_the_documented_claims(identity: IdentityUnderTest) -> None:
    await register(identity.client, "claimer01")
    response = await login(identity.client, "CLAIMER01")  # usernames log in case-insensitively
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("no-store")
    tokens = response.json()
    assert tokens["expires_in"] == 900
    claims = claims_of(tokens)
    assert set(claims) == {"sub", "name", "role", "pwd_change", "typ", "iss", "aud", "iat", "exp"}
    assert claims["role"] == "enterprise"
    assert claims["pwd_change"] is True
    assert claims["typ"] == "access"
    assert (claims["iss"], claims["aud"]) == ("carbonid-identity", "carbonid")
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "EdDSA"
    jwks = (await identity.client.get("/.well-known/jwks.json")).json()
    assert header["kid"] in {k["kid"] for k in jwks["keys"]}
    key = jwt.PyJWK.from_dict(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))
    jwt.decode(tokens["access_token"], key=key, algorithms=["EdDSA"], audience="carbonid")


async def test_wrong_password_unknown_user_and_lockout_answer_alike(identity: IdentityUnderTest) -> None:
    await register(identity.client, "victim001")
    wrong = await login(identity.client, "victim001", "Wrong-pass1")
    unknown = await login(identity.client, "nobody0001", "Wrong-pass1")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json()["type"] == "urn:carbonid:problem:invalid-credentials"
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_forced_change_then_everything_else_is_refused_until_done(identity: IdentityUnderTest) -> None:
    await register(identity.client, "forced001")
    first = (await login(identity.client, "forced001")).json()
    assert first["must_change_password"] is True
    me = await identity.client.get("/me", headers=bearer(first))
    assert me.status_code == 200  # allowed while the change is pending
    admin = await identity.client.get("/admin/users", headers=bearer(first))
    assert admin.status_code == 403
    assert admin.json()["type"] == "urn:carbonid:problem:password-change-required"

    same = await change_password(identity.client, first, PASSWORD, PASSWORD)
    assert same.status_code == 422
    assert problem_codes(same) == {"password-unchanged"}
    wrong_old = await change_password(identity.client, first, "Not-the-old1", NEW_PASSWORD)
    assert wrong_old.status_code == 422
    assert problem_codes(wrong_old) == {"wrong-password"}
    weak = await change_password(identity.client, first, PASSWORD, "weakweak")
    assert problem_codes(weak) == {"password-composition"}

    done = await change_password(identity.client, first)
    assert done.status_code == 200
    assert done.json()["relogin_required"] is True
    # Every session ended: the old access token and the old refresh token are refused by identity.
    assert (await identity.client.get("/me", headers=bearer(first))).status_code == 401
    refreshed = await identity.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 401
    assert (await login(identity.client, "forced001", PASSWORD)).status_code == 401
    second = (await login(identity.client, "forced001", NEW_PASSWORD)).json()
    assert second["must_change_password"] is False
    assert claims_of(second)["pwd_change"] is False
    me = await identity.client.get("/me", headers=bearer(second))
    assert me.status_code == 200


async def test_password_change_revokes_every_session(identity: IdentityUnderTest) -> None:
    tokens = await ready_user(identity.client, "multi0001")
    other = (await login(identity.client, "multi0001", NEW_PASSWORD)).json()
    assert (await change_password(identity.client, tokens, NEW_PASSWORD, "Third-789x")).status_code == 200
    for session in (tokens, other):
        assert (await identity.client.get("/me", headers=bearer(session))).status_code == 401
        again = await identity.client.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
        assert again.status_code == 401


# --- refresh tokens ---------------------------------------------------------------------------------------


async def test_refresh_rotates_and_reuse_revokes_the_family(identity: IdentityUnderTest) -> None:
    tokens = await ready_user(identity.client, "rotator01")
    first = await identity.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    reuse = await identity.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reuse.status_code == 401
    assert reuse.json()["type"] == "urn:carbonid:problem:refresh-token-reused"
    # The thief's replay killed the family: the legitimate newer token is refused too.
    after = await identity.client.post("/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401


async def test_logout_ends_the_session(identity: IdentityUnderTest) -> None:
    tokens = await ready_user(identity.client, "leaver001")
    response = await identity.client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 204
    again = await identity.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401
    assert (await identity.client.post("/auth/logout")).status_code == 401


# --- throttling ---------------------------------------------------------------------------------------------


async def test_account_lockout_after_five_failures_and_its_end(identity: IdentityUnderTest) -> None:
    await register(identity.client, "lockme001")
    for _ in range(5):
        assert (await login(identity.client, "lockme001", "Wrong-pass1")).status_code == 401
    locked = await login(identity.client, "lockme001")  # the right password, but locked
    assert locked.status_code == 401
    assert locked.json()["type"] == "urn:carbonid:problem:invalid-credentials"
    identity.clock.advance(minutes=16)
    assert (await login(identity.client, "lockme001")).status_code == 200


async def test_a_burst_of_concurrent_guesses_checks_no_more_passwords_than_the_lockout_allows(
    identity: IdentityUnderTest,
) -> None:
    """The attempt is reserved before the password is checked: of 20 guesses at once, at most 5 are checked
    (the old code read "not locked" for all 20 before counting any, and checked every one)."""
    await register(identity.client, "raceme001")
    state = identity.app.state.identity
    checked: list[str] = []
    real_verify = state.passwords.verify

    async def counting(stored_hash: str | None, password: str) -> bool:
        if stored_hash is not None:
            checked.append(password)
        return bool(await real_verify(stored_hash, password))

    state.passwords.verify = counting
    try:
        answers = await asyncio.gather(*(login(identity.client, "raceme001", f"Guess-{i:04d}x") for i in range(20)))
    finally:
        state.passwords.verify = real_verify
    assert {a.status_code for a in answers} == {401}
    assert len(checked) <= 5, len(checked)
    # Locked now: even the right password is not checked, and a password change cannot be used to guess.
    assert (await login(identity.client, "raceme001")).status_code == 401


async def test_password_change_counts_towards_the_lockout(identity: IdentityUnderTest) -> None:
    tokens = await ready_user(identity.client, "guesser01")
    for i in range(5):
        wrong = await change_password(identity.client, tokens, old=f"Wrong-{i}pass", new="Another-789")
        assert wrong.status_code == 422
    refused = await change_password(identity.client, tokens, old=NEW_PASSWORD, new="Another-789")
    assert refused.status_code == 422
    assert "account-locked" in problem_codes(refused)
    assert (await login(identity.client, "guesser01", NEW_PASSWORD)).status_code == 401
    identity.clock.advance(minutes=16)
    assert (await login(identity.client, "guesser01", NEW_PASSWORD)).status_code == 200


async def test_registrations_are_throttled_per_address(make_identity: Any) -> None:
    identity: IdentityUnderTest = await make_identity(register_address_max=3)
    for i in range(2):
        assert (await register(identity.client, f"bulkuser{i}")).status_code == 201
    assert (await register(identity.client, "bulkuser0")).status_code == 409  # probing a name counts too
    refused = await register(identity.client, "bulkuser9")
    assert refused.status_code == 429
    assert refused.json()["type"] == "urn:carbonid:problem:too-many-registrations"
    assert int(refused.headers["retry-after"]) > 0
    identity.clock.advance(minutes=16)
    assert (await register(identity.client, "bulkuser9")).status_code == 201


async def test_unknown_usernames_lock_the_same_way(identity: IdentityUnderTest) -> None:
    for _ in range(6):
        response = await login(identity.client, "ghost0001", "Wrong-pass1")
        assert response.status_code == 401  # never a different answer for a name that does not exist


async def test_address_throttle_answers_429_with_retry_after(make_identity: Any) -> None:
    identity: IdentityUnderTest = await make_identity(login_address_max_failures=3)
    await register(identity.client, "spray0001")
    for i in range(3):
        assert (await login(identity.client, f"spray000{i}", "Wrong-pass1")).status_code == 401
    throttled = await login(identity.client, "spray0001")
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert throttled.json()["type"] == "urn:carbonid:problem:too-many-login-attempts"
    identity.clock.advance(minutes=16)
    assert (await login(identity.client, "spray0001")).status_code == 200


async def test_forwarded_address_is_believed_only_from_trusted_proxies(make_identity: Any) -> None:
    identity: IdentityUnderTest = await make_identity(login_address_max_failures=2, trusted_proxies=["127.0.0.1"])
    # ASGITransport's peer is 127.0.0.1: a trusted proxy, so X-Forwarded-For names the client.
    for _ in range(2):
        await identity.client.post(
            "/auth/login", json={"username": "someone01", "password": "x"}, headers={"X-Forwarded-For": "203.0.113.9"}
        )
    blocked = await identity.client.post(
        "/auth/login", json={"username": "someone01", "password": "x"}, headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert blocked.status_code == 429
    other = await identity.client.post(
        "/auth/login", json={"username": "someone01", "password": "x"}, headers={"X-Forwarded-For": "203.0.113.10"}
    )
    assert other.status_code == 401


# --- expiry and keys ----------------------------------------------------------------------------------------


async def test_access_token_expires(identity: IdentityUnderTest) -> None:
    tokens = await ready_user(identity.client, "expirer01")
    assert (await identity.client.get("/me", headers=bearer(tokens))).status_code == 200
    identity.clock.advance(seconds=901)
    expired = await identity.client.get("/me", headers=bearer(tokens))
    assert expired.status_code == 401
    assert expired.json()["type"] == "urn:carbonid:problem:token-expired"


async def operator_tokens(identity: IdentityUnderTest, username: str = "operator01") -> dict[str, Any]:
    from carbonid_identity.accounts import NewAccount, create_account
    from carbonid_kit.db import transaction

    ctx = identity.app.state.identity
    async with transaction(ctx.sessions) as session:
        await create_account(ctx, session, NewAccount(username, PASSWORD, "operator", must_change_password=False))
    tokens: dict[str, Any] = (await login(identity.client, username)).json()
    return tokens


async def test_rotation_keeps_old_tokens_valid_until_they_expire(identity: IdentityUnderTest) -> None:
    operator = await operator_tokens(identity)
    old_kid = jwt.get_unverified_header(operator["access_token"])["kid"]
    rotated = await identity.client.post("/admin/keys/rotate", headers=bearer(operator))
    assert rotated.status_code == 200
    new_kid = rotated.json()["kid"]
    assert new_kid != old_kid
    kids = {k["kid"] for k in (await identity.client.get("/.well-known/jwks.json")).json()["keys"]}
    assert kids == {old_kid, new_kid}
    assert (await identity.client.get("/me", headers=bearer(operator))).status_code == 200  # old key still valid
    fresh = (await login(identity.client, "operator01")).json()
    assert jwt.get_unverified_header(fresh["access_token"])["kid"] == new_kid
    # Once every token of the old key has expired, the key leaves the JWKS.
    identity.clock.advance(seconds=900 + 61)
    kids = {k["kid"] for k in (await identity.client.get("/.well-known/jwks.json")).json()["keys"]}
    assert kids == {new_kid}
    assert (await identity.client.get("/me", headers=bearer(operator))).status_code == 401
    audit = await identity.client.get(
        "/admin/audit",
        params={"action": "keys.rotated"},
        headers=bearer((await login(identity.client, "operator01")).json()),
    )
    assert [e["details"]["kid"] for e in audit.json()] == [new_kid]


async def test_signing_key_rotates_itself_by_age(identity: IdentityUnderTest) -> None:
    await register(identity.client, "ager00001")
    first = (await login(identity.client, "ager00001")).json()
    identity.clock.advance(days=31)
    second = (await login(identity.client, "ager00001")).json()
    assert (
        jwt.get_unverified_header(first["access_token"])["kid"]
        != jwt.get_unverified_header(second["access_token"])["kid"]
    )


async def test_only_operators_rotate_keys(identity: IdentityUnderTest) -> None:
    tokens = await ready_user(identity.client, "plainuser")
    assert (await identity.client.post("/admin/keys/rotate", headers=bearer(tokens))).status_code == 403
    assert (await identity.client.post("/admin/keys/rotate")).status_code == 401


# --- built-in accounts, roles and scopes, audit ---------------------------------------------------------------


async def test_operator_creates_government_accounts_with_valid_scopes(identity: IdentityUnderTest) -> None:
    operator = await operator_tokens(identity)
    body = {"username": "huzhou_gov", "password": PASSWORD, "role": "government", "region_scope": "330500"}
    created = await identity.client.post("/admin/users", json=body, headers=bearer(operator))
    assert created.status_code == 201
    assert created.json()["must_change_password"] is True
    for scope, code in ((None, "scope-required"), ("100000", "unknown-region"), ("330599", "unknown-region")):
        bad = await identity.client.post(
            "/admin/users", json={**body, "username": "bad_gov01", "region_scope": scope}, headers=bearer(operator)
        )
        assert bad.status_code == 422
        assert problem_codes(bad) == {code}
    gov = (await login(identity.client, "huzhou_gov")).json()
    await change_password(identity.client, gov)
    gov = (await login(identity.client, "huzhou_gov", NEW_PASSWORD)).json()
    assert claims_of(gov)["region"] == "330500"
    assert "ent" not in claims_of(gov)

    user_id = created.json()["id"]
    moved = await identity.client.patch(
        f"/admin/users/{user_id}", json={"region_scope": "330000"}, headers=bearer(operator)
    )
    assert moved.status_code == 200
    assert moved.json()["region_scope"] == "330000"
    # A scope change ends the account's sessions so that no token keeps the old scope for long.
    assert (
        await identity.client.post("/auth/refresh", json={"refresh_token": gov["refresh_token"]})
    ).status_code == 401
    audit = (await identity.client.get("/admin/audit", params={"subject": user_id}, headers=bearer(operator))).json()
    actions = [e["action"] for e in audit]
    assert "user.scope_changed" in actions
    assert "user.created" in actions
    assert "password.changed" in actions
    assert "login.succeeded" in actions
    scope_change = next(e for e in audit if e["action"] == "user.scope_changed")
    assert scope_change["details"] == {"before": "330500", "after": "330000"}
    assert scope_change["actor_user_id"] is not None
    enterprise = await ready_user(identity.client, "entuser01")
    me = (await identity.client.get("/me", headers=bearer(enterprise))).json()
    refused = await identity.client.patch(
        f"/admin/users/{me['id']}", json={"role": "operator"}, headers=bearer(operator)
    )
    assert refused.status_code == 422
    assert problem_codes(refused) == {"role-change-not-allowed"}


async def test_audit_records_failed_logins(identity: IdentityUnderTest) -> None:
    operator = await operator_tokens(identity)
    await login(identity.client, "operator01", "Wrong-pass1")
    audit = (
        await identity.client.get("/admin/audit", params={"action": "login.failed"}, headers=bearer(operator))
    ).json()
    assert len(audit) == 1
    assert audit[0]["details"]["username_attempted"] == "operator01"
    assert audit[0]["client_address"] == "127.0.0.1"


# --- internal: enterprise binding -----------------------------------------------------------------------------


async def test_enterprise_binding_is_at_most_one_and_reaches_the_next_token(identity: IdentityUnderTest) -> None:
    tokens = await ready_user(identity.client, "binder001")
    user_id = (await identity.client.get("/me", headers=bearer(tokens))).json()["id"]
    enterprise = uuid.uuid4()
    body = {"enterprise_id": str(enterprise), "identifier_prefix": "88.118.8", "region_code": "330502"}
    service = {"X-Carbonid-Service-Token": SERVICE_TOKEN}
    assert (await identity.client.post(f"/internal/users/{user_id}/enterprise", json=body)).status_code == 403
    wrong = {"X-Carbonid-Service-Token": "guess"}
    assert (
        await identity.client.post(f"/internal/users/{user_id}/enterprise", json=body, headers=wrong)
    ).status_code == 403
    first = await identity.client.post(f"/internal/users/{user_id}/enterprise", json=body, headers=service)
    assert first.status_code == 201
    again = await identity.client.post(f"/internal/users/{user_id}/enterprise", json=body, headers=service)
    assert again.status_code == 200
    assert again.json()["newly_bound"] is False
    other = {**body, "enterprise_id": str(uuid.uuid4())}
    conflict = await identity.client.post(f"/internal/users/{user_id}/enterprise", json=other, headers=service)
    assert conflict.status_code == 409
    bad_region = {**body, "region_code": "999999"}
    assert (
        await identity.client.post(f"/internal/users/{user_id}/enterprise", json=bad_region, headers=service)
    ).status_code == 422
    missing = await identity.client.post(f"/internal/users/{uuid.uuid4()}/enterprise", json=body, headers=service)
    assert missing.status_code == 404
    refreshed = (await identity.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).json()
    assert claims_of(refreshed)["ent"] == str(enterprise)
    assert "ent" not in claims_of(tokens)
    looked_up = await identity.client.get(f"/internal/users/{user_id}", headers=service)
    assert looked_up.json()["enterprise_id"] == str(enterprise)
    assert looked_up.json()["identifier_prefix"] == "88.118.8"


# --- settings -------------------------------------------------------------------------------------------------


def test_default_key_encryption_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="CARBONID_KEY_ENCRYPTION_SECRET"):
        IdentitySettings(environment="production", service_token="real-service-token")
    settings = IdentitySettings(
        environment="production", service_token="real-service-token", key_encryption_secret="a-real-secret-value"
    )
    assert settings.key_encryption_secret.get_secret_value() == "a-real-secret-value"


async def test_unbinding_ends_the_sessions_and_finding_by_name_is_for_services(identity: IdentityUnderTest) -> None:
    tokens = await ready_user(identity.client, "unbinder01")
    user_id = (await identity.client.get("/me", headers=bearer(tokens))).json()["id"]
    enterprise = uuid.uuid4()
    service = {"X-Carbonid-Service-Token": SERVICE_TOKEN}
    body = {"enterprise_id": str(enterprise), "identifier_prefix": "88.118.8", "region_code": "330502"}
    assert (
        await identity.client.post(f"/internal/users/{user_id}/enterprise", json=body, headers=service)
    ).status_code == 201
    bound = (await identity.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).json()
    assert claims_of(bound)["ent"] == str(enterprise)

    found = await identity.client.get("/internal/users", params={"username": "UNBINDER01"}, headers=service)
    assert (found.status_code, found.json()["id"]) == (200, user_id)
    assert (await identity.client.get("/internal/users", params={"username": "unbinder01"})).status_code == 403
    nobody = await identity.client.get("/internal/users", params={"username": "nobody0001"}, headers=service)
    assert nobody.status_code == 404

    unbind = f"/internal/users/{user_id}/enterprise/unbind"
    other = {"enterprise_id": str(uuid.uuid4())}
    assert (await identity.client.post(unbind, json=other, headers=service)).status_code == 204
    assert (await identity.client.get("/me", headers=bearer(bound))).status_code == 200  # not that enterprise
    assert (await identity.client.post(unbind, json={"enterprise_id": str(enterprise)})).status_code == 403
    assert (
        await identity.client.post(unbind, json={"enterprise_id": str(enterprise), "actor": user_id}, headers=service)
    ).status_code == 204
    assert (await identity.client.get("/me", headers=bearer(bound))).status_code == 401  # every session ended
    stale = await identity.client.post("/auth/refresh", json={"refresh_token": bound["refresh_token"]})
    assert stale.status_code == 401
    again = await login(identity.client, "unbinder01", NEW_PASSWORD)
    assert again.status_code == 200, again.text
    assert "ent" not in claims_of(again.json())
    looked_up = (await identity.client.get(f"/internal/users/{user_id}", headers=service)).json()
    assert (looked_up["enterprise_id"], looked_up["identifier_prefix"]) == (None, None)


async def test_revocations_list_who_changed_since_a_time_for_services(identity: IdentityUnderTest) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    tokens = await ready_user(identity.client, "revoked001")  # the forced change set its valid-after
    user_id = (await identity.client.get("/me", headers=bearer(tokens))).json()["id"]
    service = {"X-Carbonid-Service-Token": SERVICE_TOKEN}
    path = "/internal/revocations"
    assert (await identity.client.get(path, params={"since": before.isoformat()})).status_code == 403
    listed = await identity.client.get(path, params={"since": before.isoformat()}, headers=service)
    assert listed.status_code == 200, listed.text
    times = {i["user_id"]: i["valid_after"] for i in listed.json()["items"]}
    assert user_id in times
    assert float(claims_of(tokens)["iat"]) >= times[user_id]  # the token after the change stays valid
    later = datetime.fromisoformat(listed.json()["next"])
    assert (await identity.client.post("/auth/logout", headers=bearer(tokens))).status_code == 204  # everywhere
    again = (await identity.client.get(path, params={"since": later.isoformat()}, headers=service)).json()
    revoked = {i["user_id"]: i["valid_after"] for i in again["items"]}
    assert revoked[user_id] > float(claims_of(tokens)["iat"])  # every service now refuses that token
    naive = await identity.client.get(path, params={"since": "2026-01-01T00:00:00"}, headers=service)
    assert naive.status_code == 422


def test_the_demo_seed_is_refused_outside_development() -> None:
    """The demo seed publishes operator01's password: a production identity refuses seeds with inline passwords."""
    seed_file = Path(__file__).resolve().parents[1] / "seed" / "demo-accounts.json"
    seed = SeedFile.model_validate(json.loads(seed_file.read_text(encoding="utf-8")))
    production = IdentitySettings(
        environment="production", service_token="real-service-token", key_encryption_secret="a-real-secret-value"
    )
    refusal = inline_password_refusal(seed, production)
    assert refusal is not None
    assert "operator01" in refusal
    assert inline_password_refusal(seed, IdentitySettings(environment="development")) is None
    from_env = SeedFile.model_validate(
        {"accounts": [{"username": "operator01", "role": "operator", "password_env": "P"}]}
    )
    assert inline_password_refusal(from_env, production) is None
