"""A connection that died under a service answers 503 problem+json once, and the next request works.

The engine has no pre-ping (a round trip per checkout): a pooled connection whose server backend is gone fails
on its first use. That request must get a clear, retryable answer (not a 500) and change nothing, and SQLAlchemy
must then discard the other pooled connections of that moment, so that the following requests succeed.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import APIRouter, Request
from sqlalchemy import text

from carbonid_kit.app import ServiceRuntime, create_service_app
from carbonid_kit.db import create_engine, new_metadata, transaction
from carbonid_kit.settings import ServiceSettings

pytestmark = pytest.mark.integration


async def test_a_dropped_connection_is_a_503_then_the_pool_recovers(new_database) -> None:  # type: ignore[no-untyped-def]
    url = await new_database("dropped")
    settings = ServiceSettings(
        service_name="kit-dropped",
        database_url=url,
        log_json=False,
        consumers_enabled=False,
        outbox_relay_enabled=False,
    )
    runtime = ServiceRuntime(settings, new_metadata())
    async with runtime.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE counter (n int NOT NULL)"))
        await conn.execute(text("INSERT INTO counter VALUES (0)"))

    router = APIRouter()

    @router.post("/increment")
    async def increment(request: Request) -> dict[str, int]:
        async with transaction(runtime.sessions) as session:
            await session.execute(text("UPDATE counter SET n = n + 1"))
            n = (await session.execute(text("SELECT n FROM counter"))).scalar_one()
        return {"n": n}

    app = create_service_app(settings, runtime, title="t", routers=[router])
    admin = create_engine(url, pool_size=1)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://kit") as client:
            # Two concurrent requests leave two connections in the pool.
            first = await asyncio.gather(client.post("/increment"), client.post("/increment"))
            assert sorted(r.json()["n"] for r in first) == [1, 2]
            async with admin.connect() as conn:
                killed = (
                    await conn.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    )
                ).scalar_one()
            assert killed >= 1

            broken = await client.post("/increment")
            assert broken.status_code == 503
            assert broken.headers["content-type"].startswith("application/problem+json")
            assert broken.headers["retry-after"] == "1"
            problem = broken.json()
            assert problem["type"] == "urn:carbonid:problem:database-unavailable"
            assert problem["i18n"]["zh"]["title"] == "数据库暂不可用"

            # The pool let go of every connection of that moment: both of these get fresh ones.
            after = await asyncio.gather(client.post("/increment"), client.post("/increment"))
            assert [r.status_code for r in after] == [200, 200]
            assert sorted(r.json()["n"] for r in after) == [3, 4]  # the broken request changed nothing
    finally:
        await admin.dispose()
        await runtime.engine.dispose()
