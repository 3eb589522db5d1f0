"""WSGI middleware around each fake: journals every API call and applies fault rules before the
app sees the request. Control-API paths pass straight through."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from simulator.core.clock import iso_ms
from simulator.core.faults import FaultRule
from simulator.core.journal import JournalEntry

if TYPE_CHECKING:
    from simulator.core.sandbox import Sandbox
    from simulator.core.service import Service

CONTROL_PREFIX = "/_hubforce"
TRANSPORT_KEY = "hubforce.transport"  # "inprocess" or "socket"


class InProcessFault(Exception):
    """Raised through the WSGI call so the in-process transport can turn a timeout or dropped
    connection into the `requests` exception a real network would cause."""

    def __init__(self, rule: FaultRule) -> None:
        super().__init__(rule.action)
        self.rule = rule


class SandboxMiddleware:
    def __init__(self, app: Callable[..., Iterable[bytes]], sandbox: Sandbox, service: Service) -> None:
        self.app = app
        self.sandbox = sandbox
        self.service = service

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self.app(environ, start_response)
        sandbox = self.sandbox
        method = environ.get("REQUEST_METHOD", "GET")
        started = time.perf_counter()
        at = iso_ms(sandbox.clock.now())
        status_box = [0]
        rule = sandbox.faults.pick(self.service.name, method, path, sandbox.rng.fault_roll)

        def record(status: int) -> None:
            sandbox.journal.record(JournalEntry(
                seq=sandbox.journal.next_seq(), service=self.service.name, method=method, path=path,
                query=environ.get("QUERY_STRING", ""), status=status, at=at,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                fault=rule.id if rule else None,
            ))

        if rule is not None:
            if rule.latency_ms:
                time.sleep(rule.latency_ms / 1000)
            if rule.action == "status":
                record(rule.status)
                return _fault_status(self.service, rule, start_response)
            if rule.action == "drop_after":
                return _performed_then_dropped(self.app, environ, start_response, rule, record)
            if rule.action in ("timeout", "drop"):
                record(0)
                if environ.get(TRANSPORT_KEY) == "inprocess":
                    raise InProcessFault(rule)
                if rule.action == "drop":
                    return _dropped(start_response)
                # Over a socket a timeout is a response that comes too late: we slept latency_ms
                # above (the client's timeout should be shorter), now answer as if nothing happened.

        def recording_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status_box[0] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        result = self.app(environ, recording_start_response)
        record(status_box[0])
        return result


def _fault_status(service: Service, rule: FaultRule, start_response: Callable[..., Any]) -> list[bytes]:
    from simulator.core.service import error_response, json_response

    if rule.body is not None:
        resp = json_response(rule.body, rule.status, rule.headers)
    else:
        resp = error_response(service.fault_error(rule.status), rule.headers)
    body = resp.get_data()
    headers = [(k, v) for k, v in resp.headers.items() if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(body))))
    start_response(f"{rule.status} {resp.status.split(' ', 1)[1] if ' ' in resp.status else ''}".strip(), headers)
    return [body]


def _performed_then_dropped(
    app: Callable[..., Iterable[bytes]],
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    rule: FaultRule,
    record: Callable[[int], None],
) -> Iterable[bytes]:
    """`drop_after`: the request is carried out in full (and journaled with its real status), then
    the connection drops before the answer arrives — the client cannot tell whether it succeeded."""
    status_box = [0]

    def keep_status(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        status_box[0] = int(status.split(" ", 1)[0])
        return lambda data: None

    result = app(environ, keep_status)
    try:
        for _ in result:  # run the app to the end: the change is made
            pass
    finally:
        close = getattr(result, "close", None)
        if callable(close):
            close()
    record(status_box[0])
    if environ.get(TRANSPORT_KEY) == "inprocess":
        raise InProcessFault(rule)
    return _dropped(start_response)


def _dropped(start_response: Callable[..., Any]) -> Iterable[bytes]:
    # Promise a body, send part of it, then fail: the WSGI server closes the connection mid-response,
    # which the client sees as a dropped connection (ChunkedEncodingError / ProtocolError).
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "4096")])

    def body() -> Iterable[bytes]:
        yield b'{"results":['
        raise ConnectionAbortedError("hubforce fault: connection dropped")

    return body()
