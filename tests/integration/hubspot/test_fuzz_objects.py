"""Hypothesis fuzz of the HubSpot objects, search and properties endpoints in-process: whatever the
method, path, query and body (generated JSON or random bytes), the fake answers without a 5xx, and every
4xx is HubSpot's error object {status:"error", message, correlationId, category}."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import Sandbox
from simulator.core.service import build_app

AUTH = {"Authorization": "Bearer pat-local-sandbox", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def client() -> Any:
    sb = Sandbox(seed=7)
    sb.update_settings("hubspot", {"rate_limits": False})
    records = sb.backend("hubspot").records
    records.create("contacts", {"email": "known@example.com", "firstname": "K"})
    records.create("companies", {"name": "Known"})
    return build_app(sb, sb.services["hubspot"]).test_client()


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4),
    max_leaves=10,
)
NAMES = st.sampled_from(
    [
        "email",
        "firstname",
        "lifecyclestage",
        "closedate",
        "amount",
        "hs_object_id",
        "numberofemployees",
        "createdate",
        "lastmodifieddate",
        "hubspot_owner_id",
        "nope",
        "",
    ]
)
OPS = st.sampled_from(
    ["EQ", "NEQ", "LT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY", "CONTAINS_TOKEN", "X"]
)
FILTER = st.fixed_dictionaries(
    {"propertyName": NAMES | JSON, "operator": OPS},
    optional={"value": JSON, "highValue": JSON, "values": JSON | st.lists(JSON, max_size=3)},
)
SEARCH = st.fixed_dictionaries(
    {},
    optional={
        "filterGroups": st.lists(st.fixed_dictionaries({"filters": st.lists(FILTER, max_size=3)}), max_size=3)
        | JSON,
        "sorts": st.lists(
            st.text(max_size=10) | st.fixed_dictionaries({"propertyName": NAMES, "direction": JSON}),
            max_size=2,
        )
        | JSON,
        "query": JSON,
        "limit": JSON | st.integers(-5, 300),
        "after": JSON,
        "properties": JSON | st.lists(NAMES),
    },
)
PROPS = st.dictionaries(NAMES, JSON, max_size=4) | JSON
RECORD_BODY = st.fixed_dictionaries({}, optional={"properties": PROPS, "associations": JSON})
BATCH_BODY = st.fixed_dictionaries(
    {},
    optional={
        "inputs": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "id": JSON | st.just("known@example.com"),
                    "idProperty": st.sampled_from(["email", "firstname"]) | JSON,
                    "properties": PROPS,
                    "name": JSON,
                },
            ),
            max_size=3,
        )
        | JSON,
        "properties": JSON,
        "idProperty": JSON,
        "archived": JSON,
    },
)
TYPES = st.sampled_from(["contacts", "companies", "deals", "tickets", "0-1", "contact", "widgets", "2-99"])
IDS = st.sampled_from(["1", "0", "abc", "known@example.com", "99999999999999999999", "%20"])

ENDPOINTS = st.one_of(
    st.tuples(st.just("POST"), TYPES.map(lambda t: f"/crm/v3/objects/{t}"), RECORD_BODY | JSON),
    st.tuples(
        st.just("GET"),
        st.tuples(TYPES, st.text(max_size=10)).map(
            lambda p: f"/crm/v3/objects/{p[0]}?limit={p[1]}&after={p[1]}&archived={p[1]}&properties={p[1]}"
        ),
        st.none(),
    ),
    st.tuples(
        st.sampled_from(["GET", "PATCH", "DELETE"]),
        st.tuples(TYPES, IDS, st.sampled_from(["", "email", "x"])).map(
            lambda p: f"/crm/v3/objects/{p[0]}/{p[1]}?idProperty={p[2]}&associations=companies,x"
        ),
        RECORD_BODY | JSON,
    ),
    st.tuples(
        st.just("POST"),
        st.tuples(TYPES, st.sampled_from(["create", "read", "update", "upsert", "archive"])).map(
            lambda p: f"/crm/v3/objects/{p[0]}/batch/{p[1]}"
        ),
        BATCH_BODY | JSON,
    ),
    st.tuples(st.just("POST"), TYPES.map(lambda t: f"/crm/v3/objects/{t}/search"), SEARCH | JSON),
    st.tuples(
        st.just("POST"),
        st.tuples(TYPES, st.sampled_from(["merge", "gdpr-delete"])).map(
            lambda p: f"/crm/v3/objects/{p[0]}/{p[1]}"
        ),
        st.fixed_dictionaries(
            {},
            optional={"primaryObjectId": JSON, "objectIdToMerge": JSON, "objectId": JSON, "idProperty": JSON},
        )
        | JSON,
    ),
    st.tuples(
        st.sampled_from(["GET", "POST"]),
        TYPES.map(lambda t: f"/crm/v3/properties/{t}"),
        st.fixed_dictionaries(
            {},
            optional={
                "name": st.text(max_size=8) | JSON,
                "label": JSON,
                "type": st.sampled_from(["string", "number", "enumeration"]) | JSON,
                "fieldType": st.sampled_from(["text", "number", "select"]) | JSON,
                "groupName": st.just("contactinformation") | JSON,
                "options": JSON,
            },
        )
        | JSON,
    ),
    st.tuples(
        st.sampled_from(["GET", "PATCH", "DELETE"]),
        st.tuples(TYPES, NAMES | st.text(max_size=8)).map(
            lambda p: f"/crm/v3/properties/{p[0]}/{p[1] or 'x'}"
        ),
        JSON,
    ),
    st.tuples(
        st.just("POST"),
        st.tuples(TYPES, st.sampled_from(["create", "read", "archive"])).map(
            lambda p: f"/crm/v3/properties/{p[0]}/batch/{p[1]}"
        ),
        BATCH_BODY | JSON,
    ),
    st.tuples(
        st.sampled_from(["GET", "POST", "PATCH", "DELETE"]),
        st.tuples(TYPES, st.sampled_from(["", "/g1", "/x"])).map(
            lambda p: f"/crm/v3/properties/{p[0]}/groups{p[1]}"
        ),
        JSON,
    ),
)


def check(resp: Any) -> None:
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if resp.status_code >= 400:
        body = json.loads(resp.get_data())
        assert body["status"] == "error", body
        assert (
            isinstance(body["message"], str) and body["correlationId"] and isinstance(body["category"], str)
        )


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(endpoint=ENDPOINTS)
def test_generated_json_never_5xx(client: Any, endpoint: tuple[str, str, Any]) -> None:
    method, path, body = endpoint
    data = None if body is None else json.dumps(body, allow_nan=True)
    check(client.open(path, method=method, data=data, headers=AUTH))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(
        [
            "/crm/v3/objects/contacts",
            "/crm/v3/objects/contacts/batch/create",
            "/crm/v3/objects/deals/search",
            "/crm/v3/properties/contacts",
            "/crm/v3/objects/contacts/merge",
        ]
    ),
    raw=st.binary(max_size=200),
)
def test_random_bytes_never_5xx(client: Any, path: str, raw: bytes) -> None:
    check(client.post(path, data=raw, headers=AUTH))
