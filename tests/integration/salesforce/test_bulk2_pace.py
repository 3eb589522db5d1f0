"""Bulk API 2.0 jobs take time on the sandbox clock (issue 13), so polling code is exercised.

Bulk API 2.0 Developer Guide, "Get Information About a Job": a job's state is Open, UploadComplete
(all data uploaded, the job is queued), InProgress (being processed), JobComplete, Failed or Aborted;
clients poll until a final state. Setting: `bulk_seconds_per_1000_rows` (0 in-process by default:
done at once; `hubforce serve` sets 2)."""

from __future__ import annotations

from typing import Any

import requests

from simulator import Sandbox

SESSION = {"Authorization": "Bearer sandbox-session"}
JSON_H = {**SESSION, "Content-Type": "application/json"}
CSV_H = {**SESSION, "Content-Type": "text/csv; charset=UTF-8"}
V = "/services/data/v59.0"


def _closed_insert(api: Any, rows: int) -> str:
    base = f"{api.salesforce_url}{V}/jobs/ingest"
    job = requests.post(base, json={"object": "Lead", "operation": "insert"}, headers=JSON_H).json()["id"]
    csv_text = "LastName,Company\n" + "".join(f"P{i},Pace\n" for i in range(rows))
    assert requests.put(f"{base}/{job}/batches", data=csv_text, headers=CSV_H).status_code == 201
    closed = requests.patch(f"{base}/{job}", json={"state": "UploadComplete"}, headers=JSON_H)
    assert closed.json()["state"] == "UploadComplete"
    return str(job)


def _state(api: Any, kind: str, job: str) -> str:
    return str(requests.get(f"{api.salesforce_url}{V}/jobs/{kind}/{job}", headers=SESSION).json()["state"])


def _leads(api: Any) -> int:
    q = requests.get(f"{api.salesforce_url}{V}/query", params={"q": "SELECT COUNT() FROM Lead"}, headers=SESSION)
    return int(q.json()["totalSize"])


def test_an_ingest_job_moves_through_its_states_and_writes_when_complete(api: Any, sandbox: Sandbox) -> None:
    sandbox.update_settings("salesforce", {"bulk_seconds_per_1000_rows": 10})
    job = _closed_insert(api, 400)  # 4 s of work
    assert _state(api, "ingest", job) == "UploadComplete"
    sandbox.clock.advance(2)
    assert _state(api, "ingest", job) == "InProgress" and _leads(api) == 0  # nothing written yet
    so_far = requests.get(f"{api.salesforce_url}{V}/jobs/ingest/{job}/successfulResults/", headers=SESSION)
    assert len(so_far.text.splitlines()) <= 1  # no row processed yet
    sandbox.clock.advance(2)
    assert _state(api, "ingest", job) == "JobComplete" and _leads(api) == 400


def test_a_paced_job_can_be_aborted_and_writes_nothing(api: Any, sandbox: Sandbox) -> None:
    sandbox.update_settings("salesforce", {"bulk_seconds_per_1000_rows": 10})
    job = _closed_insert(api, 100)
    r = requests.patch(f"{api.salesforce_url}{V}/jobs/ingest/{job}", json={"state": "Aborted"}, headers=JSON_H)
    assert r.json()["state"] == "Aborted"
    sandbox.clock.advance(60)
    assert _state(api, "ingest", job) == "Aborted" and _leads(api) == 0


def test_a_query_job_completes_on_the_clock(api: Any, sandbox: Sandbox) -> None:
    backend = sandbox.backend("salesforce")
    for i in range(3):
        backend.create("Lead", {"LastName": f"Q{i}", "Company": "C"})
    sandbox.update_settings("salesforce", {"bulk_seconds_per_1000_rows": 10})
    job = requests.post(f"{api.salesforce_url}{V}/jobs/query", json={"operation": "query", "query": "SELECT Id FROM Lead"},
                        headers=JSON_H).json()["id"]
    assert _state(api, "query", job) == "UploadComplete"
    early = requests.get(f"{api.salesforce_url}{V}/jobs/query/{job}/results", headers=SESSION)
    assert early.status_code >= 400
    sandbox.clock.advance(1)
    assert _state(api, "query", job) == "JobComplete"
    rows = requests.get(f"{api.salesforce_url}{V}/jobs/query/{job}/results", headers=SESSION).text.splitlines()
    assert len(rows) == 4  # header + 3


def test_unpaced_by_default(sandbox: Sandbox) -> None:
    assert sandbox.settings["salesforce"]["bulk_seconds_per_1000_rows"] == 0
