"""Regulator webhooks: the dispatcher that sends queued deliveries, signed per Standard Webhooks.

Deliveries are queued in the projection transaction (``batch.enqueue_webhooks``). The dispatcher claims
due ones with a lease (``FOR UPDATE SKIP LOCKED``, so several replicas share the work and a crashed sender's
claims come back after the lease), posts them outside any transaction, and records each attempt in the log:
2xx → delivered; otherwise retried with exponential backoff and jitter until ``dead_after`` attempts → dead.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import random
import socket
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from carbonid_analytics import db
from carbonid_analytics.config import AnalyticsSettings
from carbonid_analytics.domain.signing import backoff_seconds, sign
from carbonid_analytics.metrics import WEBHOOK_ATTEMPTS
from carbonid_kit.db import transaction

log = logging.getLogger(__name__)


class UnsafeWebhookUrlError(ValueError):
    pass


_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> every address the name resolves to; injectable so that tests need no DNS.
NameResolver = Callable[[str, int], Awaitable[list[str]]]


def address_literal(host: str) -> Address | None:
    """The address a host string denotes, in every form a C resolver accepts (127.1, 2130706433, 0x7f.1, ::1)."""
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host)
    if not host or not all(c in "0123456789abcdefxABCDEFX." for c in host):
        return None  # a name: inet_aton would otherwise accept "1.2.3.4 anything" on some libcs
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def address_allowed(address: Address, *, allow_private: bool) -> bool:
    """Only globally routable unicast receivers, unless private ones are allowed (development and test)."""
    if allow_private:
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_webhook_url(url: str, *, allow_private: bool) -> str:
    """Only http(s) URLs with a host; loopback/private/link-local addresses only when allowed (dev/test).

    This is the check at registration; names are resolved and every address checked again at each delivery
    (``WebhookSender``), since what a name points to can change after it was registered.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number or out of range
    except ValueError as exc:
        raise UnsafeWebhookUrlError("the URL cannot be parsed / 无法解析该地址") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeWebhookUrlError("the URL must be http(s) with a host / 地址须为带主机名的 http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise UnsafeWebhookUrlError("credentials in the URL are not allowed / 地址中不允许包含凭据")
    if allow_private:
        return url
    host = parts.hostname.rstrip(".")
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or ("." not in host and address_literal(host) is None):
        raise UnsafeWebhookUrlError("local host names are not allowed / 不允许本地主机名")
    address = address_literal(host)
    if address is not None and not address_allowed(address, allow_private=False):
        raise UnsafeWebhookUrlError("private and loopback addresses are not allowed / 不允许内网或回环地址")
    return url


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class AttemptOutcome:
    status_code: int | None
    error: str | None


class WebhookSender:
    """One attempt: resolve the host, check every address, connect to the checked one, within one deadline.

    Connecting to the address that was checked (with the name kept for ``Host`` and for TLS: SNI and the
    certificate check) closes the window in which a name could be re-pointed between the check and the
    connection (DNS rebinding). The response body is read up to a cap, then dropped.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allow_private: bool,
        deadline_seconds: float,
        max_response_bytes: int,
        resolve: NameResolver = system_resolver,
    ) -> None:
        self.client = client
        self.allow_private = allow_private
        self.deadline_seconds = deadline_seconds
        self.max_response_bytes = max_response_bytes
        self.resolve = resolve

    async def pinned_url(self, url: str) -> tuple[httpx.URL, str]:
        """The URL with its host replaced by a checked address, and the original host (for Host and SNI)."""
        try:
            target = httpx.URL(check_webhook_url(url, allow_private=self.allow_private))
        except httpx.InvalidURL as exc:
            raise UnsafeWebhookUrlError("the URL cannot be parsed / 无法解析该地址") from exc
        host = target.host
        port = target.port or (443 if target.scheme == "https" else 80)
        literal = address_literal(host)
        try:
            addresses = [str(literal)] if literal is not None else await self.resolve(host, port)
        except OSError as exc:
            raise UnsafeWebhookUrlError(f"the host does not resolve ({exc}) / 主机名无法解析") from exc
        if not addresses:
            raise UnsafeWebhookUrlError("the host does not resolve / 主机名无法解析")
        parsed = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
        refused = [str(a) for a in parsed if not address_allowed(a, allow_private=self.allow_private)]
        if refused:
            raise UnsafeWebhookUrlError(
                f"the host resolves to a non-public address ({', '.join(refused)}) / 主机名解析到内网或回环地址"
            )
        return target.copy_with(host=str(parsed[0])), host

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptOutcome:
        try:
            async with asyncio.timeout(self.deadline_seconds):
                pinned, host = await self.pinned_url(url)
                original = httpx.URL(url)
                host_header = host if original.port is None else f"{host}:{original.port}"
                request = self.client.build_request(
                    "POST",
                    pinned,
                    content=body,
                    headers={**headers, "host": host_header},
                    extensions={"sni_hostname": host},
                )
                response = await self.client.send(request, stream=True)
                try:
                    received = 0
                    async for chunk in response.aiter_raw():
                        received += len(chunk)
                        if received >= self.max_response_bytes:
                            break
                finally:
                    await response.aclose()
        except UnsafeWebhookUrlError as exc:
            return AttemptOutcome(None, f"refused: {exc}"[:1000])
        except TimeoutError:
            return AttemptOutcome(None, f"deadline of {self.deadline_seconds:g} s passed / 超过投递时限")
        except httpx.HTTPError as exc:
            return AttemptOutcome(None, f"{type(exc).__name__}: {exc}"[:1000])
        code = response.status_code
        return AttemptOutcome(code, None if 200 <= code < 300 else f"HTTP {code}")


@dataclass(frozen=True)
class ClaimedDelivery:
    delivery_id: uuid.UUID
    subscription_id: uuid.UUID
    body: bytes
    attempts: int
    dead_after: int
    url: str
    secret: str
    active: bool


class WebhookDispatcher:
    """Sends due deliveries, each attempt a task of its own, so that a slow receiver holds only its own slots.

    At most ``webhook_concurrency`` attempts run at once in a replica, at most ``webhook_per_receiver_concurrency``
    of them to one subscription; each attempt ends within ``webhook_timeout_seconds`` (the lease outlasts it).
    """

    def __init__(
        self,
        settings: AnalyticsSettings,
        sessions: async_sessionmaker[AsyncSession],
        *,
        client: httpx.AsyncClient | None = None,
        rng: random.Random | None = None,
        resolve: NameResolver = system_resolver,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self._client = client
        self._rng = rng or random.SystemRandom()
        self._resolve = resolve
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._in_flight: dict[asyncio.Task[None], uuid.UUID] = {}
        self._sender: WebhookSender | None = None

    def sender(self) -> WebhookSender:
        if self._sender is None:
            if self._client is None:
                # The sender's own deadline bounds the whole attempt; httpx's bounds each read and write.
                self._client = httpx.AsyncClient(
                    timeout=httpx.Timeout(self.settings.webhook_timeout_seconds),
                    follow_redirects=False,
                    trust_env=False,
                    limits=httpx.Limits(max_connections=self.settings.webhook_concurrency),
                )
            self._sender = WebhookSender(
                self._client,
                allow_private=self.settings.allow_private_webhook_hosts,
                deadline_seconds=self.settings.webhook_timeout_seconds,
                max_response_bytes=self.settings.webhook_max_response_bytes,
                resolve=self._resolve,
            )
        return self._sender

    async def start(self) -> None:
        self.sender()
        self._task = asyncio.create_task(self._run(), name="analytics-webhook-dispatcher")

    async def stop(self) -> None:
        tasks = [*self._in_flight, *([self._task] if self._task is not None else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                started = await self.run_once()
                if started and len(self._in_flight) < self.settings.webhook_concurrency:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook dispatcher round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.webhook_poll_seconds)
            self._wake.clear()

    async def claim(self) -> list[ClaimedDelivery]:
        """Lease due deliveries for the free slots, at most the per-receiver share of each subscription."""
        d, s = db.webhook_deliveries, db.webhook_subscriptions
        free = self.settings.webhook_concurrency - len(self._in_flight)
        if free <= 0:
            return []
        per_receiver = self.settings.webhook_per_receiver_concurrency
        busy = Counter(self._in_flight.values())
        full = [sub for sub, n in busy.items() if n >= per_receiver]
        lease = timedelta(seconds=self.settings.webhook_lease_seconds)
        async with transaction(self.sessions) as session:
            due = (
                select(d.c.delivery_id, d.c.subscription_id)
                .where(d.c.status == "pending", d.c.next_attempt_at <= text("now()"))
                .order_by(d.c.next_attempt_at)
                .limit(self.settings.webhook_batch)
                .with_for_update(skip_locked=True)
            )
            if full:
                due = due.where(d.c.subscription_id.not_in(full))
            ids: list[uuid.UUID] = []
            for delivery_id, subscription_id in (await session.execute(due)).all():
                if len(ids) >= free:
                    break
                if busy[subscription_id] < per_receiver:
                    busy[subscription_id] += 1
                    ids.append(delivery_id)
            if not ids:
                return []
            await session.execute(
                update(d).where(d.c.delivery_id.in_(ids)).values(next_attempt_at=datetime.now(UTC) + lease)
            )
            rows = (
                await session.execute(
                    select(
                        d.c.delivery_id,
                        d.c.subscription_id,
                        d.c.body,
                        d.c.attempts,
                        d.c.dead_after,
                        s.c.url,
                        s.c.secret,
                        s.c.active,
                    )
                    .join(s, s.c.subscription_id == d.c.subscription_id)
                    .where(d.c.delivery_id.in_(ids))
                )
            ).all()
        return [ClaimedDelivery(**row._mapping) for row in rows]

    async def run_once(self) -> int:
        """Lease due deliveries and start an attempt for each; returns how many were started."""
        claimed = await self.claim()
        for delivery in claimed:
            task = asyncio.create_task(self._deliver(delivery), name=f"webhook-{delivery.delivery_id}")
            self._in_flight[task] = delivery.subscription_id
            task.add_done_callback(self._finished)
        return len(claimed)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook attempt failed", exc_info=task.exception())
        self._wake.set()  # a slot is free

    async def _deliver(self, delivery: ClaimedDelivery) -> None:
        d = db.webhook_deliveries
        if not delivery.active:
            async with transaction(self.sessions) as session:
                await session.execute(
                    update(d).where(d.c.delivery_id == delivery.delivery_id).values(status="cancelled")
                )
            return
        message_id = f"msg_{delivery.delivery_id.hex}"
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": "CarbonID-Webhooks/1.0",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(delivery.secret, message_id, timestamp, delivery.body),
        }
        started = time.perf_counter()
        outcome_of_attempt = await self.sender().post(delivery.url, delivery.body, headers)
        status_code, error = outcome_of_attempt.status_code, outcome_of_attempt.error
        duration_ms = int((time.perf_counter() - started) * 1000)
        attempt = delivery.attempts + 1
        now = datetime.now(UTC)
        values: dict[str, Any] = {"attempts": attempt, "last_status_code": status_code, "last_error": error}
        if error is None:
            values |= {"status": "delivered", "delivered_at": now}
            outcome = "delivered"
        elif attempt >= delivery.dead_after:
            values |= {"status": "dead"}
            outcome = "dead"
        else:
            delay = backoff_seconds(
                attempt,
                base=self.settings.webhook_backoff_base_seconds,
                cap=self.settings.webhook_backoff_max_seconds,
                jitter=self._rng.random(),
            )
            values |= {"next_attempt_at": now + timedelta(seconds=delay)}
            outcome = "retry"
        WEBHOOK_ATTEMPTS.labels(outcome).inc()
        async with transaction(self.sessions) as session:
            await session.execute(
                db.webhook_attempts.insert().values(
                    delivery_id=delivery.delivery_id,
                    attempt=attempt,
                    attempted_at=now,
                    status_code=status_code,
                    error=error,
                    duration_ms=duration_ms,
                )
            )
            await session.execute(update(d).where(d.c.delivery_id == delivery.delivery_id).values(**values))
