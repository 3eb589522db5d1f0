"""The Salesforce control API: custom fields, rules, permissions, seeding, sessions, usage, and the
validation of their own input (clear 400s, never a 500)."""

from __future__ import annotations

import pytest
import requests

from .sf_control import SESSION_HEADERS, control

V = "/services/data/v59.0"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("fields", {"object": "Nope", "name": "A__c", "type": "string"}),
        ("fields", {"object": "Lead", "name": "NoSuffix", "type": "string"}),
        ("fields", {"object": "Lead", "name": "A__c", "type": "hologram"}),
        ("fields", {"object": "Lead", "name": "A__c", "type": "checkbox", "externalId": True}),
        ("fields", {"object": "Lead", "name": "A__c", "type": "string", "length": -1}),
        ("fields", {"object": "Lead", "name": "A__c", "type": "reference"}),
        ("fields", {"object": "Lead", "name": "F__c", "type": "formula"}),
        ("fields", {"object": "Lead", "name": "F__c", "type": "formula", "formula": ["x"]}),
        ("fields", {"object": "Lead", "name": "F__c", "type": "formula", "formula": "1", "returnType": "blob"}),
        ("fields", {"object": "Lead", "name": "F__c", "type": "formula", "formula": "1", "blankAsZero": "y"}),
        ("fields", {"object": "Lead", "name": "Email", "type": "formula", "formula": "1"}),
        (
            "validation-rules",
            {"object": "Lead", "condition": {"field": "Email", "op": "equals", "value": {"x": 1}}},
        ),
        ("validation-rules", {"object": "Lead", "condition": {"all": []}}),
        ("validation-rules", ["not", "an", "object"]),
        ("duplicate-rules", {"object": "Lead", "fields": []}),
        ("duplicate-rules", {"object": "Lead", "fields": ["Email"], "action": "shout"}),
        ("field-permissions", {"object": "Lead", "field": "Nope", "editable": False}),
        ("field-permissions", {"object": "Lead", "field": "Title", "editable": "no"}),
        ("convert-lead", {}),
        ("merge", {"object": "Lead"}),
        ("sessions/expire", {"session": 5}),
        ("api-usage", {"used": -3}),
        ("records", {"object": "Lead", "records": "x"}),
    ],
)
def test_bad_control_input_is_a_400(api, path: str, body: object) -> None:  # noqa: ANN001
    resp = control(api.salesforce_url, path, body)
    assert resp.status_code == 400, resp.text
    assert isinstance(resp.json()["error"], str)


def test_custom_field_types_round_trip(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    specs = [
        {"object": "Contact", "name": "Score__c", "type": "number", "precision": 5, "scale": 1},
        {"object": "Contact", "name": "Vip__c", "type": "checkbox"},
        {"object": "Contact", "name": "Since__c", "type": "date"},
        {"object": "Contact", "name": "Seen__c", "type": "datetime"},
        {
            "object": "Contact",
            "name": "Tier__c",
            "type": "picklist",
            "picklistValues": ["Gold", "Silver"],
            "restricted": True,
        },
        {"object": "Contact", "name": "Nick__c", "type": "text", "length": 5},
    ]
    for spec in specs:
        assert control(base, "fields", spec).status_code == 201
    body = {
        "LastName": "c",
        "Score__c": 12.34,
        "Since__c": "2024-02-29",
        "Seen__c": "2024-05-01T12:00:00+02:00",
        "Tier__c": "Gold",
    }
    rid = requests.post(f"{base}{V}/sobjects/Contact", json=body, headers=SESSION_HEADERS).json()["id"]
    rec = requests.get(f"{base}{V}/sobjects/Contact/{rid}", headers=SESSION_HEADERS).json()
    assert (rec["Score__c"], rec["Vip__c"], rec["Since__c"], rec["Seen__c"], rec["Tier__c"]) == (
        12.3,
        False,
        "2024-02-29",
        "2024-05-01T10:00:00.000+0000",
        "Gold",
    )
    for bad, code in (
        ({"Tier__c": "Bronze"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"),
        ({"Nick__c": "toolong"}, "STRING_TOO_LONG"),
        ({"Score__c": 123456}, "NUMBER_OUTSIDE_VALID_RANGE"),
    ):
        resp = requests.patch(f"{base}{V}/sobjects/Contact/{rid}", json=bad, headers=SESSION_HEADERS)
        assert resp.status_code == 400 and resp.json()[0]["errorCode"] == code


def test_seed_records_lists_and_clears_rules(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    seeded = control(
        base,
        "records",
        {"object": "Lead", "records": [{"LastName": f"L{i}", "Company": "C"} for i in range(3)]},
    )
    assert seeded.status_code == 201 and len(seeded.json()["ids"]) == 3
    failed = control(
        base,
        "records",
        {"object": "Lead", "records": [{"LastName": "ok", "Company": "C"}, {"LastName": "no company"}]},
    )
    assert failed.status_code == 400 and "REQUIRED_FIELD_MISSING" in failed.json()["error"]
    usage = control(base, "api-usage", method="GET").json()
    assert usage["used"] == 0  # seeding does not count against the API limit
    control(
        base,
        "validation-rules",
        {"object": "Lead", "name": "R", "condition": {"field": "Title", "op": "is_not_blank"}},
    )
    assert [r["name"] for r in control(base, "validation-rules", method="GET").json()["rules"]] == ["R"]
    assert control(base, "validation-rules", method="DELETE").status_code == 204
    assert control(base, "validation-rules", method="GET").json()["rules"] == []
    control(base, "duplicate-rules", {"object": "Lead", "fields": ["Email"], "action": "alert"})
    ok = {"LastName": "x", "Company": "c", "Email": "d@x.io"}
    assert requests.post(f"{base}{V}/sobjects/Lead", json=ok, headers=SESSION_HEADERS).status_code == 201
    assert (
        requests.post(f"{base}{V}/sobjects/Lead", json=ok, headers=SESSION_HEADERS).json()[0]["errorCode"]
        == "DUPLICATES_DETECTED"
    )
    allow = {**SESSION_HEADERS, "Sforce-Duplicate-Rule-Header": "allowSave=true"}
    assert (
        requests.post(f"{base}{V}/sobjects/Lead", json=ok, headers=allow).status_code == 201
    )  # alert rules can be overridden


def test_convert_and_merge_failures(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    bad_id = control(base, "convert-lead", {"leadId": "123"})
    assert bad_id.status_code == 400 and bad_id.json()["errors"][0]["statusCode"] == "MALFORMED_ID"
    lead = requests.post(
        f"{base}{V}/sobjects/Lead", json={"LastName": "x", "Company": "c"}, headers=SESSION_HEADERS
    ).json()["id"]
    status = control(base, "convert-lead", {"leadId": lead, "convertedStatus": "Working - Contacted"})
    assert status.status_code == 400 and status.json()["errors"][0]["statusCode"] == "INVALID_STATUS"
    assert (
        requests.get(f"{base}{V}/sobjects/Lead/{lead}", headers=SESSION_HEADERS).json()["IsConverted"]
        is False
    )  # rolled back
    self_merge = control(base, "merge", {"object": "Lead", "masterId": lead, "duplicateIds": [lead]})
    assert self_merge.status_code == 400 and self_merge.json()["success"] is False
    wrong_obj = control(base, "merge", {"object": "Opportunity", "masterId": lead, "duplicateIds": [lead]})
    assert wrong_obj.status_code == 400


def test_validation_rule_can_be_switched_off_and_on_by_name(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    rule = {
        "object": "Lead",
        "name": "No_CTO",
        "condition": {"field": "Title", "op": "equals", "value": "CTO"},
        "message": "No CTOs",
    }
    assert control(base, "validation-rules", rule).status_code == 201
    lead = {"LastName": "x", "Company": "c", "Title": "CTO"}
    refused = requests.post(f"{base}{V}/sobjects/Lead", json=lead, headers=SESSION_HEADERS)
    assert refused.json() == [
        {"message": "No CTOs", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": []}
    ]
    assert (
        control(base, "validation-rules", {"object": "Lead", "name": "No_CTO", "active": False}).status_code
        == 201
    )
    assert requests.post(f"{base}{V}/sobjects/Lead", json=lead, headers=SESSION_HEADERS).status_code == 201
    control(base, "validation-rules", {"object": "Lead", "name": "No_CTO", "active": True})
    assert requests.post(f"{base}{V}/sobjects/Lead", json=lead, headers=SESSION_HEADERS).status_code == 400
