"""JSON documents of the service: stored results, computation steps and the answers pages read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from carbonid_evaluation.domain.canonical import decimal_text
from carbonid_evaluation.domain.evaluation import ComputationStep, EvaluationResult, Neutralisation
from carbonid_evaluation.domain.questionnaire import Label, Questionnaire
from carbonid_evaluation.domain.rule_set import RuleSet


def json_safe(value: Any) -> Any:
    """Decimals as normalised strings, recursively (the canonical hash of the result is unchanged)."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def json_object(value: Mapping[str, Any]) -> dict[str, Any]:
    """``json_safe`` of a mapping."""
    out: dict[str, Any] = json_safe(value)
    return out


def label(value: Label) -> dict[str, str]:
    return {"zh": value.zh, "en": value.en}


def step_document(step: ComputationStep, order: int) -> dict[str, Any]:
    return {
        "order": order,
        "name": step.name,
        "formula": step.formula,
        "inputs": dict(step.inputs),
        "result": step.result,
        "unit": step.unit,
        "label": label(step.label),
    }


def steps_document(steps: Sequence[ComputationStep]) -> list[dict[str, Any]]:
    return [step_document(s, i) for i, s in enumerate(steps, start=1)]


def result_document(result: EvaluationResult) -> dict[str, Any]:
    """Everything a page, the event and a later recomputation need of a result (decimals as strings)."""
    q = result.questionnaire
    b = result.benchmark
    return json_object(
        {
            "rule_set_version": result.rule_set_version,
            "rule_set_digest": result.rule_set_digest,
            "benchmark": {
                "version": b.version,
                "industry_code": b.industry_code,
                "region_scope": b.region_scope,
                "year": b.year,
                "intensity_tco2_per_10k_cny": b.intensity,
                "sample_size": b.sample_size,
                "method": b.method,
            },
            "gross_emissions_tco2": result.gross_emissions_tco2,
            "neutralisation_tco2": result.neutralisation_tco2,
            "net_emissions_tco2": result.net_emissions_tco2,
            "intensity_tco2_per_10k_cny": result.intensity,
            "level": result.level.value,
            "level_label": label(result.level_label),
            "benchmark_intensity_tco2_per_10k_cny": result.benchmark_intensity,
            "efficiency_value_k": result.efficiency_value_k,
            "grade": result.grade,
            "grade_colour": result.grade_colour,
            "grade_label": label(result.grade_label),
            "grade_short_label": label(result.grade_short_label),
            "neutralisation_rate": result.neutralisation_rate,
            "questionnaire": {
                "version": q.questionnaire_version,
                "score": q.score,
                "max_score": q.max_score,
                "answers": [
                    {"question_id": a.question_id, "value": a.value, "score": a.score, "evidence": list(a.evidence)}
                    for a in q.answers
                ],
            },
            "certificate_validity_months": result.certificate_validity_months,
            "warnings": [label(w) for w in result.warnings],
            "input_hash": result.input_hash,
        }
    )


def neutralisation_document(
    neutral: Neutralisation, rule_set: RuleSet, *, gross: Decimal, reported_tco2: Decimal
) -> dict[str, Any]:
    """Step 2 (碳中和计算) as the page shows it: each component, the total, net emissions and the rate."""
    places = Decimal(1).scaleb(-rule_set.rounding.emissions_places)
    rate_places = Decimal(1).scaleb(-rule_set.rounding.rate_places)

    def amount(value: Decimal) -> Decimal:
        return value.quantize(places, rounding="ROUND_HALF_UP")

    return json_object(
        {
            "components": {
                "ccer_tco2": amount(neutral.ccer_tco2),
                "green_certificates_tco2": amount(neutral.green_certificates_tco2),
                "own_renewable_tco2": amount(neutral.own_renewable_tco2),
                "sinks_tco2": amount(neutral.sinks_tco2),
            },
            "counted_components": list(rule_set.neutralisation.components),
            "gross_emissions_tco2": gross,
            "neutralisation_tco2": amount(neutral.neutralisation_tco2),
            "net_emissions_tco2": amount(neutral.net_emissions_tco2),
            "neutralisation_rate": neutral.rate.quantize(rate_places, rounding="ROUND_FLOOR"),
            "reported_by_calculation_tco2": reported_tco2,
        }
    )


def questionnaire_document(rule_set: RuleSet) -> dict[str, Any]:
    questionnaire: Questionnaire = rule_set.questionnaire
    return json_object(
        {
            "rule_set_version": rule_set.key,
            "version": questionnaire.version,
            "max_score": questionnaire.max_score,
            "questions": [
                {
                    "id": q.id,
                    "text": label(q.text),
                    "kind": q.kind.value,
                    "required": q.required,
                    "reference": q.reference,
                    "evidence_hint": label(q.evidence_hint) if q.evidence_hint else None,
                    "options": [
                        {
                            "value": o.value,
                            "label": label(o.label),
                            "score": o.score,
                            "evidence_required": o.evidence_required,
                        }
                        for o in q.options
                    ],
                }
                for q in questionnaire.questions
            ],
        }
    )
