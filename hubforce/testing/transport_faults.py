"""Transport failures in the sync state machine (issue 17): every class of error requests, urllib3,
http.client and the socket layer raise when no complete answer arrives, injected at any HTTP call
of any engine action (install, capture, processing, imports, resyncs, webhook drains), either
before the request reaches the fake or after the fake acted on it (the answer is lost). The engine
must retry or reconcile; an exception escaping an engine action fails the example (World.run)."""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import requests
import urllib3.exceptions
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from hubforce.testing.world import CrashPlan

URL = "https://fake.hubforce.test/"

# One factory per class a call can fail with before a complete answer arrived. The one list both
# the state machine and the client unit tests (tests/unit/sync/test_transport_errors.py) use.
TRANSPORT_FAILURES: dict[str, Callable[[], BaseException]] = {
    "ChunkedEncodingError": lambda: requests.exceptions.ChunkedEncodingError(
        "('Connection broken: IncompleteRead(12 bytes read, 4084 more expected)')"
    ),
    "ContentDecodingError": lambda: requests.exceptions.ContentDecodingError(
        "Received response with content-encoding: gzip, but failed to decode it."
    ),
    "SSLError": lambda: requests.exceptions.SSLError("EOF occurred in violation of protocol (_ssl.c:2427)"),
    "ConnectionError": lambda: requests.exceptions.ConnectionError(
        "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))"
    ),
    "ReadTimeout": lambda: requests.exceptions.ReadTimeout("Read timed out. (read timeout=30)"),
    "ConnectTimeout": lambda: requests.exceptions.ConnectTimeout("Connect timed out"),
    "urllib3.ProtocolError": lambda: urllib3.exceptions.ProtocolError(
        "Connection aborted.", ConnectionResetError(104, "Connection reset by peer")
    ),
    "urllib3.IncompleteRead": lambda: urllib3.exceptions.IncompleteRead(10, 90),
    "urllib3.ReadTimeoutError": lambda: urllib3.exceptions.ReadTimeoutError(None, URL, "Read timed out."),  # type: ignore[arg-type]
    "http.client.IncompleteRead": lambda: http.client.IncompleteRead(b"partial", 100),
    "http.client.RemoteDisconnected": lambda: http.client.RemoteDisconnected(
        "Remote end closed connection without response"
    ),
    "ConnectionResetError": lambda: ConnectionResetError(104, "Connection reset by peer"),
    "BrokenPipeError": lambda: BrokenPipeError(32, "Broken pipe"),
    "ssl.SSLEOFError": lambda: ssl.SSLEOFError(8, "EOF occurred in violation of protocol"),
    "TimeoutError": lambda: TimeoutError("timed out"),
}


@dataclass
class TransportFault(CrashPlan):
    """Raise TRANSPORT_FAILURES[error] at the engine's `after`-th HTTP call of its next action:
    before the request is sent (`before`) or after the fake carried it out (answer lost)."""

    error: str = "ConnectionResetError"
    before: bool = False

    def before_call(self) -> None:
        if self.before:
            self._maybe_raise()

    def after_call(self) -> None:
        if not self.before:
            self._maybe_raise()

    def _maybe_raise(self) -> None:
        self.count += 1
        if self.count == self.after:
            raise TRANSPORT_FAILURES[self.error]()


class TransportFaultRules(RuleBasedStateMachine):
    """Mixed into SyncMachine: arms one transport failure for the next engine action."""

    world: object

    @rule(error=st.sampled_from(sorted(TRANSPORT_FAILURES)), after=st.integers(1, 40), before=st.booleans())
    def arm_transport_failure(self, error: str, after: int, before: bool) -> None:
        """For whatever engine action comes next (a cycle, an import, a resync, a drain)."""
        world = self.world
        assert world is not None
        world.crash = TransportFault("fault", after, error=error, before=before)  # type: ignore[attr-defined]

    @rule(error=st.sampled_from(sorted(TRANSPORT_FAILURES)), after=st.integers(1, 8), before=st.booleans())
    def cycle_with_transport_failure(self, error: str, after: int, before: bool) -> None:
        """A poll cycle (capture, then processing) with one of its first calls failing."""
        self.arm_transport_failure(error, after, before)
        self.sync_cycle(1)  # type: ignore[attr-defined]
