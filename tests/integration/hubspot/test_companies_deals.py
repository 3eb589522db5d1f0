"""Companies and deals as full CRM v3 objects with the official client, on both transports: CRUD with
their default properties and types, batch, search, merge, property history, the deal stage rules of
pipelines, Primary company associations on create and in v3 reads, company lists and webhooks."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses
from hubspot import Client
from hubspot.crm.companies import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
    PublicMergeInput,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.companies.exceptions import ApiException as CompanyApiException
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate
from hubspot.crm.deals import PublicMergeInput as DealMerge
from hubspot.crm.deals import SimplePublicObjectInput as DealUpdate
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate
from hubspot.crm.deals.exceptions import ApiException as DealApiException
from hubspot.crm.lists.models import ListCreateRequest
from hubspot.crm.pipelines import PipelineInput, PipelineStageInput
from hubspot.crm.properties import PropertyCreate

from simulator.hubspot.errors import HubSpotError
from simulator.hubspot.webhooks import DEFAULT_APP_ID

TARGET = "https://receiver.example.test/companies"


def company(hs: Client, **props: str) -> str:
    return str(hs.crm.companies.basic_api.create(SimplePublicObjectInputForCreate(properties=props)).id)


def deal(hs: Client, assoc: list[dict[str, Any]] | None = None, **props: str) -> Any:
    return hs.crm.deals.basic_api.create(DealCreate(properties=props, associations=assoc))


def problem(exc: pytest.ExceptionInfo[Any]) -> tuple[int, str, str]:
    body = json.loads(exc.value.body)
    return exc.value.status, body["errors"][0]["code"], body["errors"][0]["context"]["propertyName"][0]


def test_company_properties_have_their_real_types(hs: Client) -> None:
    types = {p.name: p.type for p in hs.crm.properties.core_api.get_all("companies").results}
    for name, wanted in {
        "name": "string", "domain": "string", "industry": "enumeration", "phone": "string", "city": "string",
        "state": "string", "country": "string", "numberofemployees": "number", "annualrevenue": "number",
        "lifecyclestage": "enumeration", "hubspot_owner_id": "enumeration", "salesforceaccountid": "string",
        "address2": "string", "founded_year": "string", "is_public": "bool", "linkedin_company_page": "string",
    }.items():
        assert types[name] == wanted, name
    deals = {p.name: (p.type, p.modification_metadata.read_only_value) for p in hs.crm.properties.core_api.get_all("deals").results}
    assert deals["amount"] == ("number", False) and deals["closedate"] == ("datetime", False)
    assert deals["dealstage"][0] == deals["pipeline"][0] == deals["dealtype"][0] == "enumeration"
    assert deals["hs_salesforceopportunityid"] == ("string", False)
    assert deals["hs_priority"] == ("enumeration", False) and deals["hs_next_step"] == ("string", False)
    assert deals["hs_deal_stage_probability"] == ("number", True) and deals["hs_is_closed_won"] == ("bool", True)
    with pytest.raises(CompanyApiException) as exc:
        company(hs, name="Bad", numberofemployees="many")
    assert problem(exc) == (400, "INVALID_DECIMAL", "numberofemployees")


def test_company_crud_batch_search_and_history(hs: Client) -> None:
    api = hs.crm.companies
    a = company(hs, name="Acme", domain="acme.com", industry="COMPUTER_SOFTWARE", city="Paris")
    got = api.basic_api.get_by_id(a)
    assert set(got.properties) == {"createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"}
    api.basic_api.update(a, SimplePublicObjectInput(properties={"city": "Lyon"}))
    hist = api.basic_api.get_by_id(a, properties_with_history=["city"]).properties_with_history["city"]
    assert [h.value for h in hist] == ["Lyon", "Paris"]

    made = api.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[{"properties": {"name": f"B{i}", "domain": f"b{i}.com"}} for i in range(3)]
        )
    )
    ids = sorted((r.id for r in made.results), key=int)
    read = api.batch_api.read(BatchReadInputSimplePublicObjectId(inputs=[{"id": i} for i in [*ids, "1"]], properties=["domain"]))
    assert sorted(r.properties["domain"] for r in read.results) == ["b0.com", "b1.com", "b2.com"]
    assert read.errors[0].category == "OBJECT_NOT_FOUND" and read.errors[0].context == {"ids": ["1"]}
    api.batch_api.update(BatchInputSimplePublicObjectBatchInput(inputs=[{"id": ids[0], "properties": {"name": "B zero"}}]))
    api.batch_api.archive(BatchInputSimplePublicObjectId(inputs=[{"id": ids[1]}]))

    search = PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "domain", "operator": "CONTAINS_TOKEN", "value": "*.com"}]}],
        sorts=[{"propertyName": "name", "direction": "ASCENDING"}],
        properties=["name"],
    )
    found = api.search_api.do_search(search)
    assert [r.properties["name"] for r in found.results] == ["Acme", "B zero", "B2"] and found.total == 3


def test_company_merge_makes_a_new_record_that_keeps_the_associations(hs: Client) -> None:
    a, b = company(hs, name="Primary Co", domain="p.com"), company(hs, name="Other Co", phone="123")
    cid = hs.crm.contacts.basic_api.create(
        ContactCreate(
            properties={"email": "m@p.com"},
            associations=[{"to": {"id": b}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]}],
        )
    ).id
    merged = hs.crm.companies.basic_api.merge(PublicMergeInput(primary_object_id=a, object_id_to_merge=b))
    assert merged.id not in (a, b)
    assert merged.properties["name"] == "Primary Co" and merged.properties["phone"] == "123"
    assert set(merged.properties["hs_merged_object_ids"].split(";")) == {a, b}
    assert hs.crm.companies.basic_api.get_by_id(b).id == merged.id  # old ids read as the new record
    page = hs.crm.associations.v4.basic_api.get_page("contacts", cid, "companies").results
    assert [(r.to_object_id, sorted(t.type_id for t in r.association_types)) for r in page] == [(merged.id, [1, 279])]


def test_deal_defaults_stage_properties_and_history(hs: Client) -> None:
    d = deal(hs, dealname="Big", amount="1000", dealstage="appointmentscheduled")
    assert d.properties["pipeline"] == "default"  # "If a pipeline isn't specified, the default pipeline will be used"
    assert (d.properties["hs_deal_stage_probability"], d.properties["hs_is_closed"]) == ("0.2", "false")
    won = hs.crm.deals.basic_api.update(d.id, DealUpdate(properties={"dealstage": "closedwon"}))
    assert (won.properties["hs_is_closed"], won.properties["hs_is_closed_won"]) == ("true", "true")
    read = hs.crm.deals.basic_api.get_by_id(d.id, properties_with_history=["dealstage", "hs_deal_stage_probability"])
    assert [h.value for h in read.properties_with_history["dealstage"]] == ["closedwon", "appointmentscheduled"]
    assert [h.value for h in read.properties_with_history["hs_deal_stage_probability"]] == ["1.0", "0.2"]
    with pytest.raises(DealApiException) as exc:
        hs.crm.deals.basic_api.update(d.id, DealUpdate(properties={"hs_is_closed_won": "false"}))
    assert problem(exc) == (400, "READ_ONLY_VALUE", "hs_is_closed_won")


def test_a_deals_stage_must_belong_to_its_pipeline(hs: Client) -> None:
    other = hs.crm.pipelines.pipelines_api.create(
        "deals",
        PipelineInput(label="Salesforce - Partner", display_order=1, stages=[
            PipelineStageInput(label="Open", display_order=0, metadata={"probability": "0.1"}),
        ]),
    )
    open_stage = other.stages[0].id
    with pytest.raises(DealApiException) as exc:  # a stage of another pipeline, pipeline left to default
        deal(hs, dealname="X", dealstage=open_stage)
    assert problem(exc) == (400, "INVALID_OPTION", "dealstage")
    assert "appointmentscheduled" in json.loads(exc.value.body)["message"]
    d = deal(hs, dealname="X", pipeline=other.id, dealstage=open_stage)
    with pytest.raises(DealApiException) as exc:  # moving pipelines without a stage of the new one
        hs.crm.deals.basic_api.update(d.id, DealUpdate(properties={"pipeline": "default"}))
    assert problem(exc)[1:] == ("INVALID_OPTION", "dealstage")
    moved = hs.crm.deals.basic_api.update(d.id, DealUpdate(properties={"pipeline": "default", "dealstage": "closedlost"}))
    assert (moved.properties["pipeline"], moved.properties["hs_is_closed_won"]) == ("default", "false")
    with pytest.raises(DealApiException) as exc:
        deal(hs, dealname="X", pipeline="nope")
    assert problem(exc)[1:] == ("INVALID_OPTION", "pipeline")
    names = [r.properties["dealname"] for r in hs.crm.deals.basic_api.get_page(properties=["dealname"]).results]
    assert names == ["X"]  # the refused creates wrote nothing


def test_deal_with_primary_company_and_contacts_on_create_and_in_v3_reads(hs: Client) -> None:
    co = company(hs, name="Acme")
    ct = hs.crm.contacts.basic_api.create(ContactCreate(properties={"email": "buyer@acme.com"})).id
    d = deal(
        hs,
        assoc=[
            {"to": {"id": co}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]},
            {"to": {"id": ct}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]},
        ],
        dealname="Assoc",
    )
    read = hs.crm.deals.basic_api.get_by_id(d.id, associations=["companies", "contacts"])
    assert [(r.id, r.type) for r in read.associations["companies"].results] == [
        (co, "deal_to_company"), (co, "deal_to_company_unlabeled"),
    ]
    assert [(r.id, r.type) for r in read.associations["contacts"].results] == [(ct, "deal_to_contact")]
    back = hs.crm.companies.basic_api.get_by_id(co, associations=["deals"])
    assert {r.type for r in back.associations["deals"].results} == {"company_to_deal", "company_to_deal_unlabeled"}
    labels = hs.crm.associations.v4.schema.definitions_api.get_all("deals", "companies").results
    assert {(t.type_id, t.label) for t in labels} == {(5, "Primary"), (341, None)}


def test_deal_merge_makes_a_new_deal(hs: Client) -> None:
    a = deal(hs, dealname="A", dealstage="contractsent").id
    b = deal(hs, dealname="B", amount="50").id
    merged = hs.crm.deals.basic_api.merge(DealMerge(primary_object_id=a, object_id_to_merge=b))
    assert merged.id not in (a, b) and merged.properties["dealname"] == "A" and merged.properties["amount"] == "50"
    assert merged.properties["hs_deal_stage_probability"] == "0.9"
    assert hs.crm.deals.basic_api.get_by_id(a).id == merged.id


def test_company_list_follows_company_changes(hs: Client) -> None:
    software = company(hs, name="Soft", industry="COMPUTER_SOFTWARE")
    bank = company(hs, name="Bank", industry="BANKING")
    branch = {
        "filterBranchType": "OR", "filters": [],
        "filterBranches": [{
            "filterBranchType": "AND", "filterBranches": [],
            "filters": [{
                "filterType": "PROPERTY", "property": "industry",
                "operation": {"operationType": "ENUMERATION", "operator": "IS_ANY_OF", "values": ["BANKING"]},
            }],
        }],
    }
    lst = hs.crm.lists.lists_api.create(
        ListCreateRequest(name="Banks", object_type_id="0-2", processing_type="DYNAMIC", filter_branch=branch)
    ).list
    assert lst.object_type_id == "0-2"
    assert [r.record_id for r in hs.crm.lists.memberships_api.get_page(lst.list_id).results] == [bank]
    hs.crm.companies.basic_api.update(software, SimplePublicObjectInput(properties={"industry": "BANKING"}))
    assert [r.record_id for r in hs.crm.lists.memberships_api.get_page(lst.list_id).results] == sorted([bank, software], key=int)


def test_company_and_deal_changes_reach_the_webhook_receiver(hs: Client, sandbox: Any) -> None:
    hooks = sandbox.backend("hubspot").webhooks
    hooks.configure(DEFAULT_APP_ID, TARGET)
    hooks.create_subscription(DEFAULT_APP_ID, "company.creation")
    hooks.create_subscription(DEFAULT_APP_ID, "deal.propertyChange", "dealstage")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, TARGET, status=200)
        co = company(hs, name="Hooked")
        d = deal(hs, dealname="Hooked", dealstage="qualifiedtobuy").id
        hs.crm.deals.basic_api.update(d, DealUpdate(properties={"dealstage": "closedwon"}))
        hooks.flush()
        events = [e for c in rsps.calls for e in json.loads(c.request.body)]
    assert [(e["subscriptionType"], e["objectId"], e.get("propertyValue")) for e in events] == [
        ("company.creation", int(co), None),
        ("deal.propertyChange", int(d), "qualifiedtobuy"),
        ("deal.propertyChange", int(d), "closedwon"),
    ]


def test_company_and_deal_subscription_types(sandbox: Any) -> None:
    hooks = sandbox.backend("hubspot").webhooks
    for event_type in ("company.merge", "company.associationChange", "deal.restore", "deal.merge"):
        hooks.create_subscription(DEFAULT_APP_ID, event_type)
    # GDPR deletion is a contacts-only API, so HubSpot has no such subscription for companies or deals.
    for event_type in ("company.privacyDeletion", "deal.privacyDeletion"):
        with pytest.raises(HubSpotError) as exc:
            hooks.create_subscription(DEFAULT_APP_ID, event_type)
        assert exc.value.status == 400 and "contact.privacyDeletion" in exc.value.message


@pytest.mark.parametrize("object_type", ["companies", "deals"])
def test_batch_upsert_by_a_unique_custom_property(hs: Client, object_type: str) -> None:
    """Neither type has a unique default property (a company's domain is not unique), so upsert needs
    one the portal creates with hasUniqueValue, as an integration creates its external-id property."""
    hs.crm.properties.core_api.create(
        object_type,
        PropertyCreate(
            name="erp_id", label="ERP id", type="string", field_type="text",
            group_name="companyinformation" if object_type == "companies" else "dealinformation",
            has_unique_value=True,
        ),
    )
    api = getattr(hs.crm, object_type).batch_api
    name = "name" if object_type == "companies" else "dealname"
    first = api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[{"id": "E-1", "idProperty": "erp_id", "properties": {name: "One"}}]
    ))
    assert [(r.new, r.properties["erp_id"], r.properties[name]) for r in first.results] == [(True, "E-1", "One")]
    again = api.upsert(BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[{"id": "E-1", "idProperty": "erp_id", "properties": {name: "Uno"}},
                {"id": "E-2", "idProperty": "erp_id", "properties": {name: "Two"}}]
    ))
    assert sorted((r.new, r.properties[name]) for r in again.results) == [(False, "Uno"), (True, "Two")]
    assert {r.id for r in again.results if not r.new} == {first.results[0].id}
    with pytest.raises((CompanyApiException, DealApiException)) as exc:  # the unique value is taken
        getattr(hs.crm, object_type).basic_api.create(
            SimplePublicObjectInputForCreate(properties={name: "Dup", "erp_id": "E-2"})
        )
    assert exc.value.status == 409 and json.loads(exc.value.body)["category"] == "CONFLICT"
