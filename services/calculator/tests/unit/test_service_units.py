"""Unit tests of the service's pure parts: file sniffing, pointers, factor bundles, report rendering, fonts."""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import asdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonid_calculator.data import DEFAULT_FACTOR_SET, factor_table_texts, load_reference_data
from carbonid_calculator.db import Calculation
from carbonid_calculator.domain import ActivityLine, CalculationInput, Reductions, ReferenceDataError, calculate
from carbonid_calculator.domain.calculation import order_free_sum
from carbonid_calculator.evidence_store import sniff_media_type
from carbonid_calculator.factor_library import TABLES, operator_bundle, packaged_bundles, parse_set
from carbonid_calculator.report.fonts import find_cjk_font, missing_font, require_cjk_font
from carbonid_calculator.report.html import render_html
from carbonid_calculator.report.model import report_model
from carbonid_calculator.serialize import result_json
from carbonid_calculator.workflow import pointer
from carbonid_contracts.codes.period import Period
from carbonid_kit.problems import Problem

REFERENCE = load_reference_data()


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"%PDF-1.7 ...", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        (_zip(["OFD.xml", "Doc_0/Document.xml"]), "application/ofd"),
        (_zip(["word/document.xml"]), None),  # a .docx is a ZIP too, but not an OFD
        (b"PK\x03\x04broken", None),
        (b"GIF89a", None),
        (b"<svg onload=alert(1)>", None),
        (b"MZ\x90\x00", None),
        (b"", None),
    ],
)
def test_evidence_type_is_decided_by_content(content: bytes, expected: str | None) -> None:
    assert sniff_media_type(content) == expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("lines[2].measured.ncv", "/lines/2/measured/ncv"),
        ("lines[10].quantity", "/lines/10/quantity"),
        ("reductions.ccer_tco2", "/reductions/ccer_tco2"),
        ("period", "/period"),
    ],
)
def test_domain_fields_become_json_pointers(field: str, expected: str) -> None:
    assert pointer(field) == expected


@given(
    st.lists(st.decimals(min_value=-(10**6), max_value=10**6, places=30, allow_nan=False), max_size=12), st.randoms()
)
def test_order_free_sum_ignores_order(values: list[Decimal], rnd: object) -> None:
    shuffled = list(values)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert order_free_sum(values) == order_free_sum(shuffled)


def test_packaged_bundles_round_trip_to_the_packaged_sets() -> None:
    for bundle in packaged_bundles():
        parsed = parse_set(bundle)
        assert parsed == REFERENCE.factors.get(parsed.id)


def test_operator_bundle_refuses_unknown_or_mispriced_sources() -> None:
    texts = asdict(factor_table_texts())
    csv_texts = {name: texts[f"{name}_csv"] for name in TABLES}
    versions = {"fuel_parameters": ["ndrc-2013-guideline/v1", "ipcc-2006-biomass/v1"]}
    _, ok = operator_bundle(
        "fam", "v1", "名", "name", csv_texts=csv_texts, catalogue=REFERENCE.catalogue, versions=versions
    )
    assert ok.fuel("fuel.diesel").ncv == Decimal("43.33")
    with pytest.raises(ReferenceDataError):  # both NCV families at once: duplicate rows
        operator_bundle("fam", "v1", "名", "name", csv_texts=csv_texts, catalogue=REFERENCE.catalogue)
    header = csv_texts["process"].splitlines()[0]
    bad = {**csv_texts, "process": f"{header}\nx/v1,fuel.diesel,0.5,doc,table,\n"}
    with pytest.raises(ReferenceDataError):  # a fuel priced as a process source
        operator_bundle("fam", "v1", "名", "name", csv_texts=bad, catalogue=REFERENCE.catalogue, versions=versions)


def _computed_calculation() -> Calculation:
    inputs = CalculationInput(
        sub_industry_code="3011",
        period=Period.parse("2023"),
        added_value_10k_cny=Decimal(20000),
        lines=(
            ActivityLine("fuel.bituminous_coal", Decimal(5000), "t"),
            ActivityLine("process.caco3", Decimal(90000), "t"),
            ActivityLine("electricity.purchased", Decimal(9000), "MWh"),
        ),
        reductions=Reductions(ccer_tco2=Decimal(100)),
    )
    result = calculate(
        inputs,
        taxonomy=REFERENCE.taxonomy,
        factor_set=REFERENCE.factors.get(DEFAULT_FACTOR_SET),
        bounds=REFERENCE.bounds,
        as_of=date(2024, 6, 30),
    )
    return Calculation(
        id=uuid.uuid4(),
        enterprise_id=uuid.uuid4(),
        region_code="330502",
        identifier_prefix="88.118.8",
        sub_industry_code="3011",
        period="2023",
        added_value_10k_cny=Decimal(20000),
        factor_set_id=DEFAULT_FACTOR_SET,
        state="computed",
        reductions={},
        result=result_json(result),
        input_hash=result.input_hash,
        computed_at=datetime.now(UTC),
    )


def test_html_report_is_self_contained_and_shows_the_trace() -> None:
    calc = _computed_calculation()
    model = report_model(calc, None, "水泥制造")
    html = render_html(model, b"\x89PNG-pie", b"\x89PNG-bar")
    assert "<script" not in html
    assert "http://" not in html  # no external assets
    assert "https://" not in html
    assert model.summary["total_emissions_tco2"] in html
    assert "E = FC × NCV × CC × OF × 44/12" in html
    for label in ("企业盖章", "负责人签字", "日期"):
        assert label in html
    assert html.count("<tr>") > len(calc.result["trace"])  # type: ignore[index]


def test_report_refuses_to_render_without_a_cjk_font(tmp_path: Path) -> None:
    find_cjk_font.cache_clear()
    with pytest.raises(Problem) as caught:
        require_cjk_font(None, (str(tmp_path),))
    assert caught.value.status == 503
    assert caught.value.slug == "report-font-missing"
    degraded = missing_font(None, (str(tmp_path),))  # said at start and in /health/ready, not only as a 503 later
    assert degraded is not None
    assert degraded.part == "reports"
    assert "fonts-noto-cjk" in degraded.detail_en


def test_the_simplified_chinese_face_of_the_noto_collection_is_chosen() -> None:
    font = find_cjk_font(None, ("/usr/share/fonts/opentype/noto",))
    if font is None:
        pytest.skip("fonts-noto-cjk is not installed here")
    from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

    collection = TTCollection(str(font.path), lazy=True)
    assert "SC" in str(collection.fonts[font.collection_index]["name"].getDebugName(4))
