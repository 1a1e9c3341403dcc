"""Fixtures of the calculator domain tests: the packaged reference data, parsed once per session."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

# The calculator distribution may not be installed in the shared environment yet; its sources are importable
# from the src layout. Harmless once it is installed (the installed path points to the same files).
_SRC = Path(__file__).resolve().parents[2] / "src"
if str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

from carbonid_calculator.data import DEFAULT_FACTOR_SET, ReferenceData, load_reference_data  # noqa: E402
from carbonid_calculator.domain import (  # noqa: E402
    ActivityLine,
    CalculationInput,
    CalculationResult,
    CalculationSettings,
    EmissionFactorSet,
    Reductions,
    calculate,
)
from carbonid_contracts.codes.period import Period  # noqa: E402

AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return load_reference_data()


@pytest.fixture(scope="session")
def factor_set(reference: ReferenceData) -> EmissionFactorSet:
    return reference.factors.get(DEFAULT_FACTOR_SET)


Calculate = Callable[..., CalculationResult]


@pytest.fixture(scope="session")
def run(reference: ReferenceData, factor_set: EmissionFactorSet) -> Calculate:
    """Calculate for a sub-industry (default cement 3011, year 2022) with the given lines and reductions."""

    def _run(
        *lines: ActivityLine,
        industry: str = "3011",
        period: str = "2022",
        added_value: Decimal = Decimal(10000),
        reductions: Reductions | None = None,
        settings: CalculationSettings | None = None,
        factors: EmissionFactorSet | None = None,
    ) -> CalculationResult:
        inputs = CalculationInput(
            sub_industry_code=industry,
            period=Period.parse(period),
            added_value_10k_cny=added_value,
            lines=tuple(lines),
            reductions=reductions or Reductions(),
        )
        return calculate(
            inputs,
            taxonomy=reference.taxonomy,
            factor_set=factors or factor_set,
            bounds=reference.bounds,
            settings=settings,
            as_of=AS_OF,
        )

    return _run


@pytest.fixture(scope="session")
def reference_factors() -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """NCV, CC, OF of the fuels the property tests draw, written out (DOMAIN §1) rather than read back."""
    return {
        "fuel.bituminous_coal": (Decimal("23.204"), Decimal("0.02618"), Decimal("0.93")),
        "fuel.natural_gas": (Decimal("389.31"), Decimal("0.01530"), Decimal("0.99")),
        "fuel.diesel": (Decimal("43.33"), Decimal("0.02020"), Decimal("0.98")),
        "fuel.coke": (Decimal("28.446"), Decimal("0.02940"), Decimal("0.93")),
    }
