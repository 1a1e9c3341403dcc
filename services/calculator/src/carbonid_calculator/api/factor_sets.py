"""The emission-factor library: sets side by side, each row with its source; operators add new versions."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import UploadFile

from carbonid_calculator.api.schemas import NewFactorSet
from carbonid_calculator.context import context_of
from carbonid_calculator.db import FactorSetRecord
from carbonid_calculator.domain import ReferenceDataError
from carbonid_calculator.factor_library import TABLES, add_operator_set, operator_bundle
from carbonid_calculator.serialize import factor_set_rows_json
from carbonid_kit.auth import CurrentCaller
from carbonid_kit.db import transaction
from carbonid_kit.problems import FieldError, Problem, conflict, forbidden, not_found, validation_problem

router = APIRouter(tags=["factor library"])


def record_json(record: FactorSetRecord, default_id: str) -> dict[str, Any]:
    return {
        "id": record.id,
        "family": record.family,
        "version": record.version,
        "name_zh": record.name_zh,
        "name_en": record.name_en,
        "origin": record.origin,
        "is_default": record.id == default_id,
        "content_sha256": record.content_sha256,
        "created_at": record.created_at.isoformat(),
    }


@router.get("/factor-sets", summary="Factor sets (families and versions side by side)")
async def list_factor_sets(request: Request, caller: CurrentCaller) -> dict[str, Any]:
    del caller
    ctx = context_of(request)
    async with ctx.runtime.sessions() as session:
        records = (await session.execute(select(FactorSetRecord).order_by(FactorSetRecord.created_at))).scalars()
        return {"items": [record_json(r, ctx.settings.default_factor_set) for r in records]}


@router.get("/factor-sets/{set_id:path}", summary="One factor set with every row and its source")
async def get_factor_set(set_id: str, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    del caller
    ctx = context_of(request)
    async with ctx.runtime.sessions() as session:
        record = await session.get(FactorSetRecord, set_id)
        factor_set = await ctx.factor_sets.get(session, set_id)
    if record is None or factor_set is None:
        raise not_found("排放因子集", "Factor set")
    return {**record_json(record, ctx.settings.default_factor_set), "rows": factor_set_rows_json(factor_set)}


async def _body(request: Request) -> NewFactorSet:
    """JSON, or multipart with the five tables uploaded as CSV files (``fuel_parameters``, ``grid_electricity``…)."""
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("multipart/form-data"):
            form = await request.form()
            fields: dict[str, Any] = {}
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    name = key.removesuffix("_csv")
                    if name in TABLES:
                        raw = await value.read()
                        try:
                            fields[f"{name}_csv"] = raw.decode("utf-8-sig")
                        except UnicodeDecodeError:
                            raise Problem(
                                422,
                                "csv-not-utf8",
                                "CSV 编码错误",
                                "CSV is not UTF-8",
                                f"{key} 须为 UTF-8 编码",
                                f"{key} must be UTF-8 encoded",
                            ) from None
                elif key == "tables":
                    fields[key] = json.loads(value)
                else:
                    fields[key] = value
            return NewFactorSet.model_validate(fields)
        return NewFactorSet.model_validate_json(await request.body())
    except json.JSONDecodeError:
        raise Problem(422, "tables-invalid", "tables 字段须为 JSON", "tables must be JSON") from None
    except ValidationError as exc:
        from fastapi.exceptions import RequestValidationError

        raise validation_problem(RequestValidationError(exc.errors())) from None


@router.post(
    "/factor-sets",
    status_code=201,
    summary="Operator: add a factor-set version (JSON with CSV texts, or uploaded CSV files)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": NewFactorSet.model_json_schema()},
                "multipart/form-data": {"schema": {"type": "object"}},
            }
        }
    },
)
async def add_factor_set(request: Request, caller: CurrentCaller) -> dict[str, Any]:
    if caller.role != "operator":
        raise forbidden("仅平台运营人员可以发布排放因子集", "Only operators publish emission factor sets")
    ctx = context_of(request)
    body = await _body(request)
    csv_texts = {name: getattr(body, f"{name}_csv") for name in TABLES}
    try:
        texts, factor_set = operator_bundle(
            body.family,
            body.version,
            body.name_zh,
            body.name_en,
            csv_texts=csv_texts,
            catalogue=ctx.reference.catalogue,
            versions={str(name): versions for name, versions in body.tables.items()},
        )
    except ReferenceDataError as exc:
        raise Problem(
            422,
            "factor-set-invalid",
            "排放因子集无效",
            "Invalid factor set",
            exc.message_zh,
            exc.message_en,
            errors=[FieldError("/", "factor-set-invalid", exc.message_zh, exc.message_en)],
        ) from None
    async with transaction(ctx.runtime.sessions) as session:
        if not await add_operator_set(session, texts, factor_set, caller.user_id):
            raise conflict(
                "factor-set-exists",
                f"因子集 {factor_set.id} 已存在；因子集不可修改，请发布新版本",
                f"Factor set {factor_set.id} exists; sets are immutable, publish a new version",
            )
        record = await session.get(FactorSetRecord, factor_set.id)
        assert record is not None
        await session.refresh(record)
        return {**record_json(record, ctx.settings.default_factor_set), "rows": factor_set_rows_json(factor_set)}
