"""Benchmark (not a test): outbox -> broker -> inbox throughput and commit-to-effect latency.

Starts a throw-away embedded PostgreSQL (durable settings, as in the embedded stack) and Tansu, then N
producer transactions each write one state row and one outbox event, with several concurrent writers;
the relay publishes; a consumer applies each event once (inbox) and stamps when its effect committed.
Prints events/s end to end and the p50/p99 latency from the producer's commit to the consumer's effect.

    .venv/bin/python kit/bench/bench_messaging.py [--events 20000] [--writers 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psutil
from sqlalchemy import Column, DateTime, MetaData, String, Table, func, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import EnterpriseResolved
from carbonid_contracts.topics import EventType
from carbonid_kit.app import ServiceRuntime
from carbonid_kit.db import transaction
from carbonid_kit.embedded import EmbeddedPostgres, EmbeddedTansu, free_port
from carbonid_kit.migrations import ensure_database
from carbonid_kit.settings import ServiceSettings


async def run(events: int, writers: int) -> None:
    with tempfile.TemporaryDirectory(prefix="carbonid-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", free_port())
        pg.start()
        broker = EmbeddedTansu(free_port())
        broker.start()
        try:
            await measure(pg, broker, events, writers)
        finally:
            broker.stop()
            pg.stop("immediate")


async def measure(pg: EmbeddedPostgres, broker: EmbeddedTansu, events: int, writers: int) -> None:
    pmd, cmd = MetaData(), MetaData()
    state = Table(
        "state",
        pmd,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("committed_at", DateTime(timezone=True), server_default=text("clock_timestamp()")),
    )
    effect = Table(
        "effect",
        cmd,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("name", String),
        Column("applied_at", DateTime(timezone=True), server_default=text("clock_timestamp()")),
    )
    runtimes = []
    # The producer publishes enterprise.resolved, so it is the resolver: consumers verify its signatures.
    for name, md in (("resolver", pmd), ("consumer", cmd)):
        url = pg.database_url(f"bench_{name}")
        await ensure_database(url)
        settings = ServiceSettings(
            service_name=name,
            database_url=url,
            kafka_bootstrap=broker.bootstrap,
            topic_prefix="bench.",
            kafka_session_timeout_ms=6000,
            database_pool_size=20,
        )
        runtime = ServiceRuntime(settings, md)
        async with runtime.engine.begin() as conn:
            await conn.run_sync(md.create_all)
        runtimes.append(runtime)
    producer, consumer = runtimes

    async def apply(session: AsyncSession, event: CloudEvent) -> None:
        await session.execute(effect.insert().values(id=event.data.enterprise_id, name="x"))

    consumer.consumers.on(EventType.ENTERPRISE_RESOLVED, apply)
    await consumer.start()
    await producer.start()
    # warm-up: the consumer joins its group before timing starts
    await write(producer, state, 1)
    await until(lambda: count(consumer, effect), 1)

    started = time.perf_counter()
    per_writer = events // writers
    await asyncio.gather(*(write(producer, state, per_writer) for _ in range(writers)))
    committed = time.perf_counter()
    total = per_writer * writers + 1
    await until(lambda: count(consumer, effect), total)
    finished = time.perf_counter()

    async with producer.sessions() as s:
        committed_at = dict((await s.execute(select(state.c.id, state.c.committed_at))).all())
    async with consumer.sessions() as s:
        applied_at = dict((await s.execute(select(effect.c.id, effect.c.applied_at))).all())
    latencies = sorted((applied_at[i] - committed_at[i]).total_seconds() * 1000 for i in committed_at)
    await consumer.stop()
    await producer.stop()

    q = statistics.quantiles(latencies, n=100)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}"
    )
    print(f"events: {total - 1} from {writers} concurrent writers, one event per transaction")
    print(f"producer commits/s:            {(total - 1) / (committed - started):8.0f}")
    print(f"outbox->broker->inbox events/s: {(total - 1) / (finished - started):8.0f}")
    print(f"commit-to-effect latency ms:    p50 {q[49]:.1f}  p99 {q[98]:.1f}  max {latencies[-1]:.1f}")


async def write(runtime: ServiceRuntime, state: Table, n: int) -> None:
    for _ in range(n):
        data = EnterpriseResolved(
            enterprise_id=uuid.uuid4(),
            identifier_prefix="88.118.8",
            name="基准企业",
            uscc="91330500MA2B3C4D1Y",
            region_code="330502",
            province_code="330000",
            industry_code="3011",
            resolved_at=datetime.now(UTC),
        )
        async with transaction(runtime.sessions) as session:
            await session.execute(state.insert().values(id=data.enterprise_id))
            await runtime.outbox.add(session, data)


async def count(runtime: ServiceRuntime, table: Table) -> int:
    async with runtime.sessions() as s:
        return int((await s.execute(select(func.count()).select_from(table))).scalar_one())


async def until(probe: object, target: int, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await probe() >= target:  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"only {await probe()} of {target} effects after {timeout} s")  # type: ignore[operator]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--writers", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(run(args.events, args.writers))
