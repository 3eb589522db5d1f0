"""Wire-level checks of the sobjects endpoints over both transports (`requests`, no client library)."""

from __future__ import annotations

import re

import requests

from .sf_control import SESSION_HEADERS, add_hubspot_id_field

V = "/services/data/v59.0"
LEAD = {"LastName": "Wire", "Company": "Level"}


def _is_error_list(resp: requests.Response, code: str, status: int) -> None:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert isinstance(body, list) and body[0]["errorCode"] == code and isinstance(body[0]["message"], str)


def test_limit_header_on_every_response(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    ok = requests.post(f"{base}{V}/sobjects/Lead/", json=LEAD, headers=SESSION_HEADERS)
    assert ok.status_code == 201
    assert re.fullmatch(r"api-usage=\d+/15000", ok.headers["Sforce-Limit-Info"])
    bad = requests.post(f"{base}{V}/sobjects/Lead/", json={}, headers=SESSION_HEADERS)
    assert bad.headers["Sforce-Limit-Info"] == "api-usage=2/15000"
    versions = requests.get(f"{base}/services/data/")
    assert versions.status_code == 200 and "Sforce-Limit-Info" in versions.headers
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in versions.json()
    after = requests.get(f"{base}{V}/limits/", headers=SESSION_HEADERS)
    assert after.headers["Sforce-Limit-Info"] == "api-usage=3/15000"  # the versions list did not count


def test_malformed_json_and_non_object_bodies(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    h = {**SESSION_HEADERS, "Content-Type": "application/json"}
    _is_error_list(
        requests.post(f"{base}{V}/sobjects/Lead/", data="{not json", headers=h), "JSON_PARSER_ERROR", 400
    )
    _is_error_list(requests.post(f"{base}{V}/sobjects/Lead/", data="", headers=h), "JSON_PARSER_ERROR", 400)
    _is_error_list(
        requests.post(f"{base}{V}/sobjects/Lead/", json=[LEAD], headers=h), "JSON_PARSER_ERROR", 400
    )
    # simple-salesforce sends Content-Type: application/json with bodiless GET/DELETE
    assert requests.get(f"{base}{V}/sobjects/Lead/describe", headers=h).status_code == 200


def test_unknown_paths_versions_and_methods(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    _is_error_list(requests.get(f"{base}{V}/sobjects/Foo/", headers=SESSION_HEADERS), "NOT_FOUND", 404)
    _is_error_list(
        requests.get(f"{base}/services/data/v5.0/sobjects/", headers=SESSION_HEADERS), "NOT_FOUND", 404
    )
    _is_error_list(requests.get(f"{base}{V}/nothing/here", headers=SESSION_HEADERS), "NOT_FOUND", 404)
    _is_error_list(
        requests.put(f"{base}{V}/sobjects/Lead/describe", headers=SESSION_HEADERS), "METHOD_NOT_ALLOWED", 405
    )
    ok = requests.get(f"{base}/services/data/v61.0/sobjects/Lead/describe", headers=SESSION_HEADERS)
    assert ok.json()["urls"]["describe"] == "/services/data/v61.0/sobjects/Lead/describe"


def test_router_404_and_405_carry_the_limit_header(api) -> None:  # noqa: ANN001
    """Responses the router answers itself (no route, wrong verb) report usage like every other."""
    base = api.salesforce_url
    no_route = requests.get(f"{base}{V}/nothing/here", headers=SESSION_HEADERS)
    assert no_route.status_code == 404
    assert re.fullmatch(r"api-usage=\d+/15000", no_route.headers["Sforce-Limit-Info"])
    wrong_verb = requests.put(f"{base}/services/data/", headers=SESSION_HEADERS)
    assert wrong_verb.status_code == 405
    assert re.fullmatch(r"api-usage=\d+/15000", wrong_verb.headers["Sforce-Limit-Info"])


def test_upsert_statuses_and_multiple_choices_body(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    add_hubspot_id_field(base, unique=False)
    url = f"{base}{V}/sobjects/Lead/HubSpot_Id__c/a%2Fb"  # a value with a slash
    created = requests.patch(url, json=LEAD, headers=SESSION_HEADERS)
    assert created.status_code == 201 and created.json()["created"] is True
    got = requests.get(url, headers=SESSION_HEADERS)
    assert got.status_code == 200 and got.json()["HubSpot_Id__c"] == "a/b"
    updated = requests.patch(url, json={"Title": "t"}, headers=SESSION_HEADERS)
    assert updated.status_code == 200 and updated.json()["created"] is False
    old = requests.patch(
        f"{base}/services/data/v45.0/sobjects/Lead/HubSpot_Id__c/a%2Fb",
        json={"Title": "u"},
        headers=SESSION_HEADERS,
    )
    assert old.status_code == 204  # before API 46.0 an upsert-update answered 204
    requests.post(f"{base}{V}/sobjects/Lead/", json={**LEAD, "HubSpot_Id__c": "a/b"}, headers=SESSION_HEADERS)
    multi = requests.get(url, headers=SESSION_HEADERS)
    assert multi.status_code == 300
    assert all(u.startswith(f"{V}/sobjects/Lead/00Q") for u in multi.json()) and len(multi.json()) == 2
    body_clash = requests.patch(
        f"{base}{V}/sobjects/Lead/HubSpot_Id__c/zz",
        json={**LEAD, "HubSpot_Id__c": "other"},
        headers=SESSION_HEADERS,
    )
    _is_error_list(body_clash, "INVALID_FIELD", 400)
    gone = requests.delete(f"{base}{V}/sobjects/Lead/HubSpot_Id__c/zz", headers=SESSION_HEADERS)
    _is_error_list(gone, "NOT_FOUND", 404)


def test_upsert_update_only(api) -> None:  # noqa: ANN001
    """`?updateOnly=true` (API 61.0+) makes the upsert an update: no match is 404, nothing created."""
    base = api.salesforce_url
    add_hubspot_id_field(base)
    v61 = "/services/data/v61.0/sobjects/Lead/HubSpot_Id__c"
    miss = requests.patch(f"{base}{v61}/new-1", params={"updateOnly": "true"}, json=LEAD,
                          headers=SESSION_HEADERS)
    _is_error_list(miss, "NOT_FOUND", 404)
    count = requests.get(f"{base}{V}/query", params={"q": "SELECT COUNT() FROM Lead"}, headers=SESSION_HEADERS)
    assert count.json()["totalSize"] == 0
    created = requests.patch(f"{base}{v61}/new-1", json=LEAD, headers=SESSION_HEADERS)
    assert created.status_code == 201
    hit = requests.patch(f"{base}{v61}/new-1", params={"updateOnly": "true"}, json={"Title": "x"},
                         headers=SESSION_HEADERS)
    assert hit.status_code == 200 and hit.json()["created"] is False
    # before 61.0 the parameter does not exist: an ordinary upsert
    old = requests.patch(f"{base}/services/data/v60.0/sobjects/Lead/HubSpot_Id__c/new-2",
                         params={"updateOnly": "true"}, json=LEAD, headers=SESSION_HEADERS)
    assert old.status_code == 201


def test_metadata_relationship_traversal_and_updated_encoding(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    acc = requests.post(
        f"{base}{V}/sobjects/Account", json={"Name": "Parent Co"}, headers=SESSION_HEADERS
    ).json()["id"]
    con = requests.post(
        f"{base}{V}/sobjects/Contact", json={"LastName": "Kid", "AccountId": acc}, headers=SESSION_HEADERS
    ).json()["id"]
    meta = requests.get(f"{base}{V}/sobjects/Contact/", headers=SESSION_HEADERS).json()
    assert meta["objectDescribe"]["keyPrefix"] == "003" and meta["recentItems"][0]["Id"] == con
    parent = requests.get(f"{base}{V}/sobjects/Contact/{con}/Account", headers=SESSION_HEADERS)
    assert parent.status_code == 200 and parent.json()["Name"] == "Parent Co"
    owner = requests.get(f"{base}{V}/sobjects/Contact/{con}/Owner", headers=SESSION_HEADERS).json()
    assert owner["Username"] == "integration@example.com"
    # the client pre-encodes ':' and '+'; an unencoded '+' arrives as a space and is accepted too
    q = "start=2026-01-05T08%3A00%3A00%2B00%3A00&end=2026-01-05T10%3A00%3A00%2B00%3A00"
    upd = requests.get(f"{base}{V}/sobjects/Contact/updated/?{q}", headers=SESSION_HEADERS)
    assert upd.status_code == 200 and upd.json()["ids"] == [con]
    upd2 = requests.get(
        f"{base}{V}/sobjects/Contact/updated/?start=2026-01-05T08:00:00+00:00&end=2026-01-05T10:00:00Z",
        headers=SESSION_HEADERS,
    )
    assert upd2.json()["ids"] == [con]
    _is_error_list(
        requests.get(
            f"{base}{V}/sobjects/Contact/updated/?start=2026-01-05T08%3A00%3A00%3A&end=x",
            headers=SESSION_HEADERS,
        ),
        "INVALID_REPLICATION_DATE",
        400,
    )
    _is_error_list(
        requests.get(f"{base}{V}/sobjects/Contact/deleted/", headers=SESSION_HEADERS), "MISSING_ARGUMENT", 400
    )


def test_fields_parameter_errors(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    rid = requests.post(f"{base}{V}/sobjects/Lead", json=LEAD, headers=SESSION_HEADERS).json()["id"]
    _is_error_list(
        requests.get(f"{base}{V}/sobjects/Lead/{rid}?fields=Id,Nope", headers=SESSION_HEADERS),
        "INVALID_FIELD",
        400,
    )
    ok = requests.get(f"{base}{V}/sobjects/Lead/{rid}?fields=id,lastname", headers=SESSION_HEADERS).json()
    assert list(ok) == ["attributes", "Id", "LastName"]  # canonical names whatever the case asked


def test_method_not_allowed_wording(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    for method in ("PUT", "PATCH", "DELETE"):
        resp = requests.request(method, f"{base}{V}/sobjects/Lead/describe", headers=SESSION_HEADERS)
        assert resp.status_code == 405
        assert resp.json() == [
            {
                "message": f"HTTP Method '{method}' not allowed. Allowed are GET,HEAD",
                "errorCode": "METHOD_NOT_ALLOWED",
            }
        ]
    resp = requests.post(f"{base}{V}/sobjects/Lead/00QHf0000000000", headers=SESSION_HEADERS)
    assert resp.json()[0]["message"] == "HTTP Method 'POST' not allowed. Allowed are DELETE,GET,HEAD,PATCH"
