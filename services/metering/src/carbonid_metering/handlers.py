"""``meter.reading`` from collection gateways, consumed in batches through the kit's batch consumer.

A batch of events (many devices, many readings each) becomes one set-wise ingest in the consumer's transaction,
together with the inbox rows of the events. An event naming an unknown, disabled or foreign device, or a unit
its carrier cannot convert, can never be applied: the batch is refused, the kit re-applies it event by event,
and only those events go to the dead-letter topic with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import MeterReadings
from carbonid_kit.messaging import PermanentError
from carbonid_metering.config import MeteringSettings
from carbonid_metering.domain.payload import ReadingRow
from carbonid_metering.ingest import IngestResult, ReadingsRefused, ingest

_OWNERS = text("SELECT identifier, enterprise_id FROM devices WHERE identifier = ANY(:ids)")


class ReadingHandlers:
    def __init__(self, settings: MeteringSettings) -> None:
        self.settings = settings
        self.last: IngestResult | None = None

    async def on_readings(self, session: AsyncSession, events: list[CloudEvent]) -> None:
        rows: list[ReadingRow] = []
        owners: dict[str, object] = {}
        payloads = [e.data for e in events if isinstance(e.data, MeterReadings)]
        devices = sorted({p.device.lower() for p in payloads})
        for row in (await session.execute(_OWNERS, {"ids": devices})).all():
            owners[row.identifier] = row.enterprise_id
        line = 0
        for payload in payloads:
            device = payload.device.lower()
            owner = owners.get(device)
            if owner is not None and owner != payload.enterprise_id:
                raise PermanentError(f"device-of-another-enterprise: {device} is not {payload.enterprise_id}'s")
            for reading in payload.readings:
                line += 1
                rows.append((line, device, reading.time.astimezone(UTC), reading.value, reading.unit, reading.quality))
        try:
            self.last = await ingest(session, self.settings, rows, channel="kafka", now=datetime.now(UTC))
        except ReadingsRefused as exc:
            first = exc.refused[0]
            raise PermanentError(f"{first.refusal}: {first.device} ({first.unit})") from exc
