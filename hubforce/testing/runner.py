"""Building and running the sync state machine with a user's settings and invariants."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import hypothesis
from hypothesis.stateful import get_state_machine_test

from hubforce.testing import profiles as _profiles  # noqa: F401 - registers the profiles
from hubforce.testing.machine import SyncMachine, WebhookSyncMachine
from hubforce.testing.machine_setup import QuietInvariant, load_settings
from hubforce.testing.world import Decide
from sync.rules import decide_field


def make_machine(
    settings: str | Path | dict[str, Any] | None = None,
    invariants: Sequence[QuietInvariant] = (),
    step_invariants: Sequence[QuietInvariant] = (),
    decide: Decide | None = None,
    people: int = 3,
    webhooks: bool | None = False,
    chunk_size: int | None = None,
) -> type[SyncMachine]:
    """A SyncMachine subclass for a settings file (path) or dict (connections are ignored), with
    extra invariants run after every settle (`invariants`) or after every step (`step_invariants`),
    each a callable taking the machine. `decide` replaces the engine's per-field rule decision.
    `webhooks`: True to capture HubSpot changes by webhooks too (WebhookSyncMachine: deliveries,
    drains, a receiver in trouble), None to draw that per example, False (default) for neither.
    `chunk_size`: queue items the engine processes per chunk (None: its default)."""
    data = settings if isinstance(settings, dict) or settings is None else load_settings(settings)
    attrs: dict[str, Any] = {
        "settings_data": data,
        "quiet_invariants": tuple(invariants),
        "step_invariants": tuple(step_invariants),
        "decide": staticmethod(decide or decide_field),
        "people": people,
        "chunk_size": chunk_size,
    }
    if webhooks is False:
        return type("UserSyncMachine", (SyncMachine,), attrs)
    return type("UserSyncMachine", (WebhookSyncMachine,), {**attrs, "webhooks": webhooks})


def run_state_machine(
    settings: str | Path | dict[str, Any] | None = None,
    invariants: Sequence[QuietInvariant] = (),
    step_invariants: Sequence[QuietInvariant] = (),
    max_examples: int | None = None,
    seed: int | None = None,
    profile: str = "ci",
    decide: Decide | None = None,
    stateful_step_count: int | None = None,
    people: int = 3,
    webhooks: bool | None = False,
    chunk_size: int | None = None,
    **overrides: Any,
) -> None:
    """Run the machine as one Hypothesis test; raises (with the shrunk program and a
    `@reproduce_failure` blob printed) when an invariant fails. `seed` fixes the random draws;
    without it the profile decides (`ci` is derandomized). `webhooks`: see `make_machine`."""
    machine = make_machine(settings, invariants, step_invariants, decide, people, webhooks, chunk_size)
    base = hypothesis.settings.get_profile(profile)
    changes: dict[str, Any] = dict(overrides)
    if max_examples is not None:
        changes["max_examples"] = max_examples
    if stateful_step_count is not None:
        changes["stateful_step_count"] = stateful_step_count
    if seed is not None:
        changes["derandomize"] = False
    test = get_state_machine_test(machine, settings=hypothesis.settings(base, **changes))
    if seed is not None:
        test = hypothesis.seed(seed)(test)
    test()
