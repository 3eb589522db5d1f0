"""The world one state-machine example runs in: both fakes in-process (one sandbox per process,
reset per example, because building the Flask route tables costs far more than an example), a
"person" client acting in either app over the public APIs, and the sync engine over a SQLite
state file of its own — rebuilt from that file after an injected crash, as a restarted process
would be.

With `webhooks=True` the engine also captures HubSpot changes by webhooks, set up like
tests/integration/sync/test_webhooks.py does: `hubspot.webhooks` settings with the fake app's client
secret, the app's target URL and subscriptions (`ensure_subscriptions` with the developer key and
`engine.webhook_properties()`), and the engine's receiver reachable in-process at HOOK_URL. The
HubSpot fake delivers synchronously after each API request and retries failed deliveries on clock
advance. The world can make the receiver refuse deliveries for a while (`hook_trouble`), and every
engine it builds (after a crash or a settings change) gets a fresh receiver.

This is test tooling: it imports the simulator and the scenario package's HTTP client. The engine
(`sync/` outside `hubforce/testing`) never imports either.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import requests
from sqlalchemy import func, select

from scenarios.fakes import FakesClient
from simulator import Sandbox
from simulator.clients import SALESFORCE_PASSWORD, SALESFORCE_USERNAME
from simulator.core.clock import DEFAULT_VIRTUAL_START
from simulator.core.inprocess import SALESFORCE_LOGIN_URLS, InProcessTransport
from sync.clients.http import TRANSPORT_ERRORS
from sync.engine import CycleReport, SyncEngine
from sync.rules import FieldDecision, FieldState, decide_field
from sync.settings import Settings, WebhookSettings
from sync.state.models import LedgerEntry
from sync.webhooks import WebhookReceiver, ensure_subscriptions

_STATE_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
_SHARED: dict[str, tuple[Sandbox, InProcessTransport]] = {}

# Webhooks: the HubSpot fake's developer app (simulator/hubspot/auth.py) and where its deliveries go.
HOOK_BASE = "http://hooks.hubforce.test"
HOOK_PATH = "/hubspot/webhooks"
HOOK_URL = f"{HOOK_BASE}{HOOK_PATH}"
HOOK_APP_ID = 1_000_001
HOOK_DEV_KEY = "sandbox-developer-key"
HOOK_SECRET = "sandbox-client-secret"
# The fake gives up on a delivery after this many attempts (1 min, 2 min apart): a few receiver
# outages or long clock advances drop deliveries for good, and the search capture must catch up.
HOOK_MAX_ATTEMPTS = 3
# What a receiver "in trouble" does with a delivery: answer 503 without looking at it, not answer at
# all (connection refused), or queue it and then lose the answer (HubSpot times out and re-sends).
HOOK_TROUBLE = ("refuse", "down", "answer_lost")

Decide = Callable[[FieldState], FieldDecision]


class EngineCrashed(BaseException):  # noqa: N818 - it models a killed process, not an error
    """The engine process "died" here. A BaseException, like KeyboardInterrupt, so no `except
    Exception` inside the engine can swallow it: nothing after this point runs."""


def shared_sandbox(seed: int) -> tuple[Sandbox, InProcessTransport]:
    if "sandbox" not in _SHARED:
        sandbox = Sandbox(seed=seed)
        _SHARED["sandbox"] = (sandbox, InProcessTransport(sandbox))
    sandbox, transport = _SHARED["sandbox"]
    sandbox.reset(seed)
    sandbox.clock.set(DEFAULT_VIRTUAL_START)
    return sandbox, transport


class HookSwitch:
    """The WSGI app at HOOK_BASE (mounted once on the shared transport, which keeps its mounts for
    good): hands each delivery to the receiver of the current world's engine, or fails it the way
    the world's `hook_trouble` says. Answers the real receiver gave other than 2xx are recorded."""

    def __init__(self) -> None:
        self.world: World | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        world = self.world
        receiver = world.receiver if world is not None else None
        trouble = world.hook_trouble if world is not None else "refuse"
        if world is None or receiver is None or trouble == "refuse":
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"receiver unavailable"]
        if trouble == "down":
            raise requests.exceptions.ConnectionError("webhook receiver down (injected)")
        answer: list[Any] = []
        world.receiving += 1
        try:
            body = receiver.wsgi(environ, lambda status, headers, *_: answer.extend([status, headers]))
        finally:
            world.receiving -= 1
        status = str(answer[0])
        world.hook_deliveries += 1
        if not status.startswith("2"):
            world.hook_refusals.append(f"{status}: {b''.join(body).decode(errors='replace')[:200]}")
        if trouble == "answer_lost":
            raise requests.exceptions.ReadTimeout("webhook receiver answer lost (injected)")
        start_response(status, answer[1])
        return body


def hook_switch(transport: InProcessTransport) -> HookSwitch:
    switch = getattr(transport, "_hubforce_hook_switch", None)
    if switch is None:
        switch = HookSwitch()
        transport.mount(HOOK_BASE, switch)
        transport._hubforce_hook_switch = switch  # type: ignore[attr-defined]
    return switch


@dataclass
class CrashPlan:
    """Kill the engine at the `after`-th HTTP call it makes (the call reaches the fake and acts;
    the engine never sees the answer), or at its `after`-th state commit (rolled back)."""

    kind: str  # "transport" | "commit"
    after: int
    count: int = 0

    def tick(self) -> None:
        self.count += 1
        if self.count == self.after:
            raise EngineCrashed(f"injected crash at {self.kind} #{self.after}")

    def before_call(self) -> None:
        """Called before each HTTP call goes out (transport faults may fail it here)."""

    def after_call(self) -> None:
        """Called after each HTTP call was carried out by the fake."""
        if self.kind == "transport":
            self.tick()


def _path(url: str) -> str:
    """The path as the engine's ledger keeps it (no host, no query), decoded like the journal's."""
    rest = url.split("://", 1)[-1]
    return unquote(("/" + rest.split("/", 1)[1] if "/" in rest else "/").split("?", 1)[0])


class CrashingSession(requests.Session):
    """A requests.Session that lets the world kill the engine right after a call went out."""

    def __init__(self, world: World) -> None:
        super().__init__()
        self.trust_env = False
        self.world = world

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        plan = self.world.crash
        if plan is not None:
            try:
                plan.before_call()
            except BaseException:
                self.world.unsent[self.world.system_of(str(url))] += 1  # never reached the fake
                raise
        resp = super().request(method, url, *args, **kwargs)
        for watcher in self.world.watchers:
            watcher.on_call(str(method), str(url), kwargs, resp)
        if plan is not None:
            try:
                plan.after_call()
            except Exception:  # a transport fault: the fake acted, the engine never saw the answer
                self.world.lost.append((self.world.system_of(str(url)), str(method), _path(str(url))))
                raise
        return resp


@dataclass
class EngineRun:
    """What one engine action did: its report (None when it crashed) and its journal window."""

    report: CycleReport | None
    crashed: bool
    journal: list[dict[str, Any]] = field(default_factory=list)

    @property
    def write_calls(self) -> list[dict[str, Any]]:
        return [e for e in self.journal if is_write(e)]


def is_write(entry: dict[str, Any]) -> bool:
    """A journal entry that changes data (searches, batch reads, queries and logins do not)."""
    method, path = entry["method"], entry["path"]
    if method in ("PATCH", "PUT", "DELETE"):
        return True
    if method != "POST":
        return False
    logins = "/oauth2/" in path or "/services/Soap/" in path or "/login" in path  # SOAP/OAuth logins
    return not (path.endswith(("/search", "/batch/read", "/token")) or logins)


class World:
    def __init__(
        self,
        settings: dict[str, Any],
        seed: int = 1234,
        decide: Decide = decide_field,
        webhooks: bool = False,
        chunk_size: int | None = None,
    ) -> None:
        self.sandbox, self.transport = shared_sandbox(seed)
        self.transport.__enter__()
        self.fakes = FakesClient(self.transport.hubspot_url, self.transport.salesforce_url)
        self.webhooks = webhooks
        self.receiver: WebhookReceiver | None = None
        self.hook_trouble: str | None = None  # one of HOOK_TROUBLE while the receiver is in trouble
        self.receiving = 0  # >0 while the receiver handles a delivery (its commits are not the engine's)
        self.hook_deliveries = 0  # deliveries the receiver answered
        self.hook_refusals: list[str] = []  # ... and those it answered other than 2xx
        self.switch: HookSwitch | None = None
        if webhooks:
            self.switch = hook_switch(self.transport)
            self.switch.world = self
            self.fakes.control("PATCH", "/settings", json={"hubspot": {"webhook_max_attempts": HOOK_MAX_ATTEMPTS}})
        self.workdir = Path(tempfile.mkdtemp(prefix="hubforce-machine-", dir=_STATE_DIR))
        self.state_url = f"sqlite:///{self.workdir / 'state.db'}"
        self.decide = decide
        self.crash: CrashPlan | None = None
        self.ledger_mark = 0
        self.settings_dict = settings
        self.chunk_size = chunk_size
        self.watchers: list[Any] = []  # see hubforce.testing.flicker.FlickerWatch
        # calls failed before they were sent (transport faults): in the ledger, not in the journal
        self.unsent: Counter[str] = Counter()
        # calls whose answer a transport fault took: status 0 in the ledger, the real one in the journal
        self.lost: list[tuple[str, str, str]] = []
        self.engine = self._build()
        self.restarts = 0

    # --- engine lifecycle ---------------------------------------------------------------------
    def connection_settings(self) -> dict[str, Any]:
        return {
            "hubspot": {"url": self.transport.hubspot_url, "token": "pat-local-sandbox"},
            # a login, not a fixed session id: the engine can log in again after an expiry
            "salesforce": {
                "username": SALESFORCE_USERNAME,
                "password": SALESFORCE_PASSWORD,
                "login_url": SALESFORCE_LOGIN_URLS[0],
            },
        }

    def _build(self) -> SyncEngine:
        settings = Settings.from_dict({**self.settings_dict, **self.connection_settings()})
        if self.webhooks:
            settings.hubspot.webhooks = WebhookSettings(
                client_secret=HOOK_SECRET, path=HOOK_PATH, drain_interval_seconds=5
            )
        engine = SyncEngine(
            settings,
            state_url=self.state_url,
            hubspot_session=CrashingSession(self),
            salesforce_session=CrashingSession(self),
            sleep=self.sleep,
            now=self.sandbox.clock.now,
            decide=self.decide,
            **({"chunk_size": self.chunk_size} if self.chunk_size else {}),
        )
        self._arm_commit_crash(engine)
        # a new process: its receiver takes the deliveries from now on (the dead one's is gone)
        self.receiver = engine.webhook_receiver() if self.webhooks else None
        return engine

    def subscribe_webhooks(self) -> dict[str, Any]:
        """What an admin does after configuring (or changing) the settings: point the app's webhooks
        at the receiver and subscribe the events the engine wants (`sync webhooks-subscribe`). The
        engine's schema and list reads count as an engine action (ledger == journal)."""
        props: list[str] = []

        def properties(engine: SyncEngine) -> CycleReport:
            props.extend(engine.webhook_properties())
            with engine.store.session():
                pass  # flush the ledger rows of those reads
            return CycleReport(kind="subscribe")

        run = self.run(properties)
        assert not run.crashed and props, f"webhook_properties() failed: {run}"
        return ensure_subscriptions(
            self.fakes.http, self.transport.hubspot_url, HOOK_APP_ID, HOOK_DEV_KEY, HOOK_URL, props
        )

    def _arm_commit_crash(self, engine: SyncEngine) -> None:
        store = engine.store
        original = store.session
        world = self

        @contextmanager
        def session() -> Iterator[Any]:
            with original() as s:
                yield s
                plan = world.crash
                # the receiver's commits are not counted: it answers HubSpot, whose retries would
                # outlive the engine action the crash is aimed at
                if plan is not None and plan.kind == "commit" and not world.receiving:
                    plan.tick()  # raising here rolls the transaction back: the commit never happened

        store.session = session  # type: ignore[method-assign]

    def restart(self, settings: dict[str, Any] | None = None) -> None:
        """A new engine process on the same state database (after a crash or a settings change)."""
        self.engine.close()
        if settings is not None:
            self.settings_dict = settings
        self.engine = self._build()
        self.restarts += 1

    def close(self) -> None:
        try:
            if self.switch is not None and self.switch.world is self:
                self.switch.world = None
            self.receiver = None
            self.engine.close()
        finally:
            self.transport.__exit__(None, None, None)
            shutil.rmtree(self.workdir, ignore_errors=True)

    def system_of(self, url: str) -> str:
        return "hubspot" if url.startswith(self.transport.hubspot_url) else "salesforce"

    def sleep(self, seconds: float) -> None:
        """The engine's sleep moves the virtual clock instead of waiting."""
        self.fakes.advance_clock(max(0.0, float(seconds)))

    def advance(self, seconds: float) -> None:
        self.fakes.advance_clock(seconds)

    # --- running the engine -------------------------------------------------------------------
    def run(self, action: Callable[[SyncEngine], CycleReport]) -> EngineRun:
        """Run one engine action; a crash restarts the engine from its state. Afterwards the API
        ledger the engine kept must match the fakes' journal of the same window call for call
        (after a crash the calls still buffered in the dead process are lost, so the ledger may
        only lack calls then, never invent any)."""
        start = self.fakes.journal_last_seq()
        for watcher in self.watchers:
            watcher.on_action(self, start)
        report: CycleReport | None = None
        crashed = False
        try:
            report = action(self.engine)
        except EngineCrashed:
            crashed = True
        except TRANSPORT_ERRORS as exc:  # the engine must retry or reconcile, never let one out
            raise AssertionError(f"a transport failure escaped the engine: {type(exc).__name__}: {exc}") from exc
        finally:
            self.crash = None
        journal = self.fakes.journal(since=start)
        for watcher in self.watchers:
            watcher.on_action_end(self, journal, crashed)
        if crashed:
            self.restart()
        self._check_ledger(journal, crashed)
        return EngineRun(report, crashed, journal)

    def _check_ledger(self, journal: list[dict[str, Any]], crashed: bool) -> None:
        with self.engine.store._sessions() as s:  # read-only look at the engine's own ledger
            rows = list(s.scalars(select(LedgerEntry).where(LedgerEntry.id > self.ledger_mark)))
            top = s.scalar(select(func.max(LedgerEntry.id)))
        self.ledger_mark = max(self.ledger_mark, int(top or 0))
        # the ledger keeps the URL as sent (percent-encoded), the journal the decoded WSGI path
        ledger = Counter((r.system, r.method, unquote(r.path), r.status) for r in rows)
        seen = Counter((e["service"], e["method"], unquote(e["path"]), e["status"]) for e in journal)
        unsent, self.unsent = self.unsent, Counter()
        lost, self.lost = self.lost, []
        for system, method, path in lost:
            answered = [k for k in seen - ledger if k[:3] == (system, method, path)]
            if ledger[(system, method, path, 0)] > seen[(system, method, path, 0)] and answered:
                ledger[(system, method, path, 0)] -= 1
                ledger[answered[0]] += 1
        for key in sorted(ledger - seen):  # an attempt that failed before it was sent has status 0
            while key[3] == 0 and unsent[key[0]] > 0 and ledger[key] > seen[key]:
                ledger[key] -= 1
                unsent[key[0]] -= 1
        ledger = +ledger
        if crashed:
            extra = ledger - seen
            assert not extra, f"API ledger records calls the fakes never saw: {dict(extra)}"
        else:
            assert ledger == seen, (
                "API ledger does not match the fakes' journal: "
                f"only in ledger {dict(ledger - seen)}, only in journal {dict(seen - ledger)}"
            )


def count_by(items: list[str]) -> dict[str, int]:
    return dict(Counter(items))
