"""`serve --tls`: HTTPS with a generated local CA that clients trust via verify=/REQUESTS_CA_BUNDLE."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from simulator import Sandbox
from simulator.core.server import serve_in_thread


def test_tls_server_is_trusted_through_its_ca(tmp_path: Path) -> None:
    with serve_in_thread(Sandbox(seed=1), tls_dir=tmp_path) as handle:
        assert handle.tls is not None and handle.hubspot_url.startswith("https://")
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE on this machine would override verify=
        r = session.get(f"{handle.salesforce_url}/_hubforce/clock", verify=str(handle.tls.ca_cert))
        assert r.status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            session.get(f"{handle.salesforce_url}/_hubforce/clock", verify=True)


# --- issue 13: what the README tells users to do over TLS, per client --------------------------------
def test_ca_is_kept_across_restarts_and_keys_are_private(tmp_path: Path) -> None:
    import hashlib
    import stat

    with serve_in_thread(Sandbox(seed=1), tls_dir=tmp_path / "tls") as first:
        assert first.tls is not None and first.tls.ca_cert.is_absolute()
        fingerprint = hashlib.sha256(first.tls.ca_cert.read_bytes()).hexdigest()
        keys = [first.tls.server_key, first.tls.ca_cert.with_suffix(".key")]
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    with serve_in_thread(Sandbox(seed=1), tls_dir=tmp_path / "tls") as again:
        assert again.tls is not None
        assert hashlib.sha256(again.tls.ca_cert.read_bytes()).hexdigest() == fingerprint  # trusted once, trusted still
        r = requests.get(f"{again.salesforce_url}/_hubforce/clock", verify=str(again.tls.ca_cert))
        assert r.status_code == 200


def test_ipv6_loopback_is_covered_and_printed_with_brackets(tmp_path: Path) -> None:
    with serve_in_thread(Sandbox(seed=1), host="::1", tls_dir=tmp_path) as handle:
        assert handle.hubspot_url.startswith("https://[::1]:")
        assert handle.tls is not None
        session = requests.Session()
        session.trust_env = False
        assert session.get(f"{handle.hubspot_url}/_hubforce/clock", verify=str(handle.tls.ca_cert)).status_code == 200


def test_each_official_client_over_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hubspot
    import urllib3
    from simple_salesforce import Salesforce
    from simple_salesforce.login import SalesforceLogin

    from simulator.clients import (
        SALESFORCE_PASSWORD,
        SALESFORCE_USERNAME,
        LocalHttpSession,
        hubspot_client,
        salesforce_client,
    )

    with serve_in_thread(Sandbox(seed=1), tls_dir=tmp_path) as handle:
        assert handle.tls is not None
        ca = str(handle.tls.ca_cert)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca)
        # The HubSpot SDK's generated APIs talk urllib3 directly: REQUESTS_CA_BUNDLE does not reach
        # them (the README used to say it did, and users got CERTIFICATE_VERIFY_FAILED) ...
        plain = hubspot.Client.create(access_token="pat-local-sandbox", host=handle.hubspot_url, retry=urllib3.Retry(0))
        with pytest.raises(urllib3.exceptions.MaxRetryError, match="CERTIFICATE_VERIFY_FAILED"):
            plain.crm.contacts.basic_api.get_page(limit=1)
        # ... `ssl_ca_cert` does, and hubspot_client(url, ca_cert=...) passes it.
        hs = hubspot.Client.create(access_token="pat-local-sandbox", host=handle.hubspot_url, ssl_ca_cert=ca)
        assert hs.crm.contacts.basic_api.get_page(limit=1).results == []
        assert hubspot_client(handle.hubspot_url, ca_cert=ca).crm.contacts.basic_api.get_page(limit=1).results == []
        # simple-salesforce uses requests: REQUESTS_CA_BUNDLE works with its own session, and the
        # SOAP login needs no custom session either (scratch_url points the login at the fake).
        session_id, instance = SalesforceLogin(
            username=SALESFORCE_USERNAME, password=SALESFORCE_PASSWORD, security_token="", scratch_url=handle.salesforce_url
        )
        sf = Salesforce(session_id=session_id, instance=instance)
        assert sf.query("SELECT Id FROM Lead")["totalSize"] == 0
        # The sandbox's helpers take the CA too (their sessions ignore the environment on purpose).
        assert salesforce_client(handle.salesforce_url, ca_cert=ca).query("SELECT Id FROM Lead")["totalSize"] == 0
        assert LocalHttpSession(handle.salesforce_url, ca).get(f"{handle.salesforce_url}/services/data/").status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            LocalHttpSession(handle.salesforce_url).get(f"{handle.salesforce_url}/services/data/")
