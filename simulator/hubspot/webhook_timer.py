"""The served fake's webhook sender: delivers new events and due retries on its own schedule.

HubSpot sends and retries webhooks from its own workers, whatever the portal's API traffic. The
fake delivers after each API call by default (deterministic, what in-process tests want); with
`webhook_delivery: "timer"` (what `hubforce serve` sets) this thread does it instead, so a retry
due at 15:48:16 goes out then, not when some unrelated API call happens to arrive (issue 13).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.core.sandbox import Sandbox

TICK_SECONDS = 0.2


class DeliveryTimer:
    def __init__(self, sandbox: Sandbox, tick_seconds: float = TICK_SECONDS) -> None:
        self.sandbox = sandbox
        self.tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hubforce-webhook-sender", daemon=True)

    def start(self) -> DeliveryTimer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            try:
                # Looked up every tick: a control-API reset replaces the backend.
                self.sandbox.backend("hubspot").webhooks.flush()
            except Exception:  # noqa: BLE001 - the sender must outlive a bad tick (it logs per delivery)
                continue

    def __enter__(self) -> DeliveryTimer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
