"""Projections against an independent recomputation from the raw events (real PostgreSQL and broker).

200 enterprises of seeded random events (superseding and tied calculations, superseded evaluations, revoked
certificates) are published with duplicates in a shuffled order; every dashboard measure is then compared
with ``analytics_expected.Model``, which decides on its own which facts are current.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from analytics_expected import Model, div, industry_at, norm, q, region_at
from analytics_harness import open_analytics, publish_events
from analytics_synthetic import deliveries, generate

from carbonid_contracts.codes.period import Period
from carbonid_contracts.codes.regions import provinces
from carbonid_contracts.events import EmissionCalculated
from carbonid_kit.testing import wait_until

pytestmark = pytest.mark.integration

SCOPES = [("operator", None, "100000"), ("government", "330000", "330000"), ("government", "330500", "330500"),
          ("government", "330502", "330502"), ("government", "110000", "110000")]  # fmt: skip
FILTERS: list[dict[str, str]] = [
    {}, {"industry": "30"}, {"industry": "C"}, {"industry": "3011"}, {"node_type": "secondary"},
    {"park": "南浔工业园"},
]  # fmt: skip
PERIODS = ["2024", "2023", "2024Q2", "2024-02", "2024H1"]


@pytest.fixture(scope="module")
async def loaded(new_database: Any, kafka_bootstrap: str, tokens: Any) -> Any:
    """One feed shared by the module's tests (they only read)."""
    events = generate(20251127, 200)
    stream = deliveries(events, 7)
    assert len(stream) > len(events)
    prefix = f"t{uuid.uuid4().hex[:10]}."
    async with open_analytics(await new_database("analytics"), kafka_bootstrap, prefix, tokens) as analytics:
        half = len(stream) // 2
        await publish_events(kafka_bootstrap, prefix, stream[:half])
        await publish_events(kafka_bootstrap, prefix, stream[half:])
        unique = len({e.id for e in events})

        async def all_applied() -> bool:
            return await analytics.inbox_size() == unique

        await wait_until(all_applied, timeout=120, interval=0.2, what=f"{unique} events applied")
        assert analytics.runtime.consumers.skipped > 0  # duplicates arrived and were skipped
        yield analytics, Model.of(events), events


async def test_every_measure_matches_the_independent_recomputation(loaded: Any) -> None:
    analytics, model, events = loaded
    checked = 0
    for role, region, scope in SCOPES:
        for f in FILTERS:
            flt = {"scope": scope, **f}
            for period in PERIODS:
                got = await analytics.get("/dashboard/summary", role, region, period=period, **f)
                want = model.summary(flt, period)
                assert got["region_scope"] == scope
                assert got["period"] == period
                assert norm(got["figures"]) == norm(want["figures"]), (scope, f, period)
                assert got["grade_distribution"] == want["grade_distribution"], (scope, f, period)
                assert got["evaluated_enterprises"] == want["evaluated_enterprises"]
                assert got["certificates"] == want["certificates"], (scope, f, period)
                for api_key, model_key in (("year_on_year", "yoy"), ("period_on_period", "pop")):
                    change = {k: got["change"][api_key][k] for k in ("total_emissions", "net_emissions", "intensity")}
                    assert norm(change) == norm(want[model_key]), (scope, f, period, api_key)
                checked += 1
    assert checked == len(SCOPES) * len(FILTERS) * len(PERIODS)
    # the data set is rich enough for these comparisons to mean something
    national = model.summary({"scope": "100000"}, "2024")
    assert national["figures"]["enterprises"] > 50
    assert national["certificates"] > 10
    assert any(c.supersedes for c in (e.data for e in events) if isinstance(c, EmissionCalculated))


async def test_trends_match(loaded: Any) -> None:
    analytics, model, _ = loaded
    for role, region, scope in SCOPES[:3]:
        for f in FILTERS[:3]:
            for granularity in ("year", "quarter", "month", "half", "day"):
                got = await analytics.get("/dashboard/trend", role, region, granularity=granularity, **f)
                want = model.trend({"scope": scope, **f}, granularity)
                assert [p["period"] for p in got["series"]] == [code for code, _ in want]
                for point, (_, sums) in zip(got["series"], want, strict=True):
                    assert norm(point["total_emissions_tco2"]) == sums["total"]
                    assert norm(point["net_emissions_tco2"]) == sums["net"]
                    assert norm(point["intensity_tco2_per_10k_cny"]) == sums["intensity"]
                    assert point["enterprises"] == sums["enterprises"]
                got = await analytics.get("/dashboard/intensity-trend", role, region, granularity=granularity, **f)
                assert [norm(p["intensity_tco2_per_10k_cny"]) for p in got["series"]] == [
                    s["intensity"] for _, s in want
                ]
    # a range restricts the series
    got = await analytics.get("/dashboard/trend", granularity="month", **{"from": "2024-02", "to": "2024-12"})
    assert [p["period"] for p in got["series"]] == ["2024-02"]


def _metric(sums: dict[str, Any], metric: str) -> Decimal | None:
    return {"total_emissions": sums["total"], "intensity": sums["intensity"], "net_emissions": sums["net"]}[metric]


async def test_rankings_match_with_ties(loaded: Any) -> None:
    analytics, model, _ = loaded
    default_level = {"100000": "province", "330000": "city", "330500": "county", "330502": "county", "110000": "city"}
    for role, region, scope in SCOPES:
        flt = {"scope": scope}
        cases: list[tuple[dict[str, Any], Any]] = [
            ({"by": "region"}, lambda c, level=default_level[scope]: region_at(c.region_code, level)),
            ({"by": "region", "level": "county"}, lambda c: region_at(c.region_code, "county")),
            ({"by": "industry"}, lambda c: industry_at(c.industry_code, "division")),
            ({"by": "industry", "level": "class"}, lambda c: industry_at(c.industry_code, "class")),
            ({"by": "industry", "level": "section"}, lambda c: industry_at(c.industry_code, "section")),
            ({"by": "enterprise"}, lambda c: str(c.enterprise_id)),
            ({"by": "node_type"}, lambda c: model.enterprises[c.enterprise_id].node_type
             if c.enterprise_id in model.enterprises else "unknown"),
            ({"by": "park"}, lambda c: model.enterprises[c.enterprise_id].park
             if c.enterprise_id in model.enterprises else None),
        ]  # fmt: skip
        for params, key in cases:
            for metric, order, limit in (
                ("total_emissions", "desc", 10),
                ("intensity", "asc", 5),
                ("net_emissions", "desc", 3),
            ):
                got = await analytics.get(
                    "/dashboard/rankings",
                    role,
                    region,
                    period="2024",
                    metric=metric,
                    order=order,
                    limit=limit,
                    **params,
                )
                groups = model.groups(flt, "2024", key)
                want = model.ranking({k: _metric(s, metric) for k, s in groups.items()}, limit, desc=order == "desc")
                assert [(i["rank"], i["dense_rank"], i["key"], norm(i["value"])) for i in got["items"]] == [
                    (r, d, k, v) for r, d, k, v in want
                ], (scope, params, metric)
    # ties: node types of a big scope tie on enterprise counts rarely; force a tie through the enterprises metric
    got = await analytics.get(
        "/dashboard/rankings", by="industry", level="class", metric="enterprises", period="2024", limit=100
    )
    ranks = [(i["rank"], i["value"]) for i in got["items"]]
    for (r1, v1), (r2, v2) in itertools.pairwise(ranks):
        assert (r1 == r2) == (v1 == v2)


async def test_energy_structure_map_and_typical_cases_match(loaded: Any) -> None:
    analytics, model, _ = loaded
    for role, region, scope in SCOPES:
        flt = {"scope": scope}
        for period in ("2024", "2024Q3"):
            got = await analytics.get("/dashboard/energy-structure", role, region, period=period)
            want = model.energy(flt, period)
            total_e = sum((e for e, _ in want.values()), Decimal(0))
            total_t = sum((t for _, t in want.values()), Decimal(0))
            assert {i["carrier"] for i in got["items"]} == set(want)
            for item in got["items"]:
                e, t = want[item["carrier"]]
                assert norm(item["emissions_tco2"]) == e
                assert norm(item["energy_tce"]) == t
                assert norm(item["emissions_share"]) == div(e, total_e)
                assert norm(item["energy_share"]) == div(t, total_t)
            got = await analytics.get("/dashboard/typical-cases", role, region, period=period, limit=7)
            assert [(i["enterprise_id"], i["certificate_code"]) for i in got["items"]] == [
                (str(e), c) for e, c in model.typical(flt, period, 7)
            ]
    got = await analytics.get("/dashboard/map", level="province", period="2024")
    assert len(got["items"]) == len(provinces()) == 34
    groups = model.groups({"scope": "100000"}, "2024", lambda c: region_at(c.region_code, "province"))
    for item in got["items"]:
        sums = groups.get(item["code"])
        assert norm(item["value"]) == (sums["total"] if sums else 0), item
        assert item["enterprises"] == (sums["enterprises"] if sums else 0)
        assert item["name"]
    assert next(i for i in got["items"] if i["code"] == "330000")["name"] == "浙江省"
    got = await analytics.get("/dashboard/map", "government", "330000", level="city", period="2024", metric="intensity")
    assert {i["code"] for i in got["items"]} >= {"330100", "330500"}
    assert all(i["code"].startswith("33") for i in got["items"])
    groups = model.groups({"scope": "330000"}, "2024", lambda c: region_at(c.region_code, "city"))
    for item in got["items"]:
        assert norm(item["value"]) == (groups[item["code"]]["intensity"] if item["code"] in groups else None)


async def test_benchmark_preview_matches_ratio_of_sums(loaded: Any) -> None:
    analytics, model, _ = loaded
    for role, region, scope in SCOPES[:3]:
        got = await analytics.get("/benchmarks/preview", role, region, year=2024)
        figures: dict[Any, tuple[str, Decimal, Decimal]] = {}
        per_ent: dict[Any, dict[str, EmissionCalculated]] = defaultdict(dict)
        for (ent, period), c in model.calcs.items():
            if Period.parse(period).year == 2024 and (
                scope == "100000"
                or c.region_code.startswith(
                    scope.rstrip("0")[:2] if scope.endswith("0000") else scope[:4] if scope.endswith("00") else scope
                )
            ):
                per_ent[ent][period] = c
        for ent, periods in per_ent.items():
            if "2024" in periods:
                chosen = [periods["2024"]]
            elif all(f"2024Q{n}" in periods for n in range(1, 5)):
                chosen = [periods[f"2024Q{n}"] for n in range(1, 5)]
            else:
                continue
            av = sum((c.added_value_10k_cny for c in chosen), Decimal(0))
            if av > 0:
                latest = max(chosen, key=lambda c: Period.parse(c.period).start)
                figures[ent] = (
                    latest.industry_code,
                    sum((c.intensity_tco2_per_10k_cny * c.added_value_10k_cny for c in chosen), Decimal(0)),
                    av,
                )
        want: dict[str, tuple[int, Decimal, Decimal]] = {}
        for industry, total, av in figures.values():
            for level in ("section", "division", "group", "class"):
                code = industry_at(industry, level)
                if code is None:
                    continue
                n, t, a = want.get(code, (0, Decimal(0), Decimal(0)))
                want[code] = (n + 1, t + total, a + av)
        assert {e["industry_code"] for e in got["entries"]} == set(want), scope
        for entry in got["entries"]:
            n, t, a = want[entry["industry_code"]]
            assert entry["sample_size"] == n
            assert norm(entry["total_emissions_tco2"]) == t
            assert norm(entry["total_added_value_10k_cny"]) == a
            assert norm(entry["intensity_tco2_per_10k_cny"]) == q(t / a)
            assert entry["meets_minimum_sample"] == (n >= 5)
