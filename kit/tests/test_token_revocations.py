"""Revoked tokens end everywhere: the verifier polls identity's per-user valid-after times and refuses older tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from carbonid_kit.auth import JwksVerifier, TokenRevocations
from carbonid_kit.problems import Problem
from carbonid_kit.settings import ServiceSettings
from carbonid_kit.testing_tokens import TestTokens


class IdentityRevocations:
    """identity's ``/internal/revocations`` as the kit expects it, over an in-process transport."""

    def __init__(self) -> None:
        self.valid_after: dict[uuid.UUID, datetime] = {}
        self.requests: list[httpx.Request] = []
        self.down = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            return httpx.Response(503)
        if request.headers.get("x-carbonid-service-token") != "token":
            return httpx.Response(403)
        since = datetime.fromisoformat(request.url.params["since"])
        items = [{"user_id": str(u), "valid_after": t.timestamp()} for u, t in self.valid_after.items() if t > since]
        return httpx.Response(200, json={"items": items, "next": datetime.now(UTC).isoformat()})


def verifier_with(identity: IdentityRevocations) -> tuple[JwksVerifier, TokenRevocations, TestTokens]:
    tokens = TestTokens()
    verifier = JwksVerifier(
        "http://identity.invalid/.well-known/jwks.json", issuer=tokens.issuer, audience=tokens.audience
    )
    verifier.load_jwks(tokens.jwks)
    revocations = TokenRevocations("http://identity.invalid/internal/revocations", "token")
    revocations._client = httpx.AsyncClient(transport=httpx.MockTransport(identity.handle))
    verifier.revocations = revocations
    return verifier, revocations, tokens


def minted_at(tokens: TestTokens, user: uuid.UUID, iat: float) -> str:
    claims = {"sub": str(user), "name": "again01", "role": "enterprise", "typ": "access", "iss": tokens.issuer,
              "aud": tokens.audience, "iat": iat, "exp": iat + 900, "pwd_change": False}  # fmt: skip
    return jwt.encode(claims, tokens.key, algorithm="EdDSA", headers={"kid": tokens.kid})


async def test_a_token_issued_before_the_users_valid_after_is_refused() -> None:
    identity = IdentityRevocations()
    verifier, revocations, tokens = verifier_with(identity)
    user, other = uuid.uuid4(), uuid.uuid4()
    old = tokens.mint("enterprise", user_id=user)
    bystander = tokens.mint("enterprise", user_id=other)
    await revocations.sync_once()
    assert (await verifier.verify(old)).user_id == user

    identity.valid_after[user] = datetime.now(UTC) + timedelta(milliseconds=5)  # e.g. the password changed
    await revocations.sync_once()
    with pytest.raises(Problem) as refused:
        await verifier.verify(old)
    assert (refused.value.status, refused.value.slug) == (401, "token-revoked")
    assert (await verifier.verify(bystander)).user_id == other

    # A token issued after the change (the user logged in again; identity's iat keeps milliseconds) is accepted.
    fresh = minted_at(tokens, user, identity.valid_after[user].timestamp() + 0.001)
    assert (await verifier.verify(fresh)).user_id == user

    # A failed poll keeps what is known; the next one asks again from a little before the last answer.
    identity.down = True
    with pytest.raises(httpx.HTTPStatusError):
        await revocations.sync_once()
    with pytest.raises(Problem):
        await verifier.verify(old)
    asked: list[Any] = [datetime.fromisoformat(r.url.params["since"]) for r in identity.requests]
    assert asked[0] < datetime.now(UTC) - timedelta(minutes=59)  # the window of a starting service
    assert asked[-1] > datetime.now(UTC) - timedelta(seconds=30)
    await revocations.aclose()


def test_revocations_are_polled_beside_the_jwks_except_in_tests() -> None:
    settings = ServiceSettings(jwks_url="http://identity:8000/.well-known/jwks.json")
    assert settings.revocations_polled
    assert settings.revocations_endpoint() == "http://identity:8000/internal/revocations"
    assert not ServiceSettings(environment="test").revocations_polled
