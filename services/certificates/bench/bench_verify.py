"""Benchmark: public verification requests per second and latency of the certificates service.

Starts an embedded PostgreSQL, migrates, seeds a few hundred signed certificates through the real issuing
handler, runs the service under uvicorn on 127.0.0.1 (a separate process, one worker, no broker: consumers and
relay off), then hits the public certificate page and the JSON verification endpoint with a bounded number of
concurrent httpx clients for a fixed duration each, and prints requests/s and p50/p99 latency.

    .venv/bin/python services/certificates/bench/bench_verify.py [--duration 15] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import MetaData, text

from carbonid_certificates.config import CertificatesSettings
from carbonid_certificates.db import MIGRATIONS
from carbonid_certificates.handlers import CertificateIssuer
from carbonid_certificates.keys import CertificateKeys
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import EvaluationCompleted
from carbonid_kit.app import ServiceRuntime
from carbonid_kit.db import transaction
from carbonid_kit.embedded import EmbeddedPostgres, free_port, wait_for_port
from carbonid_kit.migrations import upgrade_async

COLOURS = {1: "#1A7F37", 2: "#57AB5A", 3: "#D4A72C", 4: "#E16F24", 5: "#CF222E"}
REGIONS = ["330502", "330503", "330521", "110101", "440305"]


def evaluation(i: int) -> EvaluationCompleted:
    grade = i % 5 + 1
    return EvaluationCompleted(
        enterprise_id=uuid.uuid4(),
        evaluation_id=uuid.uuid4(),
        calculation_id=uuid.uuid4(),
        enterprise_name=f"基准测试企业{i:04d}有限公司",
        region_code=REGIONS[i % len(REGIONS)],
        industry_code="1713",
        period="2025Q3",
        total_emissions_tco2="10000.0000",
        net_emissions_tco2="8895.1000",
        intensity_tco2_per_10k_cny="1.8727",
        level=("low", "medium", "high")[i % 3],
        benchmark_intensity_tco2_per_10k_cny="1.7",
        efficiency_value_k="1.1016",
        grade=grade,
        grade_colour=COLOURS[grade],
        neutralisation_rate="0.1104",
        rule_set_version="zhejiang-2022/v1",
        benchmark_version="bm-2025.1",
        input_hash="ab" * 32,
        completed_at=datetime.now(UTC),
    )


async def seed(settings: CertificatesSettings, count: int) -> list[str]:
    await upgrade_async(MIGRATIONS, settings.database_url)
    runtime = ServiceRuntime(settings, MetaData())
    keys = CertificateKeys(runtime.sessions, settings.signing_key_secret.get_secret_value(), lambda: datetime.now(UTC))
    await keys.ensure_active_key()
    issuer = CertificateIssuer(settings, runtime.outbox, keys, lambda: datetime.now(UTC))
    for start in range(0, count, 100):
        async with transaction(runtime.sessions) as session:
            for i in range(start, min(count, start + 100)):
                await issuer.on_evaluation_completed(session, CloudEvent.of(evaluation(i), source="urn:bench"))
    async with runtime.engine.connect() as conn:
        codes = [row[0] for row in (await conn.execute(text("SELECT code FROM certificates"))).all()]
    await runtime.stop()
    return codes


async def hammer(base: str, paths: list[str], duration: float, concurrency: int) -> tuple[int, int, list[float]]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10.0) as client:

        async def worker(seed_: int) -> None:
            nonlocal errors
            rng = random.Random(seed_)
            while time.perf_counter() < deadline:
                path = rng.choice(paths)
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                if not ok:
                    errors += 1

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return len(latencies), errors, latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="carbonid-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", free_port(), fast_unsafe=True)
        pg.start()
        server: subprocess.Popen[bytes] | None = None
        try:
            url = pg.database_url("carbonid_certificates")
            port = free_port()
            env = {
                **os.environ,
                "CARBONID_DATABASE_URL": url,
                "CARBONID_CONSUMERS_ENABLED": "false",
                "CARBONID_OUTBOX_RELAY_ENABLED": "false",
                "CARBONID_LOG_LEVEL": "WARNING",
                "CARBONID_DATABASE_POOL_SIZE": "10",
            }
            settings = CertificatesSettings(database_url=url, consumers_enabled=False, outbox_relay_enabled=False)
            started = time.perf_counter()
            codes = await seed(settings, args.certificates)
            print(f"seeded {len(codes)} signed certificates in {time.perf_counter() - started:.1f} s")
            server = subprocess.Popen(  # noqa: ASYNC220 - started once, before any measurement
                [sys.executable, "-m", "uvicorn", "--factory", "carbonid_certificates.main:create_app",
                 "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
                env=env,
            )  # fmt: skip
            wait_for_port(port, timeout=30)
            base = f"http://127.0.0.1:{port}"
            targets = {
                "HTML page   /public/certificates/{code}": [f"/public/certificates/{c}" for c in codes],
                "JSON verify /public/certificates/{code}/verification": [
                    f"/public/certificates/{c}/verification" for c in codes
                ],
            }
            print(
                f"uvicorn 1 worker on 127.0.0.1, {args.concurrency} concurrent clients, "
                f"{args.duration:.0f} s per target after {args.warmup:.0f} s warm-up, {os.cpu_count()} cores"
            )
            for name, paths in targets.items():
                await hammer(base, paths, args.warmup, args.concurrency)
                count, errors, latencies = await hammer(base, paths, args.duration, args.concurrency)
                p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
                print(
                    f"{name}: {count / args.duration:8.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                    f"mean {statistics.fmean(latencies) * 1000:6.1f} ms  errors {errors}/{count}"
                )
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=10)
            pg.stop("immediate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certificates", type=int, default=300)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=32)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
