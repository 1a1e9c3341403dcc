"""Synthetic platform events for the analytics tests and the benchmark (seeded, reproducible).

Enterprises get one or two ``enterprise.resolved`` events, calculations for annual, quarterly and monthly
periods (some superseded, some replaced by a newer one without ``supersedes``, some tied on time), evaluations
(some superseded) and certificates (some revoked by a later one).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.events import (
    CarrierEmission,
    CertificateIssued,
    EmissionCalculated,
    EnterpriseResolved,
    EvaluationCompleted,
    Reductions,
)

REGIONS = ["330502", "330503", "330521", "330102", "320102", "110101", "429004", "440305", "330500"]
INDUSTRIES = ["3011", "3012", "3021", "2511", "4411", "1310", "301"]
NODE_TYPES = ["secondary", "enterprise", "recursive", "unknown"]
PARKS = [None, "湖州经济技术开发区", "南浔工业园", "德清高新区"]
CARRIERS = ["coal", "oil", "gas", "electricity", "heat", "process"]
PERIODS = ["2023", "2024", "2024Q1", "2024Q2", "2024Q3", "2024Q4", "2024-01", "2024-02", "2023Q2", "2024H1"]
SOURCE = "urn:carbonid:test:330000"
USCC = "91330500MA2B3C4D1Y"
BASE_TIME = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)


def _dec(rng: random.Random, low: int, high: int, places: int = 3) -> Decimal:
    return Decimal(rng.randint(low * 10**places, high * 10**places)).scaleb(-places)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _event(rng: random.Random, payload: object, when: datetime) -> CloudEvent:
    assert isinstance(payload, EnterpriseResolved | EmissionCalculated | EvaluationCompleted | CertificateIssued)
    return CloudEvent(
        id=_uuid(rng),
        source=SOURCE,
        type=payload.event_type(),
        subject=payload.partition_key(),
        data=payload,
        time=when,
    )


def enterprise_events(
    rng: random.Random,
    index: int,
    *,
    periods: list[str] | None = None,
    region: str | None = None,
    industry: str | None = None,
) -> list[CloudEvent]:
    """All events of one enterprise, in the order they happened."""
    ent = _uuid(rng)
    region = region or rng.choice(REGIONS)
    industry = industry or rng.choice(INDUSTRIES)
    out: list[CloudEvent] = []
    clock = BASE_TIME + timedelta(hours=rng.randint(0, 24 * 60), seconds=rng.randint(0, 59))

    def tick(max_hours: int = 72) -> datetime:
        nonlocal clock
        clock += timedelta(hours=rng.randint(0, max_hours), minutes=rng.randint(1, 59))
        return clock

    for _ in range(rng.choice([1, 1, 2])):
        when = tick()
        out.append(
            _event(
                rng,
                EnterpriseResolved(
                    enterprise_id=ent,
                    identifier_prefix=f"88.118.{index}",
                    name=f"示例企业{index:05d}",
                    uscc=USCC,
                    region_code=region,
                    province_code=region[:2] + "0000",
                    industry_code=industry if len(industry) == 4 else industry + "1",
                    node_type=rng.choice(NODE_TYPES),  # type: ignore[arg-type]
                    park=rng.choice(PARKS),
                    resolved_at=when,
                ),
                when,
            )
        )
    chosen = periods if periods is not None else rng.sample(PERIODS, rng.randint(1, 5))
    for period in chosen:
        previous: uuid.UUID | None = None
        calc_ids: list[uuid.UUID] = []
        for version in range(rng.choice([1, 1, 1, 2, 3])):
            calc_id = _uuid(rng)
            carriers = rng.sample(CARRIERS, rng.randint(1, 4))
            lines = [
                CarrierEmission(carrier=c, emissions_tco2=_dec(rng, 0, 5000), energy_tce=_dec(rng, 0, 2000))
                for c in carriers
            ]
            total = sum((line.emissions_tco2 for line in lines), Decimal(0))
            neutral = _dec(rng, 0, 800) if rng.random() < 0.6 else Decimal(0)
            if rng.random() < 0.05:
                neutral = total + 1  # fully neutralised: net stays at zero
            net = max(Decimal(0), total - neutral)
            added = Decimal(0) if rng.random() < 0.03 else _dec(rng, 100, 20000, 2)
            when = tick()
            if version > 0 and rng.random() < 0.1:
                when = out[-1].time  # a tie on time: the larger id wins
            supersedes = previous if (version > 0 and rng.random() < 0.8) else None
            out.append(
                _event(
                    rng,
                    EmissionCalculated(
                        enterprise_id=ent,
                        calculation_id=calc_id,
                        supersedes=supersedes,
                        region_code=region,
                        industry_code=industry,
                        period=period,
                        added_value_10k_cny=added,
                        total_emissions_tco2=total,
                        net_emissions_tco2=net,
                        intensity_tco2_per_10k_cny=(total / added).quantize(Decimal("0.0001")) if added else Decimal(0),
                        energy_tce=sum((line.energy_tce for line in lines), Decimal(0)),
                        by_scope={"scope1": total},
                        by_category={"combustion": total},
                        by_carrier=lines,
                        reductions=Reductions(
                            ccer_tco2=neutral,
                            green_certificates_mwh=Decimal(0),
                            own_renewable_mwh=Decimal(0),
                            sinks_tco2=Decimal(0),
                            neutralisation_tco2=neutral,
                        ),
                        factor_set_version="ndrc-2024.v1",
                        input_hash="0" * 64,
                        confirmed_at=when,
                    ),
                    when,
                )
            )
            previous = calc_id
            calc_ids.append(calc_id)
        if rng.random() < 0.75:
            prev_eval: uuid.UUID | None = None
            for _ in range(rng.choice([1, 1, 2])):
                eval_id = _uuid(rng)
                grade = rng.randint(1, 5)
                when = tick()
                out.append(
                    _event(
                        rng,
                        EvaluationCompleted(
                            enterprise_id=ent,
                            evaluation_id=eval_id,
                            supersedes=prev_eval,
                            calculation_id=calc_ids[-1],
                            enterprise_name=f"示例企业{index:05d}",
                            region_code=region,
                            industry_code=industry,
                            period=period,
                            total_emissions_tco2=_dec(rng, 0, 9000),
                            net_emissions_tco2=_dec(rng, 0, 9000),
                            intensity_tco2_per_10k_cny=_dec(rng, 0, 5, 4),
                            level=rng.choice(["low", "medium", "high"]),
                            benchmark_intensity_tco2_per_10k_cny=Decimal("1.2"),
                            efficiency_value_k=_dec(rng, 0, 3, 2),
                            grade=grade,
                            grade_colour="#1A7F37",
                            neutralisation_rate=_dec(rng, 0, 1, 4),
                            rule_set_version="zhejiang-2022.v1",
                            benchmark_version="330000-2024-v1",
                            input_hash="1" * 64,
                            completed_at=when,
                        ),
                        when,
                    )
                )
                prev_eval = eval_id
                if rng.random() < 0.6:
                    cert_ids = [_uuid(rng)]
                    if rng.random() < 0.3:
                        cert_ids.append(_uuid(rng))
                    for n, cert_id in enumerate(cert_ids):
                        when = tick(5)
                        out.append(
                            _event(
                                rng,
                                CertificateIssued(
                                    enterprise_id=ent,
                                    certificate_id=cert_id,
                                    certificate_code=f"CE-{cert_id.hex[:10]}",
                                    evaluation_id=eval_id,
                                    revokes=cert_ids[:n],
                                    region_code=region,
                                    industry_code=industry,
                                    period=period,
                                    grade=grade,
                                    level="low",
                                    handle=f"88.118.8/cert-{cert_id.hex[:8]}",
                                    url=f"https://carbonid.example/c/{cert_id.hex[:10]}",
                                    issued_at=when,
                                    valid_until=date(2026, 12, 31),
                                ),
                                when,
                            )
                        )
    return out


def generate(seed: int, enterprises: int) -> list[CloudEvent]:
    rng = random.Random(seed)
    events: list[CloudEvent] = []
    for i in range(enterprises):
        events += enterprise_events(rng, i)
    return events


def deliveries(events: list[CloudEvent], seed: int, duplicate_share: float = 0.1) -> list[CloudEvent]:
    """The events as a broker might hand them over: some twice, in a shuffled order."""
    rng = random.Random(seed)
    out = list(events) + [e for e in events if rng.random() < duplicate_share]
    rng.shuffle(out)
    return out
