"""Apache Kafka 4.x (KRaft, one node that is both broker and controller) from Maven Central jars, without Docker.

Tansu (see ``embedded.py``) keeps its log in memory and refuses aiokafka's idempotent producer; Apache Kafka is
the production broker, so durability across a restart, idempotent produce and fault injection are shown on it.

- ``ensure_kafka_jars()`` resolves ``deploy/kafka/pom.xml`` with Maven once into a cache folder
  (``~/.cache/carbonid/kafka-<version>``) and returns it; a marker holding the pom's hash makes later calls free.
- ``ApacheKafka`` writes ``server.properties`` and a log4j2 configuration into its data folder, formats the
  storage once, runs ``java -cp '<jars>/*' kafka.Kafka`` as a child process and waits until a record can
  really be produced. ``stop()`` / ``kill()`` / ``restart()`` keep the data folder: the log survives.
- ``python -m carbonid_kit.kafka_server --data-dir DIR --port N`` runs one until Ctrl-C or SIGTERM.

For tests and local runs only; production runs the broker from its own deployment files.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from xml.sax.saxutils import escape

from carbonid_kit.embedded import free_port, wait_for_port

POM_RELATIVE = Path("deploy") / "kafka" / "pom.xml"
MARKER = ".carbonid-complete"  # holds the hash of the pom the folder was filled from
READINESS_TOPIC = "carbonid.kafka-server.ready"


class KafkaServerError(RuntimeError):
    """The broker could not be prepared or started; the message carries the tail of its log."""


# ---------------------------------------------------------------------------------------------------------------
# jars


def find_pom() -> Path:
    """``deploy/kafka/pom.xml``: ``CARBONID_KAFKA_POM`` if set, else found walking up from this file and the cwd."""
    if override := os.environ.get("CARBONID_KAFKA_POM"):
        pom = Path(override).expanduser()
        if not pom.is_file():
            raise KafkaServerError(f"CARBONID_KAFKA_POM={override} is not a file")
        return pom.resolve()
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for folder in (start, *start.parents):
            if (folder / POM_RELATIVE).is_file():
                return folder / POM_RELATIVE
    raise KafkaServerError(f"no {POM_RELATIVE} above {Path(__file__).parent} or the cwd; set CARBONID_KAFKA_POM")


def kafka_version(pom: Path) -> str:
    """The ``<kafka.version>`` property of the pom (names the default cache folder)."""
    found = re.search(r"<kafka\.version>\s*([^<\s]+)\s*</kafka\.version>", pom.read_text(encoding="utf-8"))
    if not found:
        raise KafkaServerError(f"{pom} has no <kafka.version> property")
    return found.group(1)


def default_cache_dir(pom: Path) -> Path:
    if override := os.environ.get("CARBONID_KAFKA_JARS"):
        return Path(override).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "carbonid" / f"kafka-{kafka_version(pom)}"


def _has_broker_jar(folder: Path) -> bool:
    return any(folder.glob("kafka_2.13-*.jar"))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock across processes (parallel test sessions share one cache)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_kafka_jars(cache_dir: Path | None = None) -> Path:
    """The folder holding every runtime jar of the broker, filled by Maven the first time.

    Skips Maven when the folder's marker holds the hash of the current pom. A folder named by
    ``CARBONID_KAFKA_JARS`` that already holds the broker jar but no marker (e.g. a Kafka distribution's
    ``libs/``) is used as it is.
    """
    if cache_dir is None and (override := os.environ.get("CARBONID_KAFKA_JARS")):
        given = Path(override).expanduser()
        if _has_broker_jar(given) and not (given / MARKER).exists():
            return given
    pom = find_pom()
    target = (cache_dir or default_cache_dir(pom)).resolve()
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    marker = target / MARKER

    def complete() -> bool:
        return marker.is_file() and marker.read_text(encoding="utf-8").strip() == digest and _has_broker_jar(target)

    if complete():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaServerError("Maven (mvn) is not on PATH: it fetches the Kafka jars")
    with _locked(target.parent / f".{target.name}.lock"):
        if complete():  # another process filled it while we waited
            return target
        # fill a fresh sibling folder, then swap it in: an interrupted run never leaves a half-filled cache
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            result = subprocess.run(
                [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={staging}"],
                check=False,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0 or not _has_broker_jar(staging):
                tail = (result.stdout + result.stderr)[-4000:]
                raise KafkaServerError(f"mvn could not fetch the Kafka jars (exit {result.returncode}):\n{tail}")
            (staging / MARKER).write_text(digest + "\n", encoding="utf-8")
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


# ---------------------------------------------------------------------------------------------------------------
# broker


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (as ``StorageTool random-uuid``).

    Like Kafka's own generator it never starts with ``-``, which the storage tool would read as an option.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


LOG4J2_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!-- written by carbonid_kit.kafka_server: the broker logs to one file, never to the console; no log4j
     shutdown hook, so that the broker's own shutdown hook can still log its last lines -->
<Configuration status="warn" shutdownHook="disable">
  <Appenders>
    <File name="file" fileName="{log_file}" append="true">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="file"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="org.apache.kafka.clients" level="WARN"/>
  </Loggers>
</Configuration>
"""


@dataclass
class ApacheKafka:
    """One Apache Kafka node in KRaft mode (broker and controller) whose log lives in ``data_dir``."""

    data_dir: Path
    port: int
    controller_port: int = 0  # 0: a free port, chosen once so that restarts keep it
    log_file: Path | None = None  # default: data_dir / "broker.log"
    jars: Path | None = None  # default: ensure_kafka_jars()
    heap: tuple[str, str] = ("256m", "512m")
    properties: Mapping[str, str] = field(default_factory=dict)  # extra or overriding server.properties
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        if not self.controller_port:
            self.controller_port = free_port()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.log_file or self.data_dir / "broker.log"

    @property
    def log_dir(self) -> Path:
        """Kafka's ``log.dirs``: the partitions and the KRaft metadata log."""
        return self.data_dir / "kraft-log"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def server_properties(self) -> dict[str, str]:
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            # a static voter set: the controller address comes from this file on every start, so a kept data
            # folder can be started again on other ports (a --standalone format records it in the log instead)
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.log_dir),
            "num.partitions": "3",
            "auto.create.topics.enable": "true",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            # internal topics of a single node: replication 1; few partitions so that first use is quick
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "5",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "5",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # tests use 2-6 s session timeouts (see PARTS.md); Kafka's default floor is 6 s
            "group.min.session.timeout.ms": "1000",
        }
        props.update(self.properties)
        return props

    def _write_config(self) -> tuple[Path, Path]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "server.properties"
        config.write_text(
            "# written by carbonid_kit.kafka_server on every start\n"
            + "".join(f"{key}={value}\n" for key, value in self.server_properties().items()),
            encoding="utf-8",
        )
        log4j = self.data_dir / "log4j2.xml"
        log4j.write_text(LOG4J2_XML.format(log_file=escape(str(self.log_path))), encoding="utf-8")
        return config, log4j

    def _java(self, jars: Path, log4j: Path, *args: str, heap: tuple[str, str] | None = None) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise KafkaServerError("java is not on PATH: Apache Kafka 4.x needs Java 17 or newer")
        memory = [f"-Xms{heap[0]}", f"-Xmx{heap[1]}"] if heap else []
        return [
            java,
            *memory,
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j}",
            f"-Dkafka.logs.dir={self.log_path.parent}",
            "-cp",
            f"{jars}/*",
            *args,
        ]

    def _format_once(self, jars: Path, config: Path, log4j: Path) -> None:
        if (self.log_dir / "meta.properties").exists():
            return
        result = subprocess.run(
            self._java(jars, log4j, "kafka.tools.StorageTool", "format", "-t", new_cluster_id(), "-c", str(config)),
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise KafkaServerError(f"formatting {self.log_dir} failed:\n{(result.stdout + result.stderr)[-4000:]}")

    def start(self, *, timeout: float = 120.0) -> None:
        """Start the node and return once a record has been produced to it (idempotently, acks=all)."""
        if self.is_running():
            return
        deadline = time.monotonic() + timeout
        jars = self.jars or ensure_kafka_jars()
        config, log4j = self._write_config()
        self._format_once(jars, config, log4j)
        with self.log_path.open("ab") as out:  # the JVM's own output (crashes, GC errors) goes there too
            self._process = subprocess.Popen(
                self._java(jars, log4j, "kafka.Kafka", str(config), heap=self.heap),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            self._wait_until_serving(deadline)
        except BaseException:
            self.kill()
            raise

    def _wait_until_serving(self, deadline: float) -> None:
        def alive() -> None:
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                raise KafkaServerError(f"the broker exited (code {code}):\n{self.log_tail()}")

        while True:
            alive()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KafkaServerError(f"the broker did not serve within the deadline:\n{self.log_tail()}")
            with contextlib.suppress(TimeoutError):
                wait_for_port(self.port, timeout=min(1.0, remaining))
                break
        # the port answers: now prove it serves. A fresh thread with its own event loop, so that start() works
        # from synchronous code and from inside a running loop alike.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            future = pool.submit(asyncio.run, _produce_probe(self.bootstrap, deadline, self._process))
            try:
                future.result()
            except TimeoutError as exc:
                alive()
                raise KafkaServerError(f"the broker did not serve within the deadline:\n{self.log_tail()}") from exc
        alive()  # the probe also returns when the process has exited

    def stop(self, *, timeout: float = 30.0) -> None:
        """SIGTERM (a controlled shutdown that flushes the log), then SIGKILL after ``timeout`` seconds."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)
        self._process = None

    def kill(self) -> None:
        """SIGKILL, as a crash would: for fault-injection tests. The next start recovers the log."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)
        self._process = None

    def restart(self, *, timeout: float = 120.0, hard: bool = False) -> None:
        """Stop (or kill, when ``hard``) and start again on the same data folder and ports."""
        if hard:
            self.kill()
        else:
            self.stop()
        self.start(timeout=timeout)

    def rss_bytes(self) -> int | None:
        """Resident memory of the broker's JVM (Linux), for measurements."""
        if self.pid is None:
            return None
        try:
            status = Path(f"/proc/{self.pid}/status").read_text(encoding="utf-8")
        except OSError:
            return None
        found = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.MULTILINE)
        return int(found.group(1)) * 1024 if found else None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no broker log)"


async def _produce_probe(bootstrap: str, deadline: float, process: subprocess.Popen[bytes] | None) -> None:
    """Produce one record idempotently with acks=all, retrying until ``deadline`` (monotonic seconds)."""
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaError

    while True:
        if process is not None and process.poll() is not None:
            return  # the caller reports the exit with the log
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=5000,
            retry_backoff_ms=100,
        )
        try:
            async with asyncio.timeout(min(remaining, 15.0)):
                await producer.start()
                await producer.send_and_wait(READINESS_TOPIC, b"ready")
                return
        except (KafkaError, OSError, TimeoutError):
            await asyncio.sleep(0.2)
        finally:
            with contextlib.suppress(Exception):
                await producer.stop()


# ---------------------------------------------------------------------------------------------------------------
# command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m carbonid_kit.kafka_server",
        description="Run Apache Kafka (KRaft, one node) from Maven Central jars until Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--data-dir", type=Path, required=True, help="kept across runs: the log survives")
    parser.add_argument("--port", type=int, default=9092, help="PLAINTEXT listener on 127.0.0.1")
    parser.add_argument("--controller-port", type=int, default=0, help="KRaft controller listener (0: free port)")
    parser.add_argument("--log-file", type=Path, default=None, help="default: DATA_DIR/broker.log")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the broker to serve")
    args = parser.parse_args(argv)

    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # the readiness probe's retries are expected
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    broker = ApacheKafka(args.data_dir, args.port, args.controller_port, args.log_file)
    started = time.monotonic()
    try:
        broker.start(timeout=args.timeout)
        sys.stdout.write(
            f"{broker.bootstrap}\n"
            f"# Apache Kafka serving after {time.monotonic() - started:.1f} s; pid {broker.pid}; "
            f"log {broker.log_path}\n"
        )
        sys.stdout.flush()
        while not stopping.wait(1.0):
            if not broker.is_running():
                sys.stderr.write(f"the broker exited:\n{broker.log_tail()}\n")
                return 1
        return 0
    except KafkaServerError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    finally:
        broker.stop()


if __name__ == "__main__":
    raise SystemExit(main())
