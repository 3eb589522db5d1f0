"""Client-side pacing: every request waits for a free slot in each rolling-window budget of its
limit class before it is sent, so a sync at the limits is answered without 429s (issue 14).

One `Pacer` per client, shared by every thread that client runs chunks on. The limits are read
from the answers, so the pacing follows the account's tier without settings:

* HubSpot burst: `X-HubSpot-RateLimit-Max` per `X-HubSpot-RateLimit-Interval-Milliseconds` (wire
  spec 2.9: 100, 110, 190 or 250 per 10 s). `-Remaining` tells what other callers of the same app
  (or an earlier process) spent in the window; those calls are held as if just made.
* HubSpot search: no headers on its answers, so the documented 5 per second; a search also spends
  a burst slot (the burst and daily limits count every call).
* HubSpot daily: once an answer says `X-HubSpot-RateLimit-Daily-Remaining: 0`, no call is sent for
  the rest of that UTC day (DailyLimitReached, as a DAILY 429 would say, without spending a call).
* Salesforce has no per-second or burst limit (no 429 at all, wire spec 3.7), so nothing to pace:
  its daily allowance is read from `Sforce-Limit-Info` by SalesforceClient (`limit_info`) and the
  LIM-1 allocation is enforced by the engine before each step.

A slot is held from the moment a request is allowed until one window after its answer arrived:
the server counted it on arrival, which is no later than the answer, so the server's window always
frees a slot before ours does (safe against latency, at the cost of one round trip per window).
Waits are reserved under the lock and then slept outside it with the caller's `sleep`, so a
virtual clock advanced by that sleep works as well as the wall clock."""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import requests

from sync.errors import DailyLimitReached

Clock = Callable[[], float]  # seconds (epoch or monotonic: only differences matter, except the day)
Sleep = Callable[[float], None]

SEARCH_PER_SECOND = 5  # wire spec 2.9: CRM search, per account, no headers on its answers
SEARCH_PATH = re.compile(r"/crm/v3/objects/[^/]+/search$")
DAY = 86_400.0


class Window:
    """At most `limit` calls in any `seconds`-long window (unknown limit: no wait)."""

    def __init__(self, limit: int | None, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.held: deque[float] = deque()  # when each answered call's slot frees, ascending
        self.inflight = 0  # allowed and not answered yet (reserved waits included)
        self.waits = 0  # calls that had to wait for a slot (reported by the bench)

    def purge(self, now: float) -> None:
        while self.held and self.held[0] <= now:
            self.held.popleft()
        # A slot never frees later than one window from now: any such was taken before the clock
        # was set back (a test's virtual clock), and would otherwise stall the engine for the jump.
        while self.held and self.held[-1] > now + self.seconds:
            self.held.pop()

    def ready_at(self, now: float) -> float | None:
        """When a slot is free for one more call: now, a later time, or None while only calls
        still in flight hold every slot (wait for an answer)."""
        self.purge(now)
        if self.limit is None:
            return now
        excess = len(self.held) + self.inflight - self.limit + 1
        if excess <= 0:
            return now
        if excess > len(self.held):
            return None
        return self.held[excess - 1]

    def take(self) -> None:
        """Reserve a slot, right after ready_at: the call goes when the earliest slots it needs
        have freed. Exactly those are dropped (not every slot freed by then: until the call is
        sent, the others still count for the callers that come next)."""
        if self.limit is not None:
            for _ in range(len(self.held) + self.inflight - self.limit + 1):
                self.held.popleft()
        self.inflight += 1

    def answered(self, now: float, server_used: int | None = None) -> None:
        self.inflight = max(0, self.inflight - 1)
        self.held.append(now + self.seconds)
        if server_used is not None:
            self.purge(now)
            unknown = server_used - (len(self.held) + self.inflight)
            self.held.extend([now + self.seconds] * max(0, unknown))


class Pacer:
    """Budgets of one API; `budgets(method, path)` names those a call spends."""

    system = "http"

    def __init__(self, clock: Clock, sleep: Sleep) -> None:
        self.clock = clock
        self.sleep = sleep
        self.windows: dict[str, Window] = {}
        self.waited_s = 0.0
        self._cond = threading.Condition()

    def budgets(self, method: str, path: str) -> tuple[str, ...]:
        return ()

    def check(self, path: str) -> None:
        """Raise instead of sending when the answer is already known (a spent daily limit)."""

    def observe(self, names: tuple[str, ...], headers: Mapping[str, str], now: float) -> dict[str, int]:
        """Read the limits from an answer; returns the server's count per budget where it says."""
        return {}

    def acquire(self, method: str, path: str) -> tuple[str, ...]:
        self.check(path)
        names = self.budgets(method, path)
        if not names:
            return names
        with self._cond:
            while True:
                now = self.clock()
                times = [self.windows[n].ready_at(now) for n in names]
                if all(t is not None for t in times):
                    at = max(t for t in times if t is not None)
                    for n in names:
                        w = self.windows[n]
                        w.take()
                        w.waits += at > now
                    self.waited_s += at - now
                    break
                self._cond.wait(timeout=1.0)  # every slot is held by a call in flight
        if at > now:
            self.sleep(at - now)
        return names

    def release(self, names: tuple[str, ...], headers: Mapping[str, str] | None) -> None:
        with self._cond:
            now = self.clock()
            used = self.observe(names, headers, now) if headers is not None else {}
            for n in names:
                self.windows[n].answered(now, used.get(n))
            self._cond.notify_all()


class HubSpotPacer(Pacer):
    system = "hubspot"

    def __init__(self, clock: Clock, sleep: Sleep) -> None:
        super().__init__(clock, sleep)
        self.windows = {"burst": Window(None, 10.0), "search": Window(SEARCH_PER_SECOND, 1.0)}
        self.daily: tuple[int, int] | None = None  # (UTC day, remaining) from the last answer saying so

    def budgets(self, method: str, path: str) -> tuple[str, ...]:
        return ("burst", "search") if SEARCH_PATH.search(path) else ("burst",)

    def check(self, path: str) -> None:
        if self.daily is not None and self.daily[1] <= 0 and self.daily[0] == int(self.clock() // DAY):
            raise DailyLimitReached(
                "hubspot", 429, "DAILY", "You have reached your daily limit. (known from the last answer; not sent)"
            )

    def observe(self, names: tuple[str, ...], headers: Mapping[str, str], now: float) -> dict[str, int]:
        mx = _int(headers.get("X-HubSpot-RateLimit-Max"))
        if mx is None:
            return {}  # search answers (and errors before the limiter) say nothing
        burst = self.windows["burst"]
        burst.limit = mx
        interval = _int(headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"))
        if interval:
            burst.seconds = interval / 1000
        left = _int(headers.get("X-HubSpot-RateLimit-Daily-Remaining"))
        if left is not None:
            self.daily = (int(now // DAY), left)
        remaining = _int(headers.get("X-HubSpot-RateLimit-Remaining"))
        return {} if remaining is None else {"burst": mx - remaining}


class PacedSession:
    """A `requests.Session` stand-in whose every request waits its turn at the pacer first."""

    def __init__(self, inner: requests.Session, pacer: Pacer) -> None:
        self.inner = inner
        self.pacer = pacer

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
        names = self.pacer.acquire(method, path)
        try:
            resp = self.inner.request(method, url, **kwargs)
        except BaseException:
            self.pacer.release(names, None)
            raise
        self.pacer.release(names, resp.headers)
        return resp

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
