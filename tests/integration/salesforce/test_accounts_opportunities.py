"""Account, Opportunity, OpportunityContactRole, OpportunityStage and record types, driven through
simple-salesforce unmodified (issue 12, the Salesforce fakes).

Object Reference: Opportunity (StageName "Required. Current stage of this record. The StageName
field controls several other fields on an opportunity" - Probability, ForecastCategory, IsClosed,
IsWon), OpportunityStage (DefaultProbability, IsClosed, IsWon, SortOrder), OpportunityContactRole
(OpportunityId, ContactId, Role, IsPrimary), RecordType; record owners default to the running user."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from simulator.salesforce import catalog

from .sf_control import control


def _opp(sf: Any, **fields: Any) -> str:
    body = {"Name": "Deal", "StageName": "Prospecting", "CloseDate": "2026-06-30", **fields}
    return sf.Opportunity.create(body)["id"]


def test_account_opportunity_and_contact_roles_through_simple_salesforce(sf: Any) -> None:
    me = sf.query("SELECT Id FROM User WHERE Username = 'integration@example.com'")["records"][0]["Id"]
    acc = sf.Account.create({"Name": "Acme Corp", "Industry": "Technology"})["id"]
    con = sf.Contact.create({"LastName": "Buyer", "AccountId": acc})["id"]
    opp = _opp(sf, AccountId=acc, Amount=1000, StageName="Negotiation/Review")
    role = sf.OpportunityContactRole.create(
        {"OpportunityId": opp, "ContactId": con, "Role": "Decision Maker", "IsPrimary": True}
    )["id"]

    account = sf.Account.get(acc)
    assert account["OwnerId"] == me  # defaulted to the running user
    got = sf.Opportunity.get(opp)
    assert (got["OwnerId"], got["AccountId"], got["Probability"], got["IsClosed"], got["IsWon"]) == (
        me, acc, 90.0, False, False,
    )
    assert got["ExpectedRevenue"] == 900.0
    rows = sf.query(
        f"SELECT Id, Name, Account.Name, (SELECT ContactId, Role, IsPrimary FROM OpportunityContactRoles) "
        f"FROM Opportunity WHERE Id = '{opp}'"
    )["records"]
    assert rows[0]["Account"]["Name"] == "Acme Corp"
    roles = rows[0]["OpportunityContactRoles"]
    assert roles["totalSize"] == 1 and roles["done"] is True
    assert [(r["ContactId"], r["Role"], r["IsPrimary"]) for r in roles["records"]] == [
        (con, "Decision Maker", True)
    ]
    assert roles["records"][0]["attributes"]["url"].endswith(f"/OpportunityContactRole/{role}")

    sf.Opportunity.update(opp, {"StageName": "Closed Won"})
    won = sf.Opportunity.get(opp)
    assert (won["IsClosed"], won["IsWon"], won["Probability"], won["ForecastCategoryName"]) == (
        True, True, 100.0, "Closed",
    )
    # deleting the opportunity takes its contact roles with it
    sf.Opportunity.delete(opp)
    left = sf.query_all(
        f"SELECT Id, IsDeleted FROM OpportunityContactRole WHERE Id = '{role}'", include_deleted=True
    )["records"]
    assert left[0]["IsDeleted"] is True


def test_an_explicit_probability_wins_over_the_stage_default(sf: Any) -> None:
    opp = _opp(sf, StageName="Qualification", Probability=33)
    assert sf.Opportunity.get(opp)["Probability"] == 33.0
    sf.Opportunity.update(opp, {"StageName": "Value Proposition"})
    assert sf.Opportunity.get(opp)["Probability"] == 50.0  # a stage change brings its default back


def test_required_fields_and_the_restricted_stage_picklist(sf: Any) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Opportunity.create({"Name": "No stage", "CloseDate": "2026-01-01"})
    assert info.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert "StageName" in info.value.content[0]["fields"]
    with pytest.raises(SalesforceMalformedRequest) as info:
        _opp(sf, StageName="Almost Won")
    assert info.value.content == [
        {
            "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "message": "Stage: bad value for restricted picklist field: Almost Won",
            "fields": ["StageName"],
        }
    ]


def test_a_record_always_has_an_owner(sf: Any) -> None:
    acc = sf.Account.create({"Name": "Owned"})["id"]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Account.update(acc, {"OwnerId": None})
    assert info.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert info.value.content[0]["fields"] == ["OwnerId"]
    bob = sf.query("SELECT Id FROM User WHERE Username = 'bob.sales@example.com'")["records"][0]["Id"]
    opp = _opp(sf, AccountId=acc, OwnerId=bob)
    assert sf.Opportunity.get(opp)["OwnerId"] == bob
    with pytest.raises(SalesforceMalformedRequest) as info:
        _opp(sf, OwnerId=acc)  # an account id is not a user
    assert info.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_opportunity_stages_are_queryable_setup_data(sf: Any) -> None:
    rows = sf.query(
        "SELECT MasterLabel, IsClosed, IsWon, DefaultProbability, ForecastCategoryName "
        "FROM OpportunityStage WHERE IsActive = true ORDER BY SortOrder"
    )["records"]
    got = {r["MasterLabel"]: (r["DefaultProbability"], r["ForecastCategoryName"], r["IsClosed"], r["IsWon"])
           for r in rows}
    assert list(got) == list(catalog.OPPORTUNITY_STAGES)
    assert got == {k: (float(p), f, c, w) for k, (p, f, c, w) in catalog.OPPORTUNITY_STAGES.items()}
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.OpportunityStage.create({"MasterLabel": "Mine"})
    assert info.value.content[0]["errorCode"] == "INVALID_TYPE_FOR_OPERATION"


def test_record_types_each_with_their_stages(sf: Any, live: Any) -> None:
    base = live.salesforce_url
    assert "RecordTypeId" not in {f["name"] for f in sf.Opportunity.describe()["fields"]}
    new = control(base, "record-types", {"object": "Opportunity", "developerName": "New_Business",
                                         "stages": ["Prospecting", "Qualification", "Closed Won", "Closed Lost"],
                                         "default": True})
    assert new.status_code == 201, new.text
    renewal = control(base, "record-types", {"object": "Opportunity", "developerName": "Renewal",
                                             "name": "Renewal", "stages": ["Negotiation/Review", "Closed Won"]})
    acc_type = control(base, "record-types", {"object": "Account", "developerName": "Partner"})
    new_id, renewal_id, acc_type_id = new.json()["id"], renewal.json()["id"], acc_type.json()["id"]

    describe = sf.Opportunity.describe()
    assert "RecordTypeId" in {f["name"] for f in describe["fields"]}
    infos = {i["developerName"]: i for i in describe["recordTypeInfos"]}
    assert set(infos) == {"New_Business", "Renewal", "Master"}
    assert infos["New_Business"]["defaultRecordTypeMapping"] is True and infos["Master"]["master"] is True

    plain = _opp(sf)  # no record type named: the default one
    assert sf.Opportunity.get(plain)["RecordTypeId"] == new_id
    with pytest.raises(SalesforceMalformedRequest) as info:
        _opp(sf, RecordTypeId=renewal_id, StageName="Prospecting")
    assert info.value.content == [
        {
            "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "message": "Stage: bad value for restricted picklist field: Prospecting",
            "fields": ["StageName"],
        }
    ]
    ok = _opp(sf, RecordTypeId=renewal_id, StageName="Negotiation/Review")
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Opportunity.update(plain, {"StageName": "Negotiation/Review"})  # not in New_Business
    assert info.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    with pytest.raises(SalesforceMalformedRequest) as info:
        _opp(sf, RecordTypeId=acc_type_id)  # an Account record type on an Opportunity
    assert info.value.content[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert info.value.content[0]["fields"] == ["RecordTypeId"]
    rows = sf.query(
        "SELECT Id, RecordType.DeveloperName FROM Opportunity WHERE RecordType.DeveloperName = 'Renewal'"
    )["records"]
    assert [(r["Id"], r["RecordType"]["DeveloperName"]) for r in rows] == [(ok, "Renewal")]
    types = sf.query("SELECT DeveloperName, SobjectType FROM RecordType ORDER BY DeveloperName")["records"]
    assert [(t["DeveloperName"], t["SobjectType"]) for t in types] == [
        ("New_Business", "Opportunity"), ("Partner", "Account"), ("Renewal", "Opportunity")
    ]


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"object": "Lead", "developerName": "X", "stages": ["Prospecting"]}, "stages belong to Opportunity"),
        ({"object": "Opportunity", "developerName": "X", "stages": ["Nope"]}, "unknown stage 'Nope'"),
        ({"object": "Opportunity", "developerName": "X", "stages": []}, "non-empty list"),
        ({"object": "Widget__c", "developerName": "X"}, "object must be one of"),
        ({"object": "Opportunity", "developerName": "1 bad"}, "developerName must be an API name"),
        ({"object": "Opportunity", "developerName": "X", "default": "yes"}, "true or false"),
    ],
)
def test_bad_record_type_definitions_write_nothing(live: Any, sf: Any, body: dict[str, Any], fragment: str) -> None:
    r = control(live.salesforce_url, "record-types", body)
    assert r.status_code == 400 and fragment in r.text, r.text
    assert sf.query("SELECT COUNT() FROM RecordType")["totalSize"] == 0
    assert "RecordTypeId" not in {f["name"] for f in sf.Opportunity.describe()["fields"]}


def test_duplicate_record_type_name_is_refused(live: Any) -> None:
    body = {"object": "Opportunity", "developerName": "Renewal"}
    assert control(live.salesforce_url, "record-types", body).status_code == 201
    again = control(live.salesforce_url, "record-types", body)
    assert again.status_code == 400 and "already has a record type named Renewal" in again.text


def test_composite_collections_create_accounts_and_opportunities_together(sf: Any) -> None:
    acc = sf.Account.create({"Name": "Parent"})["id"]
    records = [
        {"attributes": {"type": "Account"}, "Name": "Second"},
        {"attributes": {"type": "Opportunity"}, "Name": "D1", "StageName": "Prospecting",
         "CloseDate": "2026-03-31", "AccountId": acc},
        {"attributes": {"type": "Opportunity"}, "Name": "D2", "StageName": "Nope", "CloseDate": "2026-03-31"},
    ]
    res = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert [r["success"] for r in res] == [True, True, False]
    assert res[2]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert sf.Opportunity.get(res[1]["id"])["AccountId"] == acc


def test_record_types_survive_a_snapshot(sandbox: Any) -> None:
    backend = sandbox.backend("salesforce")
    rt = backend.record_types.add(backend, {"object": "Opportunity", "developerName": "Renewal",
                                            "stages": ["Closed Won"]})
    opp = backend.create("Opportunity", {"Name": "R", "StageName": "Closed Won", "CloseDate": "2026-01-01"})
    data = backend.dump()
    backend.load(data)
    assert backend.get("Opportunity", opp)["RecordTypeId"] == rt.id
    assert backend.count("OpportunityStage") == len(catalog.OPPORTUNITY_STAGES)
    with pytest.raises(Exception, match="bad value for restricted picklist field: Prospecting"):
        backend.update("Opportunity", opp, {"StageName": "Prospecting"})
