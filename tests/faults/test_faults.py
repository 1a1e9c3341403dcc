"""Fault injection on the evaluation → certificates → analytics pipeline, on Apache Kafka and PostgreSQL.

Each scenario runs the services as OS processes on a fresh topic prefix and fresh databases, injects its fault
in the middle of the stream, lets the pipeline settle and ends with the same invariants (``check_invariants``):
every published calculation in evaluation's view once, every issued evaluation on the wire under one event id
and certified exactly once, every certificate announced once, outboxes drained, analytics' facts equal to the
source databases, and nothing dead-lettered that the scenario did not poison.

A fault lands *inside* a step by holding a PostgreSQL lock the step needs and waiting until the service's
backend is seen blocked on it in ``pg_stat_activity``: the kill then provably interrupts that step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import zlib
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from pipeline import Infra, Pipeline, benchmark_event, calculation_event, eventually

from carbonid_contracts.envelope import CloudEvent
from carbonid_contracts.topics import EventType, topic_for

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]
log = logging.getLogger("faults")


@pytest.fixture
async def pipeline(infra: Infra, request: pytest.FixtureRequest) -> AsyncIterator[Pipeline]:
    p = Pipeline(infra, request.node.name.removeprefix("test_")[:40])
    try:
        await p.start()
        yield p
    except BaseException:
        for process in p.processes.values():
            print(f"---- {process.name} log tail\n{process.log_tail()}")
        raise
    finally:
        await p.close()


async def issued_at_least(p: Pipeline, n: int) -> None:
    async def enough() -> bool:
        return len(p.evaluations) >= n

    await eventually(enough, f"{n} evaluations issued", timeout=180)


def report(name: str, figures: dict[str, object]) -> None:
    print(f"[faults] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


# ---------------------------------------------------------------------------------------------------------------


async def test_baseline_without_faults(pipeline: Pipeline) -> None:
    """The invariants hold on an undisturbed stream (and so can fail only because of a fault)."""
    enterprises = await pipeline.seed(12)
    await pipeline.wait_calculations_seen(enterprises)
    await pipeline.evaluate_all(enterprises)
    report("baseline", await pipeline.check_invariants())


async def test_broker_stopped_and_restarted_mid_stream(pipeline: Pipeline, infra: Infra) -> None:
    """Kafka goes away while evaluations are being issued: the outbox holds them, nothing is lost or doubled."""
    p = pipeline
    enterprises = await p.seed(30)
    await p.wait_calculations_seen(enterprises)
    stream = asyncio.create_task(p.evaluate_all(enterprises[:20]))
    await issued_at_least(p, 5)
    await asyncio.to_thread(infra.kafka.stop)
    try:
        await stream  # HTTP keeps working without the broker: the events wait in the outbox
        pending = await p.scalar("evaluation", "SELECT count(*) FROM outbox_events")
        assert pending > 0, "nothing waited in the outbox while the broker was down"
    finally:
        await asyncio.to_thread(infra.kafka.start)
    await p.evaluate_all(enterprises[20:])
    later = await p.seed(5)  # the stream goes on after the restart
    await p.wait_calculations_seen(later)
    await p.evaluate_all(later)
    report("broker restart", {"outbox held": pending, **await p.check_invariants()})


async def test_consumer_killed_inside_its_handler(pipeline: Pipeline) -> None:
    """SIGKILL while a handler's transaction is open (blocked on a lock it needs), in both consumers."""
    p = pipeline
    enterprises = await p.seed(16)
    await p.wait_calculations_seen(enterprises)
    await p.evaluate_all(enterprises[:6])

    # certificates: the handler of evaluation.completed is blocked reading the certificates table
    async with p.holding_lock("certificates", "LOCK TABLE certificates IN ACCESS EXCLUSIVE MODE"):
        await p.evaluate_all(enterprises[6:])
        await p.wait_for_blocked("certificates", "%FROM certificates%")
        p.certificates.sigkill()
    assert p.certificates.exits == [-9]
    await p.restart("certificates")

    # evaluation: the handler of emission.calculated is blocked inserting into its calculations view
    async with p.holding_lock("evaluation", "LOCK TABLE calculations IN EXCLUSIVE MODE"):
        more = await p.seed(6)
        await p.wait_for_blocked("evaluation", "INSERT INTO calculations%")
        p.evaluation.sigkill()
    await p.restart("evaluation")
    await p.wait_calculations_seen(more)
    await p.evaluate_all(more)
    report("SIGKILL in handler", await p.check_invariants())


async def test_outbox_relay_killed_between_publish_and_commit(pipeline: Pipeline) -> None:
    """The relay has published a batch and waits to delete it when the process is killed: it publishes the
    batch again after the restart (at least once) and certificates applies each evaluation once."""
    p = pipeline
    enterprises = await p.seed(14)
    await p.wait_calculations_seen(enterprises)
    await p.evaluate_all(enterprises[:4])
    await p.wait_settled()

    relay_lock = zlib.crc32(b"outbox:evaluation")  # the relay's advisory lock (kit OutboxRelay.lock_key)
    async with contextlib.AsyncExitStack() as locks:
        # 1. keep the relay out while 10 evaluations are issued: their events wait in the outbox
        await locks.enter_async_context(p.holding_lock("evaluation", f"SELECT pg_advisory_xact_lock({relay_lock})"))
        await p.evaluate_all(enterprises[4:])
        held = await p.scalar("evaluation", "SELECT count(*) FROM outbox_events")
        assert held == 10
        # 2. let the relay claim and publish them, but not delete them: SHARE blocks DELETE, not FOR UPDATE
        delete_blocker = p.holding_lock("evaluation", "LOCK TABLE outbox_events IN SHARE MODE")
        await delete_blocker.__aenter__()
        try:
            await locks.aclose()  # the advisory lock goes: the relay claims the batch
            await p.wait_for_blocked("evaluation", "DELETE FROM outbox_events%")
            on_wire = {e.data.evaluation_id for e in await p.events_on(EventType.EVALUATION_COMPLETED)}  # type: ignore[attr-defined]
            assert {p.evaluations[e] for e in enterprises[4:]} <= on_wire, "the batch was not published yet"
            p.evaluation.sigkill()
        finally:
            await delete_blocker.__aexit__(None, None, None)
    assert await p.scalar("evaluation", "SELECT count(*) FROM outbox_events") == 10, "the rows went with the kill"
    await p.restart("evaluation")
    figures = await p.check_invariants()

    records = Counter(e.id for e in await p.events_on(EventType.EVALUATION_COMPLETED))
    republished = sum(1 for c in records.values() if c == 2)
    assert republished == 10, f"expected the 10 events published twice, got {records}"
    duplicates = await p.certificates.metric(
        "carbonid_events_consumed_total", service="certificates", outcome="duplicate"
    )
    assert duplicates >= 10, duplicates
    report("relay killed", {"republished": republished, "duplicates skipped": duplicates, **figures})


async def test_postgres_restarted_mid_stream(pipeline: Pipeline, infra: Infra) -> None:
    """PostgreSQL crashes (immediate stop) and comes back while the stream flows through every service."""
    p = pipeline
    enterprises = await p.seed(30)
    await p.wait_calculations_seen(enterprises[:10])
    stream = asyncio.create_task(p.evaluate_all(enterprises[:10] + enterprises[10:20]))
    await issued_at_least(p, 4)
    await asyncio.to_thread(infra.postgres.stop, "immediate")
    more = await p.seed(5)  # consumed while the database is down: retried, never dead-lettered
    await asyncio.to_thread(infra.postgres.start)
    await stream
    await p.wait_calculations_seen(enterprises + more)
    await p.evaluate_all(enterprises[20:] + more)
    report("PostgreSQL restart", await p.check_invariants())


async def test_forced_duplicate_delivery(pipeline: Pipeline) -> None:
    """Every event delivered again: the same record twice, the same calculation under a new event id, and
    finally every topic of the pipeline replayed from the beginning. Nothing changes."""
    p = pipeline
    await p.publish(benchmark_event())
    enterprises = [uuid.uuid4() for _ in range(10)]
    for index, enterprise_id in enumerate(enterprises):
        payload = calculation_event(enterprise_id, gross=str(4100 + index))
        event = await p.publish(payload)
        await p.publish(payload, event=event)  # the same record again
        again = await p.publish(payload)  # the same calculation under another event id
        p.calculations[enterprise_id] = payload.calculation_id
        p.calculation_event_ids |= {event.id, again.id}
    await p.wait_calculations_seen(enterprises)
    await p.evaluate_all(enterprises)
    await p.wait_settled()

    replayed = 0
    for event_type in (EventType.EMISSION_CALCULATED, EventType.EVALUATION_COMPLETED, EventType.CERTIFICATE_ISSUED):
        topic = topic_for(event_type, p.prefix)
        for record in await p.read_topic(topic):
            await p.publish_raw(topic, record.value, key=record.key, headers=list(record.headers))
            replayed += 1

    async def certificates_skipped_all() -> bool:
        skipped = await p.certificates.metric(
            "carbonid_events_consumed_total",
            service="certificates",
            topic=topic_for(EventType.EVALUATION_COMPLETED, p.prefix),
            outcome="duplicate",
        )
        return skipped >= len(enterprises)

    await eventually(certificates_skipped_all, "certificates skipping the replayed evaluations", timeout=120)
    if p.with_analytics:

        async def analytics_skipped_all() -> bool:
            skipped = await p.processes["analytics"].metric(
                "carbonid_events_consumed_total", service="analytics", outcome="duplicate"
            )
            return skipped >= replayed

        await eventually(analytics_skipped_all, "analytics skipping every replayed event", timeout=120)
    report("duplicate delivery", {"replayed": replayed, **await p.check_invariants()})


async def test_poison_message_goes_to_the_dead_letter_topic(pipeline: Pipeline) -> None:
    """Records that can never be applied land in each group's dead-letter topic with their reason; the stream
    goes on around them."""
    p = pipeline
    enterprises = await p.seed(10)
    await p.wait_calculations_seen(enterprises)
    await p.evaluate_all(enterprises[:5])

    completed_topic = topic_for(EventType.EVALUATION_COMPLETED, p.prefix)
    calculated_topic = topic_for(EventType.EMISSION_CALCULATED, p.prefix)
    sample = CloudEvent.of(benchmark_event(), source="urn:carbonid:faults:330000")
    await p.publish_raw(completed_topic, b"not a cloud event", key=b"x")  # no CloudEvents headers
    await p.publish_raw(completed_topic, b"{broken", key=b"x", headers=list(sample.headers()))  # wrong JSON
    await p.publish_raw(completed_topic, sample.value(), key=sample.key, headers=list(sample.headers()))  # wrong topic
    bad = calculation_event(uuid.uuid4(), gross="1").model_dump(mode="json") | {"input_hash": "not-a-hash"}
    bad_event = CloudEvent.of(calculation_event(uuid.uuid4(), gross="1"), source="urn:carbonid:faults:330000")
    import json

    await p.publish_raw(calculated_topic, json.dumps(bad).encode(), key=b"x", headers=list(bad_event.headers()))

    more = await p.seed(5)
    await p.wait_calculations_seen(more)
    await p.evaluate_all(enterprises[5:] + more)
    expected = {"certificates": 3, "evaluation": 1}
    if p.with_analytics:
        expected["analytics"] = 4
    figures = await p.check_invariants(dead_letters=expected)

    reasons = Counter(dict(r.headers)["carbonid_dlq_reason"].decode() for r in await p.dead_letters("certificates"))
    assert reasons == {"invalid-envelope": 2, "wrong-topic": 1}, reasons
    (calc_dead,) = await p.dead_letters("evaluation")
    headers = dict(calc_dead.headers)
    assert headers["carbonid_dlq_reason"] == b"invalid-envelope"
    assert b"input_hash" in headers["carbonid_dlq_detail"]
    assert headers["carbonid_dlq_topic"].decode() == calculated_topic
    report("poison", {"dead-lettered": dict(reasons), **figures})


async def test_rebalance_while_committing(pipeline: Pipeline) -> None:
    """A second certificates member joins mid-stream and the first one leaves mid-stream."""
    p = pipeline
    enterprises = await p.seed(48)
    await p.wait_calculations_seen(enterprises)
    stream = asyncio.create_task(p.evaluate_all(enterprises[:24], concurrency=2))
    await issued_at_least(p, 6)
    second = p.add_process("certificates-b", "certificates")
    second.start()  # joins while the first member is applying and committing
    await second.wait_ready()
    await stream
    stream = asyncio.create_task(p.evaluate_all(enterprises[24:40], concurrency=2))
    await issued_at_least(p, 28)
    await asyncio.to_thread(p.certificates.sigterm, 30)  # leaves mid-stream: its partitions move to the second
    assert p.certificates.stopped_gracefully(), p.certificates.log_tail()
    await stream
    await p.evaluate_all(enterprises[40:])  # only the second member is left to certify these
    figures = await p.check_invariants()
    applied_by_second = await second.metric(
        "carbonid_events_consumed_total",
        service="certificates",
        topic=topic_for(EventType.EVALUATION_COMPLETED, p.prefix),
        outcome="applied",
    )
    assert applied_by_second > 0
    report("rebalance", {"applied by the joining member": applied_by_second, **figures})


async def test_graceful_shutdown_with_a_handler_in_flight(pipeline: Pipeline) -> None:
    """SIGTERM while a handler is in its transaction: the process stops cleanly and the effect is either
    committed with its offset or applied after the restart, never twice and never lost."""
    p = pipeline
    enterprises = await p.seed(12)
    await p.wait_calculations_seen(enterprises)
    await p.evaluate_all(enterprises[:6])
    await p.wait_settled()
    before = await p.scalar("certificates", "SELECT count(*) FROM certificates")
    async with p.holding_lock("certificates", "LOCK TABLE certificates IN ACCESS EXCLUSIVE MODE"):
        await p.evaluate_all(enterprises[6:])
        await p.wait_for_blocked("certificates", "%FROM certificates%")
        assert p.certificates.process is not None
        p.certificates.process.send_signal(__import__("signal").SIGTERM)

        async def shutting_down() -> bool:
            return "shutting down" in p.certificates.log_text().lower()

        await eventually(shutting_down, "certificates to begin its shutdown")
    code = await asyncio.to_thread(p.certificates.sigterm, 30)  # already signalled: waits for the exit
    assert p.certificates.stopped_gracefully(), p.certificates.log_tail()
    after_exit = await p.scalar("certificates", "SELECT count(*) FROM certificates")
    await p.restart("certificates")
    figures = await p.check_invariants()
    report(
        "graceful shutdown",
        {"exit code": code, "certified before": before, "certified at exit": after_exit, **figures},
    )
