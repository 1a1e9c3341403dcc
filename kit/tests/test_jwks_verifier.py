"""Token verification under junk key ids: valid tokens never wait, fetches are shared, limited and remembered."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest

from carbonid_kit.auth import JwksVerifier
from carbonid_kit.problems import Problem
from carbonid_kit.testing_tokens import TestTokens


@dataclass
class GatedJwks:
    """A real HTTP JWKS endpoint that answers only while ``open`` is set, counting the requests it got."""

    document: dict[str, Any]
    open: asyncio.Event = field(default_factory=asyncio.Event)
    requests: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.requests += 1
        await self.open.wait()
        body = json.dumps(self.document).encode()
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body))
        writer.write(body)
        await writer.drain()
        writer.close()


@asynccontextmanager
async def serving(jwks: GatedJwks) -> AsyncIterator[str]:
    server = await asyncio.start_server(jwks.handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/.well-known/jwks.json"
    finally:
        jwks.open.set()
        server.close()


def junk(tokens: TestTokens, kid: str) -> str:
    claims = jwt.decode(tokens.mint("operator"), options={"verify_signature": False})
    return jwt.encode(claims, tokens.key, algorithm="EdDSA", headers={"kid": kid})


async def test_junk_key_ids_neither_delay_a_valid_token_nor_hammer_identity() -> None:
    tokens = TestTokens()
    jwks = GatedJwks(tokens.jwks)
    async with serving(jwks) as url:
        verifier = JwksVerifier(url, issuer=tokens.issuer, audience=tokens.audience, min_refresh_seconds=3600)
        verifier.load_jwks(tokens.jwks)
        try:
            # ten tokens with made-up key ids, all waiting on identity, which does not answer yet
            pending = [asyncio.create_task(verifier.verify(junk(tokens, f"junk{n}"))) for n in range(10)]
            await asyncio.sleep(0)
            # a valid token is verified meanwhile: it waits on no lock and no fetch
            caller = await asyncio.wait_for(verifier.verify(tokens.mint("operator")), timeout=10)
            assert caller.role == "operator"
            assert not any(t.done() for t in pending)
            jwks.open.set()
            results = await asyncio.gather(*pending, return_exceptions=True)
            assert all(isinstance(r, Problem) and r.status == 401 for r in results)
            assert jwks.requests == 1  # one fetch shared by all ten
            # a key id already looked for, and a new one within the rate limit, are refused without a fetch
            for kid in ("junk3", "junk-new"):
                with pytest.raises(Problem) as refused:
                    await verifier.verify(junk(tokens, kid))
                assert refused.value.status == 401
            assert jwks.requests == 1
        finally:
            await verifier.aclose()


async def test_a_key_rotated_in_is_fetched_once_and_then_verifies() -> None:
    old, new = TestTokens(), TestTokens()
    jwks = GatedJwks({"keys": old.jwks["keys"] + new.jwks["keys"]})
    jwks.open.set()
    async with serving(jwks) as url:
        verifier = JwksVerifier(url, issuer=old.issuer, audience=old.audience)
        verifier.load_jwks(old.jwks)
        try:
            token = new.mint("government", region="330000")
            callers = await asyncio.gather(*(verifier.verify(token) for _ in range(5)))
            assert {c.region_scope for c in callers} == {"330000"}
            assert jwks.requests == 1
        finally:
            await verifier.aclose()


async def test_an_unreachable_identity_with_no_keys_is_503() -> None:
    verifier = JwksVerifier("http://127.0.0.1:9/.well-known/jwks.json", issuer="i", audience="a")
    try:
        with pytest.raises(Problem) as unavailable:
            await verifier.verify(junk(TestTokens(), "any"))
        assert unavailable.value.status == 503
    finally:
        await verifier.aclose()
