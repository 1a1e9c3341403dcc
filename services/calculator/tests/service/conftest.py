"""Fixtures of the calculator's service tests; the helpers they use live in ``calculator_harness``.

(Test modules import helpers from a uniquely named module, never from ``conftest``: every service has a
conftest, and in one pytest run only one of them can be the module named ``conftest``.)
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import httpx
from calculator_harness import EVIDENCE_LIMIT, Harness

from carbonid_calculator.config import CalculatorSettings
from carbonid_calculator.db import MIGRATIONS
from carbonid_calculator.main import create_app
from carbonid_kit.migrations import upgrade_async
from carbonid_kit.testing_tokens import TestTokens


@pytest.fixture(scope="session")
async def harness(new_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[Harness]:
    url = await new_database("calc")
    await upgrade_async(MIGRATIONS, url)
    settings = CalculatorSettings(
        environment="test",
        database_url=url,
        consumers_enabled=False,
        outbox_relay_enabled=False,
        evidence_max_bytes=EVIDENCE_LIMIT,
        log_json=False,
        log_level="WARNING",
    )
    app = create_app(settings)
    tokens = TestTokens()
    app.state.jwks.load_jwks(tokens.jwks)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://calculator") as client,
    ):
        yield Harness(app, client, tokens, settings, app.state.runtime)
