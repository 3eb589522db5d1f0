"""Issue 17 bug 13: a burst of concurrent connections from one client (what Node's fetch does) is
answered in full by the served fakes: every request gets a response or a 429, none is reset."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from hubforce.testing.burst import burst
from simulator import Sandbox
from simulator.clients import HUBSPOT_TOKEN
from simulator.core.server import ServerHandle, serve_in_thread

N = 300


@pytest.fixture(scope="module")
def handle() -> Iterator[ServerHandle]:
    with serve_in_thread(Sandbox(seed=3, virtual_clock=False)) as h:
        yield h


def test_a_burst_of_concurrent_connections_to_hubspot_gets_no_reset(handle: ServerHandle) -> None:
    r = requests.post(
        f"{handle.hubspot_url}/crm/v3/objects/contacts",
        json={"properties": {"email": "burst@example.com"}},
        headers={"Authorization": f"Bearer {HUBSPOT_TOKEN}"},
        timeout=10,
    )
    b = burst(handle.hubspot_url, f"/crm/v3/objects/contacts/{r.json()['id']}", N)
    assert not b.failures, b.failures
    assert b.ok(N), b.statuses
    assert b.statuses[200] >= 1
    assert b.seconds < 30  # with a backlog of 5 this took minutes (SYN retransmits)


def test_a_burst_to_salesforce_gets_no_reset(handle: ServerHandle) -> None:
    b = burst(handle.salesforce_url, "/services/data/v59.0/limits", N, token="sandbox-session")
    assert not b.failures, b.failures
    assert b.ok(N), b.statuses
