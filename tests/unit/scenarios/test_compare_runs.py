"""`same_as_without`: two final states are compared by email, ids and timestamps left out, a
duplicate counted as a difference; the second run leaves out the named steps."""

from __future__ import annotations

from pathlib import Path

from scenarios.compare import State, _add, differences, without
from scenarios.loader import load_text


def _state(*records: tuple[str, dict[str, object]]) -> State:
    state: State = {}
    for kind, values in records:
        _add(state, kind, values)
    return state


def test_ids_and_timestamps_do_not_count_values_and_duplicates_do() -> None:
    a = _state(("Salesforce Lead", {"Id": "00Q1", "Email": "a@x.com", "Title": "CTO", "CreatedDate": "t1", "OwnerId": "005A"}))
    b = _state(("Salesforce Lead", {"Id": "00Q9", "Email": "a@x.com", "Title": "CTO", "CreatedDate": "t2", "OwnerId": "005B"}))
    assert differences(a, b) == []
    c = _state(("Salesforce Lead", {"Email": "a@x.com", "Title": "CEO"}))
    assert differences(a, c) == ["Salesforce Lead a@x.com field Title: 'CTO', in the other run 'CEO'"]
    twice = _state(("Salesforce Lead", {"Email": "a@x.com", "Title": "CTO"}), ("Salesforce Lead", {"Email": "a@x.com"}))
    assert differences(twice, a) == ["Salesforce Lead a@x.com: 2 record(s), in the other run 1"]


def test_the_other_run_leaves_out_the_named_steps_and_checks_nothing(tmp_path: Path) -> None:
    scenario = load_text(
        "id: x\ntitle: twin\ncovers: [ERR-7]\nsources: [S-ERR]\nwhen:\n"
        "  - faults.add: {service: salesforce, action: drop_after}\n  - sync.run:\n"
        "  - engine.stop: {at: after_write}\n  - sync.run:\nthen:\n  - same_as_without: [faults.add]\n",
        tmp_path / "x.scenario.yaml",
    )
    twin = without(scenario, ["faults.add"])
    assert [s.name for s in twin.when] == ["sync.run", "engine.stop", "sync.run"]
    assert twin.then == []
