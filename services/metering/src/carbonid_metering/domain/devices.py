"""A meter is an identifier: its Handle record (template ``88.118.1/META.METER_DEVICE``) says what it measures.

Record items (Handle value types): ``energyCarrier``, ``sourceCode`` (the platform emission source),
``unit`` (what the register or interval counts), ``multiplier`` (CT/PT ratio or pulse weight: the reported
value × multiplier is the real quantity), ``registerKind`` (``cumulative`` register or ``interval``
quantities), ``registerMax`` (a cumulative register's largest value before it rolls over),
``ratedMaxPerHour`` (after the multiplier, in ``unit``), ``intervalSeconds``, ``enterpriseHandle``,
``status`` (``enabled``/``disabled``), and optionally ``deviceName``, ``deviceKind``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from carbonid_metering.domain.units import CANONICAL_UNIT, conversion_factor

DEVICE_TEMPLATE = "88.118.1/META.METER_DEVICE"
_SOURCE_CODE = re.compile(r"^[a-z]+\.[a-z0-9_]+$")
RegisterKind = Literal["cumulative", "interval"]


@dataclass(frozen=True)
class DeviceRecordError:
    item: str
    zh: str
    en: str


class InvalidDeviceRecord(Exception):  # noqa: N818 - named after the problem it becomes
    def __init__(self, handle: str, errors: list[DeviceRecordError]) -> None:
        super().__init__(f"{handle}: {len(errors)} invalid item(s)")
        self.handle = handle
        self.errors = errors


@dataclass(frozen=True)
class DeviceSpec:
    """What a device's identifier record says, checked."""

    identifier: str
    enterprise_prefix: str
    name: str
    kind: str
    carrier: str
    source_code: str
    unit: str
    multiplier: Decimal
    register_kind: RegisterKind
    register_max: Decimal | None
    rated_max_per_hour: Decimal
    interval_seconds: int
    enabled: bool

    @property
    def canonical_unit(self) -> str:
        return CANONICAL_UNIT[self.carrier]

    @property
    def unit_factor(self) -> Decimal:
        """Reported value in the device's unit → canonical quantity (conversion × multiplier)."""
        factor = conversion_factor(self.unit, self.carrier)
        assert factor is not None  # checked by device_from_record
        return factor * self.multiplier

    @property
    def expected_readings_per_day(self) -> int:
        return 86_400 // self.interval_seconds


def _decimal(values: dict[str, str], item: str, errors: list[DeviceRecordError], *, minimum: Decimal) -> Decimal:
    raw = values.get(item)
    try:
        number = Decimal(raw) if raw is not None else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number < minimum:
        errors.append(
            DeviceRecordError(item, f"{item} 须为不小于 {minimum} 的数", f"{item} must be a number ≥ {minimum}")
        )
        return Decimal(0)
    return number


def device_from_record(identifier: str, values: dict[str, str]) -> DeviceSpec:
    """Check a device record (item type → string value) and read it; raise InvalidDeviceRecord listing every fault."""
    errors: list[DeviceRecordError] = []
    prefix, _, suffix = identifier.partition("/")
    if not prefix or not suffix:
        errors.append(DeviceRecordError("handle", "标识须为 前缀/后缀", "the identifier must be prefix/suffix"))
    if values.get("TEMPLATE_ID") not in (None, DEVICE_TEMPLATE):
        errors.append(DeviceRecordError("TEMPLATE_ID", "不是计量设备标识", f"not a {DEVICE_TEMPLATE} record"))
    carrier = values.get("energyCarrier", "")
    if carrier not in CANONICAL_UNIT:
        errors.append(DeviceRecordError("energyCarrier", "未知的能源品种", f"unknown energy carrier {carrier!r}"))
    source_code = values.get("sourceCode", "")
    if not _SOURCE_CODE.match(source_code):
        errors.append(DeviceRecordError("sourceCode", "排放源代码无效", "sourceCode must be an emission source code"))
    unit = values.get("unit", "")
    if carrier in CANONICAL_UNIT and conversion_factor(unit, carrier) is None:
        errors.append(DeviceRecordError("unit", "计量单位无法换算", f"unit {unit!r} cannot be converted for {carrier}"))
    kind = values.get("registerKind")
    if kind not in ("cumulative", "interval"):
        errors.append(DeviceRecordError("registerKind", "须为 cumulative 或 interval", "cumulative or interval"))
    multiplier = (
        _decimal(values, "multiplier", errors, minimum=Decimal("0.000001")) if "multiplier" in values else Decimal(1)
    )
    register_max = None
    if kind == "cumulative" and "registerMax" in values:
        register_max = _decimal(values, "registerMax", errors, minimum=Decimal(1))
    rated = _decimal(values, "ratedMaxPerHour", errors, minimum=Decimal("0.000001"))
    interval_raw = values.get("intervalSeconds", "900")
    interval = int(interval_raw) if interval_raw.isdigit() else 0
    if not 60 <= interval <= 86_400 or 86_400 % interval:
        errors.append(DeviceRecordError("intervalSeconds", "采集间隔须整除一天", "intervalSeconds must divide a day"))
    enterprise_handle = values.get("enterpriseHandle")
    if enterprise_handle is not None and enterprise_handle.partition("/")[0].lower() != prefix.lower():
        errors.append(
            DeviceRecordError("enterpriseHandle", "设备不属于该前缀的企业", "the device's enterprise differs")
        )
    status = values.get("status", "enabled")
    if status not in ("enabled", "disabled"):
        errors.append(DeviceRecordError("status", "状态须为 enabled 或 disabled", "status: enabled or disabled"))
    if errors:
        raise InvalidDeviceRecord(identifier, errors)
    return DeviceSpec(
        identifier=identifier,
        enterprise_prefix=prefix.lower(),
        name=values.get("deviceName", suffix),
        kind=values.get("deviceKind", "meter"),
        carrier=carrier,
        source_code=source_code,
        unit=unit,
        multiplier=multiplier,
        register_kind="cumulative" if kind == "cumulative" else "interval",
        register_max=register_max,
        rated_max_per_hour=rated,
        interval_seconds=interval,
        enabled=status == "enabled",
    )
