"""The per-run context every stage shares: settings, clients, schema, state store, report."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import requests

from sync.clients.hubspot import HubSpotClient
from sync.clients.salesforce import SalesforceClient
from sync.errors import (
    Category,
)
from sync.objects import OBJECT_TYPES
from sync.objects.base import ObjectType
from sync.pipeline.pair import Pair
from sync.report import CycleReport
from sync.rules import (
    FieldDecision,
    FieldState,
    decide_field,
)
from sync.schema import Schema, build_schema
from sync.settings import ObjectSettings, Settings, SettingsError
from sync.state.store import StateStore

DAY = 86400.0
# The report's `stopped` after request_stop(): what was in flight was finished and committed.
STOPPED = "stopped on request: the work in flight was finished and committed"
# What the engine holds for the active object type only; switched with it (EngineContext.active).
PER_OBJECT = ("_schema", "_members", "_list_id", "_mapping_first_seen", "_memberships_fresh")


class EngineContext:
    """The state every stage shares for one engine: settings, the object-type descriptor, the
    clients, the schema, the state store and the report of the operation in progress. The stages
    (sync/pipeline/*.py) are mixins over it; SyncEngine (sync/engine.py) combines them."""

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
        chunk_size: int = 1000,
        object_types: tuple[ObjectType, ...] = OBJECT_TYPES,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.settings = settings
        # Every pair the engine can sync, in dependency order; the first is the base (contacts).
        self.object_types = object_types
        # The pair the stages work on now: operations switch it with `active(obj)`.
        self.object_type = object_types[0]
        self._placeholders = self.object_type.placeholders  # read per field per record: computed once
        self._stash: dict[str, dict[str, Any]] = {}  # the PER_OBJECT values of the inactive pairs
        # What a descriptor's hooks keep for one operation (e.g. the deal pipelines), by their own keys.
        self.object_state: dict[str, Any] = {}
        self.chunk_size = chunk_size  # queue items processed per chunk (one transaction each)
        self._stop = threading.Event()  # request_stop(): checked between chunks and cycles
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
        # record id -> when this drain committed its processing of it (RunStage._stale_payload)
        self._touched: dict[str, float] = {}

    @property
    def object_settings(self) -> ObjectSettings:
        """This object type's settings section (toggles, inclusion list, deletion, mappings)."""
        return self.object_type.settings_of(self.settings)

    def enabled_objects(self) -> list[ObjectType]:
        """The pairs switched on in settings, in dependency order."""
        return [o for o in self.object_types if o.settings_of(self.settings).enabled]

    def object_named(self, name: str) -> ObjectType:
        """The pair whose settings section (or HubSpot object) is `name`."""
        for o in self.object_types:
            if name in (o.name, o.hs_object):
                return o
        raise SettingsError(f"unknown object type {name!r} (known: {', '.join(o.name for o in self.object_types)})")

    def enabled_object(self, name: str) -> ObjectType:
        """The pair named `name`; a clear error when its sync is off."""
        pair = self.object_named(name)
        if pair not in self.enabled_objects():
            raise SettingsError(f"{pair.name}.enabled: {pair.schema_names.hs_label} sync is off; turn it on first")
        return pair

    @contextmanager
    def active(self, obj: ObjectType) -> Iterator[None]:
        """Make `obj` the pair the stages work on (its descriptor, settings, schema, inclusion list,
        mapping times) until the block ends; the clients, pacing, store and report are shared."""
        prev = self.object_type
        if obj is prev:
            yield
            return
        self._switch(prev, obj)
        try:
            yield
        finally:
            self._switch(obj, prev)

    def _switch(self, old: ObjectType, new: ObjectType) -> None:
        self._stash[old.name] = {k: getattr(self, k) for k in PER_OBJECT}
        saved = self._stash.pop(new.name, None)
        fresh: dict[str, Any] = {
            "_schema": None, "_members": set(), "_list_id": None, "_mapping_first_seen": {}, "_memberships_fresh": False
        }
        for k, v in (saved or fresh).items():
            setattr(self, k, v)
        self.object_type = new
        self._placeholders = new.placeholders

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
            "pacing": a.pacing,
            "clock": self._ts,  # the pacing waits on the engine's clock (virtual in tests)
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
            if self.object_type.before_schema is not None:
                self.object_type.before_schema(self)  # e.g. the deal pipelines, whose stages are options
            props = self.hubspot.properties(self.object_type.hs_object)
            describes = {obj: self.salesforce.describe(obj) for obj in self.object_type.sf_objects}
            self._schema = build_schema(
                self.object_settings.mappings, props, describes, self.object_type.schema_names
            )
        return self._schema

    def _inclusion_list_id(self) -> str | None:
        """Implements: INC-1"""
        name = self.object_settings.inclusion_list
        if not name:
            return None
        with self.store.session() as s:
            cached = self.store.get_flag(s, self.object_type.flag("inclusion_list"))
        if cached and cached.get("name") == name:
            return str(cached["id"])
        lst = self.hubspot.get_list(name, self.object_type.hs_type_id)
        if lst is None:
            raise SettingsError(f"{self.object_type.name}.inclusion_list: no HubSpot list named or numbered {name!r}")
        ptype = str(lst.get("processingType", "")).upper()
        if ptype != "DYNAMIC":
            # INC-1: only active (DYNAMIC) lists qualify, membership must update itself.
            raise SettingsError(
                f"{self.object_type.name}.inclusion_list: list {lst.get('name')!r} (id {lst.get('listId')}) is a {ptype} list; "
                "only an active (DYNAMIC) list can be the inclusion list (INC-1)"
            )
        with self.store.session() as s:
            self.store.set_flag(s, self.object_type.flag("inclusion_list"), {"name": name, "id": str(lst.get("listId"))})
        return str(lst.get("listId"))

    def _forget_schema(self) -> None:
        """Every operation re-reads describe / properties / owners: a mapped field may have changed,
        or an admin may just have fixed a permission before a manual resync (ERR-8). validate() run
        right before counts as this operation's read."""
        if not self._schema_fresh:
            self._schema = None
            for stash in self._stash.values():
                stash["_schema"] = None
        self._schema_fresh = False
        self._owners = None

    def _note_mapping_times(self, schema: Schema) -> None:
        """When each mapping was first active (RULE-9: changes after that moment sync).

        Implements: RULE-9"""
        with self.store.session() as s:
            seen = self.store.get_flag(s, self.object_type.flag("mapping_first_seen")) or {}
            # keyed with the rule: switching "don't sync" to a syncing rule is a new mapping
            keys = {f"{am.key}|{am.mapping.rule.value}" for ams in schema.active.values() for am in ams}
            new = {k: self._ts() for k in keys if k not in seen}
            if new:
                self.store.set_flag(s, self.object_type.flag("mapping_first_seen"), {**seen, **new})
            self._mapping_first_seen = {**seen, **new}

    def _fail(
        self, p: Pair, system: str, record_id: str, category: Category, code: str | None, message: str
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
