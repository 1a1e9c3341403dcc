"""Metadata templates (元数据模板) and the validation of a record's values against its template.

A template item names the Handle value (``idIndex``, ``idType``), whether it is required, its data type
(1 string, 2 number with ``accuracy`` decimals, 3 date with ``dateFormat``), length limits and, for
quantities, the unit every value of that item is expressed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from carbonid_resolver.domain.errors import InvalidTemplateData, ItemError
from carbonid_resolver.domain.records import NodeRecord

TEMPLATE_ID_INDEX = 1000
TEMPLATE_VERSION_INDEX = 1001
FIRST_ATTRIBUTE_INDEX = 2000

DATA_STRING = 1
DATA_NUMBER = 2
DATA_DATE = 3

KNOWN_UNITS = frozenset(
    {"t", "kg", "GJ", "MJ", "TJ", "kWh", "MWh", "m3", "10^4 Nm3", "kJ/kg", "tCO2", "tce", "10^4 CNY"}
)
"""Units the platform understands (the calculator's unit symbols plus the added-value unit)."""

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_DATE_FORMATS = {"YYYY-MM-DD": "%Y-%m-%d", "YYYY-MM": "%Y-%m", "YYYYMMDD": "%Y%m%d", "YYYY/MM/DD": "%Y/%m/%d"}


@dataclass(frozen=True, slots=True)
class TemplateItem:
    index: int
    code: str
    name_zh: str
    name_en: str
    required: bool
    data_type: int
    unit: str | None = None
    accuracy: int | None = None
    date_format: str | None = None
    min_length: int = 0
    max_length: int = 255


@dataclass(frozen=True, slots=True)
class MetadataTemplate:
    handle: str
    version: str
    name: str
    items: tuple[TemplateItem, ...]
    industry_category: str | None = None
    industry_code: str | None = None

    def item(self, code: str) -> TemplateItem | None:
        return next((i for i in self.items if i.code == code), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "version": self.version,
            "name": self.name,
            "industry_category": self.industry_category,
            "industry_code": self.industry_code,
            "items": [
                {
                    "index": i.index,
                    "code": i.code,
                    "name_zh": i.name_zh,
                    "name_en": i.name_en,
                    "required": i.required,
                    "data_type": i.data_type,
                    "unit": i.unit,
                    "accuracy": i.accuracy,
                    "date_format": i.date_format,
                }
                for i in self.items
            ],
        }


def _int(raw: object, default: int) -> int:
    if isinstance(raw, bool):
        return default
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw)
    return default


def _data_type(raw: dict[str, Any]) -> int:
    code = _int(raw.get("dataType"), 0)
    if code in (DATA_STRING, DATA_NUMBER, DATA_DATE):
        return code
    named = str((raw.get("metadata") or {}).get("type", "string")).lower()
    return {"number": DATA_NUMBER, "date": DATA_DATE}.get(named, DATA_STRING)


def parse_template(document: Mapping[str, Any]) -> MetadataTemplate:
    """A template from its SNMS-v5 JSON; raises InvalidTemplateData when the document is not a template."""
    handle = str(document.get("handle") or "")
    errors: list[ItemError] = []
    raw_items = document.get("items")
    if not handle or not isinstance(raw_items, list):
        raise InvalidTemplateData(
            handle or "template",
            [ItemError("/items", "template-malformed", "元数据模板缺少标识或数据项", "template lacks handle or items")],
        )
    items: list[TemplateItem] = []
    for n, raw in enumerate(raw_items):
        if not isinstance(raw, dict) or not isinstance(raw.get("idType"), str):
            errors.append(ItemError(f"/items/{n}", "template-malformed", "数据项缺少类型", "item lacks idType"))
            continue
        metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        assert isinstance(metadata, dict)
        items.append(
            TemplateItem(
                index=_int(raw.get("idIndex"), 0),
                code=raw["idType"],
                name_zh=str(raw.get("cnName") or raw.get("name") or raw["idType"]),
                name_en=str(raw.get("enName") or raw["idType"]),
                required=bool(raw.get("required", False)),
                data_type=_data_type(raw),
                unit=raw.get("unit") if isinstance(raw.get("unit"), str) and raw.get("unit") else None,
                accuracy=_int(raw.get("accuracy"), -1) if raw.get("accuracy") is not None else None,
                date_format=str(raw["dateFormat"]) if raw.get("dateFormat") else None,
                min_length=_int(metadata.get("minLength"), 0),
                max_length=_int(metadata.get("maxLength"), 255),
            )
        )
    for item in items:
        if item.unit is not None and item.unit not in KNOWN_UNITS:
            errors.append(
                ItemError(
                    f"/items/{item.code}/unit",
                    "unknown-unit",
                    f"数据项 {item.name_zh} 的单位 {item.unit} 不被平台支持",
                    f"item {item.code}: unit {item.unit!r} is not one the platform knows",
                )
            )
    if errors:
        raise InvalidTemplateData(handle, errors)
    return MetadataTemplate(
        handle=handle,
        version=str(document.get("version") or ""),
        name=str(document.get("name") or document.get("description") or handle),
        items=tuple(items),
        industry_category=document.get("industryCategory") or None,
        industry_code=document.get("industrySubclass") or document.get("industrySpecific") or None,
    )


@dataclass(frozen=True, slots=True)
class ValidatedRecord:
    """A record whose values all passed its template: numbers as Decimal, dates as text checked."""

    handle: str
    template_handle: str
    template_version: str
    numbers: dict[str, Decimal]
    texts: dict[str, str]


def _pointer(handle: str, code: str) -> str:
    return f"/records/{handle}/{code}"


def _check_date(text: str, fmt: str | None) -> bool:
    pattern = _DATE_FORMATS.get((fmt or "YYYY-MM-DD").upper(), "%Y-%m-%d")
    try:
        datetime.strptime(text, pattern)  # noqa: DTZ007 - a calendar date, no time zone involved
    except ValueError:
        return False
    return True


def validate_record(record: NodeRecord, template: MetadataTemplate) -> ValidatedRecord:
    """Check every value of ``record`` against ``template``; collects all problems before raising.

    Rules: the record names this template (index 1000) and version (1001); every required item is present
    and non-empty; each value sits at its item's index; lengths within limits; numbers are plain decimals
    with at most ``accuracy`` decimals and, when they carry a unit, not negative; dates match the format;
    values of types the template does not define are refused (they could not be mapped or checked).
    """
    errors: list[ItemError] = []
    h = record.handle
    by_index = record.by_index()
    template_id = by_index.get(TEMPLATE_ID_INDEX)
    if template_id is None or (template_id.text or "").lower() != template.handle.lower():
        errors.append(
            ItemError(
                _pointer(h, "TEMPLATE_ID"),
                "template-mismatch",
                f"标识 {h} 未按模板 {template.handle} 填报",
                f"{h} does not follow template {template.handle}",
            )
        )
    version = by_index.get(TEMPLATE_VERSION_INDEX)
    if version is not None and template.version and version.text != template.version:
        errors.append(
            ItemError(
                _pointer(h, "TEMPLATE"),
                "template-version-mismatch",
                f"模板版本 {version.text} 与已发布版本 {template.version} 不一致",
                f"template version {version.text} differs from the published {template.version}",
            )
        )
    values = {v.type: v for v in sorted(record.values, key=lambda v: v.index) if v.index >= FIRST_ATTRIBUTE_INDEX}
    known = {i.code for i in template.items}
    for code in sorted(set(values) - known):
        errors.append(
            ItemError(
                _pointer(h, code),
                "unknown-item",
                f"数据项 {code} 不在模板中",
                f"item {code} is not defined by the template",
            )
        )
    numbers: dict[str, Decimal] = {}
    texts: dict[str, str] = {}
    for item in template.items:
        value = values.get(item.code)
        pointer = _pointer(h, item.code)
        text = value.text.strip() if value is not None and value.text is not None else None
        if not text:
            if item.required:
                errors.append(
                    ItemError(
                        pointer, "required", f"缺少必填数据项 {item.name_zh}", f"required item {item.code} missing"
                    )
                )
            continue
        assert value is not None
        if item.index and value.index != item.index:
            errors.append(
                ItemError(
                    pointer,
                    "wrong-index",
                    f"数据项 {item.name_zh} 应位于索引 {item.index}",
                    f"item {item.code} must be at index {item.index}, found {value.index}",
                )
            )
        if not item.min_length <= len(text) <= item.max_length:
            errors.append(
                ItemError(
                    pointer,
                    "length",
                    f"数据项 {item.name_zh} 长度应在 {item.min_length}–{item.max_length} 之间",
                    f"item {item.code}: length must be {item.min_length}..{item.max_length}",
                )
            )
        if item.data_type == DATA_NUMBER:
            number = _parse_number(text)
            if number is None:
                errors.append(
                    ItemError(
                        pointer,
                        "not-a-number",
                        f"{item.name_zh} 不是数值：{text}",
                        f"{item.code}: {text!r} is not a number",
                    )
                )
                continue
            exponent = number.as_tuple().exponent
            decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
            if item.accuracy is not None and item.accuracy >= 0 and decimals > item.accuracy:
                errors.append(
                    ItemError(
                        pointer,
                        "accuracy",
                        f"{item.name_zh} 最多 {item.accuracy} 位小数",
                        f"{item.code}: at most {item.accuracy} decimals",
                    )
                )
            if item.unit is not None and number < 0:
                errors.append(
                    ItemError(pointer, "negative", f"{item.name_zh} 不能为负数", f"{item.code}: must not be negative")
                )
            numbers[item.code] = number
        elif item.data_type == DATA_DATE:
            if not _check_date(text, item.date_format):
                fmt = item.date_format or "YYYY-MM-DD"
                errors.append(
                    ItemError(
                        pointer, "not-a-date", f"{item.name_zh} 应为 {fmt} 格式的日期", f"{item.code}: not a {fmt} date"
                    )
                )
                continue
            texts[item.code] = text
        else:
            texts[item.code] = text
    if errors:
        raise InvalidTemplateData(h, errors)
    return ValidatedRecord(
        handle=h,
        template_handle=template.handle,
        template_version=template.version,
        numbers=numbers,
        texts=texts,
    )


def _parse_number(text: str) -> Decimal | None:
    if not _NUMBER.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def month_start(code: str) -> date:
    year, month = code.split("-")
    return date(int(year), int(month), 1)
