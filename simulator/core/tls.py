"""The local CA and server certificate `serve --tls` uses.

The CA is generated once per folder and kept (its key written 0600): its fingerprint stays the same
across restarts, so a client or an OS trust store told to trust it once keeps working. The server
certificate is re-issued from it at every start (cheap) and covers 127.0.0.1, ::1 and localhost.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOSTS = ("127.0.0.1", "::1", "localhost")


@dataclass
class TlsFiles:
    ca_cert: Path
    server_cert: Path  # chain + key in one PEM
    server_key: Path


def _write_private(path: Path, data: bytes) -> None:
    """Write a private key readable by its owner only (0600), whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT


def make_tls_files(folder: Path, hosts: tuple[str, ...] = DEFAULT_HOSTS) -> TlsFiles:
    import trustme

    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = folder / "hubforce-ca.pem", folder / "hubforce-ca.key"
    if ca_cert.is_file() and ca_key.is_file():
        ca = trustme.CA.from_pem(ca_cert.read_bytes(), ca_key.read_bytes())
    else:
        ca = trustme.CA(organization_name="Hubforce local sandbox CA")
        _write_private(ca_key, ca.private_key_pem.bytes())
        ca.cert_pem.write_to_path(str(ca_cert))
    cert = ca.issue_cert(*hosts)
    files = TlsFiles(ca_cert, folder / "hubforce-server.pem", folder / "hubforce-server.key")
    cert.cert_chain_pems[0].write_to_path(str(files.server_cert))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(files.server_cert), append=True)
    _write_private(files.server_key, cert.private_key_pem.bytes())
    return files


def url_host(host: str) -> str:
    """`host` as it goes into a URL: IPv6 literals in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
