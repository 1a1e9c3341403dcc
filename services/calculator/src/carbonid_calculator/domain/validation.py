"""Validation of a calculation input: every problem at once, each with a field path and a bilingual message.

A source outside the sub-industry's list is a **warning**, not an error: the manual lets the user add sources
by hand (新建指标), and an enterprise's real energy mix (a ceramics plant burning coke, a mill with a
CHP unit) legitimately differs from the industry template. Refusing would push users to misfile the fuel
under a listed source, which is worse than a visible warning kept with the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from carbonid_calculator.domain import plausibility as bound
from carbonid_calculator.domain.errors import (
    CalculatorDomainError,
    Severity,
    ValidationIssue,
)
from carbonid_calculator.domain.factors import EmissionFactorSet
from carbonid_calculator.domain.inputs import ActivityLine, CalculationInput, CalculationSettings
from carbonid_calculator.domain.plausibility import PlausibilityBounds
from carbonid_calculator.domain.sources import EmissionSource, FactorKind
from carbonid_calculator.domain.taxonomy import IndustryTaxonomy
from carbonid_calculator.domain.units import Quantity, Unit, convert, parse_unit

OWN_RENEWABLE_SOURCE = "electricity.own_renewable"
PURCHASED_ELECTRICITY_SOURCE = "electricity.purchased"


def _error(code: str, field: str, zh: str, en: str) -> ValidationIssue:
    return ValidationIssue(code, field, zh, en, Severity.ERROR)


def _warning(code: str, field: str, zh: str, en: str) -> ValidationIssue:
    return ValidationIssue(code, field, zh, en, Severity.WARNING)


def _amount(
    value: Decimal, field: str, subject: str, bounds: PlausibilityBounds, *, positive: bool = False
) -> Iterator[ValidationIssue]:
    """Non-negative (or positive), finite, and not above the plausible bound of ``subject``."""
    if not value.is_finite():
        yield _error("value.not_finite", field, "数值无效", "value is not a finite number")
        return
    if positive and value <= 0:
        yield _error("value.not_positive", field, "数值须大于零", "value must be greater than zero")
    elif value < 0:
        yield _error("value.negative", field, "数值不能为负", "value must not be negative")
    limit = bounds.maximum(subject)
    if limit is not None and value > limit.maximum:
        yield _error(
            "value.implausible",
            field,
            f"数值 {value} 超过合理上限 {limit.maximum} {limit.unit}，请检查单位",
            f"value {value} exceeds the plausible maximum {limit.maximum} {limit.unit}; check the unit",
        )


def validate_calculation_input(
    inputs: CalculationInput,
    *,
    taxonomy: IndustryTaxonomy,
    factor_set: EmissionFactorSet,
    settings: CalculationSettings,
    bounds: PlausibilityBounds,
    as_of: date,
) -> tuple[ValidationIssue, ...]:
    """All errors and warnings about ``inputs``; the calculation proceeds only when there is no error.

    ``as_of`` is today's date in the deployment's time zone (the domain never reads a clock).
    """
    issues: list[ValidationIssue] = []
    listed: tuple[str, ...] = ()
    try:
        listed = taxonomy.sub_industry(inputs.sub_industry_code).source_codes
    except CalculatorDomainError as exc:
        issues.append(_error("industry.unknown", "sub_industry_code", exc.message_zh, exc.message_en))
    issues += _period_issues(inputs, settings, as_of)
    issues += _amount(inputs.added_value_10k_cny, "added_value_10k_cny", bound.ADDED_VALUE, bounds, positive=True)
    seen: set[tuple[str, str]] = set()
    for index, line in enumerate(inputs.lines):
        field = f"lines[{index}]"
        key = (line.source_code, line.origin.value)
        if key in seen:
            issues.append(
                _error(
                    "line.duplicate",
                    field,
                    f"排放源 {line.source_code}（{line.origin.value}）重复填报，请合并为一行",
                    f"source {line.source_code} ({line.origin.value}) appears twice; merge into one line",
                )
            )
        seen.add(key)
        issues += _line_issues(
            line,
            field,
            taxonomy=taxonomy,
            factor_set=factor_set,
            bounds=bounds,
            listed=listed,
            industry=inputs.sub_industry_code,
        )
    issues += _reduction_issues(inputs, bounds)
    try:
        factor_set.grid_factor(inputs.period.year, settings.grid_policy)
    except CalculatorDomainError as exc:
        issues.append(_error("grid.factor_missing", "grid_policy", exc.message_zh, exc.message_en))
    return tuple(issues)


def _period_issues(inputs: CalculationInput, settings: CalculationSettings, as_of: date) -> Iterator[ValidationIssue]:
    period = inputs.period
    earliest = settings.earliest_period_start.isoformat()
    if period.start < settings.earliest_period_start:
        yield _error(
            "period.too_early",
            "period",
            f"周期 {period.code} 早于允许的最早日期 {earliest}",
            f"period {period.code} starts before the earliest allowed date {earliest}",
        )
    if period.start > as_of:
        yield _error("period.future", "period", f"周期 {period.code} 尚未开始", f"period {period.code} has not started")
    elif period.end >= as_of and not settings.allow_unfinished_period:
        yield _error(
            "period.unfinished",
            "period",
            f"周期 {period.code} 尚未结束，数据不完整",
            f"period {period.code} has not ended yet; its data are incomplete",
        )


def _line_issues(
    line: ActivityLine,
    field: str,
    *,
    taxonomy: IndustryTaxonomy,
    factor_set: EmissionFactorSet,
    bounds: PlausibilityBounds,
    listed: tuple[str, ...],
    industry: str,
) -> Iterator[ValidationIssue]:
    try:
        source = taxonomy.catalogue.get(line.source_code)
    except CalculatorDomainError as exc:
        yield _error("line.unknown_source", f"{field}.source_code", exc.message_zh, exc.message_en)
        return
    if listed and source.code not in listed:
        yield _warning(
            "line.source_not_listed",
            f"{field}.source_code",
            f"排放源 {source.name_zh} 不在细分行业 {industry} 的排放源清单中，已按用户新增指标计算",
            f"source {source.name_en} is not listed for sub-industry {industry}; counted as a user-added source",
        )
    yield from _factor_issues(source, field, factor_set)
    yield from _quantity_issues(line, source, field, bounds)
    yield from _measured_issues(line, source, field, bounds)
    yield from _steam_issues(line, source, field, bounds)


def _quantity_issues(
    line: ActivityLine, source: EmissionSource, field: str, bounds: PlausibilityBounds
) -> Iterator[ValidationIssue]:
    try:
        unit = parse_unit(line.unit)
    except CalculatorDomainError as exc:
        yield _error("line.unknown_unit", f"{field}.unit", exc.message_zh, exc.message_en)
        return
    if unit not in source.allowed_units:
        allowed = ", ".join(u.value for u in source.allowed_units)
        yield _error(
            "line.unit_not_allowed",
            f"{field}.unit",
            f"排放源 {source.name_zh} 不接受单位 {unit.value}（允许：{allowed}）",
            f"source {source.name_en} does not accept unit {unit.value} (allowed: {allowed})",
        )
        return
    if not line.quantity.is_finite():
        yield _error("value.not_finite", f"{field}.quantity", "数值无效", "value is not a finite number")
        return
    in_default = convert(Quantity(line.quantity, unit), source.default_unit).result.value
    yield from _amount(in_default, f"{field}.quantity", source.code, bounds)


def _factor_issues(source: EmissionSource, field: str, factor_set: EmissionFactorSet) -> Iterator[ValidationIssue]:
    try:
        if source.factor_kind is FactorKind.FUEL:
            factor_set.fuel(source.code)
        elif source.factor_kind is FactorKind.PROCESS:
            factor_set.process(source.code)
    except CalculatorDomainError as exc:
        yield _error("line.factor_missing", f"{field}.source_code", exc.message_zh, exc.message_en)


def _measured_issues(
    line: ActivityLine, source: EmissionSource, field: str, bounds: PlausibilityBounds
) -> Iterator[ValidationIssue]:
    measured = line.measured
    if measured is None:
        return
    if source.factor_kind is not FactorKind.FUEL:
        yield _error(
            "line.measured_not_applicable",
            f"{field}.measured",
            "实测参数仅适用于燃料",
            "measured parameters apply to fuels only",
        )
        return
    checks = (
        (measured.ncv, "ncv", bound.measured_ncv_subject(source.default_unit.value)),
        (measured.carbon_content_tc_per_gj, "carbon_content_tc_per_gj", bound.MEASURED_CARBON_CONTENT),
        (measured.oxidation_rate, "oxidation_rate", bound.MEASURED_OXIDATION_RATE),
    )
    for value, name, subject in checks:
        if value is not None:
            yield from _amount(value, f"{field}.measured.{name}", subject, bounds, positive=True)


def _steam_issues(
    line: ActivityLine, source: EmissionSource, field: str, bounds: PlausibilityBounds
) -> Iterator[ValidationIssue]:
    enthalpy = line.steam_enthalpy_kj_per_kg
    if source.factor_kind is FactorKind.STEAM:
        if enthalpy is None:
            yield _error(
                "line.steam_enthalpy_missing",
                f"{field}.steam_enthalpy_kj_per_kg",
                "蒸汽须填写焓值（kJ/kg）才能换算为热量",
                "steam needs its enthalpy (kJ/kg) to convert to heat",
            )
        else:
            yield from _amount(
                enthalpy, f"{field}.steam_enthalpy_kj_per_kg", bound.STEAM_ENTHALPY, bounds, positive=True
            )
    elif enthalpy is not None:
        yield _error(
            "line.steam_enthalpy_not_applicable",
            f"{field}.steam_enthalpy_kj_per_kg",
            "焓值仅适用于以吨计的蒸汽",
            "an enthalpy applies only to steam in tonnes",
        )


def _reduction_issues(inputs: CalculationInput, bounds: PlausibilityBounds) -> Iterator[ValidationIssue]:
    r = inputs.reductions
    yield from _amount(r.ccer_tco2, "reductions.ccer_tco2", bound.CCER, bounds)
    yield from _amount(r.green_certificates_mwh, "reductions.green_certificates_mwh", bound.GREEN_CERTIFICATES, bounds)
    yield from _amount(r.sinks_tco2, "reductions.sinks_tco2", bound.SINKS, bounds)
    if r.own_renewable_mwh is not None:
        yield from _amount(r.own_renewable_mwh, "reductions.own_renewable_mwh", bound.OWN_RENEWABLE, bounds)
        from_lines = _mwh_of(inputs, OWN_RENEWABLE_SOURCE)
        if from_lines is not None and from_lines != r.own_renewable_mwh:
            yield _error(
                "reductions.own_renewable_conflict",
                "reductions.own_renewable_mwh",
                f"自建可再生能源发电量填报两次且不一致（{r.own_renewable_mwh} 与活动数据 {from_lines} MWh）",
                f"own renewable generation given twice: {r.own_renewable_mwh} vs {from_lines} MWh in the lines",
            )
    purchased = _mwh_of(inputs, PURCHASED_ELECTRICITY_SOURCE) or Decimal(0)
    if r.green_certificates_mwh.is_finite() and r.green_certificates_mwh > purchased:
        yield _warning(
            "reductions.green_certificates_exceed_purchases",
            "reductions.green_certificates_mwh",
            f"绿证/绿电 {r.green_certificates_mwh} MWh 超过外购电量 {purchased} MWh",
            f"green certificates {r.green_certificates_mwh} MWh exceed purchased electricity {purchased} MWh",
        )


def _mwh_of(inputs: CalculationInput, source_code: str) -> Decimal | None:
    """Sum of the lines of ``source_code`` in MWh, None when there is none; lines with bad units are skipped."""
    total: Decimal | None = None
    for line in inputs.lines:
        if line.source_code != source_code:
            continue
        try:
            mwh = Quantity(line.quantity, parse_unit(line.unit)).to(Unit.MWH).value
        except CalculatorDomainError:
            continue
        total = mwh if total is None else total + mwh
    return total
