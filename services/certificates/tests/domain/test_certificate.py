"""Certificate content, canonical form (RFC 8785) and status."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from certificates_builders import USCC, certificate

from carbonid_certificates.domain.canonical import canonical_json
from carbonid_certificates.domain.certificate import (
    CERTIFICATE_SCHEMA,
    Certificate,
    CertificateStatus,
    Revocation,
    RevocationReason,
    canonical_bytes,
    certificate_status,
    content_hash,
    valid_until_for,
)
from carbonid_certificates.domain.errors import CertificateInvalidError


def test_issue_builds_a_consistent_certificate() -> None:
    cert = certificate()
    assert cert.code.startswith("CE-330502-2025Q3-3-")
    assert cert.valid_until == date(2026, 10, 14)
    assert cert.uscc == USCC
    assert cert.grade_colour == "#D4A72C"


@pytest.mark.parametrize(
    ("issued", "months", "until"),
    [
        (date(2025, 10, 1), 12, date(2026, 9, 30)),
        (date(2025, 1, 31), 1, date(2025, 2, 27)),
        (date(2024, 2, 29), 12, date(2025, 2, 27)),
        (date(2025, 12, 15), 1, date(2026, 1, 14)),
        (date(2025, 3, 10), 24, date(2027, 3, 9)),
    ],
)
def test_valid_until(issued: date, months: int, until: date) -> None:
    assert valid_until_for(issued, months) == until


def test_canonical_form_is_sorted_compact_utf8_with_decimal_strings() -> None:
    cert = certificate()
    raw = canonical_bytes(cert)
    text = raw.decode("utf-8")
    assert "湖州绿能纺织有限公司" in text
    assert " " not in text.replace("湖州绿能纺织有限公司", "")
    assert '"neutralisation_rate":"0.1104"' in text
    assert '"total_emissions_tco2":"10000.0000"' in text
    assert '"grade":3' in text
    document = json.loads(raw)
    assert list(document) == sorted(document)
    assert document["schema"] == CERTIFICATE_SCHEMA
    assert content_hash(cert) == content_hash(certificate())
    assert len(content_hash(cert)) == 64


def test_jcs_rfc8785_key_order_and_escapes() -> None:
    # RFC 8785 §3.2.3 sorting example: keys compared as UTF-16 code units
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(canonical_json(value)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert canonical_json({"a": 'q"\\\n\x01\u2028é'}) == '{"a":"q\\"\\\\\\n\\u0001\u2028é"}'.encode()
    assert canonical_json([None, True, False, 0, -5, []]) == b"[null,true,false,0,-5,[]]"
    with pytest.raises(TypeError):
        canonical_json({"x": 0.5})
    with pytest.raises(TypeError):
        canonical_json({"x": Decimal("0.5")})
    with pytest.raises(ValueError, match="integer"):
        canonical_json(2**53)


def test_document_round_trip_keeps_the_exact_bytes() -> None:
    cert = certificate(uscc=None)
    again = Certificate.from_document(json.loads(canonical_bytes(cert)))
    assert again == cert
    assert canonical_bytes(again) == canonical_bytes(cert)


def test_from_document_refuses_wrong_shapes() -> None:
    document = certificate().to_document()
    for change in (
        {"schema": "other/1"},
        {"grade": "3"},
        {"neutralisation_rate": 0.1104},
        {"issued_on": "15/10/2025"},
        {"extra": "field"},
    ):
        with pytest.raises(CertificateInvalidError):
            Certificate.from_document({**document, **change})
    without = dict(document)
    del without["enterprise_name"]
    with pytest.raises(CertificateInvalidError, match="missing"):
        Certificate.from_document(without)


@pytest.mark.parametrize(
    "change",
    [
        {"grade": 2},
        {"region_code": "330503"},
        {"period": "2025Q4"},
        {"grade_colour": "yellow"},
        {"level": "very-high"},
        {"neutralisation_rate": Decimal("1.01")},
        {"net_emissions_tco2": Decimal("-1")},
        {"uscc": "91330502MA2B3C4D59"},
        {"industry_code": "17130"},
        {"evaluation_input_hash": "XYZ"},
        {"valid_until": date(2025, 10, 14)},
        {"enterprise_name": "  "},
        {"code": certificate().code.lower()},
        {"code": certificate().code[:-1] + ("0" if certificate().code[-1] != "0" else "1")},
    ],
)
def test_inconsistent_content_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(CertificateInvalidError) as caught:
        dataclasses.replace(certificate(), **change)
    assert caught.value.message_zh
    assert caught.value.message_en


def test_status_from_dates_and_revocation() -> None:
    cert = certificate()
    assert certificate_status(cert, date(2025, 10, 15)) is CertificateStatus.VALID
    assert certificate_status(cert, date(2026, 10, 14)) is CertificateStatus.VALID
    assert certificate_status(cert, date(2026, 10, 15)) is CertificateStatus.EXPIRED
    revoked = Revocation(date(2026, 1, 1), RevocationReason.WITHDRAWN)
    assert certificate_status(cert, date(2025, 12, 31), revoked) is CertificateStatus.VALID
    assert certificate_status(cert, date(2026, 1, 1), revoked) is CertificateStatus.REVOKED
    assert certificate_status(cert, date(2027, 1, 1), revoked) is CertificateStatus.REVOKED
    superseded = Revocation(date(2026, 2, 1), RevocationReason.SUPERSEDED, superseded_by="new-id")
    assert certificate_status(cert, date(2026, 2, 1), superseded) is CertificateStatus.SUPERSEDED
    with pytest.raises(ValueError, match="not yet issued"):
        certificate_status(cert, date(2025, 10, 14))
