"""Wire-level checks of `/query` and `/queryAll` over both transports (`requests`, no client library)."""

from __future__ import annotations

import json

import requests

from simulator import Sandbox

from .sf_control import SESSION_HEADERS

V61 = "/services/data/v61.0"
SMALL_BATCH = {**SESSION_HEADERS, "Sforce-Query-Options": "batchSize=200"}


def _leads(sandbox: Sandbox, n: int) -> None:
    backend = sandbox.backend("salesforce")
    for i in range(n):
        backend.create("Lead", {"LastName": f"W{i:04d}", "Company": "Wire"})


def _error(resp: requests.Response, code: str, status: int = 400) -> None:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert isinstance(body, list) and body[0]["errorCode"] == code and isinstance(body[0]["message"], str)


def test_locator_keeps_the_request_version_and_pages_to_done(api, sandbox: Sandbox) -> None:  # noqa: ANN001
    _leads(sandbox, 401)
    base = api.salesforce_url
    first = requests.get(f"{base}{V61}/query", params={"q": "SELECT Id FROM Lead"}, headers=SMALL_BATCH)
    assert first.status_code == 200
    body = first.json()
    assert body["nextRecordsUrl"].startswith("/services/data/v61.0/query/01g")
    assert body["records"][0]["attributes"]["url"].startswith("/services/data/v61.0/")
    seen = [r["Id"] for r in body["records"]]
    url = body["nextRecordsUrl"]
    while url:
        page = requests.get(f"{base}{url}", headers=SMALL_BATCH).json()
        seen += [r["Id"] for r in page["records"]]
        url = page.get("nextRecordsUrl")
        assert page["done"] is (url is None)
    assert len(seen) == len(set(seen)) == 401
    # the last page released the cursor
    _error(requests.get(f"{base}{body['nextRecordsUrl']}", headers=SESSION_HEADERS), "INVALID_QUERY_LOCATOR")


def test_cursor_expires_after_15_idle_minutes(api, sandbox: Sandbox) -> None:  # noqa: ANN001
    _leads(sandbox, 250)
    base = api.salesforce_url
    q = {"q": "SELECT Id FROM Lead"}
    a = requests.get(f"{base}{V61}/query/", params=q, headers=SMALL_BATCH).json()["nextRecordsUrl"]
    b = requests.get(f"{base}{V61}/query/", params=q, headers=SMALL_BATCH).json()["nextRecordsUrl"]
    requests.post(f"{base}/_hubforce/clock/advance", json={"minutes": 10})
    assert requests.get(f"{base}{b}", headers=SMALL_BATCH).status_code == 200  # used: its 15 minutes restart
    requests.post(f"{base}/_hubforce/clock/advance", json={"minutes": 6})
    _error(requests.get(f"{base}{a}", headers=SESSION_HEADERS), "INVALID_QUERY_LOCATOR")


def test_eleventh_cursor_releases_the_oldest(api, sandbox: Sandbox) -> None:  # noqa: ANN001
    _leads(sandbox, 201)
    base = api.salesforce_url
    urls = [
        requests.get(f"{base}{V61}/query", params={"q": "SELECT Id FROM Lead"}, headers=SMALL_BATCH).json()[
            "nextRecordsUrl"
        ]
        for _ in range(11)
    ]
    _error(requests.get(f"{base}{urls[0]}", headers=SESSION_HEADERS), "INVALID_QUERY_LOCATOR")
    for url in urls[1:]:
        assert requests.get(f"{base}{url}", headers=SESSION_HEADERS).json()["done"] is True


def test_request_errors(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    _error(requests.get(f"{base}{V61}/query/", headers=SESSION_HEADERS), "MALFORMED_QUERY")
    _error(
        requests.get(f"{base}{V61}/query/", params={"q": "  "}, headers=SESSION_HEADERS), "MALFORMED_QUERY"
    )
    _error(
        requests.get(f"{base}{V61}/queryAll", params={"q": "SELECT FROM"}, headers=SESSION_HEADERS),
        "MALFORMED_QUERY",
    )
    _error(requests.get(f"{base}{V61}/query/not-a-locator", headers=SESSION_HEADERS), "INVALID_QUERY_LOCATOR")
    _error(
        requests.get(f"{base}{V61}/query/", params={"q": "SELECT Id FROM Lead"}), "INVALID_SESSION_ID", 401
    )


def test_form_encoded_query_with_escapes(api, sandbox: Sandbox) -> None:  # noqa: ANN001
    sandbox.backend("salesforce").create("Lead", {"LastName": "O'Brien", "Company": "Q&A, Inc."})
    base = api.salesforce_url
    q = "SELECT LastName, Company FROM Lead WHERE LastName = 'O\\'Brien' AND Company LIKE 'Q&A%'"
    resp = requests.get(
        f"{base}{V61}/query/?q=" + requests.utils.quote(q).replace("%20", "+"), headers=SESSION_HEADERS
    )
    assert resp.status_code == 200, resp.text
    assert [(r["LastName"], r["Company"]) for r in resp.json()["records"]] == [("O'Brien", "Q&A, Inc.")]


def test_cursors_and_bulk_jobs_survive_a_snapshot(api, sandbox: Sandbox) -> None:  # noqa: ANN001
    _leads(sandbox, 230)
    base = api.salesforce_url
    page = requests.get(
        f"{base}{V61}/query", params={"q": "SELECT LastName FROM Lead"}, headers=SMALL_BATCH
    ).json()
    job = requests.post(
        f"{base}{V61}/jobs/query",
        json={"operation": "query", "query": "SELECT Id FROM Lead"},
        headers=SESSION_HEADERS,
    ).json()
    saved = json.loads(json.dumps(sandbox.snapshot()))  # JSON all the way through
    sandbox.reset()
    _error(requests.get(f"{base}{page['nextRecordsUrl']}", headers=SESSION_HEADERS), "INVALID_QUERY_LOCATOR")
    sandbox.restore(saved)
    rest = requests.get(f"{base}{page['nextRecordsUrl']}", headers=SESSION_HEADERS).json()
    assert rest["done"] is True and len(rest["records"]) == 30
    info = requests.get(f"{base}{V61}/jobs/query/{job['id']}", headers=SESSION_HEADERS).json()
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == 230
