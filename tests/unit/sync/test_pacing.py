"""The pacer on a fake clock: slots per rolling window, limits read from the answers, the documented
search limit, other callers' usage from -Remaining, the daily stop, and many threads at once."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from sync.clients.pacing import HubSpotPacer, PacedSession
from sync.errors import DailyLimitReached

SEARCH = "/crm/v3/objects/contacts/search"
READ = "/crm/v3/objects/contacts/batch/read"


class FakeClock:
    def __init__(self) -> None:
        self.t = 1_000_000.0
        self.lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> float:
        with self.lock:
            return self.t

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(seconds)
            self.t += seconds


def headers(mx: int = 10, remaining: int | None = None, daily_left: int | None = None) -> dict[str, str]:
    h = {"X-HubSpot-RateLimit-Max": str(mx), "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
    if remaining is not None:
        h["X-HubSpot-RateLimit-Remaining"] = str(remaining)
    if daily_left is not None:
        h["X-HubSpot-RateLimit-Daily-Remaining"] = str(daily_left)
    return h


def call(p: HubSpotPacer, path: str = READ, answer: dict[str, str] | None = None) -> float:
    """One paced call answered at once; returns the clock when it was sent."""
    names = p.acquire("POST", path)
    sent = p.clock()
    p.release(names, answer if answer is not None else headers())
    return sent


def test_burst_limit_is_learned_from_the_first_answer_and_then_never_exceeded() -> None:
    c = FakeClock()
    p = HubSpotPacer(c.now, c.sleep)
    sent = [call(p) for _ in range(35)]
    # 10 per 10 s: the 11th waits until the first one's slot frees, and so on
    for i in range(10, 35):
        assert sent[i] >= sent[i - 10] + 10.0
    assert sent[34] - sent[0] == pytest.approx(30.0)


def test_a_higher_tier_in_the_headers_is_followed_without_settings() -> None:
    c = FakeClock()
    p = HubSpotPacer(c.now, c.sleep)
    sent = [call(p, answer=headers(mx=250)) for _ in range(250)]
    assert sent[-1] == sent[0] and not c.slept  # 250 fit in one window at 250 / 10 s
    call(p, answer=headers(mx=250))
    assert c.slept == [pytest.approx(10.0)]


def test_search_is_paced_to_five_per_second_without_headers() -> None:
    c = FakeClock()
    p = HubSpotPacer(c.now, c.sleep)
    sent = [call(p, SEARCH, answer={}) for _ in range(16)]
    for i in range(5, 16):
        assert sent[i] >= sent[i - 5] + 1.0
    assert sent[15] - sent[0] == pytest.approx(3.0)


def test_usage_by_others_in_the_window_is_held_from_the_remaining_header() -> None:
    c = FakeClock()
    p = HubSpotPacer(c.now, c.sleep)
    call(p, answer=headers(mx=10, remaining=1))  # 9 used in the window, only 1 of them ours
    call(p, answer=headers(mx=10, remaining=0))
    start = c.now()
    call(p)
    assert c.now() - start == pytest.approx(10.0)


def test_a_spent_daily_limit_stops_calls_until_the_next_utc_day() -> None:
    c = FakeClock()
    p = HubSpotPacer(c.now, c.sleep)
    call(p, answer=headers(daily_left=0))
    with pytest.raises(DailyLimitReached):
        p.acquire("POST", READ)
    c.sleep(86_400.0)
    call(p)  # a new day: allowed again


def test_threads_share_one_budget() -> None:
    c = FakeClock()
    p = HubSpotPacer(c.now, c.sleep)
    call(p)  # learn the limit: 10 per 10 s
    sent: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            t = call(p)
            with lock:
                sent.append(t)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sent) == 40
    # no 10 s window holds more than 10 sends (the first call also counts)
    times = sorted([*sent, 1_000_000.0])
    for i in range(10, len(times)):
        assert times[i] >= times[i - 10] + 10.0 - 1e-6


class _Inner:
    def __init__(self, answer: dict[str, str]) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str]] = []
        self.headers = {"User-Agent": "x"}

    def request(self, method: str, url: str, **_kw: Any) -> Any:
        self.calls.append((method, url))
        return type("R", (), {"headers": self.answer})()


def test_paced_session_classifies_by_path_and_passes_attributes_through() -> None:
    c = FakeClock()
    p = HubSpotPacer(c.now, c.sleep)
    inner = _Inner({})
    s = PacedSession(inner, p)  # type: ignore[arg-type]
    for _ in range(6):
        s.request("POST", f"http://h:1{SEARCH}?x=1")
    assert c.slept == [pytest.approx(1.0)]
    assert s.headers == {"User-Agent": "x"}
    assert len(inner.calls) == 6


def test_a_clock_set_back_does_not_stall_the_engine_for_the_jump() -> None:
    c = FakeClock()
    p = HubSpotPacer(c.now, c.sleep)
    for _ in range(10):
        call(p)
    c.t -= 86_400.0  # a test sets its virtual clock a day back
    for _ in range(10):
        call(p)
    assert c.slept == [] or max(c.slept) <= 10.0
    call(p)
    assert c.slept == [pytest.approx(10.0)]  # and the window still holds after the jump


def test_api_pacing_setting(tmp_path: Any) -> None:
    from sync.engine import SyncEngine
    from sync.settings import Settings, SettingsError

    base = {"hubspot": {"token": "t"}, "salesforce": {"url": "https://x.my.salesforce.com", "session_id": "s"}}
    on = SyncEngine(Settings.from_dict(base), state_url=f"sqlite:///{tmp_path}/a.db")
    assert isinstance(on.hubspot.pacer, HubSpotPacer) and on.settings.api.pacing is True
    off = SyncEngine(Settings.from_dict({**base, "api": {"pacing": False}}), state_url=f"sqlite:///{tmp_path}/b.db")
    assert off.hubspot.pacer is None
    with pytest.raises(SettingsError, match="api.pacing: expected true or false"):
        Settings.from_dict({**base, "api": {"pacing": "sometimes"}})
    on.close()
    off.close()
