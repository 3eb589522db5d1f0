"""How the HubSpot fake plugs into the sandbox (service.py): its admin routes are mounted under
/_hubforce/hubspot/ on both transports, and webhooks go out after each API request, outside the
sandbox lock (a receiver may call the fake back while its delivery is in flight)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from hubspot.crm.contacts.models import SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.utils.signature import Signature

from simulator.hubspot.api import lists, oauth, owners, seed, webhooks
from simulator.hubspot.auth import CLIENT_ID, CLIENT_SECRET
from simulator.hubspot.service import HubSpotService

AUTH = {"Authorization": "Bearer pat-local-sandbox"}
H = "/_hubforce/hubspot"


def test_admin_routes_are_the_api_modules_tables() -> None:
    mounted = [(r.rule, r.methods, r.handler) for r in HubSpotService().admin_routes()]
    expected = [
        (r.rule, r.methods, r.handler)
        for r in (
            *oauth.ADMIN_ROUTES,
            *owners.ADMIN_ROUTES,
            *webhooks.ADMIN_ROUTES,
            *lists.ADMIN_ROUTES,
            *seed.ADMIN_ROUTES,
        )
    ]
    assert mounted == expected


def test_admin_routes_are_reachable_on_both_transports_and_both_ports(api: Any, sandbox: Any) -> None:
    hs = api.hubspot_url
    # owners: added through the side door, visible through the API
    added = requests.post(f"{hs}{H}/owners", json={"email": "new.rep@example.com", "firstName": "New"})
    assert added.status_code == 201
    found = requests.get(f"{hs}/crm/v3/owners/", params={"email": "new.rep@example.com"}, headers=AUTH)
    assert [o["id"] for o in found.json()["results"]] == [added.json()["id"]]
    # deactivating an owner (by email or id) moves it to ?archived=true, same id
    alice = requests.delete(f"{hs}{H}/owners/Alice.Admin@example.com")
    assert alice.status_code == 200 and alice.json()["archived"] is True
    active = requests.get(f"{hs}/crm/v3/owners/", params={"limit": 100}, headers=AUTH).json()["results"]
    assert "alice.admin@example.com" not in [o["email"] for o in active]
    gone = requests.get(f"{hs}/crm/v3/owners/", params={"archived": "true"}, headers=AUTH).json()["results"]
    assert [o["id"] for o in gone] == [alice.json()["id"]]
    assert requests.delete(f"{hs}{H}/owners/{alice.json()['id']}").status_code == 404  # already inactive
    # the control API answers on the Salesforce port too (same sandbox)
    other = requests.post(f"{api.salesforce_url}{H}/owners", json={"email": "via.sf.port@example.com"})
    assert other.status_code == 201
    # OAuth: an admin-issued code exchanges for a token that works until the admin expires it
    code = requests.post(f"{hs}{H}/oauth/authorize", json={}).json()["code"]
    token = requests.post(
        f"{hs}/oauth/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{hs}/crm/v3/owners/", headers=bearer).status_code == 200
    assert requests.post(f"{hs}{H}/oauth/expire", json={"token": token, "seconds_ago": 3}).status_code == 200
    expired = requests.get(f"{hs}/crm/v3/owners/", headers=bearer)
    assert expired.status_code == 401 and expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    # webhooks: subscribe, list deliveries, flush
    sub = requests.post(f"{hs}{H}/webhooks/subscriptions", json={"eventType": "deal.creation"})
    assert sub.status_code == 201 and sub.json()["eventType"] == "deal.creation"
    assert requests.get(f"{hs}{H}/webhooks/deliveries").json() == {"pending": 0, "deliveries": []}
    assert requests.post(f"{hs}{H}/webhooks/flush").json()["attempted"] == 0
    # lists: processing delay
    delay = requests.put(f"{hs}{H}/lists/processing-delay", json={"seconds": 30})
    assert delay.status_code == 200 and sandbox.backend("hubspot").lists.processing_delay_ms == 30_000
    # bad bodies are the control API's plain 400, not a 500
    for path, body in (
        ("/owners", {"firstName": "x"}),
        ("/oauth/expire", {"token": 5}),
        ("/webhooks/subscriptions", {"eventType": "contact.bogus"}),
        ("/lists/processing-delay", {"seconds": -1}),
    ):
        resp = requests.post(f"{hs}{H}{path}", json=body)
        assert resp.status_code == 400 and resp.json()["status"] == 400, path
    # control calls are not API calls: the journal only has the emulated API's requests
    assert not [e for e in sandbox.journal.entries() if e.path.startswith("/_hubforce")]
    assert [e.path for e in sandbox.journal.entries()].count("/crm/v3/owners/") == 5


class _Receiver(BaseHTTPRequestHandler):
    """Collects deliveries; on request, calls the fake back *during* the delivery (the sandbox lock
    must be free by then, or this would hang until the delivery timed out)."""

    received: list[tuple[dict[str, str], bytes, int | None]] = []
    callback_url: str | None = None

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = None
        if _Receiver.callback_url:
            object_id = json.loads(body)[0]["objectId"]
            status = requests.get(
                f"{_Receiver.callback_url}/{object_id}", headers=AUTH, timeout=3
            ).status_code
        _Receiver.received.append((dict(self.headers), body, status))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.received, _Receiver.callback_url = [], None
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()


def test_contact_create_delivers_a_signed_webhook_without_an_explicit_flush(
    hs: Any, live: Any, sandbox: Any, receiver: str
) -> None:
    sandbox.clock.unfreeze()  # the SDK's v3 check compares the timestamp with the wall clock
    _Receiver.callback_url = f"{live.hubspot_url}/crm/v3/objects/contacts"
    for body in (
        {"eventType": "contact.creation", "targetUrl": receiver},
        {"eventType": "contact.propertyChange", "propertyName": "firstname"},
    ):
        assert requests.post(f"{live.hubspot_url}{H}/webhooks/subscriptions", json=body).status_code == 201

    created = hs.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "hook@example.com", "firstname": "Ann"})
    )
    # delivered by the time the API call returned (after_request), before any flush
    assert len(_Receiver.received) == 1
    headers, raw, callback_status = _Receiver.received[0]
    assert callback_status == 200  # the receiver read the new contact back mid-delivery: no deadlock
    events = json.loads(raw)
    assert [(e["subscriptionType"], e.get("propertyValue")) for e in events] == [
        ("contact.creation", None),
        ("contact.propertyChange", "Ann"),
    ]
    assert {e["objectId"] for e in events} == {int(created.id)}
    text = raw.decode()
    assert Signature.is_valid(headers["X-HubSpot-Signature"], CLIENT_SECRET, text, signature_version="v1")
    assert Signature.is_valid(
        headers["X-HubSpot-Signature-v3"],
        CLIENT_SECRET,
        text,
        http_uri=receiver,
        signature_version="v3",
        timestamp=headers["X-HubSpot-Request-Timestamp"],
    )
    hs.crm.contacts.basic_api.update(created.id, SimplePublicObjectInput(properties={"firstname": "Anna"}))
    assert json.loads(_Receiver.received[1][1])[0]["propertyValue"] == "Anna"
    deliveries = requests.get(f"{live.hubspot_url}{H}/webhooks/deliveries").json()["deliveries"]
    assert [d["status"] for d in deliveries] == ["DELIVERED", "DELIVERED"]


def test_in_process_requests_deliver_webhooks_too(inprocess: Any, sandbox: Any, receiver: str) -> None:
    # The in-process transport passes non-fake URLs through, so a real receiver gets the POST.
    url = f"{inprocess.hubspot_url}/crm/v3/objects/deals"
    requests.post(
        f"{inprocess.hubspot_url}{H}/webhooks/subscriptions",
        json={"eventType": "deal.creation", "targetUrl": receiver},
    )
    made = requests.post(url, json={"properties": {"dealname": "Big"}}, headers=AUTH)
    assert made.status_code == 201
    ((headers, raw, _),) = _Receiver.received
    event = json.loads(raw)[0]
    assert event["subscriptionType"] == "deal.creation" and event["objectId"] == int(made.json()["id"])
    assert Signature.is_valid(
        headers["X-HubSpot-Signature"], CLIENT_SECRET, raw.decode(), signature_version="v1"
    )


def test_concurrent_flushes_send_each_delivery_once(sandbox: Any, receiver: str) -> None:
    hooks = sandbox.backend("hubspot").webhooks
    hooks.configure(1_000_001, receiver)
    hooks.create_subscription(1_000_001, "company.creation")
    records = sandbox.backend("hubspot").records
    with sandbox.lock:
        for i in range(5):
            records.create("companies", {"name": f"C{i}"})
    threads = [threading.Thread(target=hooks.flush) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(_Receiver.received) == 1 and len(json.loads(_Receiver.received[0][1])) == 5
    assert [d.status for d in hooks.deliveries] == ["DELIVERED"]
    assert hooks.flush() == []
