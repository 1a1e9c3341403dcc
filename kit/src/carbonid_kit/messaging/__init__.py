"""Events between services: transactional outbox and relay, inbox deduplication, batch consumers, dead letters."""

from carbonid_kit.messaging.consumer import EventConsumers, EventHandler, PermanentError
from carbonid_kit.messaging.inbox import inbox_table
from carbonid_kit.messaging.outbox import Outbox, OutboxRelay, outbox_table

__all__ = [
    "EventConsumers",
    "EventHandler",
    "Outbox",
    "OutboxRelay",
    "PermanentError",
    "inbox_table",
    "outbox_table",
]
