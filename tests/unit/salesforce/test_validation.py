"""Field coercion and save-time checks of the Salesforce store, without HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from simulator import Sandbox
from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.models import SalesforceBackend
from simulator.salesforce.validation import RuleError, coerce_value


@pytest.fixture
def sf_store(sandbox: Sandbox) -> SalesforceBackend:
    return sandbox.backend("salesforce")


def _err(fn, *a, **kw) -> SalesforceError:  # noqa: ANN001
    with pytest.raises(SalesforceError) as info:
        fn(*a, **kw)
    return info.value


def test_coercion_of_json_values(sf_store: SalesforceBackend) -> None:
    lead = sf_store.object("Lead")
    f = lead.field
    assert coerce_value(lead, f("AnnualRevenue"), "1200.4") == 1200.0  # currency(18,0) rounds to its scale
    assert coerce_value(lead, f("NumberOfEmployees"), 12.0) == 12
    assert coerce_value(lead, f("DoNotCall"), "true") is True
    assert coerce_value(lead, f("DoNotCall"), None) is False  # a checkbox is never null
    assert coerce_value(lead, f("ConvertedDate"), "2024-05-01T23:00:00-02:00") == date(2024, 5, 2)
    assert coerce_value(lead, f("EmailBouncedDate"), "2024-05-01T10:00:00.000+0000") == datetime(
        2024, 5, 1, 10, tzinfo=UTC
    )
    assert coerce_value(lead, f("Title"), 42) == "42"
    assert coerce_value(lead, f("Title"), "") is None  # empty text is stored as null
    assert coerce_value(lead, f("OwnerId"), "001A0000006Vm9r") == "001A0000006Vm9rIAC"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("DoNotCall", "maybe", "JSON_PARSER_ERROR"),
        ("DoNotCall", 1, "JSON_PARSER_ERROR"),
        ("NumberOfEmployees", 1.5, "JSON_PARSER_ERROR"),
        ("NumberOfEmployees", 10**9, "NUMBER_OUTSIDE_VALID_RANGE"),
        ("AnnualRevenue", "lots", "JSON_PARSER_ERROR"),
        ("AnnualRevenue", float("nan"), "NUMBER_OUTSIDE_VALID_RANGE"),
        ("EmailBouncedDate", "2024-13-45T00:00:00Z", "JSON_PARSER_ERROR"),
        ("Title", {"a": 1}, "JSON_PARSER_ERROR"),
        ("OwnerId", "123", "MALFORMED_ID"),
    ],
)
def test_wrong_json_types_are_refused(
    sf_store: SalesforceBackend, field: str, value: object, code: str
) -> None:
    lead = sf_store.object("Lead")
    assert _err(coerce_value, lead, lead.field(field), value).error_code == code


def test_csv_wire_values(sf_store: SalesforceBackend) -> None:
    lead = sf_store.object("Lead")
    assert coerce_value(lead, lead.field("DoNotCall"), "1", wire="csv") is True
    assert coerce_value(lead, lead.field("Title"), "#N/A", wire="csv") is None
    err = _err(coerce_value, lead, lead.field("AnnualRevenue"), "abc", wire="csv")
    assert err.error_code == "INVALID_TYPE_ON_FIELD_IN_RECORD" and err.fields == ["AnnualRevenue"]


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"LastName": "x"}, "REQUIRED_FIELD_MISSING", ["Company"]),
        ({}, "REQUIRED_FIELD_MISSING", ["LastName", "Company"]),
        ({"LastName": "x" * 81, "Company": "c"}, "STRING_TOO_LONG", ["LastName"]),
        ({"LastName": "x", "Company": "c", "Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS", ["Email"]),
        (
            {"LastName": "x", "Company": "c", "Status": "Bogus"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            ["Status"],
        ),
        ({"LastName": "x", "Company": "c", "Name": "full"}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["Name"]),
        (
            {"LastName": "x", "Company": "c", "IsConverted": True},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            ["IsConverted"],
        ),
    ],
)
def test_create_errors(sf_store: SalesforceBackend, body: dict, code: str, fields: list[str]) -> None:
    err = _err(sf_store.create, "Lead", body)
    assert (err.status, err.error_code, err.fields) == (400, code, fields)
    assert sf_store.count("Lead") == 0


def test_unknown_field_message(sf_store: SalesforceBackend) -> None:
    err = _err(sf_store.create, "Lead", {"LastName": "x", "Company": "c", "Foo__c": 1})
    assert err.error_code == "INVALID_FIELD"
    assert err.message == "No such column 'Foo__c' on sobject of type Lead"


def test_unrestricted_picklist_accepts_any_value_and_defaults_apply(sf_store: SalesforceBackend) -> None:
    rid = sf_store.create("Lead", {"LastName": "x", "Company": "c", "LeadSource": "Trade Show"})
    rec = sf_store.get("Lead", rid)
    assert rec["LeadSource"] == "Trade Show"
    assert rec["Status"] == "Open - Not Contacted"
    assert rec["OwnerId"] == sf_store.integration_user_id
    assert rec["IsDeleted"] is False and rec["IsConverted"] is False


def test_validation_rule_condition_forms(sf_store: SalesforceBackend) -> None:
    sf_store.add_validation_rule(
        {
            "object": "Lead",
            "name": "NeedsEmailForWeb",
            "message": "Web leads need an email",
            "errorField": "Email",
            "condition": {
                "all": [
                    {"field": "LeadSource", "op": "equals", "value": "Web"},
                    {"field": "Email", "op": "is_blank"},
                ]
            },
        }
    )
    sf_store.create("Lead", {"LastName": "x", "Company": "c", "LeadSource": "Phone Inquiry"})
    err = _err(sf_store.create, "Lead", {"LastName": "x", "Company": "c", "LeadSource": "Web"})
    assert (err.error_code, err.message, err.fields) == (
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "Web leads need an email",
        ["Email"],
    )
    sf_store.create("Lead", {"LastName": "x", "Company": "c", "LeadSource": "Web", "Email": "a@b.co"})
    with pytest.raises(RuleError):
        sf_store.add_validation_rule({"object": "Lead", "condition": {"field": "Nope", "op": "is_blank"}})
    with pytest.raises(RuleError):
        sf_store.add_validation_rule({"object": "Lead", "condition": {"field": "Email", "op": "sounds_like"}})


def test_transaction_rolls_back_creates_updates_and_deletes(sf_store: SalesforceBackend) -> None:
    keep = sf_store.create("Lead", {"LastName": "Keep", "Company": "c", "Email": "k@x.io"})
    gone = sf_store.create("Lead", {"LastName": "Gone", "Company": "c"})
    with pytest.raises(SalesforceError), sf_store.transaction():
        sf_store.update("Lead", keep, {"Email": "changed@x.io"})
        sf_store.delete("Lead", gone)
        sf_store.create("Lead", {"LastName": "New", "Company": "c"})
        sf_store.create("Lead", {"LastName": "Bad"})  # REQUIRED_FIELD_MISSING -> everything above undone
    assert sf_store.get("Lead", keep)["Email"] == "k@x.io"
    assert sf_store.find("Lead", "Email", "k@x.io") == [keep]
    assert sf_store.find("Lead", "Email", "changed@x.io") == []
    assert sf_store.get("Lead", gone)["IsDeleted"] is False
    assert sf_store.count("Lead") == 2


def test_dump_load_round_trip(sf_store: SalesforceBackend, sandbox: Sandbox) -> None:
    sf_store.add_custom_field(
        {
            "object": "Lead",
            "name": "HubSpot_Id__c",
            "type": "string",
            "length": 255,
            "externalId": True,
            "unique": True,
        }
    )
    rid = sf_store.create(
        "Lead",
        {"LastName": "x", "Company": "c", "HubSpot_Id__c": "101", "EmailBouncedDate": "2024-05-01T10:00:00Z"},
    )
    sf_store.add_duplicate_rule({"object": "Lead", "fields": ["Email"], "action": "block"})
    data = sandbox.snapshot()
    sandbox.reset(99)
    assert sandbox.backend("salesforce").count("Lead") == 0
    sandbox.restore(data)
    restored: SalesforceBackend = sandbox.backend("salesforce")
    assert restored.get("Lead", rid) == sf_store.get("Lead", rid)
    assert restored.find("Lead", "HubSpot_Id__c", "101") == [rid]
    assert restored.duplicate_rules[0].fields == ["Email"]
    assert [r["Id"] for r in restored.source.lookup_range("Lead", "SystemModstamp")] == [rid]
