"""Service-test fixtures: the calculator app on the kit's real PostgreSQL, driven through ASGITransport.

Consumers and the outbox relay are off here (no broker): enterprise views and resolved activity sets are
applied by calling the event handlers directly, inside a transaction, exactly as the consumer would.
The broker path is covered by ``test_integration_events.py``.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).parent))

from carbonid_calculator.config import CalculatorSettings
from carbonid_calculator.handlers import on_activity_resolved, on_enterprise_resolved
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import ActivityLine, ActivityResolved, EnterpriseResolved
from carbonid_kit.app import ServiceRuntime
from carbonid_kit.db import transaction
from carbonid_kit.testing_tokens import TestTokens


def pdf_text(content: bytes) -> str:
    """All text of a PDF (whitespace removed), decoded through each font's ToUnicode map as a viewer does.

    pypdf's ``extract_text`` cannot read fpdf2's CFF-font CJK text: it treats the embedded encoding CMap
    stream as a one-byte StandardEncoding. So the content streams are walked with pypdf here and every
    two-byte code is mapped through the font's own ToUnicode CMap, which is what copy and search use.
    """
    import io
    import re

    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    reader = PdfReader(io.BytesIO(content))
    out: list[str] = []
    for page in reader.pages:
        maps: dict[str, dict[int, str]] = {}
        for name, ref in page["/Resources"]["/Font"].items():
            cmap = ref.get_object()["/ToUnicode"].get_object().get_data().decode("latin-1")
            maps[name] = {
                int(code, 16): bytes.fromhex(text).decode("utf-16-be")
                for code, text in re.findall(r"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>", cmap.split("beginbfchar", 1)[-1])
            }
        font: dict[int, str] = {}
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                font = maps.get(str(operands[0]), {})
            elif operator in (b"Tj", b"TJ"):
                parts = operands[0] if operator == b"TJ" else [operands[0]]
                for part in parts:
                    raw = getattr(part, "original_bytes", None)
                    if raw is not None:
                        codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
                        out.append("".join(font.get(c, "") for c in codes))
    return "".join("".join(out).split())


EVIDENCE_LIMIT = 256 * 1024  # small in tests, so the oversize case stays cheap


def enterprise_event(
    enterprise_id: uuid.UUID, *, name: str = "湖州示例建材有限公司", region: str = "330502"
) -> EnterpriseResolved:
    return EnterpriseResolved(
        enterprise_id=enterprise_id,
        identifier_prefix="88.118.8",
        name=name,
        uscc="91330500MA2B3C4D1Y",
        region_code=region,
        province_code=region[:2] + "0000",
        city_code=region[:4] + "00",
        county_code=region,
        industry_code="3011",
        resolved_at=datetime.now(UTC),
    )


def activity_event(enterprise_id: uuid.UUID, period: str = "2023", **overrides: Any) -> ActivityResolved:
    lines = overrides.pop(
        "lines",
        [
            ActivityLine(
                source_code="fuel.bituminous_coal",
                item_name="烟煤消耗量",
                quantity="1000",
                unit="t",
                handle="88.118.8/energy-2023-coal",
            ),
            ActivityLine(
                source_code="electricity.purchased",
                item_name="外购电量",
                quantity="2000000",
                unit="kWh",
                handle="88.118.8/energy-2023-elec",
            ),
        ],
    )
    return ActivityResolved(
        enterprise_id=enterprise_id,
        resolution_id=overrides.pop("resolution_id", uuid.uuid4()),
        identifier_prefix="88.118.8",
        period=period,
        template_id="88.118.8/template-energy",
        template_version="1.0",
        lines=lines,
        stale=False,
        resolved_at=overrides.pop("resolved_at", datetime.now(UTC)),
        **overrides,
    )


@dataclass
class Harness:
    app: FastAPI
    client: httpx.AsyncClient
    tokens: TestTokens
    settings: CalculatorSettings
    runtime: ServiceRuntime
    enterprises: list[uuid.UUID] = field(default_factory=list)

    async def apply(self, payload: EnterpriseResolved | ActivityResolved) -> None:
        event = CloudEvent.of(payload, source="urn:test")
        handler = on_enterprise_resolved if isinstance(payload, EnterpriseResolved) else on_activity_resolved
        async with transaction(self.runtime.sessions) as session:
            await handler(session, event)

    async def enterprise(self, *, region: str = "330502", name: str = "湖州示例建材有限公司") -> uuid.UUID:
        enterprise_id = uuid.uuid4()
        await self.apply(enterprise_event(enterprise_id, name=name, region=region))
        return enterprise_id

    def as_enterprise(self, enterprise_id: uuid.UUID | None) -> dict[str, str]:
        return self.tokens.headers("enterprise", enterprise_id=enterprise_id)

    def as_government(self, region: str) -> dict[str, str]:
        return self.tokens.headers("government", region=region)

    def as_operator(self) -> dict[str, str]:
        return self.tokens.headers("operator")

    async def draft(self, enterprise_id: uuid.UUID, **body: Any) -> dict[str, Any]:
        payload = {"sub_industry_code": "3011", "period": "2023", "added_value_10k_cny": "5000", **body}
        response = await self.client.post("/calculations", json=payload, headers=self.as_enterprise(enterprise_id))
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result
