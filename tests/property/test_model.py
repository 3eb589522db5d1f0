"""The state machine's model of the sync rules, checked against the catalog's own examples."""

from __future__ import annotations

import pytest

from hubforce.testing.model import ALWAYS, DONT, PREFER, TWO_WAY, first_outcomes, known_outcomes, next_base


@pytest.mark.catalog("RULE-3")
def test_two_way() -> None:  # RULE-3: the changed side wins, a clear counts; both changed: either
    assert known_outcomes(TWO_WAY, ("a", "a"), None, "a") == [(None, None)]
    assert known_outcomes(TWO_WAY, ("a", "a"), "a", "b") == [("b", "b")]
    assert sorted(known_outcomes(TWO_WAY, ("a", "a"), "b", "c")) == [("b", "b"), ("c", "c")]


@pytest.mark.catalog("RULE-1")
def test_prefer_salesforce_unless_blank() -> None:  # RULE-1, A6
    assert known_outcomes(PREFER, ("a", "a"), "b", "a") == [("a", "a")]
    assert known_outcomes(PREFER, ("a", None), "b", None) == [("b", "b")]
    assert known_outcomes(PREFER, ("a", "a"), "a", None) == [(None, None)]
    assert known_outcomes(PREFER, ("a", "a"), "b", None) == [(None, None), ("b", "b")]


@pytest.mark.catalog("RULE-2", "RULE-4")
def test_always_and_dont() -> None:  # RULE-2, RULE-4
    assert known_outcomes(ALWAYS, ("a", "a"), "b", "a") == [("a", "a")]  # the HubSpot edit is reverted
    assert known_outcomes(ALWAYS, ("a", None), "b", None) == [("b", None)]  # no Salesforce value to win
    assert known_outcomes(ALWAYS, ("a", "a"), "a", None) == [(None, None)]
    assert known_outcomes(DONT, ("a", "a"), None, "b") == [(None, "b")]


def test_first_sync_never_wipes_with_a_blank() -> None:
    assert first_outcomes(TWO_WAY, None, "s") == [("s", "s")]
    assert first_outcomes(PREFER, "h", None) == [("h", "h")]
    assert first_outcomes(ALWAYS, "h", None) == [("h", None)]
    assert first_outcomes(PREFER, "h", "s") == [("s", "s")]


def test_base_after_sync() -> None:
    assert next_base(TWO_WAY, ("a", "a"), ("b", "b"), first=False) == ("b", "b")
    assert next_base(ALWAYS, ("a", "a"), ("b", "a"), first=False) == ("a", "a")
    assert next_base(ALWAYS, None, ("h", None), first=True) == (None, None)
