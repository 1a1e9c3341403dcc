"""Emission-factor library: versioned factor sets whose every row names its source document, table and version.

A factor set (``family/version``, e.g. ``ndrc-2013-guideline/v1``) bundles the fuel parameters (NCV, CC, OF),
grid electricity factors, the heat factor, process (carbonate) factors and standard-coal coefficients. Several
families and versions live side by side; a calculation records the set it used.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from carbonid_calculator.domain.errors import FactorNotFoundError, ReferenceDataError, UnknownUnitError
from carbonid_calculator.domain.units import Unit, parse_unit


@dataclass(frozen=True)
class FactorSource:
    """Where a factor comes from: the document, the table in it, and the row version in our library."""

    document: str
    table: str
    version: str


@dataclass(frozen=True)
class FuelParameters:
    """Default NCV (GJ per default unit), carbon content CC (tC/GJ) and oxidation rate OF of one fuel."""

    source_code: str
    ncv: Decimal
    ncv_unit: str
    carbon_content_tc_per_gj: Decimal
    oxidation_rate: Decimal
    source: FactorSource
    assumption: bool = False
    note: str = ""


class GridSeries(StrEnum):
    AVERAGE = "average"
    AVERAGE_EXCLUDING_MARKET_NON_FOSSIL = "average_excluding_market_non_fossil"
    CARBON_MARKET_REPORTING = "carbon_market_reporting"


class GridLevel(StrEnum):
    NATIONAL = "national"
    REGIONAL = "regional"
    PROVINCIAL = "provincial"


_SERIES_NAMES = {
    GridSeries.AVERAGE: ("电力平均二氧化碳排放因子", "average electricity CO2 emission factor"),
    GridSeries.AVERAGE_EXCLUDING_MARKET_NON_FOSSIL: (
        "电力平均二氧化碳排放因子（不包括市场化交易的非化石能源电量）",
        "average electricity CO2 factor excluding market-traded non-fossil power",
    ),
    GridSeries.CARBON_MARKET_REPORTING: ("碳市场报告用电网排放因子", "carbon-market reporting grid factor"),
}


@dataclass(frozen=True)
class GridFactor:
    """Grid electricity factor (t CO2/MWh) of one series, region and year."""

    series: GridSeries
    level: GridLevel
    region_code: str
    region_name_zh: str
    year: int
    tco2_per_mwh: Decimal
    source: FactorSource
    note: str = ""


@dataclass(frozen=True)
class HeatFactor:
    """Purchased/exported heat factor (t CO2/GJ); steam uses it after conversion to GJ."""

    tco2_per_gj: Decimal
    source: FactorSource
    note: str = ""


@dataclass(frozen=True)
class ProcessFactor:
    """Stoichiometric CO2 released per tonne of a carbonate or carbon input (t CO2/t)."""

    source_code: str
    tco2_per_t: Decimal
    source: FactorSource
    note: str = ""


@dataclass(frozen=True)
class StandardCoalCoefficient:
    """Tonnes of standard coal per ``unit`` of a source (GB/T 2589); ``basis``: table, choice or derived."""

    source_code: str
    tce_per_unit: Decimal
    unit: Unit
    as_published: str
    basis: str
    source: FactorSource
    note: str = ""


@dataclass(frozen=True)
class GridFactorPolicy:
    """DOMAIN §1 choice, a per-deployment setting: which grid series, region level and region apply.

    ``year=None`` (default) takes the reporting year, falling back to the latest published year before it,
    else the earliest published one; a pinned ``year`` must exist.
    """

    series: GridSeries = GridSeries.AVERAGE
    level: GridLevel = GridLevel.NATIONAL
    region_code: str = "CN"
    year: int | None = None


@dataclass(frozen=True)
class GridFactorChoice:
    """The grid factor a calculation used, and why (the result states it).

    ``fell_back`` is true whenever the factor is not of the reporting year (unpublished year or pinned year).
    """

    factor: GridFactor
    policy: GridFactorPolicy
    requested_year: int
    fell_back: bool
    explanation_zh: str
    explanation_en: str


_KeyedRow = TypeVar("_KeyedRow", FuelParameters, ProcessFactor, StandardCoalCoefficient)
_Row = TypeVar("_Row", FuelParameters, GridFactor, HeatFactor, ProcessFactor, StandardCoalCoefficient)


@dataclass(frozen=True)
class EmissionFactorSet:
    """One versioned factor set. Lookups raise FactorNotFoundError with a bilingual message."""

    family: str
    version: str
    name_zh: str
    name_en: str
    fuel_parameters: tuple[FuelParameters, ...]
    grid_factors: tuple[GridFactor, ...]
    heat_factor: HeatFactor
    process_factors: tuple[ProcessFactor, ...]
    standard_coal: tuple[StandardCoalCoefficient, ...]
    _fuel: dict[str, FuelParameters] = field(init=False, repr=False, compare=False)
    _process: dict[str, ProcessFactor] = field(init=False, repr=False, compare=False)
    _coal: dict[str, StandardCoalCoefficient] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fuel", _index(self.fuel_parameters, "fuel_parameters", self.id))
        object.__setattr__(self, "_process", _index(self.process_factors, "process", self.id))
        object.__setattr__(self, "_coal", _index(self.standard_coal, "standard_coal", self.id))
        keys = [(g.series, g.level, g.region_code, g.year) for g in self.grid_factors]
        if len(set(keys)) != len(keys):
            raise ReferenceDataError(f"因子集 {self.id} 电网因子重复", f"factor set {self.id}: duplicate grid factor")

    @property
    def id(self) -> str:
        """``family/version``: what a calculation records as its factor-set version."""
        return f"{self.family}/{self.version}"

    def fuel(self, source_code: str) -> FuelParameters:
        """Default NCV/CC/OF of a fuel or biomass source."""
        return _lookup(self._fuel, source_code, self.id, "燃料参数", "fuel parameters")

    def process(self, source_code: str) -> ProcessFactor:
        """Stoichiometric factor of a process source."""
        return _lookup(self._process, source_code, self.id, "过程排放因子", "process factor")

    def standard_coal_for(self, source_code: str) -> StandardCoalCoefficient | None:
        """Standard-coal coefficient of a source, None where energy use is not defined (process, renewables)."""
        return self._coal.get(source_code)

    def grid_factor(self, reporting_year: int, policy: GridFactorPolicy) -> GridFactorChoice:
        """The grid factor per the deployment ``policy`` for ``reporting_year`` (DOMAIN §1 choice)."""
        candidates = [
            g
            for g in self.grid_factors
            if g.series is policy.series and g.level is policy.level and g.region_code == policy.region_code
        ]
        target = policy.year if policy.year is not None else reporting_year
        exact = [g for g in candidates if g.year == target]
        zh_series, en_series = _SERIES_NAMES[policy.series]
        if exact:
            chosen = exact[0]
            reason_zh, reason_en = "报告年份", "the reporting year"
            if policy.year is not None:
                reason_zh, reason_en = "部署设定的固定年份", "the year pinned by the deployment"
        elif candidates and policy.year is None:
            earlier = [g for g in candidates if g.year < target]
            chosen = max(earlier, key=lambda g: g.year) if earlier else min(candidates, key=lambda g: g.year)
            reason_zh = f"报告年份 {target} 未发布，取{'此前最近' if earlier else '最早'}发布年份"
            reason_en = f"{target} not published, {'latest earlier' if earlier else 'earliest'} published year used"
        else:
            raise FactorNotFoundError(
                f"因子集 {self.id} 中无 {zh_series}（{policy.level.value} {policy.region_code} {target}）",
                f"factor set {self.id} has no {en_series} for {policy.level.value} {policy.region_code} {target}",
                field="grid_policy",
            )
        return GridFactorChoice(
            factor=chosen,
            policy=policy,
            requested_year=reporting_year,
            fell_back=chosen.year != reporting_year,
            explanation_zh=f"采用{chosen.region_name_zh} {chosen.year} 年{zh_series}（{reason_zh}）",
            explanation_en=f"{en_series}, {chosen.region_code} {chosen.year} ({reason_en})",
        )


def _index(rows: tuple[_KeyedRow, ...], table: str, set_id: str) -> dict[str, _KeyedRow]:
    index = {r.source_code: r for r in rows}
    if len(index) != len(rows):
        raise ReferenceDataError(f"因子集 {set_id} 的 {table} 行重复", f"factor set {set_id}: duplicate {table} rows")
    return index


def _lookup(index: Mapping[str, _KeyedRow], code: str, set_id: str, zh: str, en: str) -> _KeyedRow:
    try:
        return index[code]
    except KeyError:
        raise FactorNotFoundError(
            f"因子集 {set_id} 中无 {code} 的{zh}", f"factor set {set_id} has no {en} for {code}", field="source_code"
        ) from None


# --- parsing the data files (pure: text in, rows out, so the service can load them into its database) ---


@dataclass(frozen=True)
class FactorTableTexts:
    """The texts of the factor data files (``data/factors/``), as read by the caller."""

    factor_sets_json: str
    fuel_parameters_csv: str
    grid_electricity_csv: str
    heat_csv: str
    process_csv: str
    standard_coal_csv: str


@dataclass(frozen=True)
class FactorLibrary:
    """All factor sets, by id (``family/version``), in manifest order."""

    sets: Mapping[str, EmissionFactorSet]

    def get(self, set_id: str) -> EmissionFactorSet:
        try:
            return self.sets[set_id]
        except KeyError:
            raise FactorNotFoundError(
                f"未知排放因子集：{set_id!r}", f"unknown emission factor set: {set_id!r}", field="factor_set"
            ) from None


def _rows(text: str, required: Iterable[str], table: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = set(required) - set(reader.fieldnames or ())
    if missing:
        raise ReferenceDataError(f"{table} 缺少列 {sorted(missing)}", f"{table}: missing columns {sorted(missing)}")
    return list(reader)


def _decimal(text: str, table: str, column: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ReferenceDataError(
            f"{table}.{column} 不是数值：{text!r}", f"{table}.{column}: not a number {text!r}"
        ) from None
    if not value.is_finite() or value <= 0:
        raise ReferenceDataError(f"{table}.{column} 须为正数：{text!r}", f"{table}.{column}: must be positive {text!r}")
    return value


_SOURCE_COLUMNS = ("version", "document", "table")


def _source(row: Mapping[str, str]) -> FactorSource:
    return FactorSource(document=row["document"], table=row["table"], version=row["version"])


def parse_fuel_parameters(text: str) -> tuple[FuelParameters, ...]:
    """Rows of ``fuel_parameters.csv``."""
    table = "fuel_parameters"
    cols = (*_SOURCE_COLUMNS, "source_code", "ncv", "ncv_unit", "carbon_content_tc_per_gj", "oxidation_rate")
    result = []
    for r in _rows(text, (*cols, "assumption", "note"), table):
        oxidation = _decimal(r["oxidation_rate"], table, "oxidation_rate")
        if oxidation > 1:
            raise ReferenceDataError(
                f"{table}: 碳氧化率大于 1", f"{table}: oxidation rate above 1 ({r['source_code']})"
            )
        result.append(
            FuelParameters(
                source_code=r["source_code"],
                ncv=_decimal(r["ncv"], table, "ncv"),
                ncv_unit=r["ncv_unit"],
                carbon_content_tc_per_gj=_decimal(r["carbon_content_tc_per_gj"], table, "carbon_content_tc_per_gj"),
                oxidation_rate=oxidation,
                source=_source(r),
                assumption=r["assumption"].strip().lower() == "true",
                note=r["note"],
            )
        )
    return tuple(result)


def parse_grid_factors(text: str) -> tuple[GridFactor, ...]:
    """Rows of ``grid_electricity.csv``."""
    table = "grid_electricity"
    cols = (*_SOURCE_COLUMNS, "series", "level", "region_code", "region_name_zh", "year", "tco2_per_mwh", "note")
    try:
        return tuple(
            GridFactor(
                series=GridSeries(r["series"]),
                level=GridLevel(r["level"]),
                region_code=r["region_code"],
                region_name_zh=r["region_name_zh"],
                year=int(r["year"]),
                tco2_per_mwh=_decimal(r["tco2_per_mwh"], table, "tco2_per_mwh"),
                source=_source(r),
                note=r["note"],
            )
            for r in _rows(text, cols, table)
        )
    except ValueError as exc:
        raise ReferenceDataError(f"{table} 数据无效：{exc}", f"{table}: invalid data: {exc}") from exc


def parse_heat_factors(text: str) -> tuple[HeatFactor, ...]:
    """Rows of ``heat.csv``."""
    cols = (*_SOURCE_COLUMNS, "tco2_per_gj", "note")
    return tuple(
        HeatFactor(_decimal(r["tco2_per_gj"], "heat", "tco2_per_gj"), _source(r), r["note"])
        for r in _rows(text, cols, "heat")
    )


def parse_process_factors(text: str) -> tuple[ProcessFactor, ...]:
    """Rows of ``process.csv``."""
    cols = (*_SOURCE_COLUMNS, "source_code", "tco2_per_t", "note")
    return tuple(
        ProcessFactor(r["source_code"], _decimal(r["tco2_per_t"], "process", "tco2_per_t"), _source(r), r["note"])
        for r in _rows(text, cols, "process")
    )


def parse_standard_coal(text: str) -> tuple[StandardCoalCoefficient, ...]:
    """Rows of ``standard_coal.csv``."""
    table = "standard_coal"
    cols = (*_SOURCE_COLUMNS, "source_code", "tce_per_unit", "unit", "as_published", "basis", "note")
    try:
        return tuple(
            StandardCoalCoefficient(
                source_code=r["source_code"],
                tce_per_unit=_decimal(r["tce_per_unit"], table, "tce_per_unit"),
                unit=parse_unit(r["unit"]),
                as_published=r["as_published"],
                basis=r["basis"],
                source=_source(r),
                note=r["note"],
            )
            for r in _rows(text, cols, table)
        )
    except UnknownUnitError as exc:
        raise ReferenceDataError(f"{table}: {exc.message_zh}", f"{table}: {exc.message_en}") from exc


def _select(rows: tuple[_Row, ...], versions: list[str], table: str) -> tuple[_Row, ...]:
    known = {r.source.version for r in rows}
    unknown = [v for v in versions if v not in known]
    if unknown:
        raise ReferenceDataError(f"{table} 中无版本 {unknown}", f"{table}: no rows of version(s) {unknown}")
    wanted = set(versions)
    return tuple(r for r in rows if r.source.version in wanted)


def parse_factor_library(texts: FactorTableTexts) -> FactorLibrary:
    """Parse all factor data files and assemble the factor sets the manifest ``factor_sets.json`` declares."""
    fuel = parse_fuel_parameters(texts.fuel_parameters_csv)
    grid = parse_grid_factors(texts.grid_electricity_csv)
    heat = parse_heat_factors(texts.heat_csv)
    process = parse_process_factors(texts.process_csv)
    coal = parse_standard_coal(texts.standard_coal_csv)
    try:
        manifest = json.loads(texts.factor_sets_json)
        sets: dict[str, EmissionFactorSet] = {}
        for entry in manifest["sets"]:
            tables: dict[str, list[str]] = entry["tables"]
            heat_rows = _select(heat, tables["heat"], "heat")
            if len(heat_rows) != 1:
                raise ReferenceDataError("每个因子集须恰有一个热力因子", "a factor set needs exactly one heat factor")
            factor_set = EmissionFactorSet(
                family=str(entry["family"]),
                version=str(entry["version"]),
                name_zh=str(entry["name_zh"]),
                name_en=str(entry["name_en"]),
                fuel_parameters=_select(fuel, tables["fuel_parameters"], "fuel_parameters"),
                grid_factors=_select(grid, tables["grid_electricity"], "grid_electricity"),
                heat_factor=heat_rows[0],
                process_factors=_select(process, tables["process"], "process"),
                standard_coal=_select(coal, tables["standard_coal"], "standard_coal"),
            )
            if factor_set.id in sets:
                raise ReferenceDataError(f"因子集 {factor_set.id} 重复", f"duplicate factor set {factor_set.id}")
            sets[factor_set.id] = factor_set
    except (KeyError, TypeError, ValueError) as exc:
        raise ReferenceDataError(f"因子集清单无效：{exc}", f"invalid factor set manifest: {exc}") from exc
    return FactorLibrary(sets)
