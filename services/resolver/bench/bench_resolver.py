"""Resolver benchmark against the local identifier node: resolutions/s and p50/p99, cache misses and hits.

    .venv/bin/python services/resolver/bench/bench_resolver.py [--concurrency 16] [--rounds 2]

Starts ``carbonid_idnode`` under uvicorn in a subprocess on a free loopback port (so that the node does not
share the benchmark's interpreter), then measures through the resolver's own resilient client (routing,
breaker, deadline, cache) two kinds of resolution:

- ``record``: one handle record (an enterprise's monthly energy record);
- ``quarter``: what an activity resolution does with the node: the energy-activity template, three monthly
  records, validation of every value against the template, and the mapping to emission sources.

Misses start from an empty cache every round; hits repeat the same work on a warm cache. No database or
broker is involved: this measures the resolution path, not the outbox.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

from carbonid_contracts.codes.period import Period
from carbonid_resolver.config import ResolverSettings
from carbonid_resolver.domain.mapping import DEFAULT_RULES, map_period, rules_for
from carbonid_resolver.domain.template import parse_template, validate_record
from carbonid_resolver.resilience import NodeDirectory

QUARTERS = ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_node(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "IDNODE_ENVIRONMENT": "development"}
    process = subprocess.Popen(
        [sys.executable, "-m", "carbonid_idnode", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the identifier node did not start")


def prefixes(seed_dir: Path) -> list[tuple[str, str]]:
    data = json.loads((seed_dir / "prefixes.json").read_text(encoding="utf-8"))
    return [(p["prefix"], p["industryClass"]) for p in data["prefixes"] if p.get("role") == "enterprise"]


async def measure(
    jobs: list[Callable[[], Awaitable[None]]], concurrency: int
) -> tuple[float, list[float]]:  # (seconds, per-job latencies)
    queue = list(reversed(jobs))
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            job = queue.pop()
            started = time.perf_counter()
            await job()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def report(name: str, seconds: float, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(f"{name:<22} {len(ordered):>6} {len(ordered) / seconds:>12.1f} {p50:>10.2f} {p99:>10.2f}")


async def run(base_url: str, enterprises: list[tuple[str, str]], concurrency: int, rounds: int) -> None:
    settings = ResolverSettings(
        nodes=[{"prefix": "*", "kind": "handle", "base_url": base_url, "name": "local"}],
        resolution_deadline_s=30,
        read_timeout_s=10,
        breaker_failure_threshold=1000,
    )
    directory = NodeDirectory(settings)
    template_handle = settings.activity_template

    def record_job(handle: str) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            await directory.for_handle(handle).resolve(handle, directory.deadline())

        return job

    def quarter_job(prefix: str, industry: str, quarter: str) -> Callable[[], Awaitable[None]]:
        rules = rules_for(DEFAULT_RULES, industry, None)
        months = Period.parse(quarter).months()

        async def job() -> None:
            deadline = directory.deadline()
            template = parse_template(
                (await directory.for_handle(template_handle).template(template_handle, deadline)).value
            )
            node = directory.for_prefix(prefix)
            fetched = await asyncio.gather(*(node.resolve(f"{prefix}/energy.{m}", deadline) for m in months))
            records = [validate_record(f.value, template) for f in fetched]
            map_period(template, records, rules, industry=industry)

        return job

    record_handles = [f"{p}/energy.2025-{m:02d}" for p, _ in enterprises for m in range(1, 11)]
    scenarios = {
        "record": [record_job(h) for h in record_handles],
        # every job a different enterprise and quarter: on a cold cache only the shared template is reused
        "quarter": [quarter_job(p, i, q) for q in QUARTERS for p, i in enterprises],
    }
    print(f"identifier node {base_url}; concurrency {concurrency}; {rounds} round(s) each")
    print(f"{'scenario':<22} {'count':>6} {'resolutions/s':>12} {'p50 ms':>10} {'p99 ms':>10}")
    # one untimed pass so that connections and imports are warm for both figures alike
    await measure(scenarios["record"][:50], concurrency)
    for name, jobs in scenarios.items():
        miss_seconds, miss_latencies = 0.0, []
        hit_seconds, hit_latencies = 0.0, []
        for _ in range(rounds):
            directory.cache.clear()
            seconds, latencies = await measure(list(jobs), concurrency)
            miss_seconds += seconds
            miss_latencies += latencies
            seconds, latencies = await measure(list(jobs), concurrency)
            hit_seconds += seconds
            hit_latencies += latencies
        report(f"{name} (cache miss)", miss_seconds, miss_latencies)
        report(f"{name} (cache hit)", hit_seconds, hit_latencies)
    await directory.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--node-url", default=None, help="use a running node instead of starting one")
    args = parser.parse_args()
    from carbonid_idnode.config import SEED_DIR

    enterprises = prefixes(SEED_DIR)
    if args.node_url:
        asyncio.run(run(args.node_url, enterprises, args.concurrency, args.rounds))
        return
    port = free_port()
    node = start_node(port)
    try:
        asyncio.run(run(f"http://127.0.0.1:{port}", enterprises, args.concurrency, args.rounds))
    finally:
        node.terminate()
        node.wait(timeout=10)


if __name__ == "__main__":
    main()
