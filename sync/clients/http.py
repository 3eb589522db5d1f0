"""Shared HTTP plumbing: retries with backoff (honouring Retry-After), an injectable sleep, and an
API ledger callback that sees every call attempt (LIM-1/LIM-4 count attempts, not successes).

Every way a call can fail without an HTTP answer (refused, reset, timed out, dropped mid-body,
TLS, protocol errors) is one kind of failure here: retried when the call is idempotent, otherwise
a TransientError "unknown outcome" the engine reconciles by reading back (issue 17, bug 1)."""

from __future__ import annotations

import datetime
import email.utils
import functools
import http.client
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import orjson
import requests
import urllib3.exceptions

from sync.clients.pacing import Clock, PacedSession, Pacer
from sync.errors import SyncHttpError, TransientError

LedgerHook = Callable[[str, str, str, int], None]  # (system, method, path, status; 0 = no response)
Sleep = Callable[[float], None]
WaitNotice = Callable[[str, float], None]  # (what and why, seconds)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A Retry-After longer than this is not slept through inside one call: the call gives up as a
# transient failure and the next cycle tries again (a cycle should not block for minutes).
RETRY_AFTER_MAX = 60.0
# A wrong url is a settings problem, not an outage: never retried. (They are OSErrors too.)
URL_ERRORS: tuple[type[Exception], ...] = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.URLRequired,
    urllib3.exceptions.LocationValueError,
)
# Everything requests/urllib3/http.client/the socket layer raise when no complete answer arrived:
# requests' own (Timeout, ConnectionError incl. SSLError, ChunkedEncodingError,
# ContentDecodingError), urllib3's that escape unwrapped (ProtocolError, IncompleteRead, ...),
# http.client's (IncompleteRead, RemoteDisconnected) and plain OSErrors (ConnectionResetError,
# ssl.SSLError, a CA bundle path that does not exist).
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
)
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
        on_wait: WaitNotice | None = None,
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
        self.on_wait = on_wait  # told when and why a call waits before a retry
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
        """The server's Retry-After when it gives one (seconds or an HTTP date), else exponential
        backoff capped at backoff_max."""
        asked = _retry_after_seconds(retry_after)
        if asked is not None:
            return asked
        return min(self.backoff_max, self.backoff_base * (2**attempt))

    def _wait(self, method: str, url: str, attempt: int, why: str, retry_after: str | None = None) -> None:
        delay = self._backoff(attempt, retry_after)
        if delay > RETRY_AFTER_MAX:
            raise TransientError(self.system, 0, "RETRY_AFTER", f"{why}; Retry-After {delay:g} s: trying next cycle")
        if self.on_wait is not None:
            source = " (Retry-After)" if retry_after and _retry_after_seconds(retry_after) is not None else ""
            self.on_wait(
                f"{self.system} {method} {_path(url)}: {why}; waiting {delay:g} s{source}"
                f" before retry {attempt + 1} of {self.max_retries}",
                delay,
            )
        self.sleep(delay)

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
            except URL_ERRORS as exc:
                raise SyncHttpError(self.system, 0, "URL", f"{url.split('?', 1)[0]}: {exc}") from None
            except TRANSPORT_ERRORS as exc:
                self._record(method, url, 0)
                self._transport_failure(url, exc, idempotent, attempt)
                self._wait(method, url, attempt, f"no answer ({_short(exc)})")
                attempt += 1
                continue
            self._record(method, url, resp.status_code)
            self._answered = True
            resp.json = functools.partial(_decode_json, resp)  # type: ignore[method-assign]
            if resp.status_code in RETRY_STATUSES:
                self._before_retry(resp)
                if (resp.status_code != 429 and not idempotent) or attempt >= self.max_retries:
                    raise TransientError(self.system, resp.status_code, None, resp.text[:300])
                self._wait(method, url, attempt, f"HTTP {resp.status_code}", resp.headers.get("Retry-After"))
                attempt += 1
                continue
            return resp

    def _transport_failure(self, url: str, exc: BaseException, idempotent: bool, attempt: int) -> None:
        """Raise TransientError unless the call may be sent again: a CA problem or a refused first
        connection is reported at once (from the CLI); a non-idempotent call's outcome is unknown."""
        ca = _ca_problem(exc)
        never_answered = self.fail_fast_connect and not self._answered
        if ca is not None and (never_answered or not idempotent or attempt >= self.max_retries):
            raise TransientError(self.system, 0, "CONNECTION", f"{_base(url)}: {ca}") from None
        if never_answered and not isinstance(exc, requests.Timeout) and _is_connect_failure(exc):
            raise TransientError(self.system, 0, "CONNECTION", _connect_failure(url, exc)) from None
        if not idempotent or attempt >= self.max_retries:
            raise TransientError(self.system, 0, "CONNECTION", f"{_base(url)}: no answer ({_short(exc)})") from None


def _decode_json(resp: requests.Response, **_kwargs: Any) -> Any:
    """Response.json() for the engine's sessions (orjson; a ValueError when the body is not JSON)."""
    return orjson.loads(resp.content)


def json_or_none(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


CONNECT_REASONS = (
    "Connection refused",
    "Name or service not known",
    "Temporary failure in name resolution",
    "No route to host",
    "nodename nor servname",
)


def _base(url: str) -> str:
    return "/".join(url.split("/", 3)[:3])


def _path(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return ("/" + rest.split("/", 1)[1] if "/" in rest else "/").split("?", 1)[0]


def _short(exc: BaseException) -> str:
    """The innermost reason of a transport error on one line, cut at a word boundary."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    inner = re.findall(r"\(([^()]*(?:Error|error|reset|closed|refused|timed out|Broken)[^()]*)\)", text)
    text = inner[-1] if inner else text
    if len(text) > 160:
        text = text[:160].rsplit(" ", 1)[0] + " ..."
    return f"{type(exc).__name__}: {text}" if type(exc).__name__ not in text else text


def _is_connect_failure(exc: BaseException) -> bool:
    return isinstance(exc, requests.ConnectionError) and any(r in str(exc) for r in CONNECT_REASONS)


def _ca_problem(exc: BaseException) -> str | None:
    """A TLS trust problem, in words that say how to fix it; None for other failures."""
    text = str(exc)
    if "CA certificate bundle" in text:  # requests: REQUESTS_CA_BUNDLE / verify= names no file
        path = text.rsplit(":", 1)[-1].strip()
        return (
            f"the CA bundle {path} does not exist; set REQUESTS_CA_BUNDLE to the absolute path of the"
            " server's CA file (hubforce serve --tls prints it) or unset it"
        )
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        why = re.search(r"certificate verify failed: ([^(')\]]+)", text)
        reason = why.group(1).strip() if why else "certificate verify failed"
        return (
            f"the server's TLS certificate is not trusted ({reason}); set REQUESTS_CA_BUNDLE to the"
            " absolute path of the CA file that signed it (hubforce serve --tls prints it)"
        )
    return None


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


def _connect_failure(url: str, exc: BaseException) -> str:
    """`http://host:port (Connection refused)` instead of urllib3's nested repr."""
    base = _base(url)
    ca = _ca_problem(exc)
    if ca is not None:
        return f"{base}: {ca}"
    text = str(exc)
    for reason in CONNECT_REASONS:
        if reason in text:
            return f"{base} ({reason}); is the url right and the server running?"
    return f"{base} ({_short(exc)})"
