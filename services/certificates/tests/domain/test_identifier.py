"""The certificate as Handle values (Handle.Net REST shape) and back."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from certificates_builders import certificate

from carbonid_certificates.domain.certificate import CertificateStatus, content_hash
from carbonid_certificates.domain.errors import HandleRecordError, SignatureInvalidError
from carbonid_certificates.domain.identifier import (
    HandleType,
    HandleValue,
    certificate_handle_values,
    handle_record,
    signed_certificate_from_values,
)
from carbonid_certificates.domain.signing import KeySet, SigningKey, sign_certificate, verify_certificate

KEY = SigningKey.from_seed("cert-2025-01", bytes(range(32)))
URL = "https://carbonid.example.cn/certificates/CE-330502-2025Q3-3"
STAMP = datetime(2025, 10, 15, 8, 30, 5, tzinfo=UTC)


def test_values_have_the_handle_rest_shape() -> None:
    signed = sign_certificate(certificate(), KEY)
    values = certificate_handle_values(signed, url=URL, timestamp=STAMP, status=CertificateStatus.VALID)
    record = handle_record("88.118.8/cert/CE-330502-2025Q3-3", values)
    assert record["responseCode"] == 1
    as_json = json.loads(json.dumps(record))["values"]
    assert [v["index"] for v in as_json] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1000, 1001]
    first = as_json[0]
    assert first == {
        "index": 1,
        "type": "URL",
        "data": {"format": "string", "value": URL},
        "ttl": 86400,
        "timestamp": "2025-10-15T08:30:05Z",
    }
    by_type = {v["type"]: v["data"]["value"] for v in as_json}
    assert by_type[HandleType.GRADE] == "3"
    assert by_type[HandleType.CODE] == signed.certificate.code
    assert by_type[HandleType.HASH] == content_hash(signed.certificate)
    assert by_type[HandleType.SIGNATURE] == signed.signature
    assert by_type[HandleType.KID] == "cert-2025-01"
    assert by_type[HandleType.STATUS] == "valid"
    assert by_type[HandleType.TEMPLATE_ID] == "carbonid.certificate"


def test_timestamps_are_utc_and_must_be_aware() -> None:
    signed = sign_certificate(certificate(), KEY)
    shanghai = STAMP.astimezone(timezone(timedelta(hours=8)))
    values = certificate_handle_values(signed, url=URL, timestamp=shanghai, ttl=3600)
    assert values[0].to_json()["timestamp"] == "2025-10-15T08:30:05Z"
    assert values[0].ttl == 3600
    with pytest.raises(ValueError, match="timezone"):
        certificate_handle_values(signed, url=URL, timestamp=datetime(2025, 10, 15))


def test_resolved_values_rebuild_a_verifiable_certificate() -> None:
    signed = sign_certificate(certificate(), KEY)
    record = json.loads(json.dumps(handle_record("h", certificate_handle_values(signed, url=URL, timestamp=STAMP))))
    values = [HandleValue.from_json(v) for v in record["values"]]
    rebuilt = signed_certificate_from_values(values)
    assert rebuilt == signed
    verify_certificate(rebuilt, KeySet([KEY.verification_key]))


def test_inconsistent_values_are_refused() -> None:
    signed = sign_certificate(certificate(), KEY)
    values = certificate_handle_values(signed, url=URL, timestamp=STAMP)

    def replaced(kind: str, value: str) -> list[HandleValue]:
        return [dataclasses.replace(v, value=value) if v.type == kind else v for v in values]

    content = next(v.value for v in values if v.type == HandleType.CONTENT)
    with pytest.raises(HandleRecordError, match="hash"):
        signed_certificate_from_values(replaced(HandleType.CONTENT, content.replace('"grade":3', '"grade":1')))
    with pytest.raises(HandleRecordError, match="GRADE"):
        signed_certificate_from_values(replaced(HandleType.GRADE, "1"))
    with pytest.raises(HandleRecordError, match="missing"):
        signed_certificate_from_values([v for v in values if v.type != HandleType.SIGNATURE])
    with pytest.raises(HandleRecordError, match="duplicate"):
        signed_certificate_from_values([*values, values[1]])
    forged = signed_certificate_from_values(replaced(HandleType.SIGNATURE, signed.signature[::-1]))
    with pytest.raises(SignatureInvalidError):
        verify_certificate(forged, KeySet([KEY.verification_key]))


def test_malformed_values_are_refused() -> None:
    for raw in ({"index": 1}, {"index": "1", "type": "URL", "data": "x", "timestamp": "2025-10-15T08:30:05Z"}):
        with pytest.raises(HandleRecordError):
            HandleValue.from_json(raw)
    short = HandleValue.from_json({"index": 1, "type": "URL", "data": "x", "timestamp": "2025-10-15T08:30:05Z"})
    assert short.value == "x"
    assert short.format == "string"
