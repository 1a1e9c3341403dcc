"""Errors of the evaluation domain, each with a stable code and a message in Chinese and English.

The API layer maps ``code`` to a problem+json ``type`` and ``problems`` to field errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One invalid field: a JSON-pointer-like path and what is wrong with it, in both languages."""

    field: str
    message_zh: str
    message_en: str


class EvaluationDomainError(Exception):
    """Base of every domain error; ``code`` is stable and machine-readable."""

    code: ClassVar[str] = "evaluation-domain-error"

    def __init__(self, message_zh: str, message_en: str, problems: Iterable[FieldProblem] = ()) -> None:
        super().__init__(f"{message_en} / {message_zh}")
        self.message_zh = message_zh
        self.message_en = message_en
        self.problems: tuple[FieldProblem, ...] = tuple(problems)


class RuleSetInvalidError(EvaluationDomainError):
    """A rule-set document does not validate; ``problems`` lists every error found, not only the first."""

    code = "rule-set-invalid"


class EvaluationRefusedError(EvaluationDomainError):
    """An evaluation cannot be made from these inputs (not a bug: the user or regulator must act)."""

    code = "evaluation-refused"


class NoBenchmarkError(EvaluationRefusedError):
    code = "no-benchmark"


class BenchmarkSampleTooSmallError(EvaluationRefusedError):
    code = "benchmark-sample-too-small"


class ZeroBenchmarkIntensityError(EvaluationRefusedError):
    code = "zero-benchmark-intensity"


class ZeroAddedValueError(EvaluationRefusedError):
    code = "zero-added-value"


class InvalidFiguresError(EvaluationRefusedError):
    code = "invalid-figures"


class QuestionnaireInvalidError(EvaluationRefusedError):
    code = "questionnaire-invalid"
