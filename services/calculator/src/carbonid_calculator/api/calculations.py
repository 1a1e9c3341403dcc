"""Calculations: draft → computed → confirmed. Edits after compute return to draft; confirmed is immutable."""

from __future__ import annotations

import contextlib
import uuid
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_calculator.api.access import bound_enterprise, readable, writable
from carbonid_calculator.api.schemas import NewCalculation, NewLine, ReductionsBody
from carbonid_calculator.context import CalculatorContext, context_of
from carbonid_calculator.db import (
    Calculation,
    CalculationEvidence,
    CalculationLine,
    EnterpriseView,
    EvidenceFile,
    ResolvedActivity,
)
from carbonid_calculator.domain import (
    CalculationRejectedError,
    CalculationResult,
    CalculatorDomainError,
    EmissionFactorSet,
    Severity,
    ValidationIssue,
    calculate,
    validate_calculation_input,
)
from carbonid_calculator.serialize import dec, issue_json, result_json
from carbonid_calculator.workflow import domain_input, errors_under, ordered, pointer, rejected
from carbonid_contracts.codes.region import region_prefix
from carbonid_contracts.events import EmissionCalculated
from carbonid_kit.auth import Caller, CurrentCaller
from carbonid_kit.db import transaction
from carbonid_kit.problems import Problem, conflict, forbidden, invalid, not_found

# The resolver maps the node's steam-enthalpy item (kJ/kg) to this code.
STEAM_ENTHALPY = "steam.enthalpy"

router = APIRouter(tags=["calculations"])

EMPTY_REDUCTIONS: dict[str, Any] = {
    "ccer_tco2": "0",
    "green_certificates_mwh": "0",
    "own_renewable_mwh": None,
    "sinks_tco2": "0",
    "note": None,
}


# --- helpers ---------------------------------------------------------------------------------------------


async def factor_set_of(ctx: CalculatorContext, session: AsyncSession, set_id: str) -> EmissionFactorSet:
    factor_set = await ctx.factor_sets.get(session, set_id)
    if factor_set is None:
        raise invalid(
            "unknown-factor-set",
            f"未知排放因子集：{set_id}",
            f"Unknown emission factor set: {set_id}",
            pointer="/factor_set_id",
        )
    return factor_set


async def lines_of(session: AsyncSession, calculation_id: uuid.UUID) -> list[CalculationLine]:
    rows = await session.execute(select(CalculationLine).where(CalculationLine.calculation_id == calculation_id))
    return ordered(list(rows.scalars()))


async def issues_of(
    ctx: CalculatorContext, session: AsyncSession, calc: Calculation, lines: Sequence[CalculationLine]
) -> tuple[ValidationIssue, ...]:
    factor_set = await factor_set_of(ctx, session, calc.factor_set_id)
    return validate_calculation_input(
        domain_input(calc, lines),
        taxonomy=ctx.reference.taxonomy,
        factor_set=factor_set,
        settings=ctx.settings.calculation_settings(),
        bounds=ctx.reference.bounds,
        as_of=ctx.today(),
    )


async def refuse_new_errors(
    ctx: CalculatorContext, session: AsyncSession, calc: Calculation, lines: Sequence[CalculationLine], *prefixes: str
) -> tuple[ValidationIssue, ...]:
    """Validate the edited calculation; errors in the edited fields refuse the edit (nothing is written)."""
    issues = await issues_of(ctx, session, calc, lines)
    errors = errors_under(issues, *prefixes)
    if errors:
        raise rejected(errors, line_ids=[line.id for line in lines], detail_zh="修改未保存", detail_en="Not saved")
    return issues


def back_to_draft(calc: Calculation) -> None:
    """Any edit invalidates a computed result: the calculation returns to draft and must be computed again."""
    calc.state = "draft"
    calc.result = None
    calc.input_hash = None
    calc.grid_factor = None
    calc.computed_at = None
    calc.updated_at = datetime.now(UTC)


async def evidence_of(session: AsyncSession, calculation_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(CalculationEvidence, EvidenceFile)
        .join(EvidenceFile, EvidenceFile.sha256 == CalculationEvidence.sha256)
        .where(CalculationEvidence.calculation_id == calculation_id)
        .order_by(CalculationEvidence.uploaded_at)
    )
    return [
        {
            "id": str(link.id),
            "sha256": link.sha256,
            "kind": link.kind,
            "filename": link.filename,
            "media_type": file.media_type,
            "size_bytes": file.size_bytes,
            "uploaded_at": link.uploaded_at.isoformat(),
            "url": f"evidence/{link.sha256}",
        }
        for link, file in rows.all()
    ]


def line_json(ctx: CalculatorContext, line: CalculationLine) -> dict[str, Any]:
    catalogue = ctx.reference.catalogue
    source = catalogue.get(line.source_code) if line.source_code in catalogue else None
    return {
        "id": str(line.id),
        "position": line.position,
        "origin": line.origin,
        "locked": line.origin == "resolved",
        "source_code": line.source_code,
        "source_name_zh": source.name_zh if source else None,
        "source_name_en": source.name_en if source else None,
        "item_name": line.item_name,
        "quantity": dec(line.quantity),
        "unit": line.unit,
        "measured": line.measured,
        "steam_enthalpy_kj_per_kg": None
        if line.steam_enthalpy_kj_per_kg is None
        else dec(line.steam_enthalpy_kj_per_kg),
        "handle": line.handle,
    }


def summary_json(calc: Calculation, enterprise_name: str | None) -> dict[str, Any]:
    summary = (calc.result or {}).get("summary", {})
    return {
        "id": str(calc.id),
        "enterprise_id": str(calc.enterprise_id),
        "enterprise_name": enterprise_name,
        "region_code": calc.region_code,
        "sub_industry_code": calc.sub_industry_code,
        "period": calc.period,
        "added_value_10k_cny": dec(calc.added_value_10k_cny),
        "factor_set_id": calc.factor_set_id,
        "state": calc.state,
        "total_emissions_tco2": summary.get("total_emissions_tco2"),
        "net_emissions_tco2": summary.get("net_emissions_tco2"),
        "intensity_tco2_per_10k_cny": summary.get("intensity_tco2_per_10k_cny"),
        "input_hash": calc.input_hash,
        "supersedes": None if calc.supersedes is None else str(calc.supersedes),
        "recalculated_from": None if calc.recalculated_from is None else str(calc.recalculated_from),
        "created_at": calc.created_at.isoformat() if calc.created_at else None,
        "computed_at": calc.computed_at.isoformat() if calc.computed_at else None,
        "confirmed_at": calc.confirmed_at.isoformat() if calc.confirmed_at else None,
    }


async def calculation_json(ctx: CalculatorContext, session: AsyncSession, calc: Calculation) -> dict[str, Any]:
    enterprise = await session.get(EnterpriseView, calc.enterprise_id)
    lines = await lines_of(session, calc.id)
    taxonomy = ctx.reference.taxonomy
    industry_name = None
    with contextlib.suppress(CalculatorDomainError):
        industry_name = taxonomy.node(calc.sub_industry_code).name_zh
    resolution = None
    if calc.resolution_id is not None:
        activity = await session.get(ResolvedActivity, calc.resolution_id)
        if activity is not None:
            resolution = {
                "resolution_id": str(activity.resolution_id),
                "template_id": activity.template_id,
                "template_version": activity.template_version,
                "stale": activity.stale,
                "resolved_at": activity.resolved_at.isoformat(),
            }
    return {
        **summary_json(calc, enterprise.name if enterprise else None),
        "identifier_prefix": calc.identifier_prefix,
        "sub_industry_name_zh": industry_name,
        "resolution": resolution,
        "lines": [line_json(ctx, line) for line in lines],
        "reductions": calc.reductions,
        "evidence": await evidence_of(session, calc.id),
        "grid_factor": calc.grid_factor,
        "result": calc.result,
        "links": {
            "report": f"calculations/{calc.id}/report",
            "report_pdf": f"calculations/{calc.id}/report.pdf",
        },
    }


async def renumber(session: AsyncSession, lines: Sequence[CalculationLine]) -> None:
    """Resolved lines first (as resolved), then manual lines (as added); positions 0..n-1."""
    resolved = [line for line in lines if line.origin == "resolved"]
    manual = [line for line in lines if line.origin != "resolved"]
    for position, line in enumerate([*resolved, *manual]):
        line.position = position
    await session.flush()


# --- endpoints -------------------------------------------------------------------------------------------


@router.post("/calculations", status_code=201, summary="Start a draft calculation (sub-industry, period, added value)")
async def create_calculation(body: NewCalculation, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    ctx = context_of(request)
    enterprise_id = bound_enterprise(caller)
    set_id = body.factor_set_id or ctx.settings.default_factor_set
    async with transaction(ctx.runtime.sessions) as session:
        enterprise = await session.get(EnterpriseView, enterprise_id)
        if enterprise is None:
            raise conflict(
                "enterprise-unknown",
                "尚未获取企业基本信息；请先通过标识解析获取企业信息",
                "The enterprise's basic information has not been resolved yet; resolve the enterprise first",
            )
        calc = Calculation(
            id=uuid.uuid4(),
            enterprise_id=enterprise_id,
            region_code=enterprise.region_code,
            identifier_prefix=enterprise.identifier_prefix,
            sub_industry_code=body.sub_industry_code,
            period=body.period,
            added_value_10k_cny=body.added_value_10k_cny,
            factor_set_id=set_id,
            state="draft",
            reductions=dict(EMPTY_REDUCTIONS),
            created_by=caller.user_id,
        )
        await factor_set_of(ctx, session, set_id)
        await refuse_new_errors(ctx, session, calc, [], "sub_industry_code", "period", "added_value_10k_cny")
        session.add(calc)
        await session.flush()
        await session.refresh(calc)
        return await calculation_json(ctx, session, calc)


@router.get("/calculations", summary="Calculations, newest first (own; government: within region; operator: all)")
async def list_calculations(
    request: Request,
    *,
    caller: CurrentCaller,
    enterprise_id: uuid.UUID | None = None,
    period: Annotated[str | None, Query(max_length=8)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    ctx = context_of(request)
    query = select(Calculation, EnterpriseView.name).outerjoin(
        EnterpriseView, EnterpriseView.id == Calculation.enterprise_id
    )
    if caller.role == "enterprise":
        own = bound_enterprise(caller)
        if enterprise_id is not None and enterprise_id != own:
            raise forbidden("只能查看本企业的碳排放计算", "You may see only your own enterprise's calculations")
        query = query.where(Calculation.enterprise_id == own)
    else:
        if caller.role == "government":
            if not caller.region_scope:
                raise forbidden("政府用户未设置管辖区域", "This government user has no region scope")
            query = query.where(Calculation.region_code.startswith(region_prefix(caller.region_scope)))
        if enterprise_id is not None:
            query = query.where(Calculation.enterprise_id == enterprise_id)
    if period is not None:
        query = query.where(Calculation.period == period)
    async with ctx.runtime.sessions() as session:
        total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
        rows = await session.execute(
            query.order_by(Calculation.created_at.desc(), Calculation.id.desc()).limit(limit).offset(offset)
        )
        items = [summary_json(calc, name) for calc, name in rows.all()]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/calculations/{calculation_id}", summary="A calculation with its lines, reductions, evidence and result")
async def get_calculation(calculation_id: uuid.UUID, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    ctx = context_of(request)
    async with ctx.runtime.sessions() as session:
        calc = await readable(session, caller, calculation_id)
        return await calculation_json(ctx, session, calc)


def _merge_resolved(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Template items mapped to the same source and unit become one line (the domain refuses duplicates)."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines:
        key = (line["source_code"], line["unit"])
        if key in merged:
            first = merged[key]
            first["quantity"] = dec(Decimal(first["quantity"]) + Decimal(line["quantity"]))
            first["item_name"] = "；".join(filter(None, [first["item_name"], line["item_name"]]))[:200]
            first["handle"] = first["handle"] or line["handle"]
        else:
            merged[key] = dict(line)
    return list(merged.values())


@router.post(
    "/calculations/{calculation_id}/resolved-activity",
    summary="Attach the latest resolved activity data of the calculation's period (locked lines)",
)
async def attach_resolved_activity(
    calculation_id: uuid.UUID, request: Request, caller: CurrentCaller
) -> dict[str, Any]:
    ctx = context_of(request)
    async with transaction(ctx.runtime.sessions) as session:
        calc = await writable(session, caller, calculation_id)
        activity = (
            await session.execute(
                select(ResolvedActivity)
                .where(ResolvedActivity.enterprise_id == calc.enterprise_id, ResolvedActivity.period == calc.period)
                .order_by(ResolvedActivity.resolved_at.desc(), ResolvedActivity.received_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if activity is None:
            path = ctx.settings.resolver_path.format(enterprise_id=calc.enterprise_id)
            raise Problem(
                409,
                "resolved-activity-missing",
                "尚无标识解析数据",
                "No resolved activity data",
                f"周期 {calc.period} 尚无标识解析获取的活动数据；"
                f"请先发起标识解析请求（POST {path}，period={calc.period}）",
                f"No activity data has been resolved for {calc.period}; start a resolution first "
                f"(POST {path} with period={calc.period})",
                extra={"resolve": {"method": "POST", "href": path, "body": {"period": calc.period}}},
            )
        await session.execute(
            delete(CalculationLine).where(
                CalculationLine.calculation_id == calc.id, CalculationLine.origin == "resolved"
            )
        )
        resolved = _merge_resolved(activity.lines)
        # The node publishes the steam's enthalpy as an item of its own; it is a parameter of the steam line.
        enthalpy = next((Decimal(x["quantity"]) for x in resolved if x["source_code"] == STEAM_ENTHALPY), None)
        for line in resolved:
            if line["source_code"] == STEAM_ENTHALPY:
                continue
            is_steam_in_tonnes = line["source_code"] == "steam.purchased" and line["unit"] == "t"
            session.add(
                CalculationLine(
                    id=uuid.uuid4(),
                    calculation_id=calc.id,
                    position=-1,
                    origin="resolved",
                    source_code=line["source_code"],
                    item_name=line.get("item_name"),
                    quantity=Decimal(line["quantity"]),
                    unit=line["unit"],
                    handle=line.get("handle"),
                    steam_enthalpy_kj_per_kg=enthalpy if is_steam_in_tonnes else None,
                )
            )
        await session.flush()
        lines = await lines_of(session, calc.id)
        await renumber(session, lines)
        calc.resolution_id = activity.resolution_id
        back_to_draft(calc)
        body = await calculation_json(ctx, session, calc)
        # Resolved data is what the node published: it is attached as is, and what the domain thinks of it is
        # shown now (compute refuses errors later), because the user cannot edit locked lines anyway.
        body["issues"] = [issue_json(i) for i in await issues_of(ctx, session, calc, await lines_of(session, calc.id))]
        return body


@router.post("/calculations/{calculation_id}/lines", status_code=201, summary="Add a manual line (新建指标)")
async def add_line(calculation_id: uuid.UUID, body: NewLine, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    ctx = context_of(request)
    async with transaction(ctx.runtime.sessions) as session:
        calc = await writable(session, caller, calculation_id)
        lines = await lines_of(session, calc.id)
        measured = body.measured.model_dump(mode="json") if body.measured else None
        if measured is not None and all(v is None for v in measured.values()):
            measured = None
        line = CalculationLine(
            id=uuid.uuid4(),
            calculation_id=calc.id,
            position=len(lines),
            origin="manual",
            source_code=body.source_code,
            item_name=body.item_name,
            quantity=body.quantity,
            unit=body.unit,
            measured=measured,
            steam_enthalpy_kj_per_kg=body.steam_enthalpy_kj_per_kg,
        )
        edited = [*lines, line]
        await refuse_new_errors(ctx, session, calc, edited, f"lines[{len(lines)}]")
        session.add(line)
        back_to_draft(calc)
        await session.flush()
        return {"line": line_json(ctx, line), "calculation": await calculation_json(ctx, session, calc)}


@router.delete("/calculations/{calculation_id}/lines/{line_id}", summary="Remove a line (resolved or manual)")
async def remove_line(
    calculation_id: uuid.UUID, line_id: uuid.UUID, request: Request, caller: CurrentCaller
) -> dict[str, Any]:
    ctx = context_of(request)
    async with transaction(ctx.runtime.sessions) as session:
        calc = await writable(session, caller, calculation_id)
        line = await session.get(CalculationLine, line_id)
        if line is None or line.calculation_id != calc.id:
            raise not_found("活动数据行", "Line")
        await session.delete(line)
        await session.flush()
        await renumber(session, await lines_of(session, calc.id))
        back_to_draft(calc)
        return await calculation_json(ctx, session, calc)


@router.put("/calculations/{calculation_id}/reductions", summary="Set CCER, green certificates, own renewables, sinks")
async def put_reductions(
    calculation_id: uuid.UUID, body: ReductionsBody, request: Request, caller: CurrentCaller
) -> dict[str, Any]:
    ctx = context_of(request)
    async with transaction(ctx.runtime.sessions) as session:
        calc = await writable(session, caller, calculation_id)
        calc.reductions = {
            "ccer_tco2": dec(body.ccer_tco2),
            "green_certificates_mwh": dec(body.green_certificates_mwh),
            "own_renewable_mwh": None if body.own_renewable_mwh is None else dec(body.own_renewable_mwh),
            "sinks_tco2": dec(body.sinks_tco2),
            "note": body.note,
        }
        await refuse_new_errors(ctx, session, calc, await lines_of(session, calc.id), "reductions")
        back_to_draft(calc)
        return await calculation_json(ctx, session, calc)


def run_domain(
    ctx: CalculatorContext, calc: Calculation, lines: Sequence[CalculationLine], factor_set: EmissionFactorSet
) -> CalculationResult:
    return calculate(
        domain_input(calc, lines),
        taxonomy=ctx.reference.taxonomy,
        factor_set=factor_set,
        bounds=ctx.reference.bounds,
        settings=ctx.settings.calculation_settings(),
        as_of=ctx.today(),
    )


@router.get("/calculations/{calculation_id}/preview", summary="What would be computed; validation issues as warnings")
async def preview(calculation_id: uuid.UUID, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    ctx = context_of(request)
    async with ctx.runtime.sessions() as session:
        calc = await readable(session, caller, calculation_id)
        lines = await lines_of(session, calc.id)
        factor_set = await factor_set_of(ctx, session, calc.factor_set_id)
        issues = await issues_of(ctx, session, calc, lines)
        body = await calculation_json(ctx, session, calc)
    ready = not any(i.severity is Severity.ERROR for i in issues)
    preview_summary = run_domain(ctx, calc, lines, factor_set).presented_summary() if ready else None
    return {
        "calculation": body,
        "ready": ready,
        "warnings": [{**issue_json(i), "pointer": pointer(i.field)} for i in issues],
        "would_compute": preview_summary,
    }


@router.post("/calculations/{calculation_id}/compute", summary="Compute: result, trace, input hash, factor set")
async def compute(calculation_id: uuid.UUID, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    ctx = context_of(request)
    async with transaction(ctx.runtime.sessions) as session:
        calc = await writable(session, caller, calculation_id)
        lines = await lines_of(session, calc.id)
        factor_set = await factor_set_of(ctx, session, calc.factor_set_id)
        try:
            result = run_domain(ctx, calc, lines, factor_set)
        except CalculationRejectedError as exc:
            raise rejected(exc.issues, line_ids=[line.id for line in lines]) from exc
        stored = result_json(result)
        calc.result = stored
        calc.input_hash = result.input_hash
        calc.grid_factor = stored["grid_factor"]
        calc.state = "computed"
        calc.computed_at = calc.updated_at = datetime.now(UTC)
        return await calculation_json(ctx, session, calc)


@router.post("/calculations/{calculation_id}/confirm", summary="Confirm: immutable, publishes emission.calculated")
async def confirm(calculation_id: uuid.UUID, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    ctx = context_of(request)
    async with transaction(ctx.runtime.sessions) as session:
        calc = await writable(session, caller, calculation_id)
        if calc.state != "computed" or calc.result is None or calc.input_hash is None:
            raise conflict(
                "calculation-not-computed",
                "请先完成计算再确认",
                "Compute the calculation before confirming it",
            )
        # One confirmation at a time per enterprise and period, so that ``supersedes`` forms a chain.
        lock = zlib.crc32(f"confirm:{calc.enterprise_id}:{calc.period}".encode())
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
        previous = (
            await session.execute(
                select(Calculation.id)
                .where(
                    Calculation.enterprise_id == calc.enterprise_id,
                    Calculation.period == calc.period,
                    Calculation.state == "confirmed",
                    Calculation.id != calc.id,
                )
                .order_by(Calculation.confirmed_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        now = datetime.now(UTC)
        calc.state = "confirmed"
        calc.confirmed_at = calc.updated_at = now
        calc.confirmed_by = caller.user_id
        calc.supersedes = previous
        summary = calc.result["summary"]
        await ctx.runtime.outbox.add(
            session,
            EmissionCalculated(
                enterprise_id=calc.enterprise_id,
                calculation_id=calc.id,
                supersedes=previous,
                identifier_prefix=calc.identifier_prefix,
                region_code=calc.region_code,
                industry_code=calc.sub_industry_code,
                period=calc.period,
                added_value_10k_cny=calc.added_value_10k_cny,
                total_emissions_tco2=summary["total_emissions_tco2"],
                net_emissions_tco2=summary["net_emissions_tco2"],
                intensity_tco2_per_10k_cny=summary["intensity_tco2_per_10k_cny"],
                energy_tce=summary["energy_tce"],
                by_scope=summary["by_scope"],
                by_category=summary["by_category"],
                by_carrier=summary["by_carrier"],
                reductions=summary["reductions"],
                factor_set_version=calc.factor_set_id,
                input_hash=calc.input_hash,
                confirmed_at=now,
            ),
        )
        return await calculation_json(ctx, session, calc)


@router.post(
    "/calculations/{calculation_id}/recalculate",
    status_code=201,
    summary="Copy into a new draft (the old calculation is kept as it is)",
)
async def recalculate(
    calculation_id: uuid.UUID,
    request: Request,
    caller: CurrentCaller,
    factor_set_id: Annotated[str | None, Body(embed=True, max_length=200)] = None,
) -> dict[str, Any]:
    ctx = context_of(request)
    enterprise_id = bound_enterprise(caller)
    async with transaction(ctx.runtime.sessions) as session:
        old = await readable(session, caller, calculation_id)
        if old.enterprise_id != enterprise_id:
            raise forbidden("只能重新计算本企业的计算", "You may recalculate only your own enterprise's calculations")
        set_id = factor_set_id or old.factor_set_id
        await factor_set_of(ctx, session, set_id)
        enterprise = await session.get(EnterpriseView, enterprise_id)
        new = Calculation(
            id=uuid.uuid4(),
            enterprise_id=enterprise_id,
            region_code=enterprise.region_code if enterprise else old.region_code,
            identifier_prefix=enterprise.identifier_prefix if enterprise else old.identifier_prefix,
            sub_industry_code=old.sub_industry_code,
            period=old.period,
            added_value_10k_cny=old.added_value_10k_cny,
            factor_set_id=set_id,
            state="draft",
            reductions=dict(old.reductions or EMPTY_REDUCTIONS),
            resolution_id=old.resolution_id,
            recalculated_from=old.id,
            created_by=caller.user_id,
        )
        session.add(new)
        await session.flush()
        for line in await lines_of(session, old.id):
            session.add(
                CalculationLine(
                    id=uuid.uuid4(),
                    calculation_id=new.id,
                    position=line.position,
                    origin=line.origin,
                    source_code=line.source_code,
                    item_name=line.item_name,
                    quantity=line.quantity,
                    unit=line.unit,
                    measured=line.measured,
                    steam_enthalpy_kj_per_kg=line.steam_enthalpy_kj_per_kg,
                    handle=line.handle,
                )
            )
        links = await session.execute(select(CalculationEvidence).where(CalculationEvidence.calculation_id == old.id))
        for link in links.scalars():
            session.add(
                CalculationEvidence(
                    id=uuid.uuid4(),
                    calculation_id=new.id,
                    sha256=link.sha256,
                    kind=link.kind,
                    filename=link.filename,
                    uploaded_by=link.uploaded_by,
                )
            )
        await session.flush()
        await session.refresh(new)
        return await calculation_json(ctx, session, new)


def caller_is_owner(caller: Caller, calc: Calculation) -> bool:
    return caller.role == "enterprise" and caller.enterprise_id == calc.enterprise_id


__all__ = ["caller_is_owner", "lines_of", "router", "run_domain"]
