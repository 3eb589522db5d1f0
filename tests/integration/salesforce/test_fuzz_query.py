"""Hypothesis fuzz of the query, composite and Bulk API 2.0 endpoints, in-process: random SOQL text,
mutated valid SOQL, random JSON and CSV never produce a 5xx, and every error is Salesforce's list of
{message, errorCode}."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import Sandbox
from simulator.core.service import build_app

AUTH = {"Authorization": "Bearer sandbox-session"}
V = "/services/data/v59.0"
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def fuzz() -> tuple[Any, dict[str, str]]:
    sb = Sandbox(seed=7)
    sb.update_settings("salesforce", {"daily_api_requests": 10**9})
    backend = sb.backend("salesforce")
    backend.add_custom_field({"object": "Lead", "name": "Ext__c", "type": "string", "externalId": True})
    acc = backend.create("Account", {"Name": "Fuzz Co"})
    known = {"account": acc}
    for i in range(30):
        lid = backend.create(
            "Lead", {"LastName": f"F{i}", "Company": "Fz", "Ext__c": f"e{i}", "Email": f"f{i}@x.io"}
        )
        known.setdefault("lead", lid)
    backend.create("Contact", {"LastName": "K", "AccountId": acc})
    return build_app(sb, sb.services["salesforce"]).test_client(), known


def _check(resp: Any) -> None:
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if resp.status_code >= 400:
        payload = resp.get_json(silent=True)
        assert isinstance(payload, list) and payload, resp.get_data(as_text=True)
        assert all(
            isinstance(e, dict) and isinstance(e.get("message"), str) and isinstance(e.get("errorCode"), str)
            for e in payload
        )


VALID = [
    "SELECT Id, LastName, Owner.Name FROM Lead WHERE LastName LIKE 'F1%' ORDER BY LastName DESC NULLS LAST LIMIT 5",
    "SELECT COUNT() FROM Lead WHERE Email != null AND (Company = 'Fz' OR IsDeleted = false)",
    "SELECT Id, Account.Name, Account.Owner.Email FROM Contact WHERE CreatedDate = LAST_N_DAYS:30",
    "SELECT Id FROM Lead WHERE Ext__c IN ('e1', 'e2') AND NumberOfEmployees > 10 OFFSET 3",
    "SELECT Name FROM Account WHERE Id = '{account}' AND CreatedDate < 2030-01-01T00:00:00Z",
    "SELECT Id FROM Lead WHERE NOT (Status = 'Open - Not Contacted') AND AnnualRevenue >= 1500.5",
]
TOKENS = st.sampled_from(
    [
        "SELECT",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
        "ORDER BY",
        "LIMIT",
        "OFFSET",
        "NULLS",
        "(",
        ")",
        ",",
        "'",
        "\\",
        "=",
        "!=",
        "<",
        ">=",
        "null",
        "true",
        "TODAY",
        "LAST_N_DAYS:",
        "2024-13-45",
        "2024-05-01T10:00:00+0",
        "1e999",
        "-",
        "Id",
        "Owner.",
        "COUNT()",
        "Lead",
        "__c",
        "%",
        "_",
        ":",
        " ",
        "\u00e9",
        "\x00",
        "99999999999999999999",
    ]
)


def _mutate(base: str, ops: list[tuple[int, int, str]]) -> str:
    text = base
    for kind, pos, tok in ops:
        i = pos % (len(text) + 1)
        if kind == 0:
            text = text[:i] + tok + text[i:]
        elif kind == 1:
            text = text[:i] + text[i + len(tok) :]
        else:
            text = text[:i] + tok + text[i + 1 :]
    return text


@FUZZ
@given(q=st.text(max_size=80) | st.lists(TOKENS, max_size=12).map(" ".join), all_rows=st.booleans())
def test_random_soql_text(fuzz, q: str, all_rows: bool) -> None:  # noqa: ANN001
    client, _ = fuzz
    resp = client.get(f"{V}/{'queryAll' if all_rows else 'query'}/", query_string={"q": q}, headers=AUTH)
    _check(resp)
    if resp.status_code == 200:
        body = resp.get_json()
        assert body["totalSize"] >= len(body["records"]) and isinstance(body["done"], bool)


@FUZZ
@given(
    base=st.sampled_from(VALID),
    ops=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 200), TOKENS), min_size=1, max_size=4),
    batch=st.sampled_from([None, "batchSize=200", "batchSize=-5", "batchSize=abc", "batchsize = 100000"]),
)
def test_mutated_valid_soql(fuzz, base: str, ops: list[tuple[int, int, str]], batch: str | None) -> None:  # noqa: ANN001
    client, known = fuzz
    headers = {**AUTH, **({"Sforce-Query-Options": batch} if batch else {})}
    assert (
        client.get(f"{V}/query", query_string={"q": base.format(**known)}, headers=headers).status_code == 200
    )
    _check(client.get(f"{V}/query", query_string={"q": _mutate(base.format(**known), ops)}, headers=headers))


@FUZZ
@given(locator=st.text(alphabet="01gABCxyz-0123456789%/.", min_size=1, max_size=30))
def test_random_locators(fuzz, locator: str) -> None:  # noqa: ANN001
    client, _ = fuzz
    _check(client.get(f"{V}/query/{locator}", headers=AUTH))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
    max_leaves=10,
)
FIELDS = st.sampled_from(
    ["LastName", "Company", "Email", "Id", "id", "Ext__c", "AnnualRevenue", "OwnerId", "Foo", "attributes"]
)
TYPES = st.sampled_from(["Lead", "Account", "Contact", "lead", "Nope", ""]) | st.none()
RECORD = st.builds(
    lambda t, fields: ({"attributes": {"type": t}} if t is not None else {}) | fields,
    TYPES,
    st.dictionaries(FIELDS, JSON_VALUES | st.sampled_from(["{lead}", "{account}", "x"]), max_size=4),
)
COLLECTION = st.fixed_dictionaries(
    {},
    optional={
        "allOrNone": st.booleans() | JSON_VALUES,
        "records": st.lists(RECORD, max_size=4) | JSON_VALUES,
    },
)
URLS = st.sampled_from(
    [
        "v59.0/sobjects/Lead/{lead}",
        "v59.0/sobjects/Lead/",
        "v59.0/query/?q=SELECT+Id+FROM+Lead",
        "v59.0/composite/sobjects",
        "v59.0/composite",
        "/services/data/v59.0/sobjects/Account/@{{a.id}}",
        "/services/data/v59.0/sobjects/Lead/Ext__c/e1",
        "nope",
        "",
    ]
)
SUB = st.fixed_dictionaries(
    {},
    optional={
        "method": st.sampled_from(["GET", "POST", "PATCH", "DELETE", "get", "TRACE"]) | JSON_VALUES,
        "url": URLS | JSON_VALUES,
        "referenceId": st.sampled_from(["a", "b", "1x", ""]) | JSON_VALUES,
        "body": RECORD | JSON_VALUES,
        "richInput": RECORD | JSON_VALUES,
        "httpHeaders": st.dictionaries(st.sampled_from(["If-Match", "X-Foo"]), st.text(max_size=5))
        | JSON_VALUES,
    },
)


def _fill(value: Any, known: dict[str, str]) -> Any:
    """Put real ids where the strategies left `{lead}` / `{account}` placeholders."""
    if isinstance(value, str):
        return value.replace("{lead}", known["lead"]).replace("{account}", known["account"])
    if isinstance(value, list):
        return [_fill(v, known) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, known) for k, v in value.items()}
    return value


@FUZZ
@given(
    target=st.sampled_from(
        [
            ("POST", "composite/sobjects"),
            ("PATCH", "composite/sobjects"),
            ("PATCH", "composite/sobjects/Lead/Ext__c"),
            ("PATCH", "composite/sobjects/Lead/Id"),
            ("POST", "composite/sobjects/Lead"),
        ]
    ),
    body=COLLECTION | JSON_VALUES,
)
def test_collections_random_json(fuzz, target: tuple[str, str], body: Any) -> None:  # noqa: ANN001
    client, known = fuzz
    method, path = target
    resp = client.open(f"{V}/{path}", method=method, json=_fill(body, known), headers=AUTH)
    _check(resp)
    if resp.status_code == 200 and path != "composite/sobjects/Lead":
        assert all(isinstance(r, dict) and isinstance(r["success"], bool) for r in resp.get_json())


@FUZZ
@given(
    kind=st.sampled_from(["batch", "composite"]),
    subs=st.lists(SUB, max_size=4) | JSON_VALUES,
    flag=st.booleans() | JSON_VALUES,
)
def test_batch_and_composite_random_json(fuzz, kind: str, subs: Any, flag: Any) -> None:  # noqa: ANN001
    client, known = fuzz
    if kind == "batch":
        body = {"batchRequests": subs, "haltOnError": flag}
    else:
        body = {"compositeRequest": subs, "allOrNone": flag}
    resp = client.post(
        f"{V}/{'composite/batch' if kind == 'batch' else 'composite'}", json=_fill(body, known), headers=AUTH
    )
    _check(resp)
    if resp.status_code == 200:
        out = resp.get_json()
        items = out["results"] if kind == "batch" else out["compositeResponse"]
        assert len(items) == len(subs)


@FUZZ
@given(
    ids=st.lists(
        st.sampled_from(["{lead}", "{account}", "001", "00Q000000000000EAA", "", "x" * 18]), max_size=4
    ),
    all_or_none=st.sampled_from(["true", "false", "maybe", ""]),
)
def test_collection_delete_random_ids(fuzz, ids: list[str], all_or_none: str) -> None:  # noqa: ANN001
    client, known = fuzz
    query = {"ids": ",".join(_fill(ids, known)), "allOrNone": all_or_none}
    # allOrNone=true keeps the shared records alive across examples
    _check(
        client.delete(f"{V}/composite/sobjects", query_string={**query, "allOrNone": "true"}, headers=AUTH)
    )
    _check(
        client.get(
            f"{V}/composite/sobjects/Lead", query_string={"ids": query["ids"], "fields": "Id"}, headers=AUTH
        )
    )


@FUZZ
@given(
    op=st.sampled_from(["insert", "update", "upsert", "delete", "hardDelete"]),
    data=st.text(alphabet='LastName,Company,Id,Ext__c,"\n\r;x0 ', max_size=80)
    | st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
)
def test_bulk_ingest_random_csv(fuzz, op: str, data: str) -> None:  # noqa: ANN001
    client, _ = fuzz
    body = {"object": "Lead", "operation": op, "contentType": "CSV"}
    if op == "upsert":
        body["externalIdFieldName"] = "Ext__c"
    job = client.post(f"{V}/jobs/ingest", json=body, headers=AUTH)
    assert job.status_code == 200
    url = f"{V}/jobs/ingest/{job.get_json()['id']}"
    _check(client.put(f"{url}/batches", data=data.encode(), headers={**AUTH, "Content-Type": "text/csv"}))
    closed = client.patch(
        url,
        data=json.dumps({"state": "UploadComplete"}),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    _check(closed)
    info = client.get(url, headers=AUTH).get_json()
    assert info["state"] in ("JobComplete", "Failed")
    for res in ("successfulResults", "failedResults", "unprocessedrecords"):
        assert client.get(f"{url}/{res}", headers=AUTH).status_code == 200
