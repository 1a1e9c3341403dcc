"""Sample events for the kit's messaging tests (a uniquely named module: test helpers never come from conftest)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from carbonid_contracts.events import EnterpriseResolved


def enterprise_resolved(name: str = "湖州示例建材有限公司") -> EnterpriseResolved:
    """An ``enterprise.resolved`` payload of a new enterprise (a fresh id each time) with this name."""
    return EnterpriseResolved(
        enterprise_id=uuid.uuid4(),
        identifier_prefix="88.118.8",
        name=name,
        uscc="91330500MA2B3C4D1Y",
        region_code="330502",
        province_code="330000",
        city_code="330500",
        county_code="330502",
        industry_code="3011",
        resolved_at=datetime.now(UTC),
    )
