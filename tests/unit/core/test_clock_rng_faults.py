from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simulator.core.clock import DEFAULT_VIRTUAL_START, Clock, iso_ms, parse_instant, to_ms
from simulator.core.faults import FaultRegistry, FaultRuleError
from simulator.core.journal import Journal, JournalEntry, JournalFilter
from simulator.core.rng import SeededRandom


def test_virtual_clock_is_frozen_until_advanced() -> None:
    clock = Clock(virtual=True)
    assert clock.now() == DEFAULT_VIRTUAL_START
    assert clock.now() == clock.now()
    clock.advance(900)
    assert (clock.now() - DEFAULT_VIRTUAL_START).total_seconds() == 900
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_wall_clock_moves_and_can_be_frozen() -> None:
    clock = Clock(virtual=False)
    before = to_ms(datetime.now(UTC))  # the clock ticks in whole milliseconds
    assert clock.now() >= before
    frozen = clock.freeze()
    assert clock.virtual and clock.now() == frozen


def test_both_modes_tick_in_whole_milliseconds() -> None:
    # Salesforce keeps dateTime values to the millisecond (REST shows `2024-05-01T10:00:00.123+0000`;
    # SOAP API Developer Guide, "Primitive Data Types": dateTime) and HubSpot timestamps are epoch
    # milliseconds: a clock with microseconds stores values no response can show (issue 13).
    wall = Clock(virtual=False)
    assert all(wall.now().microsecond % 1000 == 0 for _ in range(50))
    virtual = Clock(virtual=True, start=datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC))
    assert virtual.now().microsecond == 123000
    virtual.advance(0.0004)
    virtual.advance(0.0007)  # sub-millisecond steps add up; only what is shown is truncated
    assert virtual.now().microsecond == 124000
    wall.advance(0.0005)
    assert wall.now().microsecond % 1000 == 0


def test_instants_parse_iso_and_epoch_ms() -> None:
    assert parse_instant("2024-05-01T10:00:00Z") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_instant("1714557600000") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert iso_ms(datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)) == "2024-05-01T10:00:00.123Z"


def test_same_seed_same_ids_and_state_round_trips() -> None:
    a, b = SeededRandom(42), SeededRandom(42)
    assert [a.uuid4() for _ in range(3)] == [b.uuid4() for _ in range(3)]
    state = a.state()
    first = a.token("abc", 10)
    a.restore(state)
    assert a.token("abc", 10) == first
    assert SeededRandom(43).uuid4() != SeededRandom(42).uuid4()


def test_fault_rule_fires_times_after_skip() -> None:
    reg = FaultRegistry()
    reg.add({"service": "hubspot", "method": "post", "path": "^/crm/v3/objects/contacts$", "status": 429, "times": 2, "skip": 1})
    fired = [reg.pick("hubspot", "POST", "/crm/v3/objects/contacts", lambda: 0.0) is not None for _ in range(5)]
    assert fired == [False, True, True, False, False]
    assert reg.pick("salesforce", "POST", "/crm/v3/objects/contacts", lambda: 0.0) is None


def test_fault_probability_uses_the_roll() -> None:
    reg = FaultRegistry()
    reg.add({"probability": 0.5})
    assert reg.pick("hubspot", "GET", "/x", lambda: 0.7) is None
    assert reg.pick("hubspot", "GET", "/x", lambda: 0.2) is not None


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"action": "explode"}, "action must be one of"),
        ({"path": "("}, "not a valid regular expression"),
        ({"status": 42}, "HTTP status code"),
        ({"probability": 2}, "between 0 and 1"),
        ({"colour": "red"}, "unknown fault rule field"),
        ({"times": -1}, "must not be negative"),
    ],
)
def test_bad_fault_rules_are_refused_with_a_clear_message(rule: dict, message: str) -> None:
    with pytest.raises(FaultRuleError, match=message):
        FaultRegistry().add(rule)


def test_journal_filters() -> None:
    j = Journal()
    for i, (svc, method, path, status) in enumerate(
        [("hubspot", "GET", "/crm/v3/objects/contacts", 200), ("salesforce", "PATCH", "/services/data/v59.0/sobjects/Lead/x", 204),
         ("salesforce", "POST", "/services/data/v59.0/sobjects/Lead/", 201)]
    ):
        j.record(JournalEntry(seq=i + 1, service=svc, method=method, path=path, query="", status=status, at="t", duration_ms=0))
    assert j.count(JournalFilter.from_args({"service": "salesforce"})) == 2
    assert j.count(JournalFilter.from_args({"method": ["PATCH,POST"]})) == 2
    assert j.count(JournalFilter.from_args({"path": "sobjects/Lead"})) == 2
    assert j.count(JournalFilter.from_args({"status": "204"})) == 1
    assert j.count(JournalFilter.from_args({"since": "2"})) == 1
