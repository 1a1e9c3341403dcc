"""Helpers for tests that talk to the node: credentials, and a real uvicorn server in a background thread.

Other parts' tests (the resolver's) may use ``running_node`` to get a node on a free loopback port.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import uvicorn

from carbonid_idnode.app import create_app
from carbonid_idnode.config import NodeSettings

TEST_ADMIN_SECRET = "test-admin-secret"  # noqa: S105 - test credentials
TEST_SNMS_SECRET = "test-snms-secret"  # noqa: S105 - test credentials


def basic_auth(identity: str, secret: str) -> dict[str, str]:
    """HS_SECKEY Basic credentials for ``index:handle``, percent-encoded as Handle.Net and pyhandle do."""
    token = base64.b64encode(f"{quote(identity)}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def admin_of(prefix: str, secret: str = TEST_ADMIN_SECRET, index: int = 300) -> dict[str, str]:
    return basic_auth(f"{index}:{prefix}/ADMIN", secret)


def test_settings(**overrides: object) -> NodeSettings:
    base: dict[str, object] = {
        "environment": "test",
        "admin_secret": TEST_ADMIN_SECRET,
        "snms_client_secret": TEST_SNMS_SECRET,
    }
    base.update(overrides)
    return NodeSettings.model_validate(base)


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunningNode:
    url: str
    settings: NodeSettings


@contextmanager
def running_node(
    settings: NodeSettings,
    *,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    startup_timeout: float = 20.0,
) -> Iterator[RunningNode]:
    """A uvicorn server on 127.0.0.1 and a free port, stopped on exit; HTTPS when a certificate is given."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"idnode-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("identifier node did not start")
        time.sleep(0.02)
    scheme = "https" if certfile else "http"
    try:
        yield RunningNode(url=f"{scheme}://127.0.0.1:{port}", settings=settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
