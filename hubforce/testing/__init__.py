"""Property-based testing of the sync rules, under faults — for us and for users.

    from hubforce.testing import run_state_machine
    run_state_machine(settings="my-sync.yaml", invariants=[my_check], max_examples=50, seed=7)

`SyncMachine` (a Hypothesis RuleBasedStateMachine) drives both fakes and the engine in-process with
random edits, list joins/leaves, conversions, imports, settings changes, cycles, clock advances,
faults and engine crashes, and checks the invariants in `hubforce.testing.machine`. `make_machine`
builds a subclass with your settings file and extra invariants; `run_state_machine` runs it.
`webhooks=True` (or None: drawn per example) adds HubSpot webhook capture (`WebhookSyncMachine`).
"""

from __future__ import annotations

from hubforce.testing import profiles as _profiles  # noqa: F401 - registers the Hypothesis profiles
from hubforce.testing.machine import SyncMachine, WebhookSyncMachine
from hubforce.testing.runner import make_machine, run_state_machine

__all__ = ["SyncMachine", "WebhookSyncMachine", "make_machine", "run_state_machine"]
