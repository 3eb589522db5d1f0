"""Executing queries against the in-memory source: every operator, literal kind, relationships,
ordering, paging, COUNT(), queryAll, canonical names, and the semantic error codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from simulator.salesforce import soql
from simulator.salesforce.soql import Row, SoqlError, render_record
from simulator.salesforce.soql.memory import DictSource

Run = Callable[..., soql.QueryResult]


def nums(result: soql.QueryResult) -> list[int]:
    return [int(r["Id"][3:15]) for r in result.records]


def where(run: Run, cond: str, **kw: Any) -> list[int]:
    return nums(run(f"SELECT Id FROM Lead WHERE {cond} ORDER BY Id", **kw))


def error(run: Run, text: str) -> SoqlError:
    with pytest.raises(SoqlError) as exc:
        run(text)
    return exc.value


# --- selection and names ---------------------------------------------------------------------------
def test_canonical_keys_in_select_order(run: Run) -> None:
    res = run("select email, id, FIRSTNAME from lead where lastname = 'lovelace'")
    assert res.object_name == "Lead"
    assert list(res.records[0].keys()) == ["Email", "Id", "FirstName"]
    assert res.records[0] == {"Email": "Ada@Example.com", "Id": "00Q000000000001AAA", "FirstName": "Ada"}
    assert [f.name for f in res.selected_fields] == ["Email", "Id", "FirstName"]
    assert res.total_size == 1 and not res.is_count


def test_relationship_fields_nest_and_carry_type(run: Run) -> None:
    res = run("SELECT Id, owner.name, Owner.Email, Owner.Manager.Name FROM Lead ORDER BY Id")
    first, second, third = res.records
    assert first["Owner"] == {"Name": "Ann Admin", "Email": "ann@x.io", "Manager": None}
    assert second["Owner"] == {"Name": "Bob", "Email": "bob@x.io", "Manager": {"Name": "Ann Admin"}}
    assert third["Owner"] is None  # null reference -> null nested record
    owner = second["Owner"]
    assert isinstance(owner, Row) and owner.sobject_type == "User" and owner.record_id == "005000000000002AAA"
    assert owner["Manager"].sobject_type == "User"
    sel = res.selected_fields[3]
    assert sel.path == ("Owner", "Manager", "Name") and sel.objects == ("Lead", "User", "User")
    assert sel.type == "string"


def test_object_name_prefix_on_fields(run: Run) -> None:
    assert run("SELECT Lead.Email FROM Lead WHERE Lead.LastName = 'Hopper'").records == [
        {"Email": "grace@example.com"}
    ]


def test_render_record_adds_attributes(run: Run) -> None:
    row = run("SELECT Email, Owner.Name, CreatedDate FROM Lead WHERE LastName = 'Lovelace'").records[0]
    wire = render_record(row, "59.0", lambda v: v.isoformat() if isinstance(v, datetime) else v)
    assert wire == {
        "attributes": {"type": "Lead", "url": "/services/data/v59.0/sobjects/Lead/00Q000000000001AAA"},
        "Email": "Ada@Example.com",
        "Owner": {
            "attributes": {"type": "User", "url": "/services/data/v59.0/sobjects/User/005000000000001AAA"},
            "Name": "Ann Admin",
        },
        "CreatedDate": "2024-05-15T08:00:00+00:00",
    }
    assert json.loads(json.dumps(wire)) == wire


def test_rows_are_plain_json_dicts(run: Run) -> None:
    rows = run("SELECT Id, Owner.Name FROM Lead ORDER BY Id LIMIT 1").records
    assert json.loads(json.dumps(rows)) == [{"Id": "00Q000000000001AAA", "Owner": {"Name": "Ann Admin"}}]


# --- operators -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ("Email = 'ada@example.com'", [1]),  # case-insensitive text equality
        ("Email = 'ADA@EXAMPLE.COM'", [1]),
        ("Email != 'ada@example.com'", [2, 3]),
        ("Email <> 'ada@example.com'", [2, 3]),
        ("FirstName = null", [3]),
        ("FirstName != null", [1, 2]),
        ("FirstName != 'Ada'", [2, 3]),  # null counts as "not equal" in SOQL
        ("FirstName = ''", [3]),  # empty text is null
        ("NumberOfEmployees > 10", [2]),
        ("NumberOfEmployees >= 10", [1, 2]),
        ("NumberOfEmployees < 500", [1]),
        ("NumberOfEmployees <= 500", [1, 2]),
        ("NumberOfEmployees = 10", [1]),
        ("NumberOfEmployees != 10", [2, 3]),
        ("AnnualRevenue > 1000.25", [1]),
        ("AnnualRevenue < 1000", []),
        ("NumberOfEmployees > -1", [1, 2]),
        ("LastName > 'l'", [1, 3]),  # text ordering is case-insensitive
        ("LastName < 'HOPPERS'", [2]),
        ("IsConverted = true", [3]),
        ("IsConverted = FALSE", [1, 2]),
        ("IsConverted != true", [1, 2]),
        ("Status IN ('working - contacted', 'Closed - Converted')", [2, 3]),
        ("Status NOT IN ('Working - Contacted')", [1, 3]),
        ("FirstName IN ('ada', null)", [1, 3]),
        ("FirstName NOT IN ('ada')", [2, 3]),
        ("NumberOfEmployees IN (10, 11)", [1]),
        ("Id IN ('00Q000000000002AAA', '00Q000000000003')", [2, 3]),  # 18- and 15-char ids
        ("Id = '00Q000000000001'", [1]),
        ("OwnerId = '005000000000001AAA'", [1]),
        ("OwnerId = null", [3]),
        ("ConvertedDate = 2024-05-10", [3]),
        ("ConvertedDate > 2024-05-09", [3]),
        ("ConvertedDate < 2024-05-10", []),
        ("CreatedDate > 2024-05-14T23:59:59Z", [1]),
        ("CreatedDate >= 2024-05-14T23:59:59Z", [1, 2]),
        ("CreatedDate >= 2024-05-14T18:59:59-05:00", [1, 2]),
        ("CreatedDate = 2024-05-15T08:00:00.000+0000", [1]),
        ("CreatedDate < 2024-05-01T00:00:00+00:00", [3]),
    ],
)
def test_comparison_operators(run: Run, cond: str, expected: list[int]) -> None:
    assert where(run, cond) == expected


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ("LastName LIKE 'L%'", [1]),
        ("LastName LIKE 'l%E'", [1]),
        ("LastName LIKE '%o%'", [1, 2, 3]),
        ("LastName LIKE 'Hoppe_'", [2]),
        ("LastName LIKE 'Hopp_'", []),
        ("LastName LIKE 'O\\'%'", [3]),
        ("Email LIKE '%\\_\\%@%'", [3]),  # escaped wildcards match literally
        ("Email LIKE '%\\%'", []),
        ("Email LIKE '%_%@%'", [1, 2, 3]),
        ("FirstName LIKE '%'", [1, 2]),  # null never matches LIKE
        ("NOT LastName LIKE 'L%'", [2, 3]),
        ("Company LIKE 'acme'", [1, 3]),
    ],
)
def test_like(run: Run, cond: str, expected: list[int]) -> None:
    assert where(run, cond) == expected


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ("Interests__c INCLUDES ('Sync')", [1, 2]),
        ("Interests__c INCLUDES ('billing')", [1]),
        ("Interests__c INCLUDES ('Billing;Sync')", [1]),  # ';' = both values
        ("Interests__c INCLUDES ('Billing;Other', 'Sync')", [1, 2]),  # ',' = either group
        ("Interests__c INCLUDES ('Other')", []),
        ("Interests__c EXCLUDES ('Billing')", [2, 3]),  # null multipicklist excludes everything
        ("Interests__c EXCLUDES ('Sync', 'Billing')", [3]),
        ("Interests__c = 'Billing;Sync'", [1]),  # exact set, any order
        ("Interests__c = 'Sync'", [2]),
        ("Interests__c != 'Sync'", [1, 3]),
        ("Interests__c = null", [3]),
    ],
)
def test_multipicklist(run: Run, cond: str, expected: list[int]) -> None:
    assert where(run, cond) == expected


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ("Email = 'grace@example.com' AND NumberOfEmployees = 500", [2]),
        ("Email = 'grace@example.com' AND NumberOfEmployees = 10", []),
        ("Email = 'grace@example.com' OR NumberOfEmployees = 10", [1, 2]),
        ("(Company = 'Acme' OR Company = 'Navy') AND IsConverted = false", [1, 2]),
        ("Company = 'Acme' AND (IsConverted = true OR FirstName = 'Ada')", [1, 3]),
        ("NOT (Company = 'Acme')", [2]),
        ("NOT Company = 'Acme' OR IsConverted = true", [2, 3]),
        ("NOT (NOT (FirstName = 'Ada'))", [1]),
    ],
)
def test_boolean_logic(run: Run, cond: str, expected: list[int]) -> None:
    assert where(run, cond) == expected


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ("CreatedDate = TODAY", [1]),
        ("CreatedDate = YESTERDAY", [2]),
        ("CreatedDate = TOMORROW", []),
        ("CreatedDate > YESTERDAY", [1]),  # after the end of yesterday
        ("CreatedDate >= YESTERDAY", [1, 2]),
        ("CreatedDate < TODAY", [2, 3]),  # before the start of today
        ("CreatedDate <= YESTERDAY", [2, 3]),
        ("CreatedDate != TODAY", [2, 3]),
        ("CreatedDate = THIS_WEEK", [1, 2]),
        ("CreatedDate = LAST_WEEK", []),
        ("CreatedDate = THIS_MONTH", [1, 2]),
        ("CreatedDate = LAST_MONTH", [3]),
        ("CreatedDate = THIS_YEAR", [1, 2, 3]),
        ("CreatedDate = LAST_N_DAYS:1", [1, 2]),
        ("CreatedDate = LAST_N_DAYS:15", [1, 2, 3]),
        ("CreatedDate = LAST_90_DAYS", [1, 2, 3]),
        ("CreatedDate = NEXT_N_DAYS:5", []),
        ("CreatedDate IN (TODAY, LAST_MONTH)", [1, 3]),
        ("ConvertedDate = LAST_N_DAYS:5", [3]),
        ("ConvertedDate = LAST_N_DAYS:4", []),
        ("ConvertedDate < THIS_WEEK", [3]),
        ("ConvertedDate = THIS_MONTH", [3]),
    ],
)
def test_date_literals(run: Run, cond: str, expected: list[int]) -> None:
    assert where(run, cond) == expected


def test_now_comes_from_the_clock(schema: Any, source: DictSource) -> None:
    later = datetime(2024, 5, 16, 0, 0, 1, tzinfo=UTC)
    res = soql.execute("SELECT Id FROM Lead WHERE CreatedDate = YESTERDAY", schema, source, lambda: later)
    assert nums(res) == [1]


def test_relationship_in_where_and_order_by(run: Run) -> None:
    assert where(run, "Owner.Name = 'bob'") == [2]
    assert where(run, "Owner.Manager.Name = 'Ann Admin'") == [2]
    assert where(run, "Owner.Name != 'Bob'") == [1, 3]  # null parent counts as not equal
    assert where(run, "ConvertedAccount.Owner.Name LIKE 'B%'") == [3]
    res = run("SELECT Id FROM Lead ORDER BY Owner.Name DESC")
    assert nums(res) == [2, 1, 3]


# --- deleted / queryAll ----------------------------------------------------------------------------
def test_query_excludes_deleted_and_query_all_includes_them(run: Run) -> None:
    assert where(run, "Email = 'gone@example.com'") == []
    assert where(run, "Email = 'gone@example.com'", include_deleted=True) == [4]
    assert run("SELECT COUNT() FROM Lead").total_size == 3
    assert run("SELECT COUNT() FROM Lead", include_deleted=True).total_size == 4
    assert where(run, "IsDeleted = true", include_deleted=True) == [4]


def test_converted_leads_are_returned_by_both(run: Run) -> None:
    assert where(run, "IsConverted = true") == [3]
    assert where(run, "IsConverted = true", include_deleted=True) == [3]


# --- ordering, limit, offset, count ----------------------------------------------------------------
def test_order_by_nulls_defaults(run: Run) -> None:
    assert nums(run("SELECT Id FROM Lead ORDER BY FirstName")) == [3, 1, 2]  # ASC: nulls first
    assert nums(run("SELECT Id FROM Lead ORDER BY FirstName DESC")) == [2, 1, 3]  # DESC: nulls last
    assert nums(run("SELECT Id FROM Lead ORDER BY FirstName NULLS LAST")) == [1, 2, 3]
    assert nums(run("SELECT Id FROM Lead ORDER BY FirstName DESC NULLS FIRST")) == [3, 2, 1]


def test_order_by_multiple_keys_and_case_insensitive_text(schema: Any) -> None:
    src = DictSource()
    for n, (company, last) in enumerate([("b", "x"), ("A", "z"), ("a", "y"), ("B", "w")], start=1):
        src.insert(
            "Lead", {"Id": f"00Q{n:012d}AAA", "Company": company, "LastName": last, "IsDeleted": False}
        )
    res = soql.execute(
        "SELECT LastName FROM Lead ORDER BY Company, LastName DESC", schema, src, lambda: datetime.now(UTC)
    )
    assert [r["LastName"] for r in res.records] == ["z", "y", "x", "w"]


def test_limit_offset(run: Run) -> None:
    assert nums(run("SELECT Id FROM Lead ORDER BY Id LIMIT 2")) == [1, 2]
    assert nums(run("SELECT Id FROM Lead ORDER BY Id LIMIT 2 OFFSET 1")) == [2, 3]
    assert nums(run("SELECT Id FROM Lead ORDER BY Id OFFSET 2")) == [3]
    assert nums(run("SELECT Id FROM Lead ORDER BY Id OFFSET 2000")) == []
    assert nums(run("SELECT Id FROM Lead LIMIT 0")) == []
    assert run("SELECT Id FROM Lead LIMIT 2").total_size == 2


def test_count(run: Run) -> None:
    res = run("SELECT COUNT() FROM Lead WHERE Company = 'acme'")
    assert (res.is_count, res.total_size, res.records, res.selected_fields) == (True, 2, [], ())
    assert run("SELECT COUNT() FROM Lead LIMIT 1").total_size == 1


# --- errors ----------------------------------------------------------------------------------------
def test_unknown_object(run: Run) -> None:
    err = error(run, "SELECT Id FROM Foo")
    assert err.error_code == "INVALID_TYPE"
    assert err.detail.startswith("sObject type 'Foo' is not supported.")
    assert err.column == 16


def test_unknown_field(run: Run) -> None:
    err = error(run, "SELECT Id, Foo FROM Lead")
    assert err.error_code == "INVALID_FIELD"
    assert err.detail.startswith(
        "No such column 'Foo' on entity 'Lead'. If you are attempting to use a custom field"
    )
    assert err.message.startswith("\nSELECT Id, Foo FROM Lead\n           ^\nERROR at Row:1:Column:12\n")


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("SELECT Id FROM Lead WHERE Bogus = 1", 27),
        ("SELECT Id FROM Lead ORDER BY Bogus", 30),
        ("SELECT Owner.Bogus FROM Lead", 8),
    ],
)
def test_unknown_field_everywhere(run: Run, text: str, column: int) -> None:
    err = error(run, text)
    assert (err.error_code, err.column) == ("INVALID_FIELD", column)


def test_unknown_relationship(run: Run) -> None:
    err = error(run, "SELECT Boss.Name FROM Lead")
    assert err.error_code == "INVALID_FIELD"
    assert err.detail.startswith("Didn't understand relationship 'Boss' in field path.")
    assert error(run, "SELECT Email.Name FROM Lead").error_code == "INVALID_FIELD"  # not a reference


@pytest.mark.parametrize(
    ("cond", "detail"),
    [
        (
            "CreatedDate = '2024-01-01'",
            "value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes",
        ),
        (
            "CreatedDate = 2024-01-01",
            "value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes",
        ),
        (
            "ConvertedDate = 2024-01-01T00:00:00Z",
            "value of filter criterion for field 'ConvertedDate' must be of type date and should not be enclosed in quotes",
        ),
        (
            "IsConverted = 'true'",
            "value of filter criterion for field 'IsConverted' must be of type boolean and should not be enclosed in quotes",
        ),
        (
            "IsConverted = TODAY",
            "value of filter criterion for field 'IsConverted' must be of type boolean and should not be enclosed in quotes",
        ),
        (
            "NumberOfEmployees = '5'",
            "value of filter criterion for field 'NumberOfEmployees' must be of type integer and should not be enclosed in quotes",
        ),
        (
            "AnnualRevenue = true",
            "value of filter criterion for field 'AnnualRevenue' must be of type double and should not be enclosed in quotes",
        ),
        (
            "Email = 5",
            "value of filter criterion for field 'Email' must be of type string and should be enclosed in quotes",
        ),
        (
            "Email IN ('a', 5)",
            "value of filter criterion for field 'Email' must be of type string and should be enclosed in quotes",
        ),
        (
            "LastName LIKE 5",
            "value of filter criterion for field 'LastName' must be of type string and should be enclosed in quotes",
        ),
        (
            "Owner.Name = TODAY",
            "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes",
        ),
    ],
)
def test_type_mismatch_is_invalid_field(run: Run, cond: str, detail: str) -> None:
    err = error(run, f"SELECT Id FROM Lead WHERE {cond}")
    assert err.error_code == "INVALID_FIELD"
    assert err.detail == detail
    assert err.row == 1 and err.column is not None


@pytest.mark.parametrize(
    "cond",
    [
        "Interests__c LIKE 'a%'",
        "Interests__c IN ('a')",
        "Interests__c > 'a'",
        "Status INCLUDES ('a')",
        "NumberOfEmployees LIKE '1%'",
        "IsConverted > false",
        "Id = 'not-an-id'",
        "OwnerId IN ('005000000000001AAA', 'short')",
    ],
)
def test_bad_operator_or_id(run: Run, cond: str) -> None:
    assert error(run, f"SELECT Id FROM Lead WHERE {cond}").error_code == "INVALID_QUERY_FILTER_OPERATOR"


def test_invalid_id_message(run: Run) -> None:
    assert error(run, "SELECT Id FROM Lead WHERE Id = 'abc'").detail == "invalid ID field: abc"


def test_offset_limit(run: Run) -> None:
    err = error(run, "SELECT Id FROM Lead OFFSET 2001")
    assert err.error_code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert err.detail == "Maximum SOQL offset allowed is 2000"
    assert err.column == 28


def test_duplicate_field(run: Run) -> None:
    err = error(run, "SELECT Id, id FROM Lead")
    assert err.error_code == "MALFORMED_QUERY" and err.detail == "duplicate field selected: Id"


def test_order_by_multipicklist_rejected(run: Run) -> None:
    assert error(run, "SELECT Id FROM Lead ORDER BY Interests__c").error_code == "INVALID_FIELD"


def test_null_with_ordering_operator_rejected(run: Run) -> None:
    assert error(run, "SELECT Id FROM Lead WHERE NumberOfEmployees > null").error_code == "MALFORMED_QUERY"


def test_execute_accepts_parsed_query(schema: Any, source: DictSource) -> None:
    q = soql.parse("SELECT Id FROM Lead WHERE Email = 'grace@example.com'")
    assert nums(soql.execute(q, schema, source, lambda: datetime(2024, 1, 1, tzinfo=UTC))) == [2]


def test_convention_relationships_without_resolve_relationship(schema: Any, source: DictSource) -> None:
    class ConventionOnly:
        def resolve_object(self, name: str) -> str | None:
            return schema.resolve_object(name)

        def resolve_field(self, obj: str, name: str) -> Any:
            return schema.resolve_field(obj, name)

    res = soql.execute(
        "SELECT Owner.Name FROM Lead WHERE LastName = 'Hopper'",
        ConventionOnly(),
        source,
        lambda: datetime.now(UTC),
    )
    assert res.records == [{"Owner": {"Name": "Bob"}}]


def test_date_values_compare_when_store_holds_date(run: Run) -> None:
    assert run("SELECT ConvertedDate FROM Lead WHERE ConvertedDate != null").records == [
        {"ConvertedDate": date(2024, 5, 10)}
    ]


def test_polymorphic_reference_follows_the_id_prefix(schema: Any) -> None:
    from simulator.salesforce.soql.memory import DictSchema
    from simulator.salesforce.soql.schema import FieldInfo

    poly = DictSchema(
        {
            "Lead": [FieldInfo("Id", "id"), FieldInfo("OwnerId", "reference", ("User", "Group"), "Owner")],
            "User": [FieldInfo("Id", "id"), FieldInfo("Name", "string")],
            "Group": [FieldInfo("Id", "id"), FieldInfo("Name", "string")],
        }
    )
    prefixes = {"005": "User", "00G": "Group"}
    poly.object_for_id = lambda rid: prefixes.get(rid[:3])  # type: ignore[attr-defined]
    src = DictSource()
    src.insert("Group", {"Id": "00G000000000001AAA", "Name": "Queue"})
    src.insert("User", {"Id": "005000000000001AAA", "Name": "Ann"})
    src.insert("Lead", {"Id": "00Q000000000001AAA", "OwnerId": "00G000000000001AAA"})
    src.insert("Lead", {"Id": "00Q000000000002AAA", "OwnerId": "005000000000001AAA"})
    res = soql.execute(
        "SELECT Owner.Name FROM Lead ORDER BY Owner.Name", poly, src, lambda: datetime.now(UTC)
    )
    assert res.records == [{"Owner": {"Name": "Ann"}}, {"Owner": {"Name": "Queue"}}]
    assert [r["Owner"].sobject_type for r in res.records] == ["User", "Group"]


def test_rows_survive_copy_and_pickle(run: Run) -> None:
    import copy
    import pickle

    row = run("SELECT Id, Owner.Name FROM Lead ORDER BY Id LIMIT 1").records[0]
    for clone in (copy.deepcopy(row), pickle.loads(pickle.dumps(row))):
        assert clone == row
        assert (clone.sobject_type, clone.record_id) == ("Lead", "00Q000000000001AAA")
        assert clone["Owner"].sobject_type == "User"


def test_deepest_allowed_nesting_runs_within_the_default_recursion_limit(run: Run) -> None:
    """The parser's MAX_NESTING cap is what keeps bind/evaluate away from RecursionError: a query at
    the cap runs (under a recursion limit lower than CPython's default), one past it is MALFORMED_QUERY."""
    import sys

    from simulator.salesforce.soql.parser import MAX_NESTING

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(600)
    try:
        nots = "NOT " * (MAX_NESTING - 1) + "LastName = 'Lovelace'"
        assert isinstance(run(f"SELECT Id FROM Lead WHERE {nots}").total_size, int)
        parens = "(" * (MAX_NESTING - 1) + "LastName = 'Lovelace'" + ")" * (MAX_NESTING - 1)
        assert nums(run(f"SELECT Id FROM Lead WHERE {parens}")) == [1]
        assert error(run, f"SELECT Id FROM Lead WHERE NOT {nots}").error_code == "MALFORMED_QUERY"
    finally:
        sys.setrecursionlimit(old)
