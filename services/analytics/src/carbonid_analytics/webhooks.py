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
import time
import uuid
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


def check_webhook_url(url: str, *, allow_private: bool) -> str:
    """Only http(s) URLs with a host; loopback/private/link-local addresses only when allowed (dev/test)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeWebhookUrlError("the URL must be http(s) with a host / 地址须为带主机名的 http(s) URL")
    host = parts.hostname
    if not allow_private:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise UnsafeWebhookUrlError("local host names are not allowed / 不允许本地主机名")
        with contextlib.suppress(ValueError):
            address = ipaddress.ip_address(host)
            if not address.is_global:
                raise UnsafeWebhookUrlError("private and loopback addresses are not allowed / 不允许内网或回环地址")
    return url


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
    def __init__(
        self,
        settings: AnalyticsSettings,
        sessions: async_sessionmaker[AsyncSession],
        *,
        client: httpx.AsyncClient | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self._client = client
        self._rng = rng or random.SystemRandom()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def start(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.settings.webhook_timeout_seconds), follow_redirects=False
            )
        self._task = asyncio.create_task(self._run(), name="analytics-webhook-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                sent = await self.run_once()
                if sent >= self.settings.webhook_batch:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook dispatcher round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.webhook_poll_seconds)
            self._wake.clear()

    async def claim(self) -> list[ClaimedDelivery]:
        d, s = db.webhook_deliveries, db.webhook_subscriptions
        lease = timedelta(seconds=self.settings.webhook_lease_seconds)
        async with transaction(self.sessions) as session:
            due = (
                select(d.c.delivery_id)
                .where(d.c.status == "pending", d.c.next_attempt_at <= text("now()"))
                .order_by(d.c.next_attempt_at)
                .limit(self.settings.webhook_batch)
                .with_for_update(skip_locked=True)
                .scalar_subquery()
            )
            claimed = (
                await session.execute(
                    update(d)
                    .where(d.c.delivery_id.in_(due))
                    .values(next_attempt_at=datetime.now(UTC) + lease)
                    .returning(d.c.delivery_id)
                )
            ).scalars()
            ids = list(claimed)
            if not ids:
                return []
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
        """Send one batch of due deliveries; returns how many were claimed."""
        claimed = await self.claim()
        if claimed:
            await asyncio.gather(*(self._deliver(c) for c in claimed))
        return len(claimed)

    async def _deliver(self, delivery: ClaimedDelivery) -> None:
        d = db.webhook_deliveries
        if not delivery.active:
            async with transaction(self.sessions) as session:
                await session.execute(
                    update(d).where(d.c.delivery_id == delivery.delivery_id).values(status="cancelled")
                )
            return
        assert self._client is not None
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
        status_code: int | None = None
        error: str | None = None
        try:
            response = await self._client.post(delivery.url, content=delivery.body, headers=headers)
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
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
