"""Fixtures: one small platform (identity, stand-in services, gateway) shared by the gateway's tests."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # gateway_harness

from gateway_harness import Platform, start_platform


@pytest.fixture(scope="session")
async def platform(new_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[Platform]:
    running = await start_platform(await new_database("gw_identity"))
    try:
        yield running
    finally:
        running.stop()
