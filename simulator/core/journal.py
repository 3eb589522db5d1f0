"""The request journal: every API call with method, path, status and time; filterable, countable.

Control-API calls are not journaled: the journal describes what a client did to the fake APIs.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass(slots=True)
class JournalEntry:
    seq: int
    service: str
    method: str
    path: str
    query: str
    status: int
    at: str
    duration_ms: float
    fault: str | None = None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class JournalFilter:
    service: str | None = None
    methods: frozenset[str] | None = None
    path: re.Pattern[str] | None = None
    status: int | None = None
    since: int | None = None

    @classmethod
    def from_args(cls, args: dict[str, str | list[str]]) -> JournalFilter:
        def one(name: str) -> str | None:
            value = args.get(name)
            if isinstance(value, list):
                return value[0] if value else None
            return value

        raw_methods = args.get("method") or []
        if isinstance(raw_methods, str):
            raw_methods = [raw_methods]
        methods = [m for item in raw_methods for m in item.split(",") if m]
        path = one("path")
        status = one("status")
        since = one("since")
        return cls(
            service=one("service"),
            methods=frozenset(m.upper() for m in methods) if methods else None,
            path=re.compile(path) if path else None,
            status=int(status) if status else None,
            since=int(since) if since else None,
        )

    def matches(self, e: JournalEntry) -> bool:
        return (
            (self.service is None or e.service == self.service)
            and (self.methods is None or e.method in self.methods)
            and (self.path is None or self.path.search(e.path) is not None)
            and (self.status is None or e.status == self.status)
            and (self.since is None or e.seq > self.since)
        )


class Journal:
    def __init__(self, max_entries: int = 200_000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=max_entries)
        self._seq = 0
        self._lock = threading.Lock()

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    @property
    def last_seq(self) -> int:
        return self._seq

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self, flt: JournalFilter | None = None) -> list[JournalEntry]:
        with self._lock:
            items: Iterable[JournalEntry] = list(self._entries)
        return [e for e in items if flt is None or flt.matches(e)]

    def count(self, flt: JournalFilter | None = None) -> int:
        return len(self.entries(flt))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
