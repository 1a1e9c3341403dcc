"""GB/T 4754-2017 industry tree and each sub-industry's emission sources (public reference data)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from carbonid_calculator.context import context_of
from carbonid_calculator.domain import CalculatorDomainError, IndustryLevel, IndustryNode
from carbonid_calculator.serialize import emission_source_json
from carbonid_kit.auth import CurrentCaller
from carbonid_kit.problems import Problem, not_found

router = APIRouter(tags=["industries"])


def node_json(node: IndustryNode, has_children: bool) -> dict[str, Any]:
    return {
        "code": node.code,
        "name_zh": node.name_zh,
        "name_en": node.name_en,
        "level": node.level.value,
        "parent": node.parent,
        "is_sub_industry": node.level is IndustryLevel.CLASS,
        "has_children": has_children,
    }


@router.get("/industries", summary="Children of an industry node (sections when no parent is given)")
async def industries(
    request: Request, caller: CurrentCaller, parent: Annotated[str | None, Query(max_length=4)] = None
) -> dict[str, Any]:
    del caller  # any signed-in user
    taxonomy = context_of(request).reference.taxonomy
    if parent is not None:
        try:
            taxonomy.node(parent)
        except CalculatorDomainError:
            raise not_found("行业", "Industry") from None
    children = taxonomy.children(parent)
    return {
        "parent": parent,
        "items": [node_json(n, bool(taxonomy.children(n.code))) for n in children],
    }


@router.get("/industries/{code}/sources", summary="The emission sources of a sub-industry (细分行业)")
async def industry_sources(code: str, request: Request, caller: CurrentCaller) -> dict[str, Any]:
    del caller
    taxonomy = context_of(request).reference.taxonomy
    try:
        node = taxonomy.node(code)
    except CalculatorDomainError:
        raise not_found("行业", "Industry") from None
    if node.level is not IndustryLevel.CLASS:
        raise Problem(
            422,
            "not-a-sub-industry",
            "请选择细分行业",
            "Pick a sub-industry",
            f"{code} 不是四位小类（细分行业）",
            f"{code} is not a 4-digit class (sub-industry)",
        )
    path = [node_json(n, n.level is not IndustryLevel.CLASS) for n in taxonomy.ancestors(code)]
    return {
        "industry": node_json(node, False),
        "path": path,
        "sources": [emission_source_json(s) for s in taxonomy.sources_for(code)],
    }
