"""Publishes ``activity.metered``: the days that ingest changed, per enterprise, at most once per interval.

Ingest marks (enterprise, day) in ``days_to_publish`` in its own transaction; this loop claims marked days
(``FOR UPDATE SKIP LOCKED``, so replicas share the work), builds each day's lines per emission source from
``device_days`` over the enterprise's enabled devices (a silent device counts as expected and missing), gives
the day its next revision and writes the event to the outbox, all in one transaction. A late reading marks its
day again and a new revision follows; consumers keep the highest revision.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from carbonid_contracts.events import ActivityMetered, MeteredLine
from carbonid_kit.app import ServiceRuntime
from carbonid_kit.db import database_unavailable, transaction
from carbonid_metering.config import MeteringSettings

log = logging.getLogger(__name__)
COMPLETENESS_PLACES = Decimal("0.0001")

_CLAIM = text("""
DELETE FROM days_to_publish
WHERE (enterprise_id, day) IN (
    SELECT enterprise_id, day FROM days_to_publish ORDER BY since LIMIT :limit FOR UPDATE SKIP LOCKED
)
RETURNING enterprise_id, day
""")

_LINES = text("""
SELECT c.enterprise_id, c.day, d.enterprise_prefix, d.source_code, d.carrier, d.canonical_unit,
       count(*) AS devices,
       coalesce(sum(x.quantity), 0) AS quantity,
       coalesce(sum(x.readings), 0) AS readings,
       sum(86400 / d.interval_seconds) AS expected,
       coalesce(sum(x.quarantined), 0) AS quarantined
FROM unnest(CAST(:ids AS uuid[]), CAST(:days AS date[])) AS c(enterprise_id, day)
JOIN devices d ON d.enterprise_id = c.enterprise_id AND d.enabled
LEFT JOIN device_days x ON x.device = d.identifier AND x.day = c.day
GROUP BY c.enterprise_id, c.day, d.enterprise_prefix, d.source_code, d.carrier, d.canonical_unit
ORDER BY c.enterprise_id, c.day, d.source_code
""")

_REVISIONS = text("""
INSERT INTO day_revisions (enterprise_id, day, revision, published_at)
SELECT i, d, 1, :now FROM unnest(CAST(:ids AS uuid[]), CAST(:days AS date[])) AS c(i, d)
ON CONFLICT (enterprise_id, day) DO UPDATE
SET revision = day_revisions.revision + 1, published_at = excluded.published_at
RETURNING enterprise_id, day, revision
""")


def completeness(readings: int, expected: int) -> Decimal:
    """Readings received ÷ expected, capped at 1 (extra readings never make a day more than complete)."""
    if expected <= 0:
        return Decimal(0)
    return min(Decimal(1), Decimal(readings) / Decimal(expected)).quantize(COMPLETENESS_PLACES)


async def publish_due_days(runtime: ServiceRuntime, settings: MeteringSettings) -> int:
    """Publish one claimed set of changed days; returns how many events were written."""
    now = datetime.now(UTC)
    async with transaction(runtime.sessions) as session:
        claimed = (await session.execute(_CLAIM, {"limit": settings.publish_batch})).all()
        if not claimed:
            return 0
        ids = [row.enterprise_id for row in claimed]
        days = [row.day for row in claimed]
        params = {"ids": ids, "days": days, "now": now}
        lines: dict[tuple[uuid.UUID, date], list[Any]] = defaultdict(list)
        for row in (await session.execute(_LINES, params)).all():
            lines[(row.enterprise_id, row.day)].append(row)
        revisions = {(r.enterprise_id, r.day): int(r.revision) for r in (await session.execute(_REVISIONS, params))}
        written = 0
        for key, rows in lines.items():
            readings = sum(int(r.readings) for r in rows)
            expected = sum(int(r.expected) for r in rows)
            event = ActivityMetered(
                enterprise_id=key[0],
                identifier_prefix=rows[0].enterprise_prefix,
                day=key[1],
                revision=revisions[key],
                lines=[
                    MeteredLine(
                        source_code=r.source_code,
                        carrier=r.carrier,
                        quantity=Decimal(r.quantity),
                        unit=r.canonical_unit,
                        devices=int(r.devices),
                        readings=int(r.readings),
                        expected_readings=int(r.expected),
                        completeness=completeness(int(r.readings), int(r.expected)),
                        quarantined=int(r.quarantined),
                        gaps=max(0, int(r.expected) - int(r.readings)),
                    )
                    for r in rows
                ],
                completeness=completeness(readings, expected),
                computed_at=now,
            )
            await runtime.outbox.add(session, event)
            written += 1
        return written


class DayPublisher:
    def __init__(self, runtime: ServiceRuntime, settings: MeteringSettings) -> None:
        self.runtime = runtime
        self.settings = settings
        self._task: asyncio.Task[None] | None = None
        self.published = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="metering-day-publisher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                while (written := await publish_due_days(self.runtime, self.settings)) > 0:
                    self.published += written
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the loop must outlive an outage; the marks stay until published
                level = logging.WARNING if database_unavailable(exc) else logging.ERROR
                log.log(level, "publishing metered days failed; retrying", exc_info=True)
            await asyncio.sleep(self.settings.publish_interval_seconds)
