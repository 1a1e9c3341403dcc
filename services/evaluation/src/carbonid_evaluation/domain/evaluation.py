"""Carbon-efficiency evaluation (碳效评价) of one enterprise and period (DOMAIN §2).

Formulas (all quantities ``Decimal``; units in the names):
- own-renewable avoided CO2 = own renewable MWh × grid factor (t CO2/MWh)
- intensity numerator = max(0, gross − own-renewable avoided − sinks)          [t CO2]
- L = numerator ÷ added value                                                  [t CO2 / 10^4 CNY]
- K = numerator ÷ (added value × L_industry)   (one division, so K is exactly L ÷ L_industry to 34 digits)
- neutralisation = CCER + green certificates × grid factor
                   + (own renewable − own renewable already certified) × grid factor + sinks   [t CO2]
  (each component only if the rule set lists it; own generation whose green certificates are held is counted
  once, in the certificate term); net = max(0, gross − neutralisation)
- neutralisation rate = min(cap, neutralisation ÷ gross); 0 when gross is 0 (nothing to neutralise)

Arithmetic runs in a local decimal context of 34 significant digits (IEEE decimal128), ROUND_HALF_EVEN,
trapping invalid operations and division by zero. **Grade and level are decided on these unrounded values.**
Displayed figures are then quantised to the rule set's places with fixed modes:
- L and K: ROUND_CEILING. Because band bounds have no more places than the display (validated in the rule
  set), a displayed value ≤ bound exactly when the unrounded value is: the page never shows K = 0.6000
  next to grade 2.
- neutralisation rate: ROUND_FLOOR (never overstated; 0.99999 is not shown as 100 %).
- emissions and neutralisation amounts: ROUND_HALF_UP (四舍五入).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Any

from carbonid_contracts.codes.period import Period
from carbonid_evaluation.domain.benchmark import Benchmark, BenchmarkSelection, select_benchmark
from carbonid_evaluation.domain.canonical import decimal_text, sha256_hex
from carbonid_evaluation.domain.errors import (
    FieldProblem,
    InvalidFiguresError,
    ZeroAddedValueError,
    ZeroBenchmarkIntensityError,
)
from carbonid_evaluation.domain.questionnaire import Answer, Label, QuestionnaireScore, score_questionnaire
from carbonid_evaluation.domain.rule_set import CarbonLevel, RuleSet

INPUT_SCHEMA = "carbonid.evaluation-input/1"
ARITHMETIC = Context(prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Reductions:
    """Offsets and reductions reported with the calculation (1 CCER = 1 t CO2e, 1 green certificate = 1 MWh)."""

    ccer_tco2: Decimal = ZERO
    green_certificates_mwh: Decimal = ZERO
    own_renewable_mwh: Decimal = ZERO
    sinks_tco2: Decimal = ZERO
    own_renewable_certified_mwh: Decimal = ZERO
    """Own generation whose green certificates are among ``green_certificates_mwh`` (counted only there)."""


@dataclass(frozen=True, slots=True)
class CalculationFigures:
    """The figures of a confirmed emission calculation that an evaluation needs."""

    calculation_id: str
    total_emissions_tco2: Decimal
    """Gross emissions: combustion + process + purchased − exported (GB/T 32150)."""
    added_value_10k_cny: Decimal
    grid_factor_tco2_per_mwh: Decimal
    grid_factor_source: str
    """Which grid factor series and year the calculation used, e.g. ``national-average/2023``."""
    reductions: Reductions = Reductions()
    factor_set_version: str = ""
    reported_intensity: Decimal | None = None
    """L as the calculation reported it; only cross-checked (L is always recomputed from the parts)."""


@dataclass(frozen=True, slots=True)
class EvaluationInput:
    enterprise_id: str
    industry_code: str
    """GB/T 4754-2017 code of the enterprise (class, group, division or section)."""
    region_code: str
    """Finest GB/T 2260 code known for the enterprise."""
    period: Period
    figures: CalculationFigures
    answers: Mapping[str, Answer] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ComputationStep:
    """One recorded step, in the order a page shows the computation."""

    name: str
    formula: str
    inputs: Mapping[str, str]
    result: str
    unit: str
    label: Label


@dataclass(frozen=True, slots=True)
class ExactFigures:
    """Unrounded values (34 significant digits): what grade and level were decided on."""

    intensity: Decimal
    efficiency_value_k: Decimal
    neutralisation_rate: Decimal
    neutralisation_tco2: Decimal
    net_emissions_tco2: Decimal


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    rule_set_version: str
    """``<id>/<version>`` of the rule set."""
    rule_set_digest: str
    benchmark: Benchmark
    benchmark_version: str
    gross_emissions_tco2: Decimal
    neutralisation_tco2: Decimal
    net_emissions_tco2: Decimal
    intensity: Decimal
    """L, t CO2 / 10^4 CNY, ROUND_CEILING to ``rounding.intensity_places``."""
    level: CarbonLevel
    level_label: Label
    benchmark_intensity: Decimal
    efficiency_value_k: Decimal
    """K, ROUND_CEILING to ``rounding.k_places``."""
    grade: int
    grade_colour: str
    grade_label: Label
    grade_short_label: Label
    neutralisation_rate: Decimal
    """Fraction 0..cap, ROUND_FLOOR to ``rounding.rate_places`` (0.1234 = 12.34 %)."""
    questionnaire: QuestionnaireScore
    certificate_validity_months: int
    steps: tuple[ComputationStep, ...]
    warnings: tuple[Label, ...]
    exact: ExactFigures
    input_document: Mapping[str, Any]
    """The canonical input document the hash is computed over (store it to recompute later)."""
    input_hash: str
    """sha256 hex of the canonical JSON of ``input_document``."""


def _text(value: Decimal) -> str:
    return decimal_text(value)


def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def _check_figures(figures: CalculationFigures) -> None:
    red = figures.reductions
    named = {
        "figures/total_emissions_tco2": figures.total_emissions_tco2,
        "figures/grid_factor_tco2_per_mwh": figures.grid_factor_tco2_per_mwh,
        "figures/reductions/ccer_tco2": red.ccer_tco2,
        "figures/reductions/green_certificates_mwh": red.green_certificates_mwh,
        "figures/reductions/own_renewable_mwh": red.own_renewable_mwh,
        "figures/reductions/sinks_tco2": red.sinks_tco2,
        "figures/reductions/own_renewable_certified_mwh": red.own_renewable_certified_mwh,
    }
    problems = [
        FieldProblem(path, "应为非负有限数", "must be a finite number ≥ 0")
        for path, value in named.items()
        if not value.is_finite() or value < 0
    ]
    if red.own_renewable_certified_mwh > min(red.own_renewable_mwh, red.green_certificates_mwh):
        problems.append(
            FieldProblem(
                "figures/reductions/own_renewable_certified_mwh",
                "已核发绿证的自发电量不能超过自发电量或绿证数量",
                "certified own generation cannot exceed own generation or green certificates",
            )
        )
    if problems:
        raise InvalidFiguresError("碳排放计算数据无效", "the calculation figures are invalid", problems)
    if not figures.added_value_10k_cny.is_finite() or figures.added_value_10k_cny <= 0:
        raise ZeroAddedValueError(
            "工业增加值为零或负数，无法计算碳强度",
            "industrial added value is zero or negative: carbon intensity cannot be computed",
            [FieldProblem("figures/added_value_10k_cny", "应大于 0", "must be greater than 0")],
        )


@dataclass(frozen=True, slots=True)
class Neutralisation:
    """Carbon neutralisation (碳中和) of a calculation under a rule set: unrounded, 34 significant digits."""

    ccer_tco2: Decimal
    green_certificates_tco2: Decimal
    """Green certificates × grid factor (own generation already certified is counted here, once)."""
    own_renewable_tco2: Decimal
    """(Own renewable − own renewable already certified) × grid factor."""
    sinks_tco2: Decimal
    neutralisation_tco2: Decimal
    net_emissions_tco2: Decimal
    rate: Decimal
    """min(cap, neutralisation ÷ gross); 0 when gross is 0."""


def neutralisation_of(figures: CalculationFigures, rule_set: RuleSet) -> Neutralisation:
    """The neutralised amount, net emissions and rate (DOMAIN §2), each offset counted once.

    Only the components the rule set lists count. This is the figure step 2 of an evaluation shows and the one
    ``evaluate`` uses, so the page and the result always agree.
    """
    red = figures.reductions
    components = set(rule_set.neutralisation.components)
    with localcontext(ARITHMETIC):
        factor = figures.grid_factor_tco2_per_mwh
        certified = red.own_renewable_certified_mwh if "green_certificates" in components else ZERO
        ccer = red.ccer_tco2 if "ccer" in components else ZERO
        green = red.green_certificates_mwh * factor if "green_certificates" in components else ZERO
        own_counted = (red.own_renewable_mwh - certified) * factor if "own_renewable" in components else ZERO
        sinks = red.sinks_tco2 if "sinks" in components else ZERO
        neutralisation = ccer + green + own_counted + sinks
        gross = figures.total_emissions_tco2
        net = max(ZERO, gross - neutralisation)
        rate = min(rule_set.neutralisation.cap, neutralisation / gross) if gross > 0 else ZERO
    return Neutralisation(ccer, green, own_counted, sinks, neutralisation, net, rate)


def evaluation_input_document(inputs: EvaluationInput, rule_set: RuleSet, benchmark: Benchmark) -> dict[str, Any]:
    """The canonical inputs of an evaluation: everything that determines its result, nothing else."""
    fig = inputs.figures
    red = fig.reductions
    return {
        "schema": INPUT_SCHEMA,
        "enterprise_id": inputs.enterprise_id,
        "industry_code": inputs.industry_code,
        "region_code": inputs.region_code,
        "period": inputs.period.code,
        "figures": {
            "calculation_id": fig.calculation_id,
            "total_emissions_tco2": fig.total_emissions_tco2,
            "added_value_10k_cny": fig.added_value_10k_cny,
            "grid_factor_tco2_per_mwh": fig.grid_factor_tco2_per_mwh,
            "grid_factor_source": fig.grid_factor_source,
            "factor_set_version": fig.factor_set_version,
            "reported_intensity": fig.reported_intensity,
            "reductions": {
                "ccer_tco2": red.ccer_tco2,
                "green_certificates_mwh": red.green_certificates_mwh,
                "own_renewable_mwh": red.own_renewable_mwh,
                "sinks_tco2": red.sinks_tco2,
                "own_renewable_certified_mwh": red.own_renewable_certified_mwh,
            },
        },
        "answers": {
            qid: {"value": answer.value, "evidence": sorted(answer.evidence)}
            for qid, answer in sorted(inputs.answers.items())
        },
        "rule_set": {"version": rule_set.key, "digest": rule_set.digest},
        "benchmark": {
            "version": benchmark.version,
            "industry_code": benchmark.industry_code,
            "region_scope": benchmark.region_scope,
            "year": benchmark.year,
            "intensity": benchmark.intensity,
            "sample_size": benchmark.sample_size,
            "method": benchmark.method,
        },
    }


def evaluate(inputs: EvaluationInput, rule_set: RuleSet, benchmarks: Iterable[Benchmark]) -> EvaluationResult:
    """Evaluate one enterprise and period against a rule set and the published benchmark entries.

    ``benchmarks`` may be the whole published set or a single entry; the most specific applicable one with a
    large enough sample is used (``benchmark.select_benchmark``). Refusals (``EvaluationRefusedError``
    subclasses, bilingual): ``NoBenchmarkError``, ``BenchmarkSampleTooSmallError``,
    ``ZeroBenchmarkIntensityError``, ``ZeroAddedValueError``, ``InvalidFiguresError``,
    ``QuestionnaireInvalidError``. The same inputs always give an equal result and hash.
    """
    fig = inputs.figures
    red = fig.reductions
    _check_figures(fig)
    questionnaire = score_questionnaire(rule_set.questionnaire, inputs.answers)
    selection = select_benchmark(
        benchmarks,
        industry_code=inputs.industry_code,
        region_code=inputs.region_code,
        year=inputs.period.year,
        minimum_sample_size=rule_set.benchmark.minimum_sample_size,
        national_scope=rule_set.benchmark.national_scope,
    )
    bench = selection.benchmark
    if bench.intensity <= 0:
        raise ZeroBenchmarkIntensityError(
            f"行业基准碳强度为零（{bench.industry_code}，{bench.region_scope}，{bench.year}），无法计算碳效值",
            f"the benchmark intensity is zero ({bench.industry_code}, {bench.region_scope}, {bench.year}): "
            "K cannot be computed",
        )
    rounding = rule_set.rounding
    steps: list[ComputationStep] = []

    def step(
        name: str, formula: str, values: Mapping[str, Decimal | str], result: str, *, unit: str, label: Label
    ) -> None:
        shown = {k: v if isinstance(v, str) else _text(v) for k, v in values.items()}
        steps.append(ComputationStep(name, formula, shown, result, unit, label))

    step(
        "questionnaire_score",
        "Σ score(answer)",
        {"questions_answered": str(len(questionnaire.answers)), "max_score": questionnaire.max_score},
        _text(questionnaire.score),
        unit="points",
        label=Label("碳表现问卷得分", "carbon-performance questionnaire score"),
    )

    neutral = neutralisation_of(fig, rule_set)
    factor = fig.grid_factor_tco2_per_mwh
    gross = fig.total_emissions_tco2
    neutralisation, net, rate = neutral.neutralisation_tco2, neutral.net_emissions_tco2, neutral.rate
    with localcontext(ARITHMETIC):
        avoided = red.own_renewable_mwh * factor
        if fig.reported_intensity is not None:
            # L is defined where the emissions are accounted: the calculator (DOMAIN §2: energy CO2 − own
            # zero-carbon generation − sinks, process CO2 excluded). The evaluation takes the confirmed L;
            # recomputing it from gross emissions here would count process CO2 the calculator leaves out.
            numerator = fig.reported_intensity * fig.added_value_10k_cny
        else:  # an input document from before the calculation's L was carried
            numerator = max(ZERO, gross - avoided - red.sinks_tco2)
        intensity = numerator / fig.added_value_10k_cny
        k_value = numerator / (fig.added_value_10k_cny * bench.intensity)

    def half_up(value: Decimal) -> Decimal:
        return value.quantize(_quantum(rounding.emissions_places), rounding=ROUND_HALF_UP)

    shown_intensity = intensity.quantize(_quantum(rounding.intensity_places), rounding=ROUND_CEILING)
    shown_k = k_value.quantize(_quantum(rounding.k_places), rounding=ROUND_CEILING)
    shown_rate = rate.quantize(_quantum(rounding.rate_places), rounding=ROUND_FLOOR)
    level_band = rule_set.level_band(intensity)
    grade_band = rule_set.grade_band(k_value)

    step(
        "neutralisation",
        "CCER + green_certificates × EF_grid + (own_renewable − own_renewable_certified) × EF_grid + sinks",
        {
            "ccer_tco2": red.ccer_tco2,
            "green_certificates_mwh": red.green_certificates_mwh,
            "own_renewable_mwh": red.own_renewable_mwh,
            "own_renewable_certified_mwh": red.own_renewable_certified_mwh,
            "sinks_tco2": red.sinks_tco2,
            "grid_factor_tco2_per_mwh": factor,
            "grid_factor_source": fig.grid_factor_source,
            "components": ",".join(rule_set.neutralisation.components),
        },
        _text(half_up(neutralisation)),
        unit="t CO2",
        label=Label("碳中和量", "neutralised emissions"),
    )
    step(
        "net_emissions",
        "max(0, gross − neutralisation)",
        {"gross_tco2": gross, "neutralisation_tco2": half_up(neutralisation)},
        _text(half_up(net)),
        unit="t CO2",
        label=Label("净排放量", "net emissions"),
    )
    step(
        "intensity",
        "L = (energy CO2 − own_renewable × EF_grid − sinks) ÷ added_value, as the confirmed calculation states it"
        if fig.reported_intensity is not None
        else "L = max(0, gross − own_renewable × EF_grid − sinks) ÷ added_value",
        {
            "calculation_intensity": fig.reported_intensity if fig.reported_intensity is not None else "",
            "gross_tco2": gross,
            "own_renewable_avoided_tco2": half_up(avoided),
            "sinks_tco2": red.sinks_tco2,
            "added_value_10k_cny": fig.added_value_10k_cny,
        },
        _text(shown_intensity),
        unit="t CO2 / 10^4 CNY",
        label=Label("碳强度", "carbon intensity"),
    )
    step(
        "level",
        "level = first band with L ≤ upper bound",
        {"intensity": shown_intensity, "bounds": ",".join(_text(b.l_max) for b in rule_set.level_bands if b.l_max)},
        level_band.level.value,
        unit="",
        label=Label(f"碳排放水平：{level_band.label.zh}", f"carbon level: {level_band.label.en}"),
    )
    step(
        "benchmark",
        "most specific industry, then region scope, for the period's year",
        {
            "benchmark_version": bench.version,
            "industry_code": bench.industry_code,
            "region_scope": bench.region_scope,
            "year": str(bench.year),
            "sample_size": str(bench.sample_size),
            "minimum_sample_size": str(rule_set.benchmark.minimum_sample_size),
        },
        _text(bench.intensity),
        unit="t CO2 / 10^4 CNY",
        label=Label("行业基准碳强度", "industry benchmark intensity"),
    )
    step(
        "efficiency_value",
        "K = L ÷ L_industry",
        {"intensity": shown_intensity, "benchmark_intensity": bench.intensity},
        _text(shown_k),
        unit="",
        label=Label("碳效值", "carbon-efficiency value K"),
    )
    step(
        "neutralisation_rate",
        "min(cap, neutralisation ÷ gross)",
        {"neutralisation_tco2": half_up(neutralisation), "gross_tco2": gross, "cap": rule_set.neutralisation.cap},
        _text(shown_rate),
        unit="fraction",
        label=Label("碳中和率", "carbon-neutralisation rate"),
    )
    step(
        "grade",
        "grade = first band with K ≤ upper bound (decided on unrounded K)",
        {"efficiency_value_k": shown_k, "bounds": ",".join(_text(b.k_max) for b in rule_set.grade_bands if b.k_max)},
        str(grade_band.grade),
        unit="",
        label=Label(f"碳效等级：{grade_band.label.zh}", f"carbon-efficiency grade: {grade_band.label.en}"),
    )

    warnings: list[Label] = []
    if gross == 0:
        warnings.append(Label("总排放量为零，碳中和率记为 0", "gross emissions are zero: the rate is reported as 0"))
    if selection.set_aside_small:
        warnings.append(
            Label(
                "更具体的行业基准因样本量不足未被采用",
                "more specific benchmarks were set aside because their samples were too small",
            )
        )

    document = evaluation_input_document(inputs, rule_set, bench)
    return EvaluationResult(
        rule_set_version=rule_set.key,
        rule_set_digest=rule_set.digest,
        benchmark=bench,
        benchmark_version=bench.version,
        gross_emissions_tco2=gross,
        neutralisation_tco2=half_up(neutralisation),
        net_emissions_tco2=half_up(net),
        intensity=shown_intensity,
        level=level_band.level,
        level_label=level_band.label,
        benchmark_intensity=bench.intensity,
        efficiency_value_k=shown_k,
        grade=grade_band.grade,
        grade_colour=grade_band.colour,
        grade_label=grade_band.label,
        grade_short_label=grade_band.short_label,
        neutralisation_rate=shown_rate,
        questionnaire=questionnaire,
        certificate_validity_months=rule_set.certificate_validity_months,
        steps=tuple(steps),
        warnings=tuple(warnings),
        exact=ExactFigures(intensity, k_value, rate, neutralisation, net),
        input_document=document,
        input_hash=sha256_hex(document),
    )


def selection_for(inputs: EvaluationInput, rule_set: RuleSet, benchmarks: Iterable[Benchmark]) -> BenchmarkSelection:
    """The benchmark an evaluation of ``inputs`` would use (for a page that shows it before evaluating)."""
    return select_benchmark(
        benchmarks,
        industry_code=inputs.industry_code,
        region_code=inputs.region_code,
        year=inputs.period.year,
        minimum_sample_size=rule_set.benchmark.minimum_sample_size,
        national_scope=rule_set.benchmark.national_scope,
    )
