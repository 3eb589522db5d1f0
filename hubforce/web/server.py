"""Serving the UI on its own port beside the fakes (cheroot, like them; plain HTTP on loopback)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from cheroot import wsgi

from hubforce.web import create_app


@dataclass
class UiHandle:
    url: str
    server: wsgi.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(timeout=5)


def serve_ui(hubspot_url: str, salesforce_url: str, folder: Path, host: str = "127.0.0.1", port: int = 8100,
             verify: str | bool = True, threads: int = 4, fresh: bool = False) -> UiHandle:
    """Start the UI in a daemon thread (port 0 = a free port); returns its URL and a stop handle."""
    app = create_app(hubspot_url, salesforce_url, folder, verify=verify, fresh=fresh)
    server = wsgi.Server((host, port), app, numthreads=threads, server_name="hubforce-ui")
    server.prepare()
    bound = int(server.bind_addr[1])  # type: ignore[index]
    thread = threading.Thread(target=server.serve, name=f"hubforce-ui-{bound}", daemon=True)
    thread.start()
    return UiHandle(f"http://{host}:{bound}", server, thread)
