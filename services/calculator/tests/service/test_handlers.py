"""The event handlers on their own: idempotent, and an older enterprise profile never wins."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from calculator_harness import Harness, activity_event, enterprise_event
from sqlalchemy import func, select

from carbonid_calculator.db import EnterpriseView, EvidenceFile, ResolvedActivity
from carbonid_calculator.evidence_store import EvidenceStore
from carbonid_kit.db import transaction

pytestmark = pytest.mark.integration


async def test_activity_set_is_stored_once_per_resolution(harness: Harness) -> None:
    enterprise_id = uuid.uuid4()
    event = activity_event(enterprise_id)
    await harness.apply(event)
    await harness.apply(event)
    async with harness.runtime.sessions() as session:
        stored = (
            await session.execute(select(ResolvedActivity).where(ResolvedActivity.enterprise_id == enterprise_id))
        ).scalar_one()
    assert stored.lines[1] == {
        "source_code": "electricity.purchased",
        "item_name": "外购电量",
        "quantity": "2000000",
        "unit": "kWh",
        "handle": "88.118.8/energy-2023-elec",
    }


async def test_an_older_enterprise_profile_does_not_overwrite_a_newer_one(harness: Harness) -> None:
    enterprise_id = uuid.uuid4()
    newer = enterprise_event(enterprise_id, name="新名称有限公司", region="330502")
    older = enterprise_event(enterprise_id, name="旧名称有限公司", region="330503").model_copy(
        update={"resolved_at": datetime.now(UTC) - timedelta(days=1)}
    )
    await harness.apply(newer)
    await harness.apply(older)
    async with harness.runtime.sessions() as session:
        view = await session.get(EnterpriseView, enterprise_id)
    assert view is not None
    assert (view.name, view.region_code) == ("新名称有限公司", "330502")


async def test_evidence_in_a_files_directory_is_content_addressed(harness: Harness, tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    content = b"%PDF-1.4 directory-stored evidence " + uuid.uuid4().bytes
    async with transaction(harness.runtime.sessions) as session:
        first = await store.put(session, content, "application/pdf")
        second = await store.put(session, content, "application/pdf")
    assert first == second
    assert (tmp_path / first[:2] / first).read_bytes() == content
    async with harness.runtime.sessions() as session:
        record = await session.get(EvidenceFile, first)
        rows = (await session.execute(select(func.count()).where(EvidenceFile.sha256 == first))).scalar_one()
    assert record is not None
    assert record.content is None  # the bytes live in the directory, once
    assert rows == 1
    assert store.read(record) == content
