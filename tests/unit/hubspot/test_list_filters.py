"""Lists v3 filterBranch validation and evaluation (simulator/hubspot/list_filters.py), on plain records."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.hubspot import list_filters as lf
from simulator.hubspot.errors import HubSpotError

NOW = int(datetime(2026, 1, 5, 9, 0, tzinfo=UTC).timestamp() * 1000)
DAY = 86_400_000


def rec(rid: str = "1", **props: Any) -> SimpleNamespace:
    return SimpleNamespace(id=rid, object_type="contacts", properties={k: v for k, v in props.items()})


def ctx(members: dict[str, set[str]] | None = None, associated: Any = None) -> lf.EvalContext:
    members = members or {}
    return lf.EvalContext(NOW, lambda lid, rid: rid in members.get(lid, set()), associated or (lambda *_: []))


def branch(*filters: dict[str, Any], more: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "filterBranchType": "OR",
        "filterBranchOperator": "OR",
        "filters": [],
        "filterBranches": [
            {
                "filterBranchType": "AND",
                "filterBranchOperator": "AND",
                "filters": list(filters),
                "filterBranches": [],
            },
            *(more or []),
        ],
    }


def prop(name: str, **operation: Any) -> dict[str, Any]:
    return {"filterType": "PROPERTY", "property": name, "operation": operation}


def check(f: dict[str, Any], record: SimpleNamespace, context: lf.EvalContext | None = None) -> bool:
    b = branch(f)
    lf.validate(b)
    return lf.matches(b, record, context or ctx())


# --- structure ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        {"filterBranchType": "AND", "filters": [], "filterBranches": []},
        {
            "filterBranchType": "OR",
            "filters": [prop("email", operationType="ALL_PROPERTY", operator="IS_KNOWN")],
            "filterBranches": [],
        },
        {
            "filterBranchType": "OR",
            "filters": [],
            "filterBranches": [{"filterBranchType": "OR", "filters": [], "filterBranches": []}],
        },
        {"filterBranchType": "OR", "filters": [], "filterBranches": "nope"},
        branch({"filterType": "FORM_SUBMISSION", "formId": "x"}),
        branch(prop("email", operationType="STRING", operator="IS_BIGGER", value="x")),
        branch(prop("email", operationType="STRING", operator="IS_EQUAL_TO")),
        branch(prop("n", operationType="NUMBER", operator="IS_BETWEEN", lowerBound=1)),
        branch(
            prop(
                "d",
                operationType="TIME_POINT",
                operator="IS_AFTER",
                timePoint={"timeType": "DATE", "year": 2024, "month": 13, "day": 1},
            )
        ),
        branch(
            prop(
                "d",
                operationType="TIME_POINT",
                operator="IS_AFTER",
                timePoint={"timeType": "INDEXED", "indexReference": {"referenceType": "LATER"}},
            )
        ),
        branch({"filterType": "IN_LIST", "listId": "99", "operator": "IN_LIST"}),
    ],
)
def test_invalid_branches_are_400_validation_errors(bad: Any) -> None:
    with pytest.raises(HubSpotError) as exc:
        lf.validate(bad, list_exists=lambda lid: False)
    assert exc.value.status == 400 and exc.value.category == "VALIDATION_ERROR"


def test_root_or_of_and_branches_is_or_of_ands() -> None:
    b = branch(
        prop("firstname", operationType="STRING", operator="IS_EQUAL_TO", value="Ann"),
        more=[
            {
                "filterBranchType": "AND",
                "filters": [prop("lastname", operationType="STRING", operator="IS_EQUAL_TO", value="Lee")],
                "filterBranches": [],
            }
        ],
    )
    lf.validate(b)
    assert lf.matches(b, rec(firstname="Ann"), ctx())
    assert lf.matches(b, rec(lastname="lee"), ctx())
    assert not lf.matches(b, rec(firstname="Bob", lastname="Ray"), ctx())


def test_empty_root_matches_nothing_and_empty_and_matches_everything() -> None:
    assert not lf.matches({"filterBranchType": "OR", "filters": [], "filterBranches": []}, rec(), ctx())
    assert lf.matches(branch(), rec(), ctx())


# --- operators ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("IS_EQUAL_TO", "ann@acme.com", True),
        ("IS_EQUAL_TO", "ANN@ACME.COM", True),
        ("IS_EQUAL_TO", "x", False),
        ("IS_NOT_EQUAL_TO", "x", True),
        ("IS_NOT_EQUAL_TO", "ann@acme.com", False),
        ("CONTAINS", "@acme", True),
        ("CONTAINS", "@other", False),
        ("DOES_NOT_CONTAIN", "@other", True),
        ("DOES_NOT_CONTAIN", "acme", False),
        ("STARTS_WITH", "ann", True),
        ("STARTS_WITH", "acme", False),
        ("ENDS_WITH", ".com", True),
        ("ENDS_WITH", ".org", False),
    ],
)
def test_string_operators(operator: str, value: str, expected: bool) -> None:
    assert (
        check(
            prop("email", operationType="STRING", operator=operator, value=value), rec(email="ann@acme.com")
        )
        is expected
    )


@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        ("IS_EQUAL_TO", ["x", "Ann"], True),
        ("IS_NOT_EQUAL_TO", ["x", "Ann"], False),
        ("IS_NOT_EQUAL_TO", ["x"], True),
        ("CONTAINS", ["zz", "nn"], True),
        ("DOES_NOT_CONTAIN", ["zz", "nn"], False),
        ("STARTS_WITH", ["A"], True),
        ("ENDS_WITH", ["q"], False),
    ],
)
def test_multistring_operators_match_any_value(operator: str, values: list[str], expected: bool) -> None:
    assert (
        check(
            prop("firstname", operationType="MULTISTRING", operator=operator, values=values),
            rec(firstname="Ann"),
        )
        is expected
    )


def test_known_and_unknown_and_no_value_handling() -> None:
    known = prop("phone", operationType="ALL_PROPERTY", operator="IS_KNOWN")
    unknown = prop("phone", operationType="ALL_PROPERTY", operator="IS_UNKNOWN")
    assert check(known, rec(phone="1")) and not check(known, rec(phone="")) and not check(known, rec())
    assert check(unknown, rec()) and not check(unknown, rec(phone="1"))
    # IS_KNOWN is accepted under a typed operationType too
    assert check(prop("phone", operationType="STRING", operator="IS_KNOWN"), rec(phone="1"))
    neg = prop("phone", operationType="STRING", operator="IS_NOT_EQUAL_TO", value="1")
    assert not check(neg, rec())
    neg["operation"]["includeObjectsWithNoValueSet"] = True
    assert check(neg, rec())


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("IS_EQUAL_TO", 10, True),
        ("IS_EQUAL_TO", 11, False),
        ("IS_NOT_EQUAL_TO", 11, True),
        ("IS_GREATER_THAN", 9.5, True),
        ("IS_GREATER_THAN", 10, False),
        ("IS_GREATER_THAN_OR_EQUAL_TO", 10, True),
        ("IS_LESS_THAN", 10, False),
        ("IS_LESS_THAN", 10.5, True),
        ("IS_LESS_THAN_OR_EQUAL_TO", 10, True),
    ],
)
def test_number_operators(operator: str, value: float, expected: bool) -> None:
    assert check(prop("n", operationType="NUMBER", operator=operator, value=value), rec(n="10")) is expected


@pytest.mark.parametrize(
    ("op_type", "operator", "low", "high", "expected"),
    [
        ("NUMBER", "IS_BETWEEN", 5, 10, True),
        ("NUMBER", "IS_BETWEEN", 11, 20, False),
        ("NUMBER", "IS_NOT_BETWEEN", 11, 20, True),
        ("NUMBER_RANGED", "IS_NOT_BETWEEN", 0, 10, False),
    ],
)
def test_number_ranges(op_type: str, operator: str, low: int, high: int, expected: bool) -> None:
    f = prop("n", operationType=op_type, operator=operator, lowerBound=low, upperBound=high)
    assert check(f, rec(n="10")) is expected
    assert not check(f, rec(n="not a number"))


def test_bool_operators() -> None:
    assert check(prop("b", operationType="BOOL", operator="IS_EQUAL_TO", value=True), rec(b="true"))
    assert not check(prop("b", operationType="BOOL", operator="IS_EQUAL_TO", value=True), rec(b="false"))
    assert check(prop("b", operationType="BOOL", operator="IS_NOT_EQUAL_TO", value=True), rec(b="false"))


@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        ("IS_ANY_OF", ["b", "z"], True),
        ("IS_ANY_OF", ["z"], False),
        ("IS_NONE_OF", ["z"], True),
        ("IS_NONE_OF", ["a"], False),
        ("IS_EXACTLY", ["b", "a"], True),
        ("IS_EXACTLY", ["a"], False),
        ("IS_NOT_EXACTLY", ["a"], True),
        ("CONTAINS_ALL", ["a", "b"], True),
        ("CONTAINS_ALL", ["a", "z"], False),
        ("DOES_NOT_CONTAIN_ALL", ["a", "z"], True),
        ("DOES_NOT_CONTAIN_ALL", ["a"], False),
    ],
)
def test_enumeration_set_operators_on_multi_checkbox_values(
    operator: str, values: list[str], expected: bool
) -> None:
    assert (
        check(prop("tags", operationType="ENUMERATION", operator=operator, values=values), rec(tags="a;b"))
        is expected
    )
    assert (
        check(prop("tags", operationType="MULTISTRING", operator=operator, values=values), rec(tags="a;b"))
        is expected
    )


def _date(year: int, month: int, day: int, **extra: Any) -> dict[str, Any]:
    return {
        "timeType": "DATE",
        "timezoneSource": "CUSTOM",
        "zoneId": "UTC",
        "year": year,
        "month": month,
        "day": day,
        **extra,
    }


def test_time_point_after_before_with_dates_and_iso_or_ms_values() -> None:
    after = prop("closedate", operationType="TIME_POINT", operator="IS_AFTER", timePoint=_date(2025, 6, 1))
    before = prop("closedate", operationType="TIME_POINT", operator="IS_BEFORE", timePoint=_date(2025, 6, 1))
    late, early = rec(closedate="2025-07-01T00:00:00.000Z"), rec(closedate=str(NOW - 400 * DAY))
    assert check(after, late) and not check(after, early)
    assert check(before, early) and not check(before, late)
    edge = rec(closedate="2025-06-01T00:00:00Z")
    assert not check(after, edge)
    after["operation"]["endpointBehavior"] = "INCLUSIVE"
    assert check(after, edge)
    # a zone shifts the instant: midnight in New York is 04:00/05:00 UTC
    ny = prop(
        "closedate",
        operationType="TIME_POINT",
        operator="IS_AFTER",
        timePoint={**_date(2025, 6, 1), "zoneId": "America/New_York"},
    )
    assert not check(ny, rec(closedate="2025-06-01T03:00:00Z"))


def test_time_ranged_between_and_indexed_relative_points() -> None:
    last_week = prop(
        "lastmodifieddate",
        operationType="TIME_RANGED",
        operator="IS_BETWEEN",
        lowerBoundTimePoint={
            "timeType": "INDEXED",
            "indexReference": {"referenceType": "TODAY"},
            "offset": {"days": -7},
        },
        upperBoundTimePoint={"timeType": "INDEXED", "indexReference": {"referenceType": "NOW"}},
    )
    assert check(last_week, rec(lastmodifieddate=str(NOW - 2 * DAY)))
    assert not check(last_week, rec(lastmodifieddate=str(NOW - 9 * DAY)))
    assert not check(last_week, rec(lastmodifieddate=str(NOW + DAY)))
    last_week["operation"]["operator"] = "IS_NOT_BETWEEN"
    assert check(last_week, rec(lastmodifieddate=str(NOW - 9 * DAY)))
    assert lf.uses_relative_time(branch(last_week))
    month_start = prop(
        "d",
        operationType="TIME_POINT",
        operator="IS_AFTER",
        timePoint={
            "timeType": "INDEXED",
            "indexReference": {"referenceType": "MONTH"},
            "offset": {"months": -1},
        },
    )
    assert check(month_start, rec(d="2025-12-15T00:00:00Z")) and not check(
        month_start, rec(d="2025-11-30T00:00:00Z")
    )


def test_property_referenced_time_point_compares_two_properties() -> None:
    f = prop(
        "closedate",
        operationType="TIME_POINT",
        operator="IS_AFTER",
        timePoint={"timeType": "PROPERTY_REFERENCED", "property": "createdate", "referenceType": "VALUE"},
    )
    assert check(f, rec(closedate="2025-02-01", createdate="2025-01-01"))
    assert not check(f, rec(closedate="2024-02-01", createdate="2025-01-01"))
    assert not check(f, rec(closedate="2024-02-01"))


def test_legacy_datetime_and_ranged_date() -> None:
    assert check(
        prop("d", operationType="DATETIME", operator="IS_AFTER", timestamp=NOW - DAY), rec(d=str(NOW))
    )
    assert check(
        prop("d", operationType="DATETIME", operator="IS_EQUAL_TO", timestamp=NOW + 1000), rec(d=str(NOW))
    )
    assert check(
        prop("d", operationType="RANGED_DATE", operator="IS_BETWEEN", lowerBound=NOW - DAY, upperBound=NOW),
        rec(d=str(NOW)),
    )


def test_in_list_and_constant_and_nested_not_branches() -> None:
    members = {"7": {"1"}}
    in_list = {"filterType": "IN_LIST", "listId": "7", "operator": "IN_LIST"}
    not_in = {"filterType": "IN_LIST", "listId": "7", "operator": "NOT_IN_LIST"}
    for f, rid, expected in ((in_list, "1", True), (in_list, "2", False), (not_in, "2", True)):
        b = branch(f)
        lf.validate(b, list_exists=lambda lid: lid == "7")
        assert lf.matches(b, rec(rid), ctx(members)) is expected
    assert check({"filterType": "CONSTANT", "shouldAccept": False}, rec()) is False
    not_any = branch(more=[])
    not_any["filterBranches"][0]["filterBranches"] = [
        {
            "filterBranchType": "NOT_ANY",
            "filterBranches": [],
            "filters": [prop("x", operationType="ALL_PROPERTY", operator="IS_KNOWN")],
        }
    ]
    lf.validate(not_any)
    assert lf.matches(not_any, rec(), ctx()) and not lf.matches(not_any, rec(x="1"), ctx())
    assert lf.referenced_lists(branch(in_list)) == {"7"}


def test_association_branch_matches_through_associated_records() -> None:
    company = SimpleNamespace(id="50", object_type="companies", properties={"domain": "acme.com"})
    b = branch()
    b["filterBranches"][0]["filterBranches"] = [
        {
            "filterBranchType": "ASSOCIATION",
            "objectTypeId": "0-2",
            "operator": "IN_LIST",
            "associationTypeId": 279,
            "associationCategory": "HUBSPOT_DEFINED",
            "filterBranches": [],
            "filters": [prop("domain", operationType="STRING", operator="IS_EQUAL_TO", value="acme.com")],
        }
    ]
    lf.validate(b)
    linked = ctx(
        associated=lambda ot, rid, to, tid: [company] if rid == "1" and to == "0-2" and tid == 279 else []
    )
    assert lf.matches(b, rec("1"), linked) and not lf.matches(b, rec("2"), linked)


COMPLEMENTS = [("IS_EQUAL_TO", "IS_NOT_EQUAL_TO"), ("CONTAINS", "DOES_NOT_CONTAIN")]
SET_COMPLEMENTS = [
    ("IS_ANY_OF", "IS_NONE_OF"),
    ("IS_EXACTLY", "IS_NOT_EXACTLY"),
    ("CONTAINS_ALL", "DOES_NOT_CONTAIN_ALL"),
]
WORD = st.text(alphabet="abAB;", min_size=1, max_size=5)


@settings(max_examples=60, deadline=None)
@given(value=WORD, wanted=st.lists(WORD, min_size=1, max_size=3))
def test_negative_operators_are_exact_complements_for_known_values(value: str, wanted: list[str]) -> None:
    record = rec(p=value)
    for pos, neg in COMPLEMENTS:
        a = check(prop("p", operationType="MULTISTRING", operator=pos, values=wanted), record)
        b = check(prop("p", operationType="MULTISTRING", operator=neg, values=wanted), record)
        assert a != b, (pos, value, wanted)
    if value.strip(";"):
        for pos, neg in SET_COMPLEMENTS:
            a = check(prop("p", operationType="ENUMERATION", operator=pos, values=wanted), record)
            b = check(prop("p", operationType="ENUMERATION", operator=neg, values=wanted), record)
            assert a != b, (pos, value, wanted)


@settings(max_examples=60, deadline=None)
@given(x=st.integers(-1000, 1000), low=st.integers(-1000, 1000), span=st.integers(0, 500))
def test_number_between_matches_the_inclusive_interval(x: int, low: int, span: int) -> None:
    f = prop("n", operationType="NUMBER", operator="IS_BETWEEN", lowerBound=low, upperBound=low + span)
    assert check(f, rec(n=str(x))) is (low <= x <= low + span)
