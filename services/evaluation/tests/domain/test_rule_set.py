"""Rule-set documents: the bundled one, and the validation an operator's new version goes through."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest

from carbonid_evaluation.data import bundled_rule_set_keys, load_bundled_rule_set
from carbonid_evaluation.domain.errors import RuleSetInvalidError
from carbonid_evaluation.domain.rule_set import CarbonLevel, parse_rule_set, rule_set_from_json


def _document() -> dict[str, Any]:
    raw = resources.files("carbonid_evaluation.data").joinpath("rule-sets", "zhejiang-2022.v1.json").read_bytes()
    document: dict[str, Any] = json.loads(raw)
    return document


def _problem_fields(document: dict[str, Any]) -> list[str]:
    with pytest.raises(RuleSetInvalidError) as caught:
        parse_rule_set(document)
    assert caught.value.code == "rule-set-invalid"
    assert caught.value.message_zh
    assert caught.value.message_en
    for problem in caught.value.problems:
        assert problem.message_zh
        assert problem.message_en
    return [p.field for p in caught.value.problems]


def test_bundled_rule_set_has_the_domain_figures() -> None:
    rule_set = load_bundled_rule_set()
    assert bundled_rule_set_keys() == ["zhejiang-2022/v1"]
    assert rule_set.key == "zhejiang-2022/v1"
    assert [b.k_max for b in rule_set.grade_bands] == [
        Decimal("0.6"),
        Decimal("0.8"),
        Decimal("1.2"),
        Decimal("2.0"),
        None,
    ]
    assert [b.colour for b in rule_set.grade_bands] == ["#1A7F37", "#57AB5A", "#D4A72C", "#E16F24", "#CF222E"]
    assert [(b.level, b.l_max) for b in rule_set.level_bands] == [
        (CarbonLevel.LOW, Decimal("0.6")),
        (CarbonLevel.MEDIUM, Decimal("2.0")),
        (CarbonLevel.HIGH, None),
    ]
    assert [b.label.zh for b in rule_set.level_bands] == ["低碳", "中碳", "高碳"]
    assert rule_set.benchmark.minimum_sample_size == 5
    assert rule_set.benchmark.national_scope == "100000"
    assert rule_set.neutralisation.cap == Decimal(1)
    assert rule_set.certificate_validity_months == 12
    ids = [q.id for q in rule_set.questionnaire.questions]
    assert {"energy_management_system", "energy_metering", "renewable_energy_use", "energy_audit"} <= set(ids)
    assert {"carbon_management_staff", "carbon_reduction_targets", "green_factory"} <= set(ids)
    ems = rule_set.questionnaire.question("energy_management_system")
    assert ems is not None
    assert ems.reference is not None
    assert "ISO 50001" in ems.reference
    yes = ems.option("yes")
    assert yes is not None
    assert yes.evidence_required
    assert rule_set.questionnaire.max_score == Decimal(100)


def test_digest_ignores_key_order_and_whitespace_but_not_content() -> None:
    document = _document()
    reordered = dict(reversed(list(document.items())))
    assert parse_rule_set(reordered).digest == parse_rule_set(document).digest
    assert rule_set_from_json(json.dumps(document, indent=4)).digest == parse_rule_set(document).digest
    changed = copy.deepcopy(document)
    changed["grade_bands"][0]["colour"] = "#1A7F38"
    assert parse_rule_set(changed).digest != parse_rule_set(document).digest


def test_bands_must_strictly_increase() -> None:
    document = _document()
    document["grade_bands"][2]["k_max"] = "0.8"
    document["level_bands"][1]["l_max"] = "0.5"
    assert _problem_fields(document) == ["/grade_bands/2/k_max", "/level_bands/1/l_max"]


def test_last_band_must_be_open_and_only_the_last() -> None:
    document = _document()
    document["grade_bands"][4]["k_max"] = "9"
    document["level_bands"][0]["l_max"] = None
    assert _problem_fields(document) == ["/grade_bands/4/k_max", "/level_bands/0/l_max"]


@pytest.mark.parametrize("colour", ["1A7F37", "#1A7F3", "#GGGGGG", "green", ""])
def test_colour_must_be_hex(colour: str) -> None:
    document = _document()
    document["grade_bands"][0]["colour"] = colour
    assert _problem_fields(document) == ["/grade_bands/0/colour"]


def test_colours_must_differ() -> None:
    document = _document()
    document["grade_bands"][1]["colour"] = document["grade_bands"][0]["colour"].lower()
    assert _problem_fields(document) == ["/grade_bands"]


def test_floats_are_refused_and_decimal_json_numbers_accepted() -> None:
    document = _document()
    document["grade_bands"][0]["k_max"] = 0.6
    assert _problem_fields(document) == ["/grade_bands/0/k_max"]
    text = json.dumps(_document()).replace('"k_max": "0.6"', '"k_max": 0.6')
    assert rule_set_from_json(text).grade_bands[0].k_max == Decimal("0.6")


def test_bound_may_not_be_finer_than_the_display() -> None:
    document = _document()
    document["grade_bands"][0]["k_max"] = "0.60001"
    assert _problem_fields(document) == ["/grade_bands/0/k_max"]


def test_grades_numbered_in_order_and_levels_named() -> None:
    document = _document()
    document["grade_bands"][1]["grade"] = 3
    document["level_bands"][2]["level"] = "very-high"
    assert _problem_fields(document) == ["/grade_bands/1/grade", "/level_bands/2/level"]


def test_neutralisation_and_benchmark_parameters_are_checked() -> None:
    document = _document()
    document["neutralisation"]["cap"] = "1.5"
    document["neutralisation"]["components"] = ["ccer", "ccer", "trees"]
    document["benchmark"]["minimum_sample_size"] = 0
    document["benchmark"]["national_scope"] = "CN"
    document["certificate"]["validity_months"] = True
    assert _problem_fields(document) == [
        "/benchmark/minimum_sample_size",
        "/benchmark/national_scope",
        "/neutralisation/cap",
        "/neutralisation/components/1",
        "/neutralisation/components/2",
        "/certificate/validity_months",
    ]


def test_questionnaire_is_checked() -> None:
    document = _document()
    questions = document["questionnaire"]["questions"]
    questions[1]["id"] = questions[0]["id"]
    questions[2]["options"] = [questions[2]["options"][0]]
    questions[3]["options"][0]["score"] = "-5"
    questions[4]["kind"] = "free_text"
    assert _problem_fields(document) == [
        "/questionnaire/questions/1/id",
        "/questionnaire/questions/2/options",
        "/questionnaire/questions/3/options/0/score",
        "/questionnaire/questions/4/kind",
    ]


def test_schema_id_and_version_are_checked() -> None:
    document = _document()
    document["schema"] = "carbonid.rule-set/0"
    document["id"] = "Zhejiang 2022"
    document["version"] = "1.0"
    document["effective_from"] = "2022-13-01"
    assert _problem_fields(document) == ["/schema", "/id", "/version", "/effective_from"]


def test_not_json_is_refused() -> None:
    with pytest.raises(RuleSetInvalidError):
        rule_set_from_json("{not json")
    with pytest.raises(RuleSetInvalidError):
        rule_set_from_json("[]")


def test_bundled_loader_rejects_bad_keys() -> None:
    with pytest.raises(ValueError, match="rule set key"):
        load_bundled_rule_set("../etc/passwd")
    with pytest.raises(LookupError):
        load_bundled_rule_set("zhejiang-1999/v1")
