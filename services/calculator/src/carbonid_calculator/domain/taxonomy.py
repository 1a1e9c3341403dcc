"""GB/T 4754-2017 industry taxonomy down to the 4-digit classes (细分行业) and their emission sources."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from carbonid_calculator.domain.errors import ReferenceDataError, UnknownIndustryError
from carbonid_calculator.domain.sources import EmissionSource, EmissionSourceCatalogue


class IndustryLevel(StrEnum):
    SECTION = "section"  # 门类, a letter
    DIVISION = "division"  # 大类, 2 digits
    GROUP = "group"  # 中类, 3 digits
    CLASS = "class"  # 小类, 4 digits: the sub-industry used for grading


@dataclass(frozen=True)
class IndustryNode:
    """One node of the classification; ``parent`` is None for a section."""

    code: str
    name_zh: str
    name_en: str
    level: IndustryLevel
    parent: str | None


@dataclass(frozen=True)
class SubIndustry:
    """A 4-digit class (细分行业) with the emission sources an enterprise in it is offered, in display order."""

    node: IndustryNode
    source_codes: tuple[str, ...]

    @property
    def code(self) -> str:
        return self.node.code


class IndustryTaxonomy:
    """The industry tree plus, for each sub-industry, its emission sources."""

    def __init__(
        self,
        nodes: tuple[IndustryNode, ...],
        sub_industries: tuple[SubIndustry, ...],
        catalogue: EmissionSourceCatalogue,
    ) -> None:
        self._nodes = {n.code: n for n in nodes}
        self._sub = {s.code: s for s in sub_industries}
        self.catalogue = catalogue

    def node(self, code: str) -> IndustryNode:
        """The node with ``code`` at any level; raises UnknownIndustryError."""
        try:
            return self._nodes[code]
        except KeyError:
            raise UnknownIndustryError(
                f"未知行业代码：{code!r}", f"unknown industry code: {code!r}", field="sub_industry_code"
            ) from None

    def sub_industry(self, code: str) -> SubIndustry:
        """The 4-digit sub-industry ``code``; raises UnknownIndustryError for other levels or unknown codes."""
        try:
            return self._sub[code]
        except KeyError:
            raise UnknownIndustryError(
                f"{code!r} 不是已收录的细分行业（GB/T 4754-2017 四位小类）",
                f"{code!r} is not a listed sub-industry (GB/T 4754-2017 4-digit class)",
                field="sub_industry_code",
            ) from None

    def sources_for(self, code: str) -> tuple[EmissionSource, ...]:
        """The emission sources offered to an enterprise of sub-industry ``code`` (what the page shows)."""
        return tuple(self.catalogue.get(c) for c in self.sub_industry(code).source_codes)

    def children(self, code: str | None) -> tuple[IndustryNode, ...]:
        """Direct children of ``code``; the sections for None."""
        return tuple(n for n in self._nodes.values() if n.parent == code)

    def ancestors(self, code: str) -> tuple[IndustryNode, ...]:
        """Section, division, group of ``code`` (outermost first), followed by the node itself."""
        chain = [self.node(code)]
        while chain[0].parent is not None:
            chain.insert(0, self.node(chain[0].parent))
        return tuple(chain)

    def sub_industries(self) -> tuple[SubIndustry, ...]:
        return tuple(self._sub.values())

    def nodes(self) -> tuple[IndustryNode, ...]:
        return tuple(self._nodes.values())


def _node(row: Mapping[str, Any], level: IndustryLevel, parent: str | None) -> IndustryNode:
    return IndustryNode(
        code=str(row["code"]),
        name_zh=str(row["name_zh"]),
        name_en=str(row.get("name_en", "")),
        level=level,
        parent=parent,
    )


def parse_industry_taxonomy(text: str, catalogue: EmissionSourceCatalogue) -> IndustryTaxonomy:
    """Parse ``industries.json`` (format ``carbonid-industries/1``), checking codes, parents and sources."""
    try:
        document = json.loads(text)
        profiles: dict[str, list[str]] = document["profiles"]
        nodes = [_node(r, IndustryLevel.SECTION, None) for r in document["sections"]]
        nodes += [_node(r, IndustryLevel.DIVISION, str(r["section"])) for r in document["divisions"]]
        nodes += [_node(r, IndustryLevel.GROUP, str(r["code"])[:2]) for r in document["groups"]]
        classes = [(_node(r, IndustryLevel.CLASS, str(r["code"])[:3]), r) for r in document["classes"]]
        nodes += [n for n, _ in classes]
        sub_industries = tuple(SubIndustry(n, _class_sources(n.code, r, profiles, catalogue)) for n, r in classes)
    except (KeyError, TypeError, ValueError) as exc:
        raise ReferenceDataError(f"行业分类数据无效：{exc}", f"invalid industry taxonomy data: {exc}") from exc
    _check_tree(nodes)
    return IndustryTaxonomy(tuple(nodes), sub_industries, catalogue)


def _class_sources(
    code: str, row: Mapping[str, Any], profiles: Mapping[str, list[str]], catalogue: EmissionSourceCatalogue
) -> tuple[str, ...]:
    codes: list[str] = []
    for name in row.get("profiles", []):
        codes.extend(profiles[name])
    codes.extend(row.get("sources", []))
    unique = tuple(dict.fromkeys(codes))
    unknown = [c for c in unique if c not in catalogue]
    if unknown:
        raise ReferenceDataError(
            f"行业 {code} 引用了未知排放源 {unknown}", f"industry {code} refers to unknown sources {unknown}"
        )
    return unique


_CODE_LENGTH = {IndustryLevel.DIVISION: 2, IndustryLevel.GROUP: 3, IndustryLevel.CLASS: 4}


def _check_tree(nodes: list[IndustryNode]) -> None:
    codes = {n.code for n in nodes}
    if len(codes) != len(nodes):
        raise ReferenceDataError("行业代码重复", "duplicate industry code")
    for n in nodes:
        well_formed = (
            len(n.code) == 1 and n.code.isalpha()
            if n.level is IndustryLevel.SECTION
            else len(n.code) == _CODE_LENGTH[n.level] and n.code.isdigit()
        )
        if not well_formed or (n.parent is not None and n.parent not in codes):
            raise ReferenceDataError(
                f"行业代码 {n.code} 格式或上级无效", f"industry code {n.code}: bad format or unknown parent"
            )
