"""Builders shared by the evaluation domain tests."""

from __future__ import annotations

from decimal import Decimal

from carbonid_contracts.codes.period import Period
from carbonid_evaluation.data import load_bundled_rule_set
from carbonid_evaluation.domain.benchmark import Benchmark
from carbonid_evaluation.domain.evaluation import CalculationFigures, EvaluationInput, Reductions
from carbonid_evaluation.domain.questionnaire import Answer
from carbonid_evaluation.domain.rule_set import RuleSet

RULE_SET: RuleSet = load_bundled_rule_set("zhejiang-2022/v1")

ALL_NO = {
    "energy_management_system": Answer("no"),
    "energy_metering": Answer("none"),
    "energy_online_monitoring": Answer("no"),
    "renewable_energy_use": Answer("no"),
    "energy_audit": Answer("no"),
    "carbon_management_staff": Answer("no"),
    "carbon_reduction_targets": Answer("none"),
    "green_factory": Answer("none"),
    "ghg_verification": Answer("no"),
}


def benchmark(
    intensity: str = "1",
    *,
    industry: str = "2614",
    scope: str = "330000",
    year: int = 2025,
    sample: int = 12,
    version: str = "bm-2025.1",
) -> Benchmark:
    return Benchmark(version, industry, scope, year, Decimal(intensity), sample)


def figures(
    gross: str = "10000",
    added_value: str = "5000",
    *,
    factor: str = "0.5366",
    reductions: Reductions | None = None,
    reported_intensity: str | None = None,
) -> CalculationFigures:
    return CalculationFigures(
        calculation_id="calc-1",
        total_emissions_tco2=Decimal(gross),
        added_value_10k_cny=Decimal(added_value),
        grid_factor_tco2_per_mwh=Decimal(factor),
        grid_factor_source="national-average/2022",
        reductions=reductions or Reductions(),
        factor_set_version="ndrc-2015/v1",
        reported_intensity=Decimal(reported_intensity) if reported_intensity is not None else None,
    )


def evaluation_input(
    fig: CalculationFigures | None = None,
    *,
    industry: str = "2614",
    region: str = "330502",
    period: str = "2025Q3",
    answers: dict[str, Answer] | None = None,
) -> EvaluationInput:
    return EvaluationInput(
        enterprise_id="ent-1",
        industry_code=industry,
        region_code=region,
        period=Period.parse(period),
        figures=fig or figures(),
        answers=ALL_NO if answers is None else answers,
    )
