"""JSON shapes of domain objects as stored with a calculation and returned by the API.

Decimals always travel as plain strings (never floats); unrounded figures are kept beside the presented ones,
so a stored result can be replayed step by step and re-presented without recomputing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from carbonid_calculator.domain import (
    CalculationResult,
    EmissionFactorSet,
    EmissionSource,
    FactorSource,
    LineResult,
    TraceOperand,
    TraceStep,
    ValidationIssue,
)


def dec(value: Decimal) -> str:
    """A decimal as a plain string without exponent (``1E+3`` → ``1000``)."""
    return format(value, "f")


def source_json(source: FactorSource | None) -> dict[str, str] | None:
    if source is None:
        return None
    return {"document": source.document, "table": source.table, "version": source.version}


def operand_json(operand: TraceOperand) -> dict[str, Any]:
    return {
        "name": operand.name,
        "value": dec(operand.value),
        "unit": operand.unit,
        "source": source_json(operand.source),
        "measured": operand.measured,
        "assumption": operand.assumption,
    }


def step_json(step: TraceStep) -> dict[str, Any]:
    return {
        "seq": step.seq,
        "kind": step.kind.value,
        "label_zh": step.label_zh,
        "label_en": step.label_en,
        "formula": step.formula,
        "operands": [operand_json(o) for o in step.operands],
        "result": dec(step.result),
        "result_unit": step.result_unit,
        "line_index": step.line_index,
    }


def issue_json(issue: ValidationIssue) -> dict[str, str]:
    return {
        "code": issue.code,
        "field": issue.field,
        "severity": issue.severity.value,
        "message_zh": issue.message_zh,
        "message_en": issue.message_en,
    }


def emission_source_json(source: EmissionSource) -> dict[str, Any]:
    return {
        "code": source.code,
        "name_zh": source.name_zh,
        "name_en": source.name_en,
        "category": source.category.value,
        "direction": source.direction.value,
        "scope": source.scope.value,
        "carrier": source.carrier.value,
        "factor_kind": source.factor_kind.value,
        "default_unit": source.default_unit.value,
        "allowed_units": [u.value for u in source.allowed_units],
    }


def line_result_json(line: LineResult) -> dict[str, Any]:
    return {
        "index": line.index,
        "source_code": line.source.code,
        "source_name_zh": line.source.name_zh,
        "source_name_en": line.source.name_en,
        "category": line.source.category.value,
        "scope": line.source.scope.value,
        "carrier": line.source.carrier.value,
        "origin": line.origin.value,
        "entered": {"value": dec(line.entered.value), "unit": line.entered.unit.value},
        "activity": {"value": dec(line.activity.value), "unit": line.activity.unit.value},
        "emissions_tco2": dec(line.emissions_tco2),
        "biomass_tco2": dec(line.biomass_tco2),
        "energy_tce": dec(line.energy_tce),
        "measured": line.measured,
    }


def result_json(result: CalculationResult) -> dict[str, Any]:
    """Everything a result page and the report need: presented summary, unrounded figures, lines, trace."""
    n = result.neutralisation
    return {
        "summary": result.presented_summary(),
        "unrounded": {
            "total_emissions_tco2": dec(result.total_emissions_tco2),
            "energy_emissions_tco2": dec(result.energy_emissions_tco2),
            "process_emissions_tco2": dec(result.process_emissions_tco2),
            "biomass_emissions_tco2": dec(result.biomass_emissions_tco2),
            "avoided_by_own_renewable_tco2": dec(result.avoided_by_own_renewable_tco2),
            "net_emissions_tco2": dec(result.net_emissions_tco2),
            "intensity_tco2_per_10k_cny": dec(result.intensity_tco2_per_10k_cny),
            "energy_tce": dec(result.energy_tce),
            "neutralisation_tco2": dec(n.total_tco2),
            "neutralisation_rate": dec(n.rate),
        },
        "neutralisation": {
            "ccer_tco2": dec(n.ccer_tco2),
            "green_certificates_mwh": dec(n.green_certificates_mwh),
            "green_certificates_tco2": dec(n.green_certificates_tco2),
            "own_renewable_mwh": dec(n.own_renewable_mwh),
            "own_renewable_credited_mwh": dec(n.own_renewable_credited_mwh),
            "own_renewable_tco2": dec(n.own_renewable_tco2),
            "sinks_tco2": dec(n.sinks_tco2),
            "total_tco2": dec(n.total_tco2),
            "rate": dec(n.rate),
        },
        "grid_factor": grid_choice_json(result),
        "heat_factor": {
            "tco2_per_gj": dec(result.heat_factor.tco2_per_gj),
            "source": source_json(result.heat_factor.source),
        },
        "electricity_convention_zh": result.electricity_convention_zh,
        "electricity_convention_en": result.electricity_convention_en,
        "lines": [line_result_json(line) for line in result.lines],
        "trace": [step_json(step) for step in result.trace],
        "warnings": [issue_json(w) for w in result.warnings],
        "factor_sources": factor_sources(result.trace),
    }


def grid_choice_json(result: CalculationResult) -> dict[str, Any]:
    g = result.grid_factor
    return {
        "tco2_per_mwh": dec(g.factor.tco2_per_mwh),
        "series": g.factor.series.value,
        "level": g.factor.level.value,
        "region_code": g.factor.region_code,
        "region_name_zh": g.factor.region_name_zh,
        "year": g.factor.year,
        "requested_year": g.requested_year,
        "fell_back": g.fell_back,
        "explanation_zh": g.explanation_zh,
        "explanation_en": g.explanation_en,
        "source": source_json(g.factor.source),
    }


def factor_sources(trace: tuple[TraceStep, ...]) -> list[dict[str, str]]:
    """Every distinct document/table/version a result's factors came from, in order of first use."""
    seen: dict[tuple[str, str, str], dict[str, str]] = {}
    for step in trace:
        for operand in step.operands:
            if operand.source is not None:
                key = (operand.source.document, operand.source.table, operand.source.version)
                seen.setdefault(key, {"document": key[0], "table": key[1], "version": key[2]})
    return list(seen.values())


def factor_set_rows_json(factor_set: EmissionFactorSet) -> dict[str, Any]:
    """Every row of a factor set with its source document, table and version."""
    return {
        "fuel_parameters": [
            {
                "source_code": r.source_code,
                "ncv": dec(r.ncv),
                "ncv_unit": r.ncv_unit,
                "carbon_content_tc_per_gj": dec(r.carbon_content_tc_per_gj),
                "oxidation_rate": dec(r.oxidation_rate),
                "assumption": r.assumption,
                "note": r.note,
                "source": source_json(r.source),
            }
            for r in factor_set.fuel_parameters
        ],
        "grid_electricity": [
            {
                "series": r.series.value,
                "level": r.level.value,
                "region_code": r.region_code,
                "region_name_zh": r.region_name_zh,
                "year": r.year,
                "tco2_per_mwh": dec(r.tco2_per_mwh),
                "note": r.note,
                "source": source_json(r.source),
            }
            for r in factor_set.grid_factors
        ],
        "heat": [
            {
                "tco2_per_gj": dec(factor_set.heat_factor.tco2_per_gj),
                "note": factor_set.heat_factor.note,
                "source": source_json(factor_set.heat_factor.source),
            }
        ],
        "process": [
            {
                "source_code": r.source_code,
                "tco2_per_t": dec(r.tco2_per_t),
                "note": r.note,
                "source": source_json(r.source),
            }
            for r in factor_set.process_factors
        ],
        "standard_coal": [
            {
                "source_code": r.source_code,
                "tce_per_unit": dec(r.tce_per_unit),
                "unit": r.unit.value,
                "as_published": r.as_published,
                "basis": r.basis,
                "note": r.note,
                "source": source_json(r.source),
            }
            for r in factor_set.standard_coal
        ],
    }
