"""Webhooks: management API with the official client (developer hapikey), signed batched deliveries,
retries with backoff on the sandbox clock."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import hubspot
import pytest
import requests
import responses
from flask import Flask
from hubspot.utils.signature import Signature
from hubspot.webhooks.exceptions import ApiException, NotFoundException
from hubspot.webhooks.models import (
    BatchInputSubscriptionBatchUpdateRequest,
    SettingsChangeRequest,
    SubscriptionBatchUpdateRequest,
    SubscriptionCreateRequest,
    SubscriptionPatchRequest,
)

from simulator.core.errors import ApiError
from simulator.core.service import error_response
from simulator.hubspot.api.webhooks import admin_deliveries, admin_flush, admin_subscribe
from simulator.hubspot.events import ChangeEvent

APP = 1_000_001
TARGET = "https://receiver.example.test/hubspot"
SECRET = "sandbox-client-secret"


def admin(handler: Any, sandbox: Any, body: Any = None, method: str = "POST") -> tuple[int, Any]:
    kwargs = {"json": body} if body is not None else {}
    with Flask(__name__).test_request_context(method=method, **kwargs), sandbox.lock:
        try:
            resp = handler(sandbox)
        except ApiError as err:
            resp = error_response(err)
    return resp.status_code, resp.get_json()


def emit(sandbox: Any, kind: str, object_id: str = "101", object_type: str = "contacts", **kw: Any) -> None:
    backend = sandbox.backend("hubspot")
    backend.emit(ChangeEvent(kind, object_type, object_id, backend.now_ms(), **kw))


@pytest.fixture
def dev(live: Any) -> Any:
    return hubspot.Client.create(
        api_key="sandbox-developer-key", host=live.hubspot_url, base_url=live.hubspot_url
    )


def test_settings_and_subscriptions_management_with_the_official_client(dev: Any, live: Any) -> None:
    with pytest.raises(NotFoundException):
        dev.webhooks.settings_api.get_all(APP)
    settings = dev.webhooks.settings_api.configure(APP, SettingsChangeRequest(target_url=TARGET))
    assert settings.target_url == TARGET and settings.throttling.max_concurrent_requests == 10
    assert dev.webhooks.settings_api.get_all(APP).target_url == TARGET

    created = dev.webhooks.subscriptions_api.create(
        APP,
        SubscriptionCreateRequest(event_type="contact.propertyChange", property_name="email", active=True),
    )
    assert (
        created.event_type == "contact.propertyChange" and created.property_name == "email" and created.active
    )
    other = dev.webhooks.subscriptions_api.create(
        APP, SubscriptionCreateRequest(event_type="company.creation", active=True)
    )
    assert [s.id for s in dev.webhooks.subscriptions_api.get_all(APP).results] == [created.id, other.id]
    assert dev.webhooks.subscriptions_api.get_by_id(int(created.id), APP).property_name == "email"
    assert (
        dev.webhooks.subscriptions_api.update(
            int(created.id), APP, SubscriptionPatchRequest(active=False)
        ).active
        is False
    )
    batch = dev.webhooks.subscriptions_api.update_batch(
        APP,
        BatchInputSubscriptionBatchUpdateRequest(
            inputs=[SubscriptionBatchUpdateRequest(id=int(created.id), active=True)]
        ),
    )
    assert batch.status == "COMPLETE" and batch.results[0].active is True
    dev.webhooks.subscriptions_api.archive(int(other.id), APP)
    with pytest.raises(NotFoundException):
        dev.webhooks.subscriptions_api.get_by_id(int(other.id), APP)
    with pytest.raises(ApiException) as exc:
        dev.webhooks.subscriptions_api.create(
            APP, SubscriptionCreateRequest(event_type="contact.propertyChange", active=True)
        )
    assert exc.value.status == 400  # propertyChange needs a propertyName
    dev.webhooks.settings_api.clear(APP)
    with pytest.raises(NotFoundException):
        dev.webhooks.settings_api.get_all(APP)


def test_management_needs_the_developer_key(api: Any) -> None:
    for query in ("", "?hapikey=wrong"):
        resp = requests.get(
            f"{api.hubspot_url}/webhooks/v3/{APP}/subscriptions{query}",
            headers={"Authorization": "Bearer pat-local-sandbox"},
        )
        assert resp.status_code == 401 and resp.json()["category"] == "INVALID_AUTHENTICATION"
    assert (
        requests.get(
            f"{api.hubspot_url}/webhooks/v3/{APP}/subscriptions?hapikey=sandbox-developer-key"
        ).status_code
        == 200
    )


BAD_SUBSCRIPTIONS = [
    {"eventType": "contact.bogus"},
    {"eventType": "contact.creation", "active": "yes"},
    {"eventType": "contact.creation", "propertyName": "email"},
    [],
    "x",
]


def test_bad_subscription_requests_are_400(api: Any) -> None:
    # one test over many cases: each `api` transport is set up once, not once per case
    for body in BAD_SUBSCRIPTIONS:
        resp = requests.post(
            f"{api.hubspot_url}/webhooks/v3/{APP}/subscriptions?hapikey=sandbox-developer-key", json=body
        )
        assert resp.status_code == 400 and resp.json()["category"] == "VALIDATION_ERROR"


def test_events_are_batched_signed_and_delivered_on_flush(sandbox: Any) -> None:
    assert admin(admin_subscribe, sandbox, {"eventType": "contact.creation", "targetUrl": TARGET})[0] == 201
    assert (
        admin(admin_subscribe, sandbox, {"eventType": "contact.propertyChange", "propertyName": "email"})[0]
        == 201
    )
    for i in range(120):
        emit(sandbox, "creation", str(1000 + i))
    emit(sandbox, "propertyChange", "1000", property_name="email", property_value="a@b.com")
    emit(sandbox, "propertyChange", "1000", property_name="phone", property_value="1")  # not subscribed
    emit(sandbox, "creation", "5", object_type="companies")  # not subscribed
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, TARGET, status=204)
        status, body = admin(admin_flush, sandbox)
        assert status == 200 and body["attempted"] == 2
        calls = list(rsps.calls)
    batches = [json.loads(c.request.body) for c in calls]
    assert [len(b) for b in batches] == [100, 21]
    first = batches[0][0]
    assert (
        first["subscriptionType"] == "contact.creation"
        and first["objectId"] == 1000
        and first["attemptNumber"] == 0
    )
    assert first["portalId"] == 2_400_001 and first["appId"] == APP and first["changeFlag"] == "CREATED"
    assert first["occurredAt"] == sandbox.clock.now_ms()
    change = batches[1][-1]
    assert change["subscriptionType"] == "contact.propertyChange"
    assert (change["propertyName"], change["propertyValue"]) == ("email", "a@b.com")
    assert len({e["eventId"] for b in batches for e in b}) == 121
    req = calls[0].request
    raw = req.body.decode() if isinstance(req.body, bytes) else req.body
    assert req.headers["X-HubSpot-Signature-Version"] == "v1"
    assert Signature.is_valid(req.headers["X-HubSpot-Signature"], SECRET, raw, signature_version="v1")
    assert req.headers["X-HubSpot-Request-Timestamp"] == str(sandbox.clock.now_ms())
    expected_v3 = Signature.get_signature(
        SECRET, raw, "v3", TARGET, "POST", req.headers["X-HubSpot-Request-Timestamp"]
    )
    assert req.headers["X-HubSpot-Signature-v3"] == expected_v3
    assert admin(admin_flush, sandbox)[1]["attempted"] == 0  # nothing left


def test_v3_signature_verifies_with_the_sdk_on_a_wall_clock_sandbox(sandbox: Any) -> None:
    sandbox.clock.unfreeze()
    sandbox.update_settings("hubspot", {"webhook_target_url": TARGET})
    try:
        admin(admin_subscribe, sandbox, {"eventType": "contact.deletion"})
        emit(sandbox, "deletion", "77")
        with responses.RequestsMock() as rsps:
            rsps.add(responses.POST, TARGET, status=200)
            sandbox.backend("hubspot").webhooks.flush()
            req = rsps.calls[0].request
        raw = req.body.decode()
        assert json.loads(raw)[0]["changeFlag"] == "DELETED"
        assert Signature.is_valid(
            req.headers["X-HubSpot-Signature-v3"],
            SECRET,
            raw,
            http_uri=TARGET,
            signature_version="v3",
            timestamp=req.headers["X-HubSpot-Request-Timestamp"],
        )
    finally:
        sandbox.update_settings("hubspot", {"webhook_target_url": None})


def test_failed_deliveries_retry_with_backoff_on_the_sandbox_clock(sandbox: Any) -> None:
    admin(admin_subscribe, sandbox, {"eventType": "contact.merge", "targetUrl": TARGET})
    emit(sandbox, "merge", "10", related_ids=("11", "12"))
    hooks = sandbox.backend("hubspot").webhooks
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, TARGET, status=503)
        rsps.add(responses.POST, TARGET, body=requests.ConnectionError("refused"))
        rsps.add(responses.POST, TARGET, status=200)
        hooks.flush()
        assert hooks.deliveries[0].status == "RETRYING" and len(rsps.calls) == 1
        sandbox.clock.advance(59)
        hooks.on_clock_advanced()
        assert len(rsps.calls) == 1  # not due before 1 minute
        sandbox.clock.advance(1)
        hooks.on_clock_advanced()
        assert len(rsps.calls) == 2 and hooks.deliveries[0].status == "RETRYING"
        sandbox.clock.advance(120)  # second backoff: 2 minutes
        hooks.on_clock_advanced()
        assert len(rsps.calls) == 3
        bodies = [json.loads(c.request.body) for c in rsps.calls]
    assert [b[0]["attemptNumber"] for b in bodies] == [0, 1, 2]
    merge = bodies[2][0]
    assert merge["mergedObjectIds"] == [11, 12] and merge["primaryObjectId"] == 10
    status, listing = admin(admin_deliveries, sandbox, method="GET")
    d = listing["deliveries"][0]
    assert d["status"] == "DELIVERED" and d["attempts"] == 3
    assert [h.get("status") for h in d["history"]] == [503, None, 200] and "ConnectionError" in d["history"][
        1
    ]["error"]


def test_deliveries_give_up_after_max_attempts(sandbox: Any) -> None:
    sandbox.update_settings("hubspot", {"webhook_max_attempts": 2})
    try:
        admin(admin_subscribe, sandbox, {"eventType": "contact.restore", "targetUrl": TARGET})
        emit(sandbox, "restore", "9")
        hooks = sandbox.backend("hubspot").webhooks
        with responses.RequestsMock() as rsps:
            rsps.add(responses.POST, TARGET, status=500)
            hooks.flush()
            sandbox.clock.advance(3600)
            hooks.on_clock_advanced()
            sandbox.clock.advance(3600)
            hooks.on_clock_advanced()
            assert len(rsps.calls) == 2
        assert hooks.deliveries[0].status == "FAILED"
    finally:
        sandbox.update_settings("hubspot", {"webhook_max_attempts": 10})


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_delivery_to_a_real_local_receiver_over_a_socket(sandbox: Any) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.received = []
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        admin(admin_subscribe, sandbox, {"eventType": "company.associationChange", "targetUrl": url})
        emit(
            sandbox,
            "associationChange",
            "5",
            object_type="companies",
            related_ids=("101",),
            property_name="COMPANY_TO_CONTACT",
            property_value="false",
        )
        sandbox.backend("hubspot").webhooks.flush()
    finally:
        server.shutdown()
    headers, body = _Receiver.received[0]
    event = json.loads(body)[0]
    assert (
        event["associationType"] == "COMPANY_TO_CONTACT"
        and event["fromObjectId"] == 5
        and event["toObjectId"] == 101
    )
    assert event["associationRemoved"] is False
    assert Signature.is_valid(headers["X-HubSpot-Signature"], SECRET, body.decode(), signature_version="v1")


def test_unreachable_receiver_never_raises(sandbox: Any) -> None:
    admin(
        admin_subscribe, sandbox, {"eventType": "contact.creation", "targetUrl": "http://127.0.0.1:9/nothing"}
    )
    emit(sandbox, "creation", "1")
    attempted = sandbox.backend("hubspot").webhooks.flush()
    assert attempted[0].status == "RETRYING" and "error" in attempted[0].history[0]


def test_dispatcher_snapshot_round_trip(sandbox: Any) -> None:
    hooks = sandbox.backend("hubspot").webhooks
    admin(admin_subscribe, sandbox, {"eventType": "deal.creation", "targetUrl": TARGET})
    emit(sandbox, "creation", "3", object_type="deals")
    data = json.loads(json.dumps(hooks.dump()))
    hooks.subscriptions.clear()
    hooks.pending.clear()
    hooks.load(data)
    assert hooks.pending[0][1]["subscriptionType"] == "deal.creation" and len(hooks.subscriptions) == 1
