"""Hypothesis fuzz, in-process, of the HubSpot endpoints owned by lists/associations/owners/webhooks/
oauth: whatever the method, path, query and body, no 5xx, and every 4xx is a JSON error object."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import Sandbox
from simulator.core.service import build_app

AUTH = {"Authorization": "Bearer pat-local-sandbox"}
IDS = st.sampled_from(["1", "2", "0", "-1", "abc", "99999999999999999999", "%20", "1.5"])
TYPES = st.sampled_from(["contacts", "companies", "deals", "0-1", "0-2", "0-3", "widgets", "contact", "9-9"])
WORDS = st.sampled_from(
    [
        "OR",
        "AND",
        "NOT_ANY",
        "ASSOCIATION",
        "PROPERTY",
        "IN_LIST",
        "CONSTANT",
        "STRING",
        "NUMBER",
        "BOOL",
        "ENUMERATION",
        "MULTISTRING",
        "TIME_POINT",
        "TIME_RANGED",
        "ALL_PROPERTY",
        "IS_EQUAL_TO",
        "IS_BETWEEN",
        "IS_ANY_OF",
        "IS_AFTER",
        "IS_KNOWN",
        "DATE",
        "INDEXED",
        "TODAY",
        "NOW",
        "MANUAL",
        "DYNAMIC",
        "SNAPSHOT",
        "email",
        "1",
        "0-1",
    ]
)
KEYS = st.sampled_from(
    [
        "filterBranchType",
        "filterBranchOperator",
        "filters",
        "filterBranches",
        "filterType",
        "property",
        "operation",
        "operationType",
        "operator",
        "value",
        "values",
        "lowerBound",
        "upperBound",
        "timePoint",
        "timeType",
        "year",
        "month",
        "day",
        "indexReference",
        "referenceType",
        "offset",
        "days",
        "listId",
        "objectTypeId",
        "name",
        "processingType",
        "filterBranch",
        "inputs",
        "from",
        "to",
        "id",
        "types",
        "associationCategory",
        "associationTypeId",
        "eventType",
        "propertyName",
        "active",
        "targetUrl",
        "recordIdsToAdd",
        "recordIdsToRemove",
        "count",
        "offset",
        "query",
        "processingTypes",
        "zoneId",
        "timezoneSource",
        "shouldAccept",
        "lowerBoundTimePoint",
        "upperBoundTimePoint",
    ]
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | WORDS,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(KEYS, kids, max_size=5),
    max_leaves=20,
)
PATHS = st.one_of(
    st.builds(lambda: "/crm/v3/lists/"),
    st.builds(lambda i: f"/crm/v3/lists/{i}", IDS),
    st.builds(
        lambda i, s: f"/crm/v3/lists/{i}/{s}",
        IDS,
        st.sampled_from(
            [
                "memberships",
                "memberships/add",
                "memberships/remove",
                "memberships/add-and-remove",
                "memberships/join-order",
                "memberships/add-from/1",
                "restore",
                "update-list-name?listName=x",
                "update-list-filters",
                "memberships?limit=0",
                "memberships?after=zz&before=-3",
            ]
        ),
    ),
    st.builds(lambda t, i: f"/crm/v3/lists/records/{t}/{i}/memberships", TYPES, IDS),
    st.builds(lambda t: f"/crm/v3/lists/object-type-id/{t}/name/x", TYPES),
    st.sampled_from(
        [
            "/crm/v3/lists/search",
            "/crm/v3/lists/folders",
            "/crm/v3/lists/folders/move-list",
            "/crm/v3/lists/idmapping",
            "/crm/v3/lists/idmapping?legacyListId=x",
            "/crm/v3/lists/folders/1/rename",
            "/crm/v3/lists/folders/1/move/x",
            "/crm/v3/owners/?limit=x",
            "/crm/v3/owners/1?idProperty=x",
            "/oauth/v1/token",
            "/oauth/v1/access-tokens/x",
            "/oauth/v1/refresh-tokens/x",
            "/webhooks/v3/1000001/settings?hapikey=sandbox-developer-key",
            "/webhooks/v3/1000001/subscriptions?hapikey=sandbox-developer-key",
            "/webhooks/v3/x/subscriptions/batch/update?hapikey=sandbox-developer-key",
            "/webhooks/v3/1000001/subscriptions/abc?hapikey=sandbox-developer-key",
        ]
    ),
    st.builds(lambda a, i, b, j: f"/crm/v4/objects/{a}/{i}/associations/{b}/{j}", TYPES, IDS, TYPES, IDS),
    st.builds(lambda a, i, b: f"/crm/v4/objects/{a}/{i}/associations/{b}?limit=x", TYPES, IDS, TYPES),
    st.builds(
        lambda a, b, s: f"/crm/v4/associations/{a}/{b}/{s}",
        TYPES,
        TYPES,
        st.sampled_from(
            [
                "batch/create",
                "batch/read",
                "batch/archive",
                "batch/associate/default",
                "batch/labels/archive",
                "labels",
            ]
        ),
    ),
)


@pytest.fixture(scope="module")
def client() -> Any:
    sb = Sandbox(seed=7)
    sb.update_settings("hubspot", {"rate_limits": False})
    app = build_app(sb, sb.services["hubspot"])
    c = app.test_client()
    # something to point at: a manual list and a dynamic list
    c.post(
        "/crm/v3/lists/", headers=AUTH, json={"name": "m", "objectTypeId": "0-1", "processingType": "MANUAL"}
    )
    return c


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    path=PATHS,
    body=st.one_of(JSON, st.binary(max_size=20)),
)
def test_no_5xx_and_errors_are_json(client: Any, method: str, path: str, body: Any) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body)
    resp = client.open(path, method=method, headers={**AUTH, "Content-Type": "application/json"}, data=data)
    assert resp.status_code < 500, (method, path, body, resp.get_data(as_text=True))
    if resp.status_code >= 400:
        payload = resp.get_json()
        assert isinstance(payload, dict) and ("message" in payload or "status" in payload)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(branch=JSON, name=st.text(min_size=1, max_size=6))
def test_random_filter_branches_are_accepted_or_400(client: Any, branch: Any, name: str) -> None:
    resp = client.post(
        "/crm/v3/lists/",
        headers=AUTH,
        json={
            "name": f"fz{name}",
            "objectTypeId": "0-1",
            "processingType": "DYNAMIC",
            "filterBranch": branch,
        },
    )
    assert resp.status_code in (200, 400), resp.get_data(as_text=True)
