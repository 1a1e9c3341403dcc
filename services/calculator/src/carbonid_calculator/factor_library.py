"""The factor library in the database: packaged sets seeded at startup, operator versions added by API.

A set is stored as the texts it is parsed from (a one-set manifest plus the CSV tables), so that the same
domain parser validates the packaged files, an operator's upload and every later read. Sets are immutable:
a changed table is a new version, and old calculations keep the set id they recorded.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from carbonid_calculator.data import factor_table_texts
from carbonid_calculator.db import FactorSetRecord
from carbonid_calculator.domain import (
    EmissionFactorSet,
    EmissionSourceCatalogue,
    FactorKind,
    FactorTableTexts,
    ReferenceDataError,
    parse_factor_library,
)
from carbonid_kit.db import transaction

log = logging.getLogger(__name__)

TABLES = ("fuel_parameters", "grid_electricity", "heat", "process", "standard_coal")


def _manifest(family: str, version: str, name_zh: str, name_en: str, tables: dict[str, list[str]]) -> str:
    entry = {"family": family, "version": version, "name_zh": name_zh, "name_en": name_en, "tables": tables}
    return json.dumps({"format": "carbonid-factor-sets/1", "sets": [entry]}, ensure_ascii=False, sort_keys=True)


def _content_sha(texts: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(texts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def parse_set(texts: dict[str, str]) -> EmissionFactorSet:
    """The one factor set a stored text bundle declares (raises ReferenceDataError when it is invalid)."""
    library = parse_factor_library(FactorTableTexts(**texts))
    if len(library.sets) != 1:
        raise ReferenceDataError(
            "因子集清单须恰含一个因子集", "a stored factor set bundle must declare exactly one set"
        )
    return next(iter(library.sets.values()))


def packaged_bundles() -> list[dict[str, str]]:
    """One text bundle per packaged factor set (manifest restricted to that set, full CSV tables)."""
    texts = asdict(factor_table_texts())
    manifest = json.loads(texts["factor_sets_json"])
    bundles = []
    for entry in manifest["sets"]:
        bundle = dict(texts)
        bundle["factor_sets_json"] = _manifest(
            entry["family"], entry["version"], entry["name_zh"], entry["name_en"], entry["tables"]
        )
        bundles.append(bundle)
    return bundles


def _versions(text: str) -> list[str]:
    reader = csv.DictReader(io.StringIO(text))
    if "version" not in (reader.fieldnames or ()):
        raise ReferenceDataError("CSV 缺少 version 列", "the CSV has no version column")
    return list(dict.fromkeys(row["version"] for row in reader if row.get("version")))


def operator_bundle(
    family: str,
    version: str,
    name_zh: str,
    name_en: str,
    *,
    csv_texts: dict[str, str],
    catalogue: EmissionSourceCatalogue,
    versions: Mapping[str, list[str]] | None = None,
) -> tuple[dict[str, str], EmissionFactorSet]:
    """A new set from an operator's CSV tables: the row ``versions`` named per table (default: all found).

    Validated by the domain parser, and every fuel and process row must name a source the platform knows
    and prices that way; raises ReferenceDataError with a bilingual message otherwise.
    """
    chosen = versions or {}
    tables = {name: list(chosen.get(name) or _versions(csv_texts[name])) for name in TABLES}
    texts = {
        "factor_sets_json": _manifest(family, version, name_zh, name_en, tables),
        **{f"{name}_csv": csv_texts[name] for name in TABLES},
    }
    factor_set = parse_set(texts)
    for kind, rows in ((FactorKind.FUEL, factor_set.fuel_parameters), (FactorKind.PROCESS, factor_set.process_factors)):
        for row in rows:
            if row.source_code not in catalogue or catalogue.get(row.source_code).factor_kind is not kind:
                raise ReferenceDataError(
                    f"{row.source_code} 不是平台已知的{'燃料' if kind is FactorKind.FUEL else '工业过程'}排放源",
                    f"{row.source_code} is not a known {kind.value} emission source",
                )
    return texts, factor_set


async def seed_packaged(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    """Upsert the packaged sets by id (idempotent; an existing set is never rewritten). Returns their ids."""
    ids = []
    async with transaction(sessions) as session:
        for bundle in packaged_bundles():
            factor_set = parse_set(bundle)
            ids.append(factor_set.id)
            sha = _content_sha(bundle)
            await session.execute(
                insert(FactorSetRecord)
                .values(
                    id=factor_set.id,
                    family=factor_set.family,
                    version=factor_set.version,
                    name_zh=factor_set.name_zh,
                    name_en=factor_set.name_en,
                    origin="packaged",
                    texts=bundle,
                    content_sha256=sha,
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )
            stored = (
                await session.execute(select(FactorSetRecord.content_sha256).where(FactorSetRecord.id == factor_set.id))
            ).scalar_one()
            if stored != sha:
                log.warning(
                    "packaged factor set %s differs from the stored one; the stored set is kept (publish a new "
                    "version instead of editing rows in place)",
                    factor_set.id,
                )
    return ids


async def add_operator_set(
    session: AsyncSession, texts: dict[str, str], factor_set: EmissionFactorSet, created_by: uuid.UUID
) -> bool:
    """Insert a new operator set; False when the id is taken (sets are immutable)."""
    result = await session.execute(
        insert(FactorSetRecord)
        .values(
            id=factor_set.id,
            family=factor_set.family,
            version=factor_set.version,
            name_zh=factor_set.name_zh,
            name_en=factor_set.name_en,
            origin="operator",
            texts=texts,
            content_sha256=_content_sha(texts),
            created_by=created_by,
        )
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(FactorSetRecord.id)
    )
    return result.first() is not None


class FactorSetCache:
    """Parsed factor sets by id. Safe to cache forever: a stored set never changes."""

    def __init__(self) -> None:
        self._sets: dict[str, EmissionFactorSet] = {}

    async def get(self, session: AsyncSession, set_id: str) -> EmissionFactorSet | None:
        cached = self._sets.get(set_id)
        if cached is not None:
            return cached
        record = await session.get(FactorSetRecord, set_id)
        if record is None:
            return None
        parsed = parse_set(record.texts)
        self._sets[set_id] = parsed
        return parsed
