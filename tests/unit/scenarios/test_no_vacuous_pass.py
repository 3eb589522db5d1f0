"""No scenario may pass when the engine does nothing (issue 15).

Every committed scenario file runs against a do-nothing engine — a test double injected through
the engine adapter (`scenarios.engine_adapter.use_engine`), not a change to the engine — and must
fail. A scenario that passes anyway checks nothing the engine does: give it a positive control
(something the engine must have done). The only exceptions are in ALLOWED, each with the reason it
was reviewed and accepted; an allowed scenario that starts failing must leave the list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scenarios.engine_adapter import use_engine
from scenarios.loader import find_scenario_files
from scenarios.runner import run_file

SCENARIOS_ROOT = Path(__file__).resolve().parents[3] / "scenarios"
FILES = find_scenario_files([SCENARIOS_ROOT])

# file name -> why it may pass against an engine that does nothing (reviewed). Empty: every
# scenario has a positive control.
ALLOWED: dict[str, str] = {}


class DoNothingEngine:
    """SyncEngine's API with everything that acts replaced by a no-op: it accepts any settings
    without looking (no inclusion-list or mapping checks), installs nothing, and its cycles, drains,
    resyncs, imports and suspension clearing do nothing. What it knows (status, why, errors,
    decisions, links) comes from the real engine's state, which therefore stays empty."""

    def __init__(self, settings: Any, **kwargs: Any) -> None:
        from sync.engine import SyncEngine

        self._real = SyncEngine(settings, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    @staticmethod
    def _nothing(*args: Any, **kwargs: Any) -> Any:
        from sync.engine import CycleReport

        return CycleReport()

    validate = run_cycle = process_queue = resync_record = resync_list = _nothing
    import_salesforce = resync_errors = resync_all = clear_suspension = _nothing

    def webhook_properties(self) -> list[str]:
        return []


def test_the_allow_list_names_existing_files() -> None:
    names = {f.name for f in FILES}
    assert sorted(set(ALLOWED) - names) == []
    assert all(reason.strip() for reason in ALLOWED.values())


@pytest.mark.parametrize("path", FILES, ids=[f.name.removesuffix(".scenario.yaml") for f in FILES])
def test_scenario_fails_against_a_do_nothing_engine(path: Path) -> None:
    with use_engine(DoNothingEngine):
        result = run_file(path)
    if path.name in ALLOWED:
        assert result.passed, f"{path.name} fails now: take it off ALLOWED\n{result.report()}"
        return
    assert not result.passed, (
        f"{path.name} passes although the engine did nothing: give it a positive control "
        "(something only a working engine makes true)"
    )
    # It must fail on what it checks, not because the double broke the harness.
    assert "crashed" not in (result.error or ""), result.report()
    assert "sandbox could not start" not in (result.error or ""), result.report()
