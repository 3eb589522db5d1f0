"""Bulk API 2.0 through simple-salesforce's `sf.bulk2` on the live fake, plus wire-level checks of
job states, CSV handling and errors over both transports."""

from __future__ import annotations

import csv
import io

import pytest
import requests
from simple_salesforce.exceptions import SalesforceResourceNotFound

from simulator import Sandbox

from .sf_control import SESSION_HEADERS, add_hubspot_id_field

V = "/services/data/v59.0"
JSON_H = {**SESSION_HEADERS, "Content-Type": "application/json"}
CSV_H = {**SESSION_HEADERS, "Content-Type": "text/csv; charset=UTF-8"}


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_insert_with_results(sf) -> None:  # noqa: ANN001
    records = [
        {"LastName": "Ok1", "Company": "A", "Email": "ok1@example.com"},
        {"LastName": "", "Company": "B", "Email": "bad@example.com"},
        {"LastName": "Ok3", "Company": 'C, Inc. "quoted"', "Email": ""},
    ]
    [res] = sf.bulk2.Lead.insert(records=records, wait=0)
    assert res["numberRecordsProcessed"] == 3 and res["numberRecordsFailed"] == 1
    assert res["numberRecordsTotal"] == 3 and res["job_id"].startswith("750")
    job_id = res["job_id"]
    ok_text = sf.bulk2.Lead.get_successful_records(job_id)
    assert ok_text.splitlines()[0].startswith('"sf__Id","sf__Created",')
    ok = _rows(ok_text)
    assert [r["LastName"] for r in ok] == ["Ok1", "Ok3"] and all(r["sf__Created"] == "true" for r in ok)
    lead = sf.Lead.get(ok[1]["sf__Id"])
    assert lead["Company"] == 'C, Inc. "quoted"' and lead["Email"] is None
    failed_text = sf.bulk2.Lead.get_failed_records(job_id)
    assert failed_text.splitlines()[0].startswith('"sf__Id","sf__Error",')
    [bad] = _rows(failed_text)
    assert bad["sf__Id"] == "" and bad["Email"] == "bad@example.com"
    assert bad["sf__Error"] == "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"
    assert _rows(sf.bulk2.Lead.get_unprocessed_records(job_id)) == []
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 2


def test_update_upsert_delete_and_null_marker(sf, live) -> None:  # noqa: ANN001
    add_hubspot_id_field(live.salesforce_url)
    [ins] = sf.bulk2.Lead.upsert(
        records=[
            {"HubSpot_Id__c": f"hs-{i}", "LastName": f"U{i}", "Company": "Up", "Title": "T"} for i in range(3)
        ],
        external_id_field="HubSpot_Id__c",
        wait=0,
    )
    assert ins["numberRecordsFailed"] == 0
    ids = {
        r["HubSpot_Id__c"]: r["sf__Id"] for r in _rows(sf.bulk2.Lead.get_successful_records(ins["job_id"]))
    }
    [again] = sf.bulk2.Lead.upsert(
        records=[
            {"HubSpot_Id__c": "hs-0", "LastName": "U0b"},
            {"HubSpot_Id__c": "hs-9", "LastName": "N", "Company": "New"},
        ],
        external_id_field="HubSpot_Id__c",
        wait=0,
    )
    created = {
        r["HubSpot_Id__c"]: r["sf__Created"]
        for r in _rows(sf.bulk2.Lead.get_successful_records(again["job_id"]))
    }
    assert created == {"hs-0": "false", "hs-9": "true"}
    [upd] = sf.bulk2.Lead.update(
        records=[
            {"Id": ids["hs-1"], "Title": "#N/A", "FirstName": ""},
            {"Id": "00Q000000000000EAA", "Title": "x"},
        ],
        wait=0,
    )
    assert upd["numberRecordsFailed"] == 1
    lead = sf.Lead.get(ids["hs-1"])
    assert lead["Title"] is None and lead["LastName"] == "U1"  # #N/A nulls, an empty cell leaves alone
    [failure] = _rows(sf.bulk2.Lead.get_failed_records(upd["job_id"]))
    assert failure["sf__Id"] == "00Q000000000000EAA"
    assert failure["sf__Error"] == "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--"
    [dele] = sf.bulk2.Lead.delete(records=[{"Id": ids["hs-2"]}], wait=0)
    assert dele["numberRecordsProcessed"] == 1 and dele["numberRecordsFailed"] == 0
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 3
    assert sf.query_all("SELECT Id FROM Lead WHERE IsDeleted = true", include_deleted=True)["totalSize"] == 1
    [hard] = sf.bulk2.Lead.hard_delete(records=[{"Id": ids["hs-0"]}], wait=0)
    assert hard["numberRecordsFailed"] == 0
    assert (
        sf.query_all(f"SELECT Id FROM Lead WHERE Id = '{ids['hs-0']}'", include_deleted=True)["totalSize"]
        == 0
    )


def test_query_job_pages_with_locator(sf, sandbox: Sandbox) -> None:  # noqa: ANN001
    backend = sandbox.backend("salesforce")
    acc = backend.create("Account", {"Name": "Bulk Parent"})
    for i in range(25):
        backend.create(
            "Contact", {"LastName": f"Q{i:02d}", "AccountId": acc if i % 2 else None, "Email": f"q{i}@x.io"}
        )
    pages = list(
        sf.bulk2.Contact.query(
            "SELECT Id, LastName, Account.Name, CreatedDate FROM Contact ORDER BY LastName",
            max_records=10,
            wait=0,
        )
    )
    assert len(pages) == 3
    rows = [r for page in pages for r in _rows(page)]
    assert pages[0].splitlines()[0] == '"Id","LastName","Account.Name","CreatedDate"'
    assert [r["LastName"] for r in rows] == [f"Q{i:02d}" for i in range(25)]
    assert rows[1]["Account.Name"] == "Bulk Parent" and rows[0]["Account.Name"] == ""
    assert rows[0]["CreatedDate"].endswith(".000Z")
    deleted = list(sf.bulk2.Contact.query_all("SELECT Id FROM Contact", wait=0))
    assert len(_rows(deleted[0])) == 25


def test_unknown_job_is_404(sf) -> None:  # noqa: ANN001
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.bulk2.Lead.get_successful_records("750000000000000AAA")
    assert exc.value.content[0]["errorCode"] == "NOT_FOUND"


def _create(base: str, **body: object) -> dict:
    payload = {"object": "Lead", "contentType": "CSV", "operation": "insert", **body}
    resp = requests.post(f"{base}{V}/jobs/ingest", json=payload, headers=JSON_H)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _err(resp: requests.Response, code: str, status: int = 400) -> None:
    assert resp.status_code == status, resp.text
    assert resp.json()[0]["errorCode"] == code and resp.json()[0]["message"]


def test_ingest_job_lifecycle_on_the_wire(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    job = _create(base, columnDelimiter="SEMICOLON", lineEnding="CRLF")
    assert (
        job["state"] == "Open" and job["contentUrl"] == f"services/data/v59.0/jobs/ingest/{job['id']}/batches"
    )
    url = f"{base}{V}/jobs/ingest/{job['id']}"
    data = 'Company;LastName\r\n"Semi;colon";One\r\nPlain;Two\r\n'
    assert requests.put(f"{url}/batches", data=data.encode(), headers=CSV_H).status_code == 201
    _err(requests.put(f"{url}/batches", data=data.encode(), headers=CSV_H), "INVALIDJOBSTATE", 409)
    closed = requests.patch(url, json={"state": "UploadComplete"}, headers=JSON_H)
    assert closed.status_code == 200 and closed.json()["state"] == "UploadComplete"
    info = requests.get(url, headers=SESSION_HEADERS).json()
    assert (
        info["state"] == "JobComplete"
        and info["numberRecordsProcessed"] == 2
        and info["jobType"] == "V2Ingest"
    )
    ok = requests.get(f"{url}/successfulResults", headers=SESSION_HEADERS)
    assert ok.headers["Content-Type"].startswith("text/csv")
    assert ok.text.splitlines()[0] == '"sf__Id";"sf__Created";Company;LastName'
    assert '"Semi;colon"' in ok.text and ok.text.endswith("\r\n")
    _err(requests.patch(url, json={"state": "Aborted"}, headers=JSON_H), "INVALIDJOBSTATE")
    _err(requests.patch(url, json={"state": "UploadComplete"}, headers=JSON_H), "INVALIDJOBSTATE")
    listed = requests.get(f"{base}{V}/jobs/ingest/", headers=SESSION_HEADERS).json()
    assert listed["done"] is True and [j["id"] for j in listed["records"]] == [job["id"]]
    assert requests.delete(url, headers=SESSION_HEADERS).status_code == 204
    _err(requests.get(url, headers=SESSION_HEADERS), "NOT_FOUND", 404)


def test_abort_leaves_rows_unprocessed_and_header_failures_fail_the_job(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    job = _create(base)
    url = f"{base}{V}/jobs/ingest/{job['id']}"
    requests.put(f"{url}/batches", data=b"LastName,Company\nA,B\n", headers=CSV_H)
    aborted = requests.patch(url, json={"state": "Aborted"}, headers=JSON_H)
    assert aborted.json()["state"] == "Aborted"
    for spelling in ("unprocessedrecords", "unprocessedRecords"):
        assert (
            requests.get(f"{url}/{spelling}", headers=SESSION_HEADERS).text
            == "LastName,Company\n" + '"A","B"\n'
        )
    _err(
        requests.delete(f"{base}{V}/jobs/ingest/{_create(base)['id']}", headers=SESSION_HEADERS),
        "INVALIDJOBSTATE",
    )
    bad = _create(base)
    burl = f"{base}{V}/jobs/ingest/{bad['id']}"
    requests.put(f"{burl}/batches", data=b"LastName,Nope__c\nA,B\n", headers=CSV_H)
    requests.patch(burl, json={"state": "UploadComplete"}, headers=JSON_H)
    info = requests.get(burl, headers=SESSION_HEADERS).json()
    assert info["state"] == "Failed" and "Nope__c" in info["errorMessage"]
    lf = _create(base)
    _err(
        requests.put(f"{base}{V}/jobs/ingest/{lf['id']}/batches", data=b"LastName\r\nA\r\n", headers=CSV_H),
        "INVALIDBATCH",
    )
    _err(
        requests.put(f"{base}{V}/jobs/ingest/{lf['id']}/batches", data=b'LastName\n"open', headers=CSV_H),
        "INVALIDBATCH",
    )
    _err(requests.put(f"{base}{V}/jobs/ingest/{lf['id']}/batches", data=b"", headers=CSV_H), "INVALIDBATCH")


def test_create_job_errors(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    post = lambda body: requests.post(f"{base}{V}/jobs/ingest", json=body, headers=JSON_H)  # noqa: E731
    _err(post({"object": "Lead", "operation": "merge"}), "INVALIDJOB")
    _err(post({"object": "Nope", "operation": "insert"}), "INVALIDENTITY")
    _err(post({"object": "Lead", "operation": "upsert"}), "INVALIDJOB")
    _err(post({"object": "Lead", "operation": "upsert", "externalIdFieldName": "LastName"}), "INVALIDJOB")
    _err(post({"object": "Lead", "operation": "insert", "columnDelimiter": "STAR"}), "INVALIDJOB")
    _err(requests.post(f"{base}{V}/jobs/ingest", data="{x", headers=JSON_H), "JSON_PARSER_ERROR")
    q = lambda body: requests.post(f"{base}{V}/jobs/query", json=body, headers=JSON_H)  # noqa: E731
    _err(q({"operation": "query", "query": "SELECT Nope FROM Lead"}), "INVALID_FIELD")
    _err(q({"operation": "query", "query": "SELECT COUNT() FROM Lead"}), "API_ERROR")
    _err(q({"operation": "query"}), "INVALIDJOB")
    _err(q({"operation": "update", "query": "SELECT Id FROM Lead"}), "INVALIDJOB")


def test_query_job_on_the_wire(api, sandbox: Sandbox) -> None:  # noqa: ANN001
    backend = sandbox.backend("salesforce")
    for i in range(5):
        backend.create("Lead", {"LastName": f"R{i}", "Company": "Wire", "DoNotCall": i == 0})
    base = api.salesforce_url
    created = requests.post(
        f"{base}{V}/jobs/query",
        json={"operation": "query", "query": "SELECT LastName, DoNotCall FROM Lead ORDER BY LastName"},
        headers=JSON_H,
    ).json()
    assert created["state"] == "UploadComplete" and created["id"].startswith("750")
    url = f"{base}{V}/jobs/query/{created['id']}"
    info = requests.get(url, headers=SESSION_HEADERS).json()
    assert (
        info["state"] == "JobComplete"
        and info["numberRecordsProcessed"] == 5
        and info["jobType"] == "V2Query"
    )
    page = requests.get(f"{url}/results", params={"maxRecords": 2}, headers=SESSION_HEADERS)
    assert page.headers["Sforce-NumberOfRecords"] == "2" and page.headers["Sforce-Locator"] != "null"
    assert page.text == '"LastName","DoNotCall"\n"R0","true"\n"R1","false"\n'
    last = requests.get(
        f"{url}/results",
        params={"maxRecords": 10, "locator": page.headers["Sforce-Locator"]},
        headers=SESSION_HEADERS,
    )
    assert last.headers["Sforce-NumberOfRecords"] == "3" and last.headers["Sforce-Locator"] == "null"
    _err(requests.get(f"{url}/results", params={"locator": "!!"}, headers=SESSION_HEADERS), "INVALIDLOCATOR")
    _err(
        requests.get(f"{url}/results", params={"maxRecords": "0"}, headers=SESSION_HEADERS),
        "INVALIDPARAMETER",
    )
    _err(requests.patch(url, json={"state": "Aborted"}, headers=JSON_H), "INVALIDJOBSTATE")
    assert [
        j["id"] for j in requests.get(f"{base}{V}/jobs/query", headers=SESSION_HEADERS).json()["records"]
    ] == [created["id"]]
    assert requests.delete(url, headers=SESSION_HEADERS).status_code == 204
    _err(requests.get(f"{url}/results", headers=SESSION_HEADERS), "NOT_FOUND", 404)


def test_upsert_keyed_on_an_id_lookup_field(sf) -> None:  # noqa: ANN001
    """Bulk 2.0 and composite upserts accept a standard idLookup field (Lead.Email) as the key."""
    sf.Lead.create({"LastName": "Old", "Company": "C", "Email": "keep@example.com"})
    [res] = sf.bulk2.Lead.upsert(
        records=[
            {"Email": "keep@example.com", "LastName": "Updated", "Company": "C"},
            {"Email": "new@example.com", "LastName": "New", "Company": "C"},
        ],
        external_id_field="Email",
        wait=0,
    )
    assert (res["numberRecordsProcessed"], res["numberRecordsFailed"]) == (2, 0)
    created = {r["Email"]: r["sf__Created"] for r in _rows(sf.bulk2.Lead.get_successful_records(res["job_id"]))}
    assert created == {"keep@example.com": "false", "new@example.com": "true"}
    out = sf.restful(
        "composite/sobjects/Lead/Email",
        method="PATCH",
        json={"records": [{"attributes": {"type": "Lead"}, "Email": "new@example.com", "Title": "T"}]},
    )
    assert out[0]["success"] is True and out[0]["created"] is False
    assert sf.Lead.get_by_custom_id("Email", "new@example.com")["Title"] == "T"
