"""Metadata management: the mapping from node template items to emission sources, and the nodes' templates."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from carbonid_kit.auth import Caller, CurrentCaller, require_role
from carbonid_kit.db import transaction
from carbonid_kit.problems import Problem, conflict, not_found
from carbonid_resolver.api.enterprises import resolver_of
from carbonid_resolver.api.problems import problem_for
from carbonid_resolver.db import SourceMapping
from carbonid_resolver.domain.errors import InvalidTemplateData, ResolutionError
from carbonid_resolver.domain.template import KNOWN_UNITS, parse_template

router = APIRouter(tags=["metadata"])

Manager = Annotated[Caller, require_role("government", "operator")]
# The mapping is global: every region's calculations use it, so a regulator of one region must not change it.
Operator = Annotated[Caller, require_role("operator")]


class MappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    industry_code: str = Field(
        pattern=r"^(\*|[A-T]|\d{2,4})$", description="GB/T 4754 class, division or section; * for every industry"
    )
    item_code: str = Field(min_length=1, max_length=128, description="template item (Handle value type)")
    source_code: str | None = Field(
        default=None,
        pattern=r"^[a-z]+\.[a-z0-9_]+$",
        max_length=64,
        description="platform emission source; null marks an item that is not an emission source",
    )
    unit: str | None = Field(default=None, max_length=32)
    aggregation: Literal["sum", "weighted_mean"] = "sum"
    weight_item: str | None = Field(default=None, max_length=128)
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _check(self) -> MappingIn:
        if self.unit is not None and self.unit not in KNOWN_UNITS:
            raise ValueError(f"unknown unit {self.unit} / 未知单位 {self.unit}")
        if self.aggregation == "weighted_mean" and not self.weight_item:
            raise ValueError("weighted_mean needs weight_item / 加权平均需要指定权重数据项")
        return self


def mapping_json(row: SourceMapping) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "industry_code": row.industry_code,
        "item_code": row.item_code,
        "source_code": row.source_code,
        "unit": row.unit,
        "aggregation": row.aggregation,
        "weight_item": row.weight_item,
        "note": row.note,
        "updated_by": row.updated_by,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }


def _duplicate(body: MappingIn) -> Problem:
    return conflict(
        "mapping-exists",
        f"行业 {body.industry_code} 的数据项 {body.item_code} 已有映射",
        f"industry {body.industry_code} already maps item {body.item_code}",
    )


@router.get("/metadata/mappings", summary="The item → emission-source mapping")
async def list_mappings(
    request: Request,
    _caller: CurrentCaller,
    industry: Annotated[str | None, Query(pattern=r"^(\*|[A-T]|\d{2,4})$")] = None,
) -> dict[str, Any]:
    query = select(SourceMapping).order_by(SourceMapping.industry_code, SourceMapping.item_code)
    if industry is not None:
        query = query.where(SourceMapping.industry_code == industry)
    async with resolver_of(request).runtime.sessions() as session:
        rows = (await session.execute(query)).scalars().all()
    return {"items": [mapping_json(r) for r in rows]}


@router.post("/metadata/mappings", status_code=201, summary="Add a mapping rule")
async def create_mapping(body: MappingIn, request: Request, caller: Operator) -> dict[str, Any]:
    row = SourceMapping(id=uuid.uuid4(), **body.model_dump(), updated_by=caller.username or str(caller.user_id))
    try:
        async with transaction(resolver_of(request).runtime.sessions) as session:
            session.add(row)
            await session.flush()
            await session.refresh(row)
    except IntegrityError as exc:
        raise _duplicate(body) from exc
    return mapping_json(row)


@router.put("/metadata/mappings/{mapping_id}", summary="Change a mapping rule")
async def update_mapping(mapping_id: uuid.UUID, body: MappingIn, request: Request, caller: Operator) -> dict[str, Any]:
    try:
        async with transaction(resolver_of(request).runtime.sessions) as session:
            row = await session.get(SourceMapping, mapping_id, with_for_update=True)
            if row is None:
                raise not_found("映射", "Mapping")
            for key, value in body.model_dump().items():
                setattr(row, key, value)
            row.updated_by = caller.username or str(caller.user_id)
            await session.flush()
            await session.refresh(row)
    except IntegrityError as exc:
        raise _duplicate(body) from exc
    return mapping_json(row)


@router.delete("/metadata/mappings/{mapping_id}", status_code=204, summary="Remove a mapping rule")
async def delete_mapping(mapping_id: uuid.UUID, request: Request, _caller: Operator) -> Response:
    async with transaction(resolver_of(request).runtime.sessions) as session:
        row = await session.get(SourceMapping, mapping_id)
        if row is None:
            raise not_found("映射", "Mapping")
        await session.delete(row)
    return Response(status_code=204)


@router.get("/metadata/templates", summary="Metadata templates published by the identifier nodes")
async def list_templates(
    request: Request, _caller: CurrentCaller, prefix: Annotated[str | None, Query(max_length=128)] = None
) -> dict[str, Any]:
    resolver = resolver_of(request)
    directory = resolver.directory
    found: dict[str, dict[str, Any]] = {}
    unavailable: list[dict[str, Any]] = []
    for node in directory.nodes:
        deadline = directory.deadline()
        try:
            if node.route.kind == "snms":
                listed = (await node.templates(prefix, deadline)).value
            else:
                listed = []
                for handle in resolver.settings.template_handles:
                    if directory.for_handle(handle) is node and (prefix is None or handle.startswith(prefix + "/")):
                        listed.append((await node.template(handle, deadline)).value)
        except ResolutionError as exc:
            unavailable.append(problem_for(exc, context="template").document("zh"))
            continue
        for document in listed:
            try:
                template = parse_template(document)
            except InvalidTemplateData:
                continue
            found.setdefault(template.handle.lower(), {**template.as_json(), "node": node.name})
    if not found and unavailable:
        raise Problem(
            503,
            "identifier-node-unavailable",
            "标识节点暂不可用",
            "Identifier node unavailable",
            "无法从标识节点获取元数据模板",
            "Could not fetch templates from the identifier nodes",
            extra={"nodes": unavailable},
        )
    return {"items": list(found.values()), "unavailable": unavailable}


@router.get("/metadata/templates/{handle:path}", summary="One metadata template, from the node that publishes it")
async def get_template(handle: str, request: Request, _caller: CurrentCaller) -> dict[str, Any]:
    directory = resolver_of(request).directory
    try:
        fetched = await directory.for_handle(handle).template(handle, directory.deadline())
        template = parse_template(fetched.value)
    except (ResolutionError, InvalidTemplateData) as exc:
        raise problem_for(exc, context="template") from exc
    return {**template.as_json(), "stale": fetched.stale, "node": fetched.node}


@router.get("/nodes", summary="Configured identifier nodes and their circuit breakers")
async def nodes(request: Request, _caller: Manager) -> dict[str, Any]:
    return {"items": resolver_of(request).directory.status()}
