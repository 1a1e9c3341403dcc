"""Domain errors of the calculator. Every message is bilingual (zh/en) because users read them.

The service layer maps these to RFC 9457 problem+json: ``code`` becomes the stable problem ``type`` suffix,
``issues`` become the field errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """An error refuses the calculation; a warning is recorded with the result and shown to the user."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class ValidationIssue:
    """One finding about the input: where (``field``, a JSON-pointer-like path), what (``code``) and why."""

    code: str
    field: str
    message_zh: str
    message_en: str
    severity: Severity = Severity.ERROR

    @property
    def message(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


class CalculatorDomainError(Exception):
    """Base of all calculator domain errors: a stable code and a message in Chinese and English."""

    code: str = "calculator.error"

    def __init__(self, message_zh: str, message_en: str, *, field: str | None = None) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field


class UnknownUnitError(CalculatorDomainError):
    code = "calculator.unknown_unit"


class IncompatibleUnitsError(CalculatorDomainError):
    code = "calculator.incompatible_units"


class UnknownSourceError(CalculatorDomainError):
    code = "calculator.unknown_source"


class UnknownIndustryError(CalculatorDomainError):
    code = "calculator.unknown_industry"


class FactorNotFoundError(CalculatorDomainError):
    code = "calculator.factor_not_found"


class ReferenceDataError(CalculatorDomainError):
    """A reference data file (taxonomy, factors, bounds) is malformed or inconsistent."""

    code = "calculator.reference_data"


class CalculationRejectedError(CalculatorDomainError):
    """The input fails validation; ``issues`` lists every error (and the warnings found alongside)."""

    code = "calculator.invalid_input"

    def __init__(self, issues: tuple[ValidationIssue, ...]) -> None:
        errors = [i for i in issues if i.severity is Severity.ERROR]
        super().__init__(f"计算输入无效（{len(errors)} 处错误）", f"invalid calculation input ({len(errors)} error(s))")
        self.issues = issues
