"""Salesforce ids: the case-safe suffix, normalisation of 15/18-character forms, generation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.core.rng import SeededRandom
from simulator.salesforce import ids


def test_checksum_matches_the_documented_example() -> None:
    assert ids.to18("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert ids.checksum("001A0000006Vm9r") == "IAC"


def test_18_char_ids_are_accepted_in_any_letter_case() -> None:
    assert ids.to18("001a0000006vm9riac") == "001A0000006Vm9rIAC"
    assert ids.to18("001A0000006Vm9rIAC") == "001A0000006Vm9rIAC"
    assert ids.to15("001A0000006Vm9rIAC") == "001A0000006Vm9r"


@pytest.mark.parametrize(
    "bad",
    ["123", "", "001A0000006Vm9rIA", "001A0000006Vm9r!", "001A0000006Vm9rIAD", "001A0000006Vm9r999", 15],
)
def test_malformed_ids_are_rejected(bad: object) -> None:
    # IAD marks position 11 ('6', a digit) as an uppercase letter: no real id has that suffix.
    with pytest.raises(ids.InvalidId):
        ids.to18(bad)  # type: ignore[arg-type]


def test_new_ids_are_deterministic_per_seed_and_well_formed() -> None:
    a = [ids.new_id("00Q", SeededRandom(7)) for _ in range(1)]
    b = [ids.new_id("00Q", SeededRandom(7)) for _ in range(1)]
    assert a == b
    rid = a[0]
    assert len(rid) == 18 and rid.startswith("00Q") and ids.to18(rid) == rid
    assert ids.new_id("00Q", SeededRandom(8)) != rid


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ids.BASE62, min_size=15, max_size=15))
def test_round_trip_through_lowercase(id15: str) -> None:
    id18 = ids.to18(id15)
    assert id18[:15] == id15
    assert ids.to18(id18.lower()) == id18
    assert ids.to18(id18.upper()) == id18
