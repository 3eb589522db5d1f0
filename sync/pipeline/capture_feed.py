"""Capture that feeds the drain while it reads: HubSpot's search pages and the later stages overlap.

Why: at HubSpot's limits the capture is bound by search (5 calls a second, 200 records a call), and
the write-backs by the burst window. Capturing everything before writing anything makes the wall
time the sum of the two; overlapping them makes it the larger (issue 14). Used when several
requests may be in flight (`api.concurrency` > 1), the engine paces itself (`api.pacing`: there are
limits to wait for) and the state database is shared between threads (a file or a server, not an
in-memory SQLite); with `api.concurrency: 1` the request order stays
fixed and every stage runs one after the other, as the scenarios need (deterministic ids).

The catch is HubSpot's search paging: `after` is an offset into the result set, so a record that
leaves the set before the offset (because the drain wrote it and its lastmodifieddate moved) shifts
every later record down by one and one would be skipped. So the capture here:
  * bounds every query above by the newest lastmodifieddate at its start (records written after
    it, ours included, are out of the set and are read by the next cycle, as before);
  * reads in windows of FEED_WINDOW records, each starting at the newest timestamp read so far
    (offset = records already read at exactly that timestamp), so the window behind it is closed;
  * lets the drain process only queue rows of closed windows (records below the open window's
    start): writing those cannot move anything inside the open window.
Queue rows, seen versions and the cursor are committed per page as in the sequential capture, and
each drain chunk is one transaction, so a crash anywhere leaves what the next run re-does."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from sync.clients.hubspot import SEARCH_CAP, SEARCH_PAGE
from sync.pipeline.context import STOPPED, EngineContext
from sync.pipeline.values import hs_props, iso_to_ms
from sync.state.models import QueueItem

FEED_WINDOW = 1000  # records per capture window: the drain trails the capture by about this many
WAIT_S = 0.05  # the drain's poll for a fuller chunk while the capture is still reading


class CaptureHalted(Exception):
    """The drain stopped (an error or a stop request): the capture ends at a page boundary."""


class FeedingCapture(EngineContext):
    _feeding = False  # the HubSpot capture in progress feeds a concurrent drain
    _safe_queue_id: int | None = 0  # queue rows up to this id are below the open window; None: all
    _feed_done: threading.Event | None = None
    _feed_halt: threading.Event | None = None

    def _feeds_drain(self) -> bool:
        """Overlap only what the limits make wait: with pacing off (a sandbox without limits) the
        capture is not held back, and on a small machine the sequential stages are cheaper."""
        api = self.settings.api
        memory = self.store.url in ("sqlite://", "sqlite:///:memory:")
        return api.concurrency > 1 and api.pacing and not memory

    def _capture_and_drain(self) -> None:
        """Capture both sides and drain the queue; with concurrency, the HubSpot capture overlaps the
        drain of what it has read (the Salesforce capture goes first: SOQL is not rate limited, and
        its records are drained after the HubSpot capture, when writing to HubSpot is safe).

        Implements: TRG-1"""
        step = self.object_type.cycle_step  # the pair's own per-cycle step (companies: CMP-8)
        if not self._feeds_drain():
            self._guard(self._capture_hubspot)
            for obj in self.object_type.sf_objects:
                self._guard(lambda obj=obj: self._capture_salesforce(obj))
            if step is not None:
                self._guard(lambda: step(self))
            self._guard(self._drain_queue)
            return
        for obj in self.object_type.sf_objects:
            self._guard(lambda obj=obj: self._capture_salesforce(obj))
        if step is not None:
            self._guard(lambda: step(self))  # its queue rows wait for the drain after the capture
        self._guard(self._capture_hubspot_feeding)
        self._guard(lambda: self._drain_queue(keep_touched=True))

    def _capture_hubspot_feeding(self) -> None:
        """The HubSpot capture on a thread of its own while this thread drains its closed windows."""
        with self.store.session() as s:
            first = int(s.scalar(select(func.max(QueueItem.id))) or 0)
        self._safe_queue_id = first
        done, halt = threading.Event(), threading.Event()
        self._feed_done, self._feed_halt = done, halt
        failure: list[BaseException] = []

        def capture() -> None:
            self._feeding = True
            try:
                self._capture_hubspot()
            except CaptureHalted:
                pass
            except BaseException as exc:  # noqa: BLE001 - raised again on the calling thread
                failure.append(exc)
            finally:
                self._feeding = False
                self._safe_queue_id = None  # everything read may be written now
                done.set()

        thread = threading.Thread(target=capture, name="hubforce-capture", daemon=True)
        thread.start()
        try:
            self._drain_fed(first, done)
        finally:
            halt.set()  # a drain that ended early (error, stop) ends the capture too
            thread.join()
            self._feed_done = self._feed_halt = None
        if failure:
            raise failure[0]

    def _drain_fed(self, first: int, done: threading.Event) -> None:
        """Drain the rows this capture queued (ids above `first`) as their windows close, in full
        chunks while the capture is reading; rows queued before it wait for the drain after it."""
        retries_ok = self._retries_allowed()
        last_id = first
        self._touched = {}
        while True:
            if self._stop.is_set():
                self._report.stopped = self._report.stopped or STOPPED
                return
            finished = done.is_set()  # read before the bound: once set, the bound is final
            upto = self._safe_queue_id
            self._check_allocation()
            with self.store.session() as s:
                q = select(QueueItem).where(QueueItem.id > last_id, QueueItem.not_before <= self._ts())
                if upto is not None:
                    q = q.where(QueueItem.id <= upto)
                if not retries_ok:
                    q = q.where(QueueItem.attempts == 0)  # LIM-4
                items = list(s.scalars(q.order_by(QueueItem.id).limit(self.chunk_size)))
            if not finished and len(items) < self.chunk_size:
                done.wait(WAIT_S)
                continue
            if not items:
                return
            last_id = items[-1].id
            self._process(items)
            self.progress(f"processed {self._report.processed} records")

    # --- the capture side -------------------------------------------------------------------------
    def _hs_search_page(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        if self._feed_halt is not None and self._feed_halt.is_set():
            raise CaptureHalted
        page = self.hubspot.search(self.object_type.hs_object, body)
        results = page.get("results", [])
        more = bool(((page.get("paging") or {}).get("next") or {}).get("after"))
        return results, more and bool(results)

    def _hs_newest(self, start: int) -> int | None:
        """The newest lastmodifieddate at or after `start` now: the upper bound of this capture."""
        body = {
            "filterGroups": [{"filters": [{"propertyName": self.object_type.hs_modified, "operator": "GTE", "value": str(start)}]}],
            "sorts": [{"propertyName": self.object_type.hs_modified, "direction": "DESCENDING"}],
            "properties": [self.object_type.hs_modified],
            "limit": 1,
        }
        results, _ = self._hs_search_page(body)
        return iso_to_ms(hs_props(results[0]).get(self.object_type.hs_modified)) if results else None

    def _hs_read_feeding(self, start: int, cursor: int) -> int:
        """Read every HubSpot change in [start, newest now] in closed windows; returns the new cursor.

        Implements: TRG-2, TRG-7"""
        upper = self._hs_newest(start)
        if upper is None:
            return cursor
        props = self.schema.hs_read_properties()
        skip = 0  # records at exactly `start` already read by the previous window
        pages: list[tuple[int, int]] = []  # per page read: (its newest stamp, queue high-water after it)
        while True:
            read, at_top, top = 0, 0, -1
            more = True
            while more and read < FEED_WINDOW and skip + read + SEARCH_PAGE <= SEARCH_CAP:
                filters = [
                    {"propertyName": self.object_type.hs_modified, "operator": "GTE", "value": str(start)},
                    {"propertyName": self.object_type.hs_modified, "operator": "LTE", "value": str(upper)},
                ]
                body = {
                    "filterGroups": [{"filters": filters}],
                    "sorts": [{"propertyName": self.object_type.hs_modified, "direction": "ASCENDING"}],
                    "properties": props,
                    "limit": SEARCH_PAGE,
                    "after": str(skip + read),
                }
                results, more = self._hs_search_page(body)
                if not results:
                    break
                for rec in results:
                    ms = iso_to_ms(hs_props(rec).get(self.object_type.hs_modified)) or 0
                    at_top = at_top + 1 if ms == top else 1
                    top = max(top, ms)
                read += len(results)
                cursor = self._enqueue_hubspot(results, cursor)
                pages.append((top, self._queue_high_water()))
            if not more or not read:
                return cursor
            if top > start and at_top < FEED_WINDOW:
                start, skip = top, at_top  # the next window starts at the newest stamp read
            else:  # one timestamp fills the window: walk it by id (keyset), then step past it
                self._walk_tie(top)
                start, skip = top + 1, 0
            self._safe_queue_id = max([self._safe_queue_id or 0] + [q for t, q in pages if t < start])

    def _walk_tie(self, stamp: int) -> None:
        tie: list[dict[str, Any]] = []
        for rec in self._hs_search_window(stamp, eq=True):
            if self._feed_halt is not None and self._feed_halt.is_set():
                raise CaptureHalted
            tie.append(rec)
            if len(tie) >= SEARCH_PAGE:
                self._enqueue_hubspot(tie, stamp)
                tie = []
        if tie:
            self._enqueue_hubspot(tie, stamp)

    def _queue_high_water(self) -> int:
        with self.store.session() as s:
            return int(s.scalar(select(func.max(QueueItem.id))) or 0)
