"""Data-quality rules of meter readings: what is quarantined, and why, in words enterprises and regulators read.

The rules run set-wise in SQL (``ingest.py``) over a whole batch; their thresholds are the settings named here
(``MeteringSettings``), and the reasons below are the only ones a quarantined reading can carry.

- **duplicates**: a reading is identified by (device, device timestamp). The same reading again (same value
  and unit) changes nothing; a different value for a timestamp already stored is quarantined
  (``conflicting-duplicate``) and the first value stands.
- **late and out-of-order readings** are stored where they belong: the interval after them (cumulative
  registers), their hour and their day are recomputed, and the day is published again with a new revision.
- **cumulative registers**: consumption is the difference to the previous reading. A register that went down
  *rolled over* when the previous value was within ``rollover_band`` of the register's maximum (the meter
  counted past ``registerMax`` and started at zero again): consumption = max − previous + value. Any other
  drop is a *counter reset* (meter replaced or reset): consumption = the value counted since zero. Both are
  flagged on the reading. The first reading of a register is its baseline (no consumption).
- **gaps**: every day records readings expected (86 400 s ÷ the device's interval) and received; missing
  intervals are listed per device and day and never filled silently (no fill rule is applied by default).
- **impossible values**: negative intervals, negative registers, a consumption above the device's rated
  maximum per hour × the interval's hours × ``spike_tolerance``, a timestamp further in the future than
  ``future_skew_seconds``, and readings the device itself flagged ``bad``.
"""

from __future__ import annotations

from enum import StrEnum


class QuarantineReason(StrEnum):
    NEGATIVE_INTERVAL = "negative-interval"
    NEGATIVE_REGISTER = "negative-register"
    ABOVE_RATED_MAXIMUM = "above-rated-maximum"
    TIMESTAMP_IN_FUTURE = "timestamp-in-future"
    DEVICE_REPORTED_BAD = "device-reported-bad"
    CONFLICTING_DUPLICATE = "conflicting-duplicate"


REASON_TEXT: dict[QuarantineReason, tuple[str, str]] = {
    QuarantineReason.NEGATIVE_INTERVAL: ("区间读数为负", "negative interval quantity"),
    QuarantineReason.NEGATIVE_REGISTER: ("累计读数为负", "negative register value"),
    QuarantineReason.ABOVE_RATED_MAXIMUM: (
        "用量超过设备额定最大值",
        "consumption above the device's rated maximum for the interval",
    ),
    QuarantineReason.TIMESTAMP_IN_FUTURE: ("读数时间在未来", "reading time lies in the future"),
    QuarantineReason.DEVICE_REPORTED_BAD: ("设备标记为坏数据", "the device flagged the reading as bad"),
    QuarantineReason.CONFLICTING_DUPLICATE: (
        "同一时刻已有不同读数",
        "another value for this device and time is already stored",
    ),
}


class ReadingFlag(StrEnum):
    """What the ingest concluded about a stored reading of a cumulative register."""

    NORMAL = "normal"
    BASELINE = "baseline"
    ROLLOVER = "rollover"
    RESET = "reset"
    QUARANTINED = "quarantined"  # kept as the register's reference value, its consumption not counted


def reason_text(reason: str) -> dict[str, str]:
    zh, en = REASON_TEXT[QuarantineReason(reason)]
    return {"zh": zh, "en": en}
