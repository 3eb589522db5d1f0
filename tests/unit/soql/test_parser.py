"""Parser: the AST for every construct, case-insensitive keywords, and MALFORMED_QUERY positions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from simulator.salesforce.soql import parse
from simulator.salesforce.soql.errors import SoqlError
from simulator.salesforce.soql.nodes import (
    Aggregate,
    And,
    BoolLit,
    Comparison,
    DateLit,
    DateRangeLit,
    DateTimeLit,
    FieldPath,
    Not,
    NullLit,
    NumberLit,
    Or,
    OrderItem,
    Query,
    SemiJoin,
    SetComparison,
    StringLit,
    SubQuery,
)

F = FieldPath


def where(cond: str):  # type: ignore[no-untyped-def]
    return parse(f"SELECT Id FROM Lead WHERE {cond}").where


def malformed(text: str) -> SoqlError:
    with pytest.raises(SoqlError) as exc:
        parse(text)
    assert exc.value.error_code == "MALFORMED_QUERY"
    return exc.value


def test_full_query_shape() -> None:
    q = parse(
        "SELECT Id, Email, Owner.Name FROM Lead WHERE Email != null "
        "ORDER BY LastName DESC NULLS FIRST, Id LIMIT 10 OFFSET 5"
    )
    assert q == Query(
        object_name="Lead",
        fields=(F(("Id",)), F(("Email",)), F(("Owner", "Name"))),
        where=Comparison(F(("Email",)), "!=", NullLit()),
        order_by=(OrderItem(F(("LastName",)), True, True), OrderItem(F(("Id",)), False, None)),
        limit=10,
        offset=5,
        select=(F(("Id",)), F(("Email",)), F(("Owner", "Name"))),
    )
    assert q.order_by[0].effective_nulls_first is True
    assert q.order_by[1].effective_nulls_first is True  # ASC default: nulls first


def test_desc_defaults_to_nulls_last() -> None:
    q = parse("SELECT Id FROM Lead ORDER BY Email DESC, Id ASC NULLS LAST")
    assert q.order_by[0].effective_nulls_first is False
    assert q.order_by[1].effective_nulls_first is False


def test_keywords_are_case_insensitive_and_names_kept() -> None:
    q = parse("select id, EMAIL from lead where email = 'x' order by id desc limit 1")
    assert q.object_name == "lead"
    assert q.fields == (F(("id",)), F(("EMAIL",)))
    assert q.limit == 1


def test_count() -> None:
    q = parse("SELECT COUNT() FROM Lead WHERE IsDeleted = false")
    assert q.is_count and q.fields == ()
    assert q.where == Comparison(F(("IsDeleted",)), "=", BoolLit(False))


def test_aggregate_calls_with_and_without_alias() -> None:
    q = parse("SELECT Status, COUNT(Id), MAX(CreatedDate) newest FROM Lead GROUP BY Status HAVING COUNT(Id) > 1")
    assert q.select == (
        F(("Status",)),
        Aggregate("COUNT", F(("Id",))),
        Aggregate("MAX", F(("CreatedDate",)), "newest"),
    )
    assert q.group_by == (F(("Status",)),) and q.is_aggregate
    assert q.having == Comparison(Aggregate("COUNT", F(("Id",))), ">", NumberLit(1, "1"))
    assert "unexpected token: 'FROM'" in malformed("SELECT COUNT(Id FROM Lead").message


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_comparison_ops(op: str) -> None:
    assert where(f"NumberOfEmployees {op} 5") == Comparison(F(("NumberOfEmployees",)), op, NumberLit(5, "5"))


def test_angle_not_equal_normalised() -> None:
    assert where("Email <> 'a'") == Comparison(F(("Email",)), "!=", StringLit("a", "a"))


def test_like_keeps_raw_pattern() -> None:
    c = where(r"Email LIKE '100\%_x%'")
    assert c == Comparison(F(("Email",)), "LIKE", StringLit("100%_x%", r"100\%_x%"))


@pytest.mark.parametrize("op", ["IN", "NOT IN", "INCLUDES", "EXCLUDES"])
def test_set_ops(op: str) -> None:
    c = where(f"Status {op.lower()} ('a', 'b;c')")
    assert c == SetComparison(F(("Status",)), op, (StringLit("a", "a"), StringLit("b;c", "b;c")))


def test_literals() -> None:
    assert where("X = true") == Comparison(F(("X",)), "=", BoolLit(True))
    assert where("X = FALSE") == Comparison(F(("X",)), "=", BoolLit(False))
    assert where("X = NULL") == Comparison(F(("X",)), "=", NullLit())
    assert where("X = 2024-05-01") == Comparison(F(("X",)), "=", DateLit(date(2024, 5, 1)))
    dt = where("X > 2024-05-01T10:00:00+00:00")
    assert isinstance(dt, Comparison) and isinstance(dt.value, DateTimeLit)
    assert dt.value.value == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert where("X = today") == Comparison(F(("X",)), "=", DateRangeLit("TODAY"))
    assert where("X = LAST_N_DAYS:7") == Comparison(F(("X",)), "=", DateRangeLit("LAST_N_DAYS", 7))
    assert where("X < 1.5") == Comparison(F(("X",)), "<", NumberLit(1.5, "1.5"))


def test_and_or_not_parentheses() -> None:
    a, b, c = (Comparison(F((n,)), "=", NumberLit(1, "1")) for n in "abc")
    assert where("a = 1 AND b = 1 AND c = 1") == And((a, b, c))
    assert where("a = 1 or b = 1") == Or((a, b))
    assert where("(a = 1 OR b = 1) AND c = 1") == And((Or((a, b)), c))
    assert where("a = 1 AND (b = 1 OR c = 1)") == And((a, Or((b, c))))
    assert where("NOT a = 1") == Not(a)
    assert where("NOT (a = 1 AND b = 1)") == Not(And((a, b)))
    assert where("((a = 1))") == a


def test_mixing_and_or_without_parentheses_is_rejected() -> None:
    err = malformed("SELECT Id FROM Lead WHERE a = 1 AND b = 2 OR c = 3")
    assert err.detail == "unexpected token: 'OR'"
    assert err.column == 43
    malformed("SELECT Id FROM Lead WHERE a = 1 OR b = 2 AND c = 3")


def test_relationship_paths_in_where_and_order() -> None:
    q = parse("SELECT Id FROM Lead WHERE Owner.Name = 'x' ORDER BY Owner.Manager.Name")
    assert q.where == Comparison(F(("Owner", "Name")), "=", StringLit("x", "x"))
    assert q.order_by[0].field == F(("Owner", "Manager", "Name"))


def test_error_message_layout() -> None:
    err = malformed("SELECT Id FORM Lead")
    assert (
        err.message
        == "\nSELECT Id FORM Lead\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FORM'"
    )
    assert (err.row, err.column) == (1, 11)


def test_error_position_on_second_line() -> None:
    err = malformed("SELECT Id\nFROM Lead WHERE")
    assert (err.row, err.column) == (2, 16)
    assert "unexpected token: '<EOF>'" in err.message
    assert "\nFROM Lead WHERE\n" in err.message


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("SELECT FROM Lead", 8),
        ("SELECT Id, FROM Lead", 12),
        ("SELECT Id FROM", 15),
        ("SELECT Id FROM Lead WHERE", 26),
        ("SELECT Id FROM Lead WHERE Email", 32),
        ("SELECT Id FROM Lead WHERE Email = ", 35),
        ("SELECT Id FROM Lead WHERE Email = foo", 35),
        ("SELECT Id FROM Lead WHERE Email IN ()", 37),
        ("SELECT Id FROM Lead WHERE Email NOT LIKE 'x'", 37),
        ("SELECT Id FROM Lead LIMIT -1", 27),
        ("SELECT Id FROM Lead LIMIT 1.5", 27),
        ("SELECT Id FROM Lead OFFSET 1 LIMIT 1", 30),
        ("SELECT Id FROM Lead ORDER Id", 27),
        ("SELECT Id FROM Lead ORDER BY Id NULLS", 38),
        ("SELECT Id FROM Lead WHERE CreatedDate = LAST_N_DAYS", 52),
        ("SELECT Id FROM Lead WHERE (Email = 'a'", 39),
        ("SELECT Id FROM Lead GROUP Id", 27),
        ("SELECT Id.", 11),
        ("DELETE FROM Lead", 1),
        ("", 1),
    ],
)
def test_malformed_positions(text: str, column: int) -> None:
    assert malformed(text).column == column


def test_subqueries_parse() -> None:
    q = parse("SELECT Id, (SELECT Id FROM Contacts WHERE LastName = 'x' LIMIT 2) FROM Account")
    sub = q.select[1]
    assert isinstance(sub, SubQuery) and sub.query.object_name == "Contacts" and sub.query.limit == 2
    assert q.fields == (F(("Id",)),)
    semi = where("OwnerId NOT IN (SELECT Id FROM User WHERE IsActive = false)")
    assert isinstance(semi, SemiJoin) and semi.negated and semi.query.object_name == "User"
    deeper = "SELECT Id, (SELECT Id, (SELECT Id FROM Tasks) FROM Contacts) FROM Account"
    assert "sub-queries inside sub-queries are not supported by this sandbox" in malformed(deeper).message


def test_deep_nesting_is_malformed_not_recursion_error() -> None:
    malformed("SELECT Id FROM Lead WHERE " + "(" * 5000 + "a = 1" + ")" * 5000)
    malformed("SELECT Id FROM Lead WHERE " + "NOT " * 5000 + "a = 1")


def test_long_flat_conditions_are_fine() -> None:
    cond = " OR ".join(f"a = {i}" for i in range(3000))
    w = where(cond)
    assert isinstance(w, Or) and len(w.items) == 3000


def test_object_named_like_keyword() -> None:
    assert parse("SELECT Id FROM Order").object_name == "Order"


def test_parse_rejects_non_string() -> None:
    with pytest.raises(SoqlError):
        parse(None)  # type: ignore[arg-type]
