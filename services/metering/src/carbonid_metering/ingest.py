"""Set-wise ingest of a batch of readings, in the caller's transaction: COPY into staging, then SQL over the set.

One batch (an HTTP call or a batch of Kafka events) is: COPY into a temporary staging table → refuse the batch
if any reading names an unknown, disabled or foreign device or an unconvertible unit (nothing is written) →
convert units, run the quality rules of ``domain/quality.py`` and insert with ``ON CONFLICT DO NOTHING`` on the
natural key → quarantine what breaks a rule → recompute the consumption of cumulative registers for the new
readings and the readings right after them (late and out-of-order readings) → recompute the touched hours and
China Standard Time days → mark the touched enterprise days for publication. A constant number of statements
per batch, whatever its size.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_metering.config import MeteringSettings
from carbonid_metering.domain.payload import ReadingRow
from carbonid_metering.domain.units import conversion_table

Channel = Literal["http", "kafka"]
Refusal = Literal["unknown-device", "device-disabled", "device-of-another-enterprise", "unit-not-convertible"]

_UNITS = (
    "(VALUES "
    + ", ".join(f"('{carrier}', '{unit}', {factor}::numeric)" for carrier, unit, factor in conversion_table())
    + ") AS u(carrier, unit, factor)"
)

_TEMP_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS metering_stage (
    line integer, device text, ts timestamptz, value numeric, unit text, quality text
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS metering_batch (
    device text, ts timestamptz, value numeric, unit text, quality text, register numeric, quantity numeric,
    reason text, inserted boolean, cumulative boolean, flag text, appended boolean
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS metering_affected (device text, ts timestamptz) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS metering_hours (device text, hour timestamptz) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS metering_days (device text, day date) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS metering_tail (
    device text, first_ts timestamptz, ts timestamptz, register numeric
) ON COMMIT DELETE ROWS;
TRUNCATE metering_stage, metering_batch, metering_affected, metering_hours, metering_days, metering_tail;
"""

_REFUSALS = f"""
SELECT s.line, s.device,
       CASE WHEN d.identifier IS NULL THEN 'unknown-device'
            WHEN NOT d.enabled THEN 'device-disabled'
            WHEN $1::uuid IS NOT NULL AND d.enterprise_id <> $1::uuid THEN 'device-of-another-enterprise'
            ELSE 'unit-not-convertible' END AS refusal,
       s.unit
FROM metering_stage s
LEFT JOIN devices d ON d.identifier = s.device
LEFT JOIN {_UNITS} ON u.carrier = d.carrier AND u.unit = s.unit
WHERE d.identifier IS NULL OR NOT d.enabled OR ($1::uuid IS NOT NULL AND d.enterprise_id <> $1::uuid)
   OR u.factor IS NULL
ORDER BY s.line
LIMIT 100
"""  # noqa: S608 - the only interpolation is the constant unit table

# $1 now, $2 future skew (s), $3 spike tolerance
_CLASSIFY = f"""
INSERT INTO metering_batch (device, ts, value, unit, quality, register, quantity, reason, inserted, cumulative,
                            flag, appended)
SELECT DISTINCT ON (s.device, s.ts)
       s.device, s.ts, s.value, s.unit, s.quality,
       CASE WHEN d.register_kind = 'cumulative' THEN s.value * u.factor * d.multiplier END,
       CASE WHEN d.register_kind = 'interval' THEN s.value * u.factor * d.multiplier END,
       CASE WHEN s.quality = 'bad' THEN 'device-reported-bad'
            WHEN s.ts > $1::timestamptz + make_interval(secs => $2::integer) THEN 'timestamp-in-future'
            WHEN s.value < 0 AND d.register_kind = 'interval' THEN 'negative-interval'
            WHEN s.value < 0 THEN 'negative-register'
            WHEN d.register_kind = 'interval'
             AND s.value * u.factor * d.multiplier > d.rated_max_per_hour * d.interval_seconds / 3600.0 * $3::numeric
            THEN 'above-rated-maximum'
       END,
       false, d.register_kind = 'cumulative', 'normal', false
FROM metering_stage s
JOIN devices d ON d.identifier = s.device
JOIN {_UNITS} ON u.carrier = d.carrier AND u.unit = s.unit
ORDER BY s.device, s.ts, s.line
"""  # noqa: S608 - the only interpolation is the constant unit table

# $1 channel, $2 now
_INSERT = """
WITH stored AS (
    INSERT INTO readings (device, ts, value, unit, quality, register, quantity, flag, channel, received_at)
    SELECT device, ts, value, unit, quality, register, quantity, flag, $1::text, $2::timestamptz
    FROM metering_batch WHERE reason IS NULL
    ORDER BY device, ts
    ON CONFLICT (device, ts) DO NOTHING
    RETURNING device, ts
)
UPDATE metering_batch b SET inserted = true FROM stored WHERE b.device = stored.device AND b.ts = stored.ts
"""

_CONFLICTS = """
UPDATE metering_batch b SET reason = 'conflicting-duplicate'
FROM readings r
WHERE b.reason IS NULL AND NOT b.inserted AND r.device = b.device AND r.ts = b.ts
  AND (r.value <> b.value OR r.unit <> b.unit)
"""

# $1 channel, $2 now
_QUARANTINE = """
INSERT INTO quarantine (device, enterprise_id, region_code, ts, value, unit, quality, reason, channel, received_at)
SELECT b.device, d.enterprise_id, d.region_code, b.ts, b.value, b.unit, b.quality, b.reason, $1::text, $2::timestamptz
FROM metering_batch b JOIN devices d ON d.identifier = b.device
WHERE b.reason IS NOT NULL
ON CONFLICT DO NOTHING
"""

# The register rules of domain/quality.py, over columns reg (this value), prev (the previous one), prev_ts,
# reg_max and rated (_FLAG: of the CTE ``q``); $1 rollover band, $2 spike tolerance. One definition for both paths.
_KIND = """CASE WHEN prev IS NULL THEN 'baseline'
                WHEN reg >= prev THEN 'normal'
                WHEN reg_max IS NOT NULL AND prev >= reg_max * (1 - $1::numeric) THEN 'rollover'
                ELSE 'reset' END"""
_DELTA = """CASE kind WHEN 'baseline' THEN NULL WHEN 'normal' THEN reg - prev
                     WHEN 'rollover' THEN reg_max - prev + reg ELSE reg END"""
_FLAG = """CASE WHEN q.delta > q.rated * extract(epoch FROM q.ts - q.prev_ts) / 3600 * $2::numeric
                THEN 'quarantined' ELSE q.kind END"""

# One batch at a time per device (HTTP calls and consumer batches may carry the same meter at once): the
# consumption of a register depends on the reading before it, which a concurrent batch may be writing. Locks are
# taken in device order, so two batches never wait on each other in a cycle.
_DEVICE_LOCKS = """
SELECT count(pg_advisory_xact_lock(hashtextextended(device, 0)))
FROM (SELECT DISTINCT device FROM metering_batch ORDER BY device) d
"""

# Each cumulative device's first reading in this batch and its last stored reading before it.
_TAILS = """
INSERT INTO metering_tail (device, first_ts, ts, register)
SELECT b.device, b.first_ts, p.ts, p.register
FROM (SELECT device, min(ts) AS first_ts FROM metering_batch WHERE cumulative AND reason IS NULL GROUP BY device) b
LEFT JOIN LATERAL (
    SELECT r.ts, r.register FROM readings r WHERE r.device = b.device ORDER BY r.ts DESC LIMIT 1
) p ON true
"""

# The common case: a device's new readings all come after what is stored (readings arrive in order). Their
# consumption is computed in the batch (the previous value is the one before in the batch, or the stored tail)
# and inserted with it; no stored reading changes.
_APPENDED = f"""
WITH c AS (
    SELECT b.device, b.ts, b.register AS reg,
           coalesce(lag(b.register) OVER w, t.register) AS prev,
           coalesce(lag(b.ts) OVER w, t.ts) AS prev_ts,
           d.register_max AS reg_max, d.rated_max_per_hour AS rated
    FROM metering_batch b
    JOIN metering_tail t ON t.device = b.device
    JOIN devices d ON d.identifier = b.device
    WHERE b.cumulative AND b.reason IS NULL
      AND (t.ts IS NULL OR t.ts < t.first_ts)
    WINDOW w AS (PARTITION BY b.device ORDER BY b.ts)
), k AS (SELECT c.*, {_KIND} AS kind FROM c),
q AS (SELECT k.*, {_DELTA} AS delta FROM k)
UPDATE metering_batch b SET appended = true, quantity = q.delta, flag = {_FLAG}
FROM q WHERE b.device = q.device AND b.ts = q.ts
"""  # noqa: S608 - the interpolations are the constant rule fragments above

# Otherwise (late or out-of-order readings): the new readings and, for each, the stored reading right after
# it (its consumption changes) are recomputed against the stored readings around them.
_AFFECTED = """
INSERT INTO metering_affected (device, ts)
SELECT device, ts FROM metering_batch WHERE inserted AND cumulative AND NOT appended
UNION
SELECT n.device, n.ts
FROM metering_batch b
CROSS JOIN LATERAL (
    SELECT r.device, r.ts FROM readings r WHERE r.device = b.device AND r.ts > b.ts ORDER BY r.ts LIMIT 1
) n
WHERE b.inserted AND b.cumulative AND NOT b.appended
"""

_REGISTERS = f"""
WITH c AS (
    SELECT a.device, a.ts, r.register AS reg, p.register AS prev, p.ts AS prev_ts,
           d.register_max AS reg_max, d.rated_max_per_hour AS rated
    FROM metering_affected a
    JOIN readings r ON r.device = a.device AND r.ts = a.ts
    JOIN devices d ON d.identifier = a.device
    LEFT JOIN LATERAL (
        SELECT q.register, q.ts FROM readings q WHERE q.device = a.device AND q.ts < a.ts ORDER BY q.ts DESC LIMIT 1
    ) p ON true
), k AS (SELECT c.*, {_KIND} AS kind FROM c),
q AS (SELECT k.*, {_DELTA} AS delta FROM k)
UPDATE readings r SET quantity = q.delta, flag = {_FLAG}
FROM q
WHERE r.device = q.device AND r.ts = q.ts
"""  # noqa: S608 - the interpolations are the constant rule fragments above

_REGISTER_QUARANTINE_CLEARED = """
DELETE FROM quarantine q
USING metering_affected a, readings r
WHERE q.device = a.device AND q.ts = a.ts AND q.reason = 'above-rated-maximum'
  AND r.device = a.device AND r.ts = a.ts AND r.flag <> 'quarantined'
"""

# $1 channel, $2 now
_REGISTER_QUARANTINE = """
INSERT INTO quarantine (device, enterprise_id, region_code, ts, value, unit, quality, reason, detail, channel,
                        received_at)
SELECT r.device, d.enterprise_id, d.region_code, r.ts, r.value, r.unit, r.quality, 'above-rated-maximum',
       'consumption since the previous reading: ' || r.quantity::text || ' ' || d.canonical_unit,
       $1::text, $2::timestamptz
FROM (SELECT device, ts FROM metering_affected
      UNION ALL SELECT device, ts FROM metering_batch WHERE inserted AND appended AND flag = 'quarantined') a
JOIN readings r ON r.device = a.device AND r.ts = a.ts
JOIN devices d ON d.identifier = a.device
WHERE r.flag = 'quarantined'
ON CONFLICT DO NOTHING
"""

# A reading at ts closes the interval ending at ts: it belongs to the hour (and day) containing ts - 1 µs.
_HOURS = """
INSERT INTO metering_hours (device, hour)
SELECT DISTINCT device, date_trunc('hour', ts - interval '1 microsecond', 'UTC')
FROM (SELECT device, ts FROM metering_batch WHERE inserted UNION ALL SELECT device, ts FROM metering_affected) x
"""

_HOUR_AGGREGATES = """
INSERT INTO device_hours (device, hour, quantity, readings)
SELECT t.device, t.hour,
       coalesce(sum(r.quantity) FILTER (WHERE r.flag <> 'quarantined'), 0),
       count(r.ts)
FROM metering_hours t
LEFT JOIN readings r ON r.device = t.device AND r.ts > t.hour AND r.ts <= t.hour + interval '1 hour'
GROUP BY t.device, t.hour
ON CONFLICT (device, hour) DO UPDATE SET quantity = excluded.quantity, readings = excluded.readings
"""

# $1 time zone
_DAYS = """
INSERT INTO metering_days (device, day)
SELECT DISTINCT device, (hour AT TIME ZONE $1::text)::date FROM metering_hours
UNION
SELECT device, ((ts - interval '1 microsecond') AT TIME ZONE $1::text)::date
FROM metering_batch WHERE reason IS NOT NULL
"""

# $1 time zone, $2 now
_DAY_AGGREGATES = """
INSERT INTO device_days (device, day, enterprise_id, region_code, carrier, source_code, unit, quantity, readings,
                         expected, quarantined, updated_at)
SELECT t.device, t.day, d.enterprise_id, d.region_code, d.carrier, d.source_code, d.canonical_unit,
       coalesce(h.quantity, 0), coalesce(h.readings, 0), 86400 / d.interval_seconds,
       (SELECT count(*) FROM quarantine q
        WHERE q.device = t.device AND q.ts > w.day_start AND q.ts <= w.day_start + interval '1 day'),
       $2::timestamptz
FROM metering_days t
JOIN devices d ON d.identifier = t.device
CROSS JOIN LATERAL (SELECT (t.day::timestamp AT TIME ZONE $1::text) AS day_start) w
LEFT JOIN LATERAL (
    SELECT sum(x.quantity) AS quantity, sum(x.readings) AS readings FROM device_hours x
    WHERE x.device = t.device AND x.hour >= w.day_start AND x.hour < w.day_start + interval '1 day'
) h ON true
ON CONFLICT (device, day) DO UPDATE
SET quantity = excluded.quantity, readings = excluded.readings, expected = excluded.expected,
    quarantined = excluded.quarantined, updated_at = excluded.updated_at
"""

_TO_PUBLISH = """
INSERT INTO days_to_publish (enterprise_id, day)
SELECT DISTINCT d.enterprise_id, t.day FROM metering_days t JOIN devices d ON d.identifier = t.device
ON CONFLICT DO NOTHING
"""

_COUNTS = """
SELECT count(*) AS distinct_readings,
       count(*) FILTER (WHERE inserted) AS accepted,
       count(*) FILTER (WHERE reason IS NULL AND NOT inserted) AS duplicates
FROM metering_batch
"""

_QUARANTINE_COUNTS = """
SELECT reason, count(*) AS n FROM metering_batch WHERE reason IS NOT NULL GROUP BY reason
UNION ALL
SELECT 'above-rated-maximum', count(*)
FROM metering_affected a JOIN readings r ON r.device = a.device AND r.ts = a.ts
WHERE r.flag = 'quarantined'
UNION ALL
SELECT 'above-rated-maximum', count(*) FROM metering_batch WHERE inserted AND appended AND flag = 'quarantined'
"""


@dataclass(frozen=True)
class RefusedReading:
    line: int
    device: str
    refusal: Refusal
    unit: str


class ReadingsRefused(Exception):  # noqa: N818 - the batch is refused, not failed
    """Readings of unknown, disabled or foreign devices, or in units their carrier cannot convert."""

    def __init__(self, refused: list[RefusedReading]) -> None:
        super().__init__(f"{len(refused)} reading(s) refused")
        self.refused = refused


@dataclass
class IngestResult:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    days: int = 0
    corrected_readings: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "quarantined": sum(self.quarantined.values()),
            "quarantined_by_reason": self.quarantined,
            "days_recomputed": self.days,
        }


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session's transaction (COPY and many-statement SQL go through it)."""
    connection = await session.connection()
    # SQLAlchemy's asyncpg adapter opens the transaction at the first statement it runs itself: run one, so
    # that what follows on the driver connection belongs to the session's transaction.
    await connection.exec_driver_sql("SELECT 1")
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    if not driver.is_in_transaction():
        raise RuntimeError("the ingest must run inside a transaction")
    return driver


async def ingest(
    session: AsyncSession,
    settings: MeteringSettings,
    rows: Sequence[ReadingRow],
    *,
    channel: Channel,
    now: datetime,
    enterprise_id: uuid.UUID | None = None,
) -> IngestResult:
    """Apply one batch inside the session's transaction; raise ReadingsRefused (write nothing) on refusals.

    ``enterprise_id``: the gateway's enterprise; each device must belong to it.
    """
    result = IngestResult(received=len(rows))
    if not rows:
        return result
    conn = await driver_connection(session)
    await conn.execute(_TEMP_TABLES)
    await conn.copy_records_to_table(
        "metering_stage", records=rows, columns=["line", "device", "ts", "value", "unit", "quality"]
    )
    refused = await conn.fetch(_REFUSALS, enterprise_id)
    if refused:
        raise ReadingsRefused([RefusedReading(r["line"], r["device"], r["refusal"], r["unit"]) for r in refused])
    await conn.execute(_CLASSIFY, now, settings.future_skew_seconds, settings.spike_tolerance)
    await conn.fetchval(_DEVICE_LOCKS)
    await conn.execute(_TAILS)
    await conn.execute(_APPENDED, settings.rollover_band, settings.spike_tolerance)
    await conn.execute(_INSERT, channel, now)
    await conn.execute(_CONFLICTS)
    await conn.execute(_QUARANTINE, channel, now)
    affected = await conn.execute(_AFFECTED)
    result.corrected_readings = int(affected.rsplit(" ", 1)[-1])
    if result.corrected_readings:
        await conn.execute(_REGISTERS, settings.rollover_band, settings.spike_tolerance)
        await conn.execute(_REGISTER_QUARANTINE_CLEARED)
    await conn.execute(_REGISTER_QUARANTINE, channel, now)
    await conn.execute(_HOURS)
    await conn.execute(_HOUR_AGGREGATES)
    days = await conn.execute(_DAYS, settings.day_time_zone)
    result.days = int(days.rsplit(" ", 1)[-1])
    await conn.execute(_DAY_AGGREGATES, settings.day_time_zone, now)
    await conn.execute(_TO_PUBLISH)
    counts = await conn.fetchrow(_COUNTS)
    assert counts is not None
    result.accepted = int(counts["accepted"])
    # the same (device, time) twice in one batch, or already stored with the same value
    result.duplicates = int(counts["duplicates"]) + len(rows) - int(counts["distinct_readings"])
    for row in await conn.fetch(_QUARANTINE_COUNTS):
        if row["n"]:
            result.quarantined[row["reason"]] = result.quarantined.get(row["reason"], 0) + int(row["n"])
    return result
