"""Every session ends everywhere: after a logout from every device, the old access token is refused by the
gateway and by every service within seconds, not when it expires (each verifier polls identity's revocations)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from carbonid_demo.client import Account, Gateway
from carbonid_demo.plan import DEMO_PASSWORD, INITIAL_PASSWORD
from carbonid_kit.testing import wait_until
from carbonid_stack.__main__ import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def gateway(stack: Stack) -> AsyncIterator[Gateway]:
    client = Gateway(stack.config.url(stack.config.gateway_port), rate=40)
    try:
        yield client
    finally:
        await client.aclose()


async def test_logout_everywhere_ends_the_access_token_in_every_service(stack: Stack, gateway: Gateway) -> None:
    username = "revokeall01"
    body = {"username": username, "password": INITIAL_PASSWORD, "password_confirm": INITIAL_PASSWORD}
    assert (await gateway.http.post("/api/identity/auth/register", json=body)).status_code == 201
    account = Account(gateway, username)
    await account.login([INITIAL_PASSWORD])
    await account.change_password(DEMO_PASSWORD)
    token = {"Authorization": f"Bearer {account.access_token}"}
    c = stack.config
    # Through the gateway, and straight to each service (each checks the token itself, the gateway aside).
    urls = [
        f"{c.url(c.gateway_port)}/api/resolver/metadata/mappings",
        f"{c.url(c.resolver_port)}/metadata/mappings",
        f"{c.url(c.analytics_port)}/benchmark-sets",
        f"{c.url(c.calculator_port)}/industries",
        f"{c.url(c.evaluation_port)}/rule-sets",
        f"{c.url(c.certificates_port)}/certificates",
        f"{c.url(c.identity_port)}/me",
    ]
    for url in urls:
        response = await gateway.http.get(url, headers=token)
        assert response.status_code != 401, (url, response.text)  # signed in (what it may see is another matter)

    ended = await gateway.http.post("/api/identity/auth/logout", headers=token)  # every session of the account
    assert ended.status_code == 204, ended.text

    async def refused_everywhere() -> list[httpx.Response] | None:
        answers = [await gateway.http.get(url, headers=token) for url in urls]
        return answers if all(a.status_code == 401 for a in answers) else None

    answers = await wait_until(refused_everywhere, timeout=20, interval=0.5, what="the old token refused everywhere")
    slugs = {str(a.json()["type"]).rsplit(":", 1)[-1] for a in answers}
    assert slugs <= {"token-revoked", "unauthenticated"}
    assert "token-revoked" in slugs
