"""Shared bench plumbing: timing loops, a bare Flask endpoint as the yardstick, and both transports."""

from __future__ import annotations

import gc
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import requests
import responses
from flask import Flask, Response, request

from simulator.core.inprocess import InProcessTransport
from simulator.core.server import _start

BARE_URL = "https://bare.bench.local"


def bare_app() -> Flask:
    """The yardstick: a Flask endpoint that parses a JSON body and answers 201 with JSON — the least
    any create endpoint must do. Fakes are measured as a ratio to it, in the same run."""
    app = Flask("bare")

    @app.post("/create")
    def create() -> Response:
        body = json.loads(request.get_data())
        return Response(json.dumps({"id": "1", "properties": body.get("properties", {})}), 201, mimetype="application/json")

    return app


@contextmanager
def bare_inprocess() -> Iterator[str]:
    # Usually entered inside an InProcessTransport, which is itself a `responses` mock: everything
    # that is not the bare endpoint passes through to whatever `send` is active now (that mock).
    outer_send = requests.adapters.HTTPAdapter.send
    with responses.RequestsMock(assert_all_requests_are_fired=False, real_adapter_send=outer_send) as mock:
        mock.add_callback("POST", re.compile(re.escape(BARE_URL) + r"/.*"), callback=InProcessTransport._callback(bare_app(), BARE_URL))
        mock.add_passthru(re.compile(r"https?://(?!" + re.escape(BARE_URL.split("://", 1)[1]) + r")"))
        yield BARE_URL


@contextmanager
def bare_socket() -> Iterator[str]:
    server, thread, port = _start(bare_app(), "127.0.0.1", 0, None, 8)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        thread.join(timeout=5)


def rate(fn: Callable[[], object], seconds: float = 1.5, min_calls: int = 20) -> float:
    """Calls per second of `fn` over about `seconds` (after a short warm-up)."""
    for _ in range(3):
        fn()
    gc.collect()
    calls = 0
    start = time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and calls >= min_calls:
            return calls / elapsed


def latency_ms(fn: Callable[[], object], repeat: int = 50) -> float:
    """Median milliseconds of `fn`."""
    for _ in range(3):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return samples[len(samples) // 2]


def session(token: str | None = None) -> requests.Session:
    s = requests.Session()
    s.trust_env = False
    if token:
        s.headers["Authorization"] = f"Bearer {token}"
    return s


def row(label: str, value: float, unit: str, note: str = "") -> str:
    return f"  {label:<52} {value:>12,.1f} {unit:<12} {note}"
