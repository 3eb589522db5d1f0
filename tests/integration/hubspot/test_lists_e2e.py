"""Lists, associations and webhooks end to end with the real record store, driven through the official
client's objects API (contacts/companies create, update, archive, merge)."""

from __future__ import annotations

import json
from typing import Any

import responses
from hubspot.crm.associations.v4.models import AssociationSpec
from hubspot.crm.contacts.models import (
    PublicMergeInput,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.lists.models import ListCreateRequest

from simulator.hubspot.webhooks import DEFAULT_APP_ID

TARGET = "https://receiver.example.test/e2e"


def contact(hs: Any, **props: str) -> str:
    return hs.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties=props)).id


def members(hs: Any, list_id: str) -> list[str]:
    return [r.record_id for r in hs.crm.lists.memberships_api.get_page(list_id).results]


def leads_branch() -> dict[str, Any]:
    return {
        "filterBranchType": "OR",
        "filters": [],
        "filterBranches": [
            {
                "filterBranchType": "AND",
                "filterBranches": [],
                "filters": [
                    {
                        "filterType": "PROPERTY",
                        "property": "lifecyclestage",
                        "operation": {
                            "operationType": "ENUMERATION",
                            "operator": "IS_ANY_OF",
                            "values": ["lead"],
                        },
                    }
                ],
            }
        ],
    }


def test_dynamic_list_follows_contacts_changed_through_the_objects_api(hs: Any) -> None:
    a = contact(hs, email="a@x.com", lifecyclestage="lead")
    b = contact(hs, email="b@x.com", lifecyclestage="customer")
    lst = hs.crm.lists.lists_api.create(
        ListCreateRequest(
            name="API leads", object_type_id="0-1", processing_type="DYNAMIC", filter_branch=leads_branch()
        )
    ).list
    assert members(hs, lst.list_id) == [a]
    hs.crm.contacts.basic_api.update(b, SimplePublicObjectInput(properties={"lifecyclestage": "lead"}))
    c = contact(hs, email="c@x.com", lifecyclestage="lead")
    assert members(hs, lst.list_id) == sorted([a, b, c], key=int)
    hs.crm.contacts.basic_api.archive(c)
    hs.crm.contacts.basic_api.update(a, SimplePublicObjectInput(properties={"lifecyclestage": "customer"}))
    assert members(hs, lst.list_id) == [b]


def test_manual_list_and_merge_keep_the_primary(hs: Any) -> None:
    a, b = contact(hs, email="p@x.com"), contact(hs, email="m@x.com")
    lst = hs.crm.lists.lists_api.create(
        ListCreateRequest(name="Static", object_type_id="0-1", processing_type="MANUAL")
    ).list
    res = hs.crm.lists.memberships_api.add(lst.list_id, [b, "1"])
    assert res.records_ids_added == [b] and res.record_ids_missing == ["1"]
    merged = hs.crm.contacts.basic_api.merge(PublicMergeInput(primary_object_id=a, object_id_to_merge=b))
    # The merge creates a new record (current API), which inherits the static membership.
    assert merged.id not in (a, b) and members(hs, lst.list_id) == [merged.id]


def test_associations_through_create_and_v3_reads(hs: Any) -> None:
    company = hs.crm.companies.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"name": "Acme", "domain": "acme.com"})
    ).id
    made = hs.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(
            properties={"email": "assoc@x.com"},
            associations=[
                {
                    "to": {"id": company},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                }
            ],
        )
    )
    read = hs.crm.contacts.basic_api.get_by_id(made.id, associations=["companies"])
    assert [(r.id, r.type) for r in read.associations["companies"].results] == [
        (company, "contact_to_company_unlabeled")
    ]
    page = hs.crm.associations.v4.basic_api.get_page("companies", company, "contacts")
    assert [r.to_object_id for r in page.results] == [made.id]
    hs.crm.associations.v4.basic_api.create(
        "contacts",
        made.id,
        "companies",
        company,
        [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)],
    )
    hs.crm.companies.basic_api.archive(company)
    assert hs.crm.associations.v4.basic_api.get_page("contacts", made.id, "companies").results == []


def test_record_changes_reach_the_webhook_receiver(hs: Any, sandbox: Any) -> None:
    hooks = sandbox.backend("hubspot").webhooks
    hooks.configure(DEFAULT_APP_ID, TARGET)
    hooks.create_subscription(DEFAULT_APP_ID, "contact.creation")
    hooks.create_subscription(DEFAULT_APP_ID, "contact.propertyChange", "firstname")
    # The receiver is mocked for the whole test: deliveries may happen after each API request
    # (service.after_request -> flush) or at the explicit flush below; either way they land here.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, TARGET, status=200)
        cid = contact(hs, email="hook@x.com", firstname="Ann")
        hs.crm.contacts.basic_api.update(cid, SimplePublicObjectInput(properties={"firstname": "Anna"}))
        hooks.flush()
        events = [e for c in rsps.calls for e in json.loads(c.request.body)]
    assert [(e["subscriptionType"], e.get("propertyValue")) for e in events] == [
        ("contact.creation", None),
        ("contact.propertyChange", "Ann"),
        ("contact.propertyChange", "Anna"),
    ]
    assert {e["objectId"] for e in events} == {int(cid)}


def test_sandbox_snapshot_restores_lists_associations_owners_tokens_and_webhooks(
    hs: Any, sandbox: Any
) -> None:
    a = contact(hs, email="snap@x.com", lifecyclestage="lead")
    company = hs.crm.companies.basic_api.create(SimplePublicObjectInputForCreate(properties={"name": "S"})).id
    hs.crm.associations.v4.basic_api.create_default("contacts", a, "companies", company)
    lst = hs.crm.lists.lists_api.create(
        ListCreateRequest(
            name="Snap leads", object_type_id="0-1", processing_type="DYNAMIC", filter_branch=leads_branch()
        )
    ).list
    backend = sandbox.backend("hubspot")
    backend.webhooks.configure(DEFAULT_APP_ID, TARGET)
    backend.webhooks.create_subscription(DEFAULT_APP_ID, "contact.deletion")
    token = backend.tokens.token_request(
        {
            "grant_type": "authorization_code",
            "code": "sandbox-auth-code",
            "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret",
        }
    )
    snap = json.loads(json.dumps(sandbox.snapshot()))
    sandbox.reset()
    assert hs.crm.lists.lists_api.get_all().lists == []
    sandbox.restore(snap)
    assert members(hs, lst.list_id) == [a]
    assert [
        r.to_object_id for r in hs.crm.associations.v4.basic_api.get_page("contacts", a, "companies").results
    ] == [company]
    restored = sandbox.backend("hubspot")
    assert restored.tokens.check_token(token["access_token"]).kind == "oauth"
    assert [s.event_type for s in restored.webhooks.subscriptions.values()] == ["contact.deletion"]
    # the restored stores still follow record changes
    hs.crm.contacts.basic_api.update(a, SimplePublicObjectInput(properties={"lifecyclestage": "customer"}))
    assert members(hs, lst.list_id) == []
