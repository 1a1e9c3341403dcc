"""Mapping template items to emission sources, and summing the months of a period exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from resolver_samples import activity_template_document, month_record

from carbonid_contracts.codes.period import Period
from carbonid_resolver.domain.errors import InvalidTemplateData, MissingMonths, UnmappedItems
from carbonid_resolver.domain.mapping import DEFAULT_RULES, MappingRule, map_period, require_all_months, rules_for
from carbonid_resolver.domain.template import parse_template, validate_record

TEMPLATE = parse_template(activity_template_document())
RULES = rules_for(DEFAULT_RULES, "3011", "C")


def test_quarter_sums_each_item_over_its_months() -> None:
    months = Period.parse("2025Q3").months()
    records = [
        validate_record(month_record(m, rawCoal=q, purchasedSteam=s, steamEnthalpy=h), TEMPLATE)
        for m, q, s, h in zip(
            months, ["1.001", "2.002", "3.003"], ["10.00", "30.00", "0.00"], ["2800", "3000", "9999"], strict=True
        )
    ]
    lines, production = map_period(TEMPLATE, records, RULES, industry="3011")
    by_source = {line.source_code: line for line in lines}
    assert by_source["fuel.bituminous_coal"].quantity == Decimal("6.006")
    assert by_source["fuel.bituminous_coal"].unit == "t"
    assert by_source["electricity.purchased"].quantity == Decimal("300.000")
    assert by_source["steam.purchased"].quantity == Decimal("40.00")
    # enthalpy is an intensive parameter: weighted by tonnes, not summed (the 0 t month does not count)
    assert by_source["steam.enthalpy"].quantity == Decimal("2950")
    assert by_source["fuel.bituminous_coal"].handles == tuple(f"88.118.8/energy.{m}" for m in months)
    assert [(p.item_code, p.quantity) for p in production] == [("industrialAddedValue", Decimal("30.00"))]


@given(st.lists(st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False), min_size=1, max_size=12))
def test_sum_is_exact(quantities: list[Decimal]) -> None:
    months = [f"2025-{n:02d}" for n in range(1, len(quantities) + 1)]
    records = [
        validate_record(month_record(m, rawCoal=format(q, "f")), TEMPLATE)
        for m, q in zip(months, quantities, strict=True)
    ]
    lines, _ = map_period(TEMPLATE, records, RULES, industry="3011")
    coal = next(line for line in lines if line.source_code == "fuel.bituminous_coal")
    assert coal.quantity == sum(quantities, Decimal(0))


def test_item_without_a_rule_fails_the_mapping() -> None:
    rules = {k: v for k, v in RULES.items() if k != "rawCoal"}
    records = [validate_record(month_record("2025-07", rawCoal="1.000"), TEMPLATE)]
    with pytest.raises(UnmappedItems) as exc:
        map_period(TEMPLATE, records, rules, industry="3011")
    assert exc.value.items == ["rawCoal"]


def test_rule_unit_must_match_the_template_unit() -> None:
    rules = {**RULES, "rawCoal": MappingRule("*", "rawCoal", "fuel.bituminous_coal", "kg")}
    records = [validate_record(month_record("2025-07", rawCoal="1.000"), TEMPLATE)]
    with pytest.raises(InvalidTemplateData) as exc:
        map_period(TEMPLATE, records, rules, industry="3011")
    assert exc.value.errors[0].code == "unit-mismatch"


def test_most_specific_industry_rule_wins() -> None:
    rules = [
        MappingRule("*", "rawCoal", "fuel.bituminous_coal", "t"),
        MappingRule("C", "rawCoal", "fuel.raw_coal", "t"),
        MappingRule("30", "rawCoal", "fuel.lignite", "t"),
        MappingRule("3011", "rawCoal", "fuel.anthracite", "t"),
        MappingRule("3120", "rawCoal", "fuel.coke", "t"),
    ]
    assert rules_for(rules, "3011", "C")["rawCoal"].source_code == "fuel.anthracite"
    assert rules_for(rules, "3041", "C")["rawCoal"].source_code == "fuel.lignite"
    assert rules_for(rules, "2211", "C")["rawCoal"].source_code == "fuel.raw_coal"
    assert rules_for(rules, "4411", "D")["rawCoal"].source_code == "fuel.bituminous_coal"


def test_missing_months_are_listed() -> None:
    months = Period.parse("2025H1").months()
    records = {m: validate_record(month_record(m), TEMPLATE) for m in months if m not in ("2025-02", "2025-05")}
    handles = {m: f"88.118.8/energy.{m}" for m in months}
    with pytest.raises(MissingMonths) as exc:
        require_all_months(months, records, handles)
    assert exc.value.months == ["2025-02", "2025-05"]
    assert exc.value.handles == ["88.118.8/energy.2025-02", "88.118.8/energy.2025-05"]


def test_default_rules_use_units_the_template_declares() -> None:
    for item in TEMPLATE.items:
        rule = RULES.get(item.code)
        if rule is not None and rule.unit is not None:
            assert rule.unit == item.unit, item.code
