from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # metering_harness

from metering_harness import Metering, open_metering

from carbonid_idnode.testing import running_node, test_settings
from carbonid_kit.testing_tokens import TestTokens


@pytest.fixture(scope="session")
def tokens() -> TestTokens:
    return TestTokens()


@pytest.fixture(scope="session")
def node_url() -> Iterator[str]:
    """The real local identifier node (demo seed with the enterprises' meters) on a free port."""
    with running_node(test_settings()) as node:
        yield node.url


@pytest.fixture
def make_metering(
    new_database: Callable[[str], Awaitable[str]],
    kafka_bootstrap: str,
    topic_prefix: str,
    tokens: TestTokens,
    node_url: str,
) -> Callable[..., Any]:
    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[Metering]:
        metering_url = await new_database("metering")
        resolver_url = await new_database("resolver")
        async with open_metering(
            metering_url, resolver_url, kafka_bootstrap, topic_prefix, tokens, node_url, **overrides
        ) as metering:
            yield metering

    return make
