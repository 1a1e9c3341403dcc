"""Rule sets in the database: bundled ones loaded at startup, operators publish new versions, one is active.

A published version never changes; its document is kept as published and parsed (and its digest checked)
whenever it is used, so an evaluation can be recomputed with exactly the rules it was made with.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import exists, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from carbonid_evaluation.data import bundled_rule_set_keys, load_bundled_rule_set
from carbonid_evaluation.db import RuleSetRecord
from carbonid_evaluation.domain.canonical import canonical_json
from carbonid_evaluation.domain.rule_set import RuleSet, rule_set_from_json
from carbonid_kit.db import transaction
from carbonid_kit.problems import Problem

log = logging.getLogger(__name__)


class RuleSetCache:
    """Parsed rule sets by key (published versions are immutable, so caching them is safe)."""

    def __init__(self) -> None:
        self._by_key: dict[str, RuleSet] = {}

    async def get(self, session: AsyncSession, key: str) -> RuleSet:
        cached = self._by_key.get(key)
        if cached is not None:
            return cached
        record = await session.get(RuleSetRecord, key)
        if record is None:
            raise Problem(404, "rule-set-not-found", "规则集不存在", "Rule set not found", key, key)
        rule_set = rule_set_from_json(record.document)
        if rule_set.digest != record.digest:
            raise Problem(
                500,
                "rule-set-tampered",
                "规则集内容与其摘要不符",
                "Rule set does not match its digest",
                f"规则集 {key} 的存储内容已被修改",
                f"the stored document of {key} was changed after publication",
            )
        self._by_key[key] = rule_set
        return rule_set

    async def active(self, session: AsyncSession) -> RuleSet:
        key = (await session.execute(select(RuleSetRecord.key).where(RuleSetRecord.active))).scalar_one_or_none()
        if key is None:
            raise Problem(
                503,
                "no-active-rule-set",
                "没有生效的评价规则集",
                "No active rule set",
                "请运营人员发布评价规则集",
                "An operator must publish a rule set",
            )
        return await self.get(session, key)


def record_for(rule_set: RuleSet, document: str, *, published_by: str, bundled: bool) -> dict[str, object]:
    return {
        "key": rule_set.key,
        "rule_set_id": rule_set.id,
        "version": rule_set.version,
        "digest": rule_set.digest,
        "document": document,
        "title_zh": rule_set.title.zh[:300],
        "title_en": rule_set.title.en[:300],
        "effective_from": rule_set.effective_from,
        "active": False,
        "bundled": bundled,
        "published_by": published_by,
        "published_at": datetime.now(UTC),
    }


async def install_bundled_rule_sets(sessions: async_sessionmaker[AsyncSession], default_key: str) -> None:
    """Insert the rule sets shipped with the package (if missing) and activate ``default_key`` when none is."""
    async with transaction(sessions) as session:
        for key in bundled_rule_set_keys():
            rule_set = load_bundled_rule_set(key)
            # Stored in canonical form, so that its digest is reproducible from the stored text alone.
            document = canonical_json(_bundled_document(key)).decode()
            await session.execute(
                insert(RuleSetRecord)
                .values(record_for(rule_set, document, published_by="bundled", bundled=True))
                .on_conflict_do_nothing()
            )
    try:
        async with transaction(sessions) as session:
            await session.execute(
                update(RuleSetRecord)
                .where(RuleSetRecord.key == default_key, ~exists().where(RuleSetRecord.active))
                .values(active=True)
            )
    except IntegrityError:  # another replica activated one at the same moment
        log.info("a rule set was activated concurrently")


def _bundled_document(key: str) -> object:
    import json
    from decimal import Decimal
    from importlib import resources

    rule_set_id, _, version = key.partition("/")
    resource = resources.files("carbonid_evaluation.data").joinpath("rule-sets", f"{rule_set_id}.{version}.json")
    return json.loads(resource.read_bytes(), parse_float=Decimal)


async def activate(session: AsyncSession, key: str) -> None:
    await session.execute(update(RuleSetRecord).where(RuleSetRecord.active).values(active=False))
    await session.flush()
    await session.execute(update(RuleSetRecord).where(RuleSetRecord.key == key).values(active=True))
