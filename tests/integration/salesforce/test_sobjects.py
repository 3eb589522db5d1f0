"""Record CRUD, external ids, replication windows and save-time errors through simple-salesforce."""

from __future__ import annotations

from datetime import timedelta

import pytest
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from simulator import Sandbox
from simulator.salesforce import ids

from .sf_control import add_hubspot_id_field, control

LEAD = {
    "FirstName": "Ada",
    "LastName": "Lovelace",
    "Company": "Analytical Engines",
    "Email": "ada@example.com",
}


def test_crud_round_trip(sf, sandbox: Sandbox) -> None:  # noqa: ANN001
    created = sf.Lead.create(LEAD)
    assert created["success"] is True and created["errors"] == []
    rid = created["id"]
    assert len(rid) == 18 and rid.startswith("00Q")
    rec = sf.Lead.get(rid)
    assert rec["attributes"] == {"type": "Lead", "url": f"/services/data/v59.0/sobjects/Lead/{rid}"}
    assert rec["Name"] == "Ada Lovelace" and rec["Status"] == "Open - Not Contacted"
    assert rec["CreatedDate"] == "2026-01-05T09:00:00.000+0000" and rec["IsDeleted"] is False
    assert rec["Phone"] is None  # every field, nulls included
    sandbox.clock.advance(60)
    assert sf.Lead.update(rid, {"Title": "Countess", "Email": None}) == 204
    rec = sf.Lead.get(rid[:15], params={"fields": "Id,Title,Email,LastModifiedDate"})  # 15-char id accepted
    assert rec == {
        "attributes": rec["attributes"],
        "Id": rid,
        "Title": "Countess",
        "Email": None,
        "LastModifiedDate": "2026-01-05T09:01:00.000+0000",
    }
    assert sf.Lead.delete(rid) == 204
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Lead.get(rid)
    assert info.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    for call in (lambda: sf.Lead.update(rid, {"Title": "x"}), lambda: sf.Lead.delete(rid)):
        with pytest.raises(SalesforceResourceNotFound) as info:
            call()
        assert info.value.content == [
            {"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}
        ]


def test_unknown_ids_and_objects(sf) -> None:  # noqa: ANN001
    # Not an id at all: read as an external-id field name (real traffic, restforce/restforce#376:
    # "NOT_FOUND: Provided external ID field does not exist or is not accessible: tmp_sf_5aecbe...").
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Lead.get("123")
    assert info.value.content == [
        {"message": "Provided external ID field does not exist or is not accessible: 123", "errorCode": "NOT_FOUND"}
    ]
    # A well-formed id of another object: MALFORMED_ID, on read and on write.
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.get("001A0000006Vm9rIAC")
    assert info.value.content[0]["errorCode"] == "MALFORMED_ID"
    assert info.value.content[0]["message"] == "Lead ID: id value of incorrect type: 001A0000006Vm9rIAC"
    with pytest.raises(SalesforceMalformedRequest):
        sf.Lead.update("001A0000006Vm9rIAC", {"Title": "x"})  # an Account id is not a Lead id
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Lead.get(ids.to18("00QHf0000000000"))
    assert info.value.content[0]["errorCode"] == "NOT_FOUND"
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Foo.describe()
    assert info.value.content == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


def test_every_standard_object_can_be_written(sf) -> None:  # noqa: ANN001
    acc = sf.Account.create({"Name": "Acme", "Industry": "Banking"})["id"]
    con = sf.Contact.create({"LastName": "Smith", "AccountId": acc, "Email": "s@acme.io"})["id"]
    opp = sf.Opportunity.create(
        {
            "Name": "Deal",
            "StageName": "Closed Won",
            "CloseDate": "2026-03-31",
            "AccountId": acc,
            "Amount": 1000,
        }
    )["id"]
    o = sf.Opportunity.get(opp)
    assert (o["IsWon"], o["IsClosed"], o["Probability"], o["ExpectedRevenue"]) == (True, True, 100.0, 1000.0)
    sf.OpportunityContactRole.create({"OpportunityId": opp, "ContactId": con, "Role": "Decision Maker"})
    camp = sf.Campaign.create({"Name": "Spring"})["id"]
    lead = sf.Lead.create(LEAD)["id"]
    cm = sf.CampaignMember.create({"CampaignId": camp, "LeadId": lead})["id"]
    assert sf.CampaignMember.get(cm)["Status"] == "Sent"
    task = sf.Task.create({"WhoId": con, "WhatId": opp, "Subject": "Call", "Priority": "High"})["id"]
    t = sf.Task.get(task)
    assert (t["AccountId"], t["IsHighPriority"], t["Status"]) == (acc, True, "Not Started")
    sf.Event.create(
        {"WhoId": lead, "Subject": "Meet", "StartDateTime": "2026-01-06T10:00:00Z", "DurationInMinutes": 30}
    )
    assert sf.Contact.get(con, params={"fields": "OwnerId"})["OwnerId"].startswith("005")
    # deleting an account takes its contacts and opportunities to the recycle bin
    sf.Account.delete(acc)
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get(con)
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Contact.create({"LastName": "x", "AccountId": acc})
    assert info.value.content[0] == {
        "message": "entity is deleted",
        "errorCode": "ENTITY_IS_DELETED",
        "fields": ["AccountId"],
    }
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Contact.create({"LastName": "x", "AccountId": ids.to18("001Hf0000000000")})
    assert info.value.content[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Contact.create({"LastName": "x", "AccountId": lead})
    assert info.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"LastName": "Solo"}, "REQUIRED_FIELD_MISSING", ["Company"]),
        ({**LEAD, "LastName": "L" * 81}, "STRING_TOO_LONG", ["LastName"]),
        ({**LEAD, "Email": "nope"}, "INVALID_EMAIL_ADDRESS", ["Email"]),
        ({**LEAD, "Status": "Hot Prospect"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Status"]),
        ({**LEAD, "IsConverted": True}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["IsConverted"]),
        ({**LEAD, "CreatedDate": "2020-01-01T00:00:00Z"}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["CreatedDate"]),
    ],
)
def test_validation_errors(sf, body: dict, code: str, fields: list[str]) -> None:  # noqa: ANN001
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.create(body)
    assert info.value.status == 400
    assert info.value.content[0]["errorCode"] == code
    assert info.value.content[0]["fields"] == fields


def test_unknown_field_and_wrong_types(sf) -> None:  # noqa: ANN001
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.create({**LEAD, "Foo__c": "x"})
    assert info.value.content == [
        {"message": "No such column 'Foo__c' on sobject of type Lead", "errorCode": "INVALID_FIELD"}
    ]
    for bad in (
        {"DoNotCall": "sometimes"},
        {"NumberOfEmployees": "many"},
        {"ConvertedDate": "x"},
        {"EmailBouncedDate": "yesterday"},
    ):
        with pytest.raises(SalesforceMalformedRequest) as info:
            sf.Lead.create({**LEAD, **bad})
        assert info.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"
        assert info.value.content[0]["message"].startswith("Cannot deserialize instance of")


def test_read_only_name_on_update_and_id_in_body(sf) -> None:  # noqa: ANN001
    rid = sf.Lead.create(LEAD)["id"]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.update(rid, {"Name": "Someone Else"})
    assert info.value.content[0]["message"].startswith(
        "Unable to create/update fields: Name. Please check the security settings"
    )
    assert sf.Lead.update(rid, {"Id": rid, "Title": "ok"}) == 204  # the record's own id is tolerated
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.update(rid, {"LastName": None})
    assert info.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_custom_field_external_id_get_and_upsert(sf, live) -> None:  # noqa: ANN001
    add_hubspot_id_field(live.salesforce_url)
    assert sf.Lead.upsert("HubSpot_Id__c/hs 101", {"LastName": "Up", "Company": "Sert"}) == 201
    found = sf.Lead.get_by_custom_id("HubSpot_Id__c", "hs 101")  # quote_plus: "hs+101"
    assert found["HubSpot_Id__c"] == "hs 101" and found["LastName"] == "Up"
    assert sf.Lead.upsert("HubSpot_Id__c/hs 101", {"Title": "Updated"}) == 200
    assert sf.Lead.get(found["Id"])["Title"] == "Updated"
    raw = sf.Lead.upsert("HubSpot_Id__c/hs 102", {"LastName": "B", "Company": "C"}, raw_response=True)
    assert raw.status_code == 201 and raw.json()["created"] is True
    raw = sf.Lead.upsert("HubSpot_Id__c/hs 102", {"Title": "x"}, raw_response=True)
    assert raw.json() == {"id": raw.json()["id"], "success": True, "errors": [], "created": False}
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.get_by_custom_id("HubSpot_Id__c", "missing")
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Lead.upsert("Title/a", {"LastName": "x"})  # neither an external id nor an idLookup field
    assert info.value.content == [
        {"message": "Provided external ID field does not exist or is not accessible: Title", "errorCode": "NOT_FOUND"}
    ]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.create(
            {"LastName": "Dup", "Company": "C", "HubSpot_Id__c": "HS 101"}
        )  # unique, case-insensitive
    assert info.value.content[0]["errorCode"] == "DUPLICATE_VALUE"
    assert found["Id"] in info.value.content[0]["message"]


def test_id_lookup_standard_fields_work_as_upsert_keys(sf) -> None:  # noqa: ANN001
    """Standard idLookup fields (Lead/Contact Email, Account Name, User Username) key get/upsert like
    an external id: the REST docs' own example is `/sobjects/Lead/Email/{address}`."""
    email = {f["name"]: f for f in sf.Lead.describe()["fields"]}["Email"]
    assert (email["idLookup"], email["externalId"]) == (True, False)
    raw = sf.Lead.upsert("Email/grace@example.com", {"LastName": "Hopper", "Company": "Navy"}, raw_response=True)
    assert raw.status_code == 201 and raw.json()["created"] is True
    assert sf.Lead.upsert("Email/GRACE@example.com", {"Title": "RADM"}) == 200  # case-insensitive match
    assert sf.Lead.get_by_custom_id("Email", "grace@example.com")["Title"] == "RADM"
    sf.Lead.create({"LastName": "Twin", "Company": "Navy", "Email": "grace@example.com"})
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Lead.upsert("Email/grace@example.com", {"Title": "x"})  # Email is not unique: 300
    assert sf.Account.upsert("Name/Acme", {"Industry": "Banking"}) == 201
    assert sf.Account.get_by_custom_id("Name", "Acme")["Industry"] == "Banking"
    assert sf.User.get_by_custom_id("Username", "integration@example.com")["IsActive"] is True


def test_upsert_by_id_and_ambiguous_external_id(sf, live) -> None:  # noqa: ANN001
    add_hubspot_id_field(live.salesforce_url, unique=False)
    a = sf.Lead.create({**LEAD, "HubSpot_Id__c": "7"})["id"]
    b = sf.Lead.create({**LEAD, "HubSpot_Id__c": "7"})["id"]
    with pytest.raises(SalesforceMoreThanOneRecord) as info:
        sf.Lead.get_by_custom_id("HubSpot_Id__c", "7")
    assert info.value.content == [
        f"/services/data/v59.0/sobjects/Lead/{a}",
        f"/services/data/v59.0/sobjects/Lead/{b}",
    ]
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Lead.upsert("HubSpot_Id__c/7", {"Title": "x"})
    assert sf.Lead.upsert(f"Id/{a}", {"Title": "via id"}) == 200
    assert sf.Lead.get(a)["Title"] == "via id"


def test_updated_and_deleted_windows(sf, sandbox: Sandbox) -> None:  # noqa: ANN001
    start = sandbox.clock.now()
    a = sf.Lead.create(LEAD)["id"]
    sandbox.clock.advance(600)
    b = sf.Lead.create(LEAD)["id"]
    sandbox.clock.advance(600)
    sf.Lead.delete(a)
    sandbox.clock.advance(120)
    end = sandbox.clock.now()
    upd = sf.Lead.updated(start, end)
    assert upd == {"ids": [b], "latestDateCovered": "2026-01-05T09:22:00.000+0000"}
    assert sf.Lead.updated(start, start + timedelta(minutes=5))["ids"] == []
    dele = sf.Lead.deleted(start, end)
    assert dele["deletedRecords"] == [{"id": a, "deletedDate": "2026-01-05T09:20:00.000+0000"}]
    assert dele["earliestDateAvailable"] <= "2026-01-05T09:00:00.000+0000"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.updated(end - timedelta(days=31), end)
    assert info.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    with pytest.raises(SalesforceMalformedRequest):
        sf.Lead.deleted(end - timedelta(days=16), end)
    with pytest.raises(SalesforceMalformedRequest):
        sf.Lead.updated(end, start)
    with pytest.raises(SalesforceMalformedRequest):  # naive datetimes: the client sends "...:00:" junk
        sf.Lead.updated(start.replace(tzinfo=None), end.replace(tzinfo=None))
    # after 15 days in the recycle bin the record is purged from the deleted window
    sandbox.clock.advance(16 * 86400)
    later = sandbox.clock.now()
    dele = sf.Lead.deleted(later - timedelta(days=14), later)
    assert dele["deletedRecords"] == [] and dele["earliestDateAvailable"] > "2026-01-05T09:20:00.000+0000"


def test_validation_and_duplicate_rules_and_field_permissions(sf, live) -> None:  # noqa: ANN001
    base = live.salesforce_url
    assert (
        control(
            base,
            "validation-rules",
            {
                "object": "Lead",
                "name": "TitleNotX",
                "field": "Title",
                "condition": {"field": "Title", "op": "equals", "value": "x"},
                "message": "Title may not be x",
            },
        ).status_code
        == 201
    )
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.create({**LEAD, "Title": "x"})
    assert info.value.content == [
        {"message": "Title may not be x", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": []}
    ]
    assert (
        control(
            base, "duplicate-rules", {"object": "Lead", "fields": ["Email"], "action": "block"}
        ).status_code
        == 201
    )
    first = sf.Lead.create(LEAD)["id"]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.create({**LEAD, "Email": "ADA@example.com"})
    assert info.value.content[0]["errorCode"] == "DUPLICATES_DETECTED"
    assert info.value.content[0]["message"] == "Use one of these records?"
    assert (
        info.value.content[0]["duplicateResut"]["matchResults"][0]["matchRecords"][0]["record"]["Id"] == first
    )
    assert (
        control(
            base, "field-permissions", {"object": "Lead", "field": "Title", "editable": False}
        ).status_code
        == 200
    )
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.update(first, {"Title": "Boss"})
    assert info.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert info.value.content[0]["fields"] == ["Title"]
    # describe is evaluated for the session's user: field-level read-only shows there too
    title = {f["name"]: f for f in sf.Lead.describe()["fields"]}["Title"]
    assert (title["createable"], title["updateable"]) == (False, False)
    assert control(
        base, "field-permissions", {"object": "Lead", "field": "Title", "editable": True}
    ).status_code == 200
    title = {f["name"]: f for f in sf.Lead.describe()["fields"]}["Title"]
    assert (title["createable"], title["updateable"]) == (True, True)
    sf.Lead.update(first, {"Title": "Boss"})


def test_lead_conversion_and_merge(sf, live) -> None:  # noqa: ANN001
    base = live.salesforce_url
    lead = sf.Lead.create({**LEAD, "Phone": "555", "Title": "Analyst"})["id"]
    result = control(base, "convert-lead", {"leadId": lead}).json()
    assert result["success"] is True and result["leadId"] == lead
    converted = sf.Lead.get(lead)
    assert converted["IsConverted"] is True and converted["Status"] == "Closed - Converted"
    assert (
        converted["ConvertedContactId"] == result["contactId"] and converted["ConvertedDate"] == "2026-01-05"
    )
    contact = sf.Contact.get(result["contactId"])
    assert (contact["Email"], contact["Phone"], contact["Title"], contact["AccountId"]) == (
        "ada@example.com",
        "555",
        "Analyst",
        result["accountId"],
    )
    assert sf.Account.get(result["accountId"])["Name"] == "Analytical Engines"
    assert sf.Opportunity.get(result["opportunityId"])["AccountId"] == result["accountId"]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.update(lead, {"Title": "again"})
    assert info.value.content == [
        {
            "message": "cannot reference converted lead",
            "errorCode": "CANNOT_UPDATE_CONVERTED_LEAD",
            "fields": [],
        }
    ]
    again = control(base, "convert-lead", {"leadId": lead})
    assert again.status_code == 400 and again.json()["success"] is False
    # conversion into an existing account and contact, without an opportunity
    lead2 = sf.Lead.create({**LEAD, "Email": "other@example.com"})["id"]
    r2 = control(
        base,
        "convert-lead",
        {
            "leadId": lead2,
            "accountId": result["accountId"],
            "contactId": result["contactId"],
            "doNotCreateOpportunity": True,
        },
    ).json()
    assert (r2["accountId"], r2["contactId"], r2["opportunityId"]) == (
        result["accountId"],
        result["contactId"],
        None,
    )
    # merge: the loser goes to the recycle bin with MasterRecordId, its children move to the master
    c2 = sf.Contact.create({"LastName": "Dup"})["id"]
    task = sf.Task.create({"WhoId": c2, "Subject": "follow up"})["id"]
    merged = control(
        base, "merge", {"object": "Contact", "masterId": result["contactId"], "duplicateIds": [c2]}
    ).json()
    assert (
        merged["success"] is True
        and merged["mergedRecordIds"] == [c2]
        and task in merged["updatedRelatedIds"]
    )
    assert sf.Task.get(task)["WhoId"] == result["contactId"]
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get(c2)
    start = sf.Contact.get(result["contactId"])["CreatedDate"]
    from datetime import datetime

    window = sf.Contact.deleted(
        datetime.fromisoformat(start.replace("+0000", "+00:00")),
        datetime.fromisoformat(start.replace("+0000", "+00:00")) + timedelta(minutes=1),
    )
    assert [d["id"] for d in window["deletedRecords"]] == [c2]
    assert live is not None


def test_owner_must_be_an_active_user(sf, sandbox: Sandbox) -> None:  # noqa: ANN001
    bob = sandbox.backend("salesforce").find("User", "Username", "bob.sales@example.com")[0]
    rid = sf.Lead.create({**LEAD, "OwnerId": bob})["id"]
    assert sf.Lead.get(rid)["OwnerId"] == bob
    assert sf.User.update(bob, {"IsActive": False}) == 204
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Lead.create({**LEAD, "OwnerId": bob})
    assert info.value.content[0]["errorCode"] == "INACTIVE_OWNER_OR_USER"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.User.delete(bob)
    assert info.value.content[0]["errorCode"] == "INVALID_TYPE_FOR_OPERATION"


def test_plus_signs_in_external_ids(sf, live) -> None:  # noqa: ANN001
    # upsert sends the value raw (a '+' stays a '+'); get_by_custom_id sends quote_plus (space -> '+')
    add_hubspot_id_field(live.salesforce_url)
    assert sf.Lead.upsert("HubSpot_Id__c/ada+x@example.com", {"LastName": "P", "Company": "Q"}) == 201
    assert (
        sf.Lead.get_by_custom_id("HubSpot_Id__c", "ada+x@example.com")["HubSpot_Id__c"] == "ada+x@example.com"
    )
    assert sf.Lead.upsert("HubSpot_Id__c/two words", {"LastName": "P", "Company": "Q"}) == 201
    assert sf.Lead.get_by_custom_id("HubSpot_Id__c", "two words")["HubSpot_Id__c"] == "two words"
