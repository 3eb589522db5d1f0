"""In-process transport: `requests` traffic for the fakes' real hostnames goes straight into the
Flask apps through `responses`, without sockets. It calls the very same WSGI apps the socket server
serves, so both transports share one route table and one pipeline (moto's model).

Only `requests` is intercepted. Clients on urllib3 directly (the HubSpot SDK) need the socket server
(`simulator.core.server.serve_in_thread`).
"""

from __future__ import annotations

import re
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import responses
from werkzeug.test import EnvironBuilder, run_wsgi_app

from simulator.core.middleware import TRANSPORT_KEY, InProcessFault
from simulator.core.service import build_app

if TYPE_CHECKING:
    from flask import Flask

    from simulator.core.sandbox import Sandbox

HUBSPOT_URL = "https://api.hubapi.com"
SALESFORCE_URL = "https://hubforce-sandbox.my.salesforce.com"
# simple-salesforce and OAuth clients log in against these hosts before they know the instance.
SALESFORCE_LOGIN_URLS = ("https://login.salesforce.com", "https://test.salesforce.com")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class InProcessTransport:
    """Context manager: while active, `requests` calls to the fakes' base URLs reach the sandbox.

    Calls to any other URL pass through to the network untouched (so a test can also talk to a
    socket server on 127.0.0.1)."""

    def __init__(
        self,
        sandbox: Sandbox,
        hubspot_url: str = HUBSPOT_URL,
        salesforce_url: str = SALESFORCE_URL,
        salesforce_login_urls: tuple[str, ...] = SALESFORCE_LOGIN_URLS,
    ) -> None:
        self.sandbox = sandbox
        self.hubspot_url = hubspot_url.rstrip("/")
        self.salesforce_url = salesforce_url.rstrip("/")
        self.apps: dict[str, Flask] = {
            "hubspot": build_app(sandbox, sandbox.services["hubspot"]),
            "salesforce": build_app(sandbox, sandbox.services["salesforce"]),
        }
        self._bases: list[tuple[str, Flask]] = [(self.hubspot_url, self.apps["hubspot"]), (self.salesforce_url, self.apps["salesforce"])]
        self._bases += [(u.rstrip("/"), self.apps["salesforce"]) for u in salesforce_login_urls]
        self._mock: responses.RequestsMock | None = None

    def __enter__(self) -> InProcessTransport:
        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        mock.__enter__()
        for base, app in self._bases:
            pattern = re.compile(re.escape(base) + r"(?:[/?].*)?$")
            for method in METHODS:
                mock.add_callback(method, pattern, callback=self._callback(app, base))
        mock.add_passthru(re.compile(r"https?://(?!" + "|".join(re.escape(urlsplit(b).netloc) for b, _ in self._bases) + r")"))
        self._mock = mock
        return self

    def mount(self, base_url: str, app: Any) -> None:
        """Route `requests` calls to `base_url` to any WSGI app while the transport is active: a
        webhook receiver, say, so the HubSpot fake's deliveries reach it without a socket."""
        base = base_url.rstrip("/")
        self._bases.append((base, app))
        if self._mock is not None:
            pattern = re.compile(re.escape(base) + r"(?:[/?].*)?$")
            for method in METHODS:
                self._mock.add_callback(method, pattern, callback=self._callback(app, base))

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._mock is not None:
            self._mock.__exit__(exc_type, exc, tb)
            self._mock = None

    @staticmethod
    def _callback(app: Flask, base: str) -> Any:
        def handle(req: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
            url = urlsplit(req.url or "")
            body = req.body
            if isinstance(body, str):
                body = body.encode("utf-8")
            elif body is not None and not isinstance(body, bytes):
                body = b"".join(body)  # a generator body (streamed upload)
            builder = EnvironBuilder(
                path=url.path or "/", base_url=f"{url.scheme}://{url.netloc}", method=req.method or "GET",
                headers=dict(req.headers), data=body or b"", query_string=url.query,
            )
            environ = builder.get_environ()
            environ[TRANSPORT_KEY] = "inprocess"
            try:
                app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
            except InProcessFault as fault:
                if fault.rule.action == "timeout":
                    raise requests.exceptions.ReadTimeout(f"hubforce fault {fault.rule.id}: read timed out", request=req) from None
                raise requests.exceptions.ConnectionError(
                    f"hubforce fault {fault.rule.id}: connection aborted", request=req) from None
            data = b"".join(app_iter)
            out = {k: v for k, v in headers.items() if k.lower() not in ("content-length",)}
            return int(status.split(" ", 1)[0]), out, data

        return handle
