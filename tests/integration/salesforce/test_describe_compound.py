"""Describe as real orgs give it (issue 13): compound fields and a queue-ownable OwnerId.

Object Reference for the Salesforce Platform, "Compound Fields" / "Address Compound Fields": the
parts of an address name their compound (`compoundFieldName: "MailingAddress"`), which is itself
described as a read-only field of type `address`; a person's name parts name `Name`. Lead records
can be owned by a user or a queue, so Lead.OwnerId is described polymorphic: `referenceTo ["Group",
"User"]`, `polymorphicForeignKey: true`, `namePointing: true` (the same describe shows Contact.OwnerId
as `["User"]`)."""

from __future__ import annotations

from typing import Any


def _fields(sf: Any, obj: str) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in getattr(sf, obj).describe()["fields"]}


def test_contact_compound_fields(sf) -> None:  # noqa: ANN001
    f = _fields(sf, "Contact")
    assert f["MailingStreet"]["compoundFieldName"] == "MailingAddress"
    assert f["OtherCountry"]["compoundFieldName"] == "OtherAddress"
    mailing = f["MailingAddress"]
    assert (mailing["type"], mailing["soapType"], mailing["createable"], mailing["updateable"]) == ("address", "urn:address", False, False)
    assert {n for n, d in f.items() if d["compoundFieldName"] == "Name"} == {"FirstName", "LastName", "Salutation", "MiddleName", "Suffix"}
    assert f["Name"]["compoundFieldName"] is None and f["Email"]["compoundFieldName"] is None
    assert f["OwnerId"]["referenceTo"] == ["User"] and f["OwnerId"]["polymorphicForeignKey"] is False


def test_lead_owner_is_polymorphic_and_address_compound(sf) -> None:  # noqa: ANN001
    f = _fields(sf, "Lead")
    owner = f["OwnerId"]
    assert owner["referenceTo"] == ["Group", "User"]
    assert owner["polymorphicForeignKey"] is True and owner["namePointing"] is True
    assert f["Street"]["compoundFieldName"] == "Address" and f["Address"]["type"] == "address"
    # Writes and reads still resolve users (the fake has no queues): a lead keeps its owner.
    lead = sf.Lead.create({"LastName": "Q", "Company": "Acme"})["id"]
    assert sf.Lead.get(lead)["OwnerId"].startswith("005")
