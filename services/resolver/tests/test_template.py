"""Validation of records against their metadata template."""

from __future__ import annotations

from decimal import Decimal

import pytest
from resolver_samples import activity_template_document, month_record, record

from carbonid_resolver.domain.errors import InvalidTemplateData
from carbonid_resolver.domain.records import NodeRecord, RecordValue
from carbonid_resolver.domain.template import parse_template, validate_record

TEMPLATE = parse_template(activity_template_document())


def codes(exc: pytest.ExceptionInfo[InvalidTemplateData]) -> dict[str, str]:
    return {e.pointer.rsplit("/", 1)[1]: e.code for e in exc.value.errors}


def test_valid_record_gives_decimals_and_texts() -> None:
    result = validate_record(month_record("2025-07", rawCoal="5562.259"), TEMPLATE)
    assert result.numbers["rawCoal"] == Decimal("5562.259")
    assert result.numbers["electricityPurchased"] == Decimal("100.000")
    assert result.texts["periodMonth"] == "2025-07"


def test_every_problem_is_reported_at_once() -> None:
    broken = record(
        "88.118.8/energy.2025-07",
        {
            "periodMonth": "2025-13",
            "enterpriseHandle": "88.118.8/ENTERPRISE",
            "rawCoal": "12,5",
            "purchasedSteam": "1.234",
            "steamEnthalpy": "-5",
            "somethingElse": "1",
        },
    )
    with pytest.raises(InvalidTemplateData) as exc:
        validate_record(broken, TEMPLATE)
    assert codes(exc) == {
        "periodMonth": "not-a-date",
        "electricityPurchased": "required",
        "industrialAddedValue": "required",
        "rawCoal": "not-a-number",
        "purchasedSteam": "accuracy",
        "steamEnthalpy": "negative",
        "somethingElse": "unknown-item",
    }
    assert all(e.zh and e.en for e in exc.value.errors)


def test_record_of_another_template_or_version_is_refused() -> None:
    attributes = {
        "periodMonth": "2025-07",
        "enterpriseHandle": "x",
        "electricityPurchased": "1",
        "industrialAddedValue": "1",
    }
    with pytest.raises(InvalidTemplateData) as exc:
        validate_record(record("h/1", attributes, template="88.1/OTHER", version="2.0"), TEMPLATE)
    assert codes(exc) == {"TEMPLATE_ID": "template-mismatch", "TEMPLATE": "template-version-mismatch"}


def test_value_at_the_wrong_index_is_refused() -> None:
    good = month_record("2025-07")
    moved = NodeRecord(good.handle, (*good.values, RecordValue(2999, "rawCoal", "1.000")))
    with pytest.raises(InvalidTemplateData) as exc:
        validate_record(moved, TEMPLATE)
    assert codes(exc) == {"rawCoal": "wrong-index"}


def test_template_with_an_unknown_unit_is_refused() -> None:
    document = activity_template_document()
    document["items"][2]["unit"] = "barrels"
    with pytest.raises(InvalidTemplateData) as exc:
        parse_template(document)
    assert exc.value.errors[0].code == "unknown-unit"


def test_document_without_items_is_not_a_template() -> None:
    with pytest.raises(InvalidTemplateData):
        parse_template({"handle": "88.1/X"})
