"""The sandbox clock: every timestamp and every rate-limit window in the fakes reads it.

Wall mode follows real time. Virtual mode is frozen at a chosen instant and moves only when told
(`advance`, `set`), so "sync runs every 15 minutes" or a rolling rate-limit window can be tested
without sleeping.

Both modes tick in whole milliseconds: Salesforce keeps datetimes to the millisecond and HubSpot's
timestamps are epoch milliseconds, so a value stored with microseconds would be shown rounded down
and then fail to match itself (`WHERE SystemModstamp = <the value returned>`).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

# A fixed, recognisable default start so virtual-clock runs are reproducible across machines.
DEFAULT_VIRTUAL_START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self, virtual: bool = True, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._virtual = virtual
        self._now = to_ms(_aware(start)) if start else DEFAULT_VIRTUAL_START
        self._offset = timedelta(0)

    @property
    def virtual(self) -> bool:
        return self._virtual

    def now(self) -> datetime:
        if self._virtual:
            return to_ms(self._now)
        return to_ms(datetime.now(UTC) + self._offset)

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            if self._virtual:
                self._now = self._now + timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)
        return self.now()

    def set(self, when: datetime) -> datetime:
        """Freeze the clock at `when` (switches to virtual mode)."""
        with self._lock:
            self._virtual = True
            self._now = to_ms(_aware(when))
        return self._now

    def freeze(self) -> datetime:
        return self.set(self.now())

    def unfreeze(self) -> datetime:
        """Back to wall time, keeping no offset: timestamps jump to the real now."""
        with self._lock:
            self._virtual = False
            self._offset = timedelta(0)
        return self.now()

    def to_json(self) -> dict[str, object]:
        return {"mode": "virtual" if self._virtual else "wall", "now": iso_ms(self.now())}


def to_ms(dt: datetime) -> datetime:
    """Drop sub-millisecond digits (the precision both real APIs keep)."""
    return dt.replace(microsecond=dt.microsecond - dt.microsecond % 1000)


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso_ms(dt: datetime) -> str:
    """ISO-8601 with milliseconds and Z, the form both fakes' admin API uses."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_instant(text: str) -> datetime:
    """Parse an ISO-8601 instant (Z or offset) or epoch milliseconds."""
    text = text.strip()
    if text.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    return _aware(datetime.fromisoformat(text.replace("Z", "+00:00")))
