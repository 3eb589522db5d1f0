"""The HubSpot fake's control-API seeding (`/_hubforce/hubspot/records`, `/_hubforce/hubspot/associations`),
on both transports: records go through the API's validation, all or none, without spending the API
limits; bad input is a clear 400 and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
import requests

AUTH = {"Authorization": "Bearer pat-local-sandbox"}


def control(api: Any, path: str, body: Any) -> requests.Response:
    return requests.post(f"{api.hubspot_url}/_hubforce/hubspot{path}", json=body, timeout=10)


def count(api: Any, object_type: str) -> int:
    body = {"filterGroups": [], "limit": 1}
    resp = requests.post(f"{api.hubspot_url}/crm/v3/objects/{object_type}/search", json=body, headers=AUTH, timeout=10)
    return int(resp.json()["total"])


def test_seed_companies_deals_and_their_associations(api: Any, sandbox: Any) -> None:
    limits = sandbox.backend("hubspot").ratelimit
    used = limits.daily_used
    made = control(api, "/records", {"object": "companies", "records": [
        {"name": "Acme", "domain": "acme.com", "numberofemployees": 12},
        {"name": "Beta", "salesforceaccountid": "001000000000001AAA"},
    ]})
    assert made.status_code == 201, made.text
    acme, beta = made.json()["ids"]
    deals = control(api, "/records", {"object": "0-3", "records": [{"dealname": "D", "dealstage": "closedwon"}]})
    assert deals.status_code == 201, deals.text
    (deal,) = deals.json()["ids"]
    linked = control(api, "/associations", {"from": "deals", "to": "companies", "pairs": [
        {"from": deal, "to": acme, "labels": ["primary"]}, {"from": deal, "to": beta},
    ]})
    assert linked.status_code == 201 and linked.json() == {"created": 2}
    # The control API is not the integration: nothing was counted against the portal's API limits.
    assert limits.daily_used == used

    read = requests.get(
        f"{api.hubspot_url}/crm/v3/objects/deals/{deal}",
        params={"associations": "companies", "properties": "hs_is_closed_won,pipeline"},
        headers=AUTH, timeout=10,
    ).json()
    assert read["properties"]["hs_is_closed_won"] == "true" and read["properties"]["pipeline"] == "default"
    assert [(a["id"], a["type"]) for a in read["associations"]["companies"]["results"]] == [
        (acme, "deal_to_company"), (acme, "deal_to_company_unlabeled"), (beta, "deal_to_company_unlabeled"),
    ]


@pytest.mark.parametrize(
    ("path", "body", "wanted"),
    [
        ("/records", {"object": "widgets", "records": []}, "unknown object type 'widgets'"),
        ("/records", {"object": "companies", "records": {"name": "x"}}, "records must be a list"),
        ("/records", {"object": "companies", "records": [{"name": "ok"}, {"nope": "x"}]}, 'record 1: Property values were not valid'),
        ("/records", {"object": "companies", "records": [{"name": "ok"}, {"numberofemployees": "lots"}]}, "INVALID_DECIMAL"),
        ("/records", {"object": "deals", "records": [{"dealname": "ok"}, {"dealstage": "won"}]}, "record 1"),
        ("/records", {"object": "contacts", "records": [{"email": "a@x.com"}, {"email": "A@x.com"}]}, "repeats record 0"),
        ("/records", ["not", "an", "object"], "JSON object"),
        ("/associations", {"from": "deals", "to": "companies", "pairs": [{"from": "1", "to": "2"}]}, "no live deals record '1'"),
        ("/associations", {"from": "deals", "to": "planets", "pairs": []}, "to: unknown object type"),
        ("/associations", {"from": "deals", "to": "companies", "pairs": "x"}, "pairs must be a list"),
    ],
)
def test_bad_seed_input_is_a_clear_400_and_writes_nothing(api: Any, path: str, body: Any, wanted: str) -> None:
    resp = control(api, path, body)
    assert resp.status_code == 400, resp.text
    assert wanted in resp.text
    assert count(api, "companies") == count(api, "deals") == count(api, "contacts") == 0


def test_unknown_label_names_the_known_ones(api: Any) -> None:
    ids = control(api, "/records", {"object": "contacts", "records": [{"email": "c@x.com"}]}).json()["ids"]
    co = control(api, "/records", {"object": "companies", "records": [{"name": "C"}]}).json()["ids"]
    resp = control(api, "/associations", {"from": "contacts", "to": "companies", "pairs": [
        {"from": ids[0], "to": co[0], "labels": ["Decision maker"]},
    ]})
    assert resp.status_code == 400 and "(labels: Primary)" in resp.json()["error"]
