"""Cross-service tests drive the embedded stack: every service and the gateway, as ``make up`` runs them."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from carbonid_stack.__main__ import Stack
from carbonid_stack.components import StackConfig


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The whole platform on free ports in a temporary data directory, stopped after the session."""
    with tempfile.TemporaryDirectory(prefix="carbonid-stack-") as tmp:
        config = StackConfig(data_dir=Path(tmp), topic_prefix="e2e.", **StackConfig.free_ports())
        running = Stack(config)
        try:
            running.start()
        except Exception:
            for log in sorted((Path(tmp) / "logs").glob("*.log")):
                print(f"---- {log.name}\n" + log.read_text(errors="replace")[-4000:])
            running.stop()
            raise
        try:
            yield running
        finally:
            running.stop()
            if os.environ.get("CARBONID_KEEP_STACK_LOGS"):
                print("stack logs kept in", Path(tmp) / "logs")
