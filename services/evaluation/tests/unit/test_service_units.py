"""Pure parts of the service: grid factor choice, evidence checks, step-2 figures, replay of stored inputs."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from evaluation_builders import ALL_NO, RULE_SET, benchmark, evaluation_input, figures
from hypothesis import given, settings
from hypothesis import strategies as st

from carbonid_evaluation.documents import json_object, result_document, steps_document
from carbonid_evaluation.domain.canonical import sha256_hex
from carbonid_evaluation.domain.evaluation import Reductions, evaluate, neutralisation_of
from carbonid_evaluation.domain.grid_factor import GridFactorSeries, choose_grid_factor
from carbonid_evaluation.domain.questionnaire import Answer
from carbonid_evaluation.domain.replay import inputs_from_document
from carbonid_evaluation.evidence import check_evidence, sniff_media_type
from carbonid_kit.problems import Problem

SERIES = GridFactorSeries("national-average", "mee/v1", {2021: Decimal("0.5568"), 2023: Decimal("0.5306")})


@pytest.mark.parametrize(
    ("year", "factor", "source"),
    [
        (2023, "0.5306", "national-average/2023@mee/v1"),
        (2025, "0.5306", "national-average/2023@mee/v1 (fallback for 2025)"),
        (2022, "0.5568", "national-average/2021@mee/v1 (fallback for 2022)"),
        (2019, "0.5568", "national-average/2021@mee/v1 (fallback for 2019)"),
    ],
)
def test_grid_factor_of_the_reporting_year_or_the_latest_before(year: int, factor: str, source: str) -> None:
    choice = choose_grid_factor(SERIES, year)
    assert (choice.factor_tco2_per_mwh, choice.source) == (Decimal(factor), source)


def test_empty_grid_factor_series_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        choose_grid_factor(GridFactorSeries("x", "v1", {}), 2023)


@pytest.mark.parametrize(
    ("content", "declared", "expected"),
    [
        (b"%PDF-1.7 ...", "application/pdf", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n....", "image/png", "image/png"),
        (b"\xff\xd8\xff\xe0....", "image/jpg", "image/jpeg"),
        (b"\xff\xd8\xff\xe0....", "application/octet-stream", "image/jpeg"),
        (b"%PDF-1.7 ...", None, "application/pdf"),
    ],
)
def test_accepted_evidence(content: bytes, declared: str | None, expected: str) -> None:
    assert check_evidence(content, declared, 1024) == expected


@pytest.mark.parametrize(
    ("content", "declared", "status"),
    [
        (b"", "application/pdf", 422),
        (b"%PDF-" + b"0" * 1024, "application/pdf", 413),
        (b"GIF89a....", "image/gif", 415),
        (b"%PDF-1.7", "image/png", 415),
        (b"<svg/>", "image/svg+xml", 415),
    ],
)
def test_refused_evidence(content: bytes, declared: str, status: int) -> None:
    with pytest.raises(Problem) as caught:
        check_evidence(content, declared, 1024)
    assert caught.value.status == status


def test_sniffing_ignores_what_the_name_claims() -> None:
    assert sniff_media_type(b"MZ\x90\x00") is None


decimals = st.decimals(min_value=Decimal(0), max_value=Decimal(100000), places=3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(gross=decimals, ccer=decimals, green=decimals, own=decimals, sinks=decimals)
def test_step_two_shows_what_the_computation_uses(
    gross: Decimal, ccer: Decimal, green: Decimal, own: Decimal, sinks: Decimal
) -> None:
    reductions = Reductions(ccer_tco2=ccer, green_certificates_mwh=green, own_renewable_mwh=own, sinks_tco2=sinks)
    fig = figures(str(gross), "1000", reductions=reductions)
    neutral = neutralisation_of(fig, RULE_SET)
    result = evaluate(evaluation_input(fig), RULE_SET, [benchmark("1.2")])
    assert result.exact.neutralisation_tco2 == neutral.neutralisation_tco2
    assert result.exact.net_emissions_tco2 == neutral.net_emissions_tco2
    assert result.exact.neutralisation_rate == neutral.rate


@settings(max_examples=60, deadline=None)
@given(gross=decimals, added=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**6), places=2), own=decimals)
def test_stored_inputs_recompute_to_the_same_hash_and_result(gross: Decimal, added: Decimal, own: Decimal) -> None:
    answers = {**ALL_NO, "energy_audit": Answer("yes", ("e-2", "e-1"))}
    fig = figures(str(gross), str(added), reductions=Reductions(own_renewable_mwh=own), reported_intensity="1.1")
    original = evaluate(
        evaluation_input(fig, answers=answers), RULE_SET, [benchmark("1.3"), benchmark("9", scope="330500", sample=2)]
    )
    # what the database keeps: the JSON document, decimals as strings, read back through JSON
    stored = json.loads(json.dumps(json_object(original.input_document)))
    assert sha256_hex(stored) == original.input_hash
    replay = inputs_from_document(stored)
    assert replay.rule_set_version == RULE_SET.key
    assert replay.rule_set_digest == RULE_SET.digest
    again = evaluate(replay.inputs, RULE_SET, [replay.benchmark])
    assert again.input_hash == original.input_hash
    assert result_document(again) | {"warnings": []} == result_document(original) | {"warnings": []}
    assert steps_document(again.steps) == steps_document(original.steps)


def test_replay_refuses_an_unknown_schema() -> None:
    from carbonid_evaluation.domain.errors import InvalidFiguresError

    with pytest.raises(InvalidFiguresError):
        inputs_from_document({"schema": "something-else/9"})


def test_evidence_directory_is_content_addressed(tmp_path: Path) -> None:
    import hashlib

    from carbonid_evaluation.evidence import EvidenceStore

    store = EvidenceStore(tmp_path)
    content = b"%PDF-1.7 evidence"
    sha = hashlib.sha256(content).hexdigest()
    store._write(sha, content)
    store._write(sha, content)  # a second upload of the same content writes nothing new
    assert (tmp_path / sha[:2] / sha).read_bytes() == content
    assert [p.name for p in (tmp_path / sha[:2]).iterdir()] == [sha]  # no temporary file left behind
