"""CRM search with the official client and over the wire: operators, typed comparison, sorting, paging,
limits and validation (wire spec 2.4)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from hubspot import Client
from hubspot.crm.contacts import BatchInputSimplePublicObjectBatchInputForCreate, PublicObjectSearchRequest
from hubspot.crm.contacts.exceptions import ApiException

AUTH = {"Authorization": "Bearer pat-local-sandbox"}


def seed(hs: Client) -> list[str]:
    people = [
        {"email": "ann@acme.com", "firstname": "Ann", "lastname": "Lee", "lifecyclestage": "lead"},
        {"email": "bob@acme.com", "firstname": "Bob", "lastname": "Ray", "lifecyclestage": "customer"},
        {
            "email": "cy@other.org",
            "firstname": "Cy",
            "lastname": "Ray",
            "lifecyclestage": "lead",
            "phone": "555",
        },
        {"email": "dee@other.org", "firstname": "Dee", "lifecyclestage": "opportunity"},
    ]
    res = hs.crm.contacts.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(inputs=[{"properties": p} for p in people])
    )
    by_email = {r.properties["email"]: r.id for r in res.results}
    return [by_email[p["email"]] for p in people]


class Searcher:
    """do_search with the sandbox clock moved 1 s first: search allows 5 requests per (virtual) second."""

    def __init__(self, hs: Client, sandbox: Any) -> None:
        self.hs, self.sandbox = hs, sandbox

    def __call__(self, **body: Any) -> Any:
        self.sandbox.clock.advance(1)
        return self.hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(**body))


def emails(page: Any) -> list[str]:
    return [r.properties["email"] for r in page.results]


def test_operators_groups_sorting(hs: Client, sandbox: Any) -> None:
    seed(hs)
    search = Searcher(hs, sandbox)
    f = lambda p, op, **kw: {"propertyName": p, "operator": op, **kw}  # noqa: E731
    cases = [
        ([[f("lifecyclestage", "EQ", value="lead")]], ["ann@acme.com", "cy@other.org"]),
        ([[f("lifecyclestage", "NEQ", value="lead")]], ["bob@acme.com", "dee@other.org"]),
        (
            [[f("lifecyclestage", "IN", values=["customer", "opportunity"])]],
            ["bob@acme.com", "dee@other.org"],
        ),
        ([[f("lifecyclestage", "NOT_IN", values=["lead"])]], ["bob@acme.com", "dee@other.org"]),
        ([[f("phone", "HAS_PROPERTY")]], ["cy@other.org"]),
        ([[f("lastname", "NOT_HAS_PROPERTY")]], ["dee@other.org"]),
        ([[f("email", "CONTAINS_TOKEN", value="*@acme.com")]], ["ann@acme.com", "bob@acme.com"]),
        ([[f("email", "NOT_CONTAINS_TOKEN", value="*@acme.com")]], ["cy@other.org", "dee@other.org"]),
        ([[f("lastname", "EQ", value="ray"), f("lifecyclestage", "EQ", value="lead")]], ["cy@other.org"]),
        (
            [[f("firstname", "EQ", value="Ann")], [f("firstname", "EQ", value="Dee")]],
            ["ann@acme.com", "dee@other.org"],
        ),
    ]
    for groups, expected in cases:
        page = search(
            filter_groups=[{"filters": g} for g in groups],
            sorts=[{"propertyName": "email", "direction": "ASCENDING"}],
        )
        assert emails(page) == expected, groups
        assert page.total == len(expected)
    desc = search(sorts=["-email"], limit=2)
    assert emails(desc) == ["dee@other.org", "cy@other.org"] and desc.paging.next.after == "2"
    assert emails(search(query="ray", sorts=["email"])) == ["bob@acme.com", "cy@other.org"]


def test_typed_comparison_and_date_filters(hs: Client, sandbox: Any) -> None:
    ids = seed(hs)
    search = Searcher(hs, sandbox)
    sandbox.clock.advance(3600)
    later_ms = sandbox.clock.now_ms()
    hs.crm.contacts.basic_api.update(ids[2], {"properties": {"firstname": "Cyrus"}})
    page = search(
        filter_groups=[
            {"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(later_ms)}]}
        ],
        sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        limit=200,
    )
    assert [r.id for r in page.results] == [ids[2]]
    iso = search(
        filter_groups=[
            {
                "filters": [
                    {"propertyName": "lastmodifieddate", "operator": "LT", "value": "2026-01-05T09:30:00Z"}
                ]
            }
        ]
    )
    assert iso.total == 3
    between = search(
        filter_groups=[
            {
                "filters": [
                    {
                        "propertyName": "hs_object_id",
                        "operator": "BETWEEN",
                        "value": ids[0],
                        "highValue": ids[1],
                    }
                ]
            }
        ]
    )
    assert sorted(r.id for r in between.results) == sorted(ids[:2])


def test_paging_to_the_end_omits_paging(hs: Client, sandbox: Any) -> None:
    seed(hs)
    search = Searcher(hs, sandbox)
    first = search(limit=3)
    assert first.total == 4 and first.paging.next.after == "3"
    last = search(limit=3, after=first.paging.next.after)
    assert len(last.results) == 1 and last.paging is None


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"limit": 201}, "200"),
        ({"after": "9950", "limit": 100}, "10,000"),
        (
            {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}] * 6},
            "filter groups",
        ),
        (
            {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 7}]},
            "filters in a",
        ),
        (
            {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 5}] * 4},
            "18",
        ),
        ({"sorts": ["email", "firstname"]}, "one sort"),
        (
            {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "LIKE", "value": "x"}]}]},
            "operator",
        ),
        ({"query": "x" * 3100}, "3000"),
    ],
)
def test_invalid_searches_are_400(api: Any, body: dict[str, Any], needle: str) -> None:
    r = requests.post(f"{api.hubspot_url}/crm/v3/objects/contacts/search", json=body, headers=AUTH)
    assert r.status_code == 400, r.text
    data = r.json()
    assert data["status"] == "error" and data["category"] == "VALIDATION_ERROR"
    assert needle in data["message"].replace(",", "") or needle in data["message"]


def test_search_has_no_rate_limit_headers_and_its_own_secondly_limit(api: Any) -> None:
    url = f"{api.hubspot_url}/crm/v3/objects/contacts/search"
    statuses = []
    for _ in range(6):
        r = requests.post(url, json={}, headers=AUTH)
        statuses.append(r.status_code)
        assert not any(h.lower().startswith("x-hubspot-ratelimit") for h in r.headers)
    assert statuses == [200] * 5 + [429]
    body = r.json()
    assert body["message"] == "You have reached your secondly limit." and body["policyName"] == "SECONDLY"


def test_search_over_the_client_raises_429_after_five(hs: Client, sandbox: Any) -> None:
    request = PublicObjectSearchRequest()
    for _ in range(5):
        hs.crm.contacts.search_api.do_search(request)
    with pytest.raises(ApiException) as exc:
        hs.crm.contacts.search_api.do_search(request)
    assert exc.value.status == 429 and json.loads(exc.value.body)["errorType"] == "RATE_LIMIT"
    sandbox.clock.advance(1)
    assert hs.crm.contacts.search_api.do_search(request).total == 0
