"""Input hash: sha256 of a canonical JSON of every input that can change a result, plus the factor set.

Canonical form: keys sorted, no whitespace, UTF-8, decimals as normalised plain strings (``1.50`` and
``1.5`` hash alike), units in their canonical symbol, lines sorted (their order never changes a result).
The line ``handle`` is provenance and is left out. The grid policy is in, because it changes results.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from carbonid_calculator.domain.errors import UnknownUnitError
from carbonid_calculator.domain.inputs import ActivityLine, CalculationInput, CalculationSettings
from carbonid_calculator.domain.units import parse_unit

CANONICAL_SCHEMA = "carbonid-calculation-input/1"


def canonical_decimal(value: Decimal) -> str:
    """A decimal as the shortest plain string of its value: ``Decimal('1.500')`` → ``'1.5'``."""
    if value.is_zero():
        return "0"
    return format(value.normalize(), "f")


def _optional(value: Decimal | None) -> str | None:
    return None if value is None else canonical_decimal(value)


def _unit(text: str) -> str:
    try:
        return parse_unit(text).value
    except UnknownUnitError:
        return text


def _line(line: ActivityLine) -> dict[str, Any]:
    measured = line.measured
    return {
        "source_code": line.source_code,
        "quantity": canonical_decimal(line.quantity),
        "unit": _unit(line.unit),
        "origin": line.origin.value,
        "measured": None
        if measured is None
        else {
            "ncv": _optional(measured.ncv),
            "carbon_content_tc_per_gj": _optional(measured.carbon_content_tc_per_gj),
            "oxidation_rate": _optional(measured.oxidation_rate),
        },
        "steam_enthalpy_kj_per_kg": _optional(line.steam_enthalpy_kj_per_kg),
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_input_json(inputs: CalculationInput, factor_set_id: str, settings: CalculationSettings) -> str:
    """The canonical JSON text that :func:`input_hash` digests."""
    r = inputs.reductions
    policy = settings.grid_policy
    document = {
        "schema": CANONICAL_SCHEMA,
        "sub_industry_code": inputs.sub_industry_code,
        "period": inputs.period.code,
        "added_value_10k_cny": canonical_decimal(inputs.added_value_10k_cny),
        "lines": sorted((_line(line) for line in inputs.lines), key=_dumps),
        "reductions": {
            "ccer_tco2": canonical_decimal(r.ccer_tco2),
            "green_certificates_mwh": canonical_decimal(r.green_certificates_mwh),
            "own_renewable_mwh": _optional(r.own_renewable_mwh),
            "sinks_tco2": canonical_decimal(r.sinks_tco2),
        },
        "factor_set": factor_set_id,
        "grid_policy": {
            "series": policy.series.value,
            "level": policy.level.value,
            "region_code": policy.region_code,
            "year": policy.year,
        },
    }
    return _dumps(document)


def input_hash(inputs: CalculationInput, factor_set_id: str, settings: CalculationSettings) -> str:
    """sha256 (hex) of the canonical input JSON: equal hashes mean the same calculation."""
    return hashlib.sha256(canonical_input_json(inputs, factor_set_id, settings).encode("utf-8")).hexdigest()
