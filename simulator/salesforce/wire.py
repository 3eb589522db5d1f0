"""Conversions between the store's native values and their text forms: the REST wire format
(datetimes `2024-05-01T10:00:00.000+0000`, dates `2024-05-01`), lenient parsing of the datetime
and date strings clients send, and the snapshot encoding."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from simulator.salesforce.schema import FieldDef

# What Salesforce's REST deserialiser accepts for a dateTime: ISO-8601 with optional fraction and a
# Z / +hh:mm / +hhmm offset; without an offset the value is taken as UTC.
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def format_datetime(dt: datetime) -> str:
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    """Parse an API datetime string (or a bare date = midnight UTC); ValueError when it is not one."""
    text = text.strip()
    m = _DATETIME.match(text)
    if m is None:
        d = _DATE.match(text)
        if d is None:
            raise ValueError(text)
        return datetime(int(d[1]), int(d[2]), int(d[3]), tzinfo=UTC)
    year, month, day, hour, minute = (int(m[i]) for i in range(1, 6))
    second = int(m[6] or 0)
    # Salesforce keeps milliseconds: digits beyond the third are dropped on the way in, so the
    # stored value is exactly the one every response shows.
    micro = int((m[7] or "0")[:3].ljust(3, "0")) * 1000
    tz = UTC
    if m[8] and m[8] != "Z":
        off = m[8].replace(":", "")
        sign = -1 if off[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(off[1:3]), minutes=int(off[3:5])))
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz).astimezone(UTC)


def parse_date(text: str) -> date:
    """A date field takes `2024-05-01` or a full datetime (its UTC date)."""
    text = text.strip()
    d = _DATE.match(text)
    if d is not None:
        return date(int(d[1]), int(d[2]), int(d[3]))
    return parse_datetime(text).date()


def format_value(fd: FieldDef, value: Any) -> Any:
    """Native value -> JSON value on the REST wire."""
    if value is None:
        return None
    if fd.type == "datetime" and isinstance(value, datetime):
        return format_datetime(value)
    if fd.type == "date" and isinstance(value, date):
        return value.isoformat()
    return value


def store_value(fd: FieldDef, value: Any) -> Any:
    """Native value -> JSON for snapshots (exact: datetimes keep microseconds)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def parse_stored(fd: FieldDef, value: Any) -> Any:
    if value is None:
        return None
    if fd.type == "datetime":
        return datetime.fromisoformat(value).astimezone(UTC)
    if fd.type == "date":
        return date.fromisoformat(value)
    return value
