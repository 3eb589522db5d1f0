"""SOQL the sandbox does not implement says so; what a sync engine commonly sends is built (issue 13).

SOQL and SOSL Reference: "toLabel()" (translated picklist labels, keyed by the field's name),
"Filter SOQL Queries Using WITH SECURITY_ENFORCED", "FOR UPDATE", "FORMAT()", "Date Functions",
"Fiscal date literals", "USING SCOPE", "FOR VIEW / FOR REFERENCE", "TYPEOF". A MALFORMED_QUERY that
reads like the user's mistake ("unexpected token: '('") for a valid query made people debug their
SOQL instead of the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from simulator import Sandbox

SESSION = {"Authorization": "Bearer sandbox-session"}


def _query(api: Any, q: str) -> requests.Response:
    return requests.get(f"{api.salesforce_url}/services/data/v59.0/query", params={"q": q}, headers=SESSION)


@pytest.mark.parametrize(
    "soql, feature",
    [
        ("SELECT FORMAT(CreatedDate) FROM Lead", "FORMAT()"),
        ("SELECT CALENDAR_YEAR(CreatedDate) FROM Lead", "CALENDAR_YEAR() outside WHERE (aggregate queries)"),
        ("SELECT Id FROM Lead WHERE FISCAL_YEAR(CreatedDate) = 2026", "FISCAL_YEAR()"),
        ("SELECT convertCurrency(AnnualRevenue) FROM Lead", "CONVERTCURRENCY()"),
        ("SELECT Id FROM Lead WHERE CreatedDate = THIS_FISCAL_YEAR", "fiscal date literal THIS_FISCAL_YEAR"),
        ("SELECT Id FROM Lead WHERE CreatedDate = LAST_N_FISCAL_YEARS:2", "fiscal date literal LAST_N_FISCAL_YEARS"),
        ("SELECT Id FROM Lead USING SCOPE mine", "USING SCOPE"),
        ("SELECT Id FROM Lead FOR VIEW", "FOR VIEW"),
        ("SELECT Id FROM Lead FOR REFERENCE", "FOR REFERENCE"),
        ("SELECT Id FROM Lead WITH USER_MODE", "WITH USER_MODE"),
        ("SELECT TYPEOF Owner WHEN User THEN Username END FROM Lead", "TYPEOF"),
    ],
)
def test_unsupported_soql_says_so(api: Any, soql: str, feature: str) -> None:
    r = _query(api, soql)
    assert r.status_code == 400
    body = r.json()[0]
    assert body["message"].endswith(f"{feature} is not supported by this sandbox"), body["message"]
    assert "unexpected token" not in body["message"]


def test_unknown_functions_stay_the_users_mistake(api: Any) -> None:
    r = _query(api, "SELECT foo(Id) FROM Lead")
    assert r.status_code == 400 and "unexpected token: '('" in r.json()[0]["message"]


def test_built_clauses(api: Any, sandbox: Sandbox) -> None:
    backend = sandbox.backend("salesforce")
    lead = backend.create("Lead", {"LastName": "A", "Company": "C", "Status": "Working - Contacted"})
    backend.create("Lead", {"LastName": "B", "Company": "C"})
    secure = _query(api, "SELECT Id FROM Lead WHERE LastName = 'A' WITH SECURITY_ENFORCED ORDER BY Id LIMIT 5")
    assert [r["Id"] for r in secure.json()["records"]] == [lead]
    locked = _query(api, "SELECT Id FROM Lead WHERE LastName = 'A' FOR UPDATE")
    assert [r["Id"] for r in locked.json()["records"]] == [lead]
    # toLabel: the label under the field's own name (the sandbox's labels are the values)
    labelled = _query(api, "SELECT Id, toLabel(Status) FROM Lead WHERE toLabel(Status) = 'Working - Contacted'")
    assert [(r["Id"], r["Status"]) for r in labelled.json()["records"]] == [(lead, "Working - Contacted")]


def test_date_functions_in_where(api: Any, sandbox: Sandbox) -> None:
    """SOQL reference, "Date Functions": CALENDAR_YEAR(CreatedDate) = 2025, DAY_ONLY(CreatedDate) =
    2026-01-05, DAY_IN_WEEK (1 = Sunday), HOUR_IN_DAY ... in the user's time zone (UTC here)."""
    from datetime import UTC, datetime

    backend = sandbox.backend("salesforce")
    sandbox.clock.set(datetime(2025, 3, 2, 13, 30, tzinfo=UTC))  # a Sunday afternoon
    a = backend.create("Lead", {"LastName": "A", "Company": "C"})
    sandbox.clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))  # a Monday morning
    b = backend.create("Lead", {"LastName": "B", "Company": "C"})

    def ids(where: str) -> list[str]:
        r = _query(api, f"SELECT Id FROM Lead WHERE {where} ORDER BY LastName")
        assert r.status_code == 200, r.text
        return [x["Id"] for x in r.json()["records"]]

    assert ids("CALENDAR_YEAR(CreatedDate) = 2025") == [a]
    assert ids("CALENDAR_MONTH(CreatedDate) = 1 AND DAY_IN_MONTH(CreatedDate) = 5") == [b]
    assert ids("DAY_ONLY(CreatedDate) = 2026-01-05") == [b]
    assert ids("DAY_ONLY(CreatedDate) = TODAY") == [b]
    assert ids("DAY_IN_WEEK(CreatedDate) = 1") == [a]
    assert ids("HOUR_IN_DAY(CreatedDate) > 10") == [a]
    assert ids("CALENDAR_QUARTER(CreatedDate) IN (1)") == [a, b]
    assert ids("WEEK_IN_YEAR(CreatedDate) = 1") == [b]
    bad = _query(api, "SELECT Id FROM Lead WHERE CALENDAR_YEAR(LastName) = 2025")
    assert bad.status_code == 400 and "date or dateTime field" in bad.json()[0]["message"]
    quoted = _query(api, "SELECT Id FROM Lead WHERE CALENDAR_YEAR(CreatedDate) = '2025'")
    assert quoted.status_code == 400 and "must be of type integer" in quoted.json()[0]["message"]
