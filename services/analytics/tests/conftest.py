from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # harness, synthetic events, expected model

from analytics_harness import Analytics, open_analytics, publish_events

from carbonid_contracts.envelope import CloudEvent
from carbonid_kit.testing_tokens import TestTokens


@pytest.fixture(scope="session")
def tokens() -> TestTokens:
    return TestTokens()


@pytest.fixture
def make_analytics(
    new_database: Callable[[str], Awaitable[str]], kafka_bootstrap: str, topic_prefix: str, tokens: TestTokens
) -> Callable[..., Any]:
    @asynccontextmanager
    async def make(database_url: str | None = None, **overrides: Any) -> AsyncIterator[Analytics]:
        url = database_url or await new_database("analytics")
        async with open_analytics(url, kafka_bootstrap, topic_prefix, tokens, **overrides) as analytics:
            yield analytics

    return make


@pytest.fixture
def publish(kafka_bootstrap: str, topic_prefix: str) -> Callable[[list[CloudEvent]], Awaitable[None]]:
    async def send(events: list[CloudEvent]) -> None:
        await publish_events(kafka_bootstrap, topic_prefix, events)

    return send
