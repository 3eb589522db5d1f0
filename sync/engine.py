"""The sync engine: change capture on both sides, a durable queue, rule decisions, batched writes.

Crash safety, in order of events for one record:
  capture page -> (one transaction) queue rows + seen-versions + cursor
  process batch -> intent rows committed -> create/update calls -> (one transaction) links,
  last-synced values, decision log, errors, queue rows removed, intents removed.
A crash before the last transaction leaves the queue row (and any intent row): the next run
re-processes it, and every create is preceded by a search of the other side by email, so a record
created just before the crash is found and linked instead of created twice.
"""


from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete, func, select

from sync.clients.hubspot import chunks
from sync.clients.salesforce import soql_quote
from sync.health import HealthQueries
from sync.pipeline.bulk import BulkResync
from sync.pipeline.capture import CaptureStage
from sync.pipeline.capture_feed import FeedingCapture
from sync.pipeline.capture_import import ImportStage
from sync.pipeline.capture_queue import CaptureQueue
from sync.pipeline.context import DAY
from sync.pipeline.decide import DecideStage
from sync.pipeline.finish import FinishStage
from sync.pipeline.gate import GateStage
from sync.pipeline.limits import LimitsStage
from sync.pipeline.match import MatchStage
from sync.pipeline.membership import MembershipCapture
from sync.pipeline.overlap import OverlapCapture
from sync.pipeline.run import RunStage
from sync.pipeline.values import (
    ValuesMixin,
    filter_properties,
)
from sync.pipeline.write import WriteStage
from sync.report import CycleReport
from sync.schema import Schema
from sync.settings import SettingsError
from sync.state.lock import EngineBusy, engine_lock
from sync.state.models import ExpectedEcho, QueueItem, SyncError
from sync.state.store import StateStore


class SyncEngine(
    RunStage,
    ImportStage,
    CaptureStage,
    FeedingCapture,
    OverlapCapture,
    CaptureQueue,
    MembershipCapture,
    GateStage,
    MatchStage,
    DecideStage,
    WriteStage,
    FinishStage,
    ValuesMixin,
    LimitsStage,
    HealthQueries,
    BulkResync,
):
    """See sync/__init__.py for the public API. The stages live in sync/pipeline/ (one module each);
    this class only orchestrates the operations."""

    def _validate_for_cycle(self) -> None:
        self._check_allocation()  # LIM-1: at the cap, not even the describe calls are made
        self._validate_objects()

    def _validate_objects(self) -> None:
        """Every enabled pair's mappings and inclusion list, before any pair syncs: a settings
        problem in one section stops the cycle with nothing written."""
        for obj in self.enabled_objects():
            with self.active(obj):
                schema = self.schema
                self._inclusion_list_id()
                self._note_mapping_times(schema)
        for obj in self.enabled_objects():
            if obj.after_validate is not None:
                with self.active(obj):
                    obj.after_validate(self)  # setup writes, once every section is known good

    def run_cycle(self) -> CycleReport:
        """One poll tick (TRG-1): for each enabled pair in dependency order (contacts, then
        companies, ...), capture both sides, then drain that pair's queue.

        Implements: TRG-1"""
        if self._start():
            return self._report
        with self.store.session() as s:
            self.store.prune_ledger(s, self._ts() - 2 * DAY)  # only the last 24 h matter (LIM-1)
            # HubSpot re-sends a webhook for about a day at most
            s.execute(delete(ExpectedEcho).where(ExpectedEcho.at < self._ts() - DAY))
        self._guard(self._validate_for_cycle)
        for pair in self.enabled_objects():
            with self.active(pair):
                self._cycle_of_active()
        return self._report

    def _cycle_of_active(self) -> None:
        """One poll tick of the active pair: install bookmarks, list memberships, capture, drain."""
        self._guard(self._install_if_needed)
        self._memberships_fresh = False
        self._guard(self._capture_memberships)
        self._memberships_fresh = self._report.stopped is None
        self._capture_and_drain()
        self._memberships_fresh = False

    def _drain_all(self) -> None:
        """Drain every enabled pair's queue, in dependency order."""
        for pair in self.enabled_objects():
            with self.active(pair):
                self._guard(self._drain_queue)

    def _start(self, kind: str = "cycle", read_schema: bool = True) -> bool:
        """A fresh report for one operation; True (with the reason in the report) when the
        integration may not run now (SET-5, suspension, HubSpot's daily pause)."""
        self._report = CycleReport(kind=kind)
        blocked = self._blocked()
        if blocked:
            self._report.stopped = blocked
            return True
        if read_schema:
            self._forget_schema()
        return False

    def process_queue(self) -> CycleReport:
        """Process what is queued without capturing: the changes webhooks delivered since the last
        look. No API call at all when nothing is ready. The schema read by the last cycle is reused
        (a drain every few seconds must not re-read describe each time: LIM-1)."""
        if self._start("drain", read_schema=False):
            return self._report
        with self.store.session() as s:
            if not self.store.get_flag(s, self.object_types[0].flag("installed")):
                # TRG-15: the first poll cycle bookmarks what exists; nothing is processed before it.
                self._report.stopped = "not installed yet: the first poll cycle has not run"
                return self._report
        if not self.queue_ready():
            return self._report
        self._memberships_fresh = False
        self._drain_all()
        return self._report

    def queue_ready(self) -> int:
        """Queued records whose time has come (a count from the state database, no API call)."""
        with self.store.session() as s:
            q = select(func.count()).select_from(QueueItem).where(QueueItem.not_before <= self._ts())
            if not self._retries_allowed():
                q = q.where(QueueItem.attempts == 0)
            return int(s.scalar(q) or 0)

    def run(self, once: bool = False, cycles: int | None = None) -> list[CycleReport]:
        """Poll cycles every poll_interval_seconds (TRG-1). With HubSpot webhooks configured, the
        queue is also drained every drain_interval_seconds in between, so pushed changes sync in
        seconds (whoever receives them: `sync run` itself or a `sync webhooks-listen` process)."""
        reports = []
        n = 0
        while True:
            rep = self.run_cycle()
            reports.append(rep)
            self.progress(
                f"cycle done: {rep.processed} processed, {rep.writes} writes, {rep.errors} errors"
                + (f"; stopped: {rep.stopped}" if rep.stopped else "")
            )
            n += 1
            if once or (cycles is not None and n >= cycles) or self._stop.is_set():
                return reports
            reports.extend(self._wait_for_next_cycle())
            if self._stop.is_set():
                return reports

    def request_stop(self) -> None:
        """Ask a running operation to end early and consistently: the chunk in flight is finished
        and committed, later stages and chunks are skipped, and run() returns (e.g. from a SIGTERM
        handler). Safe to call from a signal handler or another thread."""
        self._stop.set()

    def _pause(self, seconds: float) -> None:
        """Wait between cycles; a stop request ends the wait at once when the real clock is used
        (an injected sleep, e.g. a test's fake clock, is called as it is)."""
        if self.sleep is time.sleep:
            self._stop.wait(seconds)
        else:
            self.sleep(seconds)

    def _wait_for_next_cycle(self) -> list[CycleReport]:
        hooks = self.settings.hubspot.webhooks
        if hooks is None:
            self._pause(self.settings.poll_interval_seconds)
            return []
        drains = []
        end = self._ts() + self.settings.poll_interval_seconds
        while (left := end - self._ts()) > 0 and not self._stop.is_set():
            self._pause(min(left, hooks.drain_interval_seconds))
            if self._stop.is_set():
                break
            if self.queue_ready():
                rep = self.process_queue()
                drains.append(rep)
                self.progress(
                    f"webhook changes: {rep.processed} processed, {rep.writes} writes, {rep.errors} errors"
                    + (f"; stopped: {rep.stopped}" if rep.stopped else "")
                )
        return drains

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold this state database's engine lock for an operation that syncs (sync/state/lock.py):
        EngineBusy at once when another engine, in this process or another, holds it."""
        with engine_lock(self.store.url):
            yield

    def bookmark_switched_on(self) -> CycleReport:
        """An object's sync just switched on in an installed integration (CMP-1, DEAL-3): bookmark
        what exists now, so records created from this moment on sync at the next cycle and the
        older ones only on import or edit (CMP-2). Nothing is synced; no call at all when no pair
        is waiting (or the integration is not installed yet: its first cycle bookmarks everything).

        Implements: CMP-1, DEAL-3"""
        if self._start("bookmark"):
            return self._report
        with self.store.session() as s:
            if not self.store.get_flag(s, self.object_types[0].flag("installed")):
                return self._report
            waiting = [o for o in self.enabled_objects() if not self.store.get_flag(s, o.flag("installed"))]
        for pair in waiting:
            with self.active(pair):
                self._guard(self._install_if_needed)
        return self._report

    def close(self) -> None:
        """Release database connections (the engine's and its webhook receiver's)."""
        if self._receiver is not None:
            self._receiver.close()
            self._receiver = None
        self.store.dispose()

    def webhook_properties(self) -> list[str]:
        """The contact properties whose changes the sync wants pushed: every property it reads, plus
        those the inclusion list's filters use (a change there is how a contact joins or leaves)."""
        props = set(self.schema.hs_read_properties())
        ref = self.object_settings.inclusion_list
        lst = self.hubspot.get_list(ref) if ref else None
        if lst and "filterBranch" not in lst and lst.get("listId"):
            lst = self.hubspot.get_list(str(lst["listId"])) or lst  # by id includes the filters
        if lst:
            props |= filter_properties(lst.get("filterBranch"))
        return sorted(props)

    def webhook_receiver(self) -> Any:
        """The HubSpot webhook receiver (a WSGI app plus `handle`), queueing into this engine's state."""
        from sync.webhooks import WebhookReceiver

        hooks = self.settings.hubspot.webhooks
        if hooks is None:
            raise SettingsError("hubspot.webhooks: not configured (client_secret, listen, ...)")
        if self._receiver is None:
            # Its own connection pool (same database), so a receiver thread never shares the
            # engine's sessions; an in-memory SQLite database exists once per engine: shared.
            memory = self.store.url in ("sqlite://", "sqlite:///:memory:")
            store = self.store if memory else StateStore(self.store.url)
            self._receiver = WebhookReceiver(hooks, store, self.now)
        return self._receiver

    def resync_record(self, record: str, object_name: str = "contacts") -> CycleReport:
        """TRG-14 / ERR-8: queue one record (HubSpot id, Salesforce id or email) now and process it.
        `object_name="companies"`: the Sync button of a company (CMP-5 creates its account).

        Implements: TRG-14, ERR-8, CMP-5"""
        pair = self.enabled_object(object_name)
        if self._start():
            return self._report
        with self.active(pair):
            self._resync_one(record)
        return self._report

    def _resync_one(self, record: str) -> None:
        system, rid, obj = self._resolve_record(record)
        with self.store.session() as s:
            s.execute(delete(SyncError).where(SyncError.record_id == rid))
            self.store.enqueue(s, system, obj, {rid: ("TRG-14 manual resync", None)}, self._ts())
            for q in s.scalars(select(QueueItem).where(QueueItem.record_id == rid)):
                q.attempts, q.not_before = 0, 0.0  # ERR-8: a manual resync is not an automatic retry (LIM-4)
                q.payload = None  # read the record fresh
        self._guard(self._drain_queue)

    def resync_list(self, list_ref: str) -> CycleReport:
        """INC-6: queue every member of a list at once and process them.

        Implements: INC-6"""
        if self._start():
            return self._report

        def go() -> None:
            lst = self.hubspot.get_list(list_ref)
            if lst is None:
                raise SettingsError(f"resync-list: no HubSpot list named or numbered {list_ref!r}")
            ids = list(self.hubspot.list_member_ids(str(lst["listId"])))
            self.progress(f"list {lst.get('name')!r}: {len(ids)} members queued")
            for chunk in chunks(ids, 1000):
                with self.store.session() as s:
                    self.store.enqueue(
                        s, "hubspot", self.object_type.hs_object, {i: ("INC-6 list resync", None) for i in chunk}, self._ts()
                    )
            self._drain_queue()

        self._guard(go)
        return self._report

    def resync_all(self, object_name: str) -> CycleReport:
        """A bulk resync of every record of one object type (e.g. after a mapping change: RULE-9's
        backfill); for companies refused above 200,000 records (CMP-7).

        Implements: CMP-7"""
        pair = self.enabled_object(object_name)
        if self._start():
            return self._report
        with self.active(pair):
            self._guard(self._bulk_resync_active)
        return self._report

    def import_salesforce(self, sobject: str) -> CycleReport:
        """IMP-1..4: bring Salesforce records into HubSpot by email only, then a follow-up sync (IMP-2).

        Implements: IMP-1, IMP-2"""
        pair = next((o for o in self.object_types if sobject in o.sf_objects), None)
        if pair is None or pair not in self.enabled_objects():
            known = [sf for o in self.enabled_objects() for sf in o.sf_objects]
            off = f" ({pair.name} sync is off: {pair.name}.enabled is false)" if pair is not None else ""
            raise SettingsError(f"import: object must be one of {', '.join(known)}, not {sobject!r}{off}")
        if self._start():
            return self._report
        with self.active(pair):
            self._guard(lambda: self._import(sobject))
            self._guard(self._drain_queue)
            self._guard(lambda: self._mark_imported(sobject))  # DEAL-1 asks for a finished account import
        return self._report

    def resync_errors(self, category: str | None = None) -> CycleReport:
        """ERR-8: the Sync Health "Resync" of every record in error (optionally one category): each
        is queued as a manual resync (not an automatic retry, so LIM-4 does not hold it back).

        Implements: ERR-8"""
        if self._start():
            return self._report
        errs = self.errors(category)
        now = self._ts()
        with self.store.session() as s:
            for system in ("hubspot", "salesforce"):
                mine = [e for e in errs if e["system"] == system]
                for obj in sorted({e["object_type"] for e in mine}):
                    ids = [e["record_id"] for e in mine if e["object_type"] == obj]
                    for part in chunks(ids, 500):
                        s.execute(delete(SyncError).where(SyncError.system == system, SyncError.record_id.in_(part)))
                        self.store.enqueue(s, system, obj, {i: ("TRG-14 manual resync", None) for i in part}, now)
                        for q in s.scalars(
                            select(QueueItem).where(
                                QueueItem.system == system,
                                QueueItem.object_type == obj,
                                QueueItem.record_id.in_(part),
                            )
                        ):
                            q.attempts, q.not_before, q.payload = 0, 0.0, None  # read fresh, retry now
        self.progress(f"resync: {len(errs)} records in error queued")
        self._drain_all()
        return self._report

    def validate(self) -> Schema:
        """Check every enabled pair's mappings against both schemas and its inclusion list; raises
        SettingsError. Returns the base pair's (contacts') schema."""
        self._validate_objects()
        self._schema_fresh = True  # the next cycle uses this read instead of describing again
        return self.schema


__all__ = ["CycleReport", "EngineBusy", "SyncEngine", "soql_quote"]
