"""Webhooks as HubSpot runs them (issue 13): subscriptions belong to the developer account's app,
and the served sender delivers and retries on its own schedule, not when an API call arrives."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import requests

from simulator import Sandbox
from simulator.core.server import serve_in_thread
from simulator.hubspot.webhook_timer import DeliveryTimer

APP = 1_000_001
KEY = "hapikey=sandbox-developer-key"


def test_an_unknown_app_id_is_refused(api: Any, sandbox: Sandbox) -> None:
    # The management API lives under /webhooks/v3/{appId}/..., authenticated with the developer
    # account's key (developers.hubspot.com/docs/api/webhooks, "Webhook settings" and
    # "Subscriptions"): an app id that is not one of that account's apps has no settings and no
    # subscriptions to manage. Before, `webhooks-subscribe --app-id 42` succeeded and every change
    # was then delivered twice (once per app). Status and wording are this sandbox's reading.
    base = f"{api.hubspot_url}/webhooks/v3"
    for method, path, body in (
        ("PUT", "/42/settings", {"targetUrl": "https://hooks.example.test/x"}),
        ("GET", "/42/settings", None),
        ("POST", "/42/subscriptions", {"eventType": "contact.creation"}),
        ("GET", "/42/subscriptions", None),
    ):
        r = requests.request(method, f"{base}{path}?{KEY}", json=body)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["category"] == "OBJECT_NOT_FOUND" and "App 42" in r.json()["message"]
    ok = requests.post(f"{base}/{APP}/subscriptions?{KEY}", json={"eventType": "contact.creation"})
    assert ok.status_code == 201
    sandbox.update_settings("hubspot", {"developer_app_ids": [APP, 42]})  # a second app of the account
    assert requests.get(f"{base}/42/subscriptions?{KEY}").json() == {"results": []}


class _Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    seen: list[float] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        _Receiver.seen.append(time.monotonic())
        status = _Receiver.answers.pop(0) if _Receiver.answers else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.answers, _Receiver.seen = [], []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()
    thread.join(timeout=5)


def _wait_for(check: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_the_served_sender_delivers_and_retries_on_its_own_schedule(receiver: str) -> None:
    # HubSpot's sender retries failed deliveries on its own backoff schedule (webhooks guide,
    # "Retries"): it does not wait for the portal's next API call. Reported before this change: a
    # retry due at 15:48:16 still waited at 15:48:31 until an unrelated GET arrived.
    sandbox = Sandbox(seed=4)
    sandbox.update_settings("hubspot", {"webhook_delivery": "timer"})
    hooks = sandbox.backend("hubspot").webhooks
    hooks.configure(APP, receiver)
    hooks.create_subscription(APP, "contact.creation")
    _Receiver.answers = [500]  # the first attempt fails
    with serve_in_thread(sandbox) as handle, DeliveryTimer(sandbox, tick_seconds=0.05):
        r = requests.post(f"{handle.hubspot_url}/crm/v3/objects/contacts", json={"properties": {"email": "t@ex.com"}},
                          headers={"Authorization": "Bearer pat-local-sandbox"})
        assert r.status_code == 201
        assert _wait_for(lambda: len(_Receiver.seen) == 1)
        delivery = hooks.deliveries[0]
        assert _wait_for(lambda: delivery.status == "RETRYING")
        time.sleep(0.3)
        assert len(_Receiver.seen) == 1  # not due yet: 1 minute of sandbox time
        with sandbox.lock:
            sandbox.clock.advance(61)  # the clock alone, no API call and no control-API flush
        assert _wait_for(lambda: delivery.status == "DELIVERED")
        assert len(_Receiver.seen) == 2 and [h["attemptNumber"] for h in delivery.history] == [0, 1]


def test_request_mode_leaves_delivery_to_the_api_call(receiver: str) -> None:
    """In-process default: nothing is sent in the background (deterministic tests flush explicitly)."""
    sandbox = Sandbox(seed=4)
    assert sandbox.settings["hubspot"]["webhook_delivery"] == "request"
    hooks = sandbox.backend("hubspot").webhooks
    hooks.configure(APP, receiver)
    hooks.create_subscription(APP, "contact.creation")
    sandbox.backend("hubspot").records.create("contacts", {"email": "quiet@ex.com"})
    time.sleep(0.3)
    assert _Receiver.seen == [] and len(hooks.pending) == 1
    hooks.flush()
    assert len(_Receiver.seen) == 1


def test_merge_event_names_the_old_primary_the_merged_and_the_new_record() -> None:
    # contact.merge carries primaryObjectId, mergedObjectIds and newObjectId (webhooks guide); with
    # merges into a new record (developer changelog "Updated merge functionality for contacts and
    # companies") newObjectId differs from the primary.
    sandbox = Sandbox(seed=4)
    backend = sandbox.backend("hubspot")
    hooks = backend.webhooks
    hooks.configure(APP, "https://hooks.example.test/x")
    hooks.create_subscription(APP, "contact.merge")
    a = backend.records.create("contacts", {"email": "a@ex.com"})
    b = backend.records.create("contacts", {"email": "b@ex.com"})
    new = backend.records.merge("contacts", a.id, b.id)
    [(_, event)] = hooks.pending
    assert (event["primaryObjectId"], event["mergedObjectIds"], event["newObjectId"]) == (int(a.id), [int(b.id)], int(new.id))
