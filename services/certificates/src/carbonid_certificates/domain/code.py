"""Certificate codes: ``CE-<region>-<period>-<grade>-<serial>-<check>``, e.g. ``CE-330502-2025Q3-3-7K2M9QXA-P``.

- ``CE``: carbon-efficiency certificate.
- region: the enterprise's GB/T 2260 six-digit code.
- period: ``2025``, ``2025H1``, ``2025Q3``, or a month written ``2025M07`` (the hyphen of ``2025-07`` is the
  field separator here).
- grade: one digit.
- serial: 8 characters of Crockford base32 (``0-9`` and ``A-Z`` without ``I L O U``), e.g. the top 40 bits
  of the certificate's UUID (``serial_from_uuid``).
- check: ISO/IEC 7064 MOD 37-2 (pure system, radix 2, modulus 37) over the other fields concatenated without
  hyphens; alphabet ``0-9 A-Z *`` (values 0–36). It detects every single-character substitution and every
  transposition of adjacent characters.
Parsing is case-insensitive and ignores surrounding whitespace; the canonical form is upper case.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from carbonid_certificates.domain.errors import CertificateCodeError
from carbonid_contracts.codes.period import Period

CODE_PREFIX = "CE"
SERIAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SERIAL_LENGTH = 8
MOD37_2_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"

_CODE = re.compile(
    r"^CE-(?P<region>[1-9]\d{5})-(?P<period>\d{4}(?:H[12]|Q[1-4]|M(?:0[1-9]|1[0-2]))?)-(?P<grade>[1-9])"
    rf"-(?P<serial>[{SERIAL_ALPHABET}]{{{SERIAL_LENGTH}}})-(?P<check>[0-9A-Z*])$"
)


def mod37_2_check_character(data: str) -> str:
    """ISO/IEC 7064 MOD 37-2 check character of ``data`` (characters ``0-9 A-Z``)."""
    total = 0
    for ch in data:
        value = MOD37_2_ALPHABET.find(ch)
        if value < 0 or ch == "*":
            raise CertificateCodeError(f"不能计算校验字符：含非法字符 {ch!r}", f"invalid character {ch!r}")
        total = ((total + value) * 2) % 37
    return MOD37_2_ALPHABET[(38 - total) % 37]


def period_token(period_code: str) -> str:
    """The period as written in a code: ``2025-07`` → ``2025M07``; other periods unchanged."""
    Period.parse(period_code)
    return period_code.replace("-", "M")


def period_code_of_token(token: str) -> str:
    """The inverse of ``period_token``."""
    return token.replace("M", "-")


def serial_from_uuid(value: uuid.UUID) -> str:
    """Eight Crockford base32 characters from the top 40 bits of a UUID."""
    bits = value.int >> 88
    chars = []
    for _ in range(SERIAL_LENGTH):
        chars.append(SERIAL_ALPHABET[bits & 31])
        bits >>= 5
    return "".join(reversed(chars))


@dataclass(frozen=True, slots=True)
class CertificateCode:
    region_code: str
    period_code: str
    """The period as a ``Period`` code (``2025-07``, not ``2025M07``)."""
    grade: int
    serial: str

    def __post_init__(self) -> None:
        text = self._body_with_hyphens()
        if not _CODE.fullmatch(f"{text}-0"):
            raise CertificateCodeError(f"证书编号的组成部分无效：{text}", f"invalid certificate code parts: {text}")

    def _body_with_hyphens(self) -> str:
        try:
            token = period_token(self.period_code)
        except ValueError as exc:
            raise CertificateCodeError(f"周期无效：{self.period_code}", f"invalid period {self.period_code!r}") from exc
        return f"{CODE_PREFIX}-{self.region_code}-{token}-{self.grade}-{self.serial}"

    @property
    def check_character(self) -> str:
        return mod37_2_check_character(self._body_with_hyphens().replace("-", ""))

    def __str__(self) -> str:
        return f"{self._body_with_hyphens()}-{self.check_character}"

    @classmethod
    def parse(cls, text: str) -> CertificateCode:
        """Parse and verify a code; raises ``CertificateCodeError`` (bilingual) on any defect."""
        normalised = text.strip().upper()
        match = _CODE.fullmatch(normalised)
        if match is None:
            raise CertificateCodeError(
                "证书编号格式无效，应为 CE-地区-周期-等级-序列号-校验位",
                "malformed certificate code: expected CE-<region>-<period>-<grade>-<serial>-<check>",
            )
        code = cls(
            region_code=match["region"],
            period_code=period_code_of_token(match["period"]),
            grade=int(match["grade"]),
            serial=match["serial"],
        )
        if code.check_character != match["check"]:
            raise CertificateCodeError("证书编号校验位错误", "certificate code check character does not match")
        return code
