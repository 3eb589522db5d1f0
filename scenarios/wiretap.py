"""What the harness sees on the wire: a WSGI middleware around each fake's app (outside the fakes'
own journal and fault middleware) that tells the sync engine's requests from the scenario's own.

The scenario's requests carry ACTOR_HEADER (real APIs ignore headers they do not know); every other
request to a fake comes from the engine. For each engine request the tap

* records it, with its query string and body, so `api_calls` can match on them (the fakes'
  journal keeps method, path and status only);
* gives the current world a say before the fake sees it (`before_engine_request`: a person's edit
  that lands between the engine's read and its write, INC-10) and after the fake has acted
  (`after_engine_request`: the engine stops right after a write, its answer never read).

One tap per fake and process (the sandbox and transport are shared, see world.py); it talks to
whichever world is current."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote_plus

from simulator.core.middleware import CONTROL_PREFIX

ACTOR_HEADER = "X-Hubforce-Actor"
_ACTOR_ENVIRON = "HTTP_" + ACTOR_HEADER.upper().replace("-", "_")
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# POSTs that only read (search, batch read, SOQL over POST, login).
READ_ONLY_POST = re.compile(r"/search$|/batch/read$|/query|/oauth|/services/oauth2|/services/Soap|/login")


@dataclass(slots=True)
class Call:
    """One request the engine made: `seq` is its number in the fakes' journal (0 if it never got
    that far), `query` is decoded (SOQL reads as written), `status` 0 when the connection failed."""

    seq: int
    service: str
    method: str
    path: str
    query: str
    body: str
    status: int = 0

    def describe(self) -> str:
        query = f"?{self.query[:60]}" if self.query else ""
        return f"{self.service} {self.method} {self.path}{query} -> {self.status}"


def is_write(call: Call) -> bool:
    """A request that changes data (not a search, batch read, SOQL query or login)."""
    return call.method in WRITE_METHODS and not (call.method == "POST" and READ_ONLY_POST.search(call.path))


class Listener(Protocol):
    def before_engine_request(self, call: Call) -> None: ...
    def after_engine_request(self, call: Call) -> None: ...


class WireTap:
    current: Listener | None = None  # the world whose engine is running; set by world.py

    def __init__(self, app: Callable[..., Iterable[bytes]], service: str, last_seq: Callable[[], int]) -> None:
        self.app = app
        self.service = service
        self.last_seq = last_seq

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        listener = WireTap.current
        if listener is None or path.startswith(CONTROL_PREFIX) or environ.get(_ACTOR_ENVIRON):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        call = Call(
            0,
            self.service,
            environ.get("REQUEST_METHOD", "GET"),
            path,
            unquote_plus(environ.get("QUERY_STRING", "")),
            body.decode("utf-8", "replace"),
        )
        listener.before_engine_request(call)
        status = [0]

        def recording(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = int(status_line.split(" ", 1)[0])
            return start_response(status_line, headers, exc_info)

        try:
            result = self.app(environ, recording)
        finally:  # a dropped connection or timeout raises through here: still the engine's call
            call.seq, call.status = self.last_seq(), status[0]
        listener.after_engine_request(call)
        return result


def install(apps: dict[str, Any], last_seq: Callable[[], int]) -> None:
    """Put a tap around each Flask app's WSGI pipeline (Flask's documented middleware hook)."""
    for name, app in apps.items():
        app.wsgi_app = WireTap(app.wsgi_app, name, last_seq)
