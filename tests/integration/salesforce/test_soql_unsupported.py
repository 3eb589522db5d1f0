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
        ("SELECT Id FROM Lead WHERE CALENDAR_YEAR(CreatedDate) = 2026", "CALENDAR_YEAR()"),
        ("SELECT Id FROM Lead WHERE DAY_ONLY(CreatedDate) = 2026-01-05", "DAY_ONLY()"),
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
