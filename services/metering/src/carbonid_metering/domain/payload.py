"""The two batch formats collection gateways post: JSON lines and CSV, parsed into reading rows.

One reading per line: ``device`` (identifier), ``time`` (ISO-8601 with a UTC offset: the device's own clock),
``value`` (decimal; a JSON string or number), ``unit``, ``quality`` (``good`` | ``estimated`` | ``bad``,
default ``good``). CSV has a header line naming these columns. Every fault is reported with its line (JSON
pointer ``/lines/<n>/<field>``, 1-based), and one fault refuses the whole batch, so nothing is half-written.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

QUALITIES = frozenset({"good", "estimated", "bad"})
MAX_ERRORS = 100
ReadingRow = tuple[int, str, datetime, Decimal, str, str]
"""(line, device, time UTC, value, unit, quality): the columns the ingest copies into its staging table."""


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    zh: str
    en: str

    @property
    def pointer(self) -> str:
        return f"/lines/{self.line}/{self.field}" if self.field else f"/lines/{self.line}"


@dataclass
class ParsedBatch:
    rows: list[ReadingRow] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    def fail(self, line: int, name: str, zh: str, en: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(LineError(line, name, zh, en))


def _reading(batch: ParsedBatch, line: int, raw: dict[str, object]) -> None:
    before = len(batch.errors)
    device = raw.get("device")
    if not isinstance(device, str) or "/" not in device or not 3 <= len(device) <= 256:
        batch.fail(line, "device", "设备标识无效", "device must be an identifier prefix/suffix")
    stamp = raw.get("time")
    when: datetime | None = None
    if isinstance(stamp, str):
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            when = None
    if when is None or when.tzinfo is None:
        batch.fail(line, "time", "时间须为带时区的 ISO-8601", "time must be ISO-8601 with a UTC offset")
    value_raw = raw.get("value")
    value: Decimal | None = None
    if isinstance(value_raw, str | int | Decimal) and not isinstance(value_raw, bool):
        try:
            value = Decimal(value_raw)
        except InvalidOperation:
            value = None
    if value is None or not value.is_finite() or abs(value) >= Decimal("1e15"):
        batch.fail(line, "value", "读数须为十进制数", "value must be a decimal number")
    unit = raw.get("unit")
    if not isinstance(unit, str) or not 1 <= len(unit) <= 16:
        batch.fail(line, "unit", "缺少计量单位", "unit is required")
    quality = raw.get("quality") or "good"
    if quality not in QUALITIES:
        batch.fail(line, "quality", "质量标志须为 good/estimated/bad", "quality must be good, estimated or bad")
    if len(batch.errors) == before and when is not None and value is not None:
        # Handle identifiers compare case-insensitively (ASCII): devices are keyed in lower case
        batch.rows.append((line, str(device).lower(), when.astimezone(UTC), value, str(unit), str(quality)))


def parse_json_lines(body: bytes, *, max_readings: int) -> ParsedBatch:
    batch = ParsedBatch()
    for number, text in enumerate(body.splitlines(), start=1):
        if not text.strip():
            continue
        if len(batch.rows) + len(batch.errors) >= max_readings:
            batch.fail(number, "", f"每批最多 {max_readings} 条读数", f"at most {max_readings} readings per batch")
            break
        try:
            raw = json.loads(text, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            batch.fail(number, "", "不是有效的 JSON", "not valid JSON")
            continue
        if not isinstance(raw, dict):
            batch.fail(number, "", "每行须为一个 JSON 对象", "each line must be a JSON object")
            continue
        _reading(batch, number, raw)
    return batch


def parse_csv(body: bytes, *, max_readings: int) -> ParsedBatch:
    batch = ParsedBatch()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        batch.fail(1, "", "CSV 须为 UTF-8", "CSV must be UTF-8")
        return batch
    reader = csv.DictReader(io.StringIO(text))
    missing = {"device", "time", "value", "unit"} - set(reader.fieldnames or ())
    if missing:
        batch.fail(
            1, "", f"CSV 表头缺少列：{', '.join(sorted(missing))}", f"CSV header lacks {', '.join(sorted(missing))}"
        )
        return batch
    for row in reader:
        number = reader.line_num
        if len(batch.rows) + len(batch.errors) >= max_readings:
            batch.fail(number, "", f"每批最多 {max_readings} 条读数", f"at most {max_readings} readings per batch")
            break
        _reading(batch, number, {k: v for k, v in row.items() if k is not None})
    return batch
