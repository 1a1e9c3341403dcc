"""Calculations per second through the HTTP API, beside the domain core's figure.

One calculation = ``POST /calculations`` + ``POST /calculations/{id}/resolved-activity`` (11 resolved lines)
+ ``POST /calculations/{id}/compute`` (validation, pricing, trace, hash, result stored). The server is uvicorn
(one worker, a separate process) on an embedded PostgreSQL (default durability settings); the load comes from
``--clients`` concurrent httpx clients, each acting for its own enterprise.

Run: ``.venv/bin/python services/calculator/bench/bench_api.py [--seconds 20] [--clients 16]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

RESOLVED_LINES = [
    ("fuel.bituminous_coal", "52000", "t"),
    ("fuel.anthracite", "3100", "t"),
    ("fuel.natural_gas", "1250000", "m3"),
    ("fuel.diesel", "420", "t"),
    ("process.caco3", "780000", "t"),
    ("process.mgco3", "21000", "t"),
    ("electricity.purchased", "61200000", "kWh"),
    ("electricity.exported", "1200", "MWh"),
    ("heat.purchased", "15000", "GJ"),
    ("electricity.own_renewable", "4800", "MWh"),
    ("biomass.wood", "900", "t"),
]


def serve(database_url: str, port: int, jwks_path: str, workers: int) -> None:
    """Child process: the calculator app under uvicorn, trusting the benchmark's signing key.

    With several workers uvicorn imports ``app_factory`` in each; the settings travel in the environment.
    """
    import uvicorn

    if workers > 1:
        os.environ.update(BENCH_DATABASE_URL=database_url, BENCH_JWKS=jwks_path)
        uvicorn.run(
            "bench_api:app_factory",
            factory=True,
            host="127.0.0.1",
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
            app_dir=str(BENCH),
        )
        return
    uvicorn.run(_app(database_url, jwks_path), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def app_factory() -> Any:
    return _app(os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_JWKS"])


def _app(database_url: str, jwks_path: str) -> Any:

    from carbonid_calculator.config import CalculatorSettings
    from carbonid_calculator.main import create_app

    settings = CalculatorSettings(
        environment="test",
        database_url=database_url,
        consumers_enabled=False,
        outbox_relay_enabled=False,
        log_level="WARNING",
        database_pool_size=20,
    )
    app = create_app(settings)
    app.state.jwks.load_jwks(json.loads(Path(jwks_path).read_text()))
    return app


def domain_rate(seconds: float) -> float:
    """Calculations/s of the domain core alone on the same workload (see bench_domain.py)."""
    from bench_domain import LINES

    from carbonid_calculator.data import DEFAULT_FACTOR_SET, load_reference_data
    from carbonid_calculator.domain import CalculationInput, Reductions, calculate
    from carbonid_contracts.codes.period import Period

    reference = load_reference_data()
    factor_set = reference.factors.get(DEFAULT_FACTOR_SET)
    inputs = CalculationInput(
        sub_industry_code="3011",
        period=Period.parse("2023"),
        added_value_10k_cny=__import__("decimal").Decimal("185000"),
        lines=LINES,
        reductions=Reductions(),
    )
    as_of = date(2024, 6, 30)
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        calculate(inputs, taxonomy=reference.taxonomy, factor_set=factor_set, bounds=reference.bounds, as_of=as_of)
        count += 1
    return count / elapsed


async def seed(database_url: str, enterprises: list[uuid.UUID]) -> None:
    from carbonid_calculator.db import EnterpriseView, ResolvedActivity
    from carbonid_kit.db import create_engine, session_factory, transaction

    engine = create_engine(database_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    async with transaction(sessions) as session:
        for enterprise_id in enterprises:
            session.add(
                EnterpriseView(
                    id=enterprise_id,
                    name="基准测试企业",
                    identifier_prefix="88.118.8",
                    uscc="91330500MA2B3C4D1Y",
                    region_code="330502",
                    province_code="330000",
                    city_code="330500",
                    county_code="330502",
                    industry_code="3011",
                    resolved_at=now,
                )
            )
            session.add(
                ResolvedActivity(
                    resolution_id=uuid.uuid4(),
                    enterprise_id=enterprise_id,
                    period="2023",
                    identifier_prefix="88.118.8",
                    template_id="88.118.8/template-energy",
                    template_version="1.0",
                    lines=[
                        {"source_code": s, "item_name": s, "quantity": q, "unit": u, "handle": None}
                        for s, q, u in RESOLVED_LINES
                    ],
                    stale=False,
                    resolved_at=now,
                )
            )
    await engine.dispose()


async def client_loop(
    base: str, headers: dict[str, str], deadline: float, latencies: list[float], errors: list[str]
) -> int:
    done = 0
    body = {"sub_industry_code": "3011", "period": "2023", "added_value_10k_cny": "185000"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            created = await client.post("/calculations", json=body)
            if created.status_code != 201:
                errors.append(created.text[:200])
                continue
            cid = created.json()["id"]
            attached = await client.post(f"/calculations/{cid}/resolved-activity")
            computed = await client.post(f"/calculations/{cid}/compute")
            if attached.status_code != 200 or computed.status_code != 200:
                errors.append((attached.text if attached.status_code != 200 else computed.text)[:200])
                continue
            latencies.append(time.perf_counter() - started)
            done += 1
    return done


async def run(args: argparse.Namespace) -> None:
    from carbonid_calculator.db import MIGRATIONS
    from carbonid_kit.embedded import EmbeddedPostgres, free_port, wait_for_port
    from carbonid_kit.migrations import upgrade_async
    from carbonid_kit.testing_tokens import TestTokens

    rate = domain_rate(args.domain_seconds)
    print(f"domain core: {rate:,.0f} calculations/s (11-12 lines, validation + pricing + trace + hash)")

    with tempfile.TemporaryDirectory(prefix="calc-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", free_port(), fast_unsafe=args.fast_unsafe)
        pg.start()
        server: asyncio.subprocess.Process | None = None
        try:
            url = pg.database_url("carbonid_calculator_bench")
            await upgrade_async(MIGRATIONS, url)
            tokens = TestTokens()
            jwks_path = Path(tmp) / "jwks.json"
            jwks_path.write_text(json.dumps(tokens.jwks))
            enterprises = [uuid.uuid4() for _ in range(args.clients)]
            await seed(url, enterprises)
            port = free_port()
            server = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--serve",
                url,
                str(port),
                str(jwks_path),
                str(args.workers),
                env={**os.environ, "CARBONID_LOG_JSON": "false"},
            )
            await asyncio.to_thread(wait_for_port, port, timeout=60)
            base = f"http://127.0.0.1:{port}"
            # Warm-up: factor-set cache, connection pool, first PDF-free code paths.
            warm: list[float] = []
            await client_loop(
                base, tokens.headers("enterprise", enterprise_id=enterprises[0]), time.perf_counter() + 2, warm, []
            )
            latencies: list[float] = []
            errors: list[str] = []
            started = time.perf_counter()
            deadline = started + args.seconds
            counts = await asyncio.gather(
                *(
                    client_loop(
                        base,
                        tokens.headers("enterprise", enterprise_id=e, ttl=__import__("datetime").timedelta(hours=1)),
                        deadline,
                        latencies,
                        errors,
                    )
                    for e in enterprises
                )
            )
            elapsed = time.perf_counter() - started
            total = sum(counts)
            latencies.sort()
            p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
            p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("nan")
            print(
                f"HTTP API (create + attach resolved activity + compute, uvicorn {args.workers} worker(s), embedded "
                f"PostgreSQL{' fsync off' if args.fast_unsafe else ''}, "
                f"{args.clients} clients): {total / elapsed:,.1f} calculations/s "
                f"({3 * total / elapsed:,.0f} requests/s), latency per calculation p50 {p50:,.0f} ms, "
                f"p99 {p99:,.0f} ms, {len(errors)} errors"
            )
            if errors:
                print("first error:", errors[0])
        finally:
            if server is not None:
                server.terminate()
                await asyncio.wait_for(server.wait(), timeout=30)
            pg.stop()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--domain-seconds", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--fast-unsafe", action="store_true", help="PostgreSQL with fsync off (test clusters only)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
