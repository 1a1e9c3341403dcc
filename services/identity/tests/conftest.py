"""Fixtures: a fresh migrated identity database per test, the app driven in-process."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parent))  # identity_harness

from identity_harness import IdentityUnderTest, MovableClock, identity_settings

from carbonid_identity.db import MIGRATIONS
from carbonid_identity.main import create_app
from carbonid_kit.migrations import upgrade_async


@pytest.fixture
async def make_identity(
    new_database: Callable[[str], Awaitable[str]],
) -> AsyncIterator[Callable[..., Awaitable[IdentityUnderTest]]]:
    started: list[tuple[FastAPI, httpx.AsyncClient, Any]] = []

    async def make(**overrides: Any) -> IdentityUnderTest:
        url = await new_database("identity")
        await upgrade_async(MIGRATIONS, url)
        settings = identity_settings(url, **overrides)
        clock = MovableClock()
        app = create_app(settings, clock=clock)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://identity.test")
        started.append((app, client, lifespan))
        return IdentityUnderTest(app, client, clock, settings)

    yield make
    for _app, client, lifespan in reversed(started):
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


@pytest.fixture
async def identity(make_identity: Callable[..., Awaitable[IdentityUnderTest]]) -> IdentityUnderTest:
    return await make_identity()
