"""Property-based tests of the calculation formulas (hypothesis)."""

from collections.abc import Callable
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from carbonid_calculator.domain import (
    ActivityLine,
    CalculationResult,
    MeasuredFuelParameters,
    Reductions,
    Scope,
    SourceCategory,
)
from carbonid_calculator.domain.inputs import LineOrigin

Calculate = Callable[..., CalculationResult]
TOLERANCE = Decimal("1e-20")

quantities = st.decimals(min_value=0, max_value=Decimal(10_000), places=3)
positive = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10_000), places=3)
multipliers = st.integers(min_value=1, max_value=100)
# Sources a cement plant (3011) is offered, with their default units; enough to exercise every factor kind.
LINE_SOURCES = [
    ("fuel.bituminous_coal", "t"),
    ("fuel.natural_gas", "10^4 Nm3"),
    ("fuel.diesel", "t"),
    ("fuel.coke", "t"),
    ("process.caco3", "t"),
    ("process.mgco3", "t"),
    ("electricity.purchased", "MWh"),
    ("electricity.exported", "MWh"),
    ("heat.purchased", "GJ"),
    ("heat.exported", "GJ"),
    ("biomass.wood", "t"),
    ("electricity.own_renewable", "MWh"),
]
FUELS = [c for c, _ in LINE_SOURCES if c.startswith("fuel.")]


@st.composite
def line_sets(draw: st.DrawFn) -> list[ActivityLine]:
    chosen = draw(st.lists(st.sampled_from(LINE_SOURCES), min_size=1, max_size=len(LINE_SOURCES), unique=True))
    return [ActivityLine(code, draw(quantities), unit) for code, unit in chosen]


def close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= TOLERANCE * max(Decimal(1), abs(a), abs(b))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(LINE_SOURCES), positive, multipliers)
def test_emissions_are_linear_in_quantity(run: Calculate, source: tuple[str, str], q: Decimal, k: int) -> None:
    code, unit = source
    one = run(ActivityLine(code, q, unit))
    many = run(ActivityLine(code, q * k, unit))
    assert close(many.total_emissions_tco2, one.total_emissions_tco2 * k)
    assert close(many.biomass_emissions_tco2, one.biomass_emissions_tco2 * k)
    assert close(many.energy_tce, one.energy_tce * k)


@settings(max_examples=60, deadline=None)
@given(line_sets())
def test_totals_are_sums_of_lines_categories_scopes_and_carriers(run: Calculate, lines: list[ActivityLine]) -> None:
    result = run(*lines)
    total = result.total_emissions_tco2
    assert close(total, sum((r.emissions_tco2 for r in result.lines), Decimal(0)))
    assert close(total, sum(result.by_category.values(), Decimal(0)))
    assert close(total, result.by_scope[Scope.SCOPE1] + result.by_scope[Scope.SCOPE2])
    assert close(total, sum((c.emissions_tco2 for c in result.by_carrier), Decimal(0)))
    assert close(result.energy_tce, sum((c.energy_tce for c in result.by_carrier), Decimal(0)))
    assert close(result.energy_emissions_tco2, total - result.by_category[SourceCategory.PROCESS])
    assert close(result.net_emissions_tco2, max(Decimal(0), total - result.neutralisation.total_tco2))
    assert Decimal(0) <= result.neutralisation.rate <= 1
    assert result.intensity_tco2_per_10k_cny >= 0


@settings(max_examples=40, deadline=None)
@given(line_sets(), positive, st.sampled_from(["electricity.exported", "heat.exported"]))
def test_exports_reduce_the_total_by_their_own_emissions(
    run: Calculate, lines: list[ActivityLine], q: Decimal, exported: str
) -> None:
    base = [line for line in lines if line.source_code != exported]
    unit = "MWh" if exported.startswith("electricity") else "GJ"
    without = run(*base) if base else None
    with_export = run(*base, ActivityLine(exported, q, unit))
    factor = Decimal("0.5366") if unit == "MWh" else Decimal("0.11")
    before = without.total_emissions_tco2 if without else Decimal(0)
    assert close(with_export.total_emissions_tco2, before - q * factor)
    assert with_export.total_emissions_tco2 < before


@settings(max_examples=40, deadline=None)
@given(line_sets(), positive)
def test_biomass_is_never_counted_in_the_total(run: Calculate, lines: list[ActivityLine], q: Decimal) -> None:
    base = [line for line in lines if not line.source_code.startswith("biomass.")] or [
        ActivityLine("fuel.diesel", Decimal(1), "t")
    ]
    without = run(*base)
    with_biomass = run(*base, ActivityLine("biomass.wood", q, "t"))
    assert with_biomass.total_emissions_tco2 == without.total_emissions_tco2
    assert with_biomass.by_scope == without.by_scope
    assert with_biomass.biomass_emissions_tco2 > 0


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(FUELS),
    positive,
    st.decimals(min_value=1, max_value=60, places=3) | st.none(),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("0.1"), places=5) | st.none(),
    st.decimals(min_value=Decimal("0.5"), max_value=1, places=3) | st.none(),
)
def test_measured_parameters_override_defaults(
    run: Calculate,
    reference_factors: dict[str, tuple[Decimal, Decimal, Decimal]],
    fuel: str,
    q: Decimal,
    ncv: Decimal | None,
    cc: Decimal | None,
    of: Decimal | None,
) -> None:
    unit = "10^4 Nm3" if fuel == "fuel.natural_gas" else "t"
    if unit != "t" and ncv is not None:
        ncv *= 10  # stay within the plausible range of gaseous fuels
    measured = MeasuredFuelParameters(ncv=ncv, carbon_content_tc_per_gj=cc, oxidation_rate=of)
    result = run(ActivityLine(fuel, q, unit, measured=measured))
    d_ncv, d_cc, d_of = reference_factors[fuel]
    expected = q * (ncv or d_ncv) * (cc or d_cc) * (of or d_of) * 44 / 12
    assert close(result.total_emissions_tco2, expected)
    assert result.lines[0].measured == any(v is not None for v in (ncv, cc, of))


@settings(max_examples=40, deadline=None)
@given(positive)
def test_units_do_not_change_results(run: Calculate, q: Decimal) -> None:
    in_t = run(ActivityLine("fuel.diesel", q, "t"), ActivityLine("electricity.purchased", q, "MWh"))
    in_kg = run(ActivityLine("fuel.diesel", q * 1000, "kg"), ActivityLine("electricity.purchased", q * 1000, "kWh"))
    assert in_t.total_emissions_tco2 == in_kg.total_emissions_tco2
    assert in_t.energy_tce == in_kg.energy_tce


@settings(max_examples=40, deadline=None)
@given(line_sets(), st.randoms(use_true_random=False))
def test_line_order_changes_neither_result_nor_hash(run: Calculate, lines: list[ActivityLine], rnd: object) -> None:
    shuffled = list(lines)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a, b = run(*lines), run(*shuffled)
    assert a.total_emissions_tco2 == b.total_emissions_tco2
    assert a.input_hash == b.input_hash


@settings(max_examples=40, deadline=None)
@given(positive, positive, positive, positive, positive)
def test_neutralisation_counts_each_offset_once(
    run: Calculate, electricity: Decimal, ccer: Decimal, green: Decimal, own: Decimal, sinks: Decimal
) -> None:
    result = run(
        ActivityLine("electricity.purchased", electricity, "MWh"),
        reductions=Reductions(ccer_tco2=ccer, green_certificates_mwh=green, own_renewable_mwh=own, sinks_tco2=sinks),
    )
    ef = Decimal("0.5366")
    n = result.neutralisation
    assert close(n.total_tco2, ccer + green * ef + own * ef + sinks)
    assert close(n.rate, min(Decimal(1), n.total_tco2 / result.total_emissions_tco2))


@settings(max_examples=40, deadline=None)
@given(positive, positive, st.decimals(min_value=1, max_value=Decimal(100000), places=2))
def test_intensity_formula(run: Calculate, electricity: Decimal, own: Decimal, added_value: Decimal) -> None:
    result = run(
        ActivityLine("electricity.purchased", electricity, "MWh"),
        ActivityLine("electricity.own_renewable", own, "MWh", origin=LineOrigin.RESOLVED),
        added_value=added_value,
    )
    ef = Decimal("0.5366")
    expected = max(Decimal(0), electricity * ef - own * ef) / added_value
    assert close(result.intensity_tco2_per_10k_cny, expected)
