"""Reference data shipped with the calculator (taxonomy, emission sources, factor tables, plausibility bounds).

``load_reference_data`` reads the packaged files and hands their text to the domain's pure parse functions;
it is the only place that touches these files, so the domain stays free of I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from carbonid_calculator.domain.factors import FactorLibrary, FactorTableTexts, parse_factor_library
from carbonid_calculator.domain.plausibility import PlausibilityBounds, parse_plausibility_bounds
from carbonid_calculator.domain.sources import EmissionSourceCatalogue, parse_emission_sources
from carbonid_calculator.domain.taxonomy import IndustryTaxonomy, parse_industry_taxonomy

DEFAULT_FACTOR_SET = "ndrc-2013-guideline/v1"


@dataclass(frozen=True)
class ReferenceData:
    catalogue: EmissionSourceCatalogue
    taxonomy: IndustryTaxonomy
    factors: FactorLibrary
    bounds: PlausibilityBounds


def read_text(name: str) -> str:
    """Text of a packaged data file, e.g. ``industries.json`` or ``factors/heat.csv``."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def factor_table_texts() -> FactorTableTexts:
    return FactorTableTexts(
        factor_sets_json=read_text("factors/factor_sets.json"),
        fuel_parameters_csv=read_text("factors/fuel_parameters.csv"),
        grid_electricity_csv=read_text("factors/grid_electricity.csv"),
        heat_csv=read_text("factors/heat.csv"),
        process_csv=read_text("factors/process.csv"),
        standard_coal_csv=read_text("factors/standard_coal.csv"),
    )


def load_reference_data() -> ReferenceData:
    """Parse every packaged reference file."""
    catalogue = parse_emission_sources(read_text("emission_sources.json"))
    return ReferenceData(
        catalogue=catalogue,
        taxonomy=parse_industry_taxonomy(read_text("industries.json"), catalogue),
        factors=parse_factor_library(factor_table_texts()),
        bounds=parse_plausibility_bounds(read_text("plausibility.csv")),
    )
