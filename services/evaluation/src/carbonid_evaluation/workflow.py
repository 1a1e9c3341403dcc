"""The four steps of an evaluation, with their state kept in the database so the user can leave and return.

questionnaire → neutralisation → computation → issuance → completed. Each transition is checked here and
refused with a 409 problem that says which step comes first. The questionnaire can be changed until the code
is issued; changing it after the computation discards the result (the score and the input hash depend on it).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_contracts.codes.period import Period
from carbonid_contracts.events import EvaluationCompleted
from carbonid_evaluation.config import EvaluationSettings
from carbonid_evaluation.db import BenchmarkEntry, Calculation, Enterprise, Evaluation, EvidenceFile
from carbonid_evaluation.documents import json_object, neutralisation_document, result_document, steps_document
from carbonid_evaluation.domain.benchmark import Benchmark
from carbonid_evaluation.domain.errors import EvaluationDomainError, FieldProblem
from carbonid_evaluation.domain.evaluation import (
    CalculationFigures,
    EvaluationInput,
    EvaluationResult,
    Reductions,
    evaluate,
    neutralisation_of,
)
from carbonid_evaluation.domain.grid_factor import choose_grid_factor
from carbonid_evaluation.domain.questionnaire import Answer, score_questionnaire
from carbonid_evaluation.domain.replay import inputs_from_document
from carbonid_evaluation.domain.rule_set import RuleSet
from carbonid_evaluation.rule_sets import RuleSetCache
from carbonid_kit.problems import FieldError, Problem, conflict


class Status(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class Step(StrEnum):
    QUESTIONNAIRE = "questionnaire"
    NEUTRALISATION = "neutralisation"
    COMPUTATION = "computation"
    ISSUANCE = "issuance"
    COMPLETED = "completed"


def domain_problem(error: EvaluationDomainError, status: int = 422) -> Problem:
    """A refusal of the domain as problem+json: its stable code as the type, its problems as field errors."""
    errors = [FieldError("/" + p.field.lstrip("/"), error.code, p.message_zh, p.message_en) for p in error.problems]
    return Problem(
        status,
        error.code,
        "无法完成碳效评价",
        "The evaluation cannot be made",
        error.message_zh,
        error.message_en,
        errors,
    )


NO_CALCULATION = "no-calculation-for-period"


def no_calculation(settings: EvaluationSettings, period: str | None) -> Problem:
    page = settings.calculation_page + (f"?period={period}" if period else "")
    detail_zh = f"本企业没有 {period} 周期已确认的碳排放计算" if period else "本企业还没有已确认的碳排放计算"
    detail_en = (
        f"Your enterprise has no confirmed emission calculation for {period}"
        if period
        else "Your enterprise has no confirmed emission calculation yet"
    )
    return Problem(
        422,
        NO_CALCULATION,
        "该周期没有碳排放计算",
        "No emission calculation for this period",
        detail_zh + "，请先进行碳排放计算",
        detail_en + "; make a calculation first",
        extra={"calculation_page": page, "period": period},
    )


async def current_calculations(session: AsyncSession, enterprise_id: uuid.UUID) -> Sequence[Calculation]:
    """The enterprise's current calculations, latest period first."""
    return (
        (
            await session.execute(
                select(Calculation)
                .where(Calculation.enterprise_id == enterprise_id, Calculation.is_current)
                .order_by(Calculation.period_end.desc(), Calculation.confirmed_at.desc())
            )
        )
        .scalars()
        .all()
    )


async def start(
    session: AsyncSession,
    settings: EvaluationSettings,
    rule_sets: RuleSetCache,
    *,
    enterprise_id: uuid.UUID,
    user_id: uuid.UUID,
    period: str | None,
) -> Evaluation:
    """Start an evaluation of a period (default: the latest calculated one); refused without a calculation."""
    calculations = await current_calculations(session, enterprise_id)
    if period is None:
        calculation = calculations[0] if calculations else None
    else:
        calculation = next((c for c in calculations if c.period == period), None)
    if calculation is None:
        raise no_calculation(settings, period)
    rule_set = await rule_sets.active(session)
    grid = choose_grid_factor(settings.grid_factors(), Period.parse(calculation.period).year)
    # "Evaluate again" replaces an unfinished evaluation of the same period (its answers are discarded).
    await session.execute(
        update(Evaluation)
        .where(
            Evaluation.enterprise_id == enterprise_id,
            Evaluation.period == calculation.period,
            Evaluation.status == Status.IN_PROGRESS,
        )
        .values(status=Status.ABANDONED)
    )
    evaluation = Evaluation(
        id=uuid.uuid4(),
        enterprise_id=enterprise_id,
        region_code=calculation.region_code,
        industry_code=calculation.industry_code,
        period=calculation.period,
        calculation_id=calculation.calculation_id,
        rule_set_key=rule_set.key,
        grid_factor_tco2_per_mwh=grid.factor_tco2_per_mwh,
        grid_factor_source=grid.source,
        status=Status.IN_PROGRESS,
        step=Step.QUESTIONNAIRE,
        answers={},
        created_by=user_id,
    )
    session.add(evaluation)
    await session.flush()
    return evaluation


def require_in_progress(evaluation: Evaluation) -> None:
    if evaluation.status == Status.COMPLETED:
        raise conflict(
            "evaluation-issued",
            "碳效码已生成，本次评价只能查看；如需修改请再次评效",
            "The code has been issued: this evaluation is read-only; evaluate again to change it",
        )
    if evaluation.status == Status.ABANDONED:
        raise conflict(
            "evaluation-abandoned", "本次评价已作废，请重新开始评效", "This evaluation was abandoned; start a new one"
        )


def _discard_result(evaluation: Evaluation) -> None:
    evaluation.result = None
    evaluation.computation_steps = None
    evaluation.input_document = None
    evaluation.input_hash = None
    evaluation.rule_set_digest = None
    evaluation.benchmark_version = None
    evaluation.grade = None
    evaluation.level = None
    evaluation.computed_at = None


def stored_answers(evaluation: Evaluation) -> dict[str, Answer]:
    return {
        qid: Answer(str(a["value"]), tuple(str(e) for e in a.get("evidence", ())))
        for qid, a in (evaluation.answers or {}).items()
    }


async def evidence_by_question(session: AsyncSession, evaluation_id: uuid.UUID) -> dict[str, list[str]]:
    rows = (
        await session.execute(
            select(EvidenceFile.id, EvidenceFile.question_id)
            .where(EvidenceFile.evaluation_id == evaluation_id)
            .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
        )
    ).all()
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row.question_id, []).append(str(row.id))
    return out


async def save_answers(
    session: AsyncSession,
    evaluation: Evaluation,
    rule_set: RuleSet,
    answers: Mapping[str, tuple[str, list[uuid.UUID] | None]],
    *,
    submit: bool,
) -> None:
    """Save the questionnaire: a draft (``submit`` false) or the finished questionnaire (all rules checked)."""
    require_in_progress(evaluation)
    questionnaire = rule_set.questionnaire
    uploaded = await evidence_by_question(session, evaluation.id)
    problems: list[FieldProblem] = []
    resolved: dict[str, Answer] = {}
    for qid, (value, evidence) in answers.items():
        question = questionnaire.question(qid)
        if question is None:
            problems.append(
                FieldProblem(f"answers/{qid}", "问卷中没有该问题", "no such question in this questionnaire")
            )
            continue
        if question.option(value) is None:
            allowed = ", ".join(o.value for o in question.options)
            problems.append(
                FieldProblem(
                    f"answers/{qid}", f"答案无效，可选：{allowed}", f"invalid answer {value!r}; allowed: {allowed}"
                )
            )
            continue
        linked = uploaded.get(qid, [])
        if evidence is None:
            chosen = linked
        else:
            chosen = [str(e) for e in evidence]
            unknown = [e for e in chosen if e not in linked]
            if unknown:
                problems.append(
                    FieldProblem(
                        f"answers/{qid}/evidence",
                        "佐证材料不属于本评价的该问题",
                        f"evidence {', '.join(unknown)} was not uploaded for this question of this evaluation",
                    )
                )
                continue
        resolved[qid] = Answer(value, tuple(chosen))
    if problems:
        raise domain_problem(
            EvaluationDomainError("碳表现问卷填写有误", "the carbon-performance questionnaire is invalid", problems)
        )
    if submit:
        try:
            score_questionnaire(questionnaire, resolved)
        except EvaluationDomainError as exc:
            raise domain_problem(exc) from exc
    evaluation.answers = {qid: {"value": a.value, "evidence": list(a.evidence)} for qid, a in resolved.items()}
    _discard_result(evaluation)
    if submit:
        evaluation.questionnaire_submitted_at = datetime.now(UTC)
        evaluation.step = Step.COMPUTATION if evaluation.neutralisation_confirmed_at else Step.NEUTRALISATION
    else:
        evaluation.questionnaire_submitted_at = None
        evaluation.step = Step.QUESTIONNAIRE


def link_evidence(evaluation: Evaluation, question_id: str, evidence_id: uuid.UUID) -> None:
    """A file uploaded for an answered question joins that answer's evidence (the result, if any, is stale)."""
    answers = dict(evaluation.answers or {})
    if question_id in answers:
        entry = dict(answers[question_id])
        entry["evidence"] = [*entry.get("evidence", []), str(evidence_id)]
        answers[question_id] = entry
        evaluation.answers = answers
        if evaluation.step == Step.ISSUANCE:
            _discard_result(evaluation)
            evaluation.step = Step.COMPUTATION


def figures_of(calculation: Calculation, evaluation: Evaluation) -> CalculationFigures:
    return CalculationFigures(
        calculation_id=str(calculation.calculation_id),
        total_emissions_tco2=calculation.total_emissions_tco2,
        added_value_10k_cny=calculation.added_value_10k_cny,
        grid_factor_tco2_per_mwh=evaluation.grid_factor_tco2_per_mwh,
        grid_factor_source=evaluation.grid_factor_source,
        reductions=Reductions(
            ccer_tco2=calculation.ccer_tco2,
            green_certificates_mwh=calculation.green_certificates_mwh,
            own_renewable_mwh=calculation.own_renewable_mwh,
            sinks_tco2=calculation.sinks_tco2,
        ),
        factor_set_version=calculation.factor_set_version,
        reported_intensity=calculation.intensity_tco2_per_10k_cny,
    )


async def calculation_of(session: AsyncSession, evaluation: Evaluation) -> Calculation:
    calculation = await session.get(Calculation, evaluation.calculation_id)
    assert calculation is not None, "evaluations reference calculations by foreign key"
    return calculation


def neutralisation_preview(calculation: Calculation, evaluation: Evaluation, rule_set: RuleSet) -> dict[str, Any]:
    figures = figures_of(calculation, evaluation)
    doc = neutralisation_document(
        neutralisation_of(figures, rule_set),
        rule_set,
        gross=figures.total_emissions_tco2,
        reported_tco2=calculation.neutralisation_tco2,
    )
    red = figures.reductions
    doc["inputs"] = {
        "ccer_tco2": str(red.ccer_tco2),
        "green_certificates_mwh": str(red.green_certificates_mwh),
        "own_renewable_mwh": str(red.own_renewable_mwh),
        "sinks_tco2": str(red.sinks_tco2),
        "grid_factor_tco2_per_mwh": str(evaluation.grid_factor_tco2_per_mwh),
        "grid_factor_source": evaluation.grid_factor_source,
    }
    return doc


async def confirm_neutralisation(session: AsyncSession, evaluation: Evaluation, rule_set: RuleSet) -> None:
    require_in_progress(evaluation)
    if evaluation.questionnaire_submitted_at is None:
        raise conflict(
            "questionnaire-incomplete",
            "请先完成并提交碳表现问卷",
            "Complete and submit the carbon-performance questionnaire first",
        )
    calculation = await calculation_of(session, evaluation)
    evaluation.neutralisation = neutralisation_preview(calculation, evaluation, rule_set)
    evaluation.neutralisation_confirmed_at = datetime.now(UTC)
    if evaluation.step == Step.NEUTRALISATION:
        evaluation.step = Step.COMPUTATION


async def published_benchmarks(session: AsyncSession, year: int) -> list[Benchmark]:
    """The benchmark entries in force for a year: per industry and region scope, the latest published one."""
    rows = (
        (
            await session.execute(
                select(BenchmarkEntry)
                .where(BenchmarkEntry.year == year)
                .ext(distinct_on(BenchmarkEntry.industry_code, BenchmarkEntry.region_scope))
                .order_by(
                    BenchmarkEntry.industry_code,
                    BenchmarkEntry.region_scope,
                    BenchmarkEntry.published_at.desc(),
                    BenchmarkEntry.id.desc(),
                )
            )
        )
        .scalars()
        .all()
    )
    return [
        Benchmark(
            version=r.version,
            industry_code=r.industry_code,
            region_scope=r.region_scope,
            year=r.year,
            intensity=r.intensity_tco2_per_10k_cny,
            sample_size=r.sample_size,
            method=r.method,
        )
        for r in rows
    ]


async def compute(session: AsyncSession, evaluation: Evaluation, rule_set: RuleSet) -> EvaluationResult:
    """Step 3: run the domain evaluation and keep the result, its steps, input document and hash."""
    require_in_progress(evaluation)
    if evaluation.questionnaire_submitted_at is None:
        raise conflict(
            "questionnaire-incomplete",
            "请先完成并提交碳表现问卷",
            "Complete and submit the carbon-performance questionnaire first",
        )
    if evaluation.neutralisation_confirmed_at is None:
        raise conflict("neutralisation-not-confirmed", "请先确认碳中和计算", "Confirm the carbon neutralisation first")
    calculation = await calculation_of(session, evaluation)
    if not calculation.is_current:
        raise conflict(
            "calculation-superseded",
            "该周期的碳排放计算已被更新，请再次评效",
            "A newer emission calculation replaced this one; evaluate again",
        )
    inputs = EvaluationInput(
        enterprise_id=str(evaluation.enterprise_id),
        industry_code=evaluation.industry_code,
        region_code=evaluation.region_code,
        period=Period.parse(evaluation.period),
        figures=figures_of(calculation, evaluation),
        answers=stored_answers(evaluation),
    )
    try:
        result = evaluate(inputs, rule_set, await published_benchmarks(session, inputs.period.year))
    except EvaluationDomainError as exc:
        raise domain_problem(exc) from exc
    evaluation.result = result_document(result)
    evaluation.computation_steps = steps_document(result.steps)
    evaluation.input_document = json_object(result.input_document)
    evaluation.input_hash = result.input_hash
    evaluation.rule_set_digest = result.rule_set_digest
    evaluation.benchmark_version = result.benchmark_version
    evaluation.grade = result.grade
    evaluation.level = result.level.value
    evaluation.computed_at = datetime.now(UTC)
    evaluation.step = Step.ISSUANCE
    return result


async def issue(session: AsyncSession, evaluation: Evaluation) -> EvaluationCompleted:
    """Step 4: mark the evaluation issued and build ``evaluation.completed`` (the caller adds it to the outbox)."""
    require_in_progress(evaluation)
    if evaluation.step != Step.ISSUANCE or evaluation.result is None or evaluation.input_hash is None:
        raise conflict("not-computed", "请先完成碳效计算", "Run the carbon-efficiency computation first")
    earlier = (
        await session.execute(
            select(Evaluation.id)
            .where(
                Evaluation.enterprise_id == evaluation.enterprise_id,
                Evaluation.period == evaluation.period,
                Evaluation.status == Status.COMPLETED,
                Evaluation.id != evaluation.id,
            )
            .order_by(Evaluation.issued_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    name = (
        await session.execute(select(Enterprise.name).where(Enterprise.enterprise_id == evaluation.enterprise_id))
    ).scalar_one_or_none()
    now = datetime.now(UTC)
    evaluation.status = Status.COMPLETED
    evaluation.step = Step.COMPLETED
    evaluation.issued_at = now
    evaluation.supersedes = earlier
    r = evaluation.result
    return EvaluationCompleted(
        enterprise_id=evaluation.enterprise_id,
        evaluation_id=evaluation.id,
        supersedes=earlier,
        calculation_id=evaluation.calculation_id,
        enterprise_name=name,
        region_code=evaluation.region_code,
        industry_code=evaluation.industry_code,
        period=evaluation.period,
        total_emissions_tco2=Decimal(r["gross_emissions_tco2"]),
        net_emissions_tco2=Decimal(r["net_emissions_tco2"]),
        intensity_tco2_per_10k_cny=Decimal(r["intensity_tco2_per_10k_cny"]),
        level=r["level"],
        benchmark_intensity_tco2_per_10k_cny=Decimal(r["benchmark_intensity_tco2_per_10k_cny"]),
        efficiency_value_k=Decimal(r["efficiency_value_k"]),
        grade=int(r["grade"]),
        grade_colour=r["grade_colour"],
        neutralisation_rate=Decimal(r["neutralisation_rate"]),
        questionnaire_score=Decimal(r["questionnaire"]["score"]),
        rule_set_version=r["rule_set_version"],
        benchmark_version=r["benchmark"]["version"],
        input_hash=evaluation.input_hash,
        completed_at=now,
    )


async def recompute(session: AsyncSession, evaluation: Evaluation, rule_sets: RuleSetCache) -> dict[str, Any]:
    """Evaluate the stored inputs again with the stored rule-set version; report whether all is equal."""
    if evaluation.input_document is None or evaluation.result is None:
        raise conflict("not-computed", "该评价尚未完成碳效计算", "This evaluation has not been computed yet")
    stored = inputs_from_document(evaluation.input_document)
    rule_set = await rule_sets.get(session, stored.rule_set_version)
    try:
        result = evaluate(stored.inputs, rule_set, [stored.benchmark])
    except EvaluationDomainError as exc:
        raise domain_problem(exc, status=409) from exc
    recomputed = result_document(result)
    steps = steps_document(result.steps)
    # Warnings are advice, not result: one about more specific benchmarks set aside cannot recur when only the
    # benchmark that was used is replayed.
    compared = (set(recomputed) | set(evaluation.result)) - {"warnings"}
    differences = sorted(key for key in compared if recomputed.get(key) != evaluation.result.get(key))
    if steps != evaluation.computation_steps:
        differences.append("steps")
    if rule_set.digest != stored.rule_set_digest:
        differences.append("rule_set_digest")
    hashes_equal = result.input_hash == evaluation.input_hash
    return {
        "evaluation_id": str(evaluation.id),
        "equal": hashes_equal and not differences,
        "input_hash": {"stored": evaluation.input_hash, "recomputed": result.input_hash, "equal": hashes_equal},
        "rule_set_version": rule_set.key,
        "rule_set_digest": rule_set.digest,
        "benchmark_version": result.benchmark_version,
        "differences": differences,
        "result": recomputed,
    }
