"""The sync state machine (hubforce.testing) in CI: the real rules must pass, and a deliberately broken
rule must be caught — proof that the machine can fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from hubforce.testing import run_state_machine
from hubforce.testing.example_user_machine import SETTINGS
from hubforce.testing.example_user_machine import run as run_example
from sync.mappings import SyncRule
from sync.rules import Action, FieldDecision, FieldState, decide_field


def test_sync_machine_ci_profile() -> None:
    """Deterministic (derandomized) run of the whole machine: faults, crashes, settings changes,
    and in about half the examples (drawn) HubSpot webhook capture with its drains and receiver
    trouble (tests/property/test_sync_machine_webhooks.py forces it on)."""
    run_state_machine(profile="ci", webhooks=None)


def two_way_ignores_clears(fs: FieldState) -> FieldDecision:
    """A broken RULE-3: a clear on either side of a two-way field is treated as no change."""
    d = decide_field(fs)
    m = fs.mapping
    if m.effective_rule == SyncRule.TWO_WAY and fs.known and d.action != Action.NONE and d.value is None:
        return FieldDecision(
            m.hubspot, m.salesforce, m.effective_rule, Action.NONE, None, "broken", fs.last_synced, True
        )
    return d


def test_broken_two_way_rule_is_caught() -> None:
    with pytest.raises(AssertionError) as failure:
        run_state_machine(decide=two_way_ignores_clears, profile="find", seed=1)
    assert "two_way" in str(failure.value), failure.value


def test_user_settings_and_invariant(tmp_path: Path) -> None:
    path = tmp_path / "my-sync.yaml"
    path.write_text(SETTINGS, encoding="utf-8")
    run_example(path, max_examples=6)
