"""Resolver test fixtures. Test helpers live beside the tests (``resolver_*.py``), importable by name.

Integration fixtures start the real identifier node (``carbonid_idnode``) and an identity stand-in under
uvicorn on free loopback ports, and build the resolver on the kit's real PostgreSQL and broker.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).parent))

from resolver_harness import (
    NODE_ADMIN_SECRET,
    SERVICE_TOKEN,
    SNMS_SECRET,
    SNMS_USER,
    FakeClock,
    IdentityStandIn,
    MakeResolver,
    NodeControl,
    ResolverUnderTest,
    ServerThread,
)

from carbonid_kit.migrations import upgrade_async
from carbonid_kit.testing_tokens import TestTokens
from carbonid_resolver.config import ResolverSettings
from carbonid_resolver.db import MIGRATIONS
from carbonid_resolver.main import create_app


@pytest.fixture(scope="session")
def idnode() -> Iterator[ServerThread]:
    from carbonid_idnode.app import create_app as create_node
    from carbonid_idnode.config import NodeSettings

    settings = NodeSettings(
        environment="test",
        admin_secret=SecretStr(NODE_ADMIN_SECRET),
        snms_client_id=SNMS_USER,
        snms_client_secret=SecretStr(SNMS_SECRET),
        fault_timeout_max_ms=4000,
    )
    server = ServerThread(create_node(settings)).start()
    yield server
    server.stop()


@pytest.fixture
async def node(idnode: ServerThread) -> AsyncIterator[NodeControl]:
    control = NodeControl(idnode.url)
    await control.reset()
    yield control
    await control.reset()
    await control.http.aclose()


@pytest.fixture(scope="session")
def identity() -> Iterator[tuple[IdentityStandIn, str]]:
    stand_in = IdentityStandIn()
    server = ServerThread(stand_in.app).start()
    yield stand_in, server.url
    server.stop()


@pytest.fixture
async def make_resolver(
    new_database: Callable[[str], Awaitable[str]],
    kafka_bootstrap: str,
    topic_prefix: str,
    node: NodeControl,
    identity: tuple[IdentityStandIn, str],
) -> AsyncIterator[MakeResolver]:
    """``await make_resolver(**setting_overrides)``: a migrated database, the app in its lifespan, a client."""
    stand_in, identity_url = identity
    stand_in.bindings.clear()
    stand_in.calls.clear()
    stand_in.unbound.clear()
    stand_in.users.clear()
    stand_in.unavailable = False
    started: list[tuple[Any, httpx.AsyncClient]] = []

    servers: list[ServerThread] = []

    async def make(*, serve: bool = False, **overrides: Any) -> ResolverUnderTest:
        """``serve=True`` runs the app under uvicorn in its own thread (a real streaming HTTP client); then
        the test must reach it over HTTP only, never through the app's database engine."""
        url = await new_database("resolver")
        await upgrade_async(MIGRATIONS, url)
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": url,
            "kafka_bootstrap": kafka_bootstrap,
            "topic_prefix": topic_prefix,
            "kafka_session_timeout_ms": 6000,
            "outbox_poll_seconds": 0.5,
            "nodes": [{"prefix": "*", "kind": "handle", "base_url": node.url, "name": "idnode"}],
            "identity_url": identity_url,
            "service_token": SERVICE_TOKEN,
            "connect_timeout_s": 1.0,
            "read_timeout_s": 0.5,
            "resolution_deadline_s": 3.0,
            "retry_attempts": 2,
            "retry_base_s": 0.01,
            "retry_max_s": 0.05,
            "breaker_failure_threshold": 3,
            "breaker_cooldown_s": 30,
            "cache_ttl_floor_s": 1,
            "cache_ttl_cap_s": 600,
            "negative_cache_ttl_s": 15,
            "stale_if_error_s": 3600,
        }
        settings = ResolverSettings(**{**values, **overrides})
        clock = FakeClock()
        app = create_app(settings, clock=clock)
        tokens = TestTokens()
        app.state.jwks.load_jwks(tokens.jwks)
        if serve:
            server = ServerThread(app).start()
            servers.append(server)
            client = httpx.AsyncClient(base_url=server.url, timeout=30)
            started.append((None, client))
        else:
            lifespan = app.router.lifespan_context(app)
            await lifespan.__aenter__()
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://resolver", timeout=30)
            started.append((lifespan, client))
        return ResolverUnderTest(app, client, clock, tokens, settings, stand_in, node)

    yield make
    for lifespan, client in started:
        await client.aclose()
        if lifespan is not None:
            await lifespan.__aexit__(None, None, None)
    for server in servers:
        server.stop()
