"""CRM objects on the wire, over both transports: status codes, JSON shapes, paging links, query-param
tolerance, and HubSpot-format 4xx bodies for malformed input."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

AUTH = {"Authorization": "Bearer pat-local-sandbox"}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def url(api: Any, path: str) -> str:
    return f"{api.hubspot_url}/crm/v3/objects/{path}"


def test_record_shape_and_status_codes(api: Any) -> None:
    r = requests.post(
        url(api, "0-1"), json={"properties": {"email": "w@e.com", "firstname": 7}}, headers=AUTH
    )
    assert r.status_code == 201
    rec = r.json()
    assert rec["properties"]["firstname"] == "7"  # numbers are accepted and stored as text
    assert ISO.match(rec["createdAt"]) and ISO.match(rec["updatedAt"]) and rec["archived"] is False
    rid = rec["id"]
    g = requests.get(
        url(api, f"contact/{rid}?properties=email&properties=firstname,lastname&archived=False"), headers=AUTH
    )
    assert g.status_code == 200 and set(g.json()["properties"]) == {
        "email",
        "firstname",
        "lastname",
        "hs_object_id",
        "createdate",
        "lastmodifieddate",
    }
    p = requests.patch(url(api, f"contacts/{rid}"), json={"properties": {"lastname": "Q"}}, headers=AUTH)
    assert p.status_code == 200 and p.json()["properties"]["lastname"] == "Q"
    d = requests.delete(url(api, f"contacts/{rid}"), headers=AUTH)
    assert d.status_code == 204 and d.content == b""
    a = requests.get(url(api, f"contacts/{rid}?archived=TRUE"), headers=AUTH)
    assert a.json()["archived"] is True and ISO.match(a.json()["archivedAt"])
    listed = requests.get(url(api, "contacts?archived=true"), headers=AUTH).json()
    assert [x["id"] for x in listed["results"]] == [rid] and "paging" not in listed


def test_paging_link_and_cursor(api: Any) -> None:
    inputs = [{"properties": {"email": f"pg{i}@e.com"}} for i in range(5)]
    assert (
        requests.post(url(api, "contacts/batch/create"), json={"inputs": inputs}, headers=AUTH).status_code
        == 201
    )
    page = requests.get(url(api, "contacts?limit=2&properties=email"), headers=AUTH).json()
    nxt = page["paging"]["next"]
    assert "after=" + nxt["after"] in nxt["link"] and "properties=email" in nxt["link"]
    seen = [x["properties"]["email"] for x in page["results"]]
    while "paging" in page:
        page = requests.get(
            url(api, f"contacts?limit=2&properties=email&after={page['paging']['next']['after']}"),
            headers=AUTH,
        ).json()
        seen += [x["properties"]["email"] for x in page["results"]]
    assert sorted(seen) == sorted(f"pg{i}@e.com" for i in range(5))


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "contacts", b"{not json", 400),
        ("POST", "contacts", [1, 2], 400),
        ("POST", "contacts", {"properties": "x"}, 400),
        ("POST", "contacts", {"properties": {"email": ["a"]}}, 400),
        ("POST", "contacts/batch/create", {"inputs": "x"}, 400),
        ("POST", "contacts/batch/read", {"inputs": [{"id": None}]}, 400),
        (
            "POST",
            "contacts/batch/update",
            {"inputs": [{"id": "1", "properties": {}}, {"id": "1", "properties": {}}]},
            400,
        ),
        ("POST", "contacts/merge", {"primaryObjectId": "1"}, 400),
        ("PATCH", "contacts/123", {}, 400),
        ("PATCH", "contacts/123", {"properties": {}}, 404),
        ("GET", "widgets/1", None, 400),
        ("GET", "contacts?limit=abc", None, 400),
        ("GET", "contacts/x@y.com?idProperty=firstname", None, 400),
        ("POST", "companies/gdpr-delete", {"objectId": "1"}, 404),
    ],
)
def test_bad_input_is_a_hubspot_4xx(api: Any, method: str, path: str, body: Any, status: int) -> None:
    kwargs: dict[str, Any] = {"data": body} if isinstance(body, bytes) else {"json": body}
    r = requests.request(
        method, url(api, path), headers={**AUTH, "Content-Type": "application/json"}, **kwargs
    )
    assert r.status_code == status, r.text
    data = r.json()
    assert data["status"] == "error" and data["correlationId"] and data["category"] and data["message"]


def test_ids_are_deterministic_per_seed(api: Any, sandbox: Any) -> None:
    first = requests.post(url(api, "contacts"), json={"properties": {}}, headers=AUTH).json()["id"]
    sandbox.reset(1234)
    again = requests.post(url(api, "contacts"), json={"properties": {}}, headers=AUTH).json()["id"]
    assert first == again
