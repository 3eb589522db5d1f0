"""HubSpot / Salesforce clients against `responses` mocks: auth, retries, limits, batching."""

from __future__ import annotations

import json
import re

import pytest
import requests
import responses

from sync.clients.hubspot import HubSpotClient
from sync.clients.salesforce import SalesforceClient
from sync.errors import AuthError, DailyLimitReached, SuspensionError, TransientError

HS = "https://api.hubapi.com"
SF = "https://x.my.salesforce.com"
V = f"{SF}/services/data/v59.0"


class Recorder:
    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.ledger: list[tuple[str, str, str, int]] = []

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)

    def hook(self, *row: object) -> None:
        self.ledger.append(row)  # type: ignore[arg-type]


@responses.activate
def test_hubspot_429_backoff_honours_retry_after_and_counts_every_call() -> None:
    rec = Recorder()
    url = f"{HS}/crm/v3/objects/contacts/search"
    body429 = {"status": "error", "message": "ten_secondly_rolling", "policyName": "TEN_SECONDLY_ROLLING"}
    responses.post(url, json=body429, status=429, headers={"Retry-After": "2"})
    responses.post(url, json=body429, status=429)
    responses.post(url, json={"results": [], "total": 0}, status=200)
    c = HubSpotClient(HS, token="t", sleep=rec.sleep, ledger=rec.hook)
    assert c.search("contacts", {})["total"] == 0
    assert rec.sleeps == [2.0, 2.0]  # Retry-After, then exponential backoff (base 1 * 2**1)
    assert [r[3] for r in rec.ledger] == [429, 429, 200]
    assert responses.calls[0].request.headers["Authorization"] == "Bearer t"


@responses.activate
def test_hubspot_daily_limit_stops_immediately() -> None:
    rec = Recorder()
    responses.post(
        f"{HS}/crm/v3/objects/contacts/batch/update",
        status=429,
        json={"status": "error", "message": "You have reached your daily limit.", "policyName": "DAILY"},
    )
    c = HubSpotClient(HS, token="t", sleep=rec.sleep)
    with pytest.raises(DailyLimitReached):
        c.batch_update("contacts", [{"id": "1", "properties": {}}])
    assert rec.sleeps == [] and len(responses.calls) == 1


@responses.activate
def test_hubspot_5xx_and_dropped_connection_retried_then_give_up() -> None:
    rec = Recorder()
    url = f"{HS}/crm/v3/objects/contacts/batch/read"
    responses.post(url, body=requests.ConnectionError("drop"))
    responses.post(url, status=502, body="bad gateway")
    responses.post(url, json={"results": [{"id": "1", "properties": {}}]}, status=207)
    c = HubSpotClient(HS, token="t", sleep=rec.sleep)
    assert [r["id"] for r in c.batch_read("contacts", ["1", "2"], ["email"])] == ["1"]
    responses.replace(responses.POST, url, status=503, body="x")
    c.max_retries = 2
    with pytest.raises(TransientError):
        c.batch_read("contacts", ["1"], ["email"])


@responses.activate
def test_hubspot_batch_read_chunks_at_100() -> None:
    responses.post(f"{HS}/crm/v3/objects/contacts/batch/read", json={"results": []})
    HubSpotClient(HS, token="t").batch_read("contacts", [str(i) for i in range(250)], ["email"])
    assert [len(json.loads(c.request.body)["inputs"]) for c in responses.calls] == [100, 100, 50]


@responses.activate
def test_hubspot_oauth_refresh_on_401() -> None:
    responses.post(f"{HS}/oauth/v1/token", json={"access_token": "a1", "refresh_token": "r2"})
    responses.get(f"{HS}/crm/v3/properties/contacts", status=401, json={"category": "EXPIRED_AUTHENTICATION"})
    responses.get(f"{HS}/crm/v3/properties/contacts", json={"results": [{"name": "email"}]})
    c = HubSpotClient(HS, oauth=("id", "secret", "r1"))
    assert c.properties("contacts") == [{"name": "email"}]
    assert c.token == "a1" and c.oauth == ("id", "secret", "r2")


@responses.activate
def test_salesforce_password_login_and_relogin_on_invalid_session() -> None:
    responses.post(
        "https://login.salesforce.com/services/oauth2/token",
        json={"access_token": "tok1", "instance_url": SF, "token_type": "Bearer"},
    )
    responses.get(
        re.compile(rf"{re.escape(V)}/query/.*"),
        status=401,
        json=[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    )
    responses.get(
        re.compile(rf"{re.escape(V)}/query/.*"),
        json={"done": True, "totalSize": 1, "records": [{"Id": "00Q1"}]},
    )
    c = SalesforceClient(None, username="u", password="p", consumer_key="k", consumer_secret="s")
    assert [r["Id"] for r in c.query("SELECT Id FROM Lead")] == ["00Q1"]
    logins = [x for x in responses.calls if "oauth2" in x.request.url]
    assert len(logins) == 2 and c.instance_url == SF


@responses.activate
def test_salesforce_query_paging_and_limit_header() -> None:
    responses.get(
        re.compile(rf"{re.escape(V)}/query/\?.*"),
        headers={"Sforce-Limit-Info": "api-usage=18/15000"},
        json={
            "done": False,
            "totalSize": 3,
            "records": [{"Id": "a"}, {"Id": "b"}],
            "nextRecordsUrl": "/services/data/v59.0/query/01gX-2",
        },
    )
    responses.get(f"{V}/query/01gX-2", json={"done": True, "totalSize": 3, "records": [{"Id": "c"}]})
    c = SalesforceClient(SF, session_id="s")
    assert [r["Id"] for r in c.query("SELECT Id FROM Lead")] == ["a", "b", "c"]
    assert c.limit_info == (18, 15000)


@pytest.mark.catalog("SUS-1")
@responses.activate
def test_salesforce_request_limit_is_a_suspension() -> None:  # SUS-1
    responses.get(
        re.compile(rf"{re.escape(V)}/query/.*"),
        status=403,
        json=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    )
    with pytest.raises(SuspensionError, match="SUS-1"):
        list(SalesforceClient(SF, session_id="s").query("SELECT Id FROM Lead"))


@responses.activate
def test_salesforce_session_only_401_is_auth_error() -> None:
    responses.get(
        f"{V}/sobjects/Lead/describe", status=401, json=[{"message": "x", "errorCode": "INVALID_SESSION_ID"}]
    )
    with pytest.raises(AuthError):
        SalesforceClient(SF, session_id="bad").describe("Lead")


@responses.activate
def test_salesforce_composite_create_chunks_and_does_not_retry_timeouts() -> None:
    responses.post(f"{V}/composite/sobjects", json=[{"id": "00Q", "success": True, "errors": []}] * 200)
    c = SalesforceClient(SF, session_id="s", sleep=lambda _s: None)
    c.create_records("Lead", [{"LastName": str(i)} for i in range(250)])
    sizes = [len(json.loads(x.request.body)["records"]) for x in responses.calls]
    assert sizes == [200, 50]
    assert json.loads(responses.calls[0].request.body)["records"][0]["attributes"] == {"type": "Lead"}
    responses.replace(responses.POST, f"{V}/composite/sobjects", body=requests.ReadTimeout("slow"))
    before = len(responses.calls)
    with pytest.raises(TransientError):
        c.create_records("Lead", [{"LastName": "x"}])
    assert len(responses.calls) == before + 1  # a create is never blindly re-sent


@responses.activate
def test_salesforce_query_in_chunks_long_lists() -> None:
    responses.get(re.compile(rf"{re.escape(V)}/query/.*"), json={"done": True, "records": []})
    c = SalesforceClient(SF, session_id="s")
    emails = [f"person{i:05d}@example-domain.com" for i in range(1000)]
    list(c.query_in("SELECT Id FROM Lead WHERE Email IN ({inlist})", emails))
    assert 2 <= len(responses.calls) <= 4
    assert all(len(x.request.url) < 40_000 for x in responses.calls)


@pytest.mark.catalog("SUS-4")
@responses.activate
def test_salesforce_unknown_exception_after_retries_is_sus4() -> None:
    responses.get(
        f"{V}/sobjects/Lead/describe",
        status=500,
        json=[{"message": "An unexpected error occurred", "errorCode": "UNKNOWN_EXCEPTION"}],
    )
    c = SalesforceClient(SF, session_id="s", sleep=lambda _s: None, max_retries=2)
    with pytest.raises(SuspensionError, match="SUS-4"):
        c.describe("Lead")
    assert len(responses.calls) == 3
