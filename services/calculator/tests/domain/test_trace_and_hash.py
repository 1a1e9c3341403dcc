import hashlib
from collections.abc import Callable
from decimal import Decimal, localcontext

from carbonid_calculator.domain import (
    ActivityLine,
    CalculationResult,
    CalculationSettings,
    GridFactorPolicy,
    GridLevel,
    MeasuredFuelParameters,
    Reductions,
    TraceStep,
    TraceStepKind,
)
from carbonid_calculator.domain.hashing import canonical_decimal, canonical_input_json
from carbonid_calculator.domain.inputs import LineOrigin
from carbonid_calculator.domain.rounding import CALCULATION_CONTEXT

Calculate = Callable[..., CalculationResult]
TOLERANCE = Decimal("1e-25")

TWELVE_LINES = (
    ActivityLine("fuel.bituminous_coal", Decimal(52000), "t", origin=LineOrigin.RESOLVED, handle="88.118.8/e1"),
    ActivityLine("fuel.anthracite", Decimal(3100), "t"),
    ActivityLine("fuel.natural_gas", Decimal(1250000), "m3"),
    ActivityLine("fuel.diesel", Decimal(420), "t", measured=MeasuredFuelParameters(ncv=Decimal("42.9"))),
    ActivityLine("process.caco3", Decimal(780000), "t", origin=LineOrigin.RESOLVED),
    ActivityLine("process.mgco3", Decimal(21000), "t"),
    ActivityLine("electricity.purchased", Decimal(61200000), "kWh"),
    ActivityLine("electricity.exported", Decimal(1200), "MWh"),
    ActivityLine("heat.purchased", Decimal(15000), "GJ"),
    ActivityLine("steam.purchased", Decimal(3000), "t", steam_enthalpy_kj_per_kg=Decimal(2777)),
    ActivityLine("electricity.own_renewable", Decimal(4800), "MWh"),
    ActivityLine("biomass.wood", Decimal(900), "t"),
)


def test_trace_steps_replay(run: Calculate) -> None:
    result = run(*TWELVE_LINES, reductions=Reductions(ccer_tco2=Decimal(500), sinks_tco2=Decimal(20)))
    assert [s.seq for s in result.trace] == list(range(1, len(result.trace) + 1))
    with localcontext(CALCULATION_CONTEXT):  # a page replays at the precision the domain computes with
        for step in result.trace:
            _replay(step)
    every_line = {s.line_index for s in result.trace if s.kind is TraceStepKind.LINE_EMISSION}
    assert every_line == set(range(len(TWELVE_LINES)))


def _replay(step: TraceStep) -> None:
    """Recompute one step from its formula kind and operands."""
    values = [o.value for o in step.operands]
    if step.kind in (TraceStepKind.LINE_EMISSION, TraceStepKind.LINE_ENERGY, TraceStepKind.CONVERSION):
        product = Decimal(1)
        for v in values:
            product *= v
        if "GJ = t × h ÷ 1000" in step.formula:
            product /= 1000
        assert abs(abs(step.result) - product) < TOLERANCE, step
    elif "Σ" in step.formula:
        assert abs(step.result - sum(values, Decimal(0))) < TOLERANCE, step
    elif step.formula == "E_energy = E_total − E_process":
        assert step.result == values[0] - values[1]
    elif step.formula.startswith("N = "):
        assert step.result == sum(values, Decimal(0))
    elif step.formula.startswith("E_net"):
        assert step.result == max(Decimal(0), values[0] - values[1])


def test_trace_factors_carry_their_source_unless_measured(run: Calculate) -> None:
    result = run(*TWELVE_LINES)
    factor_names = {"NCV", "CC", "OF", "EF_process", "EF_grid", "EF_heat", "k_sc"}
    for step in result.trace:
        for operand in step.operands:
            if operand.name in factor_names and operand.value:
                if operand.measured:
                    assert operand.source is None
                else:
                    assert operand.source is not None, (step.label_en, operand)
                    assert operand.source.version, (step.label_en, operand)
    diesel = next(s for s in result.trace if s.kind is TraceStepKind.LINE_EMISSION and s.line_index == 3)
    ncv = next(o for o in diesel.operands if o.name == "NCV")
    assert ncv.measured
    assert ncv.value == Decimal("42.9")


def test_trace_records_each_unit_conversion(run: Calculate) -> None:
    result = run(*TWELVE_LINES)
    conversions = {(s.line_index, s.operands[-1].unit) for s in result.trace if s.kind is TraceStepKind.CONVERSION}
    assert conversions == {(2, "10^4 Nm3/m3"), (6, "MWh/kWh"), (9, "kJ/kg")}


def test_grid_choice_is_the_first_step(run: Calculate) -> None:
    first = run(*TWELVE_LINES, period="2024").trace[0]
    assert first.kind is TraceStepKind.NOTE
    assert first.result == Decimal("0.5306")
    assert "2023" in first.label_en


def test_canonical_decimal() -> None:
    assert canonical_decimal(Decimal("1.500")) == "1.5"
    assert canonical_decimal(Decimal("1E+3")) == "1000"
    assert canonical_decimal(Decimal("-0.00")) == "0"


def test_input_hash_is_stable_and_sensitive(run: Calculate) -> None:
    base = run(*TWELVE_LINES)
    assert len(base.input_hash) == 64
    # Same value written differently, and the provenance handle, do not change the hash.
    rewritten = (ActivityLine("fuel.bituminous_coal", Decimal("52000.000"), "吨", origin=LineOrigin.RESOLVED),)
    assert run(*rewritten, *TWELVE_LINES[1:]).input_hash == base.input_hash
    changed = (ActivityLine("fuel.bituminous_coal", Decimal("52000.001"), "t", origin=LineOrigin.RESOLVED),)
    assert run(*changed, *TWELVE_LINES[1:]).input_hash != base.input_hash
    assert run(*TWELVE_LINES, added_value=Decimal(10001)).input_hash != base.input_hash
    assert run(*TWELVE_LINES, period="2023").input_hash != base.input_hash
    regional = CalculationSettings(grid_policy=GridFactorPolicy(level=GridLevel.REGIONAL, region_code="east"))
    assert run(*TWELVE_LINES, settings=regional).input_hash != base.input_hash


def test_canonical_json_golden(run: Calculate) -> None:
    result = run(ActivityLine("fuel.diesel", Decimal("1.50"), "t"), added_value=Decimal(100))
    inputs_json = (
        '{"added_value_10k_cny":"100","factor_set":"ndrc-2013-guideline/v1","grid_policy":{"level":"national",'
        '"region_code":"CN","series":"average","year":null},"lines":[{"measured":null,"origin":"manual",'
        '"quantity":"1.5","source_code":"fuel.diesel","steam_enthalpy_kj_per_kg":null,"unit":"t"}],"period":"2022",'
        '"reductions":{"ccer_tco2":"0","green_certificates_mwh":"0","own_renewable_mwh":null,"sinks_tco2":"0"},'
        '"schema":"carbonid-calculation-input/1","sub_industry_code":"3011"}'
    )
    assert result.input_hash == hashlib.sha256(inputs_json.encode()).hexdigest()
    assert canonical_input_json is not None
