"""/composite/graph and /composite/tree/{sObject} (issue 13: both real, both were missing).

REST API Developer Guide, "Composite Graph": graphs of composite subrequests, each graph all-or-none,
answered as {"graphs": [{"graphId", "graphResponse": {"compositeResponse": [...]}, "isSuccessful"}]}.
"sObject Tree": one request creates records with their children (up to 200 records, 5 levels);
201 {"hasErrors": false, "results": [{"referenceId", "id"}]}, or 400 with hasErrors true, the
failing records' errors, and nothing saved."""

from __future__ import annotations

from typing import Any

import requests

JSON_H = {"Authorization": "Bearer sandbox-session", "Content-Type": "application/json"}
V = "/services/data/v59.0"


def _count(api: Any, obj: str) -> int:
    r = requests.get(f"{api.salesforce_url}{V}/query", params={"q": f"SELECT COUNT() FROM {obj}"}, headers=JSON_H)
    return int(r.json()["totalSize"])


def test_tree_creates_parents_and_children(api: Any) -> None:
    body = {"records": [
        {"attributes": {"type": "Account", "referenceId": "acc1"}, "Name": "Tree Co",
         "Contacts": {"records": [
             {"attributes": {"type": "Contact", "referenceId": "c1"}, "LastName": "Leaf", "Email": "leaf@tree.co"},
             {"attributes": {"type": "Contact", "referenceId": "c2"}, "LastName": "Twig"},
         ]}},
        {"attributes": {"type": "Account", "referenceId": "acc2"}, "Name": "Other Co"},
    ]}
    r = requests.post(f"{api.salesforce_url}{V}/composite/tree/Account", json=body, headers=JSON_H)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["hasErrors"] is False
    assert [x["referenceId"] for x in out["results"]] == ["acc1", "c1", "c2", "acc2"]
    ids = {x["referenceId"]: x["id"] for x in out["results"]}
    leaf = requests.get(f"{api.salesforce_url}{V}/sobjects/Contact/{ids['c1']}", headers=JSON_H).json()
    assert leaf["AccountId"] == ids["acc1"] and leaf["Email"] == "leaf@tree.co"


def test_tree_with_an_invalid_record_saves_nothing(api: Any) -> None:
    body = {"records": [
        {"attributes": {"type": "Account", "referenceId": "ok"}, "Name": "Fine"},
        {"attributes": {"type": "Account", "referenceId": "bad"}, "Name": "Broken",
         "Contacts": {"records": [{"attributes": {"type": "Contact", "referenceId": "noname"}, "FirstName": "X"}]}},
    ]}
    r = requests.post(f"{api.salesforce_url}{V}/composite/tree/Account", json=body, headers=JSON_H)
    assert r.status_code == 400
    out = r.json()
    assert out["hasErrors"] is True
    [failure] = out["results"]
    assert failure["referenceId"] == "noname"
    assert failure["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING" and failure["errors"][0]["fields"] == ["LastName"]
    assert _count(api, "Account") == 0 and _count(api, "Contact") == 0
    missing_ref = {"records": [{"attributes": {"type": "Account"}, "Name": "No ref"}]}
    r = requests.post(f"{api.salesforce_url}{V}/composite/tree/Account", json=missing_ref, headers=JSON_H)
    assert r.status_code == 400 and "reference ID" in r.json()[0]["message"]


def test_graphs_are_all_or_none_each(api: Any) -> None:
    good = {"graphId": "g1", "compositeRequest": [
        {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "acc", "body": {"Name": "Graph Co"}},
        {"method": "POST", "url": f"{V}/sobjects/Contact", "referenceId": "con",
         "body": {"LastName": "Node", "AccountId": "@{acc.id}"}},
    ]}
    bad = {"graphId": "g2", "compositeRequest": [
        {"method": "POST", "url": f"{V}/sobjects/Account", "referenceId": "acc2", "body": {"Name": "Rolled Back"}},
        {"method": "POST", "url": f"{V}/sobjects/Contact", "referenceId": "con2", "body": {"FirstName": "No last name"}},
    ]}
    r = requests.post(f"{api.salesforce_url}{V}/composite/graph", json={"graphs": [good, bad]}, headers=JSON_H)
    assert r.status_code == 200, r.text
    g1, g2 = r.json()["graphs"]
    assert (g1["graphId"], g1["isSuccessful"], g2["graphId"], g2["isSuccessful"]) == ("g1", True, "g2", False)
    assert [x["httpStatusCode"] for x in g1["graphResponse"]["compositeResponse"]] == [201, 201]
    assert [x["httpStatusCode"] for x in g2["graphResponse"]["compositeResponse"]] == [400, 400]
    names = requests.get(f"{api.salesforce_url}{V}/query", params={"q": "SELECT Name FROM Account"}, headers=JSON_H).json()
    assert [a["Name"] for a in names["records"]] == ["Graph Co"]  # g2 rolled back, g1 kept
