"""In-process transport: `requests` traffic for the fakes' real hostnames goes straight into the
Flask apps through `responses`, without sockets. It calls the very same WSGI apps the socket server
serves, so both transports share one route table and one pipeline (moto's model).

`requests` is intercepted by `responses`; clients that talk urllib3 directly (the HubSpot SDK) are
routed one layer down, by wrapping `urllib3.PoolManager.urlopen` for the same base URLs. Any other
URL goes to the network untouched on both layers.
"""

from __future__ import annotations

import io
import re
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import responses
import urllib3
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
        self._by_netloc: dict[str, Any] = {}
        for base, app in self._bases:
            self._by_netloc.setdefault(urlsplit(base).netloc, app)
        self._mock: responses.RequestsMock | None = None
        self._urlopen: Any = None
        self._environ_proxies: Any = None

    def __enter__(self) -> InProcessTransport:
        self._patch_urllib3()
        self._patch_environ_proxies()
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
        self._by_netloc.setdefault(urlsplit(base).netloc, app)
        if self._mock is not None:
            pattern = re.compile(re.escape(base) + r"(?:[/?].*)?$")
            for method in METHODS:
                self._mock.add_callback(method, pattern, callback=self._callback(app, base))

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._mock is not None:
            self._mock.__exit__(exc_type, exc, tb)
            self._mock = None
        if self._urlopen is not None:
            urllib3.PoolManager.urlopen = self._urlopen  # type: ignore[method-assign]
            self._urlopen = None
        if self._environ_proxies is not None:
            requests.sessions.get_environ_proxies = self._environ_proxies
            self._environ_proxies = None

    # --- urllib3 (the HubSpot SDK) ------------------------------------------------------------
    def _patch_urllib3(self) -> None:
        original = self._urlopen = urllib3.PoolManager.urlopen
        transport = self

        def urlopen(pool: urllib3.PoolManager, method: str, url: str, redirect: bool = True, **kw: Any) -> Any:
            app = transport._app_for(url)
            if app is None:
                return original(pool, method, url, redirect, **kw)
            return _urllib3_call(app, method, url, kw)

        urllib3.PoolManager.urlopen = urlopen  # type: ignore[method-assign]

    def _app_for(self, url: str) -> Any:
        return self._by_netloc.get(urlsplit(url).netloc)

    # --- requests' proxy lookup -----------------------------------------------------------------
    def _patch_environ_proxies(self) -> None:
        """A session that trusts the environment looks up proxy settings for every request, walking
        os.environ twice (a sizeable share of an in-process call). A request to an in-process host
        never reaches a network, so no proxy applies to it: answer "none" for those hosts only;
        every other host keeps the normal lookup."""
        original = self._environ_proxies = requests.sessions.get_environ_proxies
        transport = self

        def get_environ_proxies(url: str, no_proxy: str | None = None) -> dict[str, str]:
            if transport._app_for(url) is not None:
                return {}
            return original(url, no_proxy=no_proxy)

        requests.sessions.get_environ_proxies = get_environ_proxies

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


def _urllib3_call(app: Any, method: str, url: str, kw: dict[str, Any]) -> urllib3.HTTPResponse:
    """One urllib3 request answered by a WSGI app, with injected faults raised as urllib3 would."""
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
        app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    except InProcessFault as fault:
        if fault.rule.action == "timeout":
            raise urllib3.exceptions.ReadTimeoutError(None, url, "hubforce fault: read timed out") from None  # type: ignore[arg-type]
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
