"""Rebuilding from the topics reproduces the projections; every query honours the caller's region scope."""

from __future__ import annotations

from typing import Any

import pytest
from analytics_synthetic import deliveries, generate
from sqlalchemy import select

from carbonid_analytics import db
from carbonid_kit.testing import wait_until

pytestmark = pytest.mark.integration

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("/dashboard/summary", {"period": "2024"}),
    ("/dashboard/summary", {"period": "2024Q2", "industry": "30"}),
    ("/dashboard/trend", {"granularity": "quarter"}),
    ("/dashboard/trend", {"granularity": "day"}),
    ("/dashboard/intensity-trend", {"granularity": "month"}),
    ("/dashboard/rankings", {"by": "enterprise", "period": "2024", "limit": 20}),
    ("/dashboard/rankings", {"by": "region", "level": "county", "period": "2024"}),
    ("/dashboard/energy-structure", {"period": "2024"}),
    ("/dashboard/map", {"level": "province", "period": "2024"}),
    ("/dashboard/typical-cases", {"period": "2024", "limit": 20}),
    ("/benchmarks/preview", {"year": 2024}),
]


async def dump_projections(analytics: Any) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with analytics.runtime.sessions() as session:
        for table in db.PROJECTION_TABLES:
            # a rollup row's surrogate id depends on when it was first made, not on what it holds
            columns = [c for c in table.columns if c.name != "rollup_id"]
            rows = (await session.execute(select(*columns))).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


async def answers(analytics: Any) -> list[Any]:
    return [await analytics.get(path, **params) for path, params in QUERIES]


async def test_rebuild_from_the_topics_reproduces_the_projections(make_analytics: Any, publish: Any) -> None:
    events = generate(4242, 80)
    unique = len({e.id for e in events})
    async with make_analytics() as analytics:
        await publish(deliveries(events, 5))

        async def inbox_is(n: int) -> Any:
            async def probe() -> bool:
                return await analytics.inbox_size() == n

            return probe

        await wait_until(await inbox_is(unique), timeout=90, interval=0.2, what="all events applied")
        tables_before = await dump_projections(analytics)
        answers_before = await answers(analytics)
        assert sum(1 for r in tables_before["calculations"] if r[3]) > 50  # is_current rows exist

        refused = await analytics.client.post("/admin/rebuild", headers=analytics.as_("government", region="330000"))
        assert refused.status_code == 403
        response = await analytics.client.post("/admin/rebuild", headers=analytics.as_("operator"))
        assert response.status_code == 202, response.text
        assert response.json() == {"generation": 1, "consumer_group": "analytics.g1"}
        assert analytics.runtime.generation == 1

        await wait_until(await inbox_is(unique), timeout=90, interval=0.2, what="all events replayed")
        assert await dump_projections(analytics) == tables_before
        assert await answers(analytics) == answers_before

        state = await analytics.get("/admin/projections")
        assert state["generation"] == 1
        assert state["rows"]["inbox_events"] == unique
        assert state["projections"]["calculations"]["last_event_time"] is not None
        metrics = (await analytics.client.get("/metrics")).text
        assert 'carbonid_analytics_projection_lag_seconds{projection="evaluations"}' in metrics
        assert "carbonid_consumer_event_age_seconds" in metrics

    # a second app on the same database reads the generation back and keeps the projections
    async with make_analytics(analytics.settings.database_url) as again:
        assert again.runtime.generation == 1
        assert await dump_projections(again) == tables_before


async def test_region_scope_is_enforced(make_analytics: Any) -> None:
    async with make_analytics(consumers_enabled=False) as analytics:
        c = analytics.client

        async def status(path: str, headers: dict[str, str] | None = None, **params: Any) -> tuple[int, str]:
            response = await c.get(path, params=params, headers=headers or {})
            body = response.json()
            if response.status_code >= 400:
                assert response.headers["content-type"].startswith("application/problem+json")
                assert body["i18n"]["zh"]["title"]
                assert body["i18n"]["en"]["title"]
            return response.status_code, body.get("type", "")

        gov = analytics.as_("government", region="330500")
        for path in ("/dashboard/summary", "/dashboard/rankings", "/dashboard/map", "/dashboard/typical-cases"):
            assert (await status(path))[0] == 401
            assert (await status(path, analytics.as_("enterprise")))[0] == 403
            assert (await status(path, gov, region="330000")) == (403, "urn:carbonid:problem:outside-region-scope")
            assert (await status(path, gov, region="320000"))[0] == 403
            assert (await status(path, gov, region="330502"))[0] == 200
            assert (await status(path, gov))[0] == 200
            assert (await status(path, analytics.as_("government")))[0] == 403  # no region scope
            assert (await status(path, analytics.as_("operator"), region="999999"))[0] == 422
            assert (await status(path, analytics.as_("operator"), region="33"))[0] == 422
            assert (await status(path, analytics.as_("operator"), region="320000"))[0] == 200
        must_change = analytics.as_("government", region="330500", must_change_password=True)
        assert (await status("/dashboard/summary", must_change))[0] == 403
        got = (await c.get("/dashboard/summary", params={"region": "330502"}, headers=gov)).json()
        assert got["region_scope"] == "330502"
        assert (await status("/benchmarks/preview", gov, year=2024, region_scope="330000"))[0] == 403
        assert (await status("/benchmarks/preview", analytics.as_("enterprise"), year=2024))[0] == 403
        assert (await status("/subscriptions", analytics.as_("enterprise")))[0] == 403
        assert (await status("/subscriptions", analytics.as_("operator")))[0] == 403
        assert (await status("/admin/projections", gov))[0] == 403
        assert (await status("/dashboard/trend", gov, granularity="week"))[0] == 422
        assert (await status("/dashboard/trend", gov, **{"from": "2024-05", "to": "2024-01"}))[0] == 422
