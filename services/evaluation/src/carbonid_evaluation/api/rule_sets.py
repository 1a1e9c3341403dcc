"""Rule sets: list, read, publish a new version (operators), activate an earlier one."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Request, status
from sqlalchemy import select

from carbonid_evaluation import rule_sets as store
from carbonid_evaluation.api.deps import Ctx
from carbonid_evaluation.db import RuleSetRecord
from carbonid_evaluation.domain.canonical import canonical_json
from carbonid_evaluation.domain.errors import RuleSetInvalidError
from carbonid_evaluation.domain.rule_set import parse_rule_set
from carbonid_kit.auth import Caller, CurrentCaller, require_role
from carbonid_kit.db import transaction
from carbonid_kit.problems import FieldError, Problem, conflict

router = APIRouter(tags=["rule sets"])
Operator = Annotated[Caller, require_role("operator")]
MAX_RULE_SET_BYTES = 256 * 1024


def summary(r: RuleSetRecord) -> dict[str, Any]:
    return {
        "key": r.key,
        "id": r.rule_set_id,
        "version": r.version,
        "title": {"zh": r.title_zh, "en": r.title_en},
        "digest": r.digest,
        "effective_from": r.effective_from.isoformat(),
        "active": r.active,
        "bundled": r.bundled,
        "published_by": r.published_by,
        "published_at": r.published_at.isoformat(),
    }


def rule_set_problem(exc: RuleSetInvalidError) -> Problem:
    return Problem(
        422,
        exc.code,
        "规则集无效",
        "Invalid rule set",
        exc.message_zh,
        exc.message_en,
        errors=[FieldError(p.field or "/", exc.code, p.message_zh, p.message_en) for p in exc.problems],
    )


@router.get("/rule-sets", summary="Published rule-set versions, newest first")
async def list_rule_sets(ctx: Ctx, caller: CurrentCaller) -> list[dict[str, Any]]:
    async with ctx.runtime.sessions() as session:
        rows = (
            (await session.execute(select(RuleSetRecord).order_by(RuleSetRecord.published_at.desc()))).scalars().all()
        )
    return [summary(r) for r in rows]


@router.get("/rule-sets/{rule_set_id}/{version}", summary="One rule-set version with its document")
async def get_rule_set(ctx: Ctx, caller: CurrentCaller, rule_set_id: str, version: str) -> dict[str, Any]:
    async with ctx.runtime.sessions() as session:
        record = await session.get(RuleSetRecord, f"{rule_set_id}/{version}")
    if record is None:
        raise Problem(404, "rule-set-not-found", "规则集不存在", "Rule set not found")
    return {**summary(record), "document": json.loads(record.document)}


@router.post(
    "/rule-sets",
    status_code=status.HTTP_201_CREATED,
    summary="Publish a new rule-set version (operators); it becomes active for new evaluations",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "description": "carbonid.rule-set/1"}}},
        }
    },
)
async def publish_rule_set(ctx: Ctx, request: Request, caller: Operator) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_RULE_SET_BYTES:
        raise Problem(413, "payload-too-large", "规则集文档过大", "Rule set document too large")
    try:
        document = json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(
            422, "rule-set-invalid", "规则集无效", "Invalid rule set", "不是有效的 JSON", f"not valid JSON: {exc}"
        ) from exc
    if not isinstance(document, dict):
        raise Problem(
            422, "rule-set-invalid", "规则集无效", "Invalid rule set", "应为 JSON 对象", "must be a JSON object"
        )
    try:
        rule_set = parse_rule_set(document)
    except RuleSetInvalidError as exc:
        raise rule_set_problem(exc) from exc
    async with transaction(ctx.runtime.sessions) as session:
        existing = await session.get(RuleSetRecord, rule_set.key, with_for_update=True)
        if existing is not None:
            raise conflict(
                "rule-set-version-exists",
                f"规则集 {rule_set.key} 已发布，已发布的版本不可修改；请使用新的版本号",
                f"{rule_set.key} is already published and published versions never change; use a new version",
            )
        record = RuleSetRecord(
            **store.record_for(
                rule_set,
                canonical_json(document).decode(),
                published_by=caller.username or str(caller.user_id),
                bundled=False,
            )
        )
        session.add(record)
        await session.flush()
        await store.activate(session, rule_set.key)
        await session.flush()
        await session.refresh(record)
        return summary(record)


@router.post("/rule-sets/{rule_set_id}/{version}/activate", summary="Make a published version active (operators)")
async def activate_rule_set(ctx: Ctx, rule_set_id: str, version: str, caller: Operator) -> dict[str, Any]:
    key = f"{rule_set_id}/{version}"
    async with transaction(ctx.runtime.sessions) as session:
        record = await session.get(RuleSetRecord, key, with_for_update=True)
        if record is None:
            raise Problem(404, "rule-set-not-found", "规则集不存在", "Rule set not found")
        await store.activate(session, key)
        await session.flush()
        await session.refresh(record)
        return summary(record)
