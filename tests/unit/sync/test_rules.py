"""RULE-1..4 decisions as pure functions (sync.rules)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sync.mappings import FieldMapping, SyncRule
from sync.rules import (
    Action,
    FieldState,
    canonical,
    decide_field,
    decide_pair,
    times_matter,
    to_salesforce_value,
)

T1 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
T2 = datetime(2024, 5, 1, 11, 0, tzinfo=UTC)


def fs(
    rule: SyncRule,
    hs: str | None,
    sf: str | None,
    last: str | None = None,
    known: bool = True,
    hs_at: datetime | None = T1,
    sf_at: datetime | None = T1,
    sf_field: str = "FirstName",
) -> FieldState:
    return FieldState(FieldMapping("firstname", sf_field, rule), hs, sf, last, known, hs_at, sf_at)


def test_equal_values_do_nothing() -> None:
    d = decide_field(fs(SyncRule.TWO_WAY, "a", "a", "old"))
    assert d.action == Action.NONE and d.synced_value == "a"


@pytest.mark.catalog("RULE-4")
def test_dont_sync_never_moves_or_clears() -> None:  # RULE-4
    assert decide_field(fs(SyncRule.DONT_SYNC, "new", None, "old")).action == Action.NONE
    assert decide_field(fs(SyncRule.DONT_SYNC, None, "x", "old")).action == Action.NONE


@pytest.mark.parametrize(
    ("hs", "sf", "last", "expect"),
    [
        ("new", "old", "old", (Action.TO_SALESFORCE, "new")),  # HubSpot change wins
        ("old", "new", "old", (Action.TO_HUBSPOT, "new")),  # Salesforce change wins
        (None, "old", "old", (Action.TO_SALESFORCE, None)),  # a clear is a change (A5)
        ("old", None, "old", (Action.TO_HUBSPOT, None)),
    ],
)
def test_two_way_single_side_change(
    hs: str | None, sf: str | None, last: str, expect: tuple[Action, str | None]
) -> None:
    d = decide_field(fs(SyncRule.TWO_WAY, hs, sf, last))
    assert (d.action, d.value) == expect


@pytest.mark.catalog("RULE-3")
def test_two_way_both_changed_later_wins() -> None:  # RULE-3 / A5
    assert (
        decide_field(fs(SyncRule.TWO_WAY, "h", "s", "old", hs_at=T2, sf_at=T1)).action == Action.TO_SALESFORCE
    )
    assert decide_field(fs(SyncRule.TWO_WAY, "h", "s", "old", hs_at=T1, sf_at=T2)).action == Action.TO_HUBSPOT
    # a tie goes to Salesforce
    assert decide_field(fs(SyncRule.TWO_WAY, "h", "s", "old", hs_at=T1, sf_at=T1)).action == Action.TO_HUBSPOT


@pytest.mark.catalog("RULE-1")
def test_prefer_salesforce_unless_blank() -> None:  # RULE-1 / A6
    # HubSpot fills a blank Salesforce field
    assert decide_field(fs(SyncRule.PREFER_SALESFORCE, "h", None, None)).action == Action.TO_SALESFORCE
    # a Salesforce value always overwrites HubSpot, even when HubSpot changed
    d = decide_field(fs(SyncRule.PREFER_SALESFORCE, "h2", "s", "s"))
    assert (d.action, d.value) == (Action.TO_HUBSPOT, "s")
    # a Salesforce clear clears HubSpot
    d = decide_field(fs(SyncRule.PREFER_SALESFORCE, "v", None, "v"))
    assert (d.action, d.value) == (Action.TO_HUBSPOT, None)
    # Salesforce cleared, then HubSpot changed later: HubSpot fills the blank (A6)
    d = decide_field(fs(SyncRule.PREFER_SALESFORCE, "h2", None, "v", hs_at=T2, sf_at=T1))
    assert (d.action, d.value) == (Action.TO_SALESFORCE, "h2")


@pytest.mark.catalog("RULE-2")
def test_always_salesforce() -> None:  # RULE-2
    assert decide_field(fs(SyncRule.ALWAYS_SALESFORCE, "h", None, None)).action == Action.NONE
    assert decide_field(fs(SyncRule.ALWAYS_SALESFORCE, "h", None, None, known=False)).action == Action.NONE
    d = decide_field(fs(SyncRule.ALWAYS_SALESFORCE, "h", None, "h"))
    assert (d.action, d.value) == (Action.TO_HUBSPOT, None)  # SF clear clears HubSpot
    d = decide_field(fs(SyncRule.ALWAYS_SALESFORCE, "h", "s", "old"))
    assert (d.action, d.value) == (Action.TO_HUBSPOT, "s")
    # Only HubSpot edited the field: Salesforce's value overwrites the edit ...
    d = decide_field(fs(SyncRule.ALWAYS_SALESFORCE, "edit", "s", "s"))
    assert (d.action, d.value) == (Action.TO_HUBSPOT, "s")
    # ... but with Salesforce blank there is no value to win, and HubSpot never writes into it.
    assert decide_field(fs(SyncRule.ALWAYS_SALESFORCE, "edit", None, None)).action == Action.NONE


def test_first_sync_never_clears_and_owner_keeps_salesforce() -> None:
    assert decide_field(fs(SyncRule.TWO_WAY, None, "s", known=False, hs_at=T2)).action == Action.TO_HUBSPOT
    assert decide_field(fs(SyncRule.TWO_WAY, "h", None, known=False, sf_at=T2)).action == Action.TO_SALESFORCE
    owner = FieldState(
        FieldMapping("hubspot_owner_id", "OwnerId", SyncRule.PREFER_SALESFORCE),
        "005A",
        "005B",
        None,
        False,
        T2,
        T1,
    )
    d = decide_field(owner)
    assert d.rule == SyncRule.TWO_WAY  # RULE-5
    assert (d.action, d.value) == (Action.TO_HUBSPOT, "005B")  # OWN-4


@pytest.mark.catalog("OWN-4", "RULE-5")
def test_owner_is_two_way_after_first_sync() -> None:  # RULE-5 / OWN-4
    owner = FieldState(
        FieldMapping("hubspot_owner_id", "OwnerId", SyncRule.PREFER_SALESFORCE),
        "005A",
        "005B",
        "005B",
        True,
        T2,
        T1,
    )
    assert decide_field(owner).action == Action.TO_SALESFORCE


def test_decide_pair_collects_writes() -> None:
    pair = decide_pair(
        [
            fs(SyncRule.TWO_WAY, "new", "old", "old"),
            FieldState(FieldMapping("city", "City", SyncRule.TWO_WAY), "x", "y", "x", True, T1, T1),
        ]
    )
    assert pair.to_salesforce == {"FirstName": "new"}
    assert pair.to_hubspot == {"city": "y"}


def test_canonical_values() -> None:
    assert canonical("") is None and canonical(None) is None
    assert canonical(True) == "true" and canonical("TRUE", "boolean") == "true"
    assert canonical(5.0) == "5" and canonical("5.0", "double") == "5" and canonical("5.5", "double") == "5.5"
    assert canonical("1714521600000", "date") == "2024-05-01"
    assert to_salesforce_value("true", "boolean") is True
    assert to_salesforce_value("12", "int") == 12 and to_salesforce_value("1.5", "double") == 1.5


@pytest.mark.parametrize(
    ("rule", "hs", "sf", "last", "known", "matters"),
    [
        (SyncRule.TWO_WAY, "h", "s", "old", True, True),  # both changed: A5 decides
        (SyncRule.TWO_WAY, "h", "old", "old", True, False),  # one side changed: no contest
        (SyncRule.TWO_WAY, "h", "s", None, False, True),  # first sync, both hold values
        (SyncRule.TWO_WAY, "h", "h", "old", True, False),  # equal
        (SyncRule.PREFER_SALESFORCE, "h", None, "old", True, True),  # A6: SF cleared, HS changed too
        (SyncRule.PREFER_SALESFORCE, "h", "s", "old", True, False),  # SF always wins a value
        (SyncRule.ALWAYS_SALESFORCE, "h", "s", "old", True, False),
        (SyncRule.DONT_SYNC, "h", "s", "old", True, False),
    ],
)
def test_times_matter_only_where_the_later_change_decides(
    rule: SyncRule, hs: str | None, sf: str | None, last: str | None, known: bool, matters: bool
) -> None:  # A5: the engine reads per-field times only for these
    state = FieldState(FieldMapping("firstname", "FirstName", rule), hs, sf, last, known)
    assert times_matter(decide_field, state) is matters
