"""From stored rows to the domain and back: building a calculation's input, mapping issues to problems."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from carbonid_calculator.db import Calculation, CalculationLine
from carbonid_calculator.domain import (
    ActivityLine,
    CalculationInput,
    LineOrigin,
    MeasuredFuelParameters,
    Reductions,
    Severity,
    ValidationIssue,
)
from carbonid_contracts.codes.period import Period
from carbonid_kit.problems import FieldError, Problem

_INDEX = re.compile(r"\[(\d+)\]")


def pointer(field: str) -> str:
    """A domain field path as a JSON pointer: ``lines[2].measured.ncv`` → ``/lines/2/measured/ncv``."""
    return "/" + _INDEX.sub(r".\1", field).replace(".", "/")


def _optional_decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def domain_line(line: CalculationLine) -> ActivityLine:
    measured = None
    if line.measured:
        measured = MeasuredFuelParameters(
            ncv=_optional_decimal(line.measured.get("ncv")),
            carbon_content_tc_per_gj=_optional_decimal(line.measured.get("carbon_content_tc_per_gj")),
            oxidation_rate=_optional_decimal(line.measured.get("oxidation_rate")),
        )
    return ActivityLine(
        source_code=line.source_code,
        quantity=line.quantity,
        unit=line.unit,
        origin=LineOrigin(line.origin),
        measured=measured,
        steam_enthalpy_kj_per_kg=line.steam_enthalpy_kj_per_kg,
        handle=line.handle,
    )


def domain_reductions(stored: dict[str, Any]) -> Reductions:
    return Reductions(
        ccer_tco2=Decimal(stored.get("ccer_tco2") or 0),
        green_certificates_mwh=Decimal(stored.get("green_certificates_mwh") or 0),
        own_renewable_mwh=_optional_decimal(stored.get("own_renewable_mwh")),
        sinks_tco2=Decimal(stored.get("sinks_tco2") or 0),
    )


def ordered(lines: Sequence[CalculationLine]) -> list[CalculationLine]:
    return sorted(lines, key=lambda line: line.position)


def domain_input(calc: Calculation, lines: Sequence[CalculationLine]) -> CalculationInput:
    """The domain input of a calculation; line ``i`` of the input is ``ordered(lines)[i]``."""
    return CalculationInput(
        sub_industry_code=calc.sub_industry_code,
        period=Period.parse(calc.period),
        added_value_10k_cny=calc.added_value_10k_cny,
        lines=tuple(domain_line(line) for line in ordered(lines)),
        reductions=domain_reductions(calc.reductions or {}),
    )


def rejected(
    issues: Sequence[ValidationIssue],
    *,
    line_ids: Sequence[uuid.UUID] = (),
    detail_zh: str = "计算输入未通过校验",
    detail_en: str = "The calculation input failed validation",
) -> Problem:
    """422 problem+json listing every error (one field error each) and the warnings alongside."""
    errors = [i for i in issues if i.severity is Severity.ERROR]
    warnings = [i for i in issues if i.severity is Severity.WARNING]
    return Problem(
        422,
        "calculation-rejected",
        "计算输入无效",
        "Calculation input rejected",
        detail_zh + "：" + "；".join(i.message_zh for i in errors),
        detail_en + ": " + "; ".join(i.message_en for i in errors),
        errors=[FieldError(pointer(i.field), i.code, i.message_zh, i.message_en) for i in errors],
        extra={
            "warnings": [
                {"pointer": pointer(w.field), "code": w.code, "message_zh": w.message_zh, "message_en": w.message_en}
                for w in warnings
            ],
            "line_ids": [str(i) for i in line_ids],
        },
    )


def errors_under(issues: Sequence[ValidationIssue], *prefixes: str) -> list[ValidationIssue]:
    """The errors about fields under any of ``prefixes`` (what an edit of those fields must not introduce)."""
    return [i for i in issues if i.severity is Severity.ERROR and i.field.startswith(prefixes)]
