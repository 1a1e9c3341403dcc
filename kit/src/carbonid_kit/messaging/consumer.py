"""Batch consumers over FastStream/aiokafka, with inbox deduplication and a dead-letter topic.

- One consumer group per service, new groups start from the earliest offset (Tansu's ``latest`` is wrong
  after multi-record batches, and a new projection must see history anyway).
- Records arrive in batches; the batch's effects commit in one database transaction together with its
  inbox rows; the Kafka offsets are committed once per batch, after the effects committed
  (AckPolicy.NACK_ON_ERROR: an exception seeks back and the batch is delivered again; the inbox skips what
  was already applied).
- A handler is either per event (``on(type, handler)``: ``handler(session, event)``) or per batch
  (``subscribe_batch(types, handler)``: ``handler(session, events)`` with the batch's new events of those
  types, in topic/partition/offset order, so that a projection can apply them set-wise). When a batch fails
  for a reason other than the infrastructure, it is applied again one event at a time, each in its own
  savepoint, through the same handlers (a batch handler then gets a one-element list), so that only the
  event at fault is dead-lettered.
- A record that can never be applied (not a CarbonID CloudEvent, an invalid payload, not signed by its topic's
  owner or dated in the future (``authenticity``), a ``PermanentError``, or an error that repeats
  ``max_attempts`` times) goes to ``<prefix>dlq.<group>`` with the reason in its
  headers, and the stream goes on. Infrastructure errors (database or network down) are retried with
  backoff without limit, so that an outage delays events but never dead-letters them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from carbonid_contracts.envelope import CloudEvent, EnvelopeError
from carbonid_contracts.topics import EventType, dead_letter_topic, producer_of, topic_for
from carbonid_kit.db import database_unavailable, transaction
from carbonid_kit.logging import trace_id_from_traceparent, trace_id_var
from carbonid_kit.messaging.authenticity import EventRefusedError, EventVerifier, development_producer_keys
from carbonid_kit.messaging.inbox import claim, claim_many
from carbonid_kit.messaging.kafka import new_producer
from carbonid_kit.metrics import CONSUMER_LAG_SECONDS, EVENTS_CONSUMED
from carbonid_kit.settings import ServiceSettings

log = logging.getLogger(__name__)

EventHandler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, list[CloudEvent]], Awaitable[None]]
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OSError, TimeoutError)


def is_transient(exc: BaseException) -> bool:
    """True for failures of the infrastructure (retry without limit), False for failures of the event."""
    return isinstance(exc, TRANSIENT_ERRORS) or database_unavailable(exc)


class PermanentError(Exception):
    """The event can never be applied (it contradicts the consumer's rules): dead-letter it with this reason."""


class EventConsumers:
    """The event subscriptions of one service, run as one member of the service's consumer group."""

    def __init__(
        self,
        settings: ServiceSettings,
        sessions: async_sessionmaker[AsyncSession],
        inbox: Table,
        *,
        group: str | None = None,
        max_attempts: int = 3,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.inbox = inbox
        self.group = group or settings.service_name
        self.max_attempts = max_attempts
        self.handlers: dict[EventType, EventHandler] = {}
        self.batch_handlers: dict[EventType, BatchHandler] = {}
        self.broker: KafkaBroker | None = None
        self._dlq: AIOKafkaProducer | None = None
        self._stopping = False
        self.applied = 0
        self.skipped = 0
        self.dead_lettered = 0
        keys = dict(settings.event_producer_keys)
        secret = settings.event_secret()
        if settings.development_like and secret:
            keys = development_producer_keys(secret) | keys
        self.verifier = EventVerifier(
            keys,
            required=settings.events_authenticated,
            max_future=timedelta(seconds=settings.event_max_future_seconds),
        )

    def on(self, event_type: EventType, handler: EventHandler) -> None:
        """Apply ``handler(session, event)`` to each event of this type, once, inside its transaction."""
        if event_type in self.batch_handlers:
            raise ValueError(f"{event_type} already has a batch handler")
        self.handlers[event_type] = handler

    def subscribe_batch(self, event_types: Iterable[EventType], handler: BatchHandler) -> None:
        """Apply ``handler(session, events)`` to the new events of these types of each batch, in one transaction.

        ``events`` are the batch's events of these types not applied before (inbox), each once, in topic,
        partition and offset order; after a failure of the whole batch the handler gets them one at a time.
        """
        types = list(event_types)
        for event_type in types:
            if event_type in self.handlers:
                raise ValueError(f"{event_type} already has a per-event handler")
        for event_type in types:
            self.batch_handlers[event_type] = handler

    @property
    def event_types(self) -> list[EventType]:
        return [*self.handlers, *self.batch_handlers]

    @property
    def topics(self) -> dict[str, EventType]:
        return {topic_for(t, self.settings.topic_prefix): t for t in self.event_types}

    def handler_for(self, event_type: EventType) -> EventHandler:
        """The handler applying one event of this type (a batch handler with a one-element list)."""
        per_event = self.handlers.get(event_type)
        if per_event is not None:
            return per_event
        batch_handler = self.batch_handlers[event_type]

        async def one(session: AsyncSession, event: CloudEvent) -> None:
            await batch_handler(session, [event])

        return one

    @property
    def dead_letter_topic(self) -> str:
        return dead_letter_topic(self.group, self.settings.topic_prefix)

    async def start(self) -> None:
        if not self.event_types:
            return
        if self.verifier.required:
            owners = {producer_of(t) for t in self.event_types}
            unknown = sorted(str(o) for o in owners if o is None or o not in self.verifier.keys)
            if unknown:
                raise RuntimeError(
                    f"{self.settings.service_name} consumes events of {', '.join(unknown)}: set their public keys "
                    "in CARBONID_EVENT_PRODUCER_KEYS (carbonid-event-keys prints them)"
                )
        s = self.settings
        self._dlq = new_producer(s)
        await self._dlq.start()
        broker = KafkaBroker(s.kafka_bootstrap, client_id=f"{s.service_name}-consumer", logger=log)

        async def raw_decoder(msg: Any) -> Any:  # the handler reads the raw records itself
            return None

        async def tolerant_parser(records: Any, original: Any) -> Any:
            # FastStream decodes every header as UTF-8 and would fail the whole batch, forever, on one record
            # with binary headers. Give it cleaned copies; keep the raw records for our own decoding, which
            # dead-letters what is not a CarbonID event.
            batch = records if isinstance(records, tuple) else (records,)
            message = await original(tuple(dataclasses.replace(r, headers=_utf8_headers(r.headers)) for r in batch))
            message.raw_message = records
            return message

        subscriber = broker.subscriber(
            *self.topics,
            group_id=f"{s.topic_prefix}{self.group}",
            batch=True,
            max_records=s.kafka_consumer_batch,
            batch_timeout_ms=200,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            session_timeout_ms=s.kafka_session_timeout_ms,
            heartbeat_interval_ms=max(300, s.kafka_session_timeout_ms // 4),
            max_poll_interval_ms=max(300_000, s.kafka_session_timeout_ms * 3),
            decoder=raw_decoder,
            parser=tolerant_parser,
        )

        async def on_batch(body: Any, message: KafkaMessage) -> None:
            await self.process_records(message.raw_message)

        subscriber(on_batch)
        self.broker = broker
        await broker.start()

    async def stop(self) -> None:
        self._stopping = True
        if self.broker is not None:
            await self.broker.stop()
        if self._dlq is not None:
            await self._dlq.stop()

    async def process_records(self, records: Any) -> None:
        """Apply a batch: every effect in one database transaction, each event isolated by a savepoint.

        One commit per batch instead of one per event is what makes a durable consumer fast; a savepoint
        per event keeps one bad event from undoing the others. Dead letters are sent only after the batch
        committed, so an infrastructure failure retries the whole batch and dead-letters nothing twice.
        """
        batch = list(records) if isinstance(records, tuple | list) else [records]
        decoded: list[tuple[Any, CloudEvent]] = []
        received = datetime.now(UTC)
        for record in batch:
            try:
                event = CloudEvent.decode(list(record.headers or ()), record.value)
            except EnvelopeError as exc:
                await self._dead_letter(record, "invalid-envelope", str(exc))
                continue
            try:
                headers = {str(k).lower(): bytes(v or b"") for k, v in record.headers or ()}
                self.verifier.check(event, headers, record.value, now=received)
            except EventRefusedError as refused:
                await self._dead_letter(record, refused.reason, refused.detail)
                continue
            topic_type = self.topics.get(record.topic)
            if topic_type is not None and event.type is not topic_type:
                await self._dead_letter(record, "wrong-topic", f"{event.type} on topic {record.topic}")
                continue
            decoded.append((record, event))
        if not decoded:
            return
        backoff = 0.1
        while True:
            try:
                outcomes = await self._apply_batch(decoded)
                break
            except Exception as exc:
                if not is_transient(exc):
                    raise
                if self._stopping:
                    raise
                log.warning("transient failure applying a batch; retrying", extra={"error": repr(exc)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        now = datetime.now(UTC)
        for (record, event), (outcome, reason, detail) in zip(decoded, outcomes, strict=True):
            if outcome == "dead":
                await self._dead_letter(record, reason, detail)
                continue
            if outcome == "applied":
                self.applied += 1
                CONSUMER_LAG_SECONDS.labels(self.settings.service_name, record.topic).observe(
                    max(0.0, (now - event.time).total_seconds())
                )
            else:
                self.skipped += 1
            EVENTS_CONSUMED.labels(self.settings.service_name, record.topic, outcome).inc()

    async def _apply_batch(self, decoded: list[tuple[Any, CloudEvent]]) -> list[tuple[str, str, str]]:
        """Fast path: claim the whole batch in the inbox with one statement and apply it in one transaction.

        Per-event handlers run in the batch's order; then each batch handler runs once with its new events
        in topic/partition/offset order. If any handler fails, that transaction rolls back and the batch is
        applied again event by event, each in a savepoint, so that only the failing event is retried or
        dead-lettered.
        """
        try:
            async with transaction(self.sessions) as session:
                fresh = await claim_many(session, self.inbox, [(e.id, e.type.value) for _, e in decoded])
                outcomes: list[tuple[str, str, str]] = []
                for_batch: dict[int, tuple[BatchHandler, list[tuple[Any, CloudEvent]]]] = {}
                for record, event in decoded:
                    if event.id not in fresh:
                        outcomes.append(("duplicate", "", ""))
                        continue
                    fresh.discard(event.id)  # the same event twice in one batch applies once
                    outcomes.append(("applied", "", ""))
                    batch_handler = self.batch_handlers.get(event.type)
                    if batch_handler is not None:
                        for_batch.setdefault(id(batch_handler), (batch_handler, []))[1].append((record, event))
                        continue
                    trace_id_var.set(trace_id_from_traceparent(event.traceparent))
                    await self.handlers[event.type](session, event)
                for batch_handler, pending in for_batch.values():
                    pending.sort(key=lambda pair: (str(pair[0].topic), int(pair[0].partition), int(pair[0].offset)))
                    trace_id_var.set(None)  # many events, many traces
                    await batch_handler(session, [event for _, event in pending])
            return outcomes
        except Exception as exc:
            if is_transient(exc):
                raise
            log.info("a batch failed as a whole; applying it event by event")
        async with transaction(self.sessions) as session:
            return [await self._apply_one(session, event) for _, event in decoded]

    async def _apply_one(self, session: AsyncSession, event: CloudEvent) -> tuple[str, str, str]:
        """``(outcome, reason, detail)``: applied, duplicate, or dead (with why)."""
        handler = self.handler_for(event.type)
        trace_id_var.set(trace_id_from_traceparent(event.traceparent))
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with session.begin_nested():
                    if not await claim(session, self.inbox, event.id, event.type.value):
                        return ("duplicate", "", "")
                    await handler(session, event)
                return ("applied", "", "")
            except PermanentError as exc:
                return ("dead", "rejected", str(exc))
            except TRANSIENT_ERRORS:
                raise
            except DBAPIError as exc:
                if is_transient(exc):
                    raise
                if attempt == self.max_attempts:
                    return ("dead", "database-rejected", str(exc.orig))
            except Exception as exc:
                log.exception("handler failed for %s (attempt %d)", event.id, attempt)
                if attempt == self.max_attempts:
                    return ("dead", "handler-failed", repr(exc))
        raise AssertionError("unreachable")

    async def _dead_letter(self, record: Any, reason: str, detail: str) -> None:
        assert self._dlq is not None
        headers = [(k, v) for k, v in (record.headers or ()) if not k.startswith("carbonid_dlq_")]
        headers += [
            ("carbonid_dlq_reason", reason.encode()),
            ("carbonid_dlq_detail", detail[:2000].encode()),
            ("carbonid_dlq_topic", str(record.topic).encode()),
            ("carbonid_dlq_partition", str(record.partition).encode()),
            ("carbonid_dlq_offset", str(record.offset).encode()),
            ("carbonid_dlq_group", self.group.encode()),
            ("carbonid_dlq_time", str(time.time()).encode()),
        ]
        await self._dlq.send_and_wait(self.dead_letter_topic, value=record.value, key=record.key, headers=headers)
        self.dead_lettered += 1
        EVENTS_CONSUMED.labels(self.settings.service_name, record.topic, "dead-lettered").inc()
        log.error("dead-lettered a record", extra={"reason": reason, "detail": detail[:500], "topic": record.topic})


def _utf8_headers(headers: Any) -> tuple[tuple[str, bytes], ...]:
    out = []
    for name, value in headers or ():
        try:
            (value or b"").decode()
        except UnicodeDecodeError:
            continue
        out.append((name, value))
    return tuple(out)
