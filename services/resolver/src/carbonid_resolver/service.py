"""The resolver's use cases: resolve an enterprise, resolve its activity data for a period.

State and events are written in one transaction (outbox). Each step of an activity resolution is stored on
its row as it happens, so that any replica can stream it; this replica also wakes its own streams at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_contracts.codes.period import Period
from carbonid_contracts.events import ActivityLine, ActivityResolved, EnterpriseResolved
from carbonid_kit.app import ServiceRuntime
from carbonid_kit.db import transaction
from carbonid_kit.problems import Problem
from carbonid_resolver.api.problems import problem_for
from carbonid_resolver.config import ResolverSettings
from carbonid_resolver.db import ActivityResolution, Enterprise, SourceMapping
from carbonid_resolver.domain.enterprise import EnterpriseProfile, activity_handle, profile_from_record
from carbonid_resolver.domain.errors import (
    HandleNotFound,
    InvalidTemplateData,
    ItemError,
    MissingMonths,
    ResolutionError,
    UnmappedItems,
)
from carbonid_resolver.domain.mapping import MappingRule, map_period, rules_for
from carbonid_resolver.domain.records import NodeRecord, enterprise_id_for, normalise_prefix
from carbonid_resolver.domain.retry import Deadline
from carbonid_resolver.domain.template import MetadataTemplate, ValidatedRecord, parse_template, validate_record
from carbonid_resolver.identity_client import IdentityClient
from carbonid_resolver.resilience import Fetched, NodeDirectory

log = logging.getLogger(__name__)

TERMINAL = frozenset({"succeeded", "failed"})


class ProgressHub:
    """Wakes this replica's event streams when a resolution records a step (they re-read the row)."""

    def __init__(self) -> None:
        self._events: dict[uuid.UUID, asyncio.Event] = {}

    def event(self, resolution_id: uuid.UUID) -> asyncio.Event:
        return self._events.setdefault(resolution_id, asyncio.Event())

    def notify(self, resolution_id: uuid.UUID) -> None:
        event = self._events.get(resolution_id)
        if event is not None:
            event.set()

    def forget(self, resolution_id: uuid.UUID) -> None:
        self._events.pop(resolution_id, None)


@dataclass(frozen=True)
class ResolvedEnterprise:
    row: Enterprise
    stale: bool


def enterprise_json(row: Enterprise, *, stale: bool | None = None) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "identifier_prefix": row.identifier_prefix,
        "name": row.name,
        "uscc": row.uscc,
        "region": {
            "code": row.region_code,
            "province": row.province_code,
            "city": row.city_code,
            "county": row.county_code,
        },
        "industry": {"code": row.industry_code, "category": row.industry_category, "name": row.industry_name},
        "address": row.address,
        "source": {"node": row.node, "adapter": row.node_kind, "node_type": row.node_type},
        "resolved_at": row.resolved_at.isoformat(),
        "stale": row.stale if stale is None else stale,
    }


def _step(seq: int, step: str, zh: str, en: str, **data: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "step": step,
        "at": datetime.now(UTC).isoformat(),
        "message_zh": zh,
        "message_en": en,
        "data": data,
    }


class Resolver:
    """Composition of the node directory, the database, the outbox and identity."""

    def __init__(
        self,
        settings: ResolverSettings,
        runtime: ServiceRuntime,
        directory: NodeDirectory,
        identity: IdentityClient,
    ) -> None:
        self.settings = settings
        self.runtime = runtime
        self.directory = directory
        self.identity = identity
        self.progress = ProgressHub()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- enterprise -------------------------------------------------------------------------------------------

    async def fetch_profile(self, prefix: str, deadline: Deadline) -> tuple[EnterpriseProfile, Fetched[NodeRecord]]:
        node = self.directory.for_prefix(prefix)
        handle = f"{prefix}/{self.settings.enterprise_suffix}"
        fetched = await node.enterprise(prefix, handle, deadline)
        return profile_from_record(prefix, fetched.value), fetched

    async def resolve_enterprise(self, raw_prefix: str) -> ResolvedEnterprise:
        """Fetch, validate, store and publish an enterprise profile (binding an account needs a proof: bindings)."""
        prefix = normalise_prefix(raw_prefix)
        try:
            profile, fetched = await self.fetch_profile(prefix, self.directory.deadline())
        except (ResolutionError, InvalidTemplateData) as exc:
            raise problem_for(exc, context="enterprise") from exc
        enterprise_id = enterprise_id_for(prefix)
        node = self.directory.for_prefix(prefix)
        node_type = profile.node_type if profile.node_type != "unknown" else (node.route.node_type or "unknown")
        now = datetime.now(UTC)
        async with transaction(self.runtime.sessions) as session:
            columns = {
                "name": profile.name,
                "uscc": profile.uscc,
                "province_code": profile.province_code,
                "city_code": profile.city_code,
                "county_code": profile.county_code,
                "region_code": profile.region_code,
                "industry_code": profile.industry_code,
                "industry_category": profile.industry_category,
                "industry_name": profile.industry_name,
                "address": profile.address,
                "activity_handle_pattern": profile.activity_handle_pattern,
                "node": fetched.node,
                "node_kind": node.route.kind,
                "node_type": node_type,
                "stale": fetched.stale,
                "resolved_at": now,
            }
            # Insert-if-absent then update, so that two first resolutions of one prefix at once both succeed
            # (same id). ON CONFLICT DO NOTHING without a target treats every unique index (the id and the
            # prefix) as an arbiter; ON CONFLICT (id) DO UPDATE would let a concurrent insert fail on the
            # prefix's unique index with a unique violation.
            await session.execute(
                insert(Enterprise)
                .values(id=enterprise_id, identifier_prefix=prefix, **columns)
                .on_conflict_do_nothing()
            )
            row = (
                await session.execute(
                    update(Enterprise)
                    .where(Enterprise.id == enterprise_id)
                    .values(**columns)
                    .returning(Enterprise)
                    .execution_options(synchronize_session=False)
                )
            ).scalar_one()
            await self.runtime.outbox.add(
                session,
                EnterpriseResolved(
                    enterprise_id=enterprise_id,
                    identifier_prefix=prefix,
                    name=profile.name,
                    uscc=profile.uscc,
                    region_code=profile.region_code,
                    province_code=profile.province_code,
                    city_code=profile.city_code,
                    county_code=profile.county_code,
                    industry_code=profile.industry_code,
                    node_type=node_type,
                    resolved_at=now,
                ),
            )
        return ResolvedEnterprise(row, fetched.stale)

    # -- activity ---------------------------------------------------------------------------------------------

    async def create_activity_resolution(
        self, enterprise: Enterprise, period: Period, requested_by: uuid.UUID | None
    ) -> ActivityResolution:
        resolution = ActivityResolution(
            id=uuid.uuid4(),
            enterprise_id=enterprise.id,
            period=period.code,
            status="queued",
            requested_by=requested_by,
            steps=[_step(1, "queued", f"已排队：{period.code}", f"queued: {period.code}", period=period.code)],
        )
        async with transaction(self.runtime.sessions) as session:
            session.add(resolution)
        return resolution

    def start(self, resolution_id: uuid.UUID) -> asyncio.Task[None]:
        task = asyncio.create_task(self.run_activity_resolution(resolution_id), name=f"resolution-{resolution_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _record_step(self, resolution_id: uuid.UUID, step: str, zh: str, en: str, **data: Any) -> None:
        async with transaction(self.runtime.sessions) as session:
            row = await session.get(ActivityResolution, resolution_id, with_for_update=True)
            assert row is not None
            row.status = "running"
            row.steps = [*row.steps, _step(len(row.steps) + 1, step, zh, en, **data)]
        self.progress.notify(resolution_id)

    async def _fail(self, resolution_id: uuid.UUID, problem: Problem) -> None:
        document = problem.document("zh")
        document.pop("request_id", None)
        async with transaction(self.runtime.sessions) as session:
            row = await session.get(ActivityResolution, resolution_id, with_for_update=True)
            assert row is not None
            row.status = "failed"
            row.problem = {**document, "title_en": problem.title_en, "detail_en": problem.detail_en}
            row.finished_at = datetime.now(UTC)
            row.steps = [
                *row.steps,
                _step(
                    len(row.steps) + 1,
                    "failed",
                    problem.detail_zh or problem.title_zh,
                    problem.detail_en or problem.title_en,
                    problem=row.problem,
                ),
            ]
        self.progress.notify(resolution_id)

    async def run_activity_resolution(self, resolution_id: uuid.UUID) -> None:
        """Run one resolution to its end, recording every step; failures become a problem on the row."""
        try:
            await self._run(resolution_id)
        except asyncio.CancelledError:
            raise
        except (ResolutionError, InvalidTemplateData, MissingMonths, UnmappedItems) as exc:
            await self._fail(resolution_id, problem_for(exc, context="activity"))
        except Problem as problem:
            await self._fail(resolution_id, problem)
        except Exception:
            log.exception("activity resolution failed unexpectedly", extra={"resolution_id": str(resolution_id)})
            await self._fail(
                resolution_id,
                Problem(
                    500,
                    "internal-error",
                    "服务内部错误",
                    "Internal error",
                    "解析未完成",
                    "The resolution did not finish",
                ),
            )

    async def _run(self, resolution_id: uuid.UUID) -> None:
        async with self.runtime.sessions() as session:
            resolution = await session.get(ActivityResolution, resolution_id)
            assert resolution is not None
            enterprise = await session.get(Enterprise, resolution.enterprise_id)
            assert enterprise is not None
            rules = await load_rules(session)
        period = Period.parse(resolution.period)
        deadline = self.directory.deadline()
        prefix = enterprise.identifier_prefix
        stale = False

        template_handle = self.settings.activity_template
        template_node = self.directory.for_handle(template_handle)
        fetched_template = await template_node.template(template_handle, deadline)
        stale |= fetched_template.stale
        template = parse_template(fetched_template.value)
        await self._record_step(
            resolution_id,
            "template-fetched",
            f"已获取元数据模板 {template.name}（{template.handle} 版本 {template.version}）",
            f"metadata template fetched: {template.handle} version {template.version}",
            template=template.handle,
            version=template.version,
            items=len(template.items),
            stale=fetched_template.stale,
        )

        months = period.months()
        pattern = enterprise.activity_handle_pattern or self.settings.activity_handle_pattern
        handles = {m: activity_handle(pattern, prefix, m) for m in months}
        node = self.directory.for_prefix(prefix)
        records: dict[str, NodeRecord] = {}
        missing: list[str] = []
        semaphore = asyncio.Semaphore(self.settings.fetch_concurrency)

        async def fetch(month: str) -> tuple[str, Fetched[NodeRecord] | None]:
            async with semaphore:
                try:
                    return month, await node.resolve(handles[month], deadline)
                except HandleNotFound:
                    return month, None

        for done, next_done in enumerate(asyncio.as_completed([fetch(m) for m in months]), start=1):
            month, fetched = await next_done
            if fetched is None:
                missing.append(month)
            else:
                records[month] = fetched.value
                stale |= fetched.stale
            await self._record_step(
                resolution_id,
                "records-fetched",
                f"已获取能源活动数据 {done}/{len(months)}（{month}{'，缺失' if fetched is None else ''}）",
                f"energy records fetched {done} of {len(months)} ({month}{', missing' if fetched is None else ''})",
                n=done,
                m=len(months),
                month=month,
                handle=handles[month],
                found=fetched is not None,
                stale=bool(fetched and fetched.stale),
            )
        if missing:
            ordered = [m for m in months if m in missing]
            raise MissingMonths(ordered, [handles[m] for m in ordered])

        validated = validate_period(template, records, handles, prefix, self.settings.enterprise_suffix)
        await self._record_step(
            resolution_id,
            "validated",
            f"{len(validated)} 条记录均符合元数据模板",
            f"all {len(validated)} records match the metadata template",
            records=len(validated),
        )

        applicable = rules_for(rules, enterprise.industry_code, enterprise.industry_category)
        lines, production = map_period(template, validated, applicable, industry=enterprise.industry_code)
        await self._record_step(
            resolution_id,
            "mapped",
            f"已映射为 {len(lines)} 个排放源",
            f"mapped to {len(lines)} emission sources",
            sources=[line.source_code for line in lines],
        )

        now = datetime.now(UTC)
        result = {
            "enterprise_id": str(enterprise.id),
            "identifier_prefix": prefix,
            "period": period.code,
            "template_id": template.handle,
            "template_version": template.version,
            "stale": stale,
            "lines": [
                {
                    "source_code": line.source_code,
                    "item_code": line.item_code,
                    "item_name": line.item_name,
                    "quantity": format(line.quantity, "f"),
                    "unit": line.unit,
                    "handles": list(line.handles),
                }
                for line in lines
            ],
            "production": [
                {
                    "item_code": p.item_code,
                    "item_name": p.item_name,
                    "quantity": format(p.quantity, "f"),
                    "unit": p.unit,
                }
                for p in production
            ],
            "records": [handles[m] for m in months],
            "resolved_at": now.isoformat(),
        }
        event = ActivityResolved(
            enterprise_id=enterprise.id,
            resolution_id=resolution_id,
            identifier_prefix=prefix,
            period=period.code,
            template_id=template.handle,
            template_version=template.version,
            lines=[
                ActivityLine(
                    source_code=line.source_code,
                    item_name=line.item_code,
                    quantity=line.quantity,
                    unit=line.unit,
                    # One record: its identifier; a sum over months: see the resolution's record list.
                    handle=line.handles[0] if len(line.handles) == 1 else None,
                )
                for line in lines
            ],
            stale=stale,
            resolved_at=now,
        )
        async with transaction(self.runtime.sessions) as session:
            row = await session.get(ActivityResolution, resolution_id, with_for_update=True)
            assert row is not None
            row.status = "succeeded"
            row.result = result
            row.finished_at = now
            row.steps = [
                *row.steps,
                _step(
                    len(row.steps) + 1,
                    "published",
                    f"已发布活动数据（{len(lines)} 项{'，含缓存旧数据' if stale else ''}）",
                    f"activity data published ({len(lines)} lines{', stale' if stale else ''})",
                    lines=len(lines),
                    stale=stale,
                ),
            ]
            await self.runtime.outbox.add(session, event)
        self.progress.notify(resolution_id)

    async def wait_for(self, resolution_id: uuid.UUID) -> None:
        task = next((t for t in self._tasks if t.get_name() == f"resolution-{resolution_id}"), None)
        if task is not None:
            await asyncio.shield(task)


def validate_period(
    template: MetadataTemplate,
    records: dict[str, NodeRecord],
    handles: dict[str, str],
    prefix: str,
    enterprise_suffix: str,
) -> list[ValidatedRecord]:
    """Validate every month's record, and that it is the record of that month and of this enterprise."""
    errors: list[ItemError] = []
    validated: list[ValidatedRecord] = []
    for month in sorted(records):
        record = records[month]
        try:
            result = validate_record(record, template)
        except InvalidTemplateData as exc:
            errors.extend(exc.errors)
            continue
        reported = result.texts.get("periodMonth")
        if reported is not None and reported != month:
            errors.append(
                ItemError(
                    f"/records/{record.handle}/periodMonth",
                    "wrong-month",
                    f"{record.handle} 的统计月份为 {reported}，应为 {month}",
                    f"{record.handle} reports month {reported}, expected {month}",
                )
            )
        owner = result.texts.get("enterpriseHandle")
        if owner is not None and owner.lower() != f"{prefix}/{enterprise_suffix}".lower():
            errors.append(
                ItemError(
                    f"/records/{record.handle}/enterpriseHandle",
                    "wrong-enterprise",
                    f"{record.handle} 属于其他企业 {owner}",
                    f"{record.handle} belongs to another enterprise ({owner})",
                )
            )
        validated.append(result)
    if errors:
        handle = handles[sorted(records)[0]] if records else prefix
        raise InvalidTemplateData(handle if len(records) == 1 else f"{prefix} ({len(records)} records)", errors)
    return validated


async def load_rules(session: AsyncSession) -> list[MappingRule]:
    rows = (await session.execute(select(SourceMapping))).scalars().all()
    return [
        MappingRule(
            industry_code=r.industry_code,
            item_code=r.item_code,
            source_code=r.source_code,
            unit=r.unit,
            aggregation="weighted_mean" if r.aggregation == "weighted_mean" else "sum",
            weight_item=r.weight_item,
        )
        for r in rows
    ]
