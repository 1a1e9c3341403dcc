"""The webhook guard: refused addresses in every spelling, names resolved and pinned at delivery, one deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from carbonid_analytics.webhooks import UnsafeWebhookUrlError, WebhookSender, check_webhook_url

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.1/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://0177.0.0.1/hook",
    "http://0x7f.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://localhost/hook",
    "http://LOCALHOST./hook",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://printer.local/hook",
    "http://intranet/hook",
    "http://user:pass@hooks.example.com/hook",
    "ftp://hooks.example.com/hook",
    "http://hooks.example.com:99999/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_receivers_are_refused_outside_development(url: str) -> None:
    with pytest.raises(UnsafeWebhookUrlError):
        check_webhook_url(url, allow_private=False)


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/carbon", "http://93.184.216.34:8443/x", "https://[2606:4700::1]/"]
)
def test_public_receivers_are_accepted(url: str) -> None:
    assert check_webhook_url(url, allow_private=False) == url


def test_development_allows_loopback() -> None:
    assert check_webhook_url("http://127.0.0.1:9/x", allow_private=True)


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def http_server(handler: Handler) -> AsyncIterator[int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def read_request(reader: asyncio.StreamReader) -> dict[str, str]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
    await reader.readexactly(int(headers.get("content-length", "0")))
    return headers


def names(table: dict[str, list[str]]) -> Callable[[str, int], Awaitable[list[str]]]:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"unknown host {host}")
        return table[host]

    return resolve


async def test_a_name_is_resolved_checked_and_the_checked_address_is_the_one_connected_to() -> None:
    seen: list[dict[str, str]] = []

    async def ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async with http_server(ok) as port, httpx.AsyncClient() as client:
        url = f"http://receiver.example:{port}/hook"
        # in production the same name, pointing at loopback, is refused and nothing is sent
        guarded = WebhookSender(
            client,
            allow_private=False,
            deadline_seconds=5,
            max_response_bytes=1024,
            resolve=names({"receiver.example": ["127.0.0.1"]}),
        )
        refused = await guarded.post(url, b"{}", {})
        assert refused.status_code is None
        assert refused.error is not None
        assert refused.error.startswith("refused")
        assert "127.0.0.1" in refused.error
        # one private address among public ones is enough to refuse (the connection could pick it)
        mixed = WebhookSender(
            client,
            allow_private=False,
            deadline_seconds=5,
            max_response_bytes=1024,
            resolve=names({"receiver.example": ["93.184.216.34", "127.0.0.1"]}),
        )
        assert (await mixed.post(url, b"{}", {})).error is not None
        assert seen == []

        # where loopback is allowed, the name (which no real resolver knows) is still reached through the
        # address it was checked at, and the receiver sees its own name in Host
        pinned = WebhookSender(
            client,
            allow_private=True,
            deadline_seconds=5,
            max_response_bytes=1024,
            resolve=names({"receiver.example": ["127.0.0.1"]}),
        )
        sent = await pinned.post(url, b"{}", {"webhook-id": "msg_1"})
        assert (sent.status_code, sent.error) == (204, None)
        assert seen[0]["host"] == f"receiver.example:{port}"
        assert seen[0]["webhook-id"] == "msg_1"


async def test_an_attempt_ends_at_its_deadline_and_an_endless_body_is_cut_at_the_cap() -> None:
    release = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await release.wait()  # never answers while the attempt runs
        writer.close()

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n")
        chunk = b"x" * 16384
        try:
            while not release.is_set():
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    # httpx's own timeouts are far away: only the sender's total deadline can end the silent attempt
    async with httpx.AsyncClient(timeout=httpx.Timeout(300)) as client:
        sender = WebhookSender(client, allow_private=True, deadline_seconds=0.5, max_response_bytes=65536)
        async with http_server(silent) as port:
            stuck = await sender.post(f"http://127.0.0.1:{port}/hook", b"{}", {})
        assert stuck.status_code is None
        assert stuck.error is not None
        assert "deadline" in stuck.error
        patient = WebhookSender(client, allow_private=True, deadline_seconds=60, max_response_bytes=65536)
        async with http_server(endless) as port:
            flooded = await patient.post(f"http://127.0.0.1:{port}/hook", b"{}", {})
        assert (flooded.status_code, flooded.error) == (200, None)
    release.set()
