"""The world one scenario runs in: a fresh sandbox (seeded), the in-process transport, a client for
the fakes' public APIs, the record handles named with `as:`, the sync engine (fresh SQLite state),
a seeded Faker, and the bookkeeping that lets expectations tell the engine's API calls apart from
the scenario's own (the journal windows of engine steps)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faker import Faker

from scenarios import wiretap
from scenarios.engine_adapter import EngineAdapter, EngineStopped, EngineUnavailable
from scenarios.fakes import FakesClient
from scenarios.wiretap import Call, is_write
from simulator import Sandbox
from simulator.clients import SALESFORCE_PASSWORD, SALESFORCE_USERNAME
from simulator.core.clock import DEFAULT_VIRTUAL_START
from simulator.core.inprocess import SALESFORCE_LOGIN_URLS, InProcessTransport

# The integration is installed this long after the `given` records exist, so "existing records"
# (TRG-15) are strictly older than the installation.
INSTALL_DELAY_SECONDS = 60


# The engine's SQLite state goes to a RAM-backed folder when there is one: a commit on disk waits
# for fsync, and a scenario commits dozens of times.
_STATE_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None

# One sandbox (and its two Flask apps) per process, reset for every scenario: building the apps'
# route tables costs far more than a whole scenario, while a reset gives the same fresh, seeded
# state as a new sandbox (stores, journal, faults, settings, ids) and the clock is put back.
_SHARED: dict[str, tuple[Sandbox, InProcessTransport]] = {}

# `given.webhooks: true`: the HubSpot app's webhooks point here, and this host is mounted on the
# (shared) transport once; it forwards each delivery to the current world's engine receiver.
WEBHOOK_BASE = "http://engine-webhooks.hubforce.test"
WEBHOOK_URL = f"{WEBHOOK_BASE}/hubspot/webhooks"
WEBHOOK_APP_ID = 1_000_001  # the HubSpot fake's app (simulator/hubspot/auth.py)
WEBHOOK_SECRET = "sandbox-client-secret"
WEBHOOK_DEVELOPER_KEY = "sandbox-developer-key"
_RECEIVING: dict[str, Any] = {"world": None}


def _webhook_dispatch(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    world = _RECEIVING["world"]
    engine = getattr(world, "_engine", None)
    if engine is None:
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"no engine is receiving webhooks"]
    return list(engine.engine.webhook_receiver().wsgi(environ, start_response))


def _sandbox_for(seed: int) -> tuple[Sandbox, InProcessTransport]:
    if "sandbox" not in _SHARED:
        sandbox = Sandbox(seed=seed)
        transport = InProcessTransport(sandbox)
        transport.mount(WEBHOOK_BASE, _webhook_dispatch)
        wiretap.install(transport.apps, lambda: sandbox.journal.last_seq)
        _SHARED["sandbox"] = (sandbox, transport)
    sandbox, transport = _SHARED["sandbox"]
    sandbox.reset(seed)
    sandbox.clock.set(DEFAULT_VIRTUAL_START)
    return sandbox, transport


class StepError(Exception):
    """A step or expectation that cannot be carried out (bad reference, API refused...)."""


@dataclass
class Handle:
    name: str
    system: str  # "hubspot" | "salesforce"
    sobject: str  # "contact" for HubSpot; Lead/Contact/Account for Salesforce
    id: str
    email: str | None = None

    def describe(self) -> str:
        return f"{self.name} ({self.system} {self.sobject} {self.id})"


@dataclass
class World:
    seed: int
    sandbox: Sandbox
    transport: InProcessTransport
    fakes: FakesClient
    workdir: Path
    handles: dict[str, Handle] = field(default_factory=dict)
    marks: dict[str, int] = field(default_factory=dict)
    engine_windows: list[tuple[int, int]] = field(default_factory=list)
    given_snapshot: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    mismatches: list[Any] = field(default_factory=list)  # from `check` steps inside `when`
    groups: dict[str, list[Handle]] = field(default_factory=dict)  # `as:` of given.generate
    calls: list[Call] = field(default_factory=list)  # the engine's requests during engine steps
    # Armed by `sync.during` / `engine.stop`: what happens at a given engine request of the next
    # engine step (a person's edit first; the engine stopped after a write or before a commit).
    request_hooks: list[Any] = field(default_factory=list)
    stop_plan: Any = None
    stops: int = 0
    pending_checks: list[Any] = field(default_factory=list)  # did the armed hooks/stops happen?
    _in_engine: bool = False
    _engine: EngineAdapter | None = None
    _engine_error: str | None = None
    _faker: Faker | None = None

    # --- lifecycle --------------------------------------------------------------------------
    @classmethod
    def open(cls, seed: int) -> World:
        sandbox, transport = _sandbox_for(seed)
        transport.__enter__()
        workdir = Path(tempfile.mkdtemp(prefix="hubforce-scenario-", dir=_STATE_DIR))
        world = cls(
            seed=seed,
            sandbox=sandbox,
            transport=transport,
            fakes=FakesClient(transport.hubspot_url, transport.salesforce_url),
            workdir=workdir,
        )
        wiretap.WireTap.current = world
        return world

    def close(self) -> None:
        try:
            if wiretap.WireTap.current is self:
                wiretap.WireTap.current = None
            if _RECEIVING["world"] is self:
                _RECEIVING["world"] = None
            if self._engine is not None:
                self._engine.close()
        finally:
            self.transport.__exit__(None, None, None)
            for p in sorted(self.workdir.rglob("*"), reverse=True):
                p.unlink(missing_ok=True) if p.is_file() else p.rmdir()
            self.workdir.rmdir()

    @property
    def faker(self) -> Faker:
        """Made on first use (most scenarios have no `$fake.` value, and a Faker costs more to
        build than a short scenario costs to run); seeded then, so the values are the same."""
        if self._faker is None:
            self._faker = Faker()
            self._faker.seed_instance(self.seed)
        return self._faker

    # --- the engine -------------------------------------------------------------------------
    def connection_settings(self) -> dict[str, Any]:
        return {
            "hubspot": {"url": self.transport.hubspot_url, "token": "pat-local-sandbox"},
            # A login (not a fixed session id), so the engine can log in again when a session expires.
            "salesforce": {
                "username": SALESFORCE_USERNAME,
                "password": SALESFORCE_PASSWORD,
                "login_url": SALESFORCE_LOGIN_URLS[0],
            },
        }

    def install_engine(self, settings: dict[str, Any], webhooks: bool = False) -> None:
        """Install the integration. An engine that cannot start is remembered, not raised: steps
        and expectations that only touch the fakes still run; the first engine step reports it.
        webhooks: the engine receives HubSpot webhooks too, subscribed as `sync webhooks-subscribe`
        does it (lifecycle events, the properties it reads and the inclusion list's filter ones)."""
        self.settings = {**settings, **self.connection_settings()}
        if webhooks:
            self.settings["hubspot"]["webhooks"] = {"client_secret": WEBHOOK_SECRET}
        try:
            engine = EngineAdapter(
                self.settings,
                f"sqlite:///{self.workdir / 'sync-state.db'}",
                self.sleep,
                self.sandbox.clock.now,
                before_commit=self._before_commit,
            )
            if webhooks:
                engine.subscribe_webhooks(WEBHOOK_APP_ID, WEBHOOK_DEVELOPER_KEY, WEBHOOK_URL)
                _RECEIVING["world"] = self
            engine.install()
            self._engine = engine
        except EngineUnavailable as exc:
            self._engine_error = str(exc)
        except ValueError as exc:  # SettingsError: a bad key, or a static inclusion list (INC-1)
            raise StepError(f"the integration refused the settings: {exc}") from None
        except Exception as exc:  # e.g. an API the engine reads at start is missing from a fake
            self._engine_error = f"the sync engine could not start: {type(exc).__name__}: {exc}"

    @property
    def engine(self) -> EngineAdapter:
        if self._engine is None:
            raise StepError(self._engine_error or "the sync engine is not installed")
        return self._engine

    def sleep(self, seconds: float) -> None:
        """The engine's sleep: moves the virtual clock instead of waiting."""
        self.fakes.advance_clock(max(0.0, float(seconds)))

    def engine_call(self, fn: Any, *args: Any) -> Any:
        """Run an engine action, keeping its requests (the wire tap records them). An engine
        stopped by `engine.stop` is restarted on the same state, as a process manager would."""
        start = self.sandbox.journal.last_seq
        self._in_engine = True
        try:
            return fn(*args)
        except EngineStopped:
            self.stops += 1
            self._in_engine, self.stop_plan = False, None  # the new process starts unarmed
            self.engine.restart()
            return None
        finally:
            self._in_engine = False
            self.request_hooks.clear()  # armed for one engine step only
            self.stop_plan = None
            self.engine_windows.append((start, self.sandbox.journal.last_seq))
            problems = [p for p in (check() for check in self.pending_checks) if p]
            self.pending_checks.clear()
            if problems:
                raise StepError("; ".join(problems))

    def engine_ran_since(self, since: int) -> bool:
        return any(lo >= since for lo, _ in self.engine_windows)

    def engine_entries(self, since: int = 0) -> list[Call]:
        return [c for c in self.calls if c.seq > since]

    def _before_commit(self) -> None:
        if self._in_engine and self.stop_plan is not None:
            self.stop_plan.before_commit()

    # --- the wire tap's callbacks (scenarios/wiretap.py) ------------------------------------
    def before_engine_request(self, call: Call) -> None:
        if not self._in_engine:
            return
        if self.stop_plan is not None and self.stop_plan.stopped:
            raise EngineStopped("a stopped engine makes no requests")
        self.calls.append(call)
        for hook in list(self.request_hooks):
            if hook.matches(call):
                self.request_hooks.remove(hook)
                hook.run(self)

    def after_engine_request(self, call: Call) -> None:
        plan = self.stop_plan
        if not self._in_engine or plan is None:
            return
        if is_write(call):
            plan.saw_write()


    # --- handles ----------------------------------------------------------------------------
    def name(self, handle: Handle) -> None:
        self.handles[handle.name] = handle

    def handle(self, name: str, system: str | None = None) -> Handle:
        h = self.handles.get(name)
        if h is None:
            raise StepError(f"no record handle {name!r}")
        if system and h.system != system:
            raise StepError(f"handle {name!r} is a {h.system} record, not {system}")
        return h

    def hubspot_id(self, args: dict[str, Any]) -> str:
        if "ref" in args:
            return self.handle(args["ref"], "hubspot").id
        if "id" in args:
            return str(args["id"])
        found = self.fakes.hs_find_by_email(args["email"], properties=["email"])
        if not found:
            raise StepError(f"no HubSpot contact with email {args['email']}")
        return str(found[0]["id"])

    def salesforce_target(self, args: dict[str, Any], sobject: str | None = None) -> tuple[str, str]:
        """(sobject, id) from ref / id (+ sobject) / email (+ sobject, else Lead then Contact)."""
        if "ref" in args:
            h = self.handle(args["ref"], "salesforce")
            return h.sobject, h.id
        sobject = args.get("sobject") or sobject
        if "id" in args:
            if not sobject:
                raise StepError("give sobject: with id:")
            return sobject, str(args["id"])
        for candidate in [sobject] if sobject else ["Lead", "Contact"]:
            found = self.fakes.sf_find_by_email(candidate, args["email"])
            if found:
                return candidate, str(found[0]["Id"])
        raise StepError(f"no Salesforce {sobject or 'lead or contact'} with email {args['email']}")

    # --- values -----------------------------------------------------------------------------
    def fill(self, values: dict[str, Any]) -> dict[str, Any]:
        """Field values for a write, with `$...` references resolved (see `resolve`)."""
        return {k: self.resolve(v, k) for k, v in values.items()}

    def resolve(self, value: Any, what: str = "value") -> Any:
        """`$fake.<provider>`: a seeded Faker value. `$id:<handle>`: that record's id.
        `$hubspot_owner:<email>` / `$salesforce_user:<email>`: the owner/user id with that email,
        looked up through the owners API / SOQL (ids are generated, emails are not);
        `$hubspot_owner:#N` is the portal's Nth owner."""
        if not isinstance(value, str) or not value.startswith("$"):
            return value
        kind, _, arg = value[1:].partition(":")
        if kind.startswith("fake."):
            fn = getattr(self.faker, kind.removeprefix("fake."), None)
            if not callable(fn):
                raise StepError(f"{what}: no Faker provider {kind.removeprefix('fake.')!r}")
            return fn()
        if kind == "id":
            return self.handle(arg).id
        if kind == "hubspot_owner":
            owners = list(
                self.fakes.hs("GET", "/crm/v3/owners/", params={"limit": 100}).json().get("results", [])
            )
            if arg.startswith("#"):  # the Nth owner of the portal (1-based), e.g. one with no Salesforce user
                n = int(arg[1:]) if arg[1:].isdigit() else 0
                if not 1 <= n <= len(owners):
                    raise StepError(f"{what}: the portal has {len(owners)} owners, not {arg}")
                return str(owners[n - 1]["id"])
            found = [o for o in owners if str(o.get("email", "")).lower() == arg.lower()]
            if not found:
                raise StepError(f"{what}: no HubSpot owner with email {arg}")
            return str(found[0]["id"])
        if kind == "salesforce_user":
            escaped = arg.replace("'", "\\'")
            rows = self.fakes.sf_query(f"SELECT Id FROM User WHERE Email = '{escaped}'")
            if not rows:
                raise StepError(f"{what}: no Salesforce user with email {arg}")
            return str(rows[0]["Id"])
        raise StepError(
            f"{what}: unknown reference {value!r} (use $id:, $hubspot_owner:, $salesforce_user: or $fake.)"
        )

    def snapshot_handles(self) -> None:
        """Record every named record as it is at the end of `given` (for `unchanged`)."""
        for h in self.handles.values():
            record = self.read(h)
            if record is not None:
                self.given_snapshot[(h.system, h.id)] = record

    def read(self, h: Handle) -> dict[str, Any] | None:
        """Field values of a record (HubSpot: properties; Salesforce: fields), None if gone."""
        if h.system == "hubspot":
            rec = self.fakes.hs_get_record("companies" if h.sobject == "company" else "contacts", h.id)
            return None if rec is None else dict(rec.get("properties") or {})
        rec = self.fakes.sf_get(h.sobject, h.id)
        return None if rec is None else {k: v for k, v in rec.items() if k != "attributes"}
