"""Emission calculation per GB/T 32150-2015, the NDRC industry guidelines (DOMAIN §1) and the Zhejiang
carbon-efficiency method (DOMAIN §2).

total = combustion + process + purchased electricity + purchased heat − exported electricity − exported heat;
biomass CO2 is reported separately and never counted. Intensity
L = (energy CO2 − CO2 avoided by own zero-carbon generation − sinks) ÷ added value, where energy CO2 is the
total without process emissions. Everything is computed unrounded in a 34-digit context (see ``rounding``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, localcontext

from carbonid_calculator.domain.errors import CalculationRejectedError, Severity, ValidationIssue
from carbonid_calculator.domain.factors import EmissionFactorSet, FuelParameters, GridFactorChoice
from carbonid_calculator.domain.hashing import input_hash
from carbonid_calculator.domain.inputs import ActivityLine, CalculationInput, CalculationSettings
from carbonid_calculator.domain.plausibility import PlausibilityBounds
from carbonid_calculator.domain.result import CalculationResult, CarrierTotal, LineResult, Neutralisation
from carbonid_calculator.domain.rounding import CALCULATION_CONTEXT
from carbonid_calculator.domain.sources import (
    EmissionSource,
    EnergyCarrier,
    FactorKind,
    FlowDirection,
    Scope,
    SourceCategory,
)
from carbonid_calculator.domain.taxonomy import IndustryTaxonomy
from carbonid_calculator.domain.trace import TraceOperand, TraceRecorder, TraceStepKind
from carbonid_calculator.domain.units import Quantity, Unit, UnitConversion, convert, parse_unit, steam_to_heat
from carbonid_calculator.domain.validation import OWN_RENEWABLE_SOURCE, validate_calculation_input

ZERO = Decimal(0)
# Ratio of the molar masses of CO2 and C, exactly as the guideline formula writes it (44/12), at 34 digits.
CO2_PER_C = CALCULATION_CONTEXT.divide(Decimal(44), Decimal(12))

# Categories that make up the total, in presentation order; scope of each (DOMAIN §1).
TOTAL_CATEGORIES = (SourceCategory.COMBUSTION, SourceCategory.PROCESS, SourceCategory.ELECTRICITY, SourceCategory.HEAT)
CATEGORY_SCOPE = {
    SourceCategory.COMBUSTION: Scope.SCOPE1,
    SourceCategory.PROCESS: Scope.SCOPE1,
    SourceCategory.ELECTRICITY: Scope.SCOPE2,
    SourceCategory.HEAT: Scope.SCOPE2,
}


def order_free_sum(values: Iterable[Decimal]) -> Decimal:
    """Sum of ``values`` independent of their order.

    Line figures carry the inexact 44/12 at the 34th digit, and Decimal addition rounds at that digit, so
    adding the same lines in another order could change the last digit (and with it the input-order
    independence the hash promises). Adding in ascending order makes the sum a function of the values alone.
    """
    return sum(sorted(values), ZERO)


def calculate(
    inputs: CalculationInput,
    *,
    taxonomy: IndustryTaxonomy,
    factor_set: EmissionFactorSet,
    bounds: PlausibilityBounds,
    settings: CalculationSettings | None = None,
    as_of: date,
) -> CalculationResult:
    """Validate ``inputs`` and compute the emissions, intensity, neutralisation and the full trace.

    Raises CalculationRejectedError (bilingual issues with field paths) when any validation error is found;
    warnings travel with the result. ``as_of`` is today's date (the domain reads no clock).
    """
    settings = settings or CalculationSettings()
    issues = validate_calculation_input(
        inputs, taxonomy=taxonomy, factor_set=factor_set, settings=settings, bounds=bounds, as_of=as_of
    )
    if any(i.severity is Severity.ERROR for i in issues):
        raise CalculationRejectedError(issues)
    with localcontext(CALCULATION_CONTEXT):
        return _compute(inputs, taxonomy, factor_set, settings, issues)


def _compute(
    inputs: CalculationInput,
    taxonomy: IndustryTaxonomy,
    factor_set: EmissionFactorSet,
    settings: CalculationSettings,
    warnings: tuple[ValidationIssue, ...],
) -> CalculationResult:
    trace = TraceRecorder()
    grid = factor_set.grid_factor(inputs.period.year, settings.grid_policy)
    ef_grid = _grid_operand(grid)
    trace.record(
        TraceStepKind.NOTE,
        grid.explanation_zh,
        grid.explanation_en,
        "EF_grid",
        (ef_grid,),
        result=ef_grid.value,
        unit="tCO2/MWh",
    )
    convention = factor_set.standard_coal_for("electricity.purchased")
    convention_en = "electricity in tce at the calorific-equivalent value 0.1229 kgce/kWh (GB/T 2589)"
    convention_zh = "电力折标采用当量值 0.1229 kgce/kWh（GB/T 2589）"
    if convention is not None:
        convention_zh = f"电力折标系数 {convention.as_published}（当量值，GB/T 2589）"
        convention_en = f"electricity converted to tce at {convention.as_published} (calorific-equivalent, GB/T 2589)"
    lines = tuple(
        _price_line(i, line, taxonomy.catalogue.get(line.source_code), factor_set=factor_set, grid=grid, trace=trace)
        for i, line in enumerate(inputs.lines)
    )

    by_category = {c: _subtotal(trace, lines, c) for c in TOTAL_CATEGORIES}
    by_scope = {
        scope: sum((v for c, v in by_category.items() if CATEGORY_SCOPE[c] is scope), ZERO)
        for scope in (Scope.SCOPE1, Scope.SCOPE2)
    }
    total = trace.record(
        TraceStepKind.TOTAL,
        "排放总量 = 燃料燃烧 + 工业过程 + 净购入电力 + 净购入热力（输出已扣减）",
        "total = combustion + process + purchased electricity + purchased heat (exports subtracted)",
        "E_total = Σ E_category",
        tuple(TraceOperand(c.value, v, "tCO2") for c, v in by_category.items()),
        result=sum(by_category.values(), ZERO),
        unit="tCO2",
    )
    biomass = trace.record(
        TraceStepKind.SUBTOTAL,
        "生物质燃烧 CO2（单独报告，不计入总量）",
        "biomass CO2 (reported separately, not in the total)",
        "E_biomass = Σ E_line(biomass)",
        tuple(TraceOperand(f"line[{r.index}]", r.biomass_tco2, "tCO2") for r in lines if r.biomass_tco2),
        result=order_free_sum(r.biomass_tco2 for r in lines),
        unit="tCO2",
    )
    by_carrier = tuple(
        CarrierTotal(
            carrier,
            order_free_sum(r.emissions_tco2 for r in lines if r.source.carrier is carrier),
            order_free_sum(r.energy_tce for r in lines if r.source.carrier is carrier),
        )
        for carrier in EnergyCarrier
    )
    energy_tce = trace.record(
        TraceStepKind.SUBTOTAL,
        "综合能源消费量（折标准煤，输出已扣减）",
        "energy use in standard coal (exports subtracted)",
        "tce = Σ tce_line",
        tuple(TraceOperand(f"line[{r.index}]", r.energy_tce, "tce") for r in lines if r.energy_tce),
        result=order_free_sum(r.energy_tce for r in lines),
        unit="tce",
    )

    process = by_category[SourceCategory.PROCESS]
    energy_co2 = trace.record(
        TraceStepKind.SUBTOTAL,
        "能源活动 CO2 = 排放总量 − 工业过程排放",
        "energy CO2 = total − process emissions",
        "E_energy = E_total − E_process",
        (TraceOperand("E_total", total, "tCO2"), TraceOperand("E_process", process, "tCO2")),
        result=total - process,
        unit="tCO2",
    )
    neutralisation, avoided = _neutralise(inputs, lines, grid, total, trace)
    numerator = max(ZERO, energy_co2 - avoided - inputs.reductions.sinks_tco2)
    intensity = trace.record(
        TraceStepKind.INTENSITY,
        "碳排放强度 L =（能源活动CO2 − 自建零碳电力避免的CO2 − 碳汇）÷ 工业增加值（分子不低于零）",
        "carbon intensity L = (energy CO2 − avoided by own zero-carbon power − sinks) ÷ added value (numerator ≥ 0)",
        "L = max(0, E_energy − E_avoided − sinks) ÷ AV",
        (
            TraceOperand("E_energy", energy_co2, "tCO2"),
            TraceOperand("E_avoided", avoided, "tCO2"),
            TraceOperand("sinks", inputs.reductions.sinks_tco2, "tCO2"),
            TraceOperand("AV", inputs.added_value_10k_cny, "10^4 CNY"),
        ),
        result=numerator / inputs.added_value_10k_cny,
        unit="tCO2/10^4 CNY",
    )
    net = trace.record(
        TraceStepKind.TOTAL,
        "净排放量 = 排放总量 − 中和量（不低于零）",
        "net emissions = total − neutralisation (not below zero)",
        "E_net = max(0, E_total − N)",
        (TraceOperand("E_total", total, "tCO2"), TraceOperand("N", neutralisation.total_tco2, "tCO2")),
        result=max(ZERO, total - neutralisation.total_tco2),
        unit="tCO2",
    )
    return CalculationResult(
        sub_industry_code=inputs.sub_industry_code,
        period_code=inputs.period.code,
        added_value_10k_cny=inputs.added_value_10k_cny,
        factor_set_id=factor_set.id,
        grid_factor=grid,
        heat_factor=factor_set.heat_factor,
        total_emissions_tco2=total,
        energy_emissions_tco2=energy_co2,
        process_emissions_tco2=process,
        biomass_emissions_tco2=biomass,
        avoided_by_own_renewable_tco2=avoided,
        net_emissions_tco2=net,
        intensity_tco2_per_10k_cny=intensity,
        energy_tce=energy_tce,
        by_scope=by_scope,
        by_category=by_category,
        by_carrier=by_carrier,
        neutralisation=neutralisation,
        lines=lines,
        trace=trace.freeze(),
        warnings=warnings,
        input_hash=input_hash(inputs, factor_set.id, settings),
        electricity_convention_zh=convention_zh,
        electricity_convention_en=convention_en,
    )


def _grid_operand(grid: GridFactorChoice) -> TraceOperand:
    return TraceOperand("EF_grid", grid.factor.tco2_per_mwh, "tCO2/MWh", source=grid.factor.source)


def _price_line(
    index: int,
    line: ActivityLine,
    source: EmissionSource,
    *,
    factor_set: EmissionFactorSet,
    grid: GridFactorChoice,
    trace: TraceRecorder,
) -> LineResult:
    """CO2 and standard coal of one validated activity line, each step traced."""
    entered = Quantity(line.quantity, parse_unit(line.unit))
    label = f"{source.name_zh}（{line.origin.value}）", f"{source.name_en} ({line.origin.value})"
    trace.record(
        TraceStepKind.INPUT,
        f"活动数据：{label[0]}",
        f"activity: {label[1]}",
        "Q",
        (TraceOperand("Q", entered.value, entered.unit.value),),
        result=entered.value,
        unit=entered.unit.value,
        line_index=index,
    )
    in_default = _traced_conversion(convert(entered, source.default_unit), index, trace)
    activity = in_default
    measured = False
    kind = source.factor_kind
    if kind is FactorKind.STEAM:
        assert line.steam_enthalpy_kj_per_kg is not None  # guaranteed by validation
        enthalpy = Quantity(line.steam_enthalpy_kj_per_kg, Unit.KJ_PER_KG)
        heat = steam_to_heat(in_default, enthalpy)
        activity = trace_value = heat.result
        trace.record(
            TraceStepKind.CONVERSION,
            "蒸汽按焓值换算为热量",
            "steam to heat by its enthalpy",
            "GJ = t × h ÷ 1000",
            (
                TraceOperand("t", in_default.value, "t"),
                TraceOperand("h", enthalpy.value, "kJ/kg", measured=True),
            ),
            result=trace_value.value,
            unit="GJ",
            line_index=index,
        )
    formula, operands, measured = _emission_operands(source, line, activity, factor_set, grid)
    raw = _product(operands)
    signed = raw * source.sign
    counted = signed if source.counted_in_total else ZERO
    biomass = raw if source.category is SourceCategory.BIOMASS else ZERO
    zh, en = label
    if source.category is SourceCategory.BIOMASS:
        zh, en = f"{zh}：单独报告，不计入总量", f"{en}: reported separately, not in the total"
    elif source.direction is FlowDirection.EXPORTED:
        zh, en = f"{zh}：从总量中扣减", f"{en}: subtracted from the total"
    trace.record(TraceStepKind.LINE_EMISSION, zh, en, formula, operands, result=signed, unit="tCO2", line_index=index)
    return LineResult(
        index=index,
        source=source,
        origin=line.origin,
        entered=entered,
        activity=activity,
        emissions_tco2=counted,
        biomass_tco2=biomass,
        energy_tce=_line_energy(index, source, in_default, factor_set, trace),
        measured=measured,
    )


def _traced_conversion(conversion: UnitConversion, index: int, trace: TraceRecorder) -> Quantity:
    if not conversion.is_identity:
        trace.record(
            TraceStepKind.CONVERSION,
            f"单位换算 {conversion.source.unit.value} → {conversion.result.unit.value}",
            f"unit conversion {conversion.source.unit.value} → {conversion.result.unit.value}",
            "Q' = Q × k",
            (
                TraceOperand("Q", conversion.source.value, conversion.source.unit.value),
                TraceOperand("k", conversion.factor, conversion.factor_unit),
            ),
            result=conversion.result.value,
            unit=conversion.result.unit.value,
            line_index=index,
        )
    return conversion.result


def _emission_operands(
    source: EmissionSource,
    line: ActivityLine,
    activity: Quantity,
    factor_set: EmissionFactorSet,
    grid: GridFactorChoice,
) -> tuple[str, tuple[TraceOperand, ...], bool]:
    """Formula and operands whose product is the line's unsigned CO2; and whether anything was measured."""
    q = TraceOperand("Q", activity.value, activity.unit.value)
    kind = source.factor_kind
    if kind is FactorKind.FUEL:
        p = factor_set.fuel(source.code)
        m = line.measured
        ncv = _pick("NCV", p.ncv, None if m is None else m.ncv, p.ncv_unit, p)
        cc = _pick("CC", p.carbon_content_tc_per_gj, None if m is None else m.carbon_content_tc_per_gj, "tC/GJ", p)
        of = _pick("OF", p.oxidation_rate, None if m is None else m.oxidation_rate, "1", p)
        operands = (
            TraceOperand("FC", activity.value, activity.unit.value),
            ncv,
            cc,
            of,
            TraceOperand("44/12", CO2_PER_C, "tCO2/tC"),
        )
        return "E = FC × NCV × CC × OF × 44/12", operands, any(o.measured for o in (ncv, cc, of))
    if kind is FactorKind.PROCESS:
        f = factor_set.process(source.code)
        return "E = Q × EF_process", (q, TraceOperand("EF_process", f.tco2_per_t, "tCO2/t", f.source)), False
    if kind is FactorKind.GRID_ELECTRICITY:
        return "E = MWh × EF_grid", (q, _grid_operand(grid)), False
    if kind in (FactorKind.HEAT, FactorKind.STEAM):
        h = factor_set.heat_factor
        return "E = GJ × EF_heat", (q, TraceOperand("EF_heat", h.tco2_per_gj, "tCO2/GJ", h.source)), False
    return "E = 0（零碳 / zero-carbon）", (q, TraceOperand("EF", ZERO, "tCO2/MWh")), False


def _pick(name: str, default: Decimal, measured: Decimal | None, unit: str, p: FuelParameters) -> TraceOperand:
    """Measured value when given (marked measured, no document), else the factor-set default with its source."""
    if measured is not None:
        return TraceOperand(name, measured, unit, measured=True)
    return TraceOperand(name, default, unit, source=p.source, assumption=p.assumption)


def _product(operands: tuple[TraceOperand, ...]) -> Decimal:
    result = Decimal(1)
    for operand in operands:
        result *= operand.value
    return result


def _line_energy(
    index: int, source: EmissionSource, activity: Quantity, factor_set: EmissionFactorSet, trace: TraceRecorder
) -> Decimal:
    coefficient = factor_set.standard_coal_for(source.code)
    if coefficient is None:
        return ZERO
    q = activity.to(coefficient.unit)
    return trace.record(
        TraceStepKind.LINE_ENERGY,
        f"{source.name_zh} 折标准煤（{coefficient.as_published}）",
        f"{source.name_en} in standard coal ({coefficient.as_published})",
        "tce = Q × k_sc",
        (
            TraceOperand("Q", q.value, q.unit.value),
            TraceOperand(
                "k_sc",
                coefficient.tce_per_unit,
                f"tce/{coefficient.unit.value}",
                coefficient.source,
                assumption=coefficient.basis != "table",
            ),
        ),
        result=q.value * coefficient.tce_per_unit * source.sign,
        unit="tce",
        line_index=index,
    )


def _subtotal(trace: TraceRecorder, lines: tuple[LineResult, ...], category: SourceCategory) -> Decimal:
    members = [r for r in lines if r.source.category is category]
    return trace.record(
        TraceStepKind.SUBTOTAL,
        f"小计：{category.value}",
        f"subtotal: {category.value}",
        "E_category = Σ E_line",
        tuple(TraceOperand(f"line[{r.index}]", r.emissions_tco2, "tCO2") for r in members),
        result=order_free_sum(r.emissions_tco2 for r in members),
        unit="tCO2",
    )


def _mwh(lines: tuple[LineResult, ...], source_code: str) -> Decimal:
    return order_free_sum(r.entered.to(Unit.MWH).value for r in lines if r.source.code == source_code)


def _neutralise(
    inputs: CalculationInput,
    lines: tuple[LineResult, ...],
    grid: GridFactorChoice,
    total: Decimal,
    trace: TraceRecorder,
) -> tuple[Neutralisation, Decimal]:
    """Neutralisation (DOMAIN §2 choice) and the CO2 avoided by own zero-carbon generation (for L)."""
    r = inputs.reductions
    ef = _grid_operand(grid)
    own = r.own_renewable_mwh if r.own_renewable_mwh is not None else _mwh(lines, OWN_RENEWABLE_SOURCE)
    exported = _mwh(lines, "electricity.exported")
    credited = trace.record(
        TraceStepKind.NEUTRALISATION,
        "计入的自建可再生能源电量 = 自发电量 − 输出电量（输出已从总量扣减，不重复计算）",
        "credited own renewable generation = own generation − exported electricity (exports already lowered the total)",
        "MWh_own' = max(0, MWh_own − MWh_exported)",
        (TraceOperand("MWh_own", own, "MWh"), TraceOperand("MWh_exported", exported, "MWh")),
        result=max(ZERO, own - exported),
        unit="MWh",
    )
    avoided = trace.record(
        TraceStepKind.NEUTRALISATION,
        "自建零碳电力避免的 CO2",
        "CO2 avoided by own zero-carbon generation",
        "E_avoided = MWh_own' × EF_grid",
        (TraceOperand("MWh_own'", credited, "MWh"), ef),
        result=credited * ef.value,
        unit="tCO2",
    )
    green = trace.record(
        TraceStepKind.NEUTRALISATION,
        "绿证/绿电对应的 CO2",
        "CO2 of green certificates / green-power contracts",
        "E_green = MWh_green × EF_grid",
        (TraceOperand("MWh_green", r.green_certificates_mwh, "MWh"), ef),
        result=r.green_certificates_mwh * ef.value,
        unit="tCO2",
    )
    amount = trace.record(
        TraceStepKind.NEUTRALISATION,
        "碳中和量 = CCER + 绿证/绿电 + 自建可再生能源 + 碳汇（每项只计一次）",
        "neutralisation = CCER + green certificates + own renewables + sinks (each counted once)",
        "N = CCER + E_green + E_avoided + sinks",
        (
            TraceOperand("CCER", r.ccer_tco2, "tCO2"),
            TraceOperand("E_green", green, "tCO2"),
            TraceOperand("E_avoided", avoided, "tCO2"),
            TraceOperand("sinks", r.sinks_tco2, "tCO2"),
        ),
        result=r.ccer_tco2 + green + avoided + r.sinks_tco2,
        unit="tCO2",
    )
    # With nothing to neutralise, any offset makes the enterprise fully neutral; no offset means 0 %.
    rate_value = min(Decimal(1), amount / total) if total > 0 else Decimal(1 if amount > 0 else 0)
    rate = trace.record(
        TraceStepKind.NEUTRALISATION,
        "碳中和率（上限 100%）",
        "neutralisation rate (capped at 100 %)",
        "rate = min(1, N ÷ E_total)",
        (TraceOperand("N", amount, "tCO2"), TraceOperand("E_total", total, "tCO2")),
        result=rate_value,
        unit="1",
    )
    return (
        Neutralisation(
            ccer_tco2=r.ccer_tco2,
            green_certificates_mwh=r.green_certificates_mwh,
            green_certificates_tco2=green,
            own_renewable_mwh=own,
            own_renewable_credited_mwh=credited,
            own_renewable_tco2=avoided,
            sinks_tco2=r.sinks_tco2,
            total_tco2=amount,
            rate=rate,
        ),
        avoided,
    )
