"""Throughput of the calculator's domain core on a realistic 12-line calculation (validation, pricing, trace,
hash included). Run: ``.venv/bin/python services/calculator/bench/bench_domain.py [seconds]``.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from carbonid_calculator.data import DEFAULT_FACTOR_SET, load_reference_data
from carbonid_calculator.domain import (
    ActivityLine,
    CalculationInput,
    LineOrigin,
    MeasuredFuelParameters,
    Reductions,
    calculate,
)
from carbonid_contracts.codes.period import Period

LINES = (
    ActivityLine("fuel.bituminous_coal", Decimal(52000), "t", origin=LineOrigin.RESOLVED),
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


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    reference = load_reference_data()
    factor_set = reference.factors.get(DEFAULT_FACTOR_SET)
    inputs = CalculationInput(
        sub_industry_code="3011",
        period=Period.parse("2023"),
        added_value_10k_cny=Decimal("185000"),
        lines=LINES,
        reductions=Reductions(ccer_tco2=Decimal(5000), green_certificates_mwh=Decimal(8000), sinks_tco2=Decimal(120)),
    )
    as_of = date(2024, 6, 30)

    def once() -> None:
        calculate(inputs, taxonomy=reference.taxonomy, factor_set=factor_set, bounds=reference.bounds, as_of=as_of)

    for _ in range(200):  # warm-up
        once()
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            once()
        count += 100
    result = calculate(inputs, taxonomy=reference.taxonomy, factor_set=factor_set, bounds=reference.bounds, as_of=as_of)
    print(f"12-line calculation: {count / elapsed:,.0f} calculations/s ({elapsed / count * 1e6:,.0f} µs each)")
    print(f"  {len(result.trace)} trace steps, total {result.presented_summary()['total_emissions_tco2']} t CO2")


if __name__ == "__main__":
    main()
