"""The webhook receiver served on a socket by sync.webhook_server (standard library): slow or idle
clients cannot starve it (issue 17 bug 11) and a body it cannot use is a 400 (bug 10)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from hubspot.utils.signature import Signature

from sync import webhook_server
from sync.settings import WebhookSettings
from sync.state.store import StateStore
from sync.webhook_server import ReceiverServer
from sync.webhooks import WebhookReceiver

SECRET = "app-secret"
BODY = '[{"objectId":101,"subscriptionType":"contact.creation","occurredAt":1767225599000}]'


@pytest.fixture()
def server(state_url: str) -> Iterator[ReceiverServer]:
    store = StateStore(state_url)
    receiver = WebhookReceiver(WebhookSettings(client_secret=SECRET), store, lambda: datetime.now(UTC))
    srv = ReceiverServer(receiver, "127.0.0.1", 0).start()
    try:
        yield srv
    finally:
        srv.stop()


def _post(srv: ReceiverServer, body: str, timeout: float = 10.0) -> requests.Response:
    stamp = str(int(time.time() * 1000))
    url = f"http://127.0.0.1:{srv.port}/hubspot/webhooks"
    sig = Signature.get_signature(SECRET, body, "v3", url, "POST", stamp)
    headers = {
        "X-HubSpot-Signature-v3": sig,
        "X-HubSpot-Request-Timestamp": stamp,
        "Content-Type": "application/json",
    }
    return requests.post(url, data=body.encode(), headers=headers, timeout=timeout)


def test_half_open_and_idle_connections_do_not_delay_a_delivery(server: ReceiverServer) -> None:
    stalled = []
    for i in range(6):
        s = socket.create_connection(("127.0.0.1", server.port))
        if i % 2:  # headers promising a body that never comes
            s.sendall(b"POST /hubspot/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n[{")
        else:  # connected, nothing sent
            pass
        stalled.append(s)
    try:
        time.sleep(0.2)
        start = time.monotonic()
        resp = _post(server, BODY, timeout=5)
        took = time.monotonic() - start
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"received": 1, "queued": 1}
        assert took < 1.0, f"a valid delivery waited {took:.2f} s behind idle connections"
    finally:
        for s in stalled:
            s.close()


def test_an_idle_connection_is_closed_after_the_read_timeout(
    server: ReceiverServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook_server._Handler, "timeout", 0.5)
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.settimeout(5)
        s.sendall(b"POST /hubspot/webhooks HTTP/1.1\r\nHost: x\r\n")  # and then nothing
        start = time.monotonic()
        data = s.recv(4096)
        while data:
            data = s.recv(4096)
        assert time.monotonic() - start < 3.0  # closed by the server, not by our 5 s timeout


def test_a_signed_deeply_nested_body_is_a_400_not_a_500(server: ReceiverServer) -> None:
    resp = _post(server, "[" * 100_000 + "]" * 100_000)
    assert resp.status_code == 400, resp.text
    assert "nested too deeply" in resp.json()["error"]
    assert _post(server, BODY).status_code == 200  # and the receiver still serves


def test_bad_content_length_and_oversized_bodies_are_refused(server: ReceiverServer) -> None:
    for length, status in ((b"many", b"400"), (str(10 * 1024 * 1024).encode(), b"413")):
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.settimeout(5)
            s.sendall(b"POST /hubspot/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 " + status)
    url = f"http://127.0.0.1:{server.port}/hubspot/webhooks"
    assert requests.get(url, timeout=5).status_code == 405
