"""What a company sync engine asks of Salesforce's Account, driven with simple-salesforce
unmodified: create/update/read with the standard fields the default company mappings use, a lost
create found again by Name and CreatedDate (ERR-7), a contact moved between accounts seen through
SystemModstamp, and a deleted account seen through queryAll with IsDeleted (DEL-1)."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

FIELDS = "Id, Name, Website, Phone, BillingStreet, BillingCity, BillingState, BillingPostalCode, BillingCountry, Industry, NumberOfEmployees, AnnualRevenue, Description, OwnerId"


@pytest.mark.catalog("CMP-1")
def test_account_with_the_default_company_mapping_fields(sf: Any) -> None:
    body = {
        "Name": "Acme",
        "Website": "https://acme.example",
        "Phone": "+1 555 0100",
        "BillingStreet": "1 Main St",
        "BillingCity": "Springfield",
        "BillingState": "IL",
        "BillingPostalCode": "62701",
        "BillingCountry": "USA",
        "Industry": "Technology",
        "NumberOfEmployees": 250,
        "AnnualRevenue": 1000000,
        "Description": "Rockets",
    }
    acc = sf.Account.create(body)["id"]
    assert acc.startswith("001")
    sf.Account.update(acc, {"Phone": "+1 555 0199", "Description": None})
    row = sf.query(f"SELECT {FIELDS} FROM Account WHERE Id = '{acc}'")["records"][0]
    assert row["Phone"] == "+1 555 0199" and row["Description"] is None
    assert (row["NumberOfEmployees"], row["AnnualRevenue"], row["BillingCity"]) == (
        250,
        1000000.0,
        "Springfield",
    )
    assert row["OwnerId"].startswith("005")  # Account defaults to the running user (OWN-6)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Account.update(acc, {"NumberOfEmployees": "many"})
    err = exc.value.content[0]  # the REST deserialiser (Jackson) refuses a text for an int field
    assert err["errorCode"] == "JSON_PARSER_ERROR" and "Cannot deserialize instance of int" in err["message"]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Account.create({"Phone": "+1 555 0100"})
    assert exc.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


@pytest.mark.catalog("ERR-7")
def test_a_created_account_is_found_again_by_name_and_created_date(sf: Any) -> None:
    before = sf.query("SELECT CreatedDate FROM Account ORDER BY CreatedDate DESC LIMIT 1")["records"]
    acc = sf.Account.create({"Name": "Globex"})["id"]
    since = before[0]["CreatedDate"].replace("+0000", "Z") if before else "2000-01-01T00:00:00Z"
    rows = sf.query(
        f"SELECT Id, Name FROM Account WHERE CreatedDate >= {since} AND Name IN ('Globex') ORDER BY CreatedDate, Id"
    )
    assert [r["Id"] for r in rows["records"]] == [acc]


@pytest.mark.catalog("CMP-2")
def test_a_contact_moved_between_accounts(sf: Any) -> None:
    acme, initech = sf.Account.create({"Name": "Acme"})["id"], sf.Account.create({"Name": "Initech"})["id"]
    bob = sf.Contact.create({"LastName": "Babbage", "Email": "bob@acme.example", "AccountId": acme})["id"]
    stamp = sf.Contact.get(bob)["SystemModstamp"]
    sf.Contact.update(bob, {"AccountId": initech})
    got = sf.Contact.get(bob)
    assert got["AccountId"] == initech and got["SystemModstamp"] >= stamp
    rows = sf.query(
        f"SELECT Id, AccountId, Account.Name FROM Contact WHERE AccountId IN ('{acme}', '{initech}')"
    )["records"]
    assert [(r["Id"], r["Account"]["Name"]) for r in rows] == [(bob, "Initech")]


@pytest.mark.catalog("DEL-1")
def test_a_deleted_account_shows_in_query_all_only(sf: Any) -> None:
    acc = sf.Account.create({"Name": "Doomed"})["id"]
    sf.Account.delete(acc)
    assert sf.query(f"SELECT Id FROM Account WHERE Id = '{acc}'")["totalSize"] == 0
    rows = sf.query_all(f"SELECT Id, IsDeleted FROM Account WHERE Id = '{acc}'", include_deleted=True)[
        "records"
    ]
    assert [(r["Id"], r["IsDeleted"]) for r in rows] == [(acc, True)]
