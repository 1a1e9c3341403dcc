"""The carbon-performance questionnaire (碳表现问卷), versioned with its rule set, and its scoring."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from carbonid_evaluation.domain.errors import FieldProblem, QuestionnaireInvalidError


@dataclass(frozen=True, slots=True)
class Label:
    """A text in Chinese and English."""

    zh: str
    en: str


class AnswerKind(StrEnum):
    YES_NO = "yes_no"
    CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class AnswerOption:
    """One allowed answer: its value, label, score and whether choosing it needs an evidence upload."""

    value: str
    label: Label
    score: Decimal
    evidence_required: bool = False


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: Label
    kind: AnswerKind
    options: tuple[AnswerOption, ...]
    required: bool = True
    reference: str | None = None
    """The standard the question refers to, e.g. ``ISO 50001`` or ``GB 17167``."""
    evidence_hint: Label | None = None

    def option(self, value: str) -> AnswerOption | None:
        return next((o for o in self.options if o.value == value), None)

    @property
    def max_score(self) -> Decimal:
        return max((o.score for o in self.options), default=Decimal(0))


@dataclass(frozen=True, slots=True)
class Questionnaire:
    version: str
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    @property
    def max_score(self) -> Decimal:
        return sum((q.max_score for q in self.questions), Decimal(0))


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one question: the chosen option value and the ids of uploaded evidence files."""

    value: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AnsweredQuestion:
    question_id: str
    value: str
    score: Decimal
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuestionnaireScore:
    questionnaire_version: str
    score: Decimal
    max_score: Decimal
    answers: tuple[AnsweredQuestion, ...]


def evidence_missing(questionnaire: Questionnaire, answers: Mapping[str, Answer]) -> list[str]:
    """Ids of answered questions whose chosen option needs evidence that was not uploaded (in question order)."""
    missing = []
    for question in questionnaire.questions:
        answer = answers.get(question.id)
        option = question.option(answer.value) if answer else None
        if answer and option and option.evidence_required and not answer.evidence:
            missing.append(question.id)
    return missing


def score_questionnaire(questionnaire: Questionnaire, answers: Mapping[str, Answer]) -> QuestionnaireScore:
    """Validate the answers against the questionnaire and add up their scores.

    Refuses (``QuestionnaireInvalidError``, listing every problem) an unknown question, an answer that is not one
    of the question's options, a required question left unanswered, or a "yes" that needs evidence without any.
    """
    problems: list[FieldProblem] = []
    for question_id in answers:
        if questionnaire.question(question_id) is None:
            problems.append(
                FieldProblem(f"answers/{question_id}", "问卷中没有该问题", "no such question in this questionnaire")
            )
    answered: list[AnsweredQuestion] = []
    for question in questionnaire.questions:
        answer = answers.get(question.id)
        if answer is None:
            if question.required:
                problems.append(
                    FieldProblem(f"answers/{question.id}", "必答问题未作答", "required question not answered")
                )
            continue
        option = question.option(answer.value)
        if option is None:
            allowed = ", ".join(o.value for o in question.options)
            problems.append(
                FieldProblem(
                    f"answers/{question.id}",
                    f"答案无效，可选：{allowed}",
                    f"invalid answer {answer.value!r}; allowed: {allowed}",
                )
            )
            continue
        if option.evidence_required and not answer.evidence:
            problems.append(
                FieldProblem(
                    f"answers/{question.id}/evidence",
                    "选择该答案需要上传佐证材料",
                    "this answer needs an evidence upload",
                )
            )
            continue
        # Sorted as in the canonical input document: the order of uploads must not change the result.
        answered.append(AnsweredQuestion(question.id, option.value, option.score, tuple(sorted(answer.evidence))))
    if problems:
        raise QuestionnaireInvalidError(
            "碳表现问卷填写不完整或有误", "the carbon-performance questionnaire is invalid", problems
        )
    return QuestionnaireScore(
        questionnaire_version=questionnaire.version,
        score=sum((a.score for a in answered), Decimal(0)),
        max_score=questionnaire.max_score,
        answers=tuple(answered),
    )
