"""Apache Kafka from Maven Central jars: records and committed group offsets survive a restart and a crash.

One broker for the module, in a temporary folder; each test restarts it (stop or SIGKILL) on the same folder.
Skipped when ``java`` or ``mvn`` is missing; the first run fetches the jars (about half a minute).
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from carbonid_kit.embedded import free_port
from carbonid_kit.kafka_server import ApacheKafka, ensure_kafka_jars

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("java") is None, reason="no java on PATH: Apache Kafka 4.x needs Java 17+"),
    pytest.mark.skipif(shutil.which("mvn") is None, reason="no mvn on PATH: it fetches the Apache Kafka jars"),
]

RECORDS = 300


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApacheKafka]:
    folder: Path = tmp_path_factory.mktemp("apache-kafka")
    server = ApacheKafka(folder / "data", free_port(), free_port(), folder / "broker.log", jars=ensure_kafka_jars())
    server.start(timeout=180)
    try:
        yield server
    finally:
        server.stop()


async def produce(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    try:
        sends = [
            await producer.send(topic, key=f"k{i % 7}".encode(), value=f"record-{i}".encode()) for i in range(count)
        ]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def consume(
    bootstrap: str, topic: str, *, group: str | None, want: int, timeout: float = 60.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read ``want`` records (and then whatever else arrives within half a second) with ``group``."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(timeout):
            while len(records) < want:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records += batch
        for batch in (await consumer.getmany(timeout_ms=500)).values():  # nothing beyond what was written
            records += batch
        if group is not None:
            await consumer.commit()
    finally:
        await consumer.stop()
    return records


def values(records: list[ConsumerRecord[bytes, bytes]]) -> set[str]:
    return {r.value.decode() for r in records if r.value is not None}


async def test_records_survive_a_clean_restart(broker: ApacheKafka) -> None:
    topic = f"t{uuid.uuid4().hex[:10]}.durable"
    await produce(broker.bootstrap, topic, RECORDS)
    log_bytes_before = sum(f.stat().st_size for f in broker.log_dir.glob(f"{topic}-*/*.log"))
    assert log_bytes_before > 0  # the records are in the broker's own files, not only in memory

    first_pid = broker.pid
    await asyncio.to_thread(broker.restart)
    assert broker.pid != first_pid

    records = await consume(broker.bootstrap, topic, group=None, want=RECORDS)
    assert len(records) == RECORDS  # every record once: the idempotent producer wrote no duplicates
    assert values(records) == {f"record-{i}" for i in range(RECORDS)}
    # per key, the order of production is kept
    by_key: dict[bytes | None, list[int]] = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        assert r.value is not None
        by_key.setdefault(r.key, []).append(int(r.value.decode().split("-")[1]))
    assert all(seq == sorted(seq) for seq in by_key.values())


async def test_committed_group_offsets_survive_a_crash(broker: ApacheKafka) -> None:
    topic = f"t{uuid.uuid4().hex[:10]}.offsets"
    group = f"{topic}.reader"
    await produce(broker.bootstrap, topic, RECORDS)
    first = await consume(broker.bootstrap, topic, group=group, want=RECORDS)
    assert len(first) == RECORDS

    await asyncio.to_thread(broker.restart, hard=True)  # SIGKILL: no controlled shutdown, the log is recovered

    await produce(broker.bootstrap, topic, 20)  # after the crash: only these are new to the group
    second = await consume(broker.bootstrap, topic, group=group, want=20)
    assert values(second) == {f"record-{i}" for i in range(20)}
    assert len(second) == 20  # nothing before the committed offsets was read again

    probe = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=group, enable_auto_commit=False)
    await probe.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(3)]  # num.partitions of server.properties
        committed = [await probe.committed(tp) for tp in partitions]
        ends = await probe.end_offsets(partitions)
    finally:
        await probe.stop()
    assert committed == [ends[tp] for tp in partitions]
    assert sum(ends.values()) == RECORDS + 20  # so these partitions are all the topic has
    assert all(ends[tp] > 0 for tp in partitions)  # keys spread over all three


def test_a_second_start_reuses_the_formatted_storage(broker: ApacheKafka) -> None:
    meta = (broker.log_dir / "meta.properties").read_text(encoding="utf-8")
    broker.restart()
    assert (broker.log_dir / "meta.properties").read_text(encoding="utf-8") == meta  # same cluster id: no re-format
