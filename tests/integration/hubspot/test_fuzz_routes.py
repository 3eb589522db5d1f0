"""Hypothesis fuzz driven by the route table itself (simulator/hubspot/urls.py): every route, with
generated path parameters, query strings and bodies (JSON or raw bytes), answers below 500 and every
4xx is a JSON error object. A route added later is fuzzed without touching this file."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import Sandbox
from simulator.core.service import build_app
from simulator.hubspot.urls import ROUTES

AUTH = {"Authorization": "Bearer pat-local-sandbox", "Content-Type": "application/json"}
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
# Plausible and hostile values per path parameter name; anything else gets generic ones.
VALUES: dict[str, list[str]] = {
    "object_type": ["contacts", "companies", "deals", "tickets", "0-1", "0-2", "contact", "widgets", "2-9"],
    "to_type": ["companies", "contacts", "deals", "0-2", "x"],
    "from_type": ["contacts", "companies", "deals", "x"],
    "object_type_id": ["0-1", "0-2", "0-3", "1-1", "contacts"],
    "app_id": ["1000001", "0", "x"],
}
GENERIC = ["1", "0", "-1", "abc", "known@example.com", "99999999999999999999", "%20", "a%2Fb", "1.5"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=12),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
    max_leaves=12,
)
QUERY_KEYS = [
    "limit",
    "after",
    "archived",
    "properties",
    "idProperty",
    "associations",
    "includeFilters",
    "listIds",
    "email",
    "legacyListId",
    "hapikey",
    "objectTypeId",
    "before",
]


def _fill(rule: str, draw: Any) -> str:
    return PARAM.sub(lambda m: draw(st.sampled_from(VALUES.get(m.group(1), GENERIC))), rule)


@st.composite
def requests_(draw: Any) -> tuple[str, str, bytes | None]:
    route = draw(st.sampled_from(ROUTES))
    method = draw(st.sampled_from(route.methods))
    path = _fill(route.rule, draw)
    pairs = draw(st.lists(st.tuples(st.sampled_from(QUERY_KEYS), st.text(max_size=6)), max_size=3))
    if route.rule.startswith("/webhooks/"):
        pairs.append(("hapikey", "sandbox-developer-key"))
    query = "&".join(f"{k}={v}" for k, v in pairs)
    body = draw(st.none() | JSON.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=40))
    return method, f"{path}?{query}" if query else path, body


@pytest.fixture(scope="module")
def client() -> Any:
    sb = Sandbox(seed=11)
    sb.update_settings("hubspot", {"rate_limits": False})
    backend = sb.backend("hubspot")
    with sb.lock:
        backend.records.create("contacts", {"email": "known@example.com"})
        backend.records.create("companies", {"name": "Known"})
        backend.lists.create("known", "0-1", "MANUAL")
    return build_app(sb, sb.services["hubspot"]).test_client()


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(req=requests_())
def test_every_route_answers_4xx_not_5xx(client: Any, req: tuple[str, str, bytes | None]) -> None:
    method, path, body = req
    resp = client.open(path, method=method, data=body, headers=AUTH)
    assert resp.status_code < 500, (method, path, body, resp.get_data(as_text=True))
    if resp.status_code >= 400:
        payload = json.loads(resp.get_data())
        assert isinstance(payload, dict) and isinstance(payload.get("message"), str), payload
        assert payload.get("correlationId"), payload


def test_every_route_is_reachable_by_the_generator() -> None:
    # guards the fuzz against a rule shape it cannot fill (e.g. a new converter)
    for route in ROUTES:
        filled = PARAM.sub("x", route.rule)
        assert "<" not in filled and ">" not in filled, route.rule
