"""From a node's template items to the platform's emission sources, and the sums over a period.

Government users manage the mapping (metadata management): a rule says that, for enterprises of an
industry (a GB/T 4754 class, division or section, or ``*`` for all), the template item ``item_code`` is the
platform source ``source_code`` in ``unit``; a rule without a source code marks an item that is not an
emission source (dates, added value ...). The most specific industry wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from carbonid_resolver.domain.errors import InvalidTemplateData, ItemError, MissingMonths, UnmappedItems
from carbonid_resolver.domain.template import DATA_NUMBER, MetadataTemplate, ValidatedRecord

Aggregation = Literal["sum", "weighted_mean"]
ANY_INDUSTRY = "*"


@dataclass(frozen=True, slots=True)
class MappingRule:
    industry_code: str
    item_code: str
    source_code: str | None
    unit: str | None = None
    aggregation: Aggregation = "sum"
    weight_item: str | None = None
    """For ``weighted_mean``: the item whose quantities weight the monthly values (steam enthalpy by tonnes)."""

    def specificity(self, industry: str) -> int | None:
        """How closely this rule's industry matches ``industry`` (4-digit class best, ``*`` least)."""
        mine = self.industry_code
        if mine == ANY_INDUSTRY:
            return 0
        if industry == mine:
            return 10 + len(mine)
        if mine.isdigit() and industry.startswith(mine):
            return len(mine)
        return None


def rules_for(rules: Iterable[MappingRule], industry: str, section: str | None) -> dict[str, MappingRule]:
    """The rule that applies to each item code for an enterprise of ``industry`` (and GB/T 4754 ``section``)."""
    best: dict[str, tuple[int, MappingRule]] = {}
    for rule in rules:
        score = rule.specificity(industry)
        if score is None and section is not None and rule.industry_code == section:
            score = 1
        if score is None:
            continue
        current = best.get(rule.item_code)
        if current is None or score > current[0]:
            best[rule.item_code] = (score, rule)
    return {code: rule for code, (_, rule) in best.items()}


@dataclass(frozen=True, slots=True)
class ActivityLineResult:
    source_code: str
    item_code: str
    item_name: str
    quantity: Decimal
    unit: str
    handles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProductionFigure:
    """A numeric item that is not an emission source (e.g. industrial added value), summed over the period."""

    item_code: str
    item_name: str
    quantity: Decimal
    unit: str | None


def missing_months(months: Sequence[str], found: Iterable[str]) -> list[str]:
    have = set(found)
    return [m for m in months if m not in have]


def require_all_months(months: Sequence[str], records: dict[str, ValidatedRecord], handles: dict[str, str]) -> None:
    """Raise MissingMonths listing every month of the period without a record."""
    missing = missing_months(months, records)
    if missing:
        raise MissingMonths(missing, [handles[m] for m in missing])


def _quantize(value: Decimal, accuracy: int | None) -> Decimal:
    if accuracy is None or accuracy < 0:
        return value
    return value.quantize(Decimal(1).scaleb(-accuracy))


def map_period(
    template: MetadataTemplate,
    records: Sequence[ValidatedRecord],
    rules: dict[str, MappingRule],
    *,
    industry: str,
) -> tuple[list[ActivityLineResult], list[ProductionFigure]]:
    """Sum each mapped item over the period's monthly records (Decimal, exact), in template order.

    A numeric item with a value in any month but no rule fails the whole mapping (UnmappedItems), so that
    no energy use is silently dropped; a rule's unit must equal the template's unit for that item.
    """
    unmapped: list[str] = []
    unit_errors: list[ItemError] = []
    lines: list[ActivityLineResult] = []
    production: list[ProductionFigure] = []
    for item in template.items:
        if item.data_type != DATA_NUMBER:
            continue
        present = [r for r in records if item.code in r.numbers]
        if not present:
            continue
        rule = rules.get(item.code)
        if rule is None:
            unmapped.append(item.code)
            continue
        if rule.source_code is None:
            total = sum((r.numbers[item.code] for r in present), Decimal(0))
            production.append(ProductionFigure(item.code, item.name_zh, total, item.unit))
            continue
        if rule.unit is not None and item.unit is not None and rule.unit != item.unit:
            unit_errors.append(
                ItemError(
                    f"/templates/{template.handle}/{item.code}/unit",
                    "unit-mismatch",
                    f"数据项 {item.name_zh} 的单位 {item.unit} 与映射要求的 {rule.unit} 不一致",
                    f"item {item.code} is in {item.unit} but the mapping expects {rule.unit}",
                )
            )
            continue
        unit = item.unit or rule.unit
        if unit is None:
            unit_errors.append(
                ItemError(
                    f"/templates/{template.handle}/{item.code}/unit",
                    "unit-missing",
                    f"数据项 {item.name_zh} 没有单位",
                    f"item {item.code} has no unit",
                )
            )
            continue
        if rule.aggregation == "weighted_mean" and rule.weight_item:
            weights = [(r.numbers[item.code], r.numbers.get(rule.weight_item, Decimal(0))) for r in present]
            weight_total = sum((w for _, w in weights), Decimal(0))
            if weight_total > 0:
                quantity = sum((v * w for v, w in weights), Decimal(0)) / weight_total
            else:
                quantity = sum((v for v, _ in weights), Decimal(0)) / len(weights)
            quantity = _quantize(quantity, item.accuracy)
        else:
            quantity = sum((r.numbers[item.code] for r in present), Decimal(0))
        lines.append(
            ActivityLineResult(
                source_code=rule.source_code,
                item_code=item.code,
                item_name=item.name_zh,
                quantity=quantity,
                unit=unit,
                handles=tuple(r.handle for r in present),
            )
        )
    if unit_errors:
        raise InvalidTemplateData(template.handle, unit_errors)
    if unmapped:
        raise UnmappedItems(industry, unmapped)
    return lines, production


DEFAULT_RULES: tuple[MappingRule, ...] = (
    MappingRule(ANY_INDUSTRY, "electricityPurchased", "electricity.purchased", "MWh"),
    MappingRule(ANY_INDUSTRY, "electricityExported", "electricity.exported", "MWh"),
    MappingRule(ANY_INDUSTRY, "rawCoal", "fuel.bituminous_coal", "t"),
    MappingRule(ANY_INDUSTRY, "anthracite", "fuel.anthracite", "t"),
    MappingRule(ANY_INDUSTRY, "coke", "fuel.coke", "t"),
    MappingRule(ANY_INDUSTRY, "naturalGas", "fuel.natural_gas", "10^4 Nm3"),
    MappingRule(ANY_INDUSTRY, "diesel", "fuel.diesel", "t"),
    MappingRule(ANY_INDUSTRY, "gasoline", "fuel.gasoline", "t"),
    MappingRule(ANY_INDUSTRY, "fuelOil", "fuel.fuel_oil", "t"),
    MappingRule(ANY_INDUSTRY, "lpg", "fuel.lpg", "t"),
    MappingRule(ANY_INDUSTRY, "purchasedHeat", "heat.purchased", "GJ"),
    MappingRule(ANY_INDUSTRY, "purchasedSteam", "steam.purchased", "t"),
    MappingRule(ANY_INDUSTRY, "steamEnthalpy", "steam.enthalpy", "kJ/kg", "weighted_mean", "purchasedSteam"),
    MappingRule(ANY_INDUSTRY, "limestoneProcess", "process.caco3", "t"),
    MappingRule(ANY_INDUSTRY, "pvGeneration", "electricity.own_renewable", "MWh"),
    MappingRule(ANY_INDUSTRY, "electricityGenerated", None, "MWh"),
    MappingRule(ANY_INDUSTRY, "industrialAddedValue", None, "10^4 CNY"),
)
"""The default mapping for the platform's energy-activity template (88.118.1/META.ENERGY_ACTIVITY v1.0).

Source codes are the calculator's emission-source catalogue; ``steam.enthalpy`` is the enthalpy parameter
of purchased steam (averaged, weighted by tonnes), not a source of its own. Generation and added value are
reported as production figures, not activity lines.
"""
