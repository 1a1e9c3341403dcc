"""Analytics benchmark: rebuild rate over >= 1M synthetic events, dashboard latency under concurrent load, memory.

Run: ``.venv/bin/python services/analytics/bench/bench_analytics.py [--events 1000000] [--clients 16]``

What it measures (and how):
- **Rebuild rate**: synthetic events (``tests/analytics_synthetic.py``: enterprises with superseding and tied
  calculations, evaluations, certificates; 5 % duplicates; shuffled within each chunk of 500 enterprises) are
  encoded as Kafka records (CloudEvents binary mode) and applied **without Kafka**: ``CloudEvent.decode`` then
  ``carbonid_analytics.batch.apply_batch`` (inbox claim, facts, ``is_current`` and rollups set-wise) per
  ``--batch`` records — the code path of the live consumer, which hands ``apply_new`` each Kafka batch.
  Encoding is outside the timed section. The first 1,000 enterprises go through the same path one record per
  transaction (the consumer's fallback after a failed batch), for comparison.
- **Dashboard latency**: the service runs as its console script under uvicorn (one worker, consumers off) on the
  loaded database; ``--clients`` concurrent clients send a mix of dashboard queries for ``--seconds``.
- **Plans** (``--explain``): EXPLAIN ANALYZE of a national and a provincial period summary, aggregated from the
  current facts (what the dashboards did before the rollups) and from the rollups.
- **Memory**: peak RSS of this process (the applier), of the server, and of PostgreSQL's processes.
PostgreSQL is the embedded one with ``fsync=off`` (the test setting): durable settings lower the rebuild rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from analytics_synthetic import enterprise_events  # noqa: E402

from carbonid_analytics.batch import apply_batch  # noqa: E402
from carbonid_analytics.db import MIGRATIONS  # noqa: E402
from carbonid_contracts.envelope import CloudEvent  # noqa: E402
from carbonid_kit.db import create_engine, session_factory, transaction  # noqa: E402
from carbonid_kit.embedded import EmbeddedPostgres, free_port  # noqa: E402
from carbonid_kit.migrations import upgrade_async  # noqa: E402
from carbonid_kit.testing_tokens import JwksServer, TestTokens  # noqa: E402

Record = tuple[list[tuple[str, bytes]], bytes]


def chunk_records(rng: random.Random, first: int, enterprises: int) -> list[Record]:
    events: list[CloudEvent] = []
    for i in range(first, first + enterprises):
        events += enterprise_events(rng, i)
    events += [e for e in events if rng.random() < 0.05]
    rng.shuffle(events)
    return [(e.headers(), e.value()) for e in events]


async def apply_per_record(sessions: Any, records: list[Record]) -> None:
    """The consumer's fallback: decode, then the same path with one record per transaction."""
    for headers, value in records:
        event = CloudEvent.decode(headers, value)
        async with transaction(sessions) as session:
            await apply_batch(session, [event], dead_after=8)


async def apply_batched(sessions: Any, records: list[Record], batch: int) -> None:
    """The rebuild path: decode, then ``apply_batch`` (set-wise, same resulting state) per ``batch`` records."""
    for start in range(0, len(records), batch):
        events = [CloudEvent.decode(headers, value) for headers, value in records[start : start + batch]]
        async with transaction(sessions) as session:
            await apply_batch(session, events, dead_after=8)


def pg_rss(port: int) -> int:
    total = 0
    for p in psutil.process_iter(["name", "cmdline"]):
        try:
            if p.info["name"] and "postgres" in p.info["name"] and any(str(port) in c for c in p.info["cmdline"] or []):
                total += p.memory_info().rss
                total += sum(c.memory_info().rss for c in p.children(recursive=True))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def peak_rss_line(pid: int) -> str:
    """The ``VmHWM`` (peak resident set) line of a process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return next((line for line in status if line.startswith("VmHWM")), "VmHWM: ? kB")


QUERY_MIX: list[tuple[str, str, str | None, dict[str, Any]]] = [
    ("summary national", "operator", None, {"period": "2024"}),
    ("summary province", "government", "330000", {"period": "2024"}),
    ("summary city+industry", "government", "330500", {"period": "2024Q2", "industry": "30"}),
    ("trend quarter", "operator", None, {"granularity": "quarter"}),
    ("intensity trend", "government", "330000", {"granularity": "year"}),
    ("rank regions", "operator", None, {"by": "region", "period": "2024"}),
    ("rank industries", "government", "330000", {"by": "industry", "level": "class", "period": "2024"}),
    ("rank enterprises", "government", "330000", {"by": "enterprise", "period": "2024", "limit": 20}),
    ("energy structure", "operator", None, {"period": "2024"}),
    ("map provinces", "operator", None, {"level": "province", "period": "2024"}),
    ("typical cases", "government", "330500", {"period": "2024"}),
]
PATHS = {
    "summary": "/dashboard/summary",
    "trend": "/dashboard/trend",
    "intensity": "/dashboard/intensity-trend",
    "rank": "/dashboard/rankings",
    "energy": "/dashboard/energy-structure",
    "map": "/dashboard/map",
    "typical": "/dashboard/typical-cases",
}


def path_of(name: str) -> str:
    return PATHS[name.split(maxsplit=1)[0]]


async def load(base: str, tokens: TestTokens, clients: int, seconds: float) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = defaultdict(list)
    headers = {
        (role, region): tokens.headers(role, region=region)  # type: ignore[arg-type]
        for _, role, region, _ in QUERY_MIX
    }
    deadline = time.monotonic() + seconds
    errors = 0

    async def client(n: int) -> None:
        nonlocal errors
        rng = random.Random(n)
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while time.monotonic() < deadline:
                name, role, region, params = rng.choice(QUERY_MIX)
                started = time.perf_counter()
                response = await http.get(path_of(name), params=params, headers=headers[(role, region)])
                latencies[name].append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1

    await asyncio.gather(*(client(n) for n in range(clients)))
    if errors:
        print(f"!! {errors} non-200 answers")
    return latencies


FACT_SUMMARY = """
SELECT coalesce(sum(c.total_emissions_tco2), 0), coalesce(sum(c.net_emissions_tco2), 0),
       coalesce(sum(c.energy_tce), 0), sum(c.total_emissions_tco2) FILTER (WHERE c.added_value_10k_cny > 0),
       sum(c.added_value_10k_cny) FILTER (WHERE c.added_value_10k_cny > 0), count(DISTINCT c.enterprise_id)
FROM calculations c
WHERE c.is_current AND c.region_code LIKE :prefix AND c.period_kind = 'year' AND c.period_code = '2024'
"""
ROLLUP_SUMMARY = """
SELECT coalesce(sum(total_emissions_tco2), 0), coalesce(sum(net_emissions_tco2), 0), coalesce(sum(energy_tce), 0),
       CASE WHEN sum(valued_facts) > 0 THEN sum(valued_emissions_tco2) END,
       CASE WHEN sum(valued_facts) > 0 THEN sum(added_value_10k_cny) END, coalesce(sum(facts), 0)
FROM calculation_rollups
WHERE region_code LIKE :prefix AND period_kind = 'year' AND period_code = '2024'
"""


async def explain(url: str) -> None:
    """EXPLAIN ANALYZE of one period summary from the facts and from the rollups (same answer)."""
    from sqlalchemy import text

    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            for label, sql in (("facts", FACT_SUMMARY), ("rollups", ROLLUP_SUMMARY)):
                for prefix in ("%", "33%"):
                    answer = (await conn.execute(text(sql), {"prefix": prefix})).one()
                    plan = (await conn.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"), {"prefix": prefix})).all()
                    print(f"-- summary 2024 from the {label}, region LIKE {prefix!r}: {tuple(answer)}")
                    for (line,) in plan:
                        print(f"   {line}")
    finally:
        await engine.dispose()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000, help="records per transaction")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--explain", action="store_true", help="print the plans of a period summary")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr] - progress lines when redirected

    with tempfile.TemporaryDirectory(prefix="analytics-bench-") as tmp:
        port = free_port()
        pg = EmbeddedPostgres(Path(tmp) / "pg", port, fast_unsafe=True)
        pg.start()
        try:
            url = pg.database_url("carbonid_analytics")
            await upgrade_async(MIGRATIONS, url)
            engine = create_engine(url, pool_size=2)
            sessions = session_factory(engine)
            rng = random.Random(args.seed)

            # one transaction per record, as the kit's consumer commits (a sample)
            sample = chunk_records(rng, 0, 1000)
            started = time.perf_counter()
            await apply_per_record(sessions, sample)
            per_record_rate = len(sample) / (time.perf_counter() - started)
            print(f"per-record transactions: {len(sample):,} records at {per_record_rate:,.0f} records/s", flush=True)

            applied, enterprises, busy = len(sample), 1000, 0.0
            report_at = 100_000
            while applied < args.events:
                records = chunk_records(rng, enterprises, 500)
                enterprises += 500
                started = time.perf_counter()
                await apply_batched(sessions, records, args.batch)
                busy += time.perf_counter() - started
                applied += len(records)
                if applied >= report_at:
                    print(f"  {applied:,} records applied, {applied / busy:,.0f} records/s so far")
                    report_at += 100_000
            async with sessions() as session:
                from sqlalchemy import text

                counts = {
                    t: (await session.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
                    for t in ("inbox_events", "enterprises", "calculations", "evaluations", "certificates")
                }
                current = (
                    await session.execute(text("SELECT count(*) FROM calculations WHERE is_current"))
                ).scalar_one()
                await session.execute(text("ANALYZE"))
                await session.commit()
            await engine.dispose()
            if args.explain:
                await explain(url)
            rebuild_rate = (applied - len(sample)) / busy
            print(f"rebuild: {applied:,} records ({enterprises:,} enterprises) applied in {busy:,.1f} s busy time")
            print(
                f"rebuild rate (apply_batch, {args.batch} records/transaction, no Kafka): {rebuild_rate:,.0f} events/s"
            )
            print(f"rows: {counts}; current calculations: {current:,}")
            print(
                f"peak RSS of the applier process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"
            )

            tokens = TestTokens()
            jwks_server = JwksServer(tokens.jwks)
            http_port = free_port()
            env = dict(os.environ) | {
                "CARBONID_DATABASE_URL": url,
                "CARBONID_HTTP_PORT": str(http_port),
                "CARBONID_JWKS_URL": jwks_server.url,
                "CARBONID_CONSUMERS_ENABLED": "false",
                "CARBONID_OUTBOX_RELAY_ENABLED": "false",
                "CARBONID_WEBHOOKS_ENABLED": "false",
                "CARBONID_ENVIRONMENT": "test",
                "CARBONID_LOG_LEVEL": "WARNING",
                "CARBONID_DATABASE_POOL_SIZE": "16",
            }
            script = Path(sys.executable).parent / "carbonid-analytics"
            server = subprocess.Popen([str(script), "serve"], env=env)  # noqa: ASYNC220 - started once
            try:
                base = f"http://127.0.0.1:{http_port}"
                async with httpx.AsyncClient(base_url=base) as http:
                    for _ in range(200):
                        try:
                            if (await http.get("/health/live")).status_code == 200:
                                break
                        except httpx.HTTPError:
                            await asyncio.sleep(0.1)
                await load(base, tokens, 2, 3.0)  # warm-up
                latencies = await load(base, tokens, args.clients, args.seconds)
                everything = [v for vs in latencies.values() for v in vs]
                print(
                    f"dashboard queries, {args.clients} concurrent clients, {args.seconds:.0f} s: "
                    f"{len(everything):,} requests, {len(everything) / args.seconds:,.1f} req/s, "
                    f"p50 {pct(everything, 50):,.1f} ms, p99 {pct(everything, 99):,.1f} ms"
                )
                for name, values in sorted(latencies.items()):
                    print(
                        f"  {name:24s} n={len(values):5d}  p50 {pct(values, 50):8.1f} ms  p99 {pct(values, 99):8.1f} ms"
                        f"  mean {statistics.fmean(values) * 1000:8.1f} ms"
                    )
                server_proc = psutil.Process(server.pid)
                hwm = peak_rss_line(server.pid)
                print(
                    f"server RSS now {server_proc.memory_info().rss / 2**20:,.0f} MiB, peak {hwm.split(':')[1].strip()}"
                )
                print(f"PostgreSQL RSS (all its processes): {pg_rss(port) / 2**20:,.0f} MiB")
            finally:
                server.terminate()
                server.wait(timeout=30)
                jwks_server.close()
        finally:
            pg.stop("immediate")


if __name__ == "__main__":
    asyncio.run(main())
