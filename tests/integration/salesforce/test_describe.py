"""Describe, global describe and object metadata through simple-salesforce."""

from __future__ import annotations

import pytest

from .sf_control import add_hubspot_id_field

OBJECTS = {
    "Lead": "00Q",
    "Contact": "003",
    "Account": "001",
    "Opportunity": "006",
    "OpportunityContactRole": "00K",
    "Task": "00T",
    "Event": "00U",
    "Campaign": "701",
    "CampaignMember": "00v",
    "User": "005",
    "RecordType": "012",
    "OpportunityStage": "01J",
    "UserPermissionAccess": "0Kc",  # the running user's permissions (DEAL-1)
}


def test_global_describe_lists_the_standard_objects(sf) -> None:  # noqa: ANN001
    g = sf.describe()
    assert g["encoding"] == "UTF-8" and g["maxBatchSize"] == 200
    prefixes = {o["name"]: o["keyPrefix"] for o in g["sobjects"]}
    assert prefixes == OBJECTS
    lead = next(o for o in g["sobjects"] if o["name"] == "Lead")
    assert (
        lead["createable"]
        and lead["queryable"]
        and lead["urls"]["sobject"] == "/services/data/v59.0/sobjects/Lead"
    )
    user = next(o for o in g["sobjects"] if o["name"] == "User")
    assert user["deletable"] is False


def test_lead_describe_fields(sf) -> None:  # noqa: ANN001
    d = sf.Lead.describe()
    assert (d["name"], d["keyPrefix"], d["labelPlural"]) == ("Lead", "00Q", "Leads")
    assert d["recordTypeInfos"][0]["master"] is True
    f = {x["name"]: x for x in d["fields"]}
    assert (f["LastName"]["nillable"], f["LastName"]["createable"], f["LastName"]["length"]) == (
        False,
        True,
        80,
    )
    assert f["Company"]["nillable"] is False
    assert (f["Name"]["createable"], f["Name"]["updateable"], f["Name"]["nameField"]) == (False, False, True)
    status = f["Status"]
    assert (
        status["type"] == "picklist"
        and status["restrictedPicklist"] is True
        and status["defaultedOnCreate"] is True
    )
    assert [p["value"] for p in status["picklistValues"] if p["defaultValue"]] == ["Open - Not Contacted"]
    assert "Closed - Converted" in [p["value"] for p in status["picklistValues"]]
    assert f["LeadSource"]["restrictedPicklist"] is False
    # Leads can be owned by queues: real orgs describe ["Group", "User"] (test_describe_compound.py)
    assert (f["OwnerId"]["referenceTo"], f["OwnerId"]["relationshipName"], f["OwnerId"]["soapType"]) == (
        ["Group", "User"],
        "Owner",
        "tns:ID",
    )
    assert f["Email"]["type"] == "email" and f["SystemModstamp"]["type"] == "datetime"
    for name in (
        "Id",
        "CreatedDate",
        "LastModifiedDate",
        "SystemModstamp",
        "IsDeleted",
        "CreatedById",
        "IsConverted",
        "ConvertedDate",
        "ConvertedAccountId",
        "ConvertedContactId",
        "ConvertedOpportunityId",
        "MasterRecordId",
    ):
        assert f[name]["createable"] is False and f[name]["updateable"] is False, name


def test_other_objects_required_fields_and_relationships(sf) -> None:  # noqa: ANN001
    opp = {x["name"]: x for x in sf.Opportunity.describe()["fields"]}
    assert all(opp[n]["nillable"] is False for n in ("Name", "StageName", "CloseDate"))
    assert "Closed Won" in [p["value"] for p in opp["StageName"]["picklistValues"]]
    con = {x["name"]: x for x in sf.Contact.describe()["fields"]}
    assert (con["AccountId"]["referenceTo"], con["AccountId"]["relationshipName"]) == (["Account"], "Account")
    task = {x["name"]: x for x in sf.Task.describe()["fields"]}
    assert (
        task["WhoId"]["referenceTo"] == ["Contact", "Lead"] and task["WhoId"]["polymorphicForeignKey"] is True
    )
    acc = sf.Account.describe()
    assert {"childSObject": "Contact", "field": "AccountId", "relationshipName": "Contacts"}.items() <= next(
        c for c in acc["childRelationships"] if c["childSObject"] == "Contact"
    ).items()
    assert sf.Account.metadata()["objectDescribe"]["name"] == "Account"


def test_custom_fields_appear_in_describe(sf, live) -> None:  # noqa: ANN001
    add_hubspot_id_field(live.salesforce_url)
    f = {x["name"]: x for x in sf.Lead.describe()["fields"]}["HubSpot_Id__c"]
    assert (f["custom"], f["externalId"], f["unique"], f["length"], f["type"]) == (
        True,
        True,
        True,
        255,
        "string",
    )
    rec = sf.Lead.get(sf.Lead.create({"LastName": "c", "Company": "d"})["id"])
    assert "HubSpot_Id__c" in rec and rec["HubSpot_Id__c"] is None


def test_formula_fields_through_the_client(sf, live) -> None:  # noqa: ANN001
    from simple_salesforce.exceptions import SalesforceMalformedRequest

    from .sf_control import control

    spec = {"object": "Lead", "name": "Greeting__c", "type": "formula", "returnType": "string",
            "formula": "'Dear ' & BLANKVALUE(FirstName, 'customer')"}
    assert control(live.salesforce_url, "fields", spec).status_code == 201
    bad = control(live.salesforce_url, "fields", {**spec, "formula": "'Dear ' & Nickname__c"})
    assert bad.status_code == 400 and "Nickname__c does not exist" in bad.json()["error"]
    f = {x["name"]: x for x in sf.Lead.describe()["fields"]}["Greeting__c"]
    assert (f["calculated"], f["calculatedFormula"], f["createable"], f["updateable"], f["type"]) == (
        True, spec["formula"], False, False, "string"
    )
    rid = sf.Lead.create({"LastName": "Lovelace", "Company": "AE"})["id"]
    assert sf.Lead.get(rid)["Greeting__c"] == "Dear customer"
    sf.Lead.update(rid, {"FirstName": "Ada"})
    rows = sf.query("SELECT Greeting__c FROM Lead WHERE Greeting__c = 'dear ADA'")["records"]
    assert [r["Greeting__c"] for r in rows] == ["Dear Ada"]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.update(rid, {"Greeting__c": "Hi"})
    assert info.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
