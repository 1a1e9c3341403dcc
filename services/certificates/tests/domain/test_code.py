"""Certificate codes: structure, ISO/IEC 7064 MOD 37-2 check character, parsing errors."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carbonid_certificates.domain.code import (
    MOD37_2_ALPHABET,
    SERIAL_ALPHABET,
    CertificateCode,
    mod37_2_check_character,
    serial_from_uuid,
)
from carbonid_certificates.domain.errors import CertificateCodeError


def test_mod37_2_published_example() -> None:
    # the worked example of python-stdnum's iso7064.mod_37_2 documentation
    assert mod37_2_check_character("G123498654321") == "H"


def test_mod37_2_whole_string_sums_to_one() -> None:
    data = "CE3305022025Q337K2M9QXA"
    full = data + mod37_2_check_character(data)
    total = 0
    for ch in full[:-1]:
        total = ((total + MOD37_2_ALPHABET.index(ch)) * 2) % 37
    assert (total + MOD37_2_ALPHABET.index(full[-1])) % 37 == 1


def test_format_and_parse_round_trip() -> None:
    code = CertificateCode("330502", "2025Q3", 3, "7K2M9QXA")
    text = str(code)
    assert text.startswith("CE-330502-2025Q3-3-7K2M9QXA-")
    assert len(text) == len("CE-330502-2025Q3-3-7K2M9QXA-X")
    assert CertificateCode.parse(text) == code
    assert CertificateCode.parse(f"  {text.lower()} ") == code


@pytest.mark.parametrize(("period", "token"), [("2025", "2025"), ("2025H2", "2025H2"), ("2025-07", "2025M07")])
def test_every_period_kind(period: str, token: str) -> None:
    code = CertificateCode("330500", period, 1, "00000000")
    assert f"-{token}-" in str(code)
    assert CertificateCode.parse(str(code)).period_code == period


def test_every_single_substitution_is_detected() -> None:
    text = str(CertificateCode("330502", "2025Q3", 3, "7K2M9QXA"))
    detected = 0
    for position, original in enumerate(text):
        if original == "-":
            continue
        for replacement in MOD37_2_ALPHABET:
            if replacement == original:
                continue
            changed = text[:position] + replacement + text[position + 1 :]
            with pytest.raises(CertificateCodeError):
                CertificateCode.parse(changed)
            detected += 1
    assert detected > 500


@given(st.text(alphabet=SERIAL_ALPHABET, min_size=8, max_size=8), st.integers(min_value=0, max_value=6))
def test_adjacent_transpositions_in_the_serial_are_detected(serial: str, i: int) -> None:
    swapped = serial[:i] + serial[i + 1] + serial[i] + serial[i + 2 :]
    text = str(CertificateCode("330502", "2025Q3", 3, serial))
    if swapped != serial:
        with pytest.raises(CertificateCodeError):
            CertificateCode.parse(text.replace(serial, swapped))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "CX-330502-2025Q3-3-7K2M9QXA-0",
        "CE-030502-2025Q3-3-7K2M9QXA-0",
        "CE-330502-2025Q5-3-7K2M9QXA-0",
        "CE-330502-2025-07-3-7K2M9QXA-0",
        "CE-330502-2025Q3-0-7K2M9QXA-0",
        "CE-330502-2025Q3-3-7K2M9QXI-0",
        "CE-330502-2025Q3-3-7K2M9QX-0",
        "CE-330502-2025Q3-3-7K2M9QXA",
    ],
)
def test_malformed_codes_are_refused_in_both_languages(text: str) -> None:
    with pytest.raises(CertificateCodeError) as caught:
        CertificateCode.parse(text)
    assert caught.value.code == "certificate-code-invalid"
    assert "证书编号" in caught.value.message_zh
    assert "certificate code" in caught.value.message_en


def test_wrong_check_character_is_named() -> None:
    text = str(CertificateCode("330502", "2025Q3", 3, "7K2M9QXA"))
    wrong = text[:-1] + ("0" if text[-1] != "0" else "1")
    with pytest.raises(CertificateCodeError, match="check character"):
        CertificateCode.parse(wrong)


def test_invalid_parts_are_refused_on_construction() -> None:
    with pytest.raises(CertificateCodeError):
        CertificateCode("330502", "2025Q3", 10, "7K2M9QXA")
    with pytest.raises(CertificateCodeError):
        CertificateCode("330502", "2025W3", 3, "7K2M9QXA")


def test_serial_from_uuid() -> None:
    value = uuid.UUID("3b0f6a52-9c1e-4d57-8a7e-0c5b2f1d9e44")
    serial = serial_from_uuid(value)
    assert len(serial) == 8
    assert set(serial) <= set(SERIAL_ALPHABET)
    assert serial == serial_from_uuid(value)
    assert serial_from_uuid(uuid.UUID(int=0)) == "00000000"
    assert serial_from_uuid(uuid.UUID(int=2**128 - 1)) == "ZZZZZZZZ"
    # the serial is the top 40 bits, big-endian
    assert int("".join(f"{SERIAL_ALPHABET.index(c):05b}" for c in serial), 2) == value.int >> 88
