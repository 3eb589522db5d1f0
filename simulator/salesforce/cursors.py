"""REST query cursors (query locators): what `nextRecordsUrl` points at. Pure store, no HTTP.

A cursor is a snapshot taken when the query first runs: the ids of the matched records in result
order (Salesforce cursors are consistent: a record edited or deleted afterwards stays in the page it
was matched for). Pages are rendered when they are fetched, from the ids.

Salesforce's rules kept here [docs: "query" / "QueryLocator" limits]:
  * a locator id has key prefix `01g` (18 characters);
  * a cursor is released after 15 minutes without use (sandbox clock);
  * one user may hold at most 10 open cursors: opening an 11th releases that user's oldest;
  * the cursor is released once its last page has been fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.salesforce import ids

CURSOR_TTL = timedelta(minutes=15)
MAX_OPEN_PER_USER = 10


@dataclass
class QueryCursor:
    locator: str
    user_id: str
    soql: str  # the query text (re-parsed to render pages; ASTs are not snapshotted)
    include_deleted: bool  # queryAll
    ids: list[str]  # matched record ids in result order
    last_used: datetime
    opened: int  # monotonic counter: the per-user eviction order
    batch_size: int = 2000  # from the first call's Sforce-Query-Options; later calls may override

    @property
    def total(self) -> int:
        return len(self.ids)


class CursorStore:
    """Open query cursors of one Salesforce org."""

    def __init__(self) -> None:
        self.cursors: dict[str, QueryCursor] = {}
        self._counter = 0

    def open(
        self,
        *,
        locator: str,
        user_id: str,
        soql: str,
        include_deleted: bool,
        record_ids: list[str],
        now: datetime,
        batch_size: int = 2000,
    ) -> QueryCursor:
        """Register a new cursor; releases the user's oldest cursor beyond the 10-cursor limit."""
        self.expire(now)
        self._counter += 1
        cur = QueryCursor(
            locator, user_id, soql, include_deleted, list(record_ids), now, self._counter, batch_size
        )
        self.cursors[locator] = cur
        mine = sorted((c for c in self.cursors.values() if c.user_id == user_id), key=lambda c: c.opened)
        for old in mine[: max(0, len(mine) - MAX_OPEN_PER_USER)]:
            del self.cursors[old.locator]
        return cur

    def get(self, locator: str, now: datetime) -> QueryCursor | None:
        """The cursor (touched: its 15 minutes restart) or None when unknown, released or expired."""
        self.expire(now)
        cur = self.cursors.get(locator)
        if cur is not None:
            cur.last_used = now
        return cur

    def close(self, locator: str) -> None:
        self.cursors.pop(locator, None)

    def expire(self, now: datetime) -> int:
        dead = [k for k, c in self.cursors.items() if now - c.last_used > CURSOR_TTL]
        for k in dead:
            del self.cursors[k]
        return len(dead)

    # --- snapshots ----------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "counter": self._counter,
            "cursors": [
                {
                    "locator": c.locator,
                    "userId": c.user_id,
                    "soql": c.soql,
                    "includeDeleted": c.include_deleted,
                    "ids": c.ids,
                    "lastUsed": c.last_used.astimezone(UTC).isoformat(),
                    "opened": c.opened,
                    "batchSize": c.batch_size,
                }
                for c in self.cursors.values()
            ],
        }

    def load(self, data: dict[str, Any]) -> None:
        self._counter = int(data.get("counter", 0))
        self.cursors = {}
        for d in data.get("cursors", []):
            self.cursors[d["locator"]] = QueryCursor(
                d["locator"],
                d["userId"],
                d["soql"],
                bool(d["includeDeleted"]),
                list(d["ids"]),
                datetime.fromisoformat(d["lastUsed"]).astimezone(UTC),
                int(d["opened"]),
                int(d.get("batchSize", 2000)),
            )


def new_locator(rng: Any) -> str:
    """An 18-character query locator id (`01g...`) from the sandbox rng."""
    return ids.new_id(ids.QUERY_LOCATOR_PREFIX, rng)
