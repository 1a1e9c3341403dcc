"""Service tests: one running evaluation service per module (real PostgreSQL and broker)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluation_harness import Harness, running_service


@pytest.fixture(scope="module")
async def service(new_database: Callable[[str], Awaitable[str]], kafka_bootstrap: str) -> AsyncIterator[Harness]:
    prefix = f"t{uuid.uuid4().hex[:10]}."
    async with running_service(
        await new_database("evaluation"), kafka_bootstrap, prefix, evidence_max_bytes=64 * 1024
    ) as harness:
        yield harness
