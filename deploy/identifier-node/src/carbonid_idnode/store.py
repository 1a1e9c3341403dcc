"""In-memory handle store shared by the Handle REST and SNMS facades.

Every operation takes one lock and completes without awaiting, so it is atomic for both the event loop and
any worker threads. Writes may be journalled to a JSON file (changed and deleted handles only) that is
replayed over the seed at the next start.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from carbonid_idnode.records import (
    HandleError,
    HandleValue,
    Json,
    ResponseCode,
    handle_key,
    parse_value,
    split_handle,
)


@dataclass(frozen=True, slots=True)
class HandleRecord:
    """A handle and its values by index; ``handle`` keeps the spelling it was created with."""

    handle: str
    values: dict[int, HandleValue]

    def sorted_values(self) -> list[HandleValue]:
        return [self.values[i] for i in sorted(self.values)]

    def first_of_type(self, value_type: str) -> HandleValue | None:
        wanted = handle_key(value_type)
        return next((v for v in self.sorted_values() if handle_key(v.type) == wanted), None)

    def to_json(self) -> dict[str, Json]:
        return {"handle": self.handle, "values": [v.to_json() for v in self.sorted_values()]}


def record_from_json(raw: dict[str, Json]) -> HandleRecord:
    handle = raw["handle"]
    values = raw["values"]
    if not isinstance(handle, str) or not isinstance(values, list):
        raise TypeError("a stored record needs handle and values")
    parsed = [parse_value(v, str(v.get("timestamp", "")) if isinstance(v, dict) else "") for v in values]
    return HandleRecord(handle, {v.index: v for v in parsed})


class HandleStore:
    """Handle records under the prefixes homed on this node."""

    def __init__(self, homed_prefixes: Iterable[str], persist_path: Path | None = None) -> None:
        self._lock = threading.RLock()
        self._records: dict[str, HandleRecord] = {}
        self._homed: dict[str, str] = {handle_key(p): p for p in homed_prefixes}
        self._persist_path = persist_path
        self._journal: dict[str, dict[str, Json] | None] = {}

    # -- prefixes ---------------------------------------------------------------------------------------------

    def is_homed(self, prefix: str) -> bool:
        with self._lock:
            return handle_key(prefix) in self._homed

    def prefixes(self) -> list[str]:
        with self._lock:
            return sorted(self._homed.values())

    # -- loading ----------------------------------------------------------------------------------------------

    def load(self, records: Iterable[HandleRecord]) -> None:
        """Add records without journalling them (seed data)."""
        with self._lock:
            for record in records:
                self._records[handle_key(record.handle)] = record

    def replay_journal(self) -> int:
        """Apply the persisted writes of an earlier run; returns how many handles they touched."""
        path = self._persist_path
        if path is None or not path.exists():
            return 0
        journal: dict[str, dict[str, Json] | None] = json.loads(path.read_text(encoding="utf-8"))
        with self._lock:
            for key, raw in journal.items():
                if raw is None:
                    self._records.pop(key, None)
                else:
                    self._records[key] = record_from_json(raw)
            self._journal = journal
        return len(journal)

    def _journal_write(self, key: str) -> None:
        if self._persist_path is None:
            return
        record = self._records.get(key)
        self._journal[key] = record.to_json() if record is not None else None
        path = self._persist_path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self._journal, fh, ensure_ascii=False)
        os.replace(tmp, path)

    # -- reads ------------------------------------------------------------------------------------------------

    def get(self, handle: str) -> HandleRecord | None:
        with self._lock:
            record = self._records.get(handle_key(handle))
            return None if record is None else HandleRecord(record.handle, dict(record.values))

    def list_handles(self, prefix: str) -> list[str]:
        wanted = handle_key(prefix) + "/"
        with self._lock:
            return sorted(r.handle for k, r in self._records.items() if k.startswith(wanted))

    def records_with_type(self, value_type: str) -> list[HandleRecord]:
        with self._lock:
            found = [r for r in self._records.values() if r.first_of_type(value_type) is not None]
        return sorted(found, key=lambda r: handle_key(r.handle))

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    # -- writes -----------------------------------------------------------------------------------------------

    def put_record(self, handle: str, values: dict[int, HandleValue], *, overwrite: bool) -> bool:
        """Create or replace a whole record; True when it was created."""
        split_handle(handle)
        key = handle_key(handle)
        with self._lock:
            existing = self._records.get(key)
            if existing is not None and not overwrite:
                raise HandleError(ResponseCode.HANDLE_ALREADY_EXISTS, "Handle already exists")
            name = existing.handle if existing is not None else handle
            self._records[key] = HandleRecord(name, dict(values))
            self._journal_write(key)
            return existing is None

    def put_values(self, handle: str, values: dict[int, HandleValue], *, overwrite: bool) -> bool:
        """Add or replace some values of an existing record; True when at least one index was new."""
        key = handle_key(handle)
        with self._lock:
            existing = self._records.get(key)
            if existing is None:
                raise HandleError(ResponseCode.HANDLE_NOT_FOUND, "Handle not found")
            clashing = sorted(set(values) & set(existing.values))
            if clashing and not overwrite:
                raise HandleError(ResponseCode.VALUE_ALREADY_EXISTS, f"Value already exists at index {clashing[0]}")
            merged = dict(existing.values)
            merged.update(values)
            self._records[key] = HandleRecord(existing.handle, merged)
            self._journal_write(key)
            return len(clashing) < len(values)

    def delete_record(self, handle: str) -> None:
        key = handle_key(handle)
        with self._lock:
            if self._records.pop(key, None) is None:
                raise HandleError(ResponseCode.HANDLE_NOT_FOUND, "Handle not found")
            self._journal_write(key)

    def delete_values(self, handle: str, indices: Iterable[int]) -> None:
        """Remove values; nothing changes unless every index exists (VALUES_NOT_FOUND otherwise)."""
        key = handle_key(handle)
        wanted = set(indices)
        with self._lock:
            existing = self._records.get(key)
            if existing is None:
                raise HandleError(ResponseCode.HANDLE_NOT_FOUND, "Handle not found")
            missing = sorted(wanted - set(existing.values))
            if missing:
                raise HandleError(ResponseCode.VALUES_NOT_FOUND, f"No value at index {missing[0]}")
            kept = {i: v for i, v in existing.values.items() if i not in wanted}
            self._records[key] = HandleRecord(existing.handle, kept)
            self._journal_write(key)


class PrefixRegistry:
    """What the node knows about each homed prefix beyond its handles (SNMS prefix information)."""

    def __init__(self, infos: Iterable[dict[str, Json]] = ()) -> None:
        self._infos = {handle_key(str(info["prefix"])): dict(info) for info in infos}

    def get(self, prefix: str) -> dict[str, Json] | None:
        info = self._infos.get(handle_key(prefix))
        return None if info is None else dict(info)

    def prefixes(self) -> list[str]:
        return sorted(str(i["prefix"]) for i in self._infos.values())
