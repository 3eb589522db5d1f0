"""Every endpoint group through the official hubspot-api-client, on both transports (the in-process
urllib3 router and the socket server, see conftest.py), error paths
side by side: 401 (bad token / developer key), 404, 400, 409 and 429 from the real limiter, plus
paging where the group pages. The other files test each group in depth; this one makes sure no group
was left with only happy paths, and that each error reaches the SDK as HubSpot's error body."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import hubspot
from hubspot.crm.associations.v4.models import AssociationSpec
from hubspot.crm.companies import BatchInputSimplePublicObjectBatchInputForCreate as CompanyBatch
from hubspot.crm.contacts import PublicObjectSearchRequest, SimplePublicObjectInputForCreate
from hubspot.crm.deals import BatchInputSimplePublicObjectBatchInputForCreate as DealBatch
from hubspot.crm.lists.models import ListCreateRequest, ListSearchRequest
from hubspot.crm.objects import PublicObjectSearchRequest as ObjectsSearch
from hubspot.crm.properties.models import PropertyCreate, PropertyGroupCreate
from hubspot.webhooks.models import SubscriptionCreateRequest

from simulator.clients import hubspot_client

APP = 1_000_001


def error_of(call: Callable[[], Any]) -> tuple[int, dict[str, Any]]:
    """(status, parsed body) of the SDK exception `call` raises. Each SDK package has its own
    exception classes; all carry `.status` and the raw `.body`."""
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - per-package ApiException classes
        status = getattr(exc, "status", None)
        assert isinstance(status, int), repr(exc)
        return status, json.loads(exc.body)  # type: ignore[attr-defined]
    raise AssertionError("the call did not fail")


def contact(hs: Any, email: str) -> str:
    return hs.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={"email": email})).id


def group_calls(hs: Any, cid: str = "1", list_id: str = "1") -> dict[str, Callable[[], Any]]:
    """One representative authenticated call per CRM endpoint group."""
    return {
        "contacts": lambda: hs.crm.contacts.basic_api.get_page(),
        "contacts.batch": lambda: hs.crm.contacts.batch_api.read({"inputs": [{"id": cid}], "properties": []}),
        "companies": lambda: hs.crm.companies.basic_api.get_page(),
        "deals": lambda: hs.crm.deals.basic_api.get_page(),
        "objects": lambda: hs.crm.objects.basic_api.get_page("0-5"),
        "search": lambda: hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest()),
        "properties": lambda: hs.crm.properties.core_api.get_by_name("contacts", "email"),
        "property groups": lambda: hs.crm.properties.groups_api.get_all("contacts"),
        "owners": lambda: hs.crm.owners.owners_api.get_page(),
        "associations": lambda: hs.crm.associations.v4.basic_api.get_page("contacts", cid, "companies"),
        "association labels": lambda: hs.crm.associations.v4.schema.definitions_api.get_all(
            "contacts", "companies"
        ),
        "lists": lambda: hs.crm.lists.lists_api.get_all(),
        "list memberships": lambda: hs.crm.lists.memberships_api.get_page(list_id),
        "list folders": lambda: hs.crm.lists.folders_api.get_all(),
    }


def test_every_group_answers_401_to_a_bad_token(hs_url: str) -> None:
    bad = hubspot_client(hs_url, access_token="pat-not-this-one")
    for group, call in group_calls(bad).items():
        status, body = error_of(call)
        assert (status, body["category"]) == (401, "INVALID_AUTHENTICATION"), group
        assert body["status"] == "error" and body["correlationId"], group
    dev = hubspot.Client.create(api_key="wrong-developer-key", host=hs_url, base_url=hs_url)
    status, body = error_of(lambda: dev.webhooks.subscriptions_api.get_all(APP))
    assert (status, body["category"]) == (401, "INVALID_AUTHENTICATION")
    status, body = error_of(
        lambda: bad.oauth.tokens_api.create(
            grant_type="refresh_token", refresh_token="nope", client_id="sandbox-client-id", client_secret="x"
        )
    )
    assert status == 400 and body["status"] == "BAD_CLIENT_SECRET"  # the token endpoint's own error body


def test_every_group_answers_429_once_the_burst_window_is_full(hs_both: Any, sandbox: Any) -> None:
    hs = hs_both
    cid = contact(hs, "burst@example.com")
    list_id = hs.crm.lists.lists_api.create(
        ListCreateRequest(name="burst", object_type_id="0-1", processing_type="MANUAL")
    ).list.list_id
    sandbox.update_settings("hubspot", {"tier": "starter"})  # 100 requests per rolling 10 s
    status, body = 0, {}
    for _ in range(101):
        try:
            hs.crm.owners.owners_api.get_page()
        except Exception:  # noqa: BLE001 - the owners package's ApiException
            status, body = error_of(hs.crm.owners.owners_api.get_page)
            break
    assert status == 429 and body["policyName"] == "TEN_SECONDLY_ROLLING"
    for group, call in group_calls(hs, cid, list_id).items():
        status, body = error_of(call)
        assert status == 429, group
        assert (body["policyName"], body["errorType"]) == ("TEN_SECONDLY_ROLLING", "RATE_LIMIT"), group
        assert body["message"] == "You have reached your ten_secondly_rolling limit.", group
    sandbox.clock.advance(10)  # the window rolls on the sandbox clock
    assert hs.crm.contacts.basic_api.get_by_id(cid).id == cid


def test_404s(hs_both: Any, hs_url: str) -> None:
    hs = hs_both
    cid = contact(hs, "found@example.com")
    dev = hubspot.Client.create(api_key="sandbox-developer-key", host=hs_url, base_url=hs_url)
    calls: dict[str, Callable[[], Any]] = {
        "contact": lambda: hs.crm.contacts.basic_api.get_by_id("1"),
        "contact by email": lambda: hs.crm.contacts.basic_api.get_by_id(
            "no@example.com", id_property="email"
        ),
        "company": lambda: hs.crm.companies.basic_api.get_by_id("1"),
        "deal": lambda: hs.crm.deals.basic_api.get_by_id("1"),
        "ticket": lambda: hs.crm.objects.basic_api.get_by_id("tickets", "1"),
        "merge": lambda: hs.crm.contacts.basic_api.merge({"primaryObjectId": cid, "objectIdToMerge": "1"}),
        "property": lambda: hs.crm.properties.core_api.get_by_name("contacts", "no_such_property"),
        "property group": lambda: hs.crm.properties.groups_api.get_by_name("deals", "nogroup"),
        "owner": lambda: hs.crm.owners.owners_api.get_by_id(1),
        "list": lambda: hs.crm.lists.lists_api.get_by_id("999"),
        "list by name": lambda: hs.crm.lists.lists_api.get_by_name("0-1", "nothing"),
        "list memberships": lambda: hs.crm.lists.memberships_api.get_page("999"),
        "webhook subscription": lambda: dev.webhooks.subscriptions_api.get_by_id(42, APP),
        "access token": lambda: hs.oauth.access_tokens_api.get("nope"),
    }
    for what, call in calls.items():
        status, body = error_of(call)
        assert status == 404 and body["status"] == "error", what
        assert body["category"] == "OBJECT_NOT_FOUND", what
    # associating with a record that does not exist is a 4xx in HubSpot's format, not a 404 page
    status, body = error_of(
        lambda: hs.crm.associations.v4.basic_api.create(
            "contacts", cid, "companies", "1", [AssociationSpec("HUBSPOT_DEFINED", 279)]
        )
    )
    assert 400 <= status < 500 and body["status"] == "error"


def test_400s(hs_both: Any, hs_url: str) -> None:
    hs = hs_both
    dev = hubspot.Client.create(api_key="sandbox-developer-key", host=hs_url, base_url=hs_url)
    calls: dict[str, Callable[[], Any]] = {
        "unknown property": lambda: hs.crm.contacts.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"email": "x@example.com", "nope": "1"})
        ),
        "bad number": lambda: hs.crm.companies.batch_api.create(
            CompanyBatch(inputs=[{"properties": {"name": "A", "numberofemployees": "many"}}])
        ),
        "bad enumeration": lambda: hs.crm.deals.batch_api.create(
            DealBatch(inputs=[{"properties": {"dealname": "D", "dealstage": "nowhere"}}])
        ),
        "unknown object type": lambda: hs.crm.objects.search_api.do_search("widgets", ObjectsSearch()),
        "search limit": lambda: hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=201)),
        "property type": lambda: hs.crm.properties.core_api.create(
            "contacts",
            PropertyCreate(
                name="p1", label="P", type="colour", field_type="text", group_name="contactinformation"
            ),
        ),
        "owners limit": lambda: hs.crm.owners.owners_api.get_page(limit=0),
        "association type": lambda: hs.crm.associations.v4.schema.definitions_api.get_all(
            "contacts", "widgets"
        ),
        "dynamic list without filters": lambda: hs.crm.lists.lists_api.create(
            ListCreateRequest(name="d", object_type_id="0-1", processing_type="DYNAMIC")
        ),
        "webhook event type": lambda: dev.webhooks.subscriptions_api.create(
            APP, SubscriptionCreateRequest(event_type="contact.bogus", active=True)
        ),
    }
    for what, call in calls.items():
        status, body = error_of(call)
        assert status == 400 and body["category"] == "VALIDATION_ERROR", (what, body)
        assert body["status"] == "error" and body["message"], what


def test_409s(hs_both: Any) -> None:
    hs = hs_both
    cid = contact(hs, "taken@example.com")
    status, body = error_of(lambda: contact(hs, "Taken@Example.com"))
    assert (status, body["category"], body["message"]) == (
        409,
        "CONFLICT",
        f"Contact already exists. Existing ID: {cid}",
    )
    spec = PropertyCreate(
        name="tier", label="Tier", type="string", field_type="text", group_name="companyinformation"
    )
    hs.crm.properties.core_api.create("companies", spec)
    status, body = error_of(lambda: hs.crm.properties.core_api.create("companies", spec))
    assert (status, body["category"]) == (409, "OBJECT_ALREADY_EXISTS")
    group = PropertyGroupCreate(name="extra", label="Extra")
    hs.crm.properties.groups_api.create("deals", group)
    status, body = error_of(lambda: hs.crm.properties.groups_api.create("deals", group))
    assert status == 409


def test_paging_in_every_group_that_pages(hs_both: Any, sandbox: Any) -> None:
    hs = hs_both
    companies = hs.crm.companies.batch_api.create(
        CompanyBatch(inputs=[{"properties": {"name": f"Co{i}"}} for i in range(7)])
    ).results
    hs.crm.deals.batch_api.create(DealBatch(inputs=[{"properties": {"dealname": f"D{i}"}} for i in range(5)]))
    # get_all walks `paging.next.after` to the end
    assert len(hs.crm.companies.get_all()) == 7 and len(hs.crm.deals.get_all()) == 5
    first = hs.crm.companies.basic_api.get_page(limit=3)
    rest = hs.crm.companies.basic_api.get_page(limit=5, after=first.paging.next.after)
    assert len(first.results) == 3 and len(rest.results) == 4 and rest.paging is None
    objects_page = hs.crm.objects.basic_api.get_page("0-3", limit=2)
    assert len(objects_page.results) == 2 and objects_page.paging.next.after
    # search pages by offset
    search = hs.crm.companies.search_api.do_search({"limit": 4, "sorts": ["name"]})
    assert search.total == 7 and search.paging.next.after == "4"
    sandbox.clock.advance(1)
    tail = hs.crm.companies.search_api.do_search(
        {"limit": 4, "after": search.paging.next.after, "sorts": ["name"]}
    )
    assert [r.properties["name"] for r in tail.results] == ["Co4", "Co5", "Co6"] and tail.paging is None
    # associations v4 pages
    cid = contact(hs, "many@example.com")
    for co in companies:
        hs.crm.associations.v4.basic_api.create_default("contacts", cid, "companies", co.id)
    page = hs.crm.associations.v4.basic_api.get_page("contacts", cid, "companies", limit=5)
    more = hs.crm.associations.v4.basic_api.get_page(
        "contacts", cid, "companies", limit=5, after=page.paging.next.after
    )
    assert len(page.results) == 5 and len(more.results) == 2 and more.paging is None
    # list memberships page; lists search pages by offset
    list_id = hs.crm.lists.lists_api.create(
        ListCreateRequest(name="pager", object_type_id="0-2", processing_type="MANUAL")
    ).list.list_id
    hs.crm.lists.memberships_api.add(list_id, [c.id for c in companies])
    members = hs.crm.lists.memberships_api.get_page(list_id, limit=4)
    after = hs.crm.lists.memberships_api.get_page(list_id, limit=4, after=members.paging.next.after)
    assert len(members.results) == 4 and len(after.results) == 3
    for name in ("pager 2", "pager 3"):
        hs.crm.lists.lists_api.create(
            ListCreateRequest(name=name, object_type_id="0-2", processing_type="MANUAL")
        )
    found = hs.crm.lists.lists_api.do_search(ListSearchRequest(query="pager", count=2, offset=0))
    assert len(found.lists) == 2 and found.has_more is True and found.total == 3
    # owners page (6 seeded)
    owners = hs.crm.owners.owners_api.get_page(limit=4)
    assert len(owners.results) == 4 and owners.paging.next.after
