"""Errors of the certificates domain, each with a stable code and a message in Chinese and English."""

from __future__ import annotations

from typing import ClassVar


class CertificateDomainError(ValueError):
    code: ClassVar[str] = "certificate-domain-error"

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_en} / {message_zh}")
        self.message_zh = message_zh
        self.message_en = message_en


class CertificateCodeError(CertificateDomainError):
    """A certificate code is malformed or its check character is wrong."""

    code = "certificate-code-invalid"


class CertificateInvalidError(CertificateDomainError):
    """Certificate content is inconsistent (code vs fields, dates, colour, USCC…)."""

    code = "certificate-invalid"


class SignatureInvalidError(CertificateDomainError):
    """The signature does not verify: the content was changed or signed by another key."""

    code = "signature-invalid"


class UnknownKeyError(CertificateDomainError):
    """The certificate names a key id that is not in the key set."""

    code = "unknown-signing-key"


class KeyFormatError(CertificateDomainError):
    """A JWK or key document is not an OKP/Ed25519 key as expected."""

    code = "key-format-invalid"


class HandleRecordError(CertificateDomainError):
    """Handle values do not describe a consistent signed certificate."""

    code = "handle-record-invalid"
