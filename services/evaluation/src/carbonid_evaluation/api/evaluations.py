"""Evaluations: start, the four steps, history, details, evidence files, recomputation."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_contracts.codes.period import PERIOD_PATTERN
from carbonid_contracts.codes.region import region_prefix
from carbonid_evaluation import workflow
from carbonid_evaluation.access import check_owner, check_read, check_regulator, not_bound, own_enterprise
from carbonid_evaluation.api.deps import Ctx
from carbonid_evaluation.db import Evaluation, EvidenceFile
from carbonid_evaluation.documents import questionnaire_document
from carbonid_evaluation.evidence import EXTENSIONS, check_evidence
from carbonid_evaluation.workflow import Status
from carbonid_kit.auth import Caller, CurrentCaller
from carbonid_kit.db import transaction
from carbonid_kit.problems import Problem, forbidden, invalid

router = APIRouter(tags=["evaluations"])


MAX_WAIT_SECONDS = 10.0
WAIT_POLL_SECONDS = 0.1


class StartEvaluation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str | None = Field(
        default=None,
        pattern=PERIOD_PATTERN,
        description="2024, 2024H1, 2024Q3 or 2024-07; default: the latest period with a confirmed calculation",
    )


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1, max_length=64, description="the chosen option's value, e.g. yes / no")
    evidence: list[uuid.UUID] | None = Field(
        default=None,
        max_length=20,
        description="ids of evidence uploaded for this question; omitted: every file uploaded for it",
    )


class QuestionnaireAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, AnswerIn] = Field(max_length=200)
    submit: bool = Field(
        default=True, description="true: the questionnaire is finished (every rule checked); false: save a draft"
    )


def evaluation_summary(e: Evaluation) -> dict[str, Any]:
    result = e.result or {}
    return {
        "id": str(e.id),
        "enterprise_id": str(e.enterprise_id),
        "region_code": e.region_code,
        "industry_code": e.industry_code,
        "period": e.period,
        "status": e.status,
        "step": e.step,
        "grade": e.grade,
        "grade_colour": result.get("grade_colour"),
        "level": e.level,
        "efficiency_value_k": result.get("efficiency_value_k"),
        "intensity_tco2_per_10k_cny": result.get("intensity_tco2_per_10k_cny"),
        "neutralisation_rate": result.get("neutralisation_rate"),
        "rule_set_version": e.rule_set_key,
        "supersedes": str(e.supersedes) if e.supersedes else None,
        "created_at": e.created_at.isoformat(),
        "issued_at": e.issued_at.isoformat() if e.issued_at else None,
    }


async def evaluation_detail(ctx: Ctx, session: AsyncSession, e: Evaluation) -> dict[str, Any]:
    rule_set = await ctx.rule_sets.get(session, e.rule_set_key)
    calculation = await workflow.calculation_of(session, e)
    files = (
        (
            await session.execute(
                select(EvidenceFile).where(EvidenceFile.evaluation_id == e.id).order_by(EvidenceFile.uploaded_at)
            )
        )
        .scalars()
        .all()
    )
    return {
        **evaluation_summary(e),
        "calculation": {
            "calculation_id": str(calculation.calculation_id),
            "current": calculation.is_current,
            "total_emissions_tco2": str(calculation.total_emissions_tco2),
            "added_value_10k_cny": str(calculation.added_value_10k_cny),
            "intensity_tco2_per_10k_cny": str(calculation.intensity_tco2_per_10k_cny),
            "factor_set_version": calculation.factor_set_version,
            "confirmed_at": calculation.confirmed_at.isoformat(),
        },
        "rule_set_digest": e.rule_set_digest,
        "grid_factor": {"tco2_per_mwh": str(e.grid_factor_tco2_per_mwh), "source": e.grid_factor_source},
        "questionnaire": {
            "version": rule_set.questionnaire.version,
            "answers": e.answers,
            "submitted_at": e.questionnaire_submitted_at.isoformat() if e.questionnaire_submitted_at else None,
            "editable": e.status == Status.IN_PROGRESS,
        },
        "evidence": [
            {
                "id": str(f.id),
                "question_id": f.question_id,
                "file_name": f.file_name,
                "media_type": f.media_type,
                "size_bytes": f.size_bytes,
                "sha256": f.sha256,
                "uploaded_at": f.uploaded_at.isoformat(),
            }
            for f in files
        ],
        "neutralisation": {
            "confirmed_at": e.neutralisation_confirmed_at.isoformat() if e.neutralisation_confirmed_at else None,
            "figures": e.neutralisation or workflow.neutralisation_preview(calculation, e, rule_set),
        },
        "computation": {
            "computed_at": e.computed_at.isoformat() if e.computed_at else None,
            "steps": e.computation_steps or [],
            "input_hash": e.input_hash,
            "benchmark_version": e.benchmark_version,
        },
        "result": e.result,
    }


async def _load(session: AsyncSession, evaluation_id: uuid.UUID, *, lock: bool = False) -> Evaluation | None:
    stmt = select(Evaluation).where(Evaluation.id == evaluation_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


@router.get("/periods", summary="Calculated periods of an enterprise, latest first (default of 开始评效)")
async def periods(
    ctx: Ctx,
    caller: CurrentCaller,
    enterprise_id: Annotated[uuid.UUID | None, Query(description="required for government and operators")] = None,
) -> dict[str, Any]:
    if caller.role == "enterprise":
        if caller.enterprise_id is None:
            raise not_bound(ctx.settings.enterprise_binding_page)
        if enterprise_id not in (None, caller.enterprise_id):
            raise forbidden()
        enterprise_id = caller.enterprise_id
    elif enterprise_id is None:
        raise invalid("enterprise-required", "请指定企业", "Name the enterprise", pointer="/enterprise_id")
    async with ctx.runtime.sessions() as session:
        calculations = await workflow.current_calculations(session, enterprise_id)
        if caller.role == "government" and any(
            not caller.may_see(enterprise_id=enterprise_id, region_code=c.region_code) for c in calculations
        ):
            raise forbidden("该企业不在您的管辖地区内", "This enterprise lies outside your region")
        evaluated = set(
            (
                await session.execute(
                    select(Evaluation.period).where(
                        Evaluation.enterprise_id == enterprise_id, Evaluation.status == Status.COMPLETED
                    )
                )
            )
            .scalars()
            .all()
        )
    items = [
        {
            "period": c.period,
            "calculation_id": str(c.calculation_id),
            "confirmed_at": c.confirmed_at.isoformat(),
            "total_emissions_tco2": str(c.total_emissions_tco2),
            "intensity_tco2_per_10k_cny": str(c.intensity_tco2_per_10k_cny),
            "evaluated": c.period in evaluated,
        }
        for c in calculations
    ]
    return {"default": items[0]["period"] if items else None, "periods": items}


@router.get("/questionnaire", summary="The carbon-performance questionnaire of the active (or a given) rule set")
async def questionnaire(
    ctx: Ctx,
    caller: CurrentCaller,
    rule_set: Annotated[str | None, Query(max_length=80, description="e.g. zhejiang-2022/v1")] = None,
) -> dict[str, Any]:
    async with ctx.runtime.sessions() as session:
        chosen = await (ctx.rule_sets.get(session, rule_set) if rule_set else ctx.rule_sets.active(session))
    return questionnaire_document(chosen)


@router.post(
    "/evaluations",
    status_code=status.HTTP_201_CREATED,
    summary="Start an evaluation (step 1: questionnaire); 422 no-calculation-for-period without a calculation",
)
async def start_evaluation(
    ctx: Ctx,
    caller: CurrentCaller,
    body: StartEvaluation | None = None,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT_SECONDS,
            description=(
                "seconds to wait for the period's calculation when it has not arrived yet (it travels as an "
                "event after the calculator confirms it); 0 answers 422 no-calculation-for-period at once"
            ),
        ),
    ] = 0,
) -> dict[str, Any]:
    enterprise_id = own_enterprise(caller, ctx.settings.enterprise_binding_page)
    deadline = time.monotonic() + wait
    while True:
        try:
            async with transaction(ctx.runtime.sessions) as session:
                evaluation = await workflow.start(
                    session,
                    ctx.settings,
                    ctx.rule_sets,
                    enterprise_id=enterprise_id,
                    user_id=caller.user_id,
                    period=body.period if body else None,
                )
                await session.refresh(evaluation)
                return await evaluation_detail(ctx, session, evaluation)
        except Problem as problem:
            if problem.slug != workflow.NO_CALCULATION or time.monotonic() + WAIT_POLL_SECONDS > deadline:
                raise
        await asyncio.sleep(WAIT_POLL_SECONDS)  # one short read per poll; the transaction above rolled back


@router.get("/evaluations", summary="Evaluation history, newest first")
async def list_evaluations(
    ctx: Ctx,
    caller: CurrentCaller,
    *,
    enterprise_id: uuid.UUID | None = None,
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    include_abandoned: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    stmt = select(Evaluation)
    if caller.role == "enterprise":
        if caller.enterprise_id is None:
            raise not_bound(ctx.settings.enterprise_binding_page)
        stmt = stmt.where(Evaluation.enterprise_id == caller.enterprise_id)
    elif caller.role == "government":
        if not caller.region_scope:
            raise forbidden("账号未设置管辖地区", "Your account has no region scope")
        stmt = stmt.where(Evaluation.region_code.startswith(region_prefix(caller.region_scope)))
    if enterprise_id is not None:
        stmt = stmt.where(Evaluation.enterprise_id == enterprise_id)
    if period is not None:
        stmt = stmt.where(Evaluation.period == period)
    if status_ is not None:
        stmt = stmt.where(Evaluation.status == status_)
    elif not include_abandoned:
        stmt = stmt.where(Evaluation.status != Status.ABANDONED)
    async with ctx.runtime.sessions() as session:
        total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
        rows = (
            (
                await session.execute(
                    stmt.order_by(Evaluation.created_at.desc(), Evaluation.id.desc()).limit(limit).offset(offset)
                )
            )
            .scalars()
            .all()
        )
    return {"total": total, "items": [evaluation_summary(e) for e in rows]}


@router.get("/evaluations/{evaluation_id}", summary="An evaluation: state, step, answers, computation steps, result")
async def get_evaluation(ctx: Ctx, caller: CurrentCaller, evaluation_id: uuid.UUID) -> dict[str, Any]:
    async with ctx.runtime.sessions() as session:
        evaluation = check_read(caller, await _load(session, evaluation_id))
        return await evaluation_detail(ctx, session, evaluation)


@router.delete(
    "/evaluations/{evaluation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Cancel an unfinished evaluation (its answers are discarded)",
)
async def abandon_evaluation(ctx: Ctx, caller: CurrentCaller, evaluation_id: uuid.UUID) -> Response:
    async with transaction(ctx.runtime.sessions) as session:
        evaluation = check_owner(
            caller, await _load(session, evaluation_id, lock=True), ctx.settings.enterprise_binding_page
        )
        workflow.require_in_progress(evaluation)
        evaluation.status = Status.ABANDONED
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _owned_step(ctx: Ctx, caller: Caller, session: AsyncSession, evaluation_id: uuid.UUID) -> Evaluation:
    return check_owner(caller, await _load(session, evaluation_id, lock=True), ctx.settings.enterprise_binding_page)


@router.put(
    "/evaluations/{evaluation_id}/questionnaire",
    summary="Step 1: save the questionnaire (draft or submitted); 409 once the code is issued",
)
async def put_questionnaire(
    ctx: Ctx, caller: CurrentCaller, evaluation_id: uuid.UUID, body: QuestionnaireAnswers
) -> dict[str, Any]:
    async with transaction(ctx.runtime.sessions) as session:
        evaluation = await _owned_step(ctx, caller, session, evaluation_id)
        rule_set = await ctx.rule_sets.get(session, evaluation.rule_set_key)
        answers = {qid: (a.value, a.evidence) for qid, a in body.answers.items()}
        await workflow.save_answers(session, evaluation, rule_set, answers, submit=body.submit)
        await session.flush()
        await session.refresh(evaluation)
        return await evaluation_detail(ctx, session, evaluation)


@router.post(
    "/evaluations/{evaluation_id}/evidence",
    status_code=status.HTTP_201_CREATED,
    summary="Upload an evidence file (PDF, PNG or JPEG, at most 10 MB) for one question",
)
async def upload_evidence(
    ctx: Ctx,
    caller: CurrentCaller,
    evaluation_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="PDF, PNG or JPEG")],
    question_id: Annotated[str, Form(min_length=1, max_length=64)],
) -> dict[str, Any]:
    content = await file.read(ctx.settings.evidence_max_bytes + 1)
    media_type = check_evidence(content, file.content_type, ctx.settings.evidence_max_bytes)
    async with transaction(ctx.runtime.sessions) as session:
        evaluation = await _owned_step(ctx, caller, session, evaluation_id)
        workflow.require_in_progress(evaluation)
        rule_set = await ctx.rule_sets.get(session, evaluation.rule_set_key)
        if rule_set.questionnaire.question(question_id) is None:
            raise invalid(
                "unknown-question", "问卷中没有该问题", "No such question in this questionnaire", pointer="/question_id"
            )
        sha256 = await ctx.evidence.put(session, content, media_type)
        name = (file.filename or "evidence").replace("/", "_").replace("\\", "_")[-200:]
        record = EvidenceFile(
            id=uuid.uuid4(),
            evaluation_id=evaluation.id,
            question_id=question_id,
            sha256=sha256,
            file_name=name,
            media_type=media_type,
            size_bytes=len(content),
            uploaded_by=caller.user_id,
        )
        session.add(record)
        workflow.link_evidence(evaluation, question_id, record.id)
        await session.flush()
        return {
            "id": str(record.id),
            "evaluation_id": str(evaluation.id),
            "question_id": question_id,
            "file_name": name,
            "media_type": media_type,
            "size_bytes": len(content),
            "sha256": sha256,
        }


@router.get(
    "/evaluations/{evaluation_id}/evidence/{evidence_id}",
    summary="Download an evidence file (the enterprise itself and regulators of its region)",
    response_class=Response,
)
async def download_evidence(
    ctx: Ctx, caller: CurrentCaller, evaluation_id: uuid.UUID, evidence_id: uuid.UUID
) -> Response:
    async with ctx.runtime.sessions() as session:
        evaluation = check_read(caller, await _load(session, evaluation_id))
        if caller.role == "operator":
            raise forbidden(
                "佐证材料仅企业本身和所在地区监管部门可下载", "Evidence is for the enterprise and its regulators"
            )
        record = await session.get(EvidenceFile, evidence_id)
        if record is None or record.evaluation_id != evaluation.id:
            raise Problem(404, "evidence-not-found", "佐证材料不存在", "Evidence not found")
        content = await ctx.evidence.get(session, record.sha256)
    ascii_name = f"evidence-{record.id}{EXTENSIONS.get(record.media_type, '')}"
    return Response(
        content,
        media_type=record.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}"',
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{record.sha256}"',
        },
    )


@router.post("/evaluations/{evaluation_id}/neutralisation", summary="Step 2: confirm the carbon neutralisation")
async def confirm_neutralisation(ctx: Ctx, caller: CurrentCaller, evaluation_id: uuid.UUID) -> dict[str, Any]:
    async with transaction(ctx.runtime.sessions) as session:
        evaluation = await _owned_step(ctx, caller, session, evaluation_id)
        rule_set = await ctx.rule_sets.get(session, evaluation.rule_set_key)
        await workflow.confirm_neutralisation(session, evaluation, rule_set)
        await session.flush()
        await session.refresh(evaluation)
        return await evaluation_detail(ctx, session, evaluation)


@router.post(
    "/evaluations/{evaluation_id}/compute",
    summary="Step 3: compute intensity, level, benchmark, K, grade and neutralisation rate (every step recorded)",
)
async def compute_evaluation(ctx: Ctx, caller: CurrentCaller, evaluation_id: uuid.UUID) -> dict[str, Any]:
    async with transaction(ctx.runtime.sessions) as session:
        evaluation = await _owned_step(ctx, caller, session, evaluation_id)
        rule_set = await ctx.rule_sets.get(session, evaluation.rule_set_key)
        await workflow.compute(session, evaluation, rule_set)
        await session.flush()
        await session.refresh(evaluation)
        return await evaluation_detail(ctx, session, evaluation)


@router.post(
    "/evaluations/{evaluation_id}/issue",
    summary="Step 4: issue the code: the evaluation completes and evaluation.completed is published",
)
async def issue_evaluation(ctx: Ctx, caller: CurrentCaller, evaluation_id: uuid.UUID) -> dict[str, Any]:
    async with transaction(ctx.runtime.sessions) as session:
        evaluation = await _owned_step(ctx, caller, session, evaluation_id)
        completed = await workflow.issue(session, evaluation)
        await ctx.runtime.outbox.add(session, completed)
        await session.flush()
        await session.refresh(evaluation)
        return await evaluation_detail(ctx, session, evaluation)


@router.post(
    "/evaluations/{evaluation_id}/recompute",
    summary="Recompute from the stored inputs and rule-set version and prove the same hash and result",
)
async def recompute_evaluation(ctx: Ctx, caller: CurrentCaller, evaluation_id: uuid.UUID) -> dict[str, Any]:
    async with ctx.runtime.sessions() as session:
        evaluation = check_regulator(caller, await _load(session, evaluation_id))
        return await workflow.recompute(session, evaluation, ctx.rule_sets)
