"""HubSpot test fixtures: the official client on either transport.

`responses` (the in-process transport of tests/conftest.py) only intercepts `requests`; the HubSpot
SDK talks to urllib3 directly. `UrllibInProcess` is the same idea one layer down: while active, urllib3
requests for the fake's hostname go into the very same Flask app (same route table, middleware,
journal and faults) without a socket; everything else goes to the network as usual.

`hs_url` is parametrized over ["inprocess", "socket"], and `hs` (overriding the socket-only root
fixture) is the official client, unmodified, on it: every client test here runs on both transports.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import pytest
import urllib3
from werkzeug.test import EnvironBuilder, run_wsgi_app

from simulator import Sandbox
from simulator.clients import hubspot_client
from simulator.core.inprocess import HUBSPOT_URL
from simulator.core.middleware import TRANSPORT_KEY, InProcessFault
from simulator.core.service import build_app


class UrllibInProcess:
    """Context manager: urllib3 calls to `base_url` are answered by the sandbox's HubSpot app."""

    def __init__(self, sandbox: Sandbox, base_url: str = HUBSPOT_URL) -> None:
        self.app = build_app(sandbox, sandbox.services["hubspot"])
        self.base_url = base_url.rstrip("/")
        self._netloc = urlsplit(self.base_url).netloc
        self._original: Any = None

    def __enter__(self) -> UrllibInProcess:
        original = self._original = urllib3.PoolManager.urlopen
        router = self

        def urlopen(
            pool: urllib3.PoolManager, method: str, url: str, redirect: bool = True, **kw: Any
        ) -> Any:
            if urlsplit(url).netloc != router._netloc:
                return original(pool, method, url, redirect, **kw)
            return router._call(method, url, kw)

        urllib3.PoolManager.urlopen = urlopen  # type: ignore[method-assign]
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        urllib3.PoolManager.urlopen = self._original  # type: ignore[method-assign]

    def _call(self, method: str, url: str, kw: dict[str, Any]) -> urllib3.HTTPResponse:
        parts = urlsplit(url)
        body = kw.get("body")
        if isinstance(body, str):
            body = body.encode("utf-8")
        environ = EnvironBuilder(
            path=parts.path or "/",
            base_url=f"{parts.scheme}://{parts.netloc}",
            method=method,
            headers=dict(kw.get("headers") or {}),
            data=body or b"",
            query_string=parts.query,
        ).get_environ()
        environ[TRANSPORT_KEY] = "inprocess"
        try:
            app_iter, status, headers = run_wsgi_app(self.app, environ, buffered=True)
        except InProcessFault as fault:  # injected timeout / dropped connection, as urllib3 would see it
            if fault.rule.action == "timeout":
                raise urllib3.exceptions.ReadTimeoutError(
                    None, url, "hubforce fault: read timed out"
                ) from None  # type: ignore[arg-type]
            raise urllib3.exceptions.ProtocolError("hubforce fault: connection aborted") from None
        code, _, reason = status.partition(" ")
        return urllib3.HTTPResponse(
            body=io.BytesIO(b"".join(app_iter)),
            headers=dict(headers),
            status=int(code),
            reason=reason,
            preload_content=kw.get("preload_content", True),
            decode_content=True,
            request_method=method,
            request_url=url,
        )


@pytest.fixture(params=["inprocess", "socket"])
def hs_url(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[str]:
    """A HubSpot base URL the official client reaches: the in-process urllib3 router (at the SDK's
    default https://api.hubapi.com), then the socket server."""
    if request.param == "socket":
        yield request.getfixturevalue("live").hubspot_url
        return
    with UrllibInProcess(sandbox):
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
