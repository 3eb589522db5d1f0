"""Shared fixtures.

- `sandbox`: a freshly reset sandbox (seed 1234, virtual clock at its default start).
- `live`: both fakes on real sockets (one server for the whole session, reset per test).
- `inprocess`: `requests` routed to the fakes without sockets.
- `api`: parametrized over both transports, for tests that use `requests` — the same test runs
  in-process and over HTTP (moto's "run the suite twice").
- `hs`: the official hubspot-api-client on the live fake; `sf`: simple-salesforce on the live fake.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from simulator import Sandbox
from simulator.clients import hubspot_client, salesforce_client
from simulator.core.clock import DEFAULT_VIRTUAL_START
from simulator.core.inprocess import InProcessTransport
from simulator.core.server import ServerHandle, serve_in_thread

TEST_SEED = 1234


@pytest.fixture(scope="session")
def _shared_sandbox() -> Sandbox:
    return Sandbox(seed=TEST_SEED)


@pytest.fixture(scope="session")
def _server(_shared_sandbox: Sandbox) -> Iterator[ServerHandle]:
    handle = serve_in_thread(_shared_sandbox)
    yield handle
    handle.stop()


@pytest.fixture
def sandbox(_shared_sandbox: Sandbox) -> Sandbox:
    _shared_sandbox.reset(TEST_SEED)
    _shared_sandbox.clock.set(DEFAULT_VIRTUAL_START)
    return _shared_sandbox


@pytest.fixture
def live(sandbox: Sandbox, _server: ServerHandle) -> ServerHandle:
    return _server


@pytest.fixture
def inprocess(sandbox: Sandbox) -> Iterator[InProcessTransport]:
    with InProcessTransport(sandbox) as transport:
        yield transport


@dataclass
class Api:
    transport: str
    hubspot_url: str
    salesforce_url: str


@pytest.fixture(params=["inprocess", "socket"])
def api(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[Api]:
    if request.param == "socket":
        server: ServerHandle = request.getfixturevalue("_server")
        yield Api("socket", server.hubspot_url, server.salesforce_url)
    else:
        with InProcessTransport(sandbox) as t:
            yield Api("inprocess", t.hubspot_url, t.salesforce_url)


@pytest.fixture
def hs(live: ServerHandle):  # noqa: ANN201 - hubspot.Client
    return hubspot_client(live.hubspot_url)


@pytest.fixture
def sf(live: ServerHandle):  # noqa: ANN201 - simple_salesforce.Salesforce
    return salesforce_client(live.salesforce_url)
