"""HubSpot test fixtures: the official client on either transport.

The HubSpot SDK talks to urllib3 directly; `InProcessTransport` routes urllib3 requests for the
fake's hostname into the very same Flask app (same route table, middleware, journal and faults)
without a socket, as it does for `requests`; everything else goes to the network as usual.

`hs_url` is parametrized over ["inprocess", "socket"], and `hs` (overriding the socket-only root
fixture) is the official client, unmodified, on it: every client test here runs on both transports.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simulator import Sandbox
from simulator.clients import hubspot_client
from simulator.core.inprocess import HUBSPOT_URL, InProcessTransport


@pytest.fixture(params=["inprocess", "socket"])
def hs_url(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[str]:
    """A HubSpot base URL the official client reaches: the in-process urllib3 router (at the SDK's
    default https://api.hubapi.com), then the socket server."""
    if request.param == "socket":
        yield request.getfixturevalue("live").hubspot_url
        return
    with InProcessTransport(sandbox):  # routes urllib3 (the SDK's transport) as well as requests
        yield HUBSPOT_URL


@pytest.fixture
def hs(hs_url: str) -> Any:
    """Overrides tests/conftest.py's socket-only `hs` for this folder: every HubSpot test that uses
    the official client runs on both transports."""
    return hubspot_client(hs_url)


@pytest.fixture
def hs_both(hs: Any) -> Any:
    """The same client, for tests that say explicitly that they mean both transports."""
    return hs
