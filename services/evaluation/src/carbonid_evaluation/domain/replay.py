"""Recomputing a stored evaluation: its canonical input document back into inputs and the benchmark it used.

An evaluation stores ``input_document`` (see ``evaluation.evaluation_input_document``) and its sha256. Reading
the document back and evaluating it again with the rule set it names must give the same hash and the same
result; that is how anyone can check a published grade later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from carbonid_contracts.codes.period import Period
from carbonid_evaluation.domain.benchmark import Benchmark
from carbonid_evaluation.domain.errors import FieldProblem, InvalidFiguresError
from carbonid_evaluation.domain.evaluation import INPUT_SCHEMA, CalculationFigures, EvaluationInput, Reductions
from carbonid_evaluation.domain.questionnaire import Answer


@dataclass(frozen=True, slots=True)
class StoredInputs:
    inputs: EvaluationInput
    benchmark: Benchmark
    rule_set_version: str
    rule_set_digest: str


def _decimal(value: Any, path: str) -> Decimal:
    problem = InvalidFiguresError(
        "存储的评价输入无效",
        "the stored evaluation input is invalid",
        [FieldProblem(path, "不是数字", "not a number")],
    )
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise problem
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise problem from exc
    if not number.is_finite():
        raise problem
    return number


def inputs_from_document(document: Mapping[str, Any]) -> StoredInputs:
    """Rebuild the inputs, benchmark and rule-set identity of an evaluation from its canonical input document."""
    if document.get("schema") != INPUT_SCHEMA:
        raise InvalidFiguresError(
            "存储的评价输入版本不受支持",
            f"unsupported evaluation input schema {document.get('schema')!r}",
        )
    fig = document["figures"]
    red = fig["reductions"]
    reported = fig.get("reported_intensity")
    figures = CalculationFigures(
        calculation_id=str(fig["calculation_id"]),
        total_emissions_tco2=_decimal(fig["total_emissions_tco2"], "figures/total_emissions_tco2"),
        added_value_10k_cny=_decimal(fig["added_value_10k_cny"], "figures/added_value_10k_cny"),
        grid_factor_tco2_per_mwh=_decimal(fig["grid_factor_tco2_per_mwh"], "figures/grid_factor_tco2_per_mwh"),
        grid_factor_source=str(fig["grid_factor_source"]),
        reductions=Reductions(
            ccer_tco2=_decimal(red["ccer_tco2"], "figures/reductions/ccer_tco2"),
            green_certificates_mwh=_decimal(red["green_certificates_mwh"], "figures/reductions/green_certificates_mwh"),
            own_renewable_mwh=_decimal(red["own_renewable_mwh"], "figures/reductions/own_renewable_mwh"),
            sinks_tco2=_decimal(red["sinks_tco2"], "figures/reductions/sinks_tco2"),
            own_renewable_certified_mwh=_decimal(
                red["own_renewable_certified_mwh"], "figures/reductions/own_renewable_certified_mwh"
            ),
        ),
        factor_set_version=str(fig["factor_set_version"]),
        reported_intensity=None if reported is None else _decimal(reported, "figures/reported_intensity"),
    )
    answers = {
        str(qid): Answer(str(a["value"]), tuple(str(e) for e in a.get("evidence", ())))
        for qid, a in document.get("answers", {}).items()
    }
    bench = document["benchmark"]
    benchmark = Benchmark(
        version=str(bench["version"]),
        industry_code=str(bench["industry_code"]),
        region_scope=str(bench["region_scope"]),
        year=int(bench["year"]),
        intensity=_decimal(bench["intensity"], "benchmark/intensity"),
        sample_size=int(bench["sample_size"]),
        method=str(bench["method"]),
    )
    inputs = EvaluationInput(
        enterprise_id=str(document["enterprise_id"]),
        industry_code=str(document["industry_code"]),
        region_code=str(document["region_code"]),
        period=Period.parse(str(document["period"])),
        figures=figures,
        answers=answers,
    )
    rule_set = document["rule_set"]
    return StoredInputs(inputs, benchmark, str(rule_set["version"]), str(rule_set["digest"]))
