"""An independent recomputation of every dashboard measure from the raw events, in plain Python.

It shares nothing with the service's code but the contracts: which fact is current is decided here by
scanning all received events, and every sum, ratio, rank and share is computed with ``decimal`` directly.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from carbonid_contracts.codes.period import Period
from carbonid_contracts.codes.region import region_within
from carbonid_contracts.codes.regions import lookup, path
from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import CertificateIssued, EmissionCalculated, EnterpriseResolved, EvaluationCompleted

PLACES = Decimal("0.000001")
SECTIONS = {"A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46)}


def q(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_EVEN)


def div(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None or b == 0 else q(a / b)


def in_scope(scope: str, code: str) -> bool:
    return scope == "100000" or region_within(scope, code)


def region_at(code: str, level: str) -> str | None:
    if lookup(code) is None:
        return {"province": code[:2] + "0000", "city": code[:4] + "00", "county": code}[level]
    chain = path(code)
    if level == "province":
        return chain[0].code
    if level == "city":
        return chain[1].code if len(chain) >= 2 else None
    if len(chain) == 3:
        return chain[2].code
    return chain[1].code if len(chain) == 2 and chain[1].level == "county" else None


def industry_at(code: str, level: str) -> str | None:
    if level == "section":
        n = int(code[:2])
        return next((s for s, (lo, hi) in SECTIONS.items() if lo <= n <= hi), None)
    size = {"division": 2, "group": 3, "class": 4}[level]
    return code[:size] if len(code) >= size else None


def industry_matches(filter_code: str, code: str) -> bool:
    if filter_code.isalpha():
        return industry_at(code, "section") == filter_code
    return len(code) >= len(filter_code) and code.startswith(filter_code)


def latest(candidates: Iterable[Any], time: Callable[[Any], Any], ident: Callable[[Any], uuid.UUID]) -> Any:
    return max(candidates, key=lambda x: (time(x), ident(x)))


@dataclass
class Model:
    calcs: dict[tuple[uuid.UUID, str], EmissionCalculated]
    evals: dict[tuple[uuid.UUID, str], EvaluationCompleted]
    certs: dict[tuple[uuid.UUID, str], CertificateIssued]
    enterprises: dict[uuid.UUID, EnterpriseResolved]

    @classmethod
    def of(cls, events: Iterable[CloudEvent]) -> Model:
        unique = {e.id: e for e in events}.values()
        calcs = [e.data for e in unique if isinstance(e.data, EmissionCalculated)]
        evals = [e.data for e in unique if isinstance(e.data, EvaluationCompleted)]
        certs = [e.data for e in unique if isinstance(e.data, CertificateIssued)]
        superseded_calcs = {c.supersedes for c in calcs}
        superseded_evals = {v.supersedes for v in evals}
        revoked = {r for c in certs for r in c.revokes}
        model = cls({}, {}, {}, {})
        groups: dict[tuple[uuid.UUID, str], list[Any]] = defaultdict(list)
        for c in calcs:
            if c.calculation_id not in superseded_calcs:
                groups[(c.enterprise_id, c.period)].append(c)
        model.calcs = {k: latest(v, lambda x: x.confirmed_at, lambda x: x.calculation_id) for k, v in groups.items()}
        groups = defaultdict(list)
        for v in evals:
            if v.evaluation_id not in superseded_evals:
                groups[(v.enterprise_id, v.period)].append(v)
        model.evals = {k: latest(v, lambda x: x.completed_at, lambda x: x.evaluation_id) for k, v in groups.items()}
        groups = defaultdict(list)
        for c in certs:
            if c.certificate_id not in revoked:
                groups[(c.enterprise_id, c.period)].append(c)
        model.certs = {k: latest(v, lambda x: x.issued_at, lambda x: x.certificate_id) for k, v in groups.items()}
        resolved: dict[uuid.UUID, list[tuple[Any, uuid.UUID, EnterpriseResolved]]] = defaultdict(list)
        for e in unique:
            if isinstance(e.data, EnterpriseResolved):
                resolved[e.data.enterprise_id].append((e.data.resolved_at, e.id, e.data))
        model.enterprises = {k: max(v, key=lambda t: (t[0], t[1]))[2] for k, v in resolved.items()}
        return model

    # -- filters ---------------------------------------------------------------------------------------
    def _keep(self, fact: Any, f: dict[str, Any]) -> bool:
        if not in_scope(f["scope"], fact.region_code):
            return False
        if f.get("industry") and not industry_matches(f["industry"], fact.industry_code):
            return False
        ent = self.enterprises.get(fact.enterprise_id)
        if f.get("node_type") and (ent.node_type if ent else "unknown") != f["node_type"]:
            return False
        return not (f.get("park") and (ent.park if ent else None) != f["park"])

    def calc_facts(self, f: dict[str, Any], period: str) -> list[EmissionCalculated]:
        return [c for c in self.calcs.values() if c.period == period and self._keep(c, f)]

    # -- measures --------------------------------------------------------------------------------------
    @staticmethod
    def sums(facts: list[EmissionCalculated]) -> dict[str, Any]:
        total = sum((c.total_emissions_tco2 for c in facts), Decimal(0))
        net = sum((c.net_emissions_tco2 for c in facts), Decimal(0))
        with_value = [c for c in facts if c.added_value_10k_cny > 0]
        tv = sum((c.total_emissions_tco2 for c in with_value), Decimal(0)) if with_value else None
        av = sum((c.added_value_10k_cny for c in with_value), Decimal(0)) if with_value else None
        return {
            "enterprises": len({c.enterprise_id for c in facts}),
            "total": total,
            "net": net,
            "energy": sum((c.energy_tce for c in facts), Decimal(0)),
            "added_value": av,
            "total_with_value": tv,
            "intensity": div(tv, av),
            "rate": div(total - net, total),
        }

    def summary(self, f: dict[str, Any], period: str) -> dict[str, Any]:
        p = Period.parse(period)
        cur = self.sums(self.calc_facts(f, period))
        prev_year = self.sums(self.calc_facts(f, p.same_period_last_year().code))
        prev = self.sums(self.calc_facts(f, p.previous().code))
        evals = [v for v in self.evals.values() if v.period == period and self._keep(v, f)]
        grades = {str(g): sum(1 for v in evals if v.grade == g) for g in range(1, 6)}

        def change(a: Any, b: Any) -> Any:
            return None if a is None or b is None or b == 0 else q((a - b) / abs(b))

        def changes(other: dict[str, Any]) -> dict[str, Any]:
            if other["enterprises"] == 0:
                return {"total_emissions": None, "net_emissions": None, "intensity": None}
            return {
                "total_emissions": change(cur["total"], other["total"]),
                "net_emissions": change(cur["net"], other["net"]),
                "intensity": change(cur["intensity"], other["intensity"]),
            }

        return {
            "figures": {
                "enterprises": cur["enterprises"],
                "total_emissions_tco2": cur["total"],
                "net_emissions_tco2": cur["net"],
                "neutralisation_tco2": cur["total"] - cur["net"],
                "energy_tce": cur["energy"],
                "added_value_10k_cny": cur["added_value"],
                "intensity_tco2_per_10k_cny": cur["intensity"],
                "neutralisation_rate": cur["rate"],
            },
            "grade_distribution": grades,
            "evaluated_enterprises": len(evals),
            "certificates": sum(1 for c in self.certs.values() if c.period == period and self._keep(c, f)),
            "yoy": changes(prev_year),
            "pop": changes(prev),
        }

    def trend(self, f: dict[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
        if kind == "day":
            buckets: dict[str, list[EmissionCalculated]] = defaultdict(list)
            for c in self.calcs.values():
                if self._keep(c, f):
                    buckets[c.confirmed_at.date().isoformat()].append(c)
            return [(k, self.sums(v)) for k, v in sorted(buckets.items())]
        codes = sorted(
            {c.period for c in self.calcs.values() if Period.parse(c.period).kind.value == kind},
            key=lambda code: Period.parse(code).start,
        )
        out = []
        for code in codes:
            facts = self.calc_facts(f, code)
            if facts:
                out.append((code, self.sums(facts)))
        return out

    def groups(
        self, f: dict[str, Any], period: str, key: Callable[[EmissionCalculated], str | None]
    ) -> dict[str, dict[str, Any]]:
        buckets: dict[str, list[EmissionCalculated]] = defaultdict(list)
        for c in self.calc_facts(f, period):
            k = key(c)
            if k is not None:
                buckets[k].append(c)
        return {k: self.sums(v) for k, v in buckets.items()}

    @staticmethod
    def ranking(
        values: dict[str, Decimal | None], limit: int, desc: bool = True
    ) -> list[tuple[int, int, str, Decimal]]:
        items = [(k, v) for k, v in values.items() if v is not None]
        items.sort(key=lambda kv: ((-kv[1]) if desc else kv[1], kv[0]))
        out = []
        for k, v in items:
            better = [x for _, x in items if (x > v if desc else x < v)]
            competition = 1 + len(better)
            dense = 1 + len(set(better))
            if competition <= limit:
                out.append((competition, dense, k, v))
        return out

    def energy(self, f: dict[str, Any], period: str) -> dict[str, tuple[Decimal, Decimal]]:
        acc: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for c in self.calc_facts(f, period):
            for line in c.by_carrier:
                acc[line.carrier][0] += line.emissions_tco2
                acc[line.carrier][1] += line.energy_tce
        return {k: (v[0], v[1]) for k, v in acc.items()}

    def typical(self, f: dict[str, Any], period: str, limit: int) -> list[tuple[uuid.UUID, str | None]]:
        evals = [v for v in self.evals.values() if v.period == period and self._keep(v, f)]
        evals.sort(key=lambda v: (v.grade, v.efficiency_value_k, v.intensity_tco2_per_10k_cny, v.enterprise_id))
        out = []
        for v in evals[:limit]:
            cert = self.certs.get((v.enterprise_id, v.period))
            out.append((v.enterprise_id, cert.certificate_code if cert else None))
        return out


DECIMAL_RE = re.compile(r"^-?\d+(\.\d+)?$")


def norm(value: Any) -> Any:
    """Decimal strings and numbers to Decimal, recursively, so that 1.50 == 1.5."""
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [norm(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str) and DECIMAL_RE.match(value):
        return Decimal(value)
    return value
