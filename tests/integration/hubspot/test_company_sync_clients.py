"""What a company sync engine asks of HubSpot, driven with the official `hubspot-api-client`
unmodified, on both transports: companies created one by one and in batch, found by their
Salesforce Account ID with search (IN on a string matches lower-cased values), contact<->company
associations v4 (default, the Primary label, which moves when another company becomes Primary,
batch read and batch archive), and the merge refusal while company sync is on (DEL-4, A9)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot import Client
from hubspot.crm.associations.v4.models import (
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicAssociationMultiArchive,
    PublicAssociationMultiPost,
    PublicDefaultAssociationMultiPost,
    PublicFetchAssociationsBatchRequest,
    PublicObjectId,
)
from hubspot.crm.companies import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    PublicMergeInput,
    PublicObjectSearchRequest,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.companies.exceptions import ApiException as CompanyApiException
from hubspot.crm.contacts import PublicMergeInput as ContactMerge
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate

from simulator import Sandbox

PRIMARY = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)


def _company(hs: Client, **props: str) -> str:
    return str(hs.crm.companies.basic_api.create(SimplePublicObjectInputForCreate(properties=props)).id)


def _contact(hs: Client, email: str) -> str:
    return str(hs.crm.contacts.basic_api.create(ContactCreate(properties={"email": email})).id)


def _labels(hs: Client, contact_id: str) -> dict[str, list[str | None]]:
    page = hs.crm.associations.v4.basic_api.get_page("contacts", contact_id, "companies").results
    return {str(r.to_object_id): sorted((t.label or "") for t in r.association_types) for r in page}


@pytest.mark.catalog("CMP-6")
def test_companies_in_batch_found_by_salesforce_account_id(hs: Client) -> None:
    api = hs.crm.companies
    made = api.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                SimplePublicObjectInputForCreate(
                    properties={"name": "Acme", "salesforceaccountid": "001Hf00000AcmeAAA"}
                ),
                SimplePublicObjectInputForCreate(
                    properties={"name": "Initech", "salesforceaccountid": "001Hf00000InitAAA"}
                ),
                SimplePublicObjectInputForCreate(properties={"name": "Acme Two", "domain": "acme.com"}),
            ]
        )
    )
    assert made.status == "COMPLETE" and len(made.results) == 3
    # the engine's lookup: IN takes lower-case values and matches the stored mixed-case ids
    search = PublicObjectSearchRequest(
        filter_groups=[
            {
                "filters": [
                    {
                        "propertyName": "salesforceaccountid",
                        "operator": "IN",
                        "values": ["001hf00000acmeaaa", "001hf00000initaaa"],
                    }
                ]
            }
        ],
        properties=["name", "salesforceaccountid"],
        sorts=[{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        limit=100,
    )
    found = api.search_api.do_search(search)
    assert found.total == 2
    assert sorted((r.properties["name"], r.properties["salesforceaccountid"]) for r in found.results) == [
        ("Acme", "001Hf00000AcmeAAA"),
        ("Initech", "001Hf00000InitAAA"),
    ]


@pytest.mark.catalog("CMP-2")
def test_contact_company_associations_default_primary_move_and_archive(hs: Client) -> None:
    v4 = hs.crm.associations.v4
    acme, initech, club = _company(hs, name="Acme"), _company(hs, name="Initech"), _company(hs, name="Club")
    bob = _contact(hs, "bob@acme.example")
    v4.batch_api.create_default(
        "contacts",
        "companies",
        BatchInputPublicDefaultAssociationMultiPost(
            inputs=[
                PublicDefaultAssociationMultiPost(_from=PublicObjectId(id=bob), to=PublicObjectId(id=c))
                for c in (acme, club)
            ]
        ),
    )
    v4.batch_api.create(
        "contacts",
        "companies",
        BatchInputPublicAssociationMultiPost(
            inputs=[
                PublicAssociationMultiPost(
                    _from=PublicObjectId(id=bob), to=PublicObjectId(id=acme), types=[PRIMARY]
                )
            ]
        ),
    )
    assert _labels(hs, bob) == {acme: ["", "Primary"], club: [""]}
    # a contact has one Primary company: making Initech Primary takes the label off Acme
    v4.batch_api.create(
        "contacts",
        "companies",
        BatchInputPublicAssociationMultiPost(
            inputs=[
                PublicAssociationMultiPost(
                    _from=PublicObjectId(id=bob), to=PublicObjectId(id=initech), types=[PRIMARY]
                )
            ]
        ),
    )
    # (a labeled association always comes with the unlabeled one, as HubSpot shows them)
    assert _labels(hs, bob) == {acme: [""], initech: ["", "Primary"], club: [""]}
    # batch archive removes every association (all labels) of the pair, in both directions
    v4.batch_api.archive(
        "contacts",
        "companies",
        BatchInputPublicAssociationMultiArchive(
            inputs=[PublicAssociationMultiArchive(_from=PublicObjectId(id=bob), to=[PublicObjectId(id=acme)])]
        ),
    )
    assert set(_labels(hs, bob)) == {initech, club}
    read = v4.batch_api.get_page(
        "companies",
        "contacts",
        BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[PublicFetchAssociationsBatchRequest(id=c) for c in (acme, initech)]
        ),
    )
    got = {str(r._from.id): [str(t.to_object_id) for t in r.to] for r in read.results}
    assert got == {initech: [bob]}  # Acme has none left: left out of the results (207, NO_ASSOCIATIONS_FOUND)
    assert read.num_errors == 1


@pytest.mark.catalog("DEL-4")
def test_company_merge_refused_while_company_sync_is_on_contacts_still_merge(
    hs: Client, sandbox: Sandbox
) -> None:
    a, b = _company(hs, name="Keep Co"), _company(hs, name="Other Co")
    sandbox.update_settings("hubspot", {"salesforce_company_sync": True})
    with pytest.raises(CompanyApiException) as exc:
        hs.crm.companies.basic_api.merge(PublicMergeInput(primary_object_id=a, object_id_to_merge=b))
    body: dict[str, Any] = json.loads(exc.value.body)
    assert exc.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert "company sync with the Salesforce integration is turned on" in body["message"]
    assert {hs.crm.companies.basic_api.get_by_id(i).id for i in (a, b)} == {a, b}  # nothing merged
    x, y = _contact(hs, "x@example.com"), _contact(hs, "y@example.com")
    merged = hs.crm.contacts.basic_api.merge(ContactMerge(primary_object_id=x, object_id_to_merge=y))
    assert hs.crm.contacts.basic_api.get_by_id(y).id == merged.id  # the merged-away id reads as the result
