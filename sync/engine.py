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

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import requests
from sqlalchemy import bindparam, delete, func, insert, select

from sync.clients.hubspot import MEMBERSHIP_PAGE, SEARCH_CAP, SEARCH_PAGE, HubSpotClient, chunks
from sync.clients.salesforce import SalesforceClient, parse_sf_datetime, soql_datetime, soql_quote
from sync.errors import (
    AllocationExhausted,
    Category,
    DailyLimitReached,
    SuspensionError,
    SyncHttpError,
    TransientError,
    hubspot_category,
    salesforce_category,
)
from sync.mappings import SyncRule
from sync.rules import (
    Action,
    FieldDecision,
    FieldState,
    PairDecision,
    baseline_field,
    canonical,
    decide_field,
    side_value,
    times_matter,
    to_hubspot_value,
    to_salesforce_value,
)
from sync.schema import LINK_PROPERTIES, SF_OBJECTS, ActiveMapping, Schema, build_schema
from sync.settings import CreateAs, Deletion, FromSalesforce, Settings, SettingsError
from sync.state.models import Decision, ExpectedEcho, Intent, Link, Membership, QueueItem, SyncError
from sync.state.store import StateStore

HS_OBJECT = "contacts"
PROCESS_BATCH = 1000
SF_QUERY_PAGE = 2000  # records per SOQL page (queryMore batch size)
DAY = 86400.0
# LIM-4: automatic retries stop above 75% of the allocation, or above 5,000 calls with none set.
RETRY_SHARE = 0.75
RETRY_CALLS_WITHOUT_ALLOCATION = 5000
# Lead required fields on create when HubSpot has no value (assumption: HubSpot's connector fills
# placeholders rather than failing the create; the values are what the connector is known to send).
LEAD_PLACEHOLDERS = {"LastName": "[[Unknown]]", "Company": "[not provided]"}


@dataclass
class CycleReport:
    captured_hubspot: int = 0
    captured_salesforce: int = 0
    list_joins: int = 0
    list_leaves: int = 0
    processed: int = 0
    skipped: int = 0
    created_in_salesforce: int = 0
    created_in_hubspot: int = 0
    linked_existing: int = 0
    updated_in_salesforce: int = 0
    updated_in_hubspot: int = 0
    deleted_in_hubspot: int = 0
    errors: int = 0
    api_calls: dict[str, int] = field(default_factory=lambda: {"hubspot": 0, "salesforce": 0})
    stopped: str | None = None  # why the cycle stopped early (suspension, daily limit, allocation...)
    kind: str = "cycle"  # "cycle" (poll tick: capture + queue) or "drain" (queue only: webhook changes)

    @property
    def reads(self) -> int:
        return self.captured_hubspot + self.captured_salesforce

    @property
    def writes(self) -> int:
        return (
            self.created_in_salesforce
            + self.created_in_hubspot
            + self.updated_in_salesforce
            + self.updated_in_hubspot
            + self.deleted_in_hubspot
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(reads=self.reads, writes=self.writes)
        return d


@dataclass
class _Pair:
    """One record being processed, with whatever we know of both sides."""

    trigger: str
    link: Link | None = None
    hs: dict[str, Any] | None = None
    sf: dict[str, Any] | None = None
    sf_object: str | None = None
    outcome: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    queue_ids: list[int] = field(default_factory=list)
    failed: bool = False
    # HubSpot values in Salesforce terms, per mapping key, for the `hs` record they were read from
    # (the create pass and the linked pass of one record would otherwise convert every field twice).
    hs_vals: dict[str, str | None] = field(default_factory=dict)
    hs_vals_of: dict[str, Any] | None = None

    @property
    def hs_id(self) -> str | None:
        return self.link.hs_id if self.link else (str(self.hs["id"]) if self.hs else None)

    @property
    def sf_id(self) -> str | None:
        return self.link.sf_id if self.link else (self.sf.get("Id") if self.sf else None)


def _hs_props(rec: dict[str, Any]) -> dict[str, Any]:
    return rec.get("properties") or {}


def _hs_email(rec: dict[str, Any]) -> str | None:
    e = _hs_props(rec).get("email")
    return e.strip().lower() if e else None


def _sf_email(rec: dict[str, Any]) -> str | None:
    e = rec.get("Email")
    return e.strip().lower() if e else None


def _iso_to_ms(text: str | None) -> int | None:
    if not text:
        return None
    if text.isdigit():
        return int(text)
    dt = parse_sf_datetime(text)
    return int(dt.timestamp() * 1000) if dt else None


def _ms_to_dt(ms: int) -> datetime:
    return datetime.fromtimestamp(max(0, ms) / 1000, tz=UTC)


def _hs_modified(rec: dict[str, Any]) -> datetime | None:
    ms = _iso_to_ms(_hs_props(rec).get("lastmodifieddate") or rec.get("updatedAt"))
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms is not None else None


class SyncEngine:
    """See sync/__init__.py for the public API."""

    def __init__(
        self,
        settings: Settings,
        state_url: str | None = None,
        hubspot_session: requests.Session | None = None,
        salesforce_session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] | None = None,
        progress: Callable[[str], None] | None = None,
        decide: Callable[[FieldState], FieldDecision] = decide_field,
        chunk_size: int = PROCESS_BATCH,
    ) -> None:
        self.settings = settings
        self.chunk_size = chunk_size  # queue items processed per chunk (property tests vary it)
        # The per-field rule decision; replaceable so property tests can run the engine against a
        # deliberately broken rule and prove the state machine notices (hubforce.testing).
        self.decide = decide
        self.store = StateStore(state_url or settings.state_url)
        self.sleep = sleep
        self.now = now or (lambda: datetime.now(UTC))
        self.progress = progress or (lambda _msg: None)
        self._hs_session = hubspot_session
        self._sf_session = salesforce_session
        self._hs: HubSpotClient | None = None
        self._sf: SalesforceClient | None = None
        self._schema: Schema | None = None
        self._owners: tuple[dict[str, str], dict[str, str], set[str]] | None = None
        self._report = CycleReport()
        self._ledger_lock = threading.Lock()  # HTTP chunks may complete on several threads
        self._schema_fresh = False  # validate() just read the schema: the next cycle reuses it
        self.fail_fast_connect = False  # set by the CLI: see RetryingHttp.fail_fast_connect
        self._members: set[str] = set()
        self._list_id: str | None = None
        self._mark_only = False  # install: captures mark records seen without queueing them
        self._mapping_first_seen: dict[str, float] = {}
        # capture bookkeeping for the overlap check (see _capture_with_overlap)
        self._tally: dict[str, int] = {}
        self._left: set[str] = set()
        self._window: tuple[int, int] = (0, 0)
        # True while this operation has just diffed the inclusion list (a poll cycle does so before
        # draining); a webhook drain checks the memberships of the records it processes instead.
        self._memberships_fresh = False
        self._receiver: Any = None  # webhook_receiver(), made once

    # ------------------------------------------------------------------ clients and schema
    def _ts(self) -> float:
        return self.now().timestamp()

    def _ledger(self, system: str, method: str, path: str, status: int) -> None:
        with self._ledger_lock:
            self.store.record_call(system, method, path, status, self._ts())
            self._report.api_calls[system] = self._report.api_calls.get(system, 0) + 1

    @property
    def hubspot(self) -> HubSpotClient:
        if self._hs is None:
            c = self.settings.hubspot
            oauth = (
                (c.oauth_client_id, c.oauth_client_secret, c.oauth_refresh_token)
                if c.oauth_refresh_token
                else None
            )
            self._hs = HubSpotClient(
                c.url,
                token=c.token,
                oauth=oauth,  # type: ignore[arg-type]
                session=self._hs_session,
                timeout=c.timeout,
                **self._client_options(),
            )
        return self._hs

    def _client_options(self) -> dict[str, Any]:
        """Retry, ledger and pacing options both clients share (one place for the API settings)."""
        a = self.settings.api
        return {
            "sleep": self.sleep,
            "ledger": self._ledger,
            "max_retries": a.max_retries,
            "backoff_base": a.backoff_base_seconds,
            "backoff_max": a.backoff_max_seconds,
            "concurrency": a.concurrency,
            "fail_fast_connect": self.fail_fast_connect,
            "on_wait": getattr(self, "on_wait", None) or (lambda msg, _s: self.progress(msg)),  # CLI sets on_wait
        }

    @property
    def salesforce(self) -> SalesforceClient:
        if self._sf is None:
            c = self.settings.salesforce
            self._sf = SalesforceClient(
                c.url,
                session_id=c.session_id,
                username=c.username,
                password=c.password,
                security_token=c.security_token,
                consumer_key=c.consumer_key,
                consumer_secret=c.consumer_secret,
                login_url=c.login_url,
                api_version=c.api_version,
                session=self._sf_session,
                timeout=c.timeout,
                **self._client_options(),
            )
        return self._sf

    @property
    def schema(self) -> Schema:
        if self._schema is None:
            self.progress("reading HubSpot properties and Salesforce describe")
            props = self.hubspot.properties(HS_OBJECT)
            describes = {obj: self.salesforce.describe(obj) for obj in SF_OBJECTS}
            self._schema = build_schema(self.settings.contacts.mappings, props, describes)
        return self._schema

    def validate(self) -> Schema:
        """Check mappings against both schemas and the inclusion list; raises SettingsError."""
        schema = self.schema
        self._inclusion_list_id()
        self._note_mapping_times(schema)
        self._schema_fresh = True  # the next cycle uses this read instead of describing again
        return schema

    def _inclusion_list_id(self) -> str | None:
        name = self.settings.contacts.inclusion_list
        if not name:
            return None
        with self.store.session() as s:
            cached = self.store.get_flag(s, "inclusion_list")
        if cached and cached.get("name") == name:
            return str(cached["id"])
        lst = self.hubspot.get_list(name)
        if lst is None:
            raise SettingsError(f"contacts.inclusion_list: no HubSpot list named or numbered {name!r}")
        ptype = str(lst.get("processingType", "")).upper()
        if ptype != "DYNAMIC":
            # INC-1: only active (DYNAMIC) lists qualify, membership must update itself.
            raise SettingsError(
                f"contacts.inclusion_list: list {lst.get('name')!r} (id {lst.get('listId')}) is a {ptype} list; "
                "only an active (DYNAMIC) list can be the inclusion list (INC-1)"
            )
        with self.store.session() as s:
            self.store.set_flag(s, "inclusion_list", {"name": name, "id": str(lst.get("listId"))})
        return str(lst.get("listId"))

    # ------------------------------------------------------------------ gates
    def _blocked(self) -> str | None:
        if not self.settings.integration_enabled:
            return "SET-5: integration is switched off"
        if not self.settings.contacts.enabled:
            return "contact sync is switched off"
        now = self._ts()
        with self.store.session() as s:
            sus = self.store.get_flag(s, "suspension")
            pause = self.store.get_flag(s, "hubspot_paused")
            if sus and sus.get("until") is not None and sus["until"] <= now:
                self.store.set_flag(s, "suspension", None)  # SUS-1/SUS-4 clear themselves after a while
                sus = None
            if pause and pause["until"] <= now:
                self.store.set_flag(s, "hubspot_paused", None)
                pause = None
        if sus:
            return f"suspended: {sus['reason']}"
        if pause:
            return "HubSpot daily API limit reached; paused until the next UTC day"
        return None

    def _check_allocation(self) -> None:
        alloc = self.settings.api.allocation
        if alloc is not None and self.store.calls_since("salesforce", self._ts() - DAY) >= alloc:
            raise AllocationExhausted(
                f"LIM-1: Salesforce API allocation of {alloc} calls per 24 h is used up"
            )

    def _retries_allowed(self) -> bool:
        used = self.store.calls_since("salesforce", self._ts() - DAY)
        alloc = self.settings.api.allocation
        return used <= (alloc * RETRY_SHARE if alloc else RETRY_CALLS_WITHOUT_ALLOCATION)

    def _suspend(self, exc: SuspensionError) -> None:
        auto = exc.reason.startswith(("SUS-1", "SUS-4"))
        with self.store.session() as s:
            self.store.set_flag(
                s,
                "suspension",
                {
                    "reason": exc.reason,
                    "code": exc.code,
                    "message": exc.message,
                    "at": self._ts(),
                    "until": self._ts() + 3600 if auto else None,
                },
            )

    def clear_suspension(self) -> None:
        """SUS-4: the admin's Clear Suspension button."""
        with self.store.session() as s:
            self.store.set_flag(s, "suspension", None)
            self.store.set_flag(s, "hubspot_paused", None)

    def _guard(self, fn: Callable[[], None]) -> None:
        """Run one stage; stop the cycle (not the process) on suspension, limits or exhausted retries."""
        if self._report.stopped:
            return
        try:
            fn()
        except SuspensionError as exc:
            self._suspend(exc)
            self._report.stopped = f"suspended: {exc.reason} ({exc.code})"
        except DailyLimitReached:
            tomorrow = (self.now().astimezone(UTC) + timedelta(days=1)).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            with self.store.session() as s:
                self.store.set_flag(s, "hubspot_paused", {"until": tomorrow.timestamp()})
            self._report.stopped = "HubSpot DAILY rate limit: paused until the next UTC day"
        except AllocationExhausted as exc:
            self._report.stopped = str(exc)
        except SettingsError as exc:  # e.g. the inclusion list became static or a mapped field vanished
            self._report.stopped = f"settings error: {exc}"
        except TransientError as exc:
            self._report.stopped = f"transient failure, will resume next cycle: {exc}"
        except SyncHttpError as exc:  # an unexpected answer: stop this cycle, keep the process alive
            self._report.stopped = f"error, will retry next cycle: {exc}"
        finally:
            with self.store.session():
                pass  # flush ledger rows

    # ------------------------------------------------------------------ public operations
    def _forget_schema(self) -> None:
        """Every operation re-reads describe / properties / owners: a mapped field may have changed,
        or an admin may just have fixed a permission before a manual resync (ERR-8). validate() run
        right before counts as this operation's read."""
        if not self._schema_fresh:
            self._schema = None
        self._schema_fresh = False
        self._owners = None

    def run_cycle(self) -> CycleReport:
        """One poll tick (TRG-1): capture both sides, then drain the queue."""
        if self._start():
            return self._report
        with self.store.session() as s:
            self.store.prune_ledger(s, self._ts() - 2 * DAY)  # only the last 24 h matter (LIM-1)
            # HubSpot re-sends a webhook for about a day at most
            s.execute(delete(ExpectedEcho).where(ExpectedEcho.at < self._ts() - DAY))
        self._guard(self._validate_for_cycle)
        self._guard(self._install_if_needed)
        self._memberships_fresh = False
        self._guard(self._capture_memberships)
        self._memberships_fresh = self._report.stopped is None
        self._guard(self._capture_hubspot)
        for obj in SF_OBJECTS:
            self._guard(lambda obj=obj: self._capture_salesforce(obj))
        self._guard(self._drain_queue)
        self._memberships_fresh = False
        return self._report

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
            if not self.store.get_flag(s, "installed"):
                # TRG-15: the first poll cycle bookmarks what exists; nothing is processed before it.
                self._report.stopped = "not installed yet: the first poll cycle has not run"
                return self._report
        if not self.queue_ready():
            return self._report
        self._memberships_fresh = False
        self._guard(self._drain_queue)
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
            if once or (cycles is not None and n >= cycles):
                return reports
            reports.extend(self._wait_for_next_cycle())

    def _wait_for_next_cycle(self) -> list[CycleReport]:
        hooks = self.settings.hubspot.webhooks
        if hooks is None:
            self.sleep(self.settings.poll_interval_seconds)
            return []
        drains = []
        end = self._ts() + self.settings.poll_interval_seconds
        while (left := end - self._ts()) > 0:
            self.sleep(min(left, hooks.drain_interval_seconds))
            if self.queue_ready():
                rep = self.process_queue()
                drains.append(rep)
                self.progress(
                    f"webhook changes: {rep.processed} processed, {rep.writes} writes, {rep.errors} errors"
                    + (f"; stopped: {rep.stopped}" if rep.stopped else "")
                )
        return drains

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
        ref = self.settings.contacts.inclusion_list
        lst = self.hubspot.get_list(ref) if ref else None
        if lst and "filterBranch" not in lst and lst.get("listId"):
            lst = self.hubspot.get_list(str(lst["listId"])) or lst  # by id includes the filters
        if lst:
            props |= _filter_properties(lst.get("filterBranch"))
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

    def resync_record(self, record: str) -> CycleReport:
        """TRG-14 / ERR-8: queue one record (HubSpot id, Salesforce id or email) now and process it."""
        if self._start():
            return self._report
        system, rid, obj = self._resolve_record(record)
        with self.store.session() as s:
            s.execute(delete(SyncError).where(SyncError.record_id == rid))
            self.store.enqueue(s, system, obj, {rid: ("TRG-14 manual resync", None)}, self._ts())
            for q in s.scalars(select(QueueItem).where(QueueItem.record_id == rid)):
                q.attempts, q.not_before = 0, 0.0  # ERR-8: a manual resync is not an automatic retry (LIM-4)
                q.payload = None  # read the record fresh
        self._guard(self._drain_queue)
        return self._report

    def resync_list(self, list_ref: str) -> CycleReport:
        """INC-6: queue every member of a list at once and process them."""
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
                        s, "hubspot", HS_OBJECT, {i: ("INC-6 list resync", None) for i in chunk}, self._ts()
                    )
            self._drain_queue()

        self._guard(go)
        return self._report

    def import_salesforce(self, sobject: str) -> CycleReport:
        """IMP-1..4: bring Salesforce records into HubSpot by email only, then a follow-up sync (IMP-2)."""
        if sobject not in SF_OBJECTS:
            raise SettingsError(f"import: object must be one of {', '.join(SF_OBJECTS)}, not {sobject!r}")
        if self._start():
            return self._report
        self._guard(lambda: self._import(sobject))
        self._guard(self._drain_queue)
        return self._report

    # ------------------------------------------------------------------ install / capture
    def _validate_for_cycle(self) -> None:
        self._check_allocation()  # LIM-1: at the cap, not even the describe calls are made
        schema = self.schema
        self._inclusion_list_id()
        self._note_mapping_times(schema)

    def _note_mapping_times(self, schema: Schema) -> None:
        """When each mapping was first active (RULE-9: changes after that moment sync)."""
        with self.store.session() as s:
            seen = self.store.get_flag(s, "mapping_first_seen") or {}
            # keyed with the rule: switching "don't sync" to a syncing rule is a new mapping
            keys = {f"{am.key}|{am.mapping.rule.value}" for ams in schema.active.values() for am in ams}
            new = {k: self._ts() for k in keys if k not in seen}
            if new:
                self.store.set_flag(s, "mapping_first_seen", {**seen, **new})
            self._mapping_first_seen = {**seen, **new}

    def _install_if_needed(self) -> None:
        """TRG-15: records that exist when the integration is installed do not sync. The first run
        sets every cursor to the newest change already present and marks those records seen."""
        with self.store.session() as s:
            if self.store.get_flag(s, "installed"):
                return
        self.progress("first run: bookmarking existing records (TRG-15)")
        body = {
            "filterGroups": [],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}],
            "properties": ["lastmodifieddate"],
            "limit": 1,
        }
        top = self.hubspot.search(HS_OBJECT, body).get("results", [])
        hs_cursor = (_iso_to_ms(_hs_props(top[0]).get("lastmodifieddate")) or 0) if top else 0
        sf_cursors: dict[str, str] = {}
        for obj in SF_OBJECTS:
            rows = list(
                self.salesforce.query(
                    f"SELECT SystemModstamp FROM {obj} ORDER BY SystemModstamp DESC LIMIT 1", True
                )
            )
            sf_cursors[obj] = rows[0]["SystemModstamp"] if rows else "1970-01-01T00:00:00.000+0000"
        with self.store.session() as s:
            self.store.set_cursor(s, "hubspot:contacts:lastmodifieddate", str(hs_cursor))
            for obj, stamp in sf_cursors.items():
                self.store.set_cursor(s, f"salesforce:{obj}:SystemModstamp", stamp)
        # Everything inside the overlap window behind each cursor is marked seen, not queued, so the
        # overlap re-read of the first real cycle does not sync pre-existing records.
        self._mark_only = True
        try:
            self._capture_hubspot()
            for obj in SF_OBJECTS:
                self._capture_salesforce(obj)
        finally:
            self._mark_only = False
        with self.store.session() as s:
            self.store.set_flag(s, "installed", {"at": self._ts()})
        # INC-4: choosing a list does not start a sync: take today's members as the baseline.
        list_id = self._inclusion_list_id()
        if list_id:
            self._capture_memberships(baseline=True)

    def _capture_memberships(self, baseline: bool = False) -> None:
        """INC-5/INC-9: joins and leaves of the inclusion list, by diffing its membership."""
        list_id = self._inclusion_list_id()
        if not list_id:
            return
        current = set(self.hubspot.list_member_ids(list_id))
        with self.store.session() as s:
            stored = set(s.scalars(select(Membership.hs_id).where(Membership.list_id == list_id)))
            if (
                not stored
                and not baseline
                and self.store.get_flag(s, "membership_baseline") != {"list": list_id}
            ):
                baseline = True  # the list changed in settings: new baseline, no bulk sync (INC-4)
            joined, left = current - stored, stored - current
            for hs_id in joined:
                s.add(Membership(list_id=list_id, hs_id=hs_id))
            for part in chunks(sorted(left), 500):
                s.execute(delete(Membership).where(Membership.list_id == list_id, Membership.hs_id.in_(part)))
            s.execute(delete(Membership).where(Membership.list_id != list_id))
            self.store.set_flag(s, "membership_baseline", {"list": list_id})
            if not baseline and joined:
                self.store.enqueue(
                    s,
                    "hubspot",
                    HS_OBJECT,
                    {i: ("INC-5 joined inclusion list", None) for i in joined},
                    self._ts(),
                )
            self._log_left_list(s, list(left)[:1000])
        if not baseline:
            self._report.list_joins += len(joined)
            self._report.list_leaves += len(left)

    def _hs_search_window(self, start_ms: int, eq: bool = False, after_id: str | None = None) -> Any:
        """Yield records with lastmodifieddate >= start (or == start), ascending, up to the 10k cap.
        With eq=True, pages by hs_object_id instead (keyset) so ties past the cap are still reached."""
        props = self.schema.hs_read_properties()
        after = 0
        fetched = 0
        while True:
            if eq:
                filters = [{"propertyName": "lastmodifieddate", "operator": "EQ", "value": str(start_ms)}]
                if after_id:
                    filters.append({"propertyName": "hs_object_id", "operator": "GT", "value": after_id})
                sorts = [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
            else:
                filters = [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(start_ms)}]
                sorts = [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]
            body = {
                "filterGroups": [{"filters": filters}],
                "sorts": sorts,
                "properties": props,
                "limit": SEARCH_PAGE,
                "after": str(after),
            }
            page = self.hubspot.search(HS_OBJECT, body)
            results = page.get("results", [])
            yield from results
            fetched += len(results)
            nxt = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not results:
                return
            if fetched + SEARCH_PAGE > SEARCH_CAP:
                # At the cap HubSpot stops offering a next page even when more records match, so
                # decide by the total: a tie continues by id (keyset); a range is re-windowed by the
                # caller from its newest timestamp.
                total = page.get("total")
                more = bool(nxt) or (isinstance(total, int) and total > fetched)
                if eq and more:
                    yield from self._hs_search_window(start_ms, eq=True, after_id=str(results[-1]["id"]))
                return
            if not nxt:
                return
            after = int(nxt) if str(nxt).isdigit() else nxt

    def _capture_with_overlap(
        self,
        name: str,
        cursor: int,
        read: Callable[[int], int],
        count: Callable[[int, int], int | None],
        page: int,
    ) -> None:
        """Read a change stream from `cursor` (epoch ms), re-reading the overlap window behind it only
        when something there could be new to us.

        The overlap re-read exists for records that became visible late (search indexing lag). Re-
        reading it every poll costs every record modified in the window, which after a bulk write
        (the engine's own, or anything under a frozen clock) is the whole bulk, every cycle. So each
        capture ends by checking that the server's count of records in the new window equals the
        number we read there, and stores that count. The next capture counts the window again and
        reads only past the cursor: records that left the window since are exactly those it reads
        again with a newer stamp (their previous seen version was in the window). If
        count == stored - left, nothing arrived late and the window is skipped; otherwise (or when
        either count fails) it is re-read as before. Blind spot: one late arrival exactly offset by
        one HubSpot archive (archives leave without being read) inside the same window.
        A window of less than one `page` of records is simply re-read: that costs what a count costs
        (and HubSpot search calls have a per-second limit of their own)."""
        ov = self.settings.cursor_overlap_seconds * 1000
        flag = f"overlap:{name}"
        with self.store.session() as s:
            mark = self.store.get_flag(s, flag)
        self._tally, self._left = {}, set()
        self._window = (cursor - ov, cursor)
        start = max(0, cursor - ov)
        skipped, before = False, None
        if ov > 0 and mark and mark.get("t") == cursor and mark.get("n") is not None:
            before = count(cursor - ov, cursor)
            new = read(cursor + 1)
            skipped = before is not None and before == mark["n"] - len(self._left)
            self.progress(
                f"{name}: overlap window {'unchanged, not re-read' if skipped else 'changed, re-read'}"
                f" (counted {before}, expected {mark['n']} - {len(self._left)} that moved on)"
            )
        if not skipped:
            new = read(start)
        lo = new - ov
        n: int | None = None
        if skipped and new == cursor:
            n = before  # same window; records that left it are already out of this count
        elif (cursor + 1 if skipped else start) <= max(lo, 0):  # this capture read the whole new window
            inside = sum(1 for t in self._tally.values() if lo <= t <= new)
            if inside >= page:
                after = count(lo, new)
                n = after if after == inside else None
                if n is None:
                    self.progress(f"{name}: window holds {after} records, {inside} read: re-read next time")
        with self.store.session() as s:
            self.store.set_flag(s, flag, {"t": new, "n": n} if n is not None and ov > 0 else None)
        self._tally, self._left = {}, set()

    def _note_read(self, versions: dict[str, int], seen: dict[str, int]) -> None:
        """Capture bookkeeping for the overlap check (see _capture_with_overlap)."""
        lo, hi = self._window
        for rid, v in versions.items():
            self._tally[rid] = v
            prev = seen.get(rid)
            if prev is not None and prev != v and lo <= prev <= hi:
                self._left.add(rid)

    def _hs_count(self, lo: int, hi: int) -> int | None:
        body = {
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(lo)},
                        {"propertyName": "lastmodifieddate", "operator": "LTE", "value": str(hi)},
                    ]
                }
            ],
            "properties": ["lastmodifieddate"],
            "limit": 1,
        }
        try:
            total = self.hubspot.search(HS_OBJECT, body).get("total")
        except SyncHttpError as exc:
            if isinstance(exc, TransientError | DailyLimitReached | SuspensionError):
                raise
            return None  # cannot count: fall back to re-reading the window
        return int(total) if isinstance(total, int) else None

    def _capture_hubspot(self) -> None:
        """HubSpot changes by search on lastmodifieddate, windowed past the 10k cap."""
        cursor_name = "hubspot:contacts:lastmodifieddate"
        with self.store.session() as s:
            cursor = int(self.store.get_cursor(s, cursor_name) or 0)
        self._capture_with_overlap(
            cursor_name, cursor, lambda start: self._hs_read_from(start, cursor), self._hs_count, SEARCH_PAGE
        )

    def _hs_read_from(self, start: int, cursor: int) -> int:
        """Read every HubSpot change at or after `start`; returns the new cursor."""
        while True:
            batch: list[dict[str, Any]] = []
            count = 0
            at_top = 0  # records in this window sharing the newest timestamp
            top = -1
            for rec in self._hs_search_window(start):
                batch.append(rec)
                count += 1
                ms = _iso_to_ms(_hs_props(rec).get("lastmodifieddate")) or 0
                at_top = at_top + 1 if ms == top else 1
                top = max(top, ms)
                if len(batch) >= SEARCH_PAGE:
                    cursor = self._enqueue_hubspot(batch, cursor)
                    batch = []
            if batch:
                cursor = self._enqueue_hubspot(batch, cursor)
            if count < SEARCH_CAP - SEARCH_PAGE:
                return cursor
            if cursor > start and at_top <= SEARCH_PAGE:
                start = cursor  # advance the window (re-reads the few records at `cursor`; deduped)
                continue
            # Many records share one timestamp (bulk writes, frozen clocks): walk that timestamp by
            # id (keyset, so the 10k cap never applies), then step past it.
            tie: list[dict[str, Any]] = []
            for rec in self._hs_search_window(cursor, eq=True):
                tie.append(rec)
                if len(tie) >= SEARCH_PAGE:
                    self._enqueue_hubspot(tie, cursor)
                    tie = []
            if tie:
                self._enqueue_hubspot(tie, cursor)
            start = cursor + 1

    def _enqueue_hubspot(self, records: list[dict[str, Any]], cursor: int) -> int:
        versions = {
            str(r["id"]): str(_iso_to_ms(_hs_props(r).get("lastmodifieddate")) or "") for r in records
        }
        with self.store.session() as s:
            seen = self.store.seen_versions(s, "hubspot", HS_OBJECT, list(versions))
            self._note_read(
                {r: int(v) for r, v in versions.items() if v},
                {r: int(v) for r, v in seen.items() if v and v.isdigit()},
            )
            fresh = {rid: v for rid, v in versions.items() if seen.get(rid) != v}
            items = {}
            for r in records:
                rid = str(r["id"])
                if rid in fresh:
                    created = _iso_to_ms(_hs_props(r).get("createdate"))
                    trig = (
                        "TRG-7 new HubSpot contact"
                        if created is not None and str(created) == fresh[rid]
                        else "TRG-2 HubSpot change"
                    )
                    items[rid] = (trig, r)
            if self._mark_only:
                items = {}
            self.store.enqueue(s, "hubspot", HS_OBJECT, items, self._ts())
            self.store.mark_seen(s, "hubspot", HS_OBJECT, fresh, seen)
            top = max((int(v) for v in versions.values() if v), default=cursor)
            cursor = max(cursor, top)
            self.store.set_cursor(s, "hubspot:contacts:lastmodifieddate", str(cursor))
        self._report.captured_hubspot += len(items)
        return cursor

    def _capture_salesforce(self, sobject: str) -> None:
        """SOQL on SystemModstamp (>=, ORDER BY SystemModstamp, Id) through queryAll so deletions
        (IsDeleted = true) arrive as positive evidence in the same stream."""
        self._check_allocation()
        name = f"salesforce:{sobject}:SystemModstamp"
        with self.store.session() as s:
            stamp = self.store.get_cursor(s, name) or "1970-01-01T00:00:00.000+0000"
        fields = ", ".join(self.schema.sf_read_fields(sobject))

        def read(start_ms: int) -> int:
            nonlocal stamp
            start = _ms_to_dt(start_ms)
            soql = f"SELECT {fields} FROM {sobject} WHERE SystemModstamp >= {soql_datetime(start)} ORDER BY SystemModstamp, Id"
            page: list[dict[str, Any]] = []
            for rec in self.salesforce.query(soql, include_deleted=True):
                page.append(rec)
                if len(page) >= 2000:
                    stamp = self._enqueue_salesforce(sobject, page, stamp)
                    page = []
            if page:
                stamp = self._enqueue_salesforce(sobject, page, stamp)
            return _iso_to_ms(stamp) or 0

        def count(lo: int, hi: int) -> int | None:
            soql = (
                f"SELECT COUNT() FROM {sobject} WHERE SystemModstamp >= {soql_datetime(_ms_to_dt(lo))}"
                f" AND SystemModstamp <= {soql_datetime(_ms_to_dt(hi))}"
            )
            try:
                return self.salesforce.count(soql, include_deleted=True)
            except SyncHttpError as exc:
                if isinstance(exc, TransientError | SuspensionError):
                    raise
                return None  # cannot count: fall back to re-reading the window

        self._capture_with_overlap(name, _iso_to_ms(stamp) or 0, read, count, SF_QUERY_PAGE)

    def _enqueue_salesforce(self, sobject: str, records: list[dict[str, Any]], stamp: str) -> str:
        versions = {r["Id"]: str(r.get("SystemModstamp")) for r in records}
        with self.store.session() as s:
            seen = self.store.seen_versions(s, "salesforce", sobject, list(versions))
            ms = {r: _iso_to_ms(v) for r, v in versions.items()}
            prev = {r: _iso_to_ms(v) for r, v in seen.items()}
            self._note_read(
                {r: v for r, v in ms.items() if v is not None}, {r: v for r, v in prev.items() if v is not None}
            )
            fresh = {rid: v for rid, v in versions.items() if seen.get(rid) != v}
            items = {}
            for r in records:
                if r["Id"] in fresh:
                    r = {k: v for k, v in r.items() if k != "attributes"}
                    trig = (
                        "DEL-1 Salesforce deletion"
                        if r.get("IsDeleted")
                        else (
                            "TRG-6 new Salesforce record"
                            if r.get("CreatedDate") == r.get("SystemModstamp")
                            else "TRG-3 Salesforce change"
                        )
                    )
                    items[r["Id"]] = (trig, r)
            if self._mark_only:
                items = {}
            self.store.enqueue(s, "salesforce", sobject, items, self._ts())
            self.store.mark_seen(s, "salesforce", sobject, fresh, seen)
            newest = max(
                records,
                key=lambda r: parse_sf_datetime(r.get("SystemModstamp")) or datetime.min.replace(tzinfo=UTC),
            )
            if (parse_sf_datetime(newest.get("SystemModstamp")) or datetime.min.replace(tzinfo=UTC)) > (
                parse_sf_datetime(stamp) or datetime.min.replace(tzinfo=UTC)
            ):
                stamp = str(newest["SystemModstamp"])
            self.store.set_cursor(s, f"salesforce:{sobject}:SystemModstamp", stamp)
        self._report.captured_salesforce += len(items)
        return stamp

    # ------------------------------------------------------------------ queue processing
    def _drain_queue(self) -> None:
        retries_ok = self._retries_allowed()
        last_id = 0
        while True:
            self._check_allocation()
            with self.store.session() as s:
                q = select(QueueItem).where(QueueItem.id > last_id, QueueItem.not_before <= self._ts())
                if not retries_ok:
                    q = q.where(QueueItem.attempts == 0)  # LIM-4
                items = list(s.scalars(q.order_by(QueueItem.id).limit(self.chunk_size)))
            if not items:
                return
            last_id = items[-1].id
            self._process(items)
            self.progress(f"processed {self._report.processed} records")

    def _process(self, items: list[QueueItem]) -> None:
        schema = self.schema
        list_id = self._inclusion_list_id()
        if list_id and not self._memberships_fresh:
            self._check_memberships(items, list_id)
        pairs: list[_Pair] = []
        with self.store.session() as s:
            hs_ids = [i.record_id for i in items if i.system == "hubspot"]
            sf_ids = [i.record_id for i in items if i.system == "salesforce"]
            links_hs = {lk.hs_id: lk for lk in _links_by_hs_id(s, hs_ids)}
            links_sf = {lk.sf_id: lk for lk in _in(s, Link, Link.sf_id, sf_ids)}
            members = (
                set(
                    _in_scalar(
                        s,
                        Membership.hs_id,
                        Membership.hs_id,
                        [lk.hs_id for lk in links_sf.values()] + hs_ids,
                        Membership.list_id == list_id,
                    )
                )
                if list_id
                else set()
            )
        self._members, self._list_id = members, list_id
        by_link: dict[int, _Pair] = {}
        for it in items:
            link = links_hs.get(it.record_id) if it.system == "hubspot" else links_sf.get(it.record_id)
            if link is not None and link.id in by_link:  # both sides changed: one pair
                pair = by_link[link.id]
                pair.trigger += "," + it.trigger
            else:
                pair = _Pair(trigger=it.trigger, link=link)
                if link is not None:
                    by_link[link.id] = pair
                pairs.append(pair)
            pair.queue_ids.append(it.id)
            if it.system == "hubspot":
                pair.hs = it.payload or pair.hs
                pair.detail.setdefault("pending_hs", it.record_id)
            else:
                pair.sf = it.payload or pair.sf
                pair.sf_object = it.object_type
                pair.detail.setdefault("pending_sf", it.record_id)
            if link is not None:
                pair.sf_object = link.sf_object

        self._read_bare_hubspot(pairs, schema)
        self._skip_echoes(pairs, schema)
        self._fill_missing(pairs, schema)
        self._handle_salesforce_specials(pairs, members, list_id)
        self._gate(pairs, members, list_id)
        self._match_and_create(pairs, schema)
        self._sync_linked(pairs, schema)
        self._finish(pairs, items)

    def _check_memberships(self, items: list[QueueItem], list_id: str) -> None:
        """Outside a poll cycle the stored membership can be minutes old, and a webhook change of a
        contact that just joined (or left) the list must be gated on where it is now (INC-2/3/9).
        A few records: ask for each record's lists. Many: diff the whole list, which costs a page per
        250 members and also queues any other joins (INC-5)."""
        ids = sorted({i.record_id for i in items if i.system == "hubspot"})
        if not ids:
            return
        with self.store.session() as s:
            stored = s.scalar(select(func.count()).select_from(Membership).where(Membership.list_id == list_id))
        if len(ids) > (stored or 0) // MEMBERSHIP_PAGE + 1:
            self._capture_memberships()
            self._memberships_fresh = True
            return
        now_in = {rid for rid in ids if list_id in self.hubspot.record_list_ids(rid)}
        with self.store.session() as s:
            was_in = set(_in_scalar(s, Membership.hs_id, Membership.hs_id, ids, Membership.list_id == list_id))
            for rid in now_in - was_in:
                s.add(Membership(list_id=list_id, hs_id=rid))
            left = was_in - now_in
            if left:
                s.execute(delete(Membership).where(Membership.list_id == list_id, Membership.hs_id.in_(left)))
            self._log_left_list(s, sorted(left))

    def _log_left_list(self, s: Any, hs_ids: list[str]) -> None:
        for hs_id in hs_ids:
            s.add(
                Decision(
                    at=self._ts(),
                    hs_id=hs_id,
                    trigger="INC-9 left inclusion list",
                    outcome="left_list",
                    detail={"note": "A2: sync stops; nothing is deleted"},
                )
            )

    def _read_bare_hubspot(self, pairs: list[_Pair], schema: Schema) -> None:
        """HubSpot items queued without a record (webhooks, manual resyncs): read them first, so the
        echo check below can drop our own writes before anything is read from Salesforce."""
        bare = {
            str(p.link.hs_id if p.link else p.detail["pending_hs"]): p
            for p in pairs
            if p.hs is None and p.sf is None and not p.outcome and (p.link or "pending_hs" in p.detail)
        }
        if not bare:
            return
        got = {str(r["id"]): r for r in self.hubspot.batch_read(HS_OBJECT, list(bare), schema.hs_read_properties())}
        for hid, p in bare.items():
            p.hs = got.get(hid)
            if p.hs is None:
                p.detail["hs_missing"] = True

    def _skip_echoes(self, pairs: list[_Pair], schema: Schema) -> None:
        """Echo suppression before any read of the other side: a linked record whose mapped values
        all equal their last-synced values changed nothing we sync (our own write, or an unmapped
        field: TRG-4). A field never synced counts as unchanged while blank."""
        for p in pairs:
            if p.link is None or p.outcome or (p.hs is None) == (p.sf is None):
                continue
            if "manual" in p.trigger or "INC-" in p.trigger or "IMP-" in p.trigger or "CON-9" in p.trigger:
                continue  # explicit triggers always get a full look
            last = p.link.last_synced or {}
            changed = False
            for am in schema.active.get(p.link.sf_object, []):
                if p.hs is not None:
                    v = self._hs_value(am, p.hs)
                    if am.mapping.is_owner:
                        v = self._hs_owner_to_sf(v) or v
                else:
                    if p.sf is not None and (p.sf.get("IsDeleted") or p.sf.get("IsConverted")):
                        changed = True
                        break
                    v = self._sf_value(am, p.sf)  # type: ignore[arg-type]
                if side_value(last.get(am.key), "hs" if p.hs is not None else "sf") != v:
                    changed = True
                    break
            if not changed:
                p.outcome = "no_change"
                p.detail["reason"] = (
                    "TRG-4: no mapped value changed (our own write echoed back, or an unmapped field)"
                )

    def _fill_missing(self, pairs: list[_Pair], schema: Schema) -> None:
        """Fetch the sides we do not have yet, in batches (only for pairs with a link or pending id)."""
        need_hs = [
            p.link.hs_id if p.link else p.detail["pending_hs"]
            for p in pairs
            if p.hs is None
            and not p.outcome
            and "hs_missing" not in p.detail
            and (p.link or "pending_hs" in p.detail)
        ]
        if need_hs:
            got = {
                str(r["id"]): r
                for r in self.hubspot.batch_read(HS_OBJECT, need_hs, schema.hs_read_properties())
            }
            for p in pairs:
                if p.hs is None and not p.outcome:
                    hid = p.link.hs_id if p.link else p.detail.get("pending_hs")
                    p.hs = got.get(str(hid)) if hid else None
                    if hid and p.hs is None:
                        p.detail["hs_missing"] = True
        for obj in SF_OBJECTS:
            need_sf = [
                p.link.sf_id if p.link else p.detail["pending_sf"]
                for p in pairs
                if p.sf is None
                and not p.outcome
                and p.sf_object == obj
                and (p.link or "pending_sf" in p.detail)
            ]
            if not need_sf:
                continue
            fields = ", ".join(schema.sf_read_fields(obj))
            got = {
                r["Id"]: r
                for r in self.salesforce.query_in(
                    f"SELECT {fields} FROM {obj} WHERE Id IN ({{inlist}})", need_sf, True
                )
            }
            for p in pairs:
                if p.sf is None and not p.outcome and p.sf_object == obj:
                    sid = p.link.sf_id if p.link else p.detail.get("pending_sf")
                    p.sf = got.get(sid) if sid else None
                    if sid and p.sf is None:
                        p.detail["sf_missing"] = True

    def _handle_salesforce_specials(self, pairs: list[_Pair], members: set[str], list_id: str | None) -> None:
        """Deletions (DEL-1/DEL-3) and lead conversion (CON-9/A7)."""
        to_archive: list[str] = []
        with self.store.session() as s:
            for p in pairs:
                if p.sf is None or p.outcome:
                    continue
                if p.sf.get("IsDeleted"):
                    if p.link is None:
                        p.outcome = "skipped"
                        p.detail["reason"] = "deleted Salesforce record was never linked"
                        continue
                    merged = p.sf.get("MasterRecordId")
                    if self.settings.contacts.deletion == Deletion.DELETE:
                        to_archive.append(p.link.hs_id)
                        p.outcome = "deleted_in_hubspot"
                        p.detail["reason"] = "DEL-1: linked Salesforce record deleted" + (
                            f" (DEL-3 merged into {merged})" if merged else ""
                        )
                    else:
                        p.outcome = "unlinked"
                        p.detail["reason"] = (
                            "DEL-1: Salesforce record deleted; deletion setting is do_nothing"
                        )
                    s.execute(delete(Link).where(Link.id == p.link.id))
                    continue
                conv = p.sf.get("ConvertedContactId") if p.sf.get("IsConverted") else None
                if conv:
                    contacts_off = (
                        self.settings.contacts.from_salesforce_contacts == FromSalesforce.DO_NOTHING
                    )
                    if p.link is not None and p.link.sf_object == "Lead" and contacts_off:
                        # CON-10 (legacy): with contact creation off, a converted lead is a sync error
                        # and the contact stops syncing until contact creation is enabled.
                        self._fail(
                            p,
                            "hubspot",
                            p.link.hs_id,
                            Category.CONVERTED_LEAD,
                            "CONVERTED_LEAD",
                            f"Converted Lead: lead {p.link.sf_id} was converted to contact {conv}; "
                            "enable creating HubSpot contacts from Salesforce contacts, then resync",
                        )
                        continue
                    if p.link is not None and p.link.sf_object == "Lead":
                        other = s.scalar(select(Link).where(Link.sf_id == conv))
                        link = s.get(Link, p.link.id)
                        if other is None and link is not None:
                            link.sf_object, link.sf_id, link.updated_at = "Contact", conv, self._ts()
                            self.store.enqueue(
                                s, "salesforce", "Contact", {conv: ("CON-9 lead converted", None)}, self._ts()
                            )
                        p.outcome = "relinked"
                        p.detail["reason"] = (
                            f"CON-9/A7: lead converted; link moves to Contact {conv}, lead no longer written"
                        )
                    else:
                        p.outcome = "skipped"
                        p.detail["reason"] = "converted lead (read-only); its contact syncs instead (A7)"
        if to_archive:
            self.hubspot.batch_archive(HS_OBJECT, to_archive)
            self._report.deleted_in_hubspot += len(to_archive)

    def _gate(self, pairs: list[_Pair], members: set[str], list_id: str | None) -> None:
        """Eligibility: INC-2/3/9 (both directions, A1), CON-4 (no email), CON-1 (SF create setting)."""
        c = self.settings.contacts
        for p in pairs:
            if p.outcome:
                continue
            hs_id = p.hs_id
            if p.link is not None:
                if list_id and hs_id not in members:
                    p.outcome = "skipped"
                    p.detail["reason"] = (
                        "INC-3/INC-9 (A1): contact is not in the inclusion list; nothing syncs either way"
                    )
                    p.detail["in_list"] = False
                continue
            if p.hs is not None and p.sf is None:
                if "hs_missing" in p.detail:
                    p.outcome = "skipped"
                    p.detail["reason"] = (
                        "HubSpot record not found (deleted; DEL-2/A8: HubSpot deletions never reach Salesforce)"
                    )
                elif not _hs_email(p.hs):
                    p.outcome = "skipped"
                    p.detail["reason"] = "CON-4: HubSpot contact has no email address"
                elif list_id and str(p.hs["id"]) not in members:
                    p.outcome = "skipped"
                    p.detail["reason"] = "INC-3: contact is not in the inclusion list"
                    p.detail["in_list"] = False
                continue
            if p.sf is not None and p.hs is None:
                setting = c.from_salesforce_leads if p.sf_object == "Lead" else c.from_salesforce_contacts
                if "sf_missing" in p.detail:
                    p.outcome = "skipped"
                    p.detail["reason"] = "Salesforce record not found"
                elif not _sf_email(p.sf):
                    p.outcome = "skipped"
                    p.detail["reason"] = "IMP-4/CON-4: Salesforce record has no email address"
                elif setting == FromSalesforce.DO_NOTHING:
                    p.outcome = "skipped"
                    p.detail["reason"] = (
                        f"CON-1: HubSpot does nothing for new/updated Salesforce {p.sf_object}s"
                    )

    # ------------------------------------------------------------------ matching and creates
    def _match_and_create(self, pairs: list[_Pair], schema: Schema) -> None:
        hs_new = [p for p in pairs if not p.outcome and p.link is None and p.hs is not None and p.sf is None]
        sf_new = [p for p in pairs if not p.outcome and p.link is None and p.sf is not None and p.hs is None]
        if hs_new:
            self._link_or_create_in_salesforce(hs_new, schema)
            just_linked = {p.link.sf_id for p in hs_new if p.link is not None}
            for p in sf_new:
                if p.sf is not None and p.sf.get("Id") in just_linked:
                    p.outcome = "merged"
                    p.detail["reason"] = "linked with its HubSpot counterpart in the same batch"
            sf_new = [p for p in sf_new if not p.outcome]
        if sf_new:
            self._link_or_create_in_hubspot(sf_new, schema)

    def _find_in_salesforce(self, emails: list[str], schema: Schema) -> dict[str, tuple[str, dict[str, Any]]]:
        """CON-5/6/8: match only by email; first (oldest) record wins; Contacts and unconverted Leads."""
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        candidates: list[tuple[str, str, dict[str, Any]]] = []
        for obj in SF_OBJECTS:
            fields = ", ".join(schema.sf_read_fields(obj))
            extra = (
                " AND IsConverted = false"
                if obj == "Lead" and "IsConverted" in schema.sf_fields.get(obj, {})
                else ""
            )
            soql = f"SELECT {fields} FROM {obj} WHERE Email IN ({{inlist}}){extra} ORDER BY CreatedDate, Id"
            for r in self.salesforce.query_in(soql, emails):
                candidates.append((obj, r.get("CreatedDate") or "", r))
        with self.store.session() as s:
            linked_to = {
                lk.sf_id: lk.hs_id for lk in _in(s, Link, Link.sf_id, [r["Id"] for _, _, r in candidates])
            }
        linked = set(linked_to)
        if linked_to:
            # CON-8: a record still linked to a HubSpot contact that was deleted (DEL-2 keeps the
            # Salesforce side) is free again; the contact that now has the email takes it over
            # instead of getting a duplicate. Only then is one extra read spent.
            alive = {
                str(r["id"])
                for r in self.hubspot.batch_read(HS_OBJECT, sorted(set(linked_to.values())), ["email"])
            }
            linked = {sf_id for sf_id, hs_id in linked_to.items() if hs_id in alive}
        for obj, _created, r in sorted(
            candidates,
            key=lambda t: (
                parse_sf_datetime(t[1]) or datetime.max.replace(tzinfo=UTC),
                t[0] != "Contact",
                t[2]["Id"],
            ),
        ):
            email = _sf_email(r)
            if email and email not in found and r["Id"] not in linked:
                found[email] = (obj, r)
        return found

    def _link_or_create_in_salesforce(self, pairs: list[_Pair], schema: Schema) -> None:
        emails = sorted({_hs_email(p.hs) for p in pairs if p.hs and _hs_email(p.hs)})  # type: ignore[misc]
        found = self._find_in_salesforce(emails, schema)
        to_create: dict[str, list[_Pair]] = {"Lead": [], "Contact": []}
        create_as = "Contact" if self.settings.contacts.hubspot_creates == CreateAs.CONTACT else "Lead"
        for p in pairs:
            email = _hs_email(p.hs)  # type: ignore[arg-type]
            if email in found:
                obj, rec = found.pop(email)  # type: ignore[arg-type]
                p.sf, p.sf_object = rec, obj
                p.link = self._new_link(p, {})
                p.detail["matched"] = (
                    f"CON-8: existing Salesforce {obj} with this email linked (CON-6 first match)"
                )
                self._report.linked_existing += 1
            else:
                to_create[create_as].append(p)
        for obj, group in to_create.items():
            if group:
                self._create_in_salesforce(obj, group, schema)

    def _create_in_salesforce(self, obj: str, group: list[_Pair], schema: Schema) -> None:
        bodies: list[dict[str, Any]] = []
        written: list[dict[str, str | None]] = []
        for p in group:
            body: dict[str, Any] = {}
            synced: dict[str, str | None] = {}
            for am in schema.active.get(obj, []):
                val = self._hs_val(am, p)
                if am.mapping.is_owner:
                    val = self._hs_owner_to_sf(val)  # OWN-3: only a valid owner; otherwise assignment rules
                if am.to_sf_allowed and val is not None:
                    body[am.mapping.salesforce] = to_salesforce_value(val, am.sf_type)
                    synced[am.key] = val
                elif am.mapping.rule != SyncRule.DONT_SYNC:
                    # record every mapped field at link time, so a key missing later means a
                    # mapping added afterwards (RULE-9), not a field that was blank
                    synced[am.key] = None if val is None else {"hs": val, "sf": None}  # type: ignore[assignment]
            body.setdefault("Email", _hs_email(p.hs))  # type: ignore[arg-type]  # the match key (CON-5)
            if obj == "Lead":
                for k, v in LEAD_PLACEHOLDERS.items():
                    body.setdefault(k, v)
            elif not body.get("LastName"):
                body["LastName"] = LEAD_PLACEHOLDERS["LastName"]
            bodies.append(body)
            written.append(synced)
        with self.store.session() as s:  # intents first: a crash after the create is reconciled by email
            now = self._ts()
            s.execute(
                insert(Intent.__table__),  # Core executemany: no per-row ORM bookkeeping
                [
                    {"system": "salesforce", "source_id": str(p.hs["id"]), "email": _hs_email(p.hs), "at": now}  # type: ignore[index, arg-type]
                    for p in group
                ],
            )
        try:
            results = self.salesforce.create_records(obj, bodies)
        except TransientError as exc:
            # The create may or may not have happened: look before re-creating (same cycle, once).
            found = self._find_in_salesforce(sorted({_hs_email(p.hs) for p in group}), schema)  # type: ignore[misc, arg-type]
            for p in group:
                email = _hs_email(p.hs)  # type: ignore[arg-type]
                if email in found:
                    o, rec = found[email]
                    p.sf, p.sf_object = rec, o
                    p.link = self._new_link(p, {})
                    p.detail["matched"] = "reconciled after an interrupted create"
                else:
                    self._fail(p, "hubspot", str(p.hs["id"]), Category.TRANSIENT, exc.code, str(exc))  # type: ignore[index]
            return
        for p, res, synced, body in zip(group, results, written, bodies, strict=False):
            if res.get("success"):
                p.sf_object = obj
                p.sf = {"Id": res["id"], **body}
                p.link = self._new_link(p, synced)
                p.outcome = "created_in_salesforce"
                p.detail["created"] = f"CON-2: new Salesforce {obj} {res['id']}"
                p.detail["written_to_salesforce"] = sorted(body)
                self._report.created_in_salesforce += 1
            else:
                err = (res.get("errors") or [{}])[0]
                code = err.get("statusCode") or err.get("errorCode")
                self._fail(
                    p,
                    "hubspot",
                    str(p.hs["id"]),
                    salesforce_category(code),
                    code,
                    err.get("message", "create failed"),
                )  # type: ignore[index]
        # Read the new records back (one query per ~600): Salesforce fills defaults (owner by
        # assignment rules, OWN-3; picklist defaults) that flow to HubSpot in this same pass, with
        # the Salesforce-ID write (CON-12), instead of as an extra round trip next cycle.
        created = {p.sf["Id"]: p for p in group if p.outcome == "created_in_salesforce" and p.sf}
        if created:
            fields = ", ".join(schema.sf_read_fields(obj))
            soql = f"SELECT {fields} FROM {obj} WHERE Id IN ({{inlist}})"
            for rec in self.salesforce.query_in(soql, list(created)):
                pair = created.get(rec["Id"])
                if pair is not None:
                    pair.sf = {k: v for k, v in rec.items() if k != "attributes"}

    def _link_or_create_in_hubspot(self, pairs: list[_Pair], schema: Schema) -> None:
        """TRG-6/CON-1: SF record -> existing HubSpot contact by email (INC-7: list ignored here) or a new one."""
        emails = sorted({_sf_email(p.sf) for p in pairs if p.sf and _sf_email(p.sf)})  # type: ignore[misc]
        existing = {
            (_hs_email(r) or ""): r
            for r in self.hubspot.batch_read(
                HS_OBJECT, emails, schema.hs_read_properties(), id_property="email"
            )
        }
        with self.store.session() as s:
            links = {
                lk.hs_id: lk for lk in _links_by_hs_id(s, [str(r["id"]) for r in existing.values()])
            }
            if self._list_id:
                # The batch's memberships were read before these contacts were matched by email:
                # without this, a contact in the list counts as outside it (INC-7) and stays unsynced.
                self._members = self._members | set(
                    _in_scalar(
                        s,
                        Membership.hs_id,
                        Membership.hs_id,
                        [str(r["id"]) for r in existing.values()],
                        Membership.list_id == self._list_id,
                    )
                )
        creates: list[_Pair] = []
        seen_emails: dict[str, _Pair] = {}
        for p in pairs:
            email = _sf_email(p.sf)  # type: ignore[arg-type]
            if email in seen_emails:  # CON-11: several SF duplicates in one batch: newest wins below
                prev = seen_emails[email]
                if _sf_stamp(p.sf) > _sf_stamp(prev.sf):
                    prev.outcome, prev.detail["reason"] = (
                        "skipped",
                        "CON-11: a more recently updated duplicate syncs instead",
                    )
                    seen_emails[email] = p
                else:
                    p.outcome, p.detail["reason"] = (
                        "skipped",
                        "CON-11: a more recently updated duplicate syncs instead",
                    )
                    continue
            seen_emails[email] = p  # type: ignore[index]
        for email, p in seen_emails.items():
            if p.outcome:
                continue
            rec = existing.get(email)
            if rec is None:
                creates.append(p)
                continue
            other = links.get(str(rec["id"]))
            if other is not None:
                # CON-7: later syncs follow the most recently updated duplicate.
                if (parse_sf_datetime(other.sf_modstamp) or datetime.min.replace(tzinfo=UTC)) <= _sf_stamp(
                    p.sf
                ):
                    with self.store.session() as s:
                        lk = s.get(Link, other.id)
                        if lk is not None:
                            lk.sf_id, lk.sf_object, lk.updated_at = (
                                p.sf["Id"],
                                p.sf_object or lk.sf_object,
                                self._ts(),
                            )  # type: ignore[index]
                            lk.sf_modstamp = p.sf.get("SystemModstamp")  # type: ignore[union-attr]
                            p.link = lk
                    p.hs = rec
                    p.detail["matched"] = (
                        f"CON-7: most recently updated duplicate; link moved from {other.sf_id}"
                    )
                    if self._list_id and str(rec["id"]) not in self._members:
                        # the gate ran before this pair had a link: apply it now (INC-3/INC-9, A1)
                        p.outcome = "skipped"
                        p.detail["reason"] = (
                            "INC-3/INC-9 (A1): contact is not in the inclusion list; nothing syncs either way"
                        )
                else:
                    p.outcome, p.detail["reason"] = (
                        "skipped",
                        f"CON-11: HubSpot contact {rec['id']} follows {other.sf_id}",
                    )
                continue
            p.hs = rec
            p.link = self._new_link(p, {})
            p.detail["matched"] = "CON-5: existing HubSpot contact with this email linked"
            self._report.linked_existing += 1
            if self._list_id and str(rec["id"]) not in self._members:
                # INC-7: the link is made regardless of the list, but nothing syncs until it qualifies
                p.outcome = "skipped"
                p.detail["reason"] = (
                    "INC-7: linked by email; contact is outside the inclusion list, so no values sync"
                )
        if creates:
            self._create_in_hubspot(creates, schema, email_only=False)

    def _create_in_hubspot(self, group: list[_Pair], schema: Schema, email_only: bool) -> None:
        inputs, written = [], []
        for p in group:
            props: dict[str, str] = {"email": p.sf["Email"]}  # type: ignore[index]
            synced: dict[str, str | None] = {}
            if not email_only:
                for am in schema.active.get(p.sf_object or "Lead", []):
                    sfv = self._sf_value(am, p.sf)  # type: ignore[arg-type]
                    val = self._to_hs_option(am, sfv)
                    if am.mapping.hubspot == "email":
                        synced[am.key] = sfv  # written above as the contact's identity
                    elif am.to_hs_allowed and val is not None:
                        props[am.mapping.hubspot] = to_hubspot_value(val)
                        synced[am.key] = sfv
                    elif am.mapping.rule != SyncRule.DONT_SYNC:
                        # every mapped field is recorded at link time (see _create_in_salesforce)
                        synced[am.key] = None if sfv is None else {"hs": None, "sf": sfv}  # type: ignore[assignment]
            link_prop = LINK_PROPERTIES.get(p.sf_object or "")
            if link_prop and link_prop in schema.hs_properties:
                props[link_prop] = p.sf["Id"]  # type: ignore[index]
            inputs.append({"id": p.sf["Email"], "idProperty": "email", "properties": props})  # type: ignore[index]
            written.append(synced)
        for start in range(0, len(group), 100):
            part = group[start : start + 100]
            body = self.hubspot.batch_upsert(HS_OBJECT, inputs[start : start + 100])
            by_email = {(_hs_email(r) or ""): r for r in body.get("results", [])}
            for p, synced in zip(part, written[start : start + 100], strict=False):
                rec = by_email.get(_sf_email(p.sf) or "")  # type: ignore[arg-type]
                if rec is None:
                    self._fail(
                        p, "salesforce", p.sf["Id"], Category.OTHER, None, "HubSpot upsert returned no record"
                    )  # type: ignore[index]
                    continue
                p.hs = rec
                p.link = self._new_link(p, synced)
                if rec.get("new") is False:  # upsert found an existing contact with this email
                    p.detail["existing"] = True
                    p.detail["matched"] = "CON-5: existing HubSpot contact with this email linked"
                    if not email_only:  # an import leaves it to the queued follow-up, which counts it
                        self._report.linked_existing += 1
                    continue
                p.outcome = "created_in_hubspot"
                p.detail["created"] = (
                    f"{'IMP-1' if email_only else 'TRG-6/CON-1'}: HubSpot contact {rec['id']}"
                )
                self._report.created_in_hubspot += 1
                if self.settings.contacts.inclusion_list:
                    p.link.outside_list_created = True  # INC-7: created regardless of the list, once

    def _new_link(self, p: _Pair, synced: dict[str, str | None]) -> Link:
        now = self._ts()
        return Link(
            object_type=HS_OBJECT,
            hs_id=str(p.hs["id"]),
            sf_object=p.sf_object or "Lead",
            sf_id=p.sf["Id"],  # type: ignore[index]
            email=_hs_email(p.hs) or _sf_email(p.sf),
            last_synced=dict(synced),
            created_at=now,  # type: ignore[arg-type]
            updated_at=now,
            sf_modstamp=p.sf.get("SystemModstamp"),
            outside_list_created=False,
        )  # type: ignore[union-attr]

    # ------------------------------------------------------------------ values and owners
    def _hs_val(self, am: ActiveMapping, p: _Pair) -> str | None:
        """_hs_value of p.hs, memoised on the pair while p.hs stays the same record."""
        if p.hs_vals_of is not p.hs:
            p.hs_vals, p.hs_vals_of = {}, p.hs
        key = am.key
        if key in p.hs_vals:
            return p.hs_vals[key]
        value = p.hs_vals[key] = self._hs_value(am, p.hs)  # type: ignore[arg-type]
        return value

    @staticmethod
    def _hs_value(am: ActiveMapping, rec: dict[str, Any]) -> str | None:
        """A HubSpot value in Salesforce terms (picklist options matched by value or label)."""
        value = am.hs_to_sf(canonical(_hs_props(rec).get(am.mapping.hubspot), am.sf_type))
        if value is None and am.sf_type == "boolean":
            return "false"  # a Salesforce checkbox is never null: an empty HubSpot checkbox means false
        return value

    @staticmethod
    def _sf_value(am: ActiveMapping, rec: dict[str, Any]) -> str | None:
        value = rec.get(am.mapping.salesforce)
        if value is not None and LEAD_PLACEHOLDERS.get(am.mapping.salesforce) == value:
            return None  # our own placeholder for a required field counts as blank
        return canonical(value, am.sf_type)

    def _to_hs_option(self, am: ActiveMapping, value: str | None) -> str | None:
        """A Salesforce value in HubSpot terms; None when HubSpot cannot hold it (unknown owner,
        picklist value that is not a HubSpot option)."""
        if value is None:
            return None
        if am.mapping.is_owner:
            return self._sf_owner_to_hs(value)
        try:
            return am.sf_to_hs(value)
        except KeyError:
            return None

    def _owner_maps(self) -> tuple[dict[str, str], dict[str, str], set[str]]:
        """(HubSpot owner id -> SF user id, SF user id -> HubSpot owner id, active SF user ids).
        OWN-2: to Salesforce only when an *active* user matches by name and email."""
        if self._owners is None:
            try:
                owners = self.hubspot.owners()
                users = list(
                    self.salesforce.query("SELECT Id, Email, FirstName, LastName, IsActive FROM User")
                )
            except SyncHttpError as exc:
                if isinstance(exc, SuspensionError | DailyLimitReached | TransientError):
                    raise
                # Owners cannot be matched: owner values are left alone this cycle (RULE-16 spirit).
                self.progress(f"owner matching unavailable: {exc}")
                owners, users = [], []
            by_email = {(u.get("Email") or "").lower(): u for u in users}
            hs_to_sf, sf_to_hs, active = {}, {}, {u["Id"] for u in users if u.get("IsActive", True)}
            for o in owners:
                u = by_email.get((o.get("email") or "").lower())
                if u is None:
                    continue
                sf_to_hs[u["Id"]] = str(o["id"])
                same_name = (o.get("firstName") or "", o.get("lastName") or "") == (
                    u.get("FirstName") or "",
                    u.get("LastName") or "",
                )
                if same_name and u["Id"] in active:
                    hs_to_sf[str(o["id"])] = u["Id"]
            self._owners = (hs_to_sf, sf_to_hs, active)
        return self._owners

    def _hs_owner_to_sf(self, hs_owner: str | None) -> str | None:
        return self._owner_maps()[0].get(hs_owner) if hs_owner else None

    def _sf_owner_to_hs(self, sf_owner: str | None) -> str | None:
        return self._owner_maps()[1].get(sf_owner) if sf_owner else None

    # ------------------------------------------------------------------ linked pairs
    def _sync_linked(self, pairs: list[_Pair], schema: Schema) -> None:
        sf_updates: dict[str, list[tuple[_Pair, dict[str, Any], dict[str, str | None]]]] = {
            "Lead": [],
            "Contact": [],
        }
        hs_updates: list[tuple[_Pair, dict[str, str], dict[str, str | None]]] = []
        default_rules = self.decide is decide_field  # an injected rule sees every field
        prepared: list[tuple[_Pair, str, list[tuple[ActiveMapping, FieldState]], set[str], dict[str, str | None], bool, list[str]]] = []
        for p in pairs:
            if (
                p.outcome
                in ("skipped", "failed", "deleted_in_hubspot", "unlinked", "relinked", "merged", "no_change")
                or p.link is None
            ):
                continue
            if p.hs is None or p.sf is None:
                p.outcome = p.outcome or "skipped"
                p.detail.setdefault("reason", "one side could not be read")
                continue
            obj = p.link.sf_object
            if obj == "Lead" and p.sf.get("IsConverted"):
                p.outcome = p.outcome or "skipped"
                p.detail.setdefault("reason", "A7: converted lead is read-only")
                continue
            states, owner_invalid = [], False
            baseline: set[str] = set()
            denied: list[str] = []
            explicit = any(t in p.trigger for t in ("TRG-14", "INC-6", "IMP-"))
            last = p.link.last_synced  # a plain dict: read once, not through the ORM per field
            baseline_new_fields = bool(last) and not explicit
            hs_at, sf_at = _hs_modified(p.hs), _sf_stamp(p.sf)  # once per pair, not per field
            sf_changed_at = sf_at if p.sf.get("SystemModstamp") else None
            equal: dict[str, str | None] = {}
            for am in schema.active.get(obj, []):
                hs_v, sf_v = self._hs_val(am, p), self._sf_value(am, p.sf)
                if am.mapping.is_owner:
                    raw = hs_v
                    hs_v = self._hs_owner_to_sf(raw)
                    owner_invalid = raw is not None and hs_v is None
                    if owner_invalid:
                        hs_v = raw  # an unmatched HubSpot owner: RULE-16 decides below
                known = am.key in last
                if not known and baseline_new_fields:
                    # RULE-9: a mapping added after this pair synced is not retroactive; but a side
                    # edited after the mapping appeared holds a "later change" and syncs.
                    since = self._mapping_first_seen.get(f"{am.key}|{am.mapping.rule.value}")
                    edited_after = since is not None and (
                        (hs_at is not None and hs_at.timestamp() >= since) or sf_at.timestamp() >= since
                    )
                    if not edited_after:
                        baseline.add(am.key)
                if (
                    default_rules
                    and hs_v == sf_v
                    and am.mapping.rule != SyncRule.DONT_SYNC
                    and am.key not in baseline
                    and not (am.mapping.is_owner and owner_invalid)
                ):
                    # Equal values: decide_field's answer is "no action, remember this value" and it
                    # is not logged, so skip building its input (most fields of most records).
                    equal[am.key] = hs_v
                    continue
                states.append(
                    (
                        am,
                        FieldState(
                            am.mapping,
                            hs_v,
                            sf_v,
                            last.get(am.key),
                            known,
                            hs_at,
                            sf_changed_at,
                        ),
                    )
                )
            prepared.append((p, obj, states, baseline, equal, owner_invalid, denied))
        self._field_change_times(prepared)
        for p, obj, states, baseline, equal, owner_invalid, denied in prepared:
            decision = PairDecision(
                [baseline_field(fs) if am.key in baseline else self.decide(fs) for am, fs in states]
            )
            sf_body: dict[str, Any] = {}
            hs_body: dict[str, str] = {}
            synced: dict[str, str | None] = dict(equal)
            fields_log = []
            for (am, fs), d in zip(states, decision.fields, strict=True):
                action, value, reason = d.action, d.value, d.reason
                if action == Action.TO_SALESFORCE and am.mapping.is_owner and owner_invalid:
                    action, value = Action.TO_HUBSPOT, fs.sf_value
                    reason = "RULE-16: HubSpot owner matches no active Salesforce user; Salesforce owner kept, HubSpot reverts"
                if action == Action.TO_SALESFORCE and not am.to_sf_allowed:
                    if am.sf_permission_denied and am.mapping.effective_rule in (
                        SyncRule.TWO_WAY,
                        SyncRule.PREFER_SALESFORCE,
                    ):
                        denied.append(am.mapping.salesforce)  # ERR-5: recorded after the other writes
                    action, reason = Action.NONE, reason + " (Salesforce field not writable)"
                if action == Action.TO_HUBSPOT and not am.to_hs_allowed:
                    action, reason = Action.NONE, reason + " (HubSpot property not writable)"
                if action == Action.TO_SALESFORCE:
                    sf_body[am.mapping.salesforce] = to_salesforce_value(value, am.sf_type)
                    if value is None and am.mapping.salesforce in LEAD_PLACEHOLDERS:
                        sf_body[am.mapping.salesforce] = LEAD_PLACEHOLDERS[am.mapping.salesforce]
                    synced[am.key] = value
                elif action == Action.TO_HUBSPOT:
                    hv = self._to_hs_option(am, value)
                    if value is not None and hv is None:
                        # remember both sides so this record does not re-trigger until one changes
                        synced[am.key] = (
                            fs.sf_value
                            if fs.hs_value == fs.sf_value
                            else {"hs": fs.hs_value, "sf": fs.sf_value}
                        )  # type: ignore[assignment]
                        reason += (
                            " (no HubSpot owner for this Salesforce user; skipped)"
                            if am.mapping.is_owner
                            else " (HubSpot property has no such option; skipped)"
                        )
                    else:
                        hs_body[am.mapping.hubspot] = to_hubspot_value(hv)
                        synced[am.key] = value
                elif d.mark_known and not (am.mapping.is_owner and owner_invalid):
                    synced[am.key] = d.synced_value
                if action != Action.NONE or "equal" not in reason:
                    fields_log.append(
                        {
                            "hubspot": am.mapping.hubspot,
                            "salesforce": am.mapping.salesforce,
                            "rule": d.rule.value,
                            "action": action.value,
                            "reason": reason,
                        }
                    )
            p.detail["fields"] = fields_log
            link_prop = LINK_PROPERTIES.get(obj)
            if (
                link_prop
                and link_prop in schema.hs_properties
                and _hs_props(p.hs).get(link_prop) != p.link.sf_id
            ):
                hs_body[link_prop] = p.link.sf_id  # CON-12
            p.detail["pending_synced"] = synced
            if denied:
                self._fail(
                    p,
                    "hubspot",
                    p.link.hs_id,
                    Category.PERMISSIONS,
                    "INSUFFICIENT_ACCESS_OR_READONLY",
                    f"Salesforce field permission: the integration user cannot edit {obj}.{', '.join(denied)}",
                )
            if sf_body:
                sf_updates[obj].append((p, sf_body, synced))
            if hs_body:
                hs_updates.append((p, hs_body, synced))
            if not sf_body and not hs_body:
                p.outcome = p.outcome or "no_change"
                if not fields_log:
                    p.detail.setdefault(
                        "reason", "TRG-4: no mapped value changed (or our own write echoed back)"
                    )
        for obj, ups in sf_updates.items():
            if ups:
                self._update_salesforce(obj, ups)
        if hs_updates:
            self._update_hubspot(hs_updates)

    def _field_change_times(
        self, prepared: list[tuple[_Pair, str, list[tuple[ActiveMapping, FieldState]], Any, Any, Any, Any]]
    ) -> None:
        """A5, best reading: where the winner depends on which side changed a field last, compare
        that field's own change time in HubSpot (its property history) with Salesforce's record time
        (SystemModstamp: Salesforce keeps no per-field time without field history tracking). Until
        here every field carries the HubSpot record's lastmodifieddate, which an edit of any other
        property moves. Only such conflicts cost a read: one batch read per 100 records."""
        need: dict[str, set[str]] = {}
        for p, _obj, states, baseline, *_ in prepared:
            for am, fs in states:
                if am.key not in baseline and times_matter(self.decide, fs):
                    need.setdefault(str(p.link.hs_id), set()).add(am.mapping.hubspot)  # type: ignore[union-attr]
        if not need:
            return
        props = sorted(set().union(*need.values()))
        got = {
            str(r["id"]): r.get("propertiesWithHistory") or {}
            for r in self.hubspot.batch_read(HS_OBJECT, list(need), ["hs_object_id"], with_history=props)
        }
        for p, _obj, states, *_ in prepared:
            hs_id = str(p.link.hs_id)  # type: ignore[union-attr]
            hist, wanted = got.get(hs_id), need.get(hs_id, set())
            if not hist:
                continue
            for i, (am, fs) in enumerate(states):
                at = _history_time(hist.get(am.mapping.hubspot)) if am.mapping.hubspot in wanted else None
                if at is not None:
                    states[i] = (am, replace(fs, hs_changed_at=at))
                    p.detail.setdefault("field_times", {})[am.mapping.hubspot] = at.isoformat()

    def _update_salesforce(
        self, obj: str, ups: list[tuple[_Pair, dict[str, Any], dict[str, str | None]]]
    ) -> None:
        try:
            results = self.salesforce.update_records(
                obj, [{"id": p.link.sf_id, **body} for p, body, _ in ups]
            )  # type: ignore[union-attr]
        except TransientError as exc:
            for p, _, _ in ups:
                self._fail(p, "salesforce", p.link.sf_id, Category.TRANSIENT, exc.code, str(exc))  # type: ignore[union-attr]
            return
        for (p, body, _), res in zip(ups, results, strict=False):
            if res.get("success"):
                p.outcome = p.outcome or "synced"
                p.detail["written_to_salesforce"] = sorted(body)
                self._report.updated_in_salesforce += 1
            else:
                err = (res.get("errors") or [{}])[0]
                code = err.get("statusCode") or err.get("errorCode")
                self._fail(
                    p,
                    "salesforce",
                    p.link.sf_id,
                    salesforce_category(code),
                    code,
                    err.get("message", "update failed"),
                )  # type: ignore[union-attr]

    def _expect_echoes(self, writes: dict[str, dict[str, str]]) -> None:
        """With webhooks on, note what we are about to write so the receiver can drop the events our
        write causes (they may arrive before this batch's links and last-synced values commit)."""
        if self.settings.hubspot.webhooks is None or not writes:
            return
        rows = [
            {"record_id": rid, "property": prop, "value": canonical(v), "at": self._ts()}
            for rid, props in writes.items()
            for prop, v in props.items()
        ]
        with self.store.session() as s:
            for part in chunks(list(writes), 500):
                s.execute(delete(ExpectedEcho).where(ExpectedEcho.record_id.in_(part)))
            s.execute(insert(ExpectedEcho.__table__), rows)

    def _update_hubspot(self, ups: list[tuple[_Pair, dict[str, str], dict[str, str | None]]]) -> None:
        parts = [ups[start : start + 100] for start in range(0, len(ups), 100)]
        self._expect_echoes({str(p.link.hs_id): props for p, props, _ in ups})  # type: ignore[union-attr]

        def send(
            part: list[tuple[_Pair, dict[str, str], dict[str, str | None]]],
        ) -> tuple[dict[str, Any] | None, SyncHttpError | None]:
            try:
                return self.hubspot.batch_update(
                    HS_OBJECT, [{"id": p.link.hs_id, "properties": props} for p, props, _ in part]  # type: ignore[union-attr]
                ), None
            except SyncHttpError as exc:
                return None, exc

        # every chunk's call first (several in flight when api.concurrency > 1), then the outcomes in order
        for part, (body, failure) in zip(parts, self.hubspot.map_chunks(send, parts), strict=True):
            try:
                if failure is not None:
                    raise failure
                errors = (body or {}).get("errors") or []
            except SyncHttpError as exc:
                if isinstance(exc, TransientError | DailyLimitReached):
                    for p, _, _ in part:
                        self._fail(p, "hubspot", p.link.hs_id, Category.TRANSIENT, exc.code, str(exc))  # type: ignore[union-attr]
                    if isinstance(exc, DailyLimitReached):
                        raise
                    continue
                if len(part) == 1:
                    p = part[0][0]
                    if exc.status == 404:  # positive evidence the HubSpot contact is gone (DEL-2)
                        self._unlink_hs_deleted(p)
                    else:
                        self._fail(
                            p,
                            "hubspot",
                            p.link.hs_id,
                            hubspot_category(exc.status, exc.code),
                            exc.code,
                            exc.message,
                        )  # type: ignore[union-attr]
                    continue
                for one in part:  # isolate the bad record: one call each
                    self._update_hubspot([one])
                continue
            bad: dict[str, dict[str, Any]] = {}
            for e in errors:
                ids = (e.get("context") or {}).get("ids") or []
                for i in ids:
                    bad[str(i)] = e
            for p, props, _ in part:
                e = bad.get(p.link.hs_id)  # type: ignore[union-attr]
                if e is None:
                    p.outcome = p.outcome or "synced"
                    p.detail["written_to_hubspot"] = sorted(props)
                    self._report.updated_in_hubspot += 1
                elif e.get("category") == "OBJECT_NOT_FOUND":
                    self._unlink_hs_deleted(p)
                else:
                    self._fail(
                        p,
                        "hubspot",
                        p.link.hs_id,
                        hubspot_category(int(e.get("status", 400) or 400), e.get("category")),
                        e.get("category"),
                        e.get("message", ""),
                    )  # type: ignore[union-attr]

    def _unlink_hs_deleted(self, p: _Pair) -> None:
        p.outcome = "unlinked"
        p.detail["reason"] = (
            "HubSpot contact no longer exists (deleted in HubSpot; DEL-2: Salesforce untouched)"
        )
        p.detail["drop_link"] = True

    def _fail(
        self, p: _Pair, system: str, record_id: str, category: Category, code: str | None, message: str
    ) -> None:
        p.failed = True
        p.outcome = "failed"
        p.detail["error"] = {
            "system": system,
            "record": record_id,
            "category": category.value,
            "code": code,
            "message": message,
        }
        self._report.errors += 1

    # ------------------------------------------------------------------ commit
    def _finish(self, pairs: list[_Pair], items: list[QueueItem]) -> None:
        """One transaction: links + last-synced values, errors, decision log, queue and intents."""
        now = self._ts()
        retry = self.settings.retry
        nosync = {"synchronize_session": False}
        with self.store.session() as s:
            failed_queue: set[int] = set()
            existing_ids = [p.link.id for p in pairs if p.link is not None and p.link.id]
            by_id = {lk.id: lk for lk in _in(s, Link, Link.id, existing_ids)} if existing_ids else {}
            new_links = [p.link for p in pairs if p.link is not None and not p.link.id]
            by_hs: dict[str, Link] = {}
            by_sf: dict[str, Link] = {}
            if new_links:
                for lk in _links_by_hs_id(s, [x.hs_id for x in new_links]):
                    by_hs[lk.hs_id] = lk
                for lk in _in(s, Link, Link.sf_id, [x.sf_id for x in new_links]):
                    by_sf[lk.sf_id] = lk
            drop: list[int] = []
            ok_ids: list[str] = []
            decisions: list[dict[str, Any]] = []
            fresh_links: list[Link] = []
            for p in pairs:
                if p.link is not None and p.detail.get("drop_link"):
                    if p.link.id:
                        drop.append(p.link.id)
                elif p.link is not None:
                    if p.link.id:
                        link = by_id.get(p.link.id)
                    else:
                        # a link made twice (e.g. crash replay): keep one row per hs_id / sf_id
                        link = by_hs.get(p.link.hs_id) or by_sf.get(p.link.sf_id)
                        if link is not None:
                            link.sf_id, link.sf_object = p.link.sf_id, p.link.sf_object
                            # a stale link taken over (CON-8 after a HubSpot deletion) changes contact
                            link.hs_id, link.email = p.link.hs_id, p.link.email
                        else:
                            link = p.link
                            fresh_links.append(link)  # inserted in bulk below
                        by_hs[link.hs_id], by_sf[link.sf_id] = link, link
                    if link is not None:
                        if not p.failed:
                            merged = dict(link.last_synced or {})
                            if link is not p.link:
                                merged.update(p.link.last_synced or {})
                            merged.update(p.detail.get("pending_synced") or {})
                            link.last_synced = merged
                        if p.sf is not None and p.sf.get("SystemModstamp"):
                            link.sf_modstamp = p.sf.get("SystemModstamp")
                        link.updated_at = now
                        p.link = link
                hs_id, sf_id = p.hs_id, p.sf_id
                if p.failed:
                    failed_queue.update(p.queue_ids)
                    self._record_error(s, p, now, retry.interval_seconds, retry.max_attempts)
                else:
                    ok_ids += [x for x in (hs_id, sf_id) if x]
                detail = {
                    k: v
                    for k, v in p.detail.items()
                    if k not in ("pending_synced", "pending_hs", "pending_sf")
                }
                decisions.append(
                    {
                        "at": now,
                        "hs_id": hs_id,
                        "sf_id": sf_id,
                        "email": (_hs_email(p.hs) if p.hs else None) or (_sf_email(p.sf) if p.sf else None),
                        "trigger": p.trigger[:200],
                        "outcome": p.outcome or "no_change",
                        "detail": _jsonable(detail),
                    }
                )
                if p.outcome == "skipped":
                    self._report.skipped += 1
            if fresh_links:  # one executemany, not an ORM unit-of-work flush per new link
                s.execute(insert(Link.__table__), [_link_row(lk) for lk in fresh_links])
            if decisions:
                s.execute(insert(Decision.__table__), decisions)  # one executemany, not an ORM object per record
            for part in chunks(drop, 500):
                s.execute(delete(Link).where(Link.id.in_(part)).execution_options(**nosync))
            hs_sources = [p.hs_id for p in pairs if p.hs_id]
            for part in chunks(hs_sources, 500):
                s.execute(delete(Intent).where(Intent.source_id.in_(part)).execution_options(**nosync))
                if self.settings.hubspot.webhooks is not None:
                    # last-synced values are committed with this transaction: from now on the
                    # receiver tells our echoes by them (a noted value would also hide a user's
                    # later edit back to it)
                    s.execute(
                        delete(ExpectedEcho).where(ExpectedEcho.record_id.in_(part)).execution_options(**nosync)
                    )
            for part in chunks(ok_ids, 500):
                s.execute(delete(SyncError).where(SyncError.record_id.in_(part)).execution_options(**nosync))
            done = [{"qid": i.id, "qat": i.enqueued_at} for i in items if i.id not in failed_queue]
            if done:
                # Compare-and-delete in one statement: a row re-queued while we worked (a webhook for
                # a newer change moved enqueued_at) stays, to be read fresh by the next drain.
                # PostgreSQL re-checks the condition on the row's latest version, so a receiver's
                # commit racing this transaction cannot slip through.
                q = QueueItem.__table__
                s.connection().execute(
                    delete(q).where(q.c.id == bindparam("qid"), q.c.enqueued_at == bindparam("qat")), done
                )
        self._report.processed += len(pairs)

    def _record_error(self, s: Any, p: _Pair, now: float, interval: int, max_attempts: int) -> None:
        err = p.detail["error"]
        row = s.scalar(
            select(SyncError).where(SyncError.system == err["system"], SyncError.record_id == err["record"])
        )
        attempts = (row.attempts + 1) if row else 1
        # ERR-7/A13: every interval up to max_attempts, then once a day.
        delay = interval if attempts < max_attempts else DAY
        message = str(err["message"])[:2000]
        if row is None:
            obj = HS_OBJECT if err["system"] == "hubspot" else (p.sf_object or "Lead")
            s.add(
                SyncError(
                    system=err["system"],
                    object_type=obj,
                    record_id=err["record"],
                    category=err["category"],
                    code=err["code"],
                    message=message,
                    attempts=1,
                    first_at=now,
                    last_at=now,
                    next_retry_at=now + delay,
                )
            )
        else:
            row.category, row.code, row.message = err["category"], err["code"], message
            row.attempts, row.last_at, row.next_retry_at = attempts, now, now + delay
        for q in s.scalars(select(QueueItem).where(QueueItem.id.in_(p.queue_ids))):
            q.attempts += 1
            q.not_before = now + delay
            q.payload = None  # a retry reads the record fresh (it may have been fixed meanwhile)

    # ------------------------------------------------------------------ import
    def _import(self, sobject: str) -> None:
        schema = self.schema
        extra = (
            " AND IsConverted = false"
            if sobject == "Lead" and "IsConverted" in schema.sf_fields.get("Lead", {})
            else ""
        )
        fields = ", ".join(schema.sf_read_fields(sobject))
        rows = self.salesforce.query(
            f"SELECT {fields} FROM {sobject} WHERE Email != null{extra} ORDER BY CreatedDate, Id"
        )
        first: dict[str, dict[str, Any]] = {}
        total = 0
        for r in rows:  # IMP-4: one HubSpot contact per email; no email = skipped by the WHERE
            total += 1
            e = _sf_email(r)
            if e and e not in first:
                first[e] = {k: v for k, v in r.items() if k != "attributes"}
        self.progress(f"import {sobject}: {total} records with email, {len(first)} distinct emails")
        recs = list(first.values())
        list_id = self._inclusion_list_id()
        for n, part in enumerate(chunks(recs, 1000)):
            with self.store.session() as s:
                linked = set(_in_scalar(s, Link.sf_id, Link.sf_id, [r["Id"] for r in part]))
                todo = [r for r in part if r["Id"] not in linked]
                # Durable first: the follow-up sync (IMP-2) is queued before anything is written.
                self.store.enqueue(
                    s,
                    "salesforce",
                    sobject,
                    {r["Id"]: ("IMP-2 import follow-up", r) for r in todo},
                    self._ts(),
                )
            pairs = [_Pair(trigger="IMP-1 Salesforce import", sf=r, sf_object=sobject) for r in todo]
            if pairs:
                self._create_in_hubspot(pairs, schema, email_only=True)  # IMP-1: only the email
            # Contacts already linked to another Salesforce record stay as they are (CON-11).
            with self.store.session() as s:
                taken = {
                    lk.hs_id: lk.sf_id for lk in _links_by_hs_id(s, [p.hs_id for p in pairs if p.link])
                }
            for p in pairs:
                if p.link is not None and taken.get(p.link.hs_id, p.link.sf_id) != p.link.sf_id:
                    p.outcome, p.link = "skipped", None
                    p.detail["reason"] = (
                        f"CON-11: HubSpot contact already syncs with {taken[str(p.hs['id'])]}"  # type: ignore[index]
                    )
            # IMP-2 in memory for brand-new contacts (their only value is the email, so no read is
            # needed); contacts that already existed are left to the queue, which reads them first.
            if list_id:
                self._capture_memberships()
            with self.store.session() as s:
                members = (
                    set(
                        _in_scalar(
                            s,
                            Membership.hs_id,
                            Membership.hs_id,
                            [p.hs_id or "" for p in pairs],
                            Membership.list_id == list_id,
                        )
                    )
                    if list_id
                    else set()
                )
                queued = {
                    q.record_id: q
                    for q in _in(
                        s,
                        QueueItem,
                        QueueItem.record_id,
                        [r["Id"] for r in todo],
                        QueueItem.system == "salesforce",
                        QueueItem.object_type == sobject,  # the unique index's columns: no scan
                    )
                }
            follow: list[_Pair] = []
            items: list[QueueItem] = []
            for p in pairs:
                q = queued.get(p.sf["Id"])  # type: ignore[index]
                if p.outcome == "skipped" and q is not None:
                    items.append(q)
                    p.queue_ids.append(q.id)
                    follow.append(p)
                    continue
                if p.link is None or q is None or p.detail.get("existing"):
                    continue
                p.trigger, p.outcome = "IMP-1 import + IMP-2 follow-up", ""
                p.queue_ids.append(q.id)
                items.append(q)
                follow.append(p)
            matched = [p for p in pairs if p.link is not None and p.detail.get("existing") and not p.outcome]
            if matched:
                # CON-5: a contact that already had the email is linked now (durably), and its IMP-2
                # follow-up stays queued; otherwise that follow-up finds no link and, with creation
                # from Salesforce off (CON-1), the imported record never syncs or links at all.
                for p in matched:
                    p.outcome = "linked"
                    p.detail["reason"] = "IMP-1: linked to the existing contact; IMP-2 follow-up queued"
                self._finish(matched, [])
            self._gate(follow, members, list_id)
            for p in follow:
                if p.outcome == "skipped" and "inclusion list" in p.detail.get("reason", ""):
                    p.detail["reason"] = (
                        "IMP-3: imported contact is outside the inclusion list; only the email was set"
                    )
            self._sync_linked(follow, schema)
            self._finish(follow, items)
            self.progress(f"import {sobject}: {min((n + 1) * 1000, len(recs))}/{len(recs)}")

    # ------------------------------------------------------------------ status / why
    def status(self) -> dict[str, Any]:
        now = self._ts()
        with self.store.session() as s:
            by_cat = dict(
                s.execute(select(SyncError.category, func.count()).group_by(SyncError.category)).all()
            )
            records = s.scalar(select(func.count()).select_from(SyncError)) or 0
            queue = s.scalar(select(func.count()).select_from(QueueItem)) or 0
            links = s.scalar(select(func.count()).select_from(Link)) or 0
            sus = self.store.get_flag(s, "suspension")
            pause = self.store.get_flag(s, "hubspot_paused")
            installed = self.store.get_flag(s, "installed")
            hooks = self.store.get_flag(s, "webhooks")
        sf_used = self.store.calls_since("salesforce", now - DAY)
        alloc = self.settings.api.allocation
        return {
            "integration_enabled": self.settings.integration_enabled,
            "installed": bool(installed),
            "api": {  # LIM-1
                "salesforce_calls_24h": sf_used,
                "hubspot_calls_24h": self.store.calls_since("hubspot", now - DAY),
                "allocation": alloc,
                "remaining": (alloc - sf_used) if alloc else None,
                "salesforce_org_limit": list(self._sf.limit_info)
                if self._sf and self._sf.limit_info
                else None,
                "retries_paused": not self._retries_allowed(),  # LIM-4
            },
            "errors": {"by_category": by_cat, "records": records},
            "suspension": sus,
            "hubspot_paused": pause,
            "queue": queue,
            "links": links,
            "inactive_default_mappings": self._schema.inactive_defaults if self._schema else None,
            # deliveries, events, queued, skipped (already captured / not used), rejected, last_*
            "webhooks": ({"configured": self.settings.hubspot.webhooks is not None, **(hooks or {})}),
        }

    def why(self, record: str, limit: int = 20) -> dict[str, Any]:
        """The decision log for a record (HubSpot id, Salesforce id or email), newest first."""
        key = record.strip()
        with self.store.session() as s:
            cond = (Decision.hs_id == key) | (Decision.sf_id == key) | (Decision.email == key.lower())
            link = s.scalar(
                select(Link).where((Link.hs_id == key) | (Link.sf_id == key) | (Link.email == key.lower()))
            )
            if link is not None:
                cond = cond | (Decision.hs_id == link.hs_id) | (Decision.sf_id == link.sf_id)
            rows = list(s.scalars(select(Decision).where(cond).order_by(Decision.id.desc()).limit(limit)))
            ids = [key] + ([link.hs_id, link.sf_id] if link else [])
            errors = list(s.scalars(select(SyncError).where(SyncError.record_id.in_(ids))))
            list_flag = self.store.get_flag(s, "inclusion_list")
            in_list = None
            if list_flag and link is not None:
                in_list = s.get(Membership, (list_flag["id"], link.hs_id)) is not None
        return {
            "record": record,
            "link": None
            if link is None
            else {
                "hubspot_id": link.hs_id,
                "salesforce_id": link.sf_id,
                "salesforce_object": link.sf_object,
                "last_synced": link.last_synced,
            },
            "in_inclusion_list": in_list,
            "errors": [
                {"category": e.category, "code": e.code, "message": e.message, "attempts": e.attempts}
                for e in errors
            ],
            "decisions": [
                {
                    "at": datetime.fromtimestamp(d.at, tz=UTC).isoformat(),
                    "hubspot_id": d.hs_id,
                    "salesforce_id": d.sf_id,
                    "trigger": d.trigger,
                    "outcome": d.outcome,
                    "detail": d.detail,
                }
                for d in rows
            ],
        }

    def errors(self, category: str | None = None) -> list[dict[str, Any]]:
        """Every current sync error (optionally one category, case-insensitive), oldest first, with
        both sides' ids where the record is linked. From the state database only: no API calls."""
        with self.store.session() as s:
            q = select(SyncError).order_by(SyncError.id)
            rows = list(s.scalars(q))
            ids = [e.record_id for e in rows]
            links = _links_by_hs_id(s, ids) + _in(s, Link, Link.sf_id, ids)
        by_hs = {lk.hs_id: lk.sf_id for lk in links}
        by_sf = {lk.sf_id: lk.hs_id for lk in links}
        out = []
        for e in rows:
            if category and e.category.lower() != category.lower():
                continue
            hs_id = e.record_id if e.system == "hubspot" else by_sf.get(e.record_id)
            sf_id = e.record_id if e.system == "salesforce" else by_hs.get(e.record_id)
            out.append(
                {
                    "system": e.system,
                    "object_type": e.object_type,
                    "record_id": e.record_id,
                    "hubspot_id": hs_id,
                    "salesforce_id": sf_id,
                    "category": e.category,
                    "code": e.code,
                    "message": e.message,
                    "attempts": e.attempts,
                    "first_at": e.first_at,
                    "last_at": e.last_at,
                    "next_retry_at": e.next_retry_at,
                }
            )
        return out

    def decisions(self, record: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """The decision log oldest first: one record's (HubSpot id, Salesforce id or email, as in
        why()) or everyone's; `limit` keeps the newest N. State database only: no API calls."""
        if record is not None:
            rows = self.why(record, limit=limit or 1_000_000)["decisions"]
            return list(reversed(rows))
        with self.store.session() as s:
            q = select(Decision).order_by(Decision.id.desc())
            if limit:
                q = q.limit(limit)
            found = list(s.scalars(q))
        return [
            {
                "at": datetime.fromtimestamp(d.at, tz=UTC).isoformat(),
                "hubspot_id": d.hs_id,
                "salesforce_id": d.sf_id,
                "email": d.email,
                "trigger": d.trigger,
                "outcome": d.outcome,
                "detail": d.detail,
            }
            for d in reversed(found)
        ]

    def resync_errors(self, category: str | None = None) -> CycleReport:
        """ERR-8: the Sync Health "Resync" of every record in error (optionally one category): each
        is queued as a manual resync (not an automatic retry, so LIM-4 does not hold it back)."""
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
        self._guard(self._drain_queue)
        return self._report

    def _resolve_record(self, record: str) -> tuple[str, str, str]:
        key = record.strip()
        if key.isdigit():
            return "hubspot", key, HS_OBJECT
        if len(key) in (15, 18) and key[:3] in ("00Q", "003"):
            return "salesforce", key, "Lead" if key.startswith("00Q") else "Contact"
        with self.store.session() as s:
            link = s.scalar(select(Link).where(Link.email == key.lower()))
        if link is not None:
            return "hubspot", link.hs_id, HS_OBJECT
        found = self.hubspot.batch_read(HS_OBJECT, [key], ["email"], id_property="email")
        if found:
            return "hubspot", str(found[0]["id"]), HS_OBJECT
        raise SettingsError(f"resync: no HubSpot contact or Salesforce lead/contact matches {record!r}")


def _history_time(entries: Any) -> datetime | None:
    """When a HubSpot property last changed: the newest timestamp in its propertiesWithHistory."""
    times = [
        dt
        for e in (entries if isinstance(entries, list) else [])
        if isinstance(e, dict) and (dt := parse_sf_datetime(str(e.get("timestamp") or ""))) is not None
    ]
    return max(times, default=None)


def _filter_properties(branch: Any) -> set[str]:
    """Every `property` named anywhere in a list's filter tree."""
    if isinstance(branch, dict):
        found = {branch["property"]} if isinstance(branch.get("property"), str) else set()
        return found.union(*(_filter_properties(v) for v in branch.values() if isinstance(v, dict | list)))
    if isinstance(branch, list):
        return set().union(*(_filter_properties(v) for v in branch))
    return set()


def _link_row(lk: Link) -> dict[str, Any]:
    return {
        "object_type": lk.object_type,
        "hs_id": lk.hs_id,
        "sf_object": lk.sf_object,
        "sf_id": lk.sf_id,
        "email": lk.email,
        "last_synced": lk.last_synced,
        "created_at": lk.created_at,
        "updated_at": lk.updated_at,
        "sf_modstamp": lk.sf_modstamp,
        "outside_list_created": bool(lk.outside_list_created),
    }


def _sf_stamp(rec: dict[str, Any] | None) -> datetime:
    return parse_sf_datetime((rec or {}).get("SystemModstamp")) or datetime.min.replace(tzinfo=UTC)


def _in(s: Any, model: Any, col: Any, values: list[Any], *extra: Any) -> list[Any]:
    out: list[Any] = []
    vals = sorted(set(values))
    for part in chunks(vals, 500):
        out.extend(s.scalars(select(model).where(col.in_(part), *extra)))
    return out


def _links_by_hs_id(s: Any, hs_ids: list[str]) -> list[Link]:
    # With the object type: the unique index is (object_type, hs_id), and a lookup by hs_id alone
    # scans the whole link table (SQLite), once per 500 ids, every batch.
    return _in(s, Link, Link.hs_id, hs_ids, Link.object_type == HS_OBJECT)


def _in_scalar(s: Any, what: Any, col: Any, values: list[str], *extra: Any) -> list[Any]:
    out: list[Any] = []
    for part in chunks(sorted(set(values)), 500):
        out.extend(s.scalars(select(what).where(col.in_(part), *extra)))
    return out


def _jsonable(value: Any) -> Any:
    try:  # the common case (plain JSON data) at C speed: this runs for every decision logged
        return orjson.loads(orjson.dumps(value))
    except (TypeError, ValueError):
        return _jsonable_slow(value)


def _jsonable_slow(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable_slow(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable_slow(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


__all__ = ["CycleReport", "SyncEngine", "soql_quote"]
