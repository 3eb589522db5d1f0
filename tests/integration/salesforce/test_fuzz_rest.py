"""Hypothesis fuzz of the Salesforce REST endpoints in-process: whatever the method, path, query and
body, the fake answers without a 5xx, and every 4xx is Salesforce's list of {message, errorCode}."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import Sandbox
from simulator.core.service import build_app

AUTH = {"Authorization": "Bearer sandbox-session"}


@pytest.fixture(scope="module")
def client_and_ids() -> tuple[Any, dict[str, str]]:
    sb = Sandbox(seed=99)
    sb.update_settings("salesforce", {"daily_api_requests": 10**9})
    backend = sb.backend("salesforce")
    backend.add_custom_field({"object": "Lead", "name": "Ext__c", "type": "string", "externalId": True})
    known = {
        "lead": backend.create("Lead", {"LastName": "F", "Company": "Z", "Ext__c": "e1"}),
        "account": backend.create("Account", {"Name": "A"}),
    }
    app = build_app(sb, sb.services["salesforce"])
    return app.test_client(), known


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=10), kids, max_size=3),
    max_leaves=8,
)
FIELD_NAMES = st.sampled_from(
    [
        "LastName",
        "Company",
        "Email",
        "Status",
        "AnnualRevenue",
        "NumberOfEmployees",
        "DoNotCall",
        "ConvertedDate",
        "EmailBouncedDate",
        "OwnerId",
        "Name",
        "Id",
        "IsDeleted",
        "Ext__c",
        "Foo__c",
        "attributes",
        "lastname",
        "",
    ]
)
RECORD_BODIES = st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=5)
SEGMENTS = st.sampled_from(
    [
        "Lead",
        "Account",
        "Contact",
        "User",
        "RecordType",
        "Foo",
        "lead",
        "describe",
        "updated",
        "deleted",
        "Ext__c",
        "Email",
        "Id",
        "e1",
        "{lead}",
        "{account}",
        "123",
        "00Q",
        "Owner",
        "password",
        "a+b",
        "limits",
        "a%2Fb",  # an escaped slash inside an external-id value
        "%2F",
        "",  # an empty segment: `//` in the path (core does not merge slashes)
        "e1%2F..",
    ]
) | st.text(alphabet="abcXYZ019_-.%+ /", min_size=1, max_size=20)


def _path(segs: list[str], known: dict[str, str], version: str) -> str:
    parts = [s.format(**known) for s in segs]
    return f"/services/data/{version}/" + "/".join(["sobjects", *parts])


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]),
    segs=st.lists(SEGMENTS, min_size=0, max_size=4),
    version=st.sampled_from(["v59.0", "v45.0", "v99.0", "vX", "v59.0"]),
    query=st.dictionaries(st.sampled_from(["fields", "start", "end"]), st.text(max_size=30), max_size=2),
    body=st.one_of(RECORD_BODIES, JSON_VALUES.map(json.dumps), st.binary(max_size=40), st.none()),
)
def test_rest_never_500s_and_errors_are_salesforce_lists(
    client_and_ids,
    method: str,
    segs: list[str],
    version: str,  # noqa: ANN001
    query: dict[str, str],
    body: Any,
) -> None:
    client, known = client_and_ids
    kwargs: dict[str, Any] = {"headers": AUTH, "query_string": query}
    if isinstance(body, dict):
        kwargs["json"] = body
    elif body is not None:
        kwargs["data"] = body
        kwargs["headers"] = {**AUTH, "Content-Type": "application/json"}
    resp = client.open(_path(segs, known, version), method=method, **kwargs)
    assert resp.status_code < 500, resp.get_data(as_text=True)
    # every response reports usage, including the 404/405 the core router answers itself
    assert "Sforce-Limit-Info" in resp.headers
    if resp.status_code == 300:
        assert all(isinstance(u, str) and u.startswith("/services/data/") for u in resp.get_json())
    elif resp.status_code >= 400:
        payload = resp.get_json()
        assert isinstance(payload, list) and payload, resp.get_data(as_text=True)
        assert all(isinstance(e.get("message"), str) and isinstance(e.get("errorCode"), str) for e in payload)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_logins_never_500_except_soap_faults(client_and_ids, data: bytes) -> None:  # noqa: ANN001
    client, _ = client_and_ids
    soap = client.post("/services/Soap/u/59.0", data=data, headers={"Content-Type": "text/xml"})
    assert soap.status_code in (200, 500)
    assert b"<soapenv:Fault>" in soap.data or b"<sessionId>" in soap.data  # a 500 is a SOAP fault, as real
    oauth = client.post(
        "/services/oauth2/token", data=data, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert oauth.status_code == 400 and set(oauth.get_json()) == {"error", "error_description"}
