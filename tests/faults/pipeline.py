"""The pipeline under faults: evaluation → certificates → analytics as real OS processes on PostgreSQL and
Apache Kafka, a driver that feeds it, the faults themselves, and the invariant checks every scenario ends with.

Entry points of the pipeline (no UI, no identity): ``benchmark.published`` and ``emission.calculated`` are
produced straight into Kafka; evaluations are run through evaluation's HTTP API (the four steps) with tokens
signed by a test key whose JWKS a small HTTP server in the test serves at ``CARBONID_JWKS_URL``, exactly as
identity's keys reach the services. Everything after ``issue`` happens on its own: ``evaluation.completed``
→ certificates → ``certificate.issued`` → analytics.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from carbonid_contracts.envelope import CloudEvent, EnvelopeError
from carbonid_contracts.events import (
    BenchmarkEntry,
    BenchmarkPublished,
    EmissionCalculated,
    EventPayload,
    Reductions,
)
from carbonid_contracts.topics import EventType, dead_letter_topic, topic_for
from carbonid_kit.embedded import EmbeddedPostgres, free_port
from carbonid_kit.kafka_server import ApacheKafka
from carbonid_kit.migrations import ensure_database
from carbonid_kit.testing import wait_until
from carbonid_kit.testing_tokens import JwksServer, TestTokens

QUESTIONNAIRE_ALL_NO = {
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
MODULES = {
    "evaluation": "carbonid_evaluation",
    "certificates": "carbonid_certificates",
    "analytics": "carbonid_analytics",
    "metering": "carbonid_metering",
}


def analytics_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("carbonid_analytics") is not None


# ---------------------------------------------------------------------------------------------------------------
# infrastructure shared by a session: PostgreSQL, Apache Kafka, a JWKS server


@dataclass
class Infra:
    postgres: EmbeddedPostgres
    kafka: ApacheKafka
    tokens: TestTokens
    jwks: JwksServer
    folder: Path


@contextlib.contextmanager
def running_infra(folder: Path) -> Iterator[Infra]:
    """PostgreSQL, Apache Kafka and a JWKS server, stopped at the end.

    PostgreSQL keeps its durable defaults (fsync, synchronous_commit): with ``synchronous_commit=off`` a crash
    loses the last commits the services already answered for, which is a property of that setting, not a fault
    of the pipeline.
    """
    postgres = EmbeddedPostgres(folder / "postgres", free_port())
    kafka = ApacheKafka(folder / "kafka", free_port(), free_port(), folder / "kafka" / "broker.log")
    tokens = TestTokens()
    jwks = JwksServer(tokens.jwks)
    postgres.start()
    try:
        kafka.start(timeout=180)
        try:
            yield Infra(postgres, kafka, tokens, jwks, folder)
        finally:
            kafka.stop()
    finally:
        jwks.close()
        postgres.stop("immediate")


# ---------------------------------------------------------------------------------------------------------------
# service processes


@dataclass
class ServiceProcess:
    """One service as an OS process (``python -c 'from carbonid_X.main import main; main()'``)."""

    name: str
    service: str
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    exits: list[int] = field(default_factory=list)
    log_offset: int = 0  # where the log of the current run begins

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        assert not self.alive(), f"{self.name} already running"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_offset = len(self.log_text())
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", f"from {MODULES[self.service]}.main import main; main()"],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    async def wait_ready(self, timeout: float = 120.0) -> None:
        async with httpx.AsyncClient(timeout=2.0) as client:

            async def ready() -> bool:
                if not self.alive():
                    raise AssertionError(
                        f"{self.name} exited ({self.process and self.process.returncode}):\n{self.log_tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    return (await client.get(self.url + "/health/ready")).status_code == 200
                return False

            await wait_until(ready, timeout=timeout, interval=0.2, what=f"{self.name} ready")

    def sigkill(self) -> None:
        assert self.process is not None
        assert self.alive(), f"{self.name} is not running"
        os.kill(self.process.pid, signal.SIGKILL)
        self.exits.append(self.process.wait(10))

    def sigterm(self, timeout: float = 30.0) -> int:
        """Graceful shutdown; returns the exit code (fails when it takes longer than ``timeout``)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(
                f"{self.name} did not stop within {timeout} s of SIGTERM:\n{self.log_tail()}"
            ) from None
        self.exits.append(code)
        return code

    def stopped_gracefully(self) -> bool:
        """The last run ended with a completed graceful shutdown (the lifespan's shutdown ran to its end).

        uvicorn re-raises the signal it caught once it has shut down, so a graceful stop on SIGTERM exits
        with -15 like an ungraceful one: the log of the last run tells them apart.
        """
        last_run = self.log_text()[self.log_offset :]
        return bool(self.exits) and self.exits[-1] in (0, -15) and "Application shutdown complete." in last_run

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    async def metric(self, name: str, **labels: str) -> float:
        """Sum of a Prometheus counter's samples matching ``labels`` (0 when absent)."""
        async with httpx.AsyncClient(timeout=5.0) as client:
            body = (await client.get(self.url + "/metrics")).text
        total = 0.0
        for line in body.splitlines():
            if not line.startswith(name + "{"):
                continue
            head, _, value = line.rpartition(" ")
            if all(f'{k}="{v}"' in head for k, v in labels.items()):
                total += float(value)
        return total


# ---------------------------------------------------------------------------------------------------------------
# one pipeline: its own databases and topic prefix on the shared infrastructure


def calculation_event(enterprise_id: uuid.UUID, *, gross: str, added_value: str = "5000") -> EmissionCalculated:
    return EmissionCalculated(
        enterprise_id=enterprise_id,
        calculation_id=uuid.uuid4(),
        identifier_prefix="88.118.8",
        region_code="330502",
        industry_code="3011",
        period="2023Q3",
        added_value_10k_cny=Decimal(added_value),
        total_emissions_tco2=Decimal(gross),
        net_emissions_tco2=Decimal(gross),
        intensity_tco2_per_10k_cny=Decimal(gross) / Decimal(added_value),
        energy_tce=Decimal("4000"),
        by_scope={"scope1": Decimal(gross)},
        by_category={"combustion": Decimal(gross)},
        by_carrier=[],
        reductions=Reductions(
            ccer_tco2=Decimal("200"),
            green_certificates_mwh=Decimal("500"),
            own_renewable_mwh=Decimal("1000"),
            sinks_tco2=Decimal("100"),
            neutralisation_tco2=Decimal("0"),
        ),
        factor_set_version="ndrc-2015/v1",
        input_hash=uuid.uuid4().hex * 2,
        confirmed_at=datetime.now(UTC),
    )


def benchmark_event() -> BenchmarkPublished:
    return BenchmarkPublished(
        benchmark_set_id=uuid.uuid4(),
        version=f"bm-faults-{uuid.uuid4().hex[:6]}",
        region_scope="330000",
        published_by="浙江省经信厅",
        entries=[
            BenchmarkEntry(
                industry_code="3011",
                region_scope="330000",
                year=2023,
                intensity_tco2_per_10k_cny=Decimal("1.5"),
                sample_size=12,
                total_emissions_tco2=Decimal("180000"),
                total_added_value_10k_cny=Decimal("120000"),
            )
        ],
        published_at=datetime.now(UTC),
    )


async def stop_quietly(consumer: AIOKafkaConsumer) -> None:
    """aiokafka 0.14's group-less consumer re-raises the cancellation of its own internal task from ``stop()``."""
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise


class TransientHttpError(Exception):
    pass


class Pipeline:
    """evaluation, certificates (and analytics when installed) on a fresh topic prefix and fresh databases."""

    def __init__(self, infra: Infra, label: str, *, with_analytics: bool | None = None) -> None:
        self.infra = infra
        self.label = label
        self.prefix = f"f{uuid.uuid4().hex[:8]}."
        self.folder = infra.folder / f"{label}-{self.prefix.rstrip('.')}"
        self.with_analytics = analytics_installed() if with_analytics is None else with_analytics
        self.services = ["evaluation", "certificates", *(["analytics"] if self.with_analytics else [])]
        self.database_urls = {s: f"{infra.postgres.url}/{self.prefix.rstrip('.')}_{s}" for s in self.services}
        self.processes: dict[str, ServiceProcess] = {}
        self._producer: AIOKafkaProducer | None = None
        self._engines: dict[str, AsyncEngine] = {}
        self.http = httpx.AsyncClient(timeout=30.0)
        # what the driver did, for the invariants
        self.calculations: dict[uuid.UUID, uuid.UUID] = {}  # enterprise -> calculation id (valid ones)
        self.calculation_event_ids: set[uuid.UUID] = set()
        self.evaluations: dict[uuid.UUID, uuid.UUID] = {}  # enterprise -> evaluation id issued

    # ---- processes

    def env(self, service: str, port: int) -> dict[str, str]:
        return {
            "CARBONID_SERVICE_NAME": service,
            "CARBONID_ENVIRONMENT": "test",
            "CARBONID_REGION_CODE": "330000",
            "CARBONID_HTTP_HOST": "127.0.0.1",
            "CARBONID_HTTP_PORT": str(port),
            "CARBONID_DATABASE_URL": self.database_urls[service],
            "CARBONID_KAFKA_BOOTSTRAP": self.infra.kafka.bootstrap,
            "CARBONID_KAFKA_FLAVOUR": "apache",
            "CARBONID_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "CARBONID_TOPIC_PREFIX": self.prefix,
            "CARBONID_JWKS_URL": self.infra.jwks.url,
            "CARBONID_OUTBOX_POLL_SECONDS": "0.5",
            "CARBONID_PUBLIC_BASE_URL": "http://127.0.0.1:8000",
            "CARBONID_LOG_JSON": "true",
            "CARBONID_LOG_LEVEL": "INFO",
            "CARBONID_SERVICE_TOKEN": "faults-service-token",
            "CARBONID_SIGNING_KEY_SECRET": "faults-signing-key-secret-0123456789",
            "CARBONID_KEY_ENCRYPTION_SECRET": "faults-key-encryption-secret-0123456789",
            "CARBONID_WEBHOOKS_ENABLED": "false",
            "CARBONID_GENERATION_POLL_SECONDS": "1",
            "CARBONID_EVIDENCE_DIR": str(self.folder / "evidence"),
        }

    def add_process(self, name: str, service: str) -> ServiceProcess:
        port = free_port()
        process = ServiceProcess(name, service, self.env(service, port), port, self.folder / f"{name}.log")
        self.processes[name] = process
        return process

    async def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for url in self.database_urls.values():
            await ensure_database(url)
        for service in self.services:
            self.add_process(service, service).start()
        for service in self.services:
            await self.processes[service].wait_ready()

    async def restart(self, name: str) -> None:
        process = self.processes[name]
        assert not process.alive()
        process.start()
        await process.wait_ready()

    async def close(self) -> None:
        for process in self.processes.values():
            if process.alive():
                with contextlib.suppress(AssertionError):
                    process.sigterm(30)
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await self._producer.stop()
        for engine in self._engines.values():
            await engine.dispose()
        await self.http.aclose()

    @property
    def evaluation(self) -> ServiceProcess:
        return self.processes["evaluation"]

    @property
    def certificates(self) -> ServiceProcess:
        return self.processes["certificates"]

    # ---- database

    def engine(self, service: str) -> AsyncEngine:
        if service not in self._engines:
            self._engines[service] = create_async_engine(self.database_urls[service], pool_pre_ping=True, pool_size=3)
        return self._engines[service]

    async def query(self, service: str, sql: str, **params: Any) -> list[Any]:
        async with self.engine(service).connect() as conn:
            return list((await conn.execute(text(sql), params)).all())

    async def scalar(self, service: str, sql: str, **params: Any) -> Any:
        rows = await self.query(service, sql, **params)
        return rows[0][0] if rows else None

    @contextlib.asynccontextmanager
    async def holding_lock(self, service: str, statement: str) -> Any:
        """Run ``statement`` (e.g. ``LOCK TABLE ...``) in an open transaction until the block ends (rollback)."""
        async with self.engine(service).connect() as conn:
            transaction = await conn.begin()
            await conn.execute(text(statement))
            try:
                yield conn
            finally:
                with contextlib.suppress(Exception):
                    await transaction.rollback()

    async def wait_for_blocked(self, service: str, query_like: str, *, timeout: float = 60.0) -> int:
        """Wait until a backend of ``service``'s database waits on a lock running a query like ``query_like``."""
        db = self.database_urls[service].rsplit("/", 1)[1]

        async def blocked() -> int:
            return int(
                await self.scalar(
                    service,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock' "
                    "AND query ILIKE :q",
                    db=db,
                    q=query_like,
                )
            )

        return await wait_until(
            blocked, timeout=timeout, interval=0.1, what=f"a {service} query like {query_like} blocked"
        )

    # ---- Kafka

    async def producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            self._producer = AIOKafkaProducer(
                bootstrap_servers=self.infra.kafka.bootstrap,
                acks="all",
                enable_idempotence=True,
                request_timeout_ms=15000,
            )
            await self._producer.start()
        return self._producer

    async def publish(self, payload: EventPayload, *, event: CloudEvent | None = None) -> CloudEvent:
        event = event or CloudEvent.of(payload, source="urn:carbonid:faults:330000")
        await self.publish_raw(
            topic_for(event.type, self.prefix), event.value(), key=event.key, headers=list(event.headers())
        )
        return event

    async def publish_raw(
        self, topic: str, value: bytes, *, key: bytes | None = None, headers: list[tuple[str, bytes]] | None = None
    ) -> None:
        producer = await self.producer()
        await producer.send_and_wait(topic, value=value, key=key, headers=headers or [])

    async def read_topic(self, topic: str) -> list[Any]:
        """Every record of a topic, from the beginning to the end offsets at the time of the call."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.infra.kafka.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            if topic not in await consumer.topics():
                return []
            partitions = await (await self.producer()).partitions_for(topic)  # waits for the metadata
            if not partitions:
                return []
            assigned = [TopicPartition(topic, p) for p in partitions]
            consumer.assign(assigned)
            await consumer.seek_to_beginning(*assigned)
            ends = await consumer.end_offsets(assigned)
            out: list[Any] = []
            deadline = time.monotonic() + 60
            while [tp for tp in assigned if await consumer.position(tp) < ends[tp]]:
                assert time.monotonic() < deadline, f"could not read {topic} to its end"
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    out.extend(records)
            return out
        finally:
            await stop_quietly(consumer)

    async def events_on(self, event_type: EventType) -> list[CloudEvent]:
        """The CarbonID events of that type on its topic (poison records the scenario put there left out)."""
        events = []
        for record in await self.read_topic(topic_for(event_type, self.prefix)):
            with contextlib.suppress(EnvelopeError):
                event = CloudEvent.decode(list(record.headers), record.value)
                if event.type is event_type:
                    events.append(event)
        return events

    async def dead_letters(self, group: str) -> list[Any]:
        return await self.read_topic(dead_letter_topic(group, self.prefix))

    # ---- driving the pipeline

    async def seed(self, enterprises: int) -> list[uuid.UUID]:
        """A benchmark and one confirmed calculation per new enterprise, straight into Kafka."""
        if not self.calculations:
            await self.publish(benchmark_event())
        ids = [uuid.uuid4() for _ in range(enterprises)]
        for index, enterprise_id in enumerate(ids):
            payload = calculation_event(enterprise_id, gross=str(4000 + 37 * (index % 200)))
            event = await self.publish(payload)
            self.calculations[enterprise_id] = payload.calculation_id
            self.calculation_event_ids.add(event.id)
        return ids

    async def wait_calculations_seen(self, enterprises: Iterable[uuid.UUID], timeout: float = 120.0) -> None:
        want = {self.calculations[e] for e in enterprises}

        async def seen() -> bool:
            rows = await self.query("evaluation", "SELECT calculation_id FROM calculations")
            return want <= {r[0] for r in rows}

        try:
            await wait_until(seen, timeout=timeout, interval=0.2, what="the calculations in evaluation's view")
        except AssertionError as exc:
            dead = [
                {k: v.decode(errors="replace")[:200] for k, v in r.headers if k.startswith("carbonid_dlq_")}
                for r in await self.dead_letters("evaluation")
            ]
            raise AssertionError(f"{exc}; evaluation's dead letters: {dead}") from None

    async def _call(self, method: str, url: str, headers: dict[str, str], body: Any | None = None) -> httpx.Response:
        try:
            response = await self.http.request(method, url, headers=headers, json=body)
        except httpx.HTTPError as exc:
            raise TransientHttpError(repr(exc)) from exc
        if response.status_code >= 500:
            raise TransientHttpError(f"{response.status_code} {response.text[:200]}")
        return response

    async def evaluate(self, enterprise_id: uuid.UUID, *, deadline_s: float = 180.0) -> uuid.UUID:
        """The four steps of an evaluation over HTTP, retried through faults; returns the issued evaluation id.

        A retry after an unknown outcome never issues twice: a started evaluation is resumed by reading it,
        and an ``issue`` whose answer was lost is recognised by the evaluation's status.
        """
        headers = self.infra.tokens.headers("enterprise", enterprise_id=enterprise_id)
        base = self.evaluation.url
        deadline = time.monotonic() + deadline_s
        evaluation_id: uuid.UUID | None = None
        while True:
            try:
                if evaluation_id is None:
                    started = await self._call("POST", base + "/evaluations", headers, {"period": "2023Q3"})
                    assert started.status_code == 201, started.text
                    evaluation_id = uuid.UUID(started.json()["id"])
                current = await self._call("GET", f"{base}/evaluations/{evaluation_id}", headers)
                state = current.json()
                if state["status"] == "completed":
                    break
                if state["status"] != "in_progress":
                    evaluation_id = None  # replaced by another start: begin again
                    continue
                for method, path, body in (
                    ("PUT", "questionnaire", {"answers": QUESTIONNAIRE_ALL_NO}),
                    ("POST", "neutralisation", None),
                    ("POST", "compute", None),
                    ("POST", "issue", None),
                ):
                    response = await self._call(method, f"{base}/evaluations/{evaluation_id}/{path}", headers, body)
                    assert response.status_code == 200, (path, response.status_code, response.text)
                break
            except TransientHttpError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        self.evaluations[enterprise_id] = evaluation_id
        return evaluation_id

    async def evaluate_all(self, enterprises: Iterable[uuid.UUID], concurrency: int = 6) -> None:
        gate = asyncio.Semaphore(concurrency)

        async def one(enterprise_id: uuid.UUID) -> None:
            async with gate:
                await self.evaluate(enterprise_id)

        await asyncio.gather(*(one(e) for e in enterprises))

    # ---- waiting for the automatic part, then the invariants

    async def wait_settled(self, timeout: float = 180.0) -> None:
        """Every issued evaluation certified (and projected), and every outbox empty."""
        issued = set(self.evaluations.values())

        async def settled() -> bool:
            certified = {r[0] for r in await self.query("certificates", "SELECT evaluation_id FROM certificates")}
            if not issued <= certified:
                return False
            for service in ("evaluation", "certificates"):
                if await self.scalar(service, "SELECT count(*) FROM outbox_events"):
                    return False
            if self.with_analytics:
                projected = await self.query("analytics", "SELECT count(*) FROM certificates")
                if projected[0][0] < len(issued):
                    return False
                facts = await self.scalar("analytics", "SELECT count(*) FROM evaluations")
                if facts < len(issued):
                    return False
            return True

        await wait_until(settled, timeout=timeout, interval=0.5, what="the pipeline settled")

    async def check_invariants(self, *, dead_letters: dict[str, int] | None = None) -> dict[str, Any]:
        """Nothing lost, nothing applied twice, projections equal a recomputation from the source databases."""
        await self.wait_settled()
        report: dict[str, Any] = {}
        n = len(self.evaluations)
        assert n == len(set(self.evaluations.values())), "two enterprises share an evaluation id"

        # evaluation's view of calculations: exactly the calculations published, each once
        calc_rows = await self.query("evaluation", "SELECT calculation_id, enterprise_id FROM calculations")
        assert sorted(r[0] for r in calc_rows) == sorted(self.calculations.values()), "calculation view differs"
        inbox_types = Counter(r[0] for r in await self.query("evaluation", "SELECT event_type FROM inbox_events"))
        assert inbox_types[EventType.EMISSION_CALCULATED.value] >= len(self.calculation_event_ids)
        missing = self.calculation_event_ids - {
            r[0]
            for r in await self.query(
                "evaluation",
                "SELECT event_id FROM inbox_events WHERE event_type = :t",
                t=EventType.EMISSION_CALCULATED.value,
            )
        }
        assert not missing, f"calculation events never recorded in evaluation's inbox: {missing}"

        # evaluations: one completed per enterprise, exactly the ones the driver issued
        completed = await self.query(
            "evaluation", "SELECT id, enterprise_id, grade FROM evaluations WHERE status = 'completed'"
        )
        in_db, issued = {r[0] for r in completed}, set(self.evaluations.values())
        assert in_db == issued, f"completed but not issued: {in_db - issued}; issued, not completed: {issued - in_db}"
        per_enterprise = Counter(r[1] for r in completed)
        assert all(c == 1 for c in per_enterprise.values()), f"an enterprise completed twice: {per_enterprise}"

        # evaluation.completed on the wire: one event id per evaluation (redeliveries share it)
        completed_events = await self.events_on(EventType.EVALUATION_COMPLETED)
        ids_per_evaluation: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        for event in completed_events:
            ids_per_evaluation[event.data.evaluation_id].add(event.id)  # type: ignore[attr-defined]
        expected_ids = set(self.evaluations.values())
        wire = {k: v for k, v in ids_per_evaluation.items() if k in expected_ids}
        assert set(wire) == expected_ids, "an issued evaluation never reached the topic"
        assert all(len(v) == 1 for v in wire.values()), "an evaluation was published under two event ids"
        report["evaluation.completed records"] = len(completed_events)
        report["evaluation.completed distinct"] = len(wire)

        # certificates: exactly one per evaluation
        certs = await self.query("certificates", "SELECT id, evaluation_id, code, grade FROM certificates")
        per_evaluation = Counter(r[1] for r in certs)
        assert set(per_evaluation) >= expected_ids, "an evaluation was never certified"
        assert all(per_evaluation[e] == 1 for e in expected_ids), "an evaluation was certified twice"
        grades = {r[0]: r[2] for r in completed}
        assert all(r[3] == grades[r[1]] for r in certs if r[1] in grades), "a certificate's grade differs"

        # certificate.issued on the wire: one event id per certificate
        issued_events = await self.events_on(EventType.CERTIFICATE_ISSUED)
        ids_per_certificate: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        for event in issued_events:
            ids_per_certificate[event.data.certificate_id].add(event.id)  # type: ignore[attr-defined]
        assert set(ids_per_certificate) == {r[0] for r in certs}, "certificates and certificate.issued differ"
        assert all(len(v) == 1 for v in ids_per_certificate.values()), "a certificate was issued twice"
        report["certificate.issued records"] = len(issued_events)
        report["certificates"] = len(certs)

        # outboxes drained
        for service in ("evaluation", "certificates"):
            assert await self.scalar(service, "SELECT count(*) FROM outbox_events") == 0

        # analytics: the projections equal a recomputation from the source databases
        if self.with_analytics:
            a_calcs = await self.query("analytics", "SELECT calculation_id, total_emissions_tco2 FROM calculations")
            e_calcs = await self.query("evaluation", "SELECT calculation_id, total_emissions_tco2 FROM calculations")
            assert sorted((r[0], Decimal(r[1])) for r in a_calcs) == sorted((r[0], Decimal(r[1])) for r in e_calcs)
            a_evals = await self.query("analytics", "SELECT evaluation_id, grade FROM evaluations")
            assert sorted(a_evals) == sorted((r[0], r[2]) for r in completed), "analytics evaluations differ"
            a_certs = await self.query(
                "analytics", "SELECT certificate_id, evaluation_id, certificate_code FROM certificates"
            )
            assert sorted(a_certs) == sorted((r[0], r[1], r[2]) for r in certs), "analytics certificates differ"
            a_dist = await self.query(
                "analytics", "SELECT grade, count(*) FROM evaluations WHERE is_current GROUP BY grade ORDER BY grade"
            )
            e_dist = await self.query(
                "evaluation",
                "SELECT grade, count(*) FROM evaluations WHERE status = 'completed' GROUP BY grade ORDER BY grade",
            )
            assert list(map(tuple, a_dist)) == list(map(tuple, e_dist)), "grade distribution differs"
            report["analytics facts"] = len(a_evals) + len(a_certs) + len(a_calcs)

        # dead letters: only what the scenario expects
        expected_dead = dead_letters or {}
        for group in self.services:
            dlq = await self.dead_letters(group)
            assert len(dlq) == expected_dead.get(group, 0), (group, [dict(r.headers) for r in dlq][:5])
        report["evaluations"] = n
        return report


async def eventually(probe: Callable[[], Awaitable[Any]], what: str, timeout: float = 60.0) -> Any:
    return await wait_until(probe, timeout=timeout, interval=0.2, what=what)
