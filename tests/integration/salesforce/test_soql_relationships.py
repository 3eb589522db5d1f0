"""SOQL a sync engine sends for accounts and opportunities, over REST (issue 12): child relationship
sub-queries, semi-joins and anti-joins, aggregates with GROUP BY / HAVING, FIELDS().

SOQL and SOSL Reference: "Relationship Queries", "Semi-Joins with IN and Anti-Joins with NOT IN",
"Aggregate Functions", "GROUP BY", "HAVING", "FIELDS()"; REST API Developer Guide, "Query"."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from simulator import Sandbox

SESSION = {"Authorization": "Bearer sandbox-session"}


def _get(api: Any, q: str, **headers: str) -> requests.Response:
    return requests.get(
        f"{api.salesforce_url}/services/data/v59.0/query", params={"q": q}, headers={**SESSION, **headers}
    )


def _ok(api: Any, q: str) -> dict[str, Any]:
    r = _get(api, q)
    assert r.status_code == 200, r.text
    return r.json()


def _error(api: Any, q: str) -> tuple[str, str]:
    r = _get(api, q)
    assert r.status_code == 400, r.text
    body = r.json()[0]
    return body["errorCode"], body["message"]


@pytest.fixture
def deals(sandbox: Sandbox) -> dict[str, str]:
    """Two accounts, three opportunities, three contacts and their roles."""
    b = sandbox.backend("salesforce")
    ids: dict[str, str] = {}
    ids["acme"] = b.create("Account", {"Name": "Acme"})
    ids["globex"] = b.create("Account", {"Name": "Globex"})
    for key, last, acc in (("ann", "Ann", "acme"), ("bob", "Bob", "acme"), ("cy", "Cy", "globex")):
        ids[key] = b.create("Contact", {"LastName": last, "AccountId": ids[acc]})
    for key, name, stage, amount, acc, close in (
        ("big", "Big", "Prospecting", 1000, "acme", "2026-03-31"),
        ("small", "Small", "Prospecting", 10, "acme", "2026-01-15"),
        ("won", "Won", "Closed Won", 500, "globex", "2025-12-01"),
    ):
        ids[key] = b.create(
            "Opportunity",
            {"Name": name, "StageName": stage, "Amount": amount, "AccountId": ids[acc], "CloseDate": close},
        )
    for opp, con, role, primary in (
        ("big", "ann", "Decision Maker", True),
        ("big", "bob", "Evaluator", False),
        ("won", "cy", "Decision Maker", True),
    ):
        ids[f"{opp}-{con}"] = b.create(
            "OpportunityContactRole",
            {"OpportunityId": ids[opp], "ContactId": ids[con], "Role": role, "IsPrimary": primary},
        )
    return ids


def test_child_relationship_sub_query_shape(api: Any, deals: dict[str, str]) -> None:
    body = _ok(
        api,
        "SELECT Name, (SELECT ContactId, Role FROM OpportunityContactRoles WHERE IsPrimary = false "
        "OR Role = 'Decision Maker' ORDER BY Role DESC) FROM Opportunity ORDER BY Name",
    )
    by_name = {r["Name"]: r["OpportunityContactRoles"] for r in body["records"]}
    assert by_name["Small"] is None  # no children: null, not an empty list
    big = by_name["Big"]
    assert (big["totalSize"], big["done"]) == (2, True)
    assert [(r["ContactId"], r["Role"]) for r in big["records"]] == [
        (deals["bob"], "Evaluator"), (deals["ann"], "Decision Maker")
    ]
    assert big["records"][0]["attributes"] == {
        "type": "OpportunityContactRole",
        "url": f"/services/data/v59.0/sobjects/OpportunityContactRole/{deals['big-bob']}",
    }
    # a parent-to-child query from Account, with a parent path inside the child query
    accounts = _ok(api, "SELECT Name, (SELECT LastName, Account.Name FROM Contacts ORDER BY LastName LIMIT 1) "
                        "FROM Account WHERE Name = 'Acme'")["records"]
    contacts = accounts[0]["Contacts"]
    assert contacts["totalSize"] == 1
    assert list(accounts[0]) == ["attributes", "Name", "Contacts"]
    ordered = _ok(api, "SELECT (SELECT Role FROM OpportunityContactRoles), Name, Account.Name FROM Opportunity "
                       "WHERE Name = 'Big'")["records"][0]
    assert list(ordered) == ["attributes", "OpportunityContactRoles", "Name", "Account"]  # SELECT order
    assert (contacts["records"][0]["LastName"], contacts["records"][0]["Account"]["Name"]) == ("Ann", "Acme")


def test_unknown_child_relationship_is_the_real_error(api: Any) -> None:
    code, message = _error(api, "SELECT Id, (SELECT Id FROM ContactRoles) FROM Opportunity")
    assert code == "INVALID_TYPE"
    assert "Didn't understand relationship 'ContactRoles' in FROM part of query call" in message


def test_semi_join_and_anti_join(api: Any, deals: dict[str, str]) -> None:
    semi = _ok(api, "SELECT Id FROM Opportunity WHERE Id IN (SELECT OpportunityId FROM "
                    "OpportunityContactRole WHERE Role = 'Decision Maker') ORDER BY Name")
    assert [r["Id"] for r in semi["records"]] == [deals["big"], deals["won"]]
    anti = _ok(api, "SELECT Id FROM Opportunity WHERE Id NOT IN (SELECT OpportunityId FROM OpportunityContactRole)")
    assert [r["Id"] for r in anti["records"]] == [deals["small"]]
    # a reference on the left, combined with AND and another condition
    by_account = _ok(api, "SELECT LastName FROM Contact WHERE AccountId IN (SELECT AccountId FROM Opportunity "
                          "WHERE IsWon = true) AND LastName != 'x'")
    assert [r["LastName"] for r in by_account["records"]] == ["Cy"]


@pytest.mark.parametrize(
    "soql, code, fragment",
    [
        ("SELECT Id FROM Opportunity WHERE Name = 'x' OR Id IN (SELECT OpportunityId FROM OpportunityContactRole)",
         "MALFORMED_QUERY", "Semi join sub-selects are not allowed with the 'OR' operator"),
        ("SELECT Id FROM Opportunity WHERE Id IN (SELECT Id FROM Opportunity)",
         "INVALID_TYPE", "The inner and outer selects should not be on the same object type"),
        ("SELECT Id FROM Opportunity WHERE Id IN (SELECT Role FROM OpportunityContactRole)",
         "MALFORMED_QUERY", "must select exactly one Id or reference field"),
        ("SELECT Id FROM Opportunity WHERE Name IN (SELECT OpportunityId FROM OpportunityContactRole)",
         "INVALID_FIELD", "can only be compared to an Id or reference field"),
    ],
)
def test_semi_join_restrictions(api: Any, soql: str, code: str, fragment: str) -> None:
    got_code, message = _error(api, soql)
    assert got_code == code and fragment in message, message


def test_aggregates_group_by_having(api: Any, deals: dict[str, str]) -> None:
    assert _ok(api, "SELECT COUNT(Id) FROM Opportunity")["records"] == [
        {"attributes": {"type": "AggregateResult"}, "expr0": 3}
    ]
    grouped = _ok(api, "SELECT StageName, COUNT(Id) n, SUM(Amount), MAX(CloseDate) FROM Opportunity "
                       "GROUP BY StageName ORDER BY COUNT(Id) DESC")
    assert grouped["totalSize"] == 2 and grouped["done"] is True
    assert [{k: v for k, v in r.items() if k != "attributes"} for r in grouped["records"]] == [
        {"StageName": "Prospecting", "n": 2, "expr0": 1010.0, "expr1": "2026-03-31"},
        {"StageName": "Closed Won", "n": 1, "expr0": 500.0, "expr1": "2025-12-01"},
    ]
    having = _ok(api, "SELECT Account.Name, AVG(Amount) avg FROM Opportunity GROUP BY Account.Name "
                      "HAVING COUNT(Id) > 1")["records"]
    assert [(r["Name"], r["avg"]) for r in having] == [("Acme", 505.0)]
    empty = _ok(api, "SELECT SUM(Amount), COUNT(Id) FROM Opportunity WHERE Name = 'none'")["records"]
    assert [(r["expr0"], r["expr1"]) for r in empty] == [(None, 0)]
    roles = _ok(api, "SELECT OpportunityId, COUNT(ContactId) FROM OpportunityContactRole GROUP BY OpportunityId "
                     "HAVING COUNT(ContactId) >= 2")["records"]
    assert [(r["OpportunityId"], r["expr0"]) for r in roles] == [(deals["big"], 2)]


@pytest.mark.parametrize(
    "soql, code, fragment",
    [
        ("SELECT Name, COUNT(Id) FROM Opportunity GROUP BY StageName", "MALFORMED_QUERY",
         "Field must be grouped or aggregated: Name"),
        ("SELECT SUM(Name) FROM Opportunity", "INVALID_FIELD", "field Name does not support aggregate operator SUM"),
        ("SELECT Description FROM Opportunity GROUP BY Description", "INVALID_FIELD",
         "field 'Description' can not be grouped in a query call"),
        ("SELECT MAX(CreatedDate) FROM Opportunity LIMIT 1", "MALFORMED_QUERY", "without GROUP BY"),
        ("SELECT COUNT(Id) FROM Opportunity HAVING COUNT(Id) > 1", "MALFORMED_QUERY",
         "HAVING can only be used with GROUP BY"),
        ("SELECT COUNT() FROM Opportunity GROUP BY StageName", "MALFORMED_QUERY", "COUNT() and GROUP BY"),
        ("SELECT Id FROM Opportunity ORDER BY COUNT(Id)", "MALFORMED_QUERY", "aggregate"),
        ("SELECT StageName, COUNT(Id) FROM Opportunity GROUP BY StageName HAVING COUNT(Id) > 'x'",
         "INVALID_FIELD", "must be of type integer"),
    ],
)
def test_aggregate_errors(api: Any, soql: str, code: str, fragment: str) -> None:
    got_code, message = _error(api, soql)
    assert got_code == code and fragment in message, message


def test_fields_functions(api: Any, sandbox: Sandbox, deals: dict[str, str]) -> None:
    b = sandbox.backend("salesforce")
    b.add_custom_field({"object": "Opportunity", "name": "HubSpot_Deal_Id__c", "type": "string"})
    standard = _ok(api, f"SELECT FIELDS(STANDARD) FROM Opportunity WHERE Id = '{deals['big']}'")["records"][0]
    names = [f.name for f in b.object("Opportunity").fields.values()]
    assert [k for k in standard if k != "attributes"] == [n for n in names if not n.endswith("__c")]
    assert standard["StageName"] == "Prospecting"
    every = _ok(api, "SELECT FIELDS(ALL) FROM Opportunity LIMIT 200")["records"]
    assert len(every) == 3 and "HubSpot_Deal_Id__c" in every[0]
    custom = _ok(api, "SELECT Name, FIELDS(CUSTOM) FROM Opportunity LIMIT 1")["records"][0]
    assert [k for k in custom if k != "attributes"] == ["Name", "HubSpot_Deal_Id__c"]
    for soql in ("SELECT FIELDS(ALL) FROM Opportunity", "SELECT FIELDS(CUSTOM) FROM Opportunity LIMIT 201"):
        code, message = _error(api, soql)
        assert code == "MALFORMED_QUERY" and message.endswith("The SOQL FIELDS function must have a LIMIT of at most 200")
    code, message = _error(api, "SELECT Id, FIELDS(ALL) FROM Opportunity LIMIT 200")
    assert message.endswith("duplicate field selected: Id")


def test_later_pages_keep_their_child_rows(api: Any, sandbox: Sandbox) -> None:
    b = sandbox.backend("salesforce")
    con = b.create("Contact", {"LastName": "Role"})
    for i in range(205):
        opp = b.create("Opportunity", {"Name": f"D{i:03d}", "StageName": "Prospecting", "CloseDate": "2026-01-01"})
        if i % 2:
            b.create("OpportunityContactRole", {"OpportunityId": opp, "ContactId": con, "Role": "Other"})
    q = "SELECT Name, (SELECT Role FROM OpportunityContactRoles) FROM Opportunity ORDER BY Name"
    first = _get(api, q, **{"Sforce-Query-Options": "batchSize=200"}).json()
    assert first["done"] is False and len(first["records"]) == 200
    rest = requests.get(f"{api.salesforce_url}{first['nextRecordsUrl']}", headers=SESSION).json()
    rows = first["records"] + rest["records"]
    assert [r["Name"] for r in rows] == [f"D{i:03d}" for i in range(205)]
    assert [r["OpportunityContactRoles"] is not None for r in rows] == [bool(i % 2) for i in range(205)]
    assert rest["records"][-2]["OpportunityContactRoles"]["records"][0]["Role"] == "Other"


def test_bulk_query_refuses_aggregates_and_child_queries(api: Any) -> None:
    url = f"{api.salesforce_url}/services/data/v59.0/jobs/query"
    for soql, fragment in (
        ("SELECT StageName, COUNT(Id) FROM Opportunity GROUP BY StageName", "not supported by Bulk API 2.0"),
        ("SELECT Id, (SELECT Id FROM OpportunityContactRoles) FROM Opportunity", "Aggregate Relationships"),
    ):
        r = requests.post(url, json={"operation": "query", "query": soql}, headers=SESSION)
        assert r.status_code == 400 and fragment in r.text, r.text
