"""Expected-value matching, durations, list criteria, and the record comparison that reports
every mismatch of an expectation at once."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from scenarios.expectations import _compare_fields
from scenarios.model import Mismatch, Step
from scenarios.values import duration_seconds, filter_branch, matches, normalise


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        ("absent", None, True),
        ("absent", "", True),
        ("absent", "x", False),
        ("blank", "", True),
        (None, None, True),
        (None, "0", False),
        ("any", "x", True),
        ("any", "", False),
        ("any", None, False),
        ("CTO", "CTO", True),
        ("CTO", "cto", False),
        (5, "5", True),
        ("5", 5.0, True),
        (5, "5.5", False),
        (2.5, "2.5", True),
        (True, "true", True),
        ("false", False, True),
        (True, "false", False),
        ({"one_of": ["a", "b"]}, "b", True),
        ({"one_of": ["a", "b"]}, "c", False),
        ({"contains": "acme"}, "ACME Corp", True),
        ({"contains": "acme"}, None, False),
        ({"not": "Paris"}, "London", True),
        ({"not": "Paris"}, "Paris", False),
        ({"not": "absent"}, "", False),
    ],
)
def test_matches(expected: Any, actual: Any, ok: bool) -> None:
    assert matches(expected, actual)[0] is ok


def test_unchanged_compares_with_the_given_value() -> None:
    assert matches("unchanged", "Ada", before="Ada", has_before=True)[0]
    assert matches("unchanged", "", before=None, has_before=True)[0]  # blank stays blank
    assert not matches("unchanged", "Bob", before="Ada", has_before=True)[0]
    ok, why = matches("unchanged", "Ada")
    assert not ok and "end of `given`" in why


def test_normalise_keeps_text_that_only_looks_numeric() -> None:
    assert normalise("+31 20 555 0100") == "+31 20 555 0100"
    assert normalise("007") == "7"
    assert normalise(" TRUE ") == "true"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15m", 900), ("2h", 7200), ("1d", 86400), ("30s", 30), ("1.5 hours", 5400), ("10 minutes", 600)],
)
def test_duration(text: str, seconds: float) -> None:
    assert duration_seconds(text) == seconds


def test_duration_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="15m, 2h"):
        duration_seconds("soon")


def test_filter_branch_uses_the_property_types() -> None:
    branch = filter_branch(
        {
            "lifecyclestage": "marketingqualifiedlead",
            "email": {"contains": "@acme"},
            "numemployees": "50",
            "jobtitle": {"known": True},
        },
        {"lifecyclestage": "enumeration", "numemployees": "number"},
    )
    assert branch["filterBranchType"] == "OR" and branch["filters"] == []
    (and_branch,) = branch["filterBranches"]
    assert and_branch["filterBranchType"] == "AND"
    ops = {f["property"]: f["operation"] for f in and_branch["filters"]}
    assert ops["lifecyclestage"] == {
        "operationType": "ENUMERATION",
        "operator": "IS_ANY_OF",
        "values": ["marketingqualifiedlead"],
    }
    assert ops["email"] == {"operationType": "MULTISTRING", "operator": "CONTAINS", "values": ["@acme"]}
    assert ops["numemployees"] == {"operationType": "NUMBER", "operator": "IS_EQUAL_TO", "value": 50}
    assert ops["jobtitle"] == {"operationType": "ALL_PROPERTY", "operator": "IS_KNOWN"}


def _world(snapshot: dict[tuple[str, str], dict[str, Any]]) -> Any:
    return SimpleNamespace(given_snapshot=snapshot, resolve=lambda v, _what="": v)


STEP = Step(name="salesforce.lead", args={}, line=12, index=2)


def test_every_field_mismatch_is_reported_with_expected_and_actual() -> None:
    values = {"FirstName": "Ada", "LastName": "Byron", "Title": "CTO", "City": None}
    out = _compare_fields(
        _world({}),
        STEP,
        "salesforce lead ada",
        "salesforce",
        "00Q1",
        values,
        {"FirstName": "Ada", "LastName": "Lovelace", "Title": "absent", "City": "any"},
        None,
    )
    assert [(m.field, m.expected, m.actual) for m in out] == [
        ("LastName", "Lovelace", "Byron"),
        ("Title", "absent", "CTO"),
        ("City", "any", None),
    ]
    text = out[0].describe()
    assert (
        "then[2] salesforce.lead (line 12): record salesforce lead ada field LastName: values differ" in text
    )
    assert "expected: 'Lovelace'" in text and "actual:   'Byron'" in text


def test_field_names_match_case_insensitively() -> None:
    out = _compare_fields(
        _world({}), STEP, "r", "hubspot", "1", {"firstname": "Ada"}, {"FirstName": "Ada"}, None
    )
    assert out == []


def test_others_unchanged_flags_fields_not_named_but_ignores_timestamps_and_link_properties() -> None:
    before = {"firstname": "Ada", "lastname": "Lovelace", "city": "London", "lastmodifieddate": "t0"}
    after = {
        "firstname": "Ada",
        "lastname": "Lovelace",
        "city": "Paris",
        "jobtitle": "CTO",
        "lastmodifieddate": "t1",
        "salesforceleadid": "00Q1",
    }
    out = _compare_fields(
        _world({("hubspot", "1"): before}),
        STEP,
        "hubspot contact ada",
        "hubspot",
        "1",
        after,
        {"jobtitle": "CTO"},
        "unchanged",
    )
    assert [(m.field, m.expected, m.actual) for m in out] == [("city", "London", "Paris")]


def test_others_unchanged_needs_a_given_record() -> None:
    out = _compare_fields(_world({}), STEP, "r", "hubspot", "1", {"a": "1"}, {}, "unchanged")
    assert len(out) == 1 and isinstance(out[0], Mismatch) and "end of `given`" in out[0].message


def test_an_or_list_of_where_blocks_becomes_one_and_branch_each() -> None:
    branch = filter_branch(
        [{"lifecyclestage": "marketingqualifiedlead"}, {"lifecyclestage": "salesqualifiedlead", "country": "NL"}],
        {"lifecyclestage": "enumeration", "country": "string"},
    )
    assert branch["filterBranchType"] == "OR"
    ands = branch["filterBranches"]
    assert [b["filterBranchType"] for b in ands] == ["AND", "AND"]
    assert [[f["property"] for f in b["filters"]] for b in ands] == [["lifecyclestage"], ["lifecyclestage", "country"]]
    assert ands[1]["filters"][0]["operation"] == {
        "operationType": "ENUMERATION",
        "operator": "IS_ANY_OF",
        "values": ["salesqualifiedlead"],
    }
