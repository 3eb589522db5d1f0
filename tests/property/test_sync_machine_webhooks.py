"""The sync state machine with HubSpot webhook capture forced on (the CI profile run in
test_sync_machine.py draws it per example): the invariants hold with deliveries, drains, a receiver
in trouble (refusing, down, losing its answers) and crashes — and the run really exercised them."""

from __future__ import annotations

from collections import Counter

from hubforce.testing import SyncMachine, run_state_machine


def test_sync_machine_with_webhooks() -> None:
    seen: Counter[str] = Counter()

    def record(m: SyncMachine) -> None:  # after every settle
        deliveries = m.w.fakes.control("GET", "/hubspot/webhooks/deliveries")["deliveries"]
        attempts = [h for d in deliveries for h in d["history"]]
        seen["settles"] += 1
        seen["answered"] = max(seen["answered"], m.w.hook_deliveries)
        seen["failed"] = max(seen["failed"], sum(1 for h in attempts if h.get("status") != 200))
        seen["dropped"] = max(seen["dropped"], sum(1 for d in deliveries if d["status"] == "FAILED"))
        seen["queued"] = max(seen["queued"], int(m.w.engine.status()["webhooks"].get("queued", 0)))

    # the CI profile (derandomized), fewer examples: the main CI run draws webhooks per example too
    run_state_machine(webhooks=True, profile="ci", max_examples=20, invariants=[record])
    assert seen["settles"] > 0
    assert seen["answered"] > 0 and seen["queued"] > 0, f"no delivery reached the receiver: {seen}"
    assert seen["failed"] > 0 and seen["dropped"] > 0, f"no delivery failed or was dropped: {seen}"
