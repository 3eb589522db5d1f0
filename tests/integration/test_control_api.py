"""The sandbox control API, over both transports."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from simulator import Sandbox


def test_clock_advance_and_set(api) -> None:  # noqa: ANN001
    base = api.hubspot_url
    start = requests.get(f"{base}/_hubforce/clock").json()
    assert start == {"mode": "virtual", "now": "2026-01-05T09:00:00.000Z"}
    moved = requests.post(f"{base}/_hubforce/clock/advance", json={"minutes": 15}).json()
    assert moved["now"] == "2026-01-05T09:15:00.000Z"
    # both fakes share one clock
    assert requests.get(f"{api.salesforce_url}/_hubforce/clock").json()["now"] == "2026-01-05T09:15:00.000Z"
    assert requests.put(f"{base}/_hubforce/clock", json={"now": "2027-02-03T04:05:06Z"}).json()["now"] == "2027-02-03T04:05:06.000Z"
    bad = requests.post(f"{base}/_hubforce/clock/advance", json={"seconds": -5})
    assert bad.status_code == 400 and "non-negative" in bad.json()["error"]


def test_faults_fire_then_stop_and_are_journaled(api) -> None:  # noqa: ANN001
    base = api.hubspot_url
    rule = requests.post(f"{base}/_hubforce/faults", json={"service": "hubspot", "path": "/crm/v3/objects/contacts", "status": 503, "times": 1})
    assert rule.status_code == 201
    first = requests.get(f"{base}/crm/v3/objects/contacts", headers={"Authorization": "Bearer pat-local-sandbox"})
    assert first.status_code == 503
    assert first.json()["status"] == "error"  # HubSpot's error format even for an injected fault
    second = requests.get(f"{base}/crm/v3/objects/contacts", headers={"Authorization": "Bearer pat-local-sandbox"})
    assert second.status_code != 503
    journal = requests.get(f"{base}/_hubforce/journal", params={"service": "hubspot"}).json()
    assert [e["status"] for e in journal["entries"]][:2] == [503, second.status_code]
    assert journal["entries"][0]["fault"] == rule.json()["id"]
    assert requests.get(f"{base}/_hubforce/faults").json()["faults"][0]["fired"] == 1


def test_bad_control_input_is_a_clear_4xx(api) -> None:  # noqa: ANN001
    base = api.salesforce_url
    r = requests.post(f"{base}/_hubforce/faults", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "malformed JSON" in r.json()["error"]
    r = requests.post(f"{base}/_hubforce/faults", json={"action": "nope"})
    assert r.status_code == 400
    r = requests.delete(f"{base}/_hubforce/faults/fault-999")
    assert r.status_code == 404
    r = requests.patch(f"{base}/_hubforce/settings", json={"hubspot": {"tier": "platinum"}})
    assert r.status_code == 400 and "tier" in r.json()["error"]
    r = requests.get(f"{base}/_hubforce/nothing-here")
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/json")


def test_settings_patch(api) -> None:  # noqa: ANN001
    r = requests.patch(f"{api.hubspot_url}/_hubforce/settings", json={"hubspot": {"tier": "enterprise"}})
    assert r.status_code == 200 and r.json()["hubspot"]["tier"] == "enterprise"


def test_snapshot_round_trip_and_version_check(api, sandbox: Sandbox, tmp_path: Path) -> None:  # noqa: ANN001
    base = api.hubspot_url
    requests.post(f"{base}/_hubforce/clock/advance", json={"hours": 1})
    snap = requests.get(f"{base}/_hubforce/snapshot").json()
    assert snap["format"] == "hubforce-sandbox-snapshot" and snap["version"] == 1
    requests.post(f"{base}/_hubforce/clock/advance", json={"hours": 5})
    assert requests.put(f"{base}/_hubforce/snapshot", json=snap).status_code == 200
    assert requests.get(f"{base}/_hubforce/clock").json()["now"] == "2026-01-05T10:00:00.000Z"
    old = dict(snap, version=99)
    refused = requests.put(f"{base}/_hubforce/snapshot", json=old)
    assert refused.status_code == 409 and "version 99" in refused.json()["error"]
    target = tmp_path / "snap.json"
    assert requests.post(f"{base}/_hubforce/snapshot/save", json={"path": str(target)}).status_code == 200
    assert json.loads(target.read_text())["version"] == 1
    assert not list(tmp_path.glob(".snap.json.*"))  # the temp file was renamed, not left behind
    assert requests.post(f"{base}/_hubforce/snapshot/load", json={"path": str(target)}).status_code == 200


def test_same_seed_same_state(sandbox: Sandbox) -> None:
    a, b = Sandbox(seed=9), Sandbox(seed=9)
    assert a.rng.uuid4() == b.rng.uuid4()
    sandbox.reset(seed=9)
    assert sandbox.seed == 9


def test_drop_after_performs_the_request_then_loses_the_answer(api) -> None:  # noqa: ANN001
    """A lost answer: the fake carries the request out (the contact exists, the journal has its
    real status) and then the connection fails, so the client cannot know it succeeded."""
    base = api.hubspot_url
    auth = {"Authorization": "Bearer pat-local-sandbox"}
    rule = requests.post(
        f"{base}/_hubforce/faults",
        json={"service": "hubspot", "method": "POST", "path": "^/crm/v3/objects/contacts$", "action": "drop_after", "times": 1},
    )
    assert rule.status_code == 201
    body = {"properties": {"email": "lost@example.com", "lastname": "Answer"}}
    try:
        resp = requests.post(f"{base}/crm/v3/objects/contacts", json=body, headers=auth, timeout=10)
        answered = resp.status_code == 201 and resp.json().get("id")  # a cut body cannot be read either
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, ValueError):
        answered = False
    assert not answered
    search = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "lost@example.com"}]}]}
    found = requests.post(f"{base}/crm/v3/objects/contacts/search", json=search, headers=auth).json()
    assert found["total"] == 1  # the request was performed
    entry = requests.get(f"{base}/_hubforce/journal", params={"method": "POST", "path": "objects/contacts$"}).json()["entries"][0]
    assert (entry["status"], entry["fault"]) == (201, rule.json()["id"])
