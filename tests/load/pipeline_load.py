"""Load test of the whole pipeline through the gateway: resolved → calculated → evaluated → certified → projected.

    .venv/bin/python tests/load/pipeline_load.py --submissions 600 --concurrency 32 [--broker apache|tansu]
        [--profile evaluation,calculator] [--keep]

Starts the embedded stack (the stack launcher's ``Stack``, every service as its own process) on free ports in a
temporary folder, on Apache Kafka (KRaft, started here) or Tansu. Tokens are minted with a test key whose JWKS a
small HTTP server here serves at ``CARBONID_JWKS_URL`` for every process (how identity's keys reach services);
the gateway's per-address and per-user rate limits are raised so that the platform, not the limiter, is measured.

A *submission* is what an enterprise user does for one month of data, every request through the gateway:
    1. resolver: POST /enterprises/{id}/activity-resolutions?wait=true            → activity.resolved
    2. calculator: POST /calculations, POST …/resolved-activity (retried until the calculator consumed
       activity.resolved), POST …/compute, POST …/confirm                         → emission.calculated
    3. evaluation: POST /evaluations (retried until evaluation consumed emission.calculated), PUT questionnaire,
       POST neutralisation, POST compute (the grade), POST issue                   → evaluation.completed
    4. certificates issues the certificate (certificate.issued), analytics projects it — watched in their
       databases by a monitor, not polled through the API, so that watching adds no HTTP load.
The 48 demo enterprises of the local identifier node × its 24 months give 1,152 distinct submissions.

Prints: sustained throughput (submissions graded per second, and projected per second), p50/p90/p99 latency from
the first request of a submission to its grade, to its certificate and to its projection, errors, and each
process's mean CPU (% of one core) and peak RSS over the measured window (psutil).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psutil
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import BenchmarkEntry, BenchmarkPublished
from carbonid_contracts.topics import topic_for
from carbonid_kit.embedded import free_port
from carbonid_kit.messaging.authenticity import EventSigner
from carbonid_kit.settings import DEVELOPMENT_EVENT_SECRET
from carbonid_kit.testing_tokens import JwksServer, TestTokens
from carbonid_stack.__main__ import Stack
from carbonid_stack.components import IDENTIFIER_NODE, Component, StackConfig, service_env

QUESTIONNAIRE = {
    "energy_management_system": {"value": "no"},
    "energy_metering": {"value": "none"},
    "energy_online_monitoring": {"value": "no"},
    "renewable_energy_use": {"value": "no"},
    "energy_audit": {"value": "no"},
    "carbon_management_staff": {"value": "no"},
    "carbon_reduction_targets": {"value": "none"},
    "green_factory": {"value": "none"},
    "ghg_verification": {"value": "no"},
}


def say(message: str) -> None:
    print(f"[load] {message}", flush=True)


# ---------------------------------------------------------------------------------------------------------------
# the stack, with a test JWKS and raised gateway limits


class LoadStack(Stack):
    """The stack launcher's ``Stack`` with extra environment for every process, and optional cProfile."""

    def __init__(self, config: StackConfig, overrides: dict[str, str], profile: set[str], profile_dir: Path) -> None:
        super().__init__(config)
        self.overrides = overrides
        self.profile = profile
        self.profile_dir = profile_dir

    def spawn(self, component: Component) -> None:
        if component is IDENTIFIER_NODE:
            super().spawn(component)
            return
        env = {**os.environ, **service_env(component, self.config), **self.overrides}
        main = f"from {component.module}.main import main"
        if component.name in self.profile:
            out = self.profile_dir / f"{component.name}.prof"
            # uvicorn re-raises SIGTERM once it has shut down: a handler of ours turns it into SystemExit, so that
            # the profile is written on the way out
            code = (
                "import cProfile, signal, sys\n"
                "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
                f"{main}\n"
                "profile = cProfile.Profile()\n"
                "profile.enable()\n"
                "try:\n    main()\n"
                f"finally:\n    profile.disable()\n    profile.dump_stats({str(out)!r})\n"
            )
        else:
            code = f"{main}; main()"
        log = (self.logs / f"{component.name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-c", code], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append((component, process))


# ---------------------------------------------------------------------------------------------------------------
# measurements


@dataclass
class Submission:
    enterprise: dict[str, Any]
    period: str
    started: float = 0.0
    graded: float | None = None
    evaluation_id: str | None = None
    certified: float | None = None
    projected: float | None = None
    error: str | None = None
    retries: Counter[str] = field(default_factory=Counter)


class ProcessSampler:
    """Mean CPU and peak RSS of every process of the stack (PostgreSQL and the JVM included) over a window."""

    def __init__(self, processes: dict[str, list[int]]) -> None:
        self.pids = processes
        self.peak_rss: Counter[str] = Counter()
        self._start: dict[str, float] = {}
        self._end: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _cpu(self, name: str) -> float:
        total = 0.0
        for pid in self.pids[name]:
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(pid).cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        return total

    def _rss(self, name: str) -> int:
        total = 0
        for pid in self.pids[name]:
            with contextlib.suppress(psutil.Error):
                total += psutil.Process(pid).memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            for name in self.pids:
                self.peak_rss[name] = max(self.peak_rss[name], self._rss(name))

    def start(self) -> None:
        self.started = time.monotonic()
        self._start = {name: self._cpu(name) for name in self.pids}
        self._thread.start()

    def stop(self) -> None:
        self.ended = time.monotonic()
        self._end = {name: self._cpu(name) for name in self.pids}
        self._stop.set()

    def table(self) -> list[tuple[str, float, float]]:
        wall = self.ended - self.started
        return [
            (name, 100.0 * (self._end[name] - self._start[name]) / wall, self.peak_rss[name] / 2**20)
            for name in self.pids
        ]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# ---------------------------------------------------------------------------------------------------------------
# the driver


class Driver:
    def __init__(self, gateway: str, tokens: TestTokens, concurrency: int) -> None:
        limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
        self.http = httpx.AsyncClient(base_url=gateway, timeout=60.0, limits=limits)
        self.tokens = tokens
        self.operator = tokens.headers("operator", username="loadop01")

    async def call(self, method: str, path: str, headers: dict[str, str], body: Any = None, **params: Any) -> Any:
        response = await self.http.request(method, path, headers=headers, json=body, params=params or None)
        if response.status_code >= 400:
            raise RequestFailedError(response.status_code, method, path, response.text[:300])
        return response.json() if response.content else None

    async def retrying(
        self, sub: Submission, what: str, method: str, path: str, headers: dict[str, str], body: Any, codes: set[int]
    ) -> Any:
        """Retry while the answer says the event has not arrived yet (409/422), with a short, growing pause."""
        pause = 0.02
        deadline = time.monotonic() + 120
        while True:
            try:
                return await self.call(method, path, headers, body)
            except RequestFailedError as exc:
                if exc.status not in codes or time.monotonic() > deadline:
                    raise
                sub.retries[what] += 1
                await asyncio.sleep(pause)
                pause = min(pause * 1.5, 0.25)

    async def resolve_enterprises(self, prefixes: list[str]) -> list[dict[str, Any]]:
        out = []
        for prefix in prefixes:
            out.append(await self.call("POST", "/api/resolver/enterprises/resolve", self.operator, {"prefix": prefix}))
        return out

    async def submit(self, sub: Submission) -> None:
        e = sub.enterprise
        headers = self.tokens.headers("enterprise", enterprise_id=uuid.UUID(e["id"]))
        sub.started = time.monotonic()
        try:
            await self.call(
                "POST",
                f"/api/resolver/enterprises/{e['id']}/activity-resolutions",
                headers,
                {"period": sub.period},
                wait="true",
            )
            calc = await self.call(
                "POST",
                "/api/calculator/calculations",
                headers,
                {
                    "sub_industry_code": e["industry"]["code"],
                    "period": sub.period,
                    "added_value_10k_cny": str(1000 + random.randint(0, 4000)),
                },
            )
            cid = calc["id"]
            attached = await self.retrying(
                sub, "activity", "POST", f"/api/calculator/calculations/{cid}/resolved-activity", headers, None, {409}
            )
            # the preview step: remove the items the platform cannot compute as published (steam without its
            # enthalpy, items with no platform source), as a user does before computing
            for line in attached["lines"]:
                if line["source_name_zh"] is None or line["source_code"].startswith("steam"):
                    await self.call("DELETE", f"/api/calculator/calculations/{cid}/lines/{line['id']}", headers)
            await self.call("POST", f"/api/calculator/calculations/{cid}/compute", headers)
            await self.call("POST", f"/api/calculator/calculations/{cid}/confirm", headers)
            evaluation = await self.retrying(
                sub,
                "calculation",
                "POST",
                "/api/evaluation/evaluations?wait=10",  # evaluation waits for the calculation on its way
                headers,
                {"period": sub.period},
                {422},
            )
            eid = evaluation["id"]
            await self.call(
                "PUT", f"/api/evaluation/evaluations/{eid}/questionnaire", headers, {"answers": QUESTIONNAIRE}
            )
            await self.call("POST", f"/api/evaluation/evaluations/{eid}/neutralisation", headers)
            await self.call("POST", f"/api/evaluation/evaluations/{eid}/compute", headers)
            sub.graded = time.monotonic()
            await self.call("POST", f"/api/evaluation/evaluations/{eid}/issue", headers)
            sub.evaluation_id = eid
        except (RequestFailedError, httpx.HTTPError) as exc:
            sub.error = repr(exc)[:300]


class RequestFailedError(Exception):
    def __init__(self, status: int, method: str, path: str, body: str) -> None:
        super().__init__(f"{status} {method} {path}: {body}")
        self.status = status


STALL_SECONDS = 120.0


async def watch(engines: dict[str, AsyncEngine], subs: list[Submission], done: asyncio.Event) -> None:
    """Record when each issued evaluation is certified and when analytics has projected its certificate.

    Once every submission is in, gives up after ``STALL_SECONDS`` without progress: what is still missing then
    is marked as an error of its submission (``not certified`` / ``not projected``), so a stalled pipeline
    ends the run with a report instead of hanging it."""
    by_eval: dict[str, Submission] = {}
    progress, last_progress = -1, time.monotonic()
    while True:
        for sub in subs:
            if sub.evaluation_id and sub.evaluation_id not in by_eval:
                by_eval[sub.evaluation_id] = sub
        now = time.monotonic()
        async with engines["certificates"].connect() as conn:
            certified = {str(r[0]) for r in await conn.execute(text("SELECT evaluation_id FROM certificates"))}
        async with engines["analytics"].connect() as conn:
            projected = {str(r[0]) for r in await conn.execute(text("SELECT evaluation_id FROM certificates"))}
        for eid, sub in by_eval.items():
            if sub.certified is None and eid in certified:
                sub.certified = now
            if sub.projected is None and eid in projected:
                sub.projected = now
        pending = [s for s in subs if s.error is None and (s.evaluation_id is None or s.projected is None)]
        if done.is_set() and not pending:
            return
        if len(pending) != progress:
            progress, last_progress = len(pending), now
        elif done.is_set() and now - last_progress > STALL_SECONDS:
            for sub in pending:
                sub.error = "not certified" if sub.certified is None else "not projected"
            say(f"gave up waiting: {len(pending)} submissions stalled for {STALL_SECONDS:.0f} s")
            return
        await asyncio.sleep(0.1)


async def publish_benchmarks(bootstrap: str, prefix: str, industries: set[str]) -> None:
    """National benchmarks for every industry of the demo enterprises and year of its data (the regulator's part)."""
    event = BenchmarkPublished(
        benchmark_set_id=uuid.uuid4(),
        version="bm-load.1",
        region_scope="100000",
        published_by="load test",
        entries=[
            BenchmarkEntry(
                industry_code=code,
                region_scope="100000",
                year=year,
                intensity_tco2_per_10k_cny=Decimal("1.2"),
                sample_size=30,
                total_emissions_tco2=Decimal("360000"),
                total_added_value_10k_cny=Decimal("300000"),
            )
            for code in sorted(industries)
            for year in (2024, 2025, 2026)
        ],
        published_at=datetime.now(UTC),
    )
    # Published as analytics would, signed with analytics' development key (consumers accept the type only so).
    cloud = CloudEvent.of(event, source="urn:carbonid:analytics:100000")
    signer = EventSigner(DEVELOPMENT_EVENT_SECRET, "analytics")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            topic_for(cloud.type, prefix), value=cloud.value(), key=cloud.key, headers=signer.headers(cloud)
        )
    finally:
        await producer.stop()


def demo_prefixes() -> tuple[list[str], list[str]]:
    from carbonid_idnode import seed  # type: ignore[import-untyped]

    folder = Path(seed.__file__).parent
    prefixes = json.loads((folder / "prefixes.json").read_text(encoding="utf-8"))
    enterprises = [p["prefix"] for p in prefixes["prefixes"] if p.get("enterpriseHandle")]
    first, last = prefixes["summary"]["months"]
    months = []
    year, month = int(first[:4]), int(first[5:])
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return enterprises, months


async def run_load(stack: LoadStack, tokens: TestTokens, args: argparse.Namespace, pids: dict[str, list[int]]) -> None:
    config = stack.config
    driver = Driver(config.url(config.gateway_port), tokens, args.concurrency)
    prefixes, months = demo_prefixes()
    enterprises = await driver.resolve_enterprises(prefixes)
    await publish_benchmarks(config.bootstrap, config.topic_prefix, {e["industry"]["code"] for e in enterprises})
    pairs = [(e, m) for m in months for e in enterprises]
    random.Random(7).shuffle(pairs)
    engines = {
        s: create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{config.postgres_port}/carbonid_{s}")
        for s in ("certificates", "analytics")
    }

    # warm-up: a few submissions end to end (consumer groups joined, caches filled), not measured
    warm = [Submission(e, m) for e, m in pairs[: args.warmup]]
    await asyncio.gather(*(driver.submit(s) for s in warm))
    done = asyncio.Event()
    done.set()
    await watch(engines, warm, done)
    warm_errors = [s.error for s in warm if s.error]
    if warm_errors:
        say(f"warm-up errors: {warm_errors[:3]}")

    subs = [Submission(e, m) for e, m in pairs[args.warmup : args.warmup + args.submissions]]
    postmaster = pids["postgresql"][0]  # the backends the warm-up opened (pools keep them) count too
    pids["postgresql"] = [postmaster] + [c.pid for c in psutil.Process(postmaster).children(recursive=True)]
    sampler = ProcessSampler(pids)
    gate = asyncio.Semaphore(args.concurrency)
    done = asyncio.Event()

    async def one(sub: Submission) -> None:
        async with gate:
            await driver.submit(sub)

    sampler.start()
    began = time.monotonic()
    watcher = asyncio.create_task(watch(engines, subs, done))
    await asyncio.gather(*(one(s) for s in subs))
    submitted = time.monotonic()
    done.set()
    await asyncio.wait_for(watcher, timeout=600)
    finished = time.monotonic()
    sampler.stop()
    await driver.http.aclose()
    for engine in engines.values():
        await engine.dispose()

    ok = [s for s in subs if s.error is None]
    kinds = {re.sub(r"[0-9a-f-]{36}", "{id}", (s.error or "").split(":")[0]): s.error for s in subs if s.error}
    errors = Counter(re.sub(r"[0-9a-f-]{36}", "{id}", (s.error or "").split(":")[0]) for s in subs if s.error)
    graded = [s.graded - s.started for s in ok if s.graded]
    certified = [s.certified - s.started for s in ok if s.certified]
    projected = [s.projected - s.started for s in ok if s.projected]
    retries: Counter[str] = Counter()
    for s in ok:
        retries.update(s.retries)

    def line(name: str, values: list[float]) -> str:
        return (
            f"{name:<28} n={len(values):<5} p50={percentile(values, 50):7.3f} s  p90={percentile(values, 90):7.3f} s"
            f"  p99={percentile(values, 99):7.3f} s  max={max(values, default=float('nan')):7.3f} s"
        )

    say(f"broker {args.broker}; {len(subs)} submissions, concurrency {args.concurrency}, warm-up {args.warmup}")
    submit_s, finish_s = submitted - began, finished - began
    say(f"all submitted (graded and issued) after {submit_s:.1f} s; all projected after {finish_s:.1f} s")
    say(f"sustained: {len(graded) / submit_s:.1f} graded/s, {len(projected) / finish_s:.1f} projected/s")
    say(f"HTTP requests per submission: 13 + retries ({dict(retries)}) -> {13 * len(ok) / submit_s:.0f} req/s")
    say(line("submission -> grade", graded))
    say(line("submission -> certified", certified))
    say(line("submission -> projected", projected))
    say(f"errors: {dict(errors) or 'none'}")
    for kind, example in kinds.items():
        say(f"  {kind}: {example}")
    say(f"{'process':<16} {'CPU % of a core':>16} {'peak RSS MiB':>14}")
    for name, cpu, rss in sorted(sampler.table(), key=lambda t: -t[1]):
        say(f"{name:<16} {cpu:16.1f} {rss:14.0f}")
    memory = psutil.virtual_memory().total / 2**30
    say(f"machine: {os.cpu_count()} cores, {memory:.0f} GiB RAM, load average {os.getloadavg()}")
    if stats := [s for s in subs if s.graded and s.projected]:
        tail = statistics.mean(s.projected - s.graded for s in stats)  # type: ignore[operator]
        say(f"mean grade -> projected (the asynchronous tail): {tail:.3f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--broker", choices=["apache", "tansu"], default="apache")
    parser.add_argument("--profile", default="", help="comma-separated services to run under cProfile")
    parser.add_argument("--keep", action="store_true", help="keep the data folder (logs, profiles)")
    args = parser.parse_args()

    profile = {p for p in args.profile.split(",") if p}
    with load_stack(args.broker, "load.", profile=profile, keep=args.keep or bool(profile)) as running:
        stack, folder = running.stack, running.folder
        pids: dict[str, list[int]] = {c.name: [p.pid] for c, p in stack.processes}
        postmaster = int((folder / "postgres" / "postmaster.pid").read_text().split()[0])
        pids["postgresql"] = [postmaster] + [c.pid for c in psutil.Process(postmaster).children(recursive=True)]
        if running.kafka is not None and running.kafka.pid:
            pids["kafka (JVM)"] = [running.kafka.pid]
        elif stack.tansu is not None and stack.tansu._process is not None:
            pids["tansu"] = [stack.tansu._process.pid]
        asyncio.run(run_load(stack, running.tokens, args, pids))
        if profile:
            say(f"profiles: {', '.join(str(folder / (p + '.prof')) for p in sorted(profile))}")
    return 0


@dataclass
class RunningStack:
    stack: LoadStack
    config: StackConfig
    tokens: TestTokens
    kafka: Any
    folder: Path


@contextlib.contextmanager
def load_stack(broker: str, topic_prefix: str, *, profile: set[str], keep: bool) -> Iterator[RunningStack]:
    """The embedded stack on free ports in a temporary folder, with a test JWKS and the gateway's rate limits
    raised (so that the platform, not the limiter, is measured); Apache Kafka started first when asked for."""
    folder = Path(tempfile.mkdtemp(prefix="carbonid-load-"))
    ports: dict[str, Any] = dict(StackConfig.free_ports())
    kafka = None
    bootstrap = None
    if broker == "apache":
        from carbonid_kit.kafka_server import ApacheKafka

        kafka = ApacheKafka(folder / "kafka", ports["kafka_port"], free_port(), folder / "kafka" / "broker.log")
        say("starting Apache Kafka")
        kafka.start(timeout=180)
        bootstrap = kafka.bootstrap
    config = StackConfig(
        data_dir=folder, topic_prefix=topic_prefix, kafka_bootstrap=bootstrap, kafka_flavour=broker, **ports
    )
    tokens = TestTokens()
    jwks = JwksServer(tokens.jwks)
    overrides = {
        "CARBONID_JWKS_URL": jwks.url,
        "CARBONID_RATE_PER_ADDRESS": "1000000",
        "CARBONID_BURST_PER_ADDRESS": "1000000",
        "CARBONID_RATE_PER_USER": "1000000",
        "CARBONID_BURST_PER_USER": "1000000",
        "CARBONID_LOG_LEVEL": "WARNING",
    }
    stack = LoadStack(config, overrides, profile, folder)
    try:
        say(f"starting the stack in {folder}")
        stack.start()
        yield RunningStack(stack, config, tokens, kafka, folder)
    finally:
        stack.stop()
        if kafka is not None:
            kafka.stop()
        if keep:
            say(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
