"""Whatever text arrives, the engine answers or raises SoqlError — never anything else (the HTTP
layer turns SoqlError into a 400; any other exception would be a 500)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.salesforce import soql
from simulator.salesforce.soql.memory import DictSource, sample_schema

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCHEMA = sample_schema()
SOURCE = DictSource(
    eq_indexes={"Lead": {"Email", "Id"}}, range_indexes={"Lead": {"CreatedDate", "ConvertedDate"}}
)
SOURCE.insert(
    "Lead",
    {
        "Id": "00Q000000000001AAA",
        "IsDeleted": False,
        "Email": "a@b.c",
        "LastName": "X",
        "Interests__c": "Red;Blue",
        "NumberOfEmployees": 3,
        "CreatedDate": datetime(2024, 5, 1, tzinfo=UTC),
        "ConvertedDate": None,
        "OwnerId": "005000000000001AAA",
    },
)
SOURCE.insert("User", {"Id": "005000000000001AAA", "Name": "Ann", "ManagerId": None})

VALID = [
    "SELECT Id, Email, Owner.Name FROM Lead WHERE Email = 'a@b.c' ORDER BY CreatedDate DESC NULLS LAST LIMIT 10 OFFSET 1",
    "SELECT COUNT() FROM Lead WHERE CreatedDate = LAST_N_DAYS:30 AND IsDeleted = false",
    "SELECT Id FROM Lead WHERE (NumberOfEmployees > 2 OR Score__c <= 1.5) AND NOT LastName LIKE 'a\\_%'",
    "SELECT Id FROM Lead WHERE Interests__c INCLUDES ('Red;Blue', 'Green') AND Status NOT IN ('x', 'y')",
    "SELECT Id FROM Lead WHERE ConvertedDate >= 2024-01-01 AND CreatedDate < 2024-05-01T10:00:00.000+0000",
    "SELECT Owner.Manager.Name FROM Lead WHERE Owner.Name != null ORDER BY Owner.Name",
    "SELECT Id FROM Lead WHERE Id IN ('00Q000000000001AAA') AND OwnerId = '005000000000001'",
]
TOKENS = [
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "INCLUDES",
    "EXCLUDES",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "LIMIT",
    "OFFSET",
    "COUNT",
    "(",
    ")",
    ",",
    ".",
    ":",
    "=",
    "!=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "null",
    "true",
    "false",
    "TODAY",
    "LAST_N_DAYS",
    "THIS_MONTH",
    "N_YEARS_AGO",
    "Lead",
    "User",
    "Id",
    "Email",
    "Owner",
    "Name",
    "Manager",
    "CreatedDate",
    "ConvertedDate",
    "Interests__c",
    "NumberOfEmployees",
    "IsDeleted",
    "Score__c",
    "Status",
    "Foo",
    "'x'",
    "'a%'",
    "'00Q000000000001AAA'",
    "''",
    "0",
    "1",
    "-1",
    "2.5",
    "99999999999999999999",
    "2024-05-01",
    "2024-05-01T10:00:00Z",
    "2024-02-30",
    "9999-12-31T23:59:59-12:00",
    "'\\'",
    "'\\q'",
    "\\",
    "#",
    "é",
    "\n",
]


def assert_only_soql_errors(text: str) -> None:
    for include_deleted in (False, True):
        try:
            soql.execute(text, SCHEMA, SOURCE, lambda: datetime(2024, 5, 15, tzinfo=UTC), include_deleted)
        except soql.SoqlError as exc:
            assert exc.error_code in {
                "MALFORMED_QUERY",
                "INVALID_FIELD",
                "INVALID_TYPE",
                "INVALID_QUERY_FILTER_OPERATOR",
                "NUMBER_OUTSIDE_VALID_RANGE",
            }
            assert isinstance(exc.message, str) and exc.message


@pytest.mark.parametrize("text", VALID)
def test_seed_queries_are_valid(text: str) -> None:
    soql.execute(text, SCHEMA, SOURCE, lambda: datetime(2024, 5, 15, tzinfo=UTC))


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    assert_only_soql_errors(text)


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=30))
def test_token_soup(tokens: list[str]) -> None:
    assert_only_soql_errors(" ".join(tokens))


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=12))
def test_token_soup_after_a_valid_prefix(tokens: list[str]) -> None:
    assert_only_soql_errors("SELECT Id FROM Lead WHERE " + " ".join(tokens))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 12)))
        action = draw(st.integers(0, 3))
        if action == 0:
            text = text[:i] + text[j:]  # delete a span
        elif action == 1:
            text = text[:i] + " " + draw(st.sampled_from(TOKENS)) + " " + text[i:]  # insert a token
        elif action == 2:
            text = text[:i] + draw(st.text(max_size=3)) + text[j:]  # replace with junk
        else:
            text = text[:i] + text[i:j].upper()[::-1] + text[j:]  # scramble
    return text


@SETTINGS
@given(mutated())
def test_mutated_valid_queries(text: str) -> None:
    assert_only_soql_errors(text)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT Id FROM Lead WHERE CreatedDate = LAST_N_DAYS:99999999999999999999",
        "SELECT Id FROM Lead WHERE CreatedDate = NEXT_N_YEARS:99999999",
        "SELECT Id FROM Lead WHERE CreatedDate > 9999-12-31T23:59:59-12:00",
        "SELECT Id FROM Lead WHERE CreatedDate < 0001-01-01T00:00:00+01:00",
        "SELECT Id FROM Lead WHERE NumberOfEmployees > 99999999999999999999999999999999999",
        "SELECT Id FROM Lead LIMIT 99999999999999999999999999",
        "SELECT Id FROM Lead OFFSET 99999999999999999999999999",
        "SELECT Id FROM Lead WHERE LastName LIKE '\\\\'",
        "SELECT Id FROM Lead WHERE LastName LIKE '%\\%'",
        "SELECT Id FROM Lead WHERE Email = '\x00'",
        "SELECT Id FROM Lead WHERE " + "(" * 200 + "Email = 'a'" + ")" * 200,
        "SELECT Id FROM Lead WHERE " + " AND ".join(["NOT (Email = 'a')"] * 2000),
    ],
)
def test_edge_inputs(text: str) -> None:
    assert_only_soql_errors(text)
