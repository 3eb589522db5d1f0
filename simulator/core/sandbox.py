"""The sandbox: one clock, one seeded random source, one journal, one fault registry, and the
backends of every fake service. Both fakes of a sandbox share it, so one seed reproduces a whole
run and one clock advance moves both systems.
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from simulator.core.clock import Clock, parse_instant
from simulator.core.faults import FaultRegistry
from simulator.core.journal import Journal
from simulator.core.rng import SeededRandom
from simulator.core.service import Service

# The installed fakes: name -> "module:Class". One place to add a service.
SERVICE_CLASSES: dict[str, str] = {
    "hubspot": "simulator.hubspot.service:HubSpotService",
    "salesforce": "simulator.salesforce.service:SalesforceService",
}

SNAPSHOT_FORMAT = "hubforce-sandbox-snapshot"
SNAPSHOT_VERSION = 1


class SnapshotError(ValueError):
    pass


def _load_service(spec: str) -> Service:
    module, cls = spec.split(":")
    return getattr(importlib.import_module(module), cls)()


class Sandbox:
    def __init__(self, seed: int = 0, virtual_clock: bool = True, settings: dict[str, dict[str, Any]] | None = None) -> None:
        # One re-entrant lock serialises every API call: the stores are plain Python objects, and a
        # deterministic order of mutations is worth more here than parallel handlers.
        self.lock = threading.RLock()
        self.clock = Clock(virtual=virtual_clock)
        self.services: dict[str, Service] = {name: _load_service(spec) for name, spec in SERVICE_CLASSES.items()}
        self.journal = Journal()
        self.faults = FaultRegistry()
        self.rng = SeededRandom(seed)
        self.settings: dict[str, dict[str, Any]] = {}
        # This sandbox's own defaults over the services' (e.g. what `hubforce serve` sets): a reset
        # with a new seed returns to these, not to the in-process defaults.
        self.base_settings: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (settings or {}).items()}
        self._backends: dict[str, Any] = {}
        self._init_state(seed, None)

    def _init_state(self, seed: int, settings: dict[str, dict[str, Any]] | None) -> None:
        self.rng = SeededRandom(seed)
        self.settings = {name: dict(svc.default_settings) for name, svc in self.services.items()}
        for source in (self.base_settings, settings or {}):
            for name, values in source.items():
                self.update_settings(name, values)
        self._backends = {name: svc.create_backend(self) for name, svc in self.services.items()}

    @property
    def seed(self) -> int:
        return self.rng.seed

    def backend(self, name: str) -> Any:
        return self._backends[name]

    def reset(self, seed: int | None = None) -> None:
        """Empty every store, the journal and the fault rules; keep the clock mode and settings
        unless a new seed is given (then settings return to defaults too)."""
        with self.lock:
            keep = None if seed is not None else self.settings
            self.journal.clear()
            self.faults.clear()
            self._init_state(self.seed if seed is None else seed, keep)

    def update_settings(self, service: str, values: dict[str, Any]) -> dict[str, Any]:
        if service not in self.services:
            raise ValueError(f"unknown service {service!r}; known: {', '.join(self.services)}")
        merged = {**self.settings.get(service, self.services[service].default_settings), **values}
        self.settings[service] = self.services[service].validate_settings(merged)
        return self.settings[service]

    # --- snapshots -------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "format": SNAPSHOT_FORMAT,
                "version": SNAPSHOT_VERSION,
                "clock": self.clock.to_json(),
                "rng": self.rng.state(),
                "settings": json.loads(json.dumps(self.settings)),
                "services": {name: b.dump() for name, b in self._backends.items()},
            }

    def restore(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise SnapshotError("not a Hubforce sandbox snapshot")
        if data.get("version") != SNAPSHOT_VERSION:
            raise SnapshotError(
                f"snapshot version {data.get('version')!r} is not supported (this sandbox reads version {SNAPSHOT_VERSION})"
            )
        with self.lock:
            clock = data["clock"]
            if clock.get("mode") == "virtual":
                self.clock.set(parse_instant(clock["now"]))
            self.rng.restore(data["rng"])
            self.settings = {name: dict(v) for name, v in data["settings"].items()}
            backends = {}
            for name, svc in self.services.items():
                backend = svc.create_backend(self)
                if name in data["services"]:
                    backend.load(data["services"][name])
                backends[name] = backend
            self._backends = backends

    def save_snapshot(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically: a temp file in the same folder, then rename, so a failed export never
        leaves a half-written snapshot where a good one was."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = self.snapshot()
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def load_snapshot(self, path: str | os.PathLike[str]) -> None:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SnapshotError(f"cannot read snapshot {path}: {exc}") from exc
        self.restore(data)
