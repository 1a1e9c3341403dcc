from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from carbonid_calculator.domain import (
    ActivityLine,
    CalculationRejectedError,
    CalculationResult,
    CalculationSettings,
    MeasuredFuelParameters,
    Reductions,
    Severity,
)
from carbonid_calculator.domain.inputs import LineOrigin

Calculate = Callable[..., CalculationResult]
COAL = ActivityLine("fuel.bituminous_coal", Decimal(100), "t")


def rejected(run: Calculate, *lines: ActivityLine, **kwargs: object) -> dict[str, str]:
    """Error codes by field of a rejected calculation."""
    with pytest.raises(CalculationRejectedError) as info:
        run(*lines, **kwargs)
    for issue in info.value.issues:
        assert issue.message_zh
        assert issue.message_en
        assert issue.message_zh != issue.message_en
    return {i.field: i.code for i in info.value.issues if i.severity is Severity.ERROR}


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        (ActivityLine("fuel.unobtainium", Decimal(1), "t"), "lines[0].source_code", "line.unknown_source"),
        (ActivityLine("fuel.diesel", Decimal(1), "barrel"), "lines[0].unit", "line.unknown_unit"),
        (ActivityLine("fuel.diesel", Decimal(1), "MWh"), "lines[0].unit", "line.unit_not_allowed"),
        (ActivityLine("fuel.diesel", Decimal(-1), "t"), "lines[0].quantity", "value.negative"),
        (ActivityLine("fuel.diesel", Decimal("NaN"), "t"), "lines[0].quantity", "value.not_finite"),
        (ActivityLine("electricity.purchased", Decimal("2e8"), "MWh"), "lines[0].quantity", "value.implausible"),
        (ActivityLine("fuel.natural_gas", Decimal("2e10"), "m3"), "lines[0].quantity", "value.implausible"),
        (
            ActivityLine("steam.purchased", Decimal(10), "t"),
            "lines[0].steam_enthalpy_kj_per_kg",
            "line.steam_enthalpy_missing",
        ),
        (
            ActivityLine("heat.purchased", Decimal(10), "GJ", steam_enthalpy_kj_per_kg=Decimal(2777)),
            "lines[0].steam_enthalpy_kj_per_kg",
            "line.steam_enthalpy_not_applicable",
        ),
        (
            ActivityLine("steam.purchased", Decimal(10), "t", steam_enthalpy_kj_per_kg=Decimal(9000)),
            "lines[0].steam_enthalpy_kj_per_kg",
            "value.implausible",
        ),
        (
            ActivityLine("process.caco3", Decimal(10), "t", measured=MeasuredFuelParameters(ncv=Decimal(1))),
            "lines[0].measured",
            "line.measured_not_applicable",
        ),
        (
            ActivityLine(
                "fuel.diesel", Decimal(10), "t", measured=MeasuredFuelParameters(oxidation_rate=Decimal("1.2"))
            ),
            "lines[0].measured.oxidation_rate",
            "value.implausible",
        ),
        (
            ActivityLine("fuel.diesel", Decimal(10), "t", measured=MeasuredFuelParameters(ncv=Decimal(0))),
            "lines[0].measured.ncv",
            "value.not_positive",
        ),
        (
            ActivityLine(
                "fuel.natural_gas", Decimal(10), "10^4 Nm3", measured=MeasuredFuelParameters(ncv=Decimal(5000))
            ),
            "lines[0].measured.ncv",
            "value.implausible",
        ),
    ],
)
def test_line_errors(run: Calculate, line: ActivityLine, field: str, code: str) -> None:
    assert rejected(run, line)[field] == code


def test_quantity_at_the_bound_is_accepted_and_above_refused(run: Calculate) -> None:
    run(ActivityLine("electricity.purchased", Decimal("1e8"), "MWh"))
    assert rejected(run, ActivityLine("electricity.purchased", Decimal("100000000.001"), "MWh"))


@pytest.mark.parametrize("added_value", [Decimal(0), Decimal(-5), Decimal("2e9")])
def test_added_value_must_be_positive_and_plausible(run: Calculate, added_value: Decimal) -> None:
    assert "added_value_10k_cny" in rejected(run, COAL, added_value=added_value)


@pytest.mark.parametrize(
    ("period", "code"),
    [
        ("2009", "period.too_early"),
        ("2026", "period.future"),
        ("2025", "period.unfinished"),
        ("2025Q2", "period.unfinished"),
    ],
)
def test_period_range(run: Calculate, period: str, code: str) -> None:
    assert rejected(run, COAL, period=period)["period"] == code


def test_unfinished_period_allowed_by_setting(run: Calculate) -> None:
    result = run(COAL, period="2025", settings=CalculationSettings(allow_unfinished_period=True))
    assert result.period_code == "2025"
    assert run(COAL, period="2025-05").period_code == "2025-05"  # ended before as_of


def test_earliest_period_is_a_setting(run: Calculate) -> None:
    assert run(COAL, period="2009", settings=CalculationSettings(earliest_period_start=date(2005, 1, 1)))


def test_duplicate_line_same_source_and_origin_refused(run: Calculate) -> None:
    assert rejected(run, COAL, COAL)["lines[1]"] == "line.duplicate"


def test_same_source_from_resolution_and_by_hand_is_allowed(run: Calculate) -> None:
    resolved = ActivityLine("fuel.bituminous_coal", Decimal(100), "t", origin=LineOrigin.RESOLVED)
    assert run(COAL, resolved).lines[1].origin is LineOrigin.RESOLVED


def test_unknown_sub_industry(run: Calculate) -> None:
    assert rejected(run, COAL, industry="3000")["sub_industry_code"] == "industry.unknown"


def test_source_not_listed_for_the_sub_industry_is_a_warning(run: Calculate) -> None:
    result = run(ActivityLine("process.na2co3", Decimal(10), "t"), industry="1713")
    assert [(w.code, w.severity) for w in result.warnings] == [("line.source_not_listed", Severity.WARNING)]
    assert result.total_emissions_tco2 == Decimal("4.152")


def test_all_errors_are_reported_at_once(run: Calculate) -> None:
    errors = rejected(
        run,
        ActivityLine("fuel.unobtainium", Decimal(1), "t"),
        ActivityLine("fuel.diesel", Decimal(-1), "t"),
        added_value=Decimal(0),
        period="2009",
    )
    assert set(errors) == {"lines[0].source_code", "lines[1].quantity", "added_value_10k_cny", "period"}


def test_own_renewable_given_twice_must_agree(run: Calculate) -> None:
    own = ActivityLine("electricity.own_renewable", Decimal(100), "MWh")
    assert run(own, reductions=Reductions(own_renewable_mwh=Decimal(100))).neutralisation.own_renewable_mwh == 100
    errors = rejected(run, own, reductions=Reductions(own_renewable_mwh=Decimal(120)))
    assert errors["reductions.own_renewable_mwh"] == "reductions.own_renewable_conflict"


@pytest.mark.parametrize("field", ["ccer_tco2", "green_certificates_mwh", "sinks_tco2", "own_renewable_mwh"])
def test_negative_reductions_refused(run: Calculate, field: str) -> None:
    reductions = Reductions(**{field: Decimal(-1)})
    assert rejected(run, COAL, reductions=reductions)[f"reductions.{field}"] == "value.negative"


def test_green_certificates_beyond_purchases_warn(run: Calculate) -> None:
    result = run(
        ActivityLine("electricity.purchased", Decimal(10), "MWh"),
        reductions=Reductions(green_certificates_mwh=Decimal(20)),
    )
    assert "reductions.green_certificates_exceed_purchases" in {w.code for w in result.warnings}


def test_floats_never_enter_the_domain() -> None:
    with pytest.raises(TypeError):
        ActivityLine("fuel.diesel", 1.5, "t")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Reductions(ccer_tco2=1.0)  # type: ignore[arg-type]
