from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonid_calculator.domain import Presentation, present, present_str


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("305.47", Presentation.EMISSIONS_TCO2, "305.47"),
        ("536.6", Presentation.EMISSIONS_TCO2, "536.60"),
        ("0.005", Presentation.EMISSIONS_TCO2, "0.01"),  # half up, not half even
        ("0.015", Presentation.EMISSIONS_TCO2, "0.02"),
        ("0.025", Presentation.EMISSIONS_TCO2, "0.03"),  # half even would give 0.02
        ("-0.004", Presentation.EMISSIONS_TCO2, "0.00"),  # never a negative zero
        ("-1.005", Presentation.EMISSIONS_TCO2, "-1.01"),  # half away from zero
        ("0.08441234", Presentation.INTENSITY, "0.0844"),
        ("0.00005", Presentation.INTENSITY, "0.0001"),
        ("0.02618", Presentation.FACTOR, "0.02618"),  # published digits, never rounded
        ("1E+3", Presentation.ENERGY_TCE, "1000.00"),
    ],
)
def test_presentation_rounding(value: str, kind: Presentation, expected: str) -> None:
    assert present_str(Decimal(value), kind) == expected


values = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=8, allow_nan=False)


@given(values)
def test_presented_value_is_within_half_a_unit(value: Decimal) -> None:
    presented = present(value, Presentation.EMISSIONS_TCO2)
    assert abs(presented - value) <= Decimal("0.005")
    assert presented.as_tuple().exponent == -2


@given(values)
def test_presenting_twice_changes_nothing(value: Decimal) -> None:
    once = present(value, Presentation.INTENSITY)
    assert present(once, Presentation.INTENSITY) == once


@given(st.decimals(min_value=0, max_value=Decimal("1e6"), places=2))
def test_figures_already_at_two_places_are_unchanged(value: Decimal) -> None:
    assert present(value, Presentation.EMISSIONS_TCO2) == value
