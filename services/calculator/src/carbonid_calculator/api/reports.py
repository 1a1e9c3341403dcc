"""Emission report of a computed or confirmed calculation: an HTML page and a downloadable PDF."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from carbonid_calculator.api.access import readable
from carbonid_calculator.context import CalculatorContext, context_of
from carbonid_calculator.db import EnterpriseView
from carbonid_calculator.domain import CalculatorDomainError
from carbonid_calculator.report.charts import category_pie, energy_bar
from carbonid_calculator.report.fonts import CjkFont, require_cjk_font
from carbonid_calculator.report.html import render_html
from carbonid_calculator.report.model import ReportModel, report_model
from carbonid_calculator.report.pdf import render_pdf
from carbonid_kit.auth import CurrentCaller
from carbonid_kit.problems import conflict

router = APIRouter(tags=["reports"])


async def _model(request: Request, caller: CurrentCaller, calculation_id: uuid.UUID) -> tuple[ReportModel, CjkFont]:
    ctx: CalculatorContext = context_of(request)
    font = require_cjk_font(ctx.settings.report_font_path, ctx.settings.report_font_dirs)
    async with ctx.runtime.sessions() as session:
        calc = await readable(session, caller, calculation_id)
        if calc.result is None:
            raise conflict(
                "calculation-not-computed",
                "计算尚未完成，无法生成碳排放报告",
                "The calculation has not been computed; there is no report yet",
            )
        enterprise = await session.get(EnterpriseView, calc.enterprise_id)
    try:
        industry_name: str | None = ctx.reference.taxonomy.node(calc.sub_industry_code).name_zh
    except CalculatorDomainError:
        industry_name = None
    return report_model(calc, enterprise, industry_name), font


def _html(model: ReportModel, font: CjkFont) -> str:
    return render_html(model, category_pie(model, font), energy_bar(model, font))


def _pdf(model: ReportModel, font: CjkFont) -> bytes:
    return render_pdf(model, font, category_pie(model, font), energy_bar(model, font))


@router.get("/calculations/{calculation_id}/report", response_class=HTMLResponse, summary="Emission report (HTML)")
async def report_html(calculation_id: uuid.UUID, request: Request, caller: CurrentCaller) -> HTMLResponse:
    model, font = await _model(request, caller, calculation_id)
    return HTMLResponse(await run_in_threadpool(_html, model, font))


@router.get(
    "/calculations/{calculation_id}/report.pdf",
    response_class=StreamingResponse,
    summary="Emission report (PDF download)",
    responses={200: {"content": {"application/pdf": {}}}},
)
async def report_pdf(calculation_id: uuid.UUID, request: Request, caller: CurrentCaller) -> StreamingResponse:
    model, font = await _model(request, caller, calculation_id)
    content = await run_in_threadpool(_pdf, model, font)
    filename = f"碳排放报告-{model.enterprise_name}-{model.period}.pdf"
    ascii_name = f"emission-report-{model.period}-{model.calculation_id[:8]}.pdf"
    return StreamingResponse(
        iter([content]),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
            "Content-Length": str(len(content)),
        },
    )
