"""The integration the UI operates: its settings (a YAML file the UI keeps, the same format as
`hubforce sync --config`) and a `SyncEngine` built from them, used only through its public API.

A settings change is the same integration restarted with new settings over the same state
database (as `hubforce sync` does after an edit); settings the engine refuses are not saved."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from hubforce.web.fakes import Fakes
from simulator.clients import HUBSPOT_TOKEN, SALESFORCE_SESSION_ID
from sync.engine import SyncEngine
from sync.settings import Settings, SettingsError


def default_settings(fakes: Fakes) -> dict[str, Any]:
    return {
        "integration_enabled": True,
        "hubspot": {"url": fakes.hubspot_url, "token": HUBSPOT_TOKEN},
        "salesforce": {"url": fakes.salesforce_url, "session_id": SALESFORCE_SESSION_ID},
        "contacts": {
            "inclusion_list": None,
            "hubspot_creates": "lead",
            "from_salesforce_leads": "create_or_update",
            "from_salesforce_contacts": "create_or_update",
            "deletion": "do_nothing",
        },
        "api": {"allocation": None},
    }


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class Integration:
    """Settings file + state database under `folder`; one engine at a time behind a lock (the UI
    server is threaded, an engine operation is not meant to run twice at once)."""

    def __init__(self, fakes: Fakes, folder: Path, verify: str | bool = True, fresh: bool = False) -> None:
        self.fakes = fakes
        self.folder = folder
        self.verify = verify
        folder.mkdir(parents=True, exist_ok=True)
        self.settings_path = folder / "integration.yaml"
        self.state_path = folder / "sync-state.db"
        self.lock = threading.RLock()
        self.settings = default_settings(fakes)
        if self.settings_path.exists():
            saved = yaml.safe_load(self.settings_path.read_text(encoding="utf-8")) or {}
            # connections always point at the fakes this UI serves with
            saved.pop("hubspot", None)
            saved.pop("salesforce", None)
            self.settings = _merge(self.settings, saved)
        self._engine: SyncEngine | None = None
        if fresh:  # a new in-memory sandbox: yesterday's links and cursors point at nothing
            self.forget_state()

    # ------------------------------------------------------------------ time
    def now(self) -> datetime:
        """The sandbox's clock (virtual or wall), read through the control API."""
        text = str(self.fakes.clock()["now"]).replace("Z", "+00:00")
        return datetime.fromisoformat(text).astimezone(UTC)

    def virtual_clock(self) -> bool:
        return self.fakes.clock().get("mode") == "virtual"

    def _sleep(self) -> Callable[[float], None]:
        # Backoff waits advance a virtual clock instead of blocking the page (as the scenario runner does).
        if not self.virtual_clock():
            return time.sleep

        def advance(seconds: float) -> None:
            self.fakes.advance_clock(seconds)

        return advance

    # ------------------------------------------------------------------ engine
    def _build(self, settings: dict[str, Any]) -> SyncEngine:
        import requests

        sessions = []
        for _ in range(2):
            http = requests.Session()
            http.verify = self.verify
            sessions.append(http)
        engine = SyncEngine(
            Settings.from_dict(settings),
            state_url=f"sqlite:///{self.state_path}",
            hubspot_session=sessions[0],
            salesforce_session=sessions[1],
            sleep=self._sleep(),
            now=self.now,
        )
        return engine

    @contextmanager
    def engine(self) -> Iterator[SyncEngine]:
        with self.lock:
            if self._engine is None:
                self._engine = self._build(self.settings)
            yield self._engine

    @contextmanager
    def running(self) -> Iterator[SyncEngine]:
        """The engine, for an operation that syncs (a cycle, a resync, an import): it holds the state
        database's engine lock as `hubforce sync` does, so a `hubforce sync run` on the same state
        and this page never drain one queue together (EngineBusy, one line, when one already runs)."""
        with self.engine() as engine, engine.exclusive():
            yield engine

    def update(self, changes: dict[str, Any]) -> None:
        """Apply and save `changes` (nested dict); raises SettingsError (nothing saved) when the
        engine refuses them, e.g. a static inclusion list (INC-1) or an unknown field."""
        with self.lock:
            new = _merge(self.settings, changes)
            engine = self._build(new)
            try:
                engine.validate()
            except Exception:
                engine.close()
                raise
            self._close()
            self._engine, self.settings = engine, new
            self._save()

    def _save(self) -> None:
        data = {k: v for k, v in self.settings.items() if k not in ("hubspot", "salesforce")}
        tmp = self.settings_path.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        tmp.replace(self.settings_path)

    def _close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def forget_state(self) -> None:
        """After a sandbox reset every link and cursor points at records that no longer exist:
        start the integration afresh (uninstalled) with the same settings."""
        with self.lock:
            self._close()
            self.state_path.unlink(missing_ok=True)
            contacts = self.settings.get("contacts", {})
            if contacts.get("inclusion_list"):
                contacts["inclusion_list"] = None  # the list is gone with the reset
                self._save()

    def close(self) -> None:
        with self.lock:
            self._close()


__all__ = ["Integration", "SettingsError", "default_settings"]
