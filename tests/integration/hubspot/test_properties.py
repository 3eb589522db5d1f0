"""Properties v3 with the official client: the default catalog, custom property CRUD, batch, groups, and
record writes validated against custom definitions."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from hubspot import Client
from hubspot.crm.contacts import SimplePublicObjectInputForCreate
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiException
from hubspot.crm.properties import (
    BatchInputPropertyCreate,
    BatchInputPropertyName,
    BatchReadInputPropertyName,
    PropertyCreate,
    PropertyGroupCreate,
    PropertyGroupUpdate,
    PropertyUpdate,
)
from hubspot.crm.properties.exceptions import ApiException, NotFoundException

AUTH = {"Authorization": "Bearer pat-local-sandbox"}


def test_default_catalog_has_hubspots_real_properties(hs: Client) -> None:
    props = {p.name: p for p in hs.crm.properties.core_api.get_all("contacts").results}
    for name in (
        "email",
        "firstname",
        "lastname",
        "lifecyclestage",
        "hs_lead_status",
        "jobtitle",
        "company",
        "phone",
        "hubspot_owner_id",
        "createdate",
        "lastmodifieddate",
        "hs_object_id",
        "salesforcecontactid",
        "salesforceleadid",
        "salesforceaccountid",
        "salesforcelastsynctime",
    ):
        assert name in props, name
    assert [o.value for o in props["lifecyclestage"].options] == [
        "subscriber",
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
        "customer",
        "evangelist",
        "other",
    ]
    assert "BAD_TIMING" in {o.value for o in props["hs_lead_status"].options}
    assert props["lastmodifieddate"].modification_metadata.read_only_value is True
    assert props["email"].has_unique_value is True
    deals = {p.name: p for p in hs.crm.properties.core_api.get_all("0-3").results}
    assert [o.value for o in deals["dealstage"].options][-2:] == ["closedwon", "closedlost"]
    assert "hs_salesforceopportunityid" in deals
    companies = {p.name for p in hs.crm.properties.core_api.get_all("companies").results}
    assert {"name", "domain", "numberofemployees", "salesforceaccountid", "hs_lastmodifieddate"} <= companies


def test_custom_property_lifecycle_and_validation(hs: Client) -> None:
    api = hs.crm.properties.core_api
    created = api.create(
        "contacts",
        PropertyCreate(
            name="tier",
            label="Tier",
            type="enumeration",
            field_type="select",
            group_name="contactinformation",
            options=[{"label": "Gold", "value": "gold"}, {"label": "Silver", "value": "silver"}],
        ),
    )
    assert created.name == "tier" and created.hubspot_defined is False
    with pytest.raises(ApiException) as exc:
        api.create(
            "contacts",
            PropertyCreate(
                name="tier", label="T", type="string", field_type="text", group_name="contactinformation"
            ),
        )
    assert exc.value.status == 409
    ok = hs.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "t@e.com", "tier": "gold"})
    )
    assert ok.properties["tier"] == "gold"
    with pytest.raises(ContactsApiException) as bad:
        hs.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties={"tier": "bronze"}))
    assert json.loads(bad.value.body)["errors"][0]["code"] == "INVALID_OPTION"

    assert api.update("contacts", "tier", PropertyUpdate(label="Customer tier")).label == "Customer tier"
    assert api.get_by_name("contacts", "tier").label == "Customer tier"
    assert api.archive("contacts", "tier") is None
    with pytest.raises(NotFoundException):
        api.get_by_name("contacts", "tier")
    with pytest.raises(ApiException) as exc:
        api.archive("contacts", "email")  # HubSpot-defined
    assert exc.value.status == 400


def test_batch_properties(hs: Client) -> None:
    api = hs.crm.properties.batch_api
    made = api.create(
        "companies",
        BatchInputPropertyCreate(
            inputs=[
                {
                    "name": "sf_region",
                    "label": "Region",
                    "type": "string",
                    "fieldType": "text",
                    "groupName": "companyinformation",
                },
                {
                    "name": "sf_score",
                    "label": "Score",
                    "type": "number",
                    "fieldType": "number",
                    "groupName": "companyinformation",
                },
            ]
        ),
    )
    assert sorted(p.name for p in made.results) == ["sf_region", "sf_score"]
    read = api.read(
        "companies",
        BatchReadInputPropertyName(archived=False, inputs=[{"name": "sf_score"}, {"name": "missing"}]),
    )
    assert [p.name for p in read.results] == ["sf_score"] and read.errors
    assert api.archive("companies", BatchInputPropertyName(inputs=[{"name": "sf_region"}])) is None
    names = {p.name for p in hs.crm.properties.core_api.get_all("companies").results}
    assert "sf_region" not in names and "sf_score" in names


def test_groups_crud(hs: Client) -> None:
    api = hs.crm.properties.groups_api
    assert "contactinformation" in {g.name for g in api.get_all("contacts").results}
    g = api.create("contacts", PropertyGroupCreate(name="sync_info", label="Sync info"))
    assert g.name == "sync_info"
    assert api.update("contacts", "sync_info", PropertyGroupUpdate(label="Sync")).label == "Sync"
    assert api.get_by_name("contacts", "sync_info").label == "Sync"
    assert api.archive("contacts", "sync_info") is None
    with pytest.raises(NotFoundException):
        api.get_by_name("contacts", "sync_info")


def test_property_errors_on_the_wire(api: Any) -> None:
    base = f"{api.hubspot_url}/crm/v3/properties"
    r = requests.post(
        f"{base}/contacts",
        json={
            "name": "Bad Name",
            "label": "x",
            "type": "string",
            "fieldType": "text",
            "groupName": "contactinformation",
        },
        headers=AUTH,
    )
    assert r.status_code == 400 and r.json()["category"] == "VALIDATION_ERROR"
    r = requests.post(f"{base}/contacts", json={"label": "x"}, headers=AUTH)
    assert r.status_code == 400
    r = requests.get(f"{base}/widgets", headers=AUTH)
    assert r.status_code == 400 and r.json()["message"] == "Unable to infer object type from: widgets"
    r = requests.get(f"{base}/contacts/nope", headers=AUTH)
    assert r.status_code == 404 and r.json()["status"] == "error"
