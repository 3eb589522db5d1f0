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
