"""The evaluation: worked example, grade and level boundaries, neutralisation, refusals, recomputation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal

import pytest
from evaluation_builders import ALL_NO, RULE_SET, benchmark, evaluation_input, figures
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonid_evaluation.domain.canonical import sha256_hex
from carbonid_evaluation.domain.errors import (
    BenchmarkSampleTooSmallError,
    EvaluationRefusedError,
    InvalidFiguresError,
    NoBenchmarkError,
    QuestionnaireInvalidError,
    ZeroAddedValueError,
    ZeroBenchmarkIntensityError,
)
from carbonid_evaluation.domain.evaluation import EvaluationInput, EvaluationResult, Reductions, evaluate
from carbonid_evaluation.domain.questionnaire import Answer
from carbonid_evaluation.domain.rule_set import CarbonLevel


def _evaluate_ratio(gross: str, added_value: str = "1", benchmark_intensity: str = "1") -> EvaluationResult:
    return evaluate(evaluation_input(figures(gross, added_value)), RULE_SET, [benchmark(benchmark_intensity)])


def test_worked_example() -> None:
    reductions = Reductions(
        ccer_tco2=Decimal(200),
        green_certificates_mwh=Decimal(500),
        own_renewable_mwh=Decimal(1000),
        sinks_tco2=Decimal(100),
    )
    result = evaluate(evaluation_input(figures("10000", "5000", reductions=reductions)), RULE_SET, [benchmark("1.5")])
    # numerator = 10000 − 1000 × 0.5366 − 100 = 9363.4; L = 9363.4 / 5000 = 1.87268
    assert result.exact.intensity == Decimal("1.87268")
    assert result.intensity == Decimal("1.8727")
    assert result.level is CarbonLevel.MEDIUM
    assert result.level_label.zh == "中碳"
    # K = 9363.4 / (5000 × 1.5) = 1.248453333…  → grade 4, shown ceiling-rounded
    assert result.exact.efficiency_value_k.quantize(Decimal("1e-9")) == Decimal("1.248453333")
    assert result.efficiency_value_k == Decimal("1.2485")
    assert (result.grade, result.grade_colour, result.grade_short_label.zh) == (4, "#E16F24", "4级")
    # neutralisation = 200 + 500 × 0.5366 + 1000 × 0.5366 + 100 = 1104.9; rate 0.11049 floors to 0.1104
    assert result.neutralisation_tco2 == Decimal("1104.9000")
    assert result.net_emissions_tco2 == Decimal("8895.1000")
    assert result.neutralisation_rate == Decimal("0.1104")
    assert result.rule_set_version == "zhejiang-2022/v1"
    assert result.benchmark_version == "bm-2025.1"
    assert result.benchmark_intensity == Decimal("1.5")
    assert result.certificate_validity_months == 12
    assert result.questionnaire.score == 0
    assert result.questionnaire.max_score == 100
    assert result.warnings == ()
    assert len(result.input_hash) == 64
    assert result.input_hash == sha256_hex(result.input_document)


def test_steps_are_recorded_in_page_order_with_labels() -> None:
    result = _evaluate_ratio("0.7")
    assert [s.name for s in result.steps] == [
        "questionnaire_score",
        "neutralisation",
        "net_emissions",
        "intensity",
        "level",
        "benchmark",
        "efficiency_value",
        "neutralisation_rate",
        "grade",
    ]
    for s in result.steps:
        assert s.formula
        assert s.label.zh
        assert s.label.en
        assert s.result
        assert all(isinstance(v, str) for v in s.inputs.values())
    by_name = {s.name: s for s in result.steps}
    assert by_name["efficiency_value"].result == "0.7"
    assert by_name["grade"].result == "2"
    assert by_name["benchmark"].inputs["region_scope"] == "330000"


@pytest.mark.parametrize(
    ("k", "grade"),
    [
        ("0", 1),
        ("0.6", 1),
        ("0.6000001", 2),
        ("0.8", 2),
        ("0.8000001", 3),
        ("1.2", 3),
        ("1.2000001", 4),
        ("2.0", 4),
        ("2", 4),
        ("2.0000001", 5),
        ("1000", 5),
    ],
)
def test_grade_bands_upper_bounds_inclusive(k: str, grade: int) -> None:
    result = _evaluate_ratio(k)
    assert result.exact.efficiency_value_k == Decimal(k)
    assert result.grade == grade
    assert result.grade_colour == RULE_SET.band_for_grade(grade).colour


def test_grade_boundary_reached_through_division() -> None:
    # 3 / (5 × 1) = 0.6 exactly, 3.0000001 / 5 just above
    assert _evaluate_ratio("3", "5").grade == 1
    assert _evaluate_ratio("3.0000001", "5").grade == 2
    # L = 0.9, L_industry = 1.5 → K = 0.6 exactly
    assert _evaluate_ratio("0.9", "1", "1.5").grade == 1


@pytest.mark.parametrize(
    ("intensity", "level"),
    [
        ("0.6", CarbonLevel.LOW),
        ("0.6000001", CarbonLevel.MEDIUM),
        ("2.0", CarbonLevel.MEDIUM),
        ("2.0000001", CarbonLevel.HIGH),
        ("0", CarbonLevel.LOW),
    ],
)
def test_level_bands_upper_bounds_inclusive(intensity: str, level: CarbonLevel) -> None:
    assert _evaluate_ratio(intensity, "1", "3").level is level


def test_shown_k_never_contradicts_the_grade() -> None:
    result = _evaluate_ratio("0.60000001")
    assert result.grade == 2
    assert result.efficiency_value_k == Decimal("0.6001")


@settings(max_examples=200, deadline=None)
@given(
    k=st.decimals(min_value=Decimal(0), max_value=Decimal(5), places=8),
    intensity=st.decimals(min_value=Decimal(0), max_value=Decimal(5), places=8),
)
def test_shown_figures_fall_in_the_same_band_as_the_exact_ones(k: Decimal, intensity: Decimal) -> None:
    result = _evaluate_ratio(str(k))
    assert RULE_SET.grade_band(result.efficiency_value_k).grade == result.grade
    by_l = _evaluate_ratio(str(intensity), "1", "7")
    assert RULE_SET.level_band(by_l.intensity).level is by_l.level


positive = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**7), places=3)
non_negative = st.decimals(min_value=Decimal(0), max_value=Decimal(10**6), places=3)


@settings(max_examples=200, deadline=None)
@given(
    gross=non_negative,
    extra=positive,
    added_value=positive,
    benchmark_intensity=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10), places=4),
    own_mwh=non_negative,
    sinks=non_negative,
)
def test_grade_and_level_never_improve_when_emissions_rise(
    gross: Decimal, extra: Decimal, added_value: Decimal, benchmark_intensity: Decimal, own_mwh: Decimal, sinks: Decimal
) -> None:
    reductions = Reductions(own_renewable_mwh=own_mwh, sinks_tco2=sinks)
    bench = [benchmark(str(benchmark_intensity))]
    before = evaluate(evaluation_input(figures(str(gross), str(added_value), reductions=reductions)), RULE_SET, bench)
    after = evaluate(
        evaluation_input(figures(str(gross + extra), str(added_value), reductions=reductions)), RULE_SET, bench
    )
    assert after.grade >= before.grade
    levels = list(CarbonLevel)
    assert levels.index(after.level) >= levels.index(before.level)
    assert after.exact.efficiency_value_k >= before.exact.efficiency_value_k


@settings(max_examples=200, deadline=None)
@given(
    gross=non_negative,
    ccer=non_negative,
    green=non_negative,
    own=non_negative,
    sinks=non_negative,
    factor=st.decimals(min_value=Decimal(0), max_value=Decimal(2), places=4),
    certified_share=st.decimals(min_value=Decimal(0), max_value=Decimal(1), places=2),
)
def test_neutralisation_rate_stays_between_zero_and_the_cap(
    gross: Decimal,
    ccer: Decimal,
    green: Decimal,
    own: Decimal,
    sinks: Decimal,
    factor: Decimal,
    certified_share: Decimal,
) -> None:
    certified = (min(green, own) * certified_share).quantize(Decimal("0.001"))
    reductions = Reductions(ccer, green, own, sinks, certified)
    result = evaluate(
        evaluation_input(figures(str(gross), "100", factor=str(factor), reductions=reductions)), RULE_SET, [benchmark()]
    )
    assert Decimal(0) <= result.neutralisation_rate <= RULE_SET.neutralisation.cap
    assert Decimal(0) <= result.exact.neutralisation_rate <= RULE_SET.neutralisation.cap
    assert result.net_emissions_tco2 >= 0
    # each offset counted once: the sum of the parts, own generation already certified only in the certificate term
    assert result.exact.neutralisation_tco2 == ccer + green * factor + (own - certified) * factor + sinks


def test_neutralisation_is_capped_at_one_hundred_percent() -> None:
    reductions = Reductions(ccer_tco2=Decimal(5000), sinks_tco2=Decimal(6000))
    result = evaluate(evaluation_input(figures("10000", reductions=reductions)), RULE_SET, [benchmark()])
    assert result.neutralisation_rate == Decimal(1)
    assert result.net_emissions_tco2 == 0


def test_certified_own_generation_is_not_counted_twice() -> None:
    both = Reductions(
        green_certificates_mwh=Decimal(100), own_renewable_mwh=Decimal(100), own_renewable_certified_mwh=Decimal(100)
    )
    result = evaluate(evaluation_input(figures("1000", factor="0.5", reductions=both)), RULE_SET, [benchmark()])
    assert result.exact.neutralisation_tco2 == Decimal(50)
    assert result.neutralisation_rate == Decimal("0.05")


def test_certified_generation_cannot_exceed_its_parts() -> None:
    bad = Reductions(
        green_certificates_mwh=Decimal(10), own_renewable_mwh=Decimal(100), own_renewable_certified_mwh=Decimal(11)
    )
    with pytest.raises(InvalidFiguresError) as caught:
        evaluate(evaluation_input(figures(reductions=bad)), RULE_SET, [benchmark()])
    assert [p.field for p in caught.value.problems] == ["figures/reductions/own_renewable_certified_mwh"]


def test_zero_gross_emissions_give_rate_zero_with_a_warning() -> None:
    result = _evaluate_ratio("0")
    assert result.neutralisation_rate == 0
    assert result.grade == 1
    assert any("zero" in w.en for w in result.warnings)


def test_intensity_never_negative_when_sinks_exceed_emissions() -> None:
    reductions = Reductions(sinks_tco2=Decimal(20000))
    result = evaluate(evaluation_input(figures("10000", reductions=reductions)), RULE_SET, [benchmark()])
    assert result.intensity == 0
    assert result.efficiency_value_k == 0
    assert result.grade == 1


def test_the_calculations_intensity_is_the_one_graded() -> None:
    """L comes from the confirmed calculation (energy CO2 only, DOMAIN §2), not from gross emissions here."""
    # gross 10000 t over 5000: 2.0 from gross; the calculation states 1.5 (its process CO2 is not in L)
    stated = evaluate(evaluation_input(figures("10000", "5000", reported_intensity="1.5")), RULE_SET, [benchmark("3")])
    assert stated.intensity == Decimal("1.5000")
    assert stated.efficiency_value_k == Decimal("0.5000")
    assert stated.grade == 1
    assert stated.warnings == ()
    # without a stated L (an old input document) it is recomputed from the parts
    legacy = evaluate(evaluation_input(figures("10000", "5000")), RULE_SET, [benchmark("3")])
    assert legacy.intensity == Decimal("2.0000")


def test_recomputation_gives_an_equal_result_and_hash() -> None:
    reductions = Reductions(ccer_tco2=Decimal("12.5"), own_renewable_mwh=Decimal("300"))
    first = evaluate(evaluation_input(figures("4321.09", "987.6", reductions=reductions)), RULE_SET, [benchmark("3")])
    again = evaluate(evaluation_input(figures("4321.09", "987.6", reductions=reductions)), RULE_SET, [benchmark("3")])
    assert again == first
    # equal quantities written differently are the same input
    padded = evaluate(
        evaluation_input(figures("4321.0900", "987.60", reductions=reductions)), RULE_SET, [benchmark("3.0")]
    )
    assert padded.input_hash == first.input_hash
    # the benchmark set may hold more entries than the one used: the hash covers the one used
    wider = evaluate(
        evaluation_input(figures("4321.09", "987.6", reductions=reductions)),
        RULE_SET,
        [benchmark("3"), benchmark("9", industry="2615"), benchmark("9", year=2024)],
    )
    assert wider.input_hash == first.input_hash


@pytest.mark.parametrize(
    "change",
    [
        lambda i: dataclasses.replace(i, figures=figures("4321.1", "987.6")),
        lambda i: dataclasses.replace(i, figures=figures("4321.09", "987.7")),
        lambda i: dataclasses.replace(i, figures=figures("4321.09", "987.6", factor="0.5")),
        lambda i: dataclasses.replace(i, region_code="330503"),
        lambda i: dataclasses.replace(i, period=i.period.previous()),
        lambda i: dataclasses.replace(i, enterprise_id="ent-2"),
        lambda i: dataclasses.replace(i, answers={**ALL_NO, "energy_online_monitoring": Answer("yes")}),
    ],
)
def test_hash_changes_with_any_input(change: Callable[[EvaluationInput], EvaluationInput]) -> None:
    base = evaluation_input(figures("4321.09", "987.6"), period="2025Q3")
    changed = change(base)
    bench = [benchmark("3"), benchmark("3", year=2025)]
    assert evaluate(changed, RULE_SET, bench).input_hash != evaluate(base, RULE_SET, bench).input_hash


def test_hash_changes_with_rule_set_and_benchmark_version() -> None:
    base = evaluate(evaluation_input(), RULE_SET, [benchmark()])
    assert evaluate(evaluation_input(), RULE_SET, [benchmark(version="bm-2025.2")]).input_hash != base.input_hash
    other_rules = dataclasses.replace(RULE_SET, version="v2")
    assert evaluate(evaluation_input(), other_rules, [benchmark()]).input_hash != base.input_hash


def test_refusal_without_benchmark() -> None:
    with pytest.raises(NoBenchmarkError) as caught:
        evaluate(evaluation_input(industry="3011"), RULE_SET, [benchmark()])
    assert isinstance(caught.value, EvaluationRefusedError)
    assert caught.value.code == "no-benchmark"
    assert "3011" in caught.value.message_zh


def test_refusal_when_benchmark_sample_is_below_the_minimum() -> None:
    with pytest.raises(BenchmarkSampleTooSmallError) as caught:
        evaluate(evaluation_input(), RULE_SET, [benchmark(sample=4)])
    assert caught.value.code == "benchmark-sample-too-small"
    assert "样本量" in caught.value.message_zh
    assert evaluate(evaluation_input(), RULE_SET, [benchmark(sample=5)]).benchmark.sample_size == 5


@pytest.mark.parametrize("added_value", ["0", "-1", "0.000"])
def test_refusal_on_zero_added_value(added_value: str) -> None:
    with pytest.raises(ZeroAddedValueError) as caught:
        evaluate(evaluation_input(figures(added_value=added_value)), RULE_SET, [benchmark()])
    assert "增加值" in caught.value.message_zh
    assert "added value" in caught.value.message_en
    assert caught.value.problems[0].field == "figures/added_value_10k_cny"


def test_refusal_on_zero_benchmark_intensity() -> None:
    with pytest.raises(ZeroBenchmarkIntensityError) as caught:
        evaluate(evaluation_input(), RULE_SET, [benchmark("0")])
    assert "基准" in caught.value.message_zh
    assert "benchmark" in caught.value.message_en


def test_refusal_on_negative_figures() -> None:
    with pytest.raises(InvalidFiguresError) as caught:
        evaluate(
            evaluation_input(figures("-1", reductions=Reductions(sinks_tco2=Decimal(-2)))), RULE_SET, [benchmark()]
        )
    assert [p.field for p in caught.value.problems] == ["figures/total_emissions_tco2", "figures/reductions/sinks_tco2"]


def test_questionnaire_is_scored_and_evidence_enforced() -> None:
    answers = {
        **ALL_NO,
        "energy_management_system": Answer("yes", ("file-1",)),
        "green_factory": Answer("provincial", ("f2",)),
    }
    result = evaluate(evaluation_input(answers=answers), RULE_SET, [benchmark()])
    assert result.questionnaire.score == Decimal(25)
    missing = {**ALL_NO, "energy_management_system": Answer("yes")}
    with pytest.raises(QuestionnaireInvalidError) as caught:
        evaluate(evaluation_input(answers=missing), RULE_SET, [benchmark()])
    assert [p.field for p in caught.value.problems] == ["answers/energy_management_system/evidence"]


def test_questionnaire_refuses_unknown_unanswered_and_invalid() -> None:
    answers = {k: v for k, v in ALL_NO.items() if k != "energy_audit"}
    answers["nonsense"] = Answer("yes")
    answers["green_factory"] = Answer("galactic")
    with pytest.raises(QuestionnaireInvalidError) as caught:
        evaluate(evaluation_input(answers=answers), RULE_SET, [benchmark()])
    assert [p.field for p in caught.value.problems] == [
        "answers/nonsense",
        "answers/energy_audit",
        "answers/green_factory",
    ]
