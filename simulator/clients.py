"""Ready-made ways to point the official clients at the fakes.

simple-salesforce always builds https:// URLs (wire spec fact 1), so against a plain-HTTP fake pass
`session=LocalHttpSession(fake_url)`: it rewrites the fake's host and Salesforce's login hosts to
the fake, and leaves every other URL alone.

    from simple_salesforce import Salesforce
    from simulator.clients import LocalHttpSession, salesforce_client, hubspot_client
    sf = Salesforce(instance_url=URL, session_id="sandbox-session", session=LocalHttpSession(URL))
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

# A person in HubSpot's UI: not counted against the portal's API limits.
from simulator.hubspot.auth import PERSON_TOKEN as HUBSPOT_PERSON_TOKEN  # noqa: F401 - re-exported

HUBSPOT_TOKEN = "pat-local-sandbox"
SALESFORCE_SESSION_ID = "sandbox-session"
SALESFORCE_USERNAME = "integration@example.com"
SALESFORCE_PASSWORD = "sandbox"
SALESFORCE_CONSUMER_KEY = "sandbox-client"
SALESFORCE_CONSUMER_SECRET = "sandbox-secret"


class LocalHttpSession(requests.Session):
    """Routes simple-salesforce's https:// calls for the fake (and for *.salesforce.com logins) to
    the fake at `fake_url` over plain HTTP."""

    def __init__(self, fake_url: str, ca_cert: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        parts = urlsplit(fake_url)
        self._scheme = parts.scheme or "http"
        self._netloc = parts.netloc
        # The environment's proxies and CA bundle must not interfere with a local fake, so trust
        # comes from `ca_cert` (the CA `hubforce serve --tls` prints) when the fake serves HTTPS.
        self.trust_env = False
        if ca_cert is not None:
            self.verify = os.fspath(ca_cert)

    def _routes_to_fake(self, host: str) -> bool:
        return host == self._netloc or host.endswith(".salesforce.com") or host == "salesforce.com"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        text = url.decode() if isinstance(url, bytes) else url
        parts = urlsplit(text)
        if parts.scheme == "https" and self._routes_to_fake(parts.netloc):
            text = urlunsplit((self._scheme, self._netloc, parts.path, parts.query, parts.fragment))
        return super().request(method, text, *args, **kwargs)


def salesforce_client(fake_url: str, ca_cert: str | os.PathLike[str] | None = None, **kwargs: Any) -> Any:
    """A simple_salesforce.Salesforce on the fake with the default session (or pass login kwargs);
    `ca_cert`: the CA to trust when the fake serves HTTPS (`hubforce serve --tls`)."""
    from simple_salesforce import Salesforce

    if not ({"username", "consumer_key", "session_id"} & set(kwargs)):
        kwargs["session_id"] = SALESFORCE_SESSION_ID
    if "session_id" in kwargs:
        kwargs.setdefault("instance_url", fake_url)
    return Salesforce(session=LocalHttpSession(fake_url, ca_cert), **kwargs)


def hubspot_client(
    fake_url: str, access_token: str = HUBSPOT_TOKEN, ca_cert: str | os.PathLike[str] | None = None, **kwargs: Any
) -> Any:
    """An official hubspot.Client on the fake (`host` for the generated APIs, `base_url` for api_request).
    `ca_cert`: the CA to trust over HTTPS. The SDK's generated APIs use urllib3 directly and never
    read REQUESTS_CA_BUNDLE; they take `ssl_ca_cert` (or the process-wide SSL_CERT_FILE)."""
    import hubspot

    if ca_cert is not None:
        kwargs.setdefault("ssl_ca_cert", os.fspath(ca_cert))
    return hubspot.Client.create(access_token=access_token, host=fake_url, base_url=fake_url, **kwargs)
