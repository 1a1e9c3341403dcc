"""Fault-injection suite: opt-in (``CARBONID_FAULTS=1``), one PostgreSQL and one Apache Kafka for the session."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import Infra, running_infra


def pytest_configure(config: pytest.Config) -> None:
    # Registered here so that the suite runs under --strict-markers; may move to the root pyproject.toml.
    config.addinivalue_line(
        "markers", "faults: fault injection against Apache Kafka and PostgreSQL (CARBONID_FAULTS=1)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("CARBONID_FAULTS") == "1":
        return
    skip = pytest.mark.skip(
        reason="fault-injection suite is opt-in: set CARBONID_FAULTS=1 (needs java and mvn; 3-5 minutes)"
    )
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().parent == here:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    if shutil.which("java") is None or shutil.which("mvn") is None:
        pytest.skip("the fault suite runs on Apache Kafka: it needs java and mvn on PATH")
    keep = os.environ.get("CARBONID_FAULTS_KEEP")
    folder = Path(tempfile.mkdtemp(prefix="carbonid-faults-"))
    try:
        with running_infra(folder) as running:
            yield running
    finally:
        if keep:
            print("fault suite data and logs kept in", folder)
        else:
            shutil.rmtree(folder, ignore_errors=True)
