"""Evidence files of reductions: uploaded per calculation, stored by content hash, read by owner and regulators."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from carbonid_calculator.api.access import writable
from carbonid_calculator.api.calculations import evidence_of
from carbonid_calculator.api.schemas import EvidenceKind
from carbonid_calculator.context import context_of
from carbonid_calculator.db import Calculation, CalculationEvidence, EvidenceFile
from carbonid_calculator.evidence_store import ALLOWED_MEDIA_TYPES, sniff_media_type
from carbonid_kit.auth import CurrentCaller
from carbonid_kit.db import transaction
from carbonid_kit.problems import Problem, forbidden, not_found

router = APIRouter(tags=["evidence"])

_SHA = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 256 * 1024


@router.post(
    "/calculations/{calculation_id}/evidence",
    status_code=201,
    summary="Upload an evidence file (PDF, PNG, JPEG or OFD; size-limited) for a reduction",
)
async def upload_evidence(
    calculation_id: uuid.UUID,
    request: Request,
    caller: CurrentCaller,
    file: Annotated[UploadFile, File(description="the evidence document")],
    kind: Annotated[EvidenceKind, Form()] = "other",
) -> dict[str, Any]:
    ctx = context_of(request)
    limit = ctx.settings.evidence_max_bytes
    chunks: list[bytes] = []
    size = 0
    while chunk := await file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise Problem(
                413,
                "evidence-too-large",
                "文件过大",
                "File too large",
                f"佐证材料不能超过 {limit // (1024 * 1024)} MB",
                f"An evidence file may not exceed {limit // (1024 * 1024)} MB",
                extra={"max_bytes": limit},
            )
        chunks.append(chunk)
    content = b"".join(chunks)
    if not content:
        raise Problem(
            422, "evidence-empty", "文件为空", "Empty file", "上传的文件没有内容", "The uploaded file is empty"
        )
    media_type = sniff_media_type(content)
    if media_type is None:
        raise Problem(
            415,
            "evidence-type-forbidden",
            "不支持的文件类型",
            "File type not allowed",
            "佐证材料仅支持 PDF、PNG、JPEG 和 OFD 文件（按文件内容判断）",
            "Evidence must be a PDF, PNG, JPEG or OFD file (judged by its content)",
            extra={"allowed": list(ALLOWED_MEDIA_TYPES)},
        )
    filename = (file.filename or "evidence").replace("\\", "/").rsplit("/", 1)[-1][:200] or "evidence"
    async with transaction(ctx.runtime.sessions) as session:
        calc = await writable(session, caller, calculation_id)
        sha = await ctx.evidence.put(session, content, media_type)
        await session.execute(
            insert(CalculationEvidence)
            .values(
                id=uuid.uuid4(),
                calculation_id=calc.id,
                sha256=sha,
                kind=kind,
                filename=filename,
                uploaded_by=caller.user_id,
            )
            .on_conflict_do_nothing()
        )
        items = await evidence_of(session, calc.id)
    return {"sha256": sha, "media_type": media_type, "size_bytes": len(content), "evidence": items}


@router.delete("/calculations/{calculation_id}/evidence/{evidence_id}", summary="Detach an evidence file")
async def detach_evidence(
    calculation_id: uuid.UUID, evidence_id: uuid.UUID, request: Request, caller: CurrentCaller
) -> dict[str, Any]:
    ctx = context_of(request)
    async with transaction(ctx.runtime.sessions) as session:
        calc = await writable(session, caller, calculation_id)
        link = await session.get(CalculationEvidence, evidence_id)
        if link is None or link.calculation_id != calc.id:
            raise not_found("佐证材料", "Evidence")
        await session.delete(link)
        await session.flush()
        return {"evidence": await evidence_of(session, calc.id)}


@router.get("/evidence/{sha256}", summary="Download an evidence file (owner enterprise and regulators of its region)")
async def download_evidence(sha256: str, request: Request, caller: CurrentCaller) -> Response:
    if not _SHA.fullmatch(sha256):
        raise not_found("佐证材料", "Evidence")
    ctx = context_of(request)
    async with ctx.runtime.sessions() as session:
        owners = (
            await session.execute(
                select(Calculation.enterprise_id, Calculation.region_code, CalculationEvidence.filename)
                .join(CalculationEvidence, CalculationEvidence.calculation_id == Calculation.id)
                .where(CalculationEvidence.sha256 == sha256)
            )
        ).all()
        if not owners:
            raise not_found("佐证材料", "Evidence")
        visible = [o for o in owners if caller.may_see(enterprise_id=o.enterprise_id, region_code=o.region_code)]
        if not visible:
            raise forbidden("无权下载该佐证材料", "You may not download this evidence file")
        record = await session.get(EvidenceFile, sha256)
        if record is None:
            raise not_found("佐证材料", "Evidence")
    content = await asyncio.to_thread(ctx.evidence.read, record)
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "application/ofd": "ofd"}
    return Response(
        content,
        media_type=record.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{sha256[:16]}.{extension.get(record.media_type, "bin")}"',
            "ETag": f'"{sha256}"',
            "Cache-Control": "private, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )
