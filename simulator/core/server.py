"""Socket transport: the fakes on a real threaded WSGI server (cheroot), optionally over TLS with a
locally generated CA. Used by `hubforce serve` and by tests that need real sockets (the HubSpot SDK
talks urllib3 directly, so `responses` cannot reach it)."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cheroot import wsgi

from simulator.core.service import build_app
from simulator.core.tls import TlsFiles, make_tls_files, url_host

if TYPE_CHECKING:
    from simulator.core.sandbox import Sandbox


# The listening socket's backlog. cheroot's default (5) makes the kernel drop or reset connections
# beyond it when a client opens many at once (Node's fetch: one connection per request in flight),
# where the real APIs answer each one or refuse it with a 429 (issue 17, bug 13). The kernel caps it
# at net.core.somaxconn (4096 on current Linux).
LISTEN_BACKLOG = 4096


@dataclass
class ServerHandle:
    hubspot_url: str
    salesforce_url: str
    tls: TlsFiles | None = None
    _servers: list[wsgi.Server] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _quiet_error_log(original: Callable[..., None]) -> Callable[..., None]:
    """Injected 'drop' faults abort a response on purpose; don't print a traceback for each."""

    def error_log(msg: str = "", level: int = 20, traceback: bool = False) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionAbortedError) and "hubforce fault" in str(exc):
            return
        original(msg, level, traceback)

    return error_log


def _start(app: object, host: str, port: int, tls: TlsFiles | None, threads: int) -> tuple[wsgi.Server, threading.Thread, int]:
    server = wsgi.Server(
        (host, port), app, numthreads=threads, server_name="hubforce", request_queue_size=LISTEN_BACKLOG
    )
    server.error_log = _quiet_error_log(server.error_log)  # type: ignore[method-assign]
    if tls is not None:
        from cheroot.ssl.builtin import BuiltinSSLAdapter

        server.ssl_adapter = BuiltinSSLAdapter(str(tls.server_cert), str(tls.server_key))
    server.prepare()
    bound_port = int(server.bind_addr[1])  # type: ignore[index]
    thread = threading.Thread(target=server.serve, name=f"hubforce-{bound_port}", daemon=True)
    thread.start()
    return server, thread, bound_port


def serve_in_thread(
    sandbox: Sandbox,
    host: str = "127.0.0.1",
    hubspot_port: int = 0,
    salesforce_port: int = 0,
    tls_dir: Path | None = None,
    threads: int = 8,
) -> ServerHandle:
    """Start both fakes on `host` (port 0 = a free port) in daemon threads; returns their URLs."""
    tls = make_tls_files(tls_dir) if tls_dir is not None else None
    scheme = "https" if tls else "http"
    handle = ServerHandle(hubspot_url="", salesforce_url="", tls=tls)
    urls = {}
    for name, port in (("hubspot", hubspot_port), ("salesforce", salesforce_port)):
        app = build_app(sandbox, sandbox.services[name])
        try:
            server, thread, bound = _start(app, host, port, tls, threads)
        except BaseException:
            handle.stop()  # the first fake's workers would otherwise keep the process alive
            raise
        handle._servers.append(server)
        handle._threads.append(thread)
        urls[name] = f"{scheme}://{url_host(host)}:{bound}"
    handle.hubspot_url, handle.salesforce_url = urls["hubspot"], urls["salesforce"]
    return handle
