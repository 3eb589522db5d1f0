"""The webhook receiver on a real socket, standard library only (issue 17, bugs 10 and 11).

One thread per connection (ThreadingHTTPServer), so an idle or slow client holds only its own
thread and never delays another delivery; every connection has a read timeout, so a half-open
connection is closed after READ_TIMEOUT_SECONDS instead of holding its thread forever. No third-party
server: `pip install hubforce` (the engine without the sandbox extra) can receive webhooks."""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sync.webhooks import MAX_BODY_BYTES, WebhookReceiver

# HubSpot gives a target 5 s to answer; a client that sends nothing for this long is not HubSpot.
READ_TIMEOUT_SECONDS = 5.0
# Connections served at once; beyond this new ones wait in the listen backlog (not refused).
MAX_CONNECTIONS = 256
LISTEN_BACKLOG = 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client must not keep the process alive at exit
    request_queue_size = LISTEN_BACKLOG
    receiver: WebhookReceiver
    slots: threading.BoundedSemaphore

    def process_request(self, request: Any, client_address: Any) -> None:
        self.slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive: HubSpot reuses connections
    timeout = READ_TIMEOUT_SECONDS  # applied to the socket by StreamRequestHandler.setup
    server_version = "hubforce-webhooks"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """Quiet: the receiver counts deliveries and rejections in the state database (`status`)."""

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        url = f"http://{host}{self.path}"
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._answer(400, {"error": "Content-Length is not a number"}, close=True)
            return
        if length > MAX_BODY_BYTES:
            self._answer(413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"}, close=True)
            return
        try:
            body = self.rfile.read(length) if length > 0 else b""
        except TimeoutError:
            self.close_connection = True  # the client stopped sending mid-body: nothing to answer
            return
        if len(body) < length:
            self.close_connection = True
            return
        headers = {k: v for k, v in self.headers.items()}
        status, out = self.server.receiver.handle(self.command, url, path, headers, body)
        self._answer(status, out)

    def _answer(self, status: int, out: dict[str, Any] | None, close: bool = False) -> None:
        data = json.dumps(out).encode() if out is not None else b""
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 405:
            self.send_header("Allow", "POST")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class ReceiverServer:
    """The receiver on a socket, served from a background thread. Binds in __init__, so a taken
    port fails there (OSError) before anything starts."""

    def __init__(self, receiver: WebhookReceiver, host: str, port: int) -> None:
        self.receiver = receiver
        self.server = _Server((host, port), _Handler, bind_and_activate=True)
        self.server.receiver = receiver
        self.server.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.host, self.port = str(self.server.server_address[0]), int(self.server.server_address[1])
        self.url = f"http://{self.host}:{self.port}{receiver.cfg.path}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, name="hubspot-webhooks", daemon=True
        )

    def start(self) -> ReceiverServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
        self.receiver.close()
