"""Fixtures of the certificates service tests: the running service against the real PostgreSQL and broker."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from certificates_service_support import PREFIX, PUBLIC_BASE, MovableClock, Service  # noqa: E402

from carbonid_certificates.config import CertificatesSettings  # noqa: E402
from carbonid_certificates.db import MIGRATIONS  # noqa: E402
from carbonid_certificates.main import create_app  # noqa: E402
from carbonid_kit.migrations import upgrade_async  # noqa: E402
from carbonid_kit.testing_tokens import TestTokens  # noqa: E402


@pytest.fixture(scope="module")
async def service(new_database: Callable[[str], Awaitable[str]], kafka_bootstrap: str) -> AsyncIterator[Service]:
    url = await new_database("certificates")
    await upgrade_async(MIGRATIONS, url)
    settings = CertificatesSettings(
        environment="test",
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"t{uuid.uuid4().hex[:10]}.",
        kafka_session_timeout_ms=6000,
        outbox_poll_seconds=0.5,
        public_base_url=PUBLIC_BASE,
        certificate_prefix=PREFIX,
        log_json=False,
        log_level="WARNING",
    )
    clock = MovableClock(datetime(2025, 10, 15, 2, 0, tzinfo=UTC))
    app = create_app(settings, clock=clock)
    tokens = TestTokens()
    app.state.jwks.load_jwks(tokens.jwks)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://certificates") as client,
    ):
        yield Service(app, client, settings, tokens, clock, kafka_bootstrap)
