"""Shared HTTP plumbing: retries with backoff (honouring Retry-After), an injectable sleep, and an
API ledger callback that sees every call attempt (LIM-1/LIM-4 count attempts, not successes)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import orjson
import requests

from sync.clients.pacing import Clock, PacedSession, Pacer
from sync.errors import TransientError

LedgerHook = Callable[[str, str, str, int], None]  # (system, method, path, status; 0 = no response)
Sleep = Callable[[float], None]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
T = TypeVar("T")
R = TypeVar("R")


class RetryingHttp:
    """One system's HTTP access. Subclasses add auth and error interpretation."""

    system = "http"
    pacer_class: type[Pacer] | None = None  # the API's limit classes (sync/clients/pacing.py)

    def __init__(
        self,
        session: requests.Session | None = None,
        sleep: Sleep = time.sleep,
        ledger: LedgerHook | None = None,
        max_retries: int = 6,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        timeout: float = 30.0,
        concurrency: int = 1,
        fail_fast_connect: bool = False,
        pacing: bool = True,
        clock: Clock = time.time,
    ) -> None:
        self.session = session or requests.Session()
        self.pacer = self.pacer_class(clock, sleep) if pacing and self.pacer_class else None
        if self.pacer is not None:  # every attempt from every thread waits for its slot first
            self.session = PacedSession(self.session, self.pacer)  # type: ignore[assignment]
        self.concurrency = max(1, concurrency)
        # Refused / unresolvable before the server ever answered: a wrong url, not an outage.
        self.fail_fast_connect = fail_fast_connect
        self._answered = False
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.sleep = sleep
        self.ledger = ledger
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.timeout = timeout
        self.calls = 0

    def _record(self, method: str, url: str, status: int) -> None:
        path = url.split("://", 1)[-1]
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
        with self._lock:  # chunks may be in flight on several threads (map_chunks)
            self.calls += 1
            if self.ledger is not None:
                self.ledger(self.system, method, path.split("?", 1)[0], status)

    def map_chunks(self, fn: Callable[[T], R], chunks: Iterable[T]) -> list[R]:
        """fn over every chunk of one batch operation, results in chunk order, with up to
        `concurrency` requests in flight so the server works while this process encodes and
        decodes. With several in flight, every chunk is sent before the first error (in chunk
        order) is raised, so nothing is still in flight when the caller reconciles."""
        items = list(chunks)
        if self.concurrency <= 1 or len(items) <= 1:
            return [fn(c) for c in items]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"hubforce-{self.system}")
        futures = [self._pool.submit(fn, c) for c in items]
        results: list[R] = []
        error: BaseException | None = None
        for f in futures:
            try:
                results.append(f.result())
            except Exception as exc:  # noqa: BLE001 - re-raised below, after every chunk finished
                error = error or exc
        if error is not None:
            raise error
        return results

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                pass
        return min(self.backoff_max, self.backoff_base * (2**attempt))

    def _before_retry(self, resp: requests.Response) -> None:
        """Hook: raise to stop retrying (HubSpot DAILY 429)."""

    def _headers(self) -> dict[str, str]:
        return {}

    def send(self, method: str, url: str, *, idempotent: bool = True, **kwargs: Any) -> requests.Response:
        """Send with retries. Non-idempotent calls (creates) are retried only when the server
        certainly did not act on them (429); a timeout/5xx/drop raises TransientError so the caller
        reconciles (search before re-create) instead of blindly re-sending."""
        attempt = 0
        extra_headers = kwargs.pop("headers", {})
        if "json" in kwargs:
            # orjson: a 100k-record sync encodes and decodes ~200 MB of JSON; the stdlib spends
            # several seconds of it (same JSON on the wire, compact)
            kwargs["data"] = orjson.dumps(kwargs.pop("json"))
            extra_headers = {"Content-Type": "application/json", **extra_headers}
        while True:
            headers = {"Accept": "application/json", **self._headers(), **extra_headers}
            try:
                resp = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
            except (requests.Timeout, requests.ConnectionError) as exc:
                self._record(method, url, 0)
                never_answered = self.fail_fast_connect and not self._answered
                if never_answered and not isinstance(exc, requests.Timeout):
                    raise TransientError(self.system, 0, "CONNECTION", _connect_failure(url, exc)) from None
                if not idempotent or attempt >= self.max_retries:
                    raise TransientError(self.system, 0, "CONNECTION", str(exc)) from None
                self.sleep(self._backoff(attempt, None))
                attempt += 1
                continue
            self._record(method, url, resp.status_code)
            self._answered = True
            resp.json = functools.partial(_decode_json, resp)  # type: ignore[method-assign]
            if resp.status_code in RETRY_STATUSES:
                self._before_retry(resp)
                if (resp.status_code != 429 and not idempotent) or attempt >= self.max_retries:
                    raise TransientError(self.system, resp.status_code, None, resp.text[:300])
                self.sleep(self._backoff(attempt, resp.headers.get("Retry-After")))
                attempt += 1
                continue
            return resp


def _decode_json(resp: requests.Response, **_kwargs: Any) -> Any:
    """Response.json() for the engine's sessions (orjson; a ValueError when the body is not JSON)."""
    return orjson.loads(resp.content)


def json_or_none(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _connect_failure(url: str, exc: Exception) -> str:
    """`http://host:port (Connection refused)` instead of urllib3's nested repr."""
    base = "/".join(url.split("/", 3)[:3])
    text = str(exc)
    for reason in ("Connection refused", "Name or service not known", "No route to host", "nodename nor servname"):
        if reason in text:
            return f"{base} ({reason}); is the url right and the server running?"
    return f"{base} ({text[:200]})"
