"""Composite resources: sObject Collections, /composite/batch and /composite (simple-salesforce's
`sf.restful` on the live fake, plus wire-level checks over both transports)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from simple_salesforce.exceptions import SalesforceMalformedRequest

from simulator import Sandbox

from .sf_control import SESSION_HEADERS, add_hubspot_id_field

V = "/services/data/v59.0"
ROLLED_BACK = "ALL_OR_NONE_OPERATION_ROLLED_BACK"


def _lead(i: int, **extra: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Lead"}, "LastName": f"C{i}", "Company": "Comp", **extra}


def _count(sf, soql: str = "SELECT COUNT() FROM Lead") -> int:  # noqa: ANN001
    return sf.query(soql)["totalSize"]


def test_create_collection_partial_success_in_order(sf) -> None:  # noqa: ANN001
    records = [
        _lead(0),
        {"attributes": {"type": "Lead"}, "LastName": "NoCompany"},
        _lead(2),
        _lead(3, Id="00Q000000000001"),
    ]
    res = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert [r["success"] for r in res] == [True, False, True, False]
    assert res[0]["id"].startswith("00Q") and res[0]["errors"] == []
    assert "id" not in res[1]
    assert res[1]["errors"] == [
        {
            "statusCode": "REQUIRED_FIELD_MISSING",
            "message": "Required fields are missing: [Company]",
            "fields": ["Company"],
        }
    ]
    assert res[3]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert _count(sf) == 2


def test_create_collection_all_or_none_rolls_back_everything(sf) -> None:  # noqa: ANN001
    records = [
        _lead(0),
        {"attributes": {"type": "Lead"}, "Company": "X"},
        _lead(2),
        {"attributes": {"type": "Contact"}},
    ]
    res = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": records})
    codes = [r["errors"][0]["statusCode"] for r in res]
    assert codes == [ROLLED_BACK, "REQUIRED_FIELD_MISSING", ROLLED_BACK, "REQUIRED_FIELD_MISSING"]
    assert all(r["success"] is False for r in res)
    assert res[0]["errors"][0]["message"] == (
        "Record rolled back because not all records were valid and the request was using AllOrNone header"
    )
    assert _count(sf) == 0 and _count(sf, "SELECT COUNT() FROM Contact") == 0


def test_update_retrieve_and_delete_collections(sf) -> None:  # noqa: ANN001
    created = sf.restful("composite/sobjects", method="POST", json={"records": [_lead(i) for i in range(3)]})
    a, b, c = (r["id"] for r in created)
    upd = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Lead"}, "id": a, "Title": "CEO"},
                {"attributes": {"type": "Lead"}, "Title": "no id"},
                {"attributes": {"type": "Lead"}, "id": "001000000000000AAA", "Title": "wrong object"},
                {"attributes": {"type": "Lead"}, "id": b[:15], "Status": "Working - Contacted"},
            ],
        },
    )
    assert [r["success"] for r in upd] == [True, False, False, True]
    assert upd[1]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert upd[2]["errors"][0]["statusCode"] == "MALFORMED_ID" and upd[2]["id"] == "001000000000000AAA"
    assert upd[3]["id"] == b  # 15-character ids come back in the 18-character form
    got = sf.restful(f"composite/sobjects/Lead?ids={a},{b},00Q000000000000EAA&fields=Id,Title,Status")
    assert got[0]["Title"] == "CEO" and got[1]["Status"] == "Working - Contacted" and got[2] is None
    assert list(got[0]) == ["attributes", "Id", "Title", "Status"]
    posted = sf.restful("composite/sobjects/Lead", method="POST", json={"ids": [c], "fields": ["LastName"]})
    assert posted == [{"attributes": {"type": "Lead", "url": f"{V}/sobjects/Lead/{c}"}, "LastName": "C2"}]
    deleted = sf.restful(f"composite/sobjects?ids={a},{b},{a}&allOrNone=false", method="DELETE")
    assert [r["success"] for r in deleted] == [True, True, False]
    assert deleted[2] == {
        "id": a,
        "success": False,
        "errors": [{"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}],
    }
    assert sf.restful(f"composite/sobjects/Lead?ids={a}&fields=Id") == [None]
    atomic = sf.restful(f"composite/sobjects?ids={c},{a}&allOrNone=true", method="DELETE")
    assert atomic[0] == {"id": c, "success": False, "errors": [atomic[0]["errors"][0]]}
    assert atomic[0]["errors"][0]["statusCode"] == ROLLED_BACK
    assert _count(sf) == 1


def test_upsert_collection_by_external_id(sf, live) -> None:  # noqa: ANN001
    add_hubspot_id_field(live.salesforce_url)
    first = sf.restful(
        "composite/sobjects/Lead/HubSpot_Id__c",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [_lead(1, HubSpot_Id__c="hs-1"), _lead(2, HubSpot_Id__c="hs-2")],
        },
    )
    assert [(r["success"], r["created"]) for r in first] == [(True, True), (True, True)]
    again = sf.restful(
        "composite/sobjects/Lead/HubSpot_Id__c",
        method="PATCH",
        json={
            "records": [
                _lead(1, HubSpot_Id__c="hs-1", Title="Again"),
                _lead(3, HubSpot_Id__c="hs-3"),
                _lead(4),
            ]
        },
    )
    assert again[0] == {"id": first[0]["id"], "success": True, "errors": [], "created": False}
    assert again[1]["created"] is True
    assert again[2]["success"] is False and again[2]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert sf.Lead.get(first[0]["id"])["Title"] == "Again"
    with pytest.raises(Exception) as exc:
        sf.restful("composite/sobjects/Lead/LastName", method="PATCH", json={"records": [_lead(1)]})
    assert exc.value.status == 404  # type: ignore[attr-defined]


def test_request_level_errors(sf) -> None:  # noqa: ANN001
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.restful("composite/sobjects", method="POST", json={"records": [_lead(i) for i in range(201)]})
    assert exc.value.content == [
        {
            "message": "record limit reached. cannot submit more than 200 records into this call",
            "errorCode": "EXCEEDED_ID_LIMIT",
        }
    ]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.restful("composite/sobjects", method="POST", json={"records": [{"LastName": "typeless"}]})
    assert exc.value.content[0]["errorCode"] == "INVALID_TYPE"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.restful("composite/sobjects", method="POST", json={"allOrNone": "yes", "records": []})
    assert exc.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert _count(sf) == 0


def test_batch_runs_subrequests_and_counts_as_one_call(sf, sandbox: Sandbox) -> None:  # noqa: ANN001
    lead = sf.Lead.create({"LastName": "Batch", "Company": "B"})["id"]
    before = sandbox.backend("salesforce").api_usage()[0]
    res = sf.restful(
        "composite/batch",
        method="POST",
        json={
            "batchRequests": [
                {"method": "PATCH", "url": f"v59.0/sobjects/Lead/{lead}", "richInput": {"Title": "VP"}},
                {"method": "GET", "url": f"v59.0/sobjects/Lead/{lead}?fields=Title"},
                {"method": "POST", "url": "v59.0/sobjects/Lead/", "richInput": {"LastName": "NoCompany"}},
                {"method": "GET", "url": "v59.0/query/?q=SELECT+COUNT()+FROM+Lead"},
            ]
        },
    )
    assert sandbox.backend("salesforce").api_usage()[0] == before + 1
    assert res["hasErrors"] is True
    assert [r["statusCode"] for r in res["results"]] == [204, 200, 400, 200]
    assert res["results"][0]["result"] is None
    assert res["results"][1]["result"]["Title"] == "VP"
    assert res["results"][2]["result"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert res["results"][3]["result"]["totalSize"] == 1
    halted = sf.restful(
        "composite/batch",
        method="POST",
        json={
            "haltOnError": True,
            "batchRequests": [
                {"method": "GET", "url": "v59.0/sobjects/Lead/00Q000000000000EAA"},
                {"method": "DELETE", "url": f"v59.0/sobjects/Lead/{lead}"},
            ],
        },
    )
    assert [r["statusCode"] for r in halted["results"]] == [404, 412]
    assert halted["results"][1]["result"][0]["errorCode"] == "BATCH_PROCESSING_HALTED"
    assert sf.Lead.get(lead)["Id"] == lead  # the halted delete never ran


def test_composite_references_and_location(sf) -> None:  # noqa: ANN001
    res = sf.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": f"{V}/sobjects/Account",
                    "referenceId": "acc",
                    "body": {"Name": "Ref Co"},
                },
                {
                    "method": "POST",
                    "url": f"{V}/sobjects/Contact",
                    "referenceId": "con",
                    "body": {"LastName": "Ref", "AccountId": "@{acc.id}", "Description": "of @{acc.id}"},
                },
                {
                    "method": "GET",
                    "url": f"{V}/sobjects/Contact/@{{con.id}}?fields=AccountId",
                    "referenceId": "read",
                },
                {
                    "method": "GET",
                    "url": f"{V}/query?q=SELECT+Id+FROM+Account+WHERE+Id='@{{read.AccountId}}'",
                    "referenceId": "q",
                },
                {
                    "method": "PATCH",
                    "url": f"{V}/sobjects/Account/@{{q.records[0].Id}}",
                    "referenceId": "upd",
                    "body": {"Description": "seen"},
                },
            ],
        },
    )
    acc, con, read, q, upd = res["compositeResponse"]
    assert acc["httpStatusCode"] == 201 and acc["referenceId"] == "acc"
    assert acc["httpHeaders"] == {"Location": f"{V}/sobjects/Account/{acc['body']['id']}"}
    assert con["httpStatusCode"] == 201
    assert read["body"]["AccountId"] == acc["body"]["id"]
    assert q["body"]["totalSize"] == 1
    assert upd == {"body": None, "httpHeaders": {}, "httpStatusCode": 204, "referenceId": "upd"}
    contact = sf.Contact.get(con["body"]["id"])
    assert contact["Description"] == f"of {acc['body']['id']}"
    assert sf.Account.get(acc["body"]["id"])["Description"] == "seen"


def test_composite_all_or_none_failure_rolls_back(sf) -> None:  # noqa: ANN001
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": f"{V}/sobjects/Account",
                "referenceId": "acc",
                "body": {"Name": "Gone"},
            },
            {"method": "POST", "url": f"{V}/sobjects/Lead", "referenceId": "bad", "body": {"LastName": "x"}},
            {"method": "GET", "url": f"{V}/sobjects/Account/@{{acc.id}}", "referenceId": "after"},
        ],
    }
    res = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert [r["httpStatusCode"] for r in res] == [400, 400, 400]
    assert res[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert res[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert res[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert _count(sf, "SELECT COUNT() FROM Account") == 0
    # without allOrNone the account stays, and only the dependent subrequest fails on its reference
    body["allOrNone"] = False
    body["compositeRequest"][2]["url"] = f"{V}/sobjects/Lead/@{{bad.id}}"
    res = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert [r["httpStatusCode"] for r in res] == [201, 400, 400]
    assert res[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert "bad.id" in res[2]["body"][0]["message"]
    assert _count(sf, "SELECT COUNT() FROM Account") == 1


def test_composite_wire_errors(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    h = {**SESSION_HEADERS, "Content-Type": "application/json"}

    def err(resp: requests.Response, code: str, status: int = 400) -> None:
        assert resp.status_code == status, resp.text
        assert resp.json()[0]["errorCode"] == code and resp.json()[0]["message"]

    err(requests.post(f"{base}{V}/composite/sobjects", data="{nope", headers=h), "JSON_PARSER_ERROR")
    err(requests.post(f"{base}{V}/composite", data="[]", headers=h), "JSON_PARSER_ERROR")
    err(
        requests.post(f"{base}{V}/composite/batch", json={"batchRequests": "x"}, headers=h),
        "JSON_PARSER_ERROR",
    )
    many = [{"method": "GET", "url": "v59.0/limits"}] * 26
    err(
        requests.post(f"{base}{V}/composite/batch", json={"batchRequests": many}, headers=h),
        "INVALID_BATCH_REQUEST",
    )
    subs = [{"method": "GET", "url": f"{V}/limits", "referenceId": f"r{i}"} for i in range(26)]
    err(
        requests.post(f"{base}{V}/composite", json={"compositeRequest": subs}, headers=h),
        "INVALID_BATCH_REQUEST",
    )
    dup = [{"method": "GET", "url": f"{V}/limits", "referenceId": "same"}] * 2
    err(
        requests.post(f"{base}{V}/composite", json={"compositeRequest": dup}, headers=h),
        "INVALID_BATCH_REQUEST",
    )
    err(requests.delete(f"{base}{V}/composite/sobjects", headers=h), "MISSING_ARGUMENT")
    err(
        requests.get(f"{base}{V}/composite/sobjects/Lead?ids=00Q000000000000EAA", headers=h),
        "MISSING_ARGUMENT",
    )
    err(requests.get(f"{base}{V}/composite/sobjects/Lead?ids=x&fields=Id", headers=h), "MALFORMED_ID")
    err(
        requests.get(f"{base}{V}/composite/sobjects/Lead?ids=00Q000000000000EAA&fields=Nope", headers=h),
        "INVALID_FIELD",
    )
    ok = requests.post(
        f"{base}{V}/composite/sobjects/",
        json={"records": [{"attributes": {"type": "Lead"}, "LastName": "W", "Company": "C"}]},
        headers=h,
    )
    assert ok.status_code == 200 and ok.json()[0]["success"] is True
    nested = requests.post(
        f"{base}{V}/composite/batch",
        json={"batchRequests": [{"method": "POST", "url": "v59.0/composite/batch", "richInput": {}}]},
        headers=h,
    )
    assert nested.json()["results"][0]["statusCode"] == 400


def test_upsert_collection_reports_ambiguous_external_ids_per_record(sf, live) -> None:  # noqa: ANN001
    add_hubspot_id_field(live.salesforce_url, unique=False)
    for name in ("Twin1", "Twin2"):
        sf.Lead.create({"LastName": name, "Company": "T", "HubSpot_Id__c": "same"})
    res = sf.restful(
        "composite/sobjects/Lead/HubSpot_Id__c",
        method="PATCH",
        json={"records": [_lead(1, HubSpot_Id__c="same"), _lead(2, HubSpot_Id__c="other")]},
    )
    assert res[0]["success"] is False and res[0]["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"
    assert res[1]["success"] is True and res[1]["created"] is True
    batch = sf.restful(
        "composite/batch",
        method="POST",
        json={
            "batchRequests": [
                {
                    "method": "PATCH",
                    "url": "v59.0/sobjects/Lead/HubSpot_Id__c/same",
                    "richInput": {"Title": "x"},
                },
                {"method": "GET", "url": "v59.0/sobjects/Lead/HubSpot_Id__c/other%20one"},
            ]
        },
    )
    assert [r["statusCode"] for r in batch["results"]] == [300, 404]
    assert all(u.startswith("/services/data/v59.0/sobjects/Lead/") for u in batch["results"][0]["result"])
