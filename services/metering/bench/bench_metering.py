"""Benchmark (not a test): metering ingest through HTTP batches and the meter.reading topic, beside the ceilings.

Starts a throw-away embedded PostgreSQL (durable settings, as in the embedded stack) and Tansu, registers
``--devices`` cumulative electricity meters directly in metering's database (the resolver is not what is
measured), runs the metering app under uvicorn in a thread of its own, then in one run:

1. PostgreSQL ``COPY`` of the same number of reading rows into a table keyed like ``readings`` (ceiling);
2. HTTP: ``--http-readings`` readings posted as JSON lines in batches of ``--batch`` by ``--clients``
   concurrent gateways; a response means the readings are stored and their hours and days recomputed;
3. Kafka: ``--kafka-readings`` readings as ``meter.reading`` events of ``--per-event`` readings, produced
   while metering consumes, until every reading is stored and aggregated; then raw aiokafka consume of the
   same records (ceiling).

Prints readings/s for each, the ratios to the ceilings, HTTP latency per call and the event age at apply.

    .venv/bin/python services/metering/bench/bench_metering.py [--devices 2000] [--http-readings 192000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import secrets
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from carbonid_metering.config import MeteringSettings
from carbonid_metering.db import MIGRATIONS
from carbonid_metering.main import create_app

from carbonid_contracts.codes.identifier import enterprise_id_for
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import MeterReadings, MeterReadingValue
from carbonid_contracts.topics import EventType, topic_for
from carbonid_kit.embedded import EmbeddedPostgres, EmbeddedTansu, free_port
from carbonid_kit.metrics import CONSUMER_LAG_SECONDS
from carbonid_kit.migrations import upgrade_async

PREFIX = "bench."
START = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 2026-12-02 00:00 CST
STEP = timedelta(minutes=15)


METERS_PER_ENTERPRISE = 100  # large plants: one gateway per enterprise sends its meters' readings


def device_name(i: int) -> str:
    return f"99.{i // METERS_PER_ENTERPRISE}/mtr-{i % METERS_PER_ENTERPRISE:04d}"


async def register_devices(url: str, devices: int) -> None:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    now = datetime.now(UTC)
    rows = []
    for i in range(devices):
        prefix = device_name(i).split("/")[0]
        rows.append((
            device_name(i), enterprise_id_for(prefix), prefix, f"基准企业 {prefix}", "330502", f"meter {i}", "meter",
            "electricity", "electricity.purchased", "kWh", "MWh", Decimal(1), "cumulative", Decimal(100_000),
            Decimal(10), 900, True, "{}", "bench", now, now,
        ))  # fmt: skip
    await conn.copy_records_to_table(
        "devices",
        records=rows,
        columns=[
            "identifier", "enterprise_id", "enterprise_prefix", "enterprise_name", "region_code", "name", "kind",
            "carrier", "source_code", "unit", "canonical_unit", "multiplier", "register_kind", "register_max",
            "rated_max_per_hour", "interval_seconds", "enabled", "record", "node", "registered_at", "resolved_at",
        ],
    )  # fmt: skip
    await conn.close()


def readings(devices: int, first_slot: int, slots: int) -> list[tuple[str, datetime, Decimal]]:
    """Time-ordered readings: each slot, every device once (a register rising 1 kWh per 15 minutes)."""
    return [
        (device_name(d), START + STEP * slot, Decimal(1000 + slot))
        for slot in range(first_slot, first_slot + slots)
        for d in range(devices)
    ]


async def copy_ceiling(url: str, rows: list[tuple[str, datetime, Decimal]]) -> float:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    await conn.execute(
        "CREATE TABLE copy_ceiling (device text, ts timestamptz, value numeric, unit text, PRIMARY KEY (device, ts))"
    )
    records = [(d, t, v, "kWh") for d, t, v in rows]
    started = time.perf_counter()
    async with conn.transaction():
        await conn.copy_records_to_table("copy_ceiling", records=records, columns=["device", "ts", "value", "unit"])
    elapsed = time.perf_counter() - started
    await conn.close()
    return len(rows) / elapsed


async def stored(url: str, channel: str) -> int:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM readings WHERE channel = $1", channel))
    finally:
        await conn.close()


async def http_run(
    base: str, gateways: dict[str, str], rows: list[Any], batch: int, clients: int
) -> tuple[float, list[float]]:
    """Each enterprise's gateway posts its meters' readings, ``batch`` readings a call, ``clients`` at a time."""
    by_enterprise: dict[str, list[Any]] = {}
    for row in rows:
        by_enterprise.setdefault(row[0].split("/")[0], []).append(row)
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for prefix, own in by_enterprise.items():
        for i in range(0, len(own), batch):
            lines = (
                json.dumps({"device": d, "time": t.isoformat(), "value": str(v), "unit": "kWh"})
                for d, t, v in own[i : i + batch]
            )
            queue.put_nowait((gateways[prefix], "\n".join(lines).encode()))
    latencies: list[float] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=600) as http:
            while not queue.empty():
                credential, body = queue.get_nowait()
                headers = {"Authorization": f"Gateway {credential}", "Content-Type": "application/x-ndjson"}
                sent = time.perf_counter()
                response = await http.post("/readings", content=body, headers=headers)
                latencies.append(time.perf_counter() - sent)
                assert response.status_code == 200, response.text

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return len(rows) / (time.perf_counter() - started), latencies


def events_of(rows: list[tuple[str, datetime, Decimal]], per_event: int) -> list[CloudEvent]:
    by_device: dict[str, list[MeterReadingValue]] = {}
    for d, t, v in rows:
        by_device.setdefault(d, []).append(MeterReadingValue(time=t, value=v, unit="kWh"))
    out = []
    for device, values in by_device.items():
        for i in range(0, len(values), per_event):
            payload = MeterReadings(
                enterprise_id=enterprise_id_for(device.split("/")[0]), device=device, readings=values[i : i + per_event]
            )
            out.append(CloudEvent.of(payload, source="urn:carbonid:collection-gateway:bench"))
    return out


async def produce(bootstrap: str, events: list[CloudEvent]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=10, max_batch_size=256 * 1024, compression_type="lz4", acks="all"
    )
    await producer.start()
    try:
        topic = topic_for(EventType.METER_READING, PREFIX)
        futures = [await producer.send(topic, e.value(), key=e.key, headers=e.headers()) for e in events]
        for future in futures:
            await future
    finally:
        await producer.stop()


async def raw_consume(bootstrap: str, expected: int) -> float:
    consumer = AIOKafkaConsumer(
        topic_for(EventType.METER_READING, PREFIX),
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    seen = 0
    started = time.perf_counter()
    try:
        while seen < expected:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            seen += sum(len(records) for records in batch.values())
    finally:
        await consumer.stop()
    return seen / (time.perf_counter() - started)


def lag_quantile(q: float) -> float:
    """An upper bound of the q-quantile of event age at apply, from the kit's histogram buckets."""
    samples = next(iter(CONSUMER_LAG_SECONDS.collect())).samples
    buckets = [(s.labels["le"], s.value) for s in samples if s.name.endswith("_bucket")]
    total = max(v for _, v in buckets)
    for le, value in buckets:
        if value >= q * total:
            return float(le)
    return float("inf")


class Server:
    def __init__(self, app: Any, port: int) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("metering did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


async def until(check: Any, expected: int, timeout: float = 1800) -> None:
    deadline = time.monotonic() + timeout
    while await check() < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {expected} readings stored")
        await asyncio.sleep(0.25)


async def measure(pg: EmbeddedPostgres, broker: EmbeddedTansu, args: argparse.Namespace) -> None:
    url = pg.database_url("bench_metering")
    await upgrade_async(MIGRATIONS, url)
    await register_devices(url, args.devices)
    process = psutil.Process()
    http_slots = args.http_readings // args.devices
    kafka_slots = args.kafka_readings // args.devices
    http_rows = readings(args.devices, 0, http_slots)
    kafka_rows = readings(args.devices, http_slots, kafka_slots)  # the same meters, later in the day
    copy_rate = await copy_ceiling(pg.database_url("bench_metering"), http_rows)

    settings = MeteringSettings(
        environment="test",
        database_url=url,
        kafka_bootstrap=broker.bootstrap,
        topic_prefix=PREFIX,
        kafka_session_timeout_ms=6000,
        kafka_consumer_batch=args.consumer_batch,
        database_pool_size=10,
        log_level="WARNING",
        future_skew_seconds=10**8,
    )
    port = free_port()
    server = Server(create_app(settings), port)
    server.start()
    base = f"http://127.0.0.1:{port}"
    try:
        gateways = await create_gateways(url, args.devices)
        rss_start = process.memory_info().rss
        http_rate, latencies = await http_run(base, gateways, http_rows, args.batch, args.clients)
        rss_http = process.memory_info().rss
        assert await stored(url, "http") == len(http_rows)

        # warm-up: the consumer has joined its group before the backlog is timed
        await produce(broker.bootstrap, events_of(readings(1, 200, 1), 1))
        await until(lambda: stored(url, "kafka"), 1, timeout=120)
        events = events_of(kafka_rows, args.per_event)
        started = time.perf_counter()
        await produce(broker.bootstrap, events)
        produced = time.perf_counter()
        await until(lambda: stored(url, "kafka"), len(kafka_rows) + 1)
        kafka_rate = len(kafka_rows) / (time.perf_counter() - started)
        rss_kafka = process.memory_info().rss
    finally:
        server.stop()
    raw_rate = await raw_consume(broker.bootstrap, len(events) + 1) * args.per_event

    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) >= 2 else latencies * 99
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}; "
        "PostgreSQL (durable), Tansu and metering on the same cores"
    )
    print(
        f"devices: {args.devices} cumulative meters, {METERS_PER_ENTERPRISE} per enterprise; every reading is stored, "
        "checked and aggregated by hour and day before it counts"
    )
    print(f"PostgreSQL COPY ceiling:        {copy_rate:9.0f} readings/s ({len(http_rows)} rows, one transaction)")
    print(
        f"HTTP batch ingest:              {http_rate:9.0f} readings/s = {http_rate / copy_rate:.2f} × COPY "
        f"({len(http_rows)} readings, batches of {args.batch}, {args.clients} clients)"
    )
    print(f"  accepted → aggregated per call: p50 {q[49]:.2f} s  p99 {q[98]:.2f} s  max {max(latencies):.2f} s")
    print(f"raw aiokafka consume ceiling:   {raw_rate:9.0f} readings/s ({args.per_event} readings per event)")
    print(
        f"Kafka meter.reading ingest:     {kafka_rate:9.0f} readings/s = {kafka_rate / raw_rate:.2f} × raw consume, "
        f"{kafka_rate / copy_rate:.2f} × COPY ({len(kafka_rows)} readings in {len(events)} events, produced in "
        f"{produced - started:.1f} s while consumed)"
    )
    print(f"  event age at apply (≤ bucket): p50 {lag_quantile(0.5)} s  p99 {lag_quantile(0.99)} s")
    print(
        f"bench process RSS MiB: start {rss_start / 2**20:.0f}, after HTTP {rss_http / 2**20:.0f}, "
        f"after Kafka {rss_kafka / 2**20:.0f}"
    )


async def create_gateways(url: str, devices: int) -> dict[str, str]:
    """A gateway credential per bench enterprise (prefix → credential)."""
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    out = {}
    for prefix in sorted({device_name(i).split("/")[0] for i in range(devices)}):
        gateway_id = uuid.uuid4()
        secret = secrets.token_urlsafe(16)
        await conn.execute(
            "INSERT INTO gateways (id, enterprise_id, enterprise_prefix, name, secret_sha256, created_by) "
            "VALUES ($1, $2, $3, 'bench', $4, $5)",
            gateway_id,
            enterprise_id_for(prefix),
            prefix,
            hashlib.sha256(secret.encode()).digest(),
            uuid.uuid4(),
        )
        out[prefix] = f"{gateway_id.hex}.{secret}"
    await conn.close()
    return out


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="carbonid-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", free_port())
        pg.start()
        broker = EmbeddedTansu(free_port())
        broker.start()
        try:
            await measure(pg, broker, args)
        finally:
            broker.stop()
            pg.stop("immediate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--http-readings", type=int, default=96_000)
    parser.add_argument("--kafka-readings", type=int, default=96_000)
    parser.add_argument("--batch", type=int, default=9_600, help="readings per HTTP call (≤ a plant's day)")
    parser.add_argument("--clients", type=int, default=2, help="concurrent HTTP gateways")
    parser.add_argument("--per-event", type=int, default=24, help="readings per meter.reading event")
    parser.add_argument("--consumer-batch", type=int, default=2000, help="events per consumer batch")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
