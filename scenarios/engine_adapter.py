"""The one place that knows the sync engine's programmatic API. Steps and expectations call this
adapter; if the engine's API changes, only this file changes.

The engine talks to the fakes over HTTP with `requests` (routed in-process by the transport), keeps
its state in a SQLite file of the scenario's own, and sleeps through the injected `sleep`, which
advances the sandbox's virtual clock instead of waiting."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class EngineUnavailable(RuntimeError):
    """The sync engine cannot be imported or started (the message says why)."""


class EngineStopped(BaseException):  # noqa: N818 - it models a stopped process, not an error
    """`engine.stop`: the engine process stops here. A BaseException, like KeyboardInterrupt, so
    no `except Exception` inside the engine can swallow it and nothing after this point runs."""


# How the adapter makes an engine: (settings, state_url=, sleep=, now=) -> an object with
# SyncEngine's API. The real engine unless a test swaps in a double (`use_engine`), e.g. the
# do-nothing engine every scenario must fail against (tests/unit/scenarios/test_no_vacuous_pass.py).
EngineFactory = Callable[..., Any]
_FACTORY: list[EngineFactory | None] = [None]


@contextmanager
def use_engine(factory: EngineFactory) -> Iterator[None]:
    """Run scenarios against another engine (a test double) for the duration of the block."""
    before = _FACTORY[0]
    _FACTORY[0] = factory
    try:
        yield
    finally:
        _FACTORY[0] = before


def _real_engine() -> EngineFactory:
    try:
        from sync.engine import SyncEngine
    except ImportError as exc:
        raise EngineUnavailable(f"the sync engine cannot be imported: {exc}") from exc
    return SyncEngine


@dataclass
class LinkView:
    hubspot_id: str | None
    salesforce_id: str | None
    sobject: str | None


@dataclass
class ErrorView:
    category: str
    hubspot_id: str | None
    salesforce_id: str | None
    message: str


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    """First present attribute or key among `names` (the engine returns dataclasses or dicts)."""
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if not isinstance(obj, dict) and hasattr(obj, name):
            return getattr(obj, name)
    return default


def _as_text(value: Any) -> str | None:
    return None if value is None else str(value)


class EngineAdapter:
    def __init__(
        self,
        settings: dict[str, Any],
        state_url: str,
        sleep: Callable[[float], None],
        now: Callable[[], datetime],
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        self.settings_dict = settings
        self.state_url = state_url
        self.sleep = sleep
        self.now = now
        self.before_commit = before_commit
        self.engine: Any = self._build(settings)

    # --- lifecycle --------------------------------------------------------------------------
    def _build(self, settings_dict: dict[str, Any]) -> Any:
        """A SyncEngine over this scenario's state, validated (INC-1: a static inclusion list is
        refused here with SettingsError, a ValueError)."""
        factory = _FACTORY[0] or _real_engine()
        try:
            from sync.settings import Settings
        except ImportError as exc:
            raise EngineUnavailable(f"the sync engine cannot be imported: {exc}") from exc
        settings = Settings.from_dict(settings_dict)  # SettingsError is a ValueError: names the key
        engine = factory(settings, state_url=self.state_url, sleep=self.sleep, now=self.now)
        try:
            engine.validate()
        except BaseException:
            engine.store.dispose()
            raise
        self._hook_commits(engine)
        return engine

    def _hook_commits(self, engine: Any) -> None:
        """`engine.stop: {at: before_commit}` stops the engine as it is about to commit its state:
        raising inside the state transaction rolls it back, so the commit never happened."""
        hook = self.before_commit
        if hook is None:
            return
        original = engine.store.session

        @contextmanager
        def session() -> Iterator[Any]:
            with original() as s:
                yield s
                hook()

        engine.store.session = session

    def restart(self) -> None:
        """A new engine process on the same state database and settings (after `engine.stop`).
        The stopped one only lets go of its database connections: a process that died flushes
        nothing."""
        self.engine.store.dispose()
        self.engine = self._build(self.settings_dict)

    def install(self) -> None:
        """Installation happens on the engine's first cycle (TRG-15: it bookmarks the records that
        already exist); run it now so "installed" means installed, whatever exists at that moment."""
        self.engine.run_cycle()

    def subscribe_webhooks(self, app_id: int, developer_key: str, target_url: str) -> None:
        import requests

        from sync.webhooks import ensure_subscriptions

        ensure_subscriptions(
            requests.Session(),
            self.engine.settings.hubspot.url,
            app_id,
            developer_key,
            target_url,
            self.engine.webhook_properties(),
        )

    def update_settings(self, changes: dict[str, Any]) -> None:
        """A settings change = the same integration (same state database) restarted with the new
        settings. If the engine refuses them, the old settings stay in force."""
        new = deep_merge(self.settings_dict, changes)
        engine = self._build(new)
        self.close()
        self.engine, self.settings_dict = engine, new
        # Switching an object's sync on is an action in the integration: it bookmarks then, not at
        # the next cycle, so records created in between are new records (CMP-1, DEAL-3).
        bookmark = getattr(engine, "bookmark_switched_on", None)
        if callable(bookmark):
            bookmark()

    def close(self) -> None:
        close = getattr(self.engine, "close", None)
        if callable(close):
            close()

    # --- actions ----------------------------------------------------------------------------
    def run_cycle(self) -> Any:
        return self.engine.run_cycle()

    def drain(self) -> Any:
        """Process what HubSpot webhooks queued since the last look, without polling."""
        return self.engine.process_queue()

    def resync_record(self, record: str) -> Any:
        return self.engine.resync_record(record)

    def resync_company(self, record: str) -> Any:
        """The Sync button of a HubSpot company (TRG-14; CMP-5)."""
        return self.engine.resync_record(record, "companies")

    def resync_all(self, object_name: str) -> Any:
        return self.engine.resync_all(object_name)

    def resync_list(self, list_ref: str) -> Any:
        return self.engine.resync_list(list_ref)

    def import_salesforce(self, sobject: str) -> Any:
        return self.engine.import_salesforce(sobject)

    def resync_errors(self, category: str | None) -> Any:
        """ERR-8: the Sync Health "Resync" on the records in error (optionally one category)."""
        fn = getattr(self.engine, "resync_errors", None)
        if callable(fn):
            return fn(category) if category else fn()
        for err in self.errors():
            if category and err.category.lower() != category.lower():
                continue
            record = err.hubspot_id or err.salesforce_id
            if record:
                self.engine.resync_record(record)
        return None

    def clear_suspension(self) -> Any:
        return self.engine.clear_suspension()

    # --- what the engine knows --------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        return dict(self.engine.status())

    def why(self, record: str) -> dict[str, Any]:
        return dict(self.engine.why(record, limit=1000))

    def link_of(self, hubspot_id: str) -> LinkView | None:
        link = self.why(hubspot_id).get("link")
        if not link:
            return None
        return LinkView(
            _as_text(link.get("hubspot_id")),
            _as_text(link.get("salesforce_id")),
            _as_text(link.get("salesforce_object")),
        )

    def links(self) -> dict[str, LinkView]:
        """Every link the engine records, by HubSpot id (read-only, from its state tables: the
        public API answers one record at a time, and volume checks ask about thousands)."""
        from sqlalchemy import select

        from sync.state.models import Link

        with self.engine.store.session() as s:
            return {
                str(row.hs_id): LinkView(str(row.hs_id), str(row.sf_id), str(row.sf_object))
                for row in s.scalars(select(Link))
            }

    def errors(self) -> list[ErrorView]:
        """Every current sync error. The engine's public API gives counts (status) and per-record
        errors (why); the full list is read from its state tables, read-only."""
        from sqlalchemy import select

        from sync.state.models import Link, SyncError

        out: list[ErrorView] = []
        with self.engine.store.session() as s:
            links = {row.hs_id: row.sf_id for row in s.scalars(select(Link))}
            by_sf = {v: k for k, v in links.items()}
            for e in s.scalars(select(SyncError)):
                hs_id = e.record_id if e.system == "hubspot" else by_sf.get(e.record_id)
                sf_id = e.record_id if e.system == "salesforce" else links.get(e.record_id)
                out.append(ErrorView(str(e.category), hs_id, sf_id, f"{e.code or ''} {e.message}".strip()))
        return out

    def suspension(self) -> tuple[bool, str]:
        st = self.status()
        sus = st.get("suspension")
        if sus:
            return True, " ".join(str(sus.get(k) or "") for k in ("reason", "code", "message")).strip()
        return False, ""

    def decisions(self, record: str | None = None) -> list[str]:
        """Decision-log lines, oldest first: for one record (why), or all of them."""
        if record is not None:
            rows = list(reversed(self.why(record).get("decisions") or []))
        else:
            from sqlalchemy import select

            from sync.state.models import Decision

            with self.engine.store.session() as s:
                rows = [
                    {
                        "hubspot_id": d.hs_id,
                        "salesforce_id": d.sf_id,
                        "trigger": d.trigger,
                        "outcome": d.outcome,
                        "detail": d.detail,
                    }
                    for d in s.scalars(select(Decision).order_by(Decision.id))
                ]
        return [_decision_text(x) for x in rows]


def _decision_text(x: Any) -> str:
    if isinstance(x, str):
        return x
    parts = [f"{k}={_get(x, k)}" for k in ("hubspot_id", "salesforce_id") if _get(x, k)]
    parts += [str(_get(x, k)) for k in ("trigger", "outcome") if _get(x, k)]
    detail = _get(x, "detail")
    if detail:
        parts.append(str(detail))
    return " ".join(parts)
