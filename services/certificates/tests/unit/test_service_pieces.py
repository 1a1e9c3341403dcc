"""Unit tests of the service pieces that need no database: handles, page text, key sealing, settings, status."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from carbonid_certificates.api.page import percent, period_zh, region_zh
from carbonid_certificates.config import CertificatesSettings
from carbonid_certificates.db import CertificateRow
from carbonid_certificates.domain.identifier import HandleValue
from carbonid_certificates.domain.signing import SigningKey
from carbonid_certificates.handlers import certificate_id_for
from carbonid_certificates.handles import (
    CertificateName,
    EnterpriseName,
    enterprise_handle,
    handle_response,
    parse_handle,
    select_values,
)
from carbonid_certificates.images import load_label_font
from carbonid_certificates.keys import KeyUnsealError, seal_private_key, unseal_private_key
from carbonid_certificates.verification import status_of

CODE = "CE-330502-2025Q3-3-7K2M9QXA-P"
STAMP = datetime(2025, 10, 15, 8, 0, tzinfo=UTC)


def settings(**overrides: Any) -> CertificatesSettings:
    return CertificatesSettings(**{"certificate_prefix": "86.100.7.carbonid", **overrides})


def test_handles_name_certificates_and_enterprise_aliases_under_the_configured_prefix() -> None:
    s = settings()
    from carbonid_certificates.domain.code import CertificateCode

    code = str(CertificateCode("330502", "2025Q3", 3, "7K2M9QXA"))
    assert parse_handle(s, f"86.100.7.carbonid/{code}") == CertificateName(code)
    assert parse_handle(s, f"86.100.7.CARBONID/{code.lower()}") == CertificateName(code)
    enterprise = uuid.uuid4()
    assert parse_handle(s, enterprise_handle(s, enterprise)) == EnterpriseName(enterprise)
    assert enterprise_handle(s, enterprise).startswith("86.100.7.carbonid/ent.")
    for foreign in (f"88.118.8.carbonid/{code}", "86.100.7.carbonid/", "86.100.7.carbonid", "86.100.7.carbonid/ent.x"):
        assert parse_handle(s, foreign) is None
    assert parse_handle(s, f"86.100.7.carbonid/{code[:-1]}0" if code[-1] != "0" else "x/y") is None


def _values() -> list[HandleValue]:
    kinds = ["URL", "CARBONID.CERT.CODE", "CARBONID.CERT.GRADE", "TEMPLATE_ID"]
    return [HandleValue(i, t, f"v{i}", STAMP) for i, t in zip([1, 2, 3, 1000], kinds, strict=True)]


def test_value_filters_match_index_or_type_and_type_prefixes() -> None:
    values = _values()
    assert select_values(values, [], []) == values
    assert [v.index for v in select_values(values, [3], ["URL"])] == [1, 3]
    assert [v.index for v in select_values(values, [], ["carbonid.cert."])] == [2, 3]
    assert [v.index for v in select_values(values, [], ["CARBONID.CERT"])] == []
    assert select_values(values, [42], []) == []


def test_handle_responses_follow_handle_net_codes() -> None:
    assert handle_response("a/b", None, filtered=False) == (404, {"responseCode": 100, "handle": "a/b"})
    assert handle_response("a/b", [], filtered=True) == (200, {"responseCode": 200, "handle": "a/b", "values": []})
    status, body = handle_response("a/b", _values()[:1], filtered=False)
    assert status == 200
    assert body["responseCode"] == 1
    assert body["values"] == [
        {"index": 1, "type": "URL", "data": {"format": "string", "value": "v1"}, "ttl": 86400,
         "timestamp": "2025-10-15T08:00:00Z"}
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "text"),
    [("2025", "2025年度"), ("2025H1", "2025年上半年"), ("2025Q3", "2025年第三季度"), ("2025-07", "2025年7月")],
)
def test_periods_read_in_chinese(code: str, text: str) -> None:
    assert period_zh(code) == text


def test_rates_and_regions_for_the_page() -> None:
    assert percent("0.1104") == "11.04%"
    assert percent("1") == "100%"
    assert percent("0") == "0%"
    assert region_zh("330502").startswith("浙江省 湖州市")
    assert region_zh("999999") == "999999"


def test_sealed_keys_open_only_with_the_secret_and_their_kid() -> None:
    key = SigningKey.generate("cert-20251015-abcd")
    sealed = seal_private_key(key, b"secret-one")
    assert unseal_private_key(sealed, key.kid, b"secret-one").seed() == key.seed()
    with pytest.raises(KeyUnsealError):
        unseal_private_key(sealed, key.kid, b"secret-two")
    with pytest.raises(KeyUnsealError):
        unseal_private_key(sealed, "cert-other", b"secret-one")  # moved onto another row
    assert key.seed() not in sealed


def test_default_signing_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValueError, match="CARBONID_SIGNING_KEY_SECRET"):  # pydantic wraps DefaultSecretError
        CertificatesSettings(environment="production", service_token="s3cret-service-token")
    ok = CertificatesSettings(
        environment="production", service_token="s3cret-service-token", signing_key_secret="a-real-secret"
    )
    assert ok.public_url(CODE) == f"{ok.public_base_url.rstrip('/')}/c/{CODE}"


def test_certificate_ids_are_stable_per_evaluation() -> None:
    evaluation = uuid.uuid4()
    assert certificate_id_for(evaluation) == certificate_id_for(evaluation)
    assert certificate_id_for(evaluation) != certificate_id_for(uuid.uuid4())


def _row(**overrides: Any) -> CertificateRow:
    fields: dict[str, Any] = {
        "issued_on": date(2025, 10, 15),
        "valid_until": date(2026, 10, 14),
        "revoked_on": None,
        "revocation_reason": None,
        "superseded_by": None,
    }
    fields.update(overrides)
    return CertificateRow(**fields)


def test_status_revocation_first_then_expiry_with_clock_skew_tolerated() -> None:
    assert status_of(_row(), date(2025, 10, 14)).value == "valid"  # a day early (another time zone): issue day
    assert status_of(_row(), date(2026, 10, 14)).value == "valid"
    assert status_of(_row(), date(2026, 10, 15)).value == "expired"
    superseded = _row(revoked_on=date(2025, 12, 1), revocation_reason="superseded")
    assert status_of(superseded, date(2025, 11, 30)).value == "valid"
    assert status_of(superseded, date(2025, 12, 1)).value == "superseded"
    assert status_of(superseded, date(2027, 1, 1)).value == "superseded"
    withdrawn = _row(revoked_on=date(2025, 12, 1), revocation_reason="withdrawn")
    assert status_of(withdrawn, date(2025, 12, 2)).value == "revoked"


def test_label_font_falls_back_to_ascii_when_none_is_found(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    missing = load_label_font(settings(qr_font_path=tmp_path / "none.ttc"))
    assert missing.data is None
    assert "no CJK font" in caplog.text
    font = tmp_path / "NotoSansCJK-Regular.ttc"
    font.write_bytes(b"font bytes")
    found = load_label_font(settings(qr_font_path=font))
    assert (found.data, found.index) == (b"font bytes", 2)  # the Simplified Chinese face of the collection
    assert load_label_font(settings(qr_font_path=font, qr_font_index=0)).index == 0
