"""How HubSpot reads a property value it is sent: text, dates and datetimes (epoch ms or ISO), and
the PROPERTY_DOESNT_EXIST / INVALID_* error body listing every problem of one request."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from simulator.hubspot.errors import HubSpotError, validation
from simulator.hubspot.records import iso_ms_fast

INT_RE = re.compile(r"^-?\d+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MIN_MS, MAX_MS = 0, 253_402_300_799_999  # 1970 .. 9999-12-31 (gmtime-safe everywhere)


def property_values_error(problems: list[tuple[str, str, str]]) -> HubSpotError:
    """HubSpot's 400 for invalid property values (wire spec 2.5). Each listed item carries
    `localizedErrorMessage` and `portalId` as real responses do (HubSpot's own companies API guide
    sample, and bodies users quote, e.g. `...\"name\":\"prop2\",\"localizedErrorMessage\":...,
    \"portalId\":47373842}`)."""
    from simulator.hubspot.models import PORTAL_ID

    listed = [
        {"isValid": False, "message": msg, "error": code, "name": name, "localizedErrorMessage": msg, "portalId": PORTAL_ID}
        for name, code, msg in problems
    ]
    return validation(
        "Property values were not valid: " + json.dumps(listed, separators=(",", ":")),
        errors=[
            {"message": msg, "code": code, "context": {"propertyName": [name]}}
            for name, code, msg in problems
        ],
    )


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "NaN"
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return None


def _check_time(ptype: str, text: str) -> tuple[str, tuple[str, str] | None]:
    """Date properties take YYYY-MM-DD or epoch ms at midnight UTC (stored YYYY-MM-DD); datetime
    properties take epoch ms or ISO-8601 (stored as ISO with ms and Z)."""
    t = text.strip()
    code = "INVALID_DATE" if ptype == "date" else "INVALID_DATETIME"
    ms = parse_time_ms(t)
    if ms is None:
        return t, (
            code,
            f"{text} is not a valid {'date' if ptype == 'date' else 'datetime'}; use epoch "
            "milliseconds or ISO-8601",
        )
    if ptype == "date":
        if ms % 86_400_000:
            when = datetime.fromtimestamp(ms / 1000, tz=UTC)
            return t, (
                code,
                f"{text} is at {when.hour}:{when.minute}:{when.second}.{when.microsecond // 1000} UTC, "
                "not midnight!",
            )
        return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d"), None
    return iso_ms_fast(ms), None


def parse_time_ms(text: str) -> int | None:
    """Epoch ms, ISO date or ISO date-time (Z or offset; naive = UTC) -> epoch ms; None if invalid."""
    t = text.strip()
    if INT_RE.match(t):
        ms = int(t) if len(t) <= 16 else None
        return ms if ms is not None and MIN_MS <= ms <= MAX_MS else None
    try:
        if DATE_RE.match(t):
            dt = datetime.strptime(t, "%Y-%m-%d").replace(tzinfo=UTC)
        else:
            dt = datetime.fromisoformat(t.replace("Z", "+00:00").replace("z", "+00:00"))
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=UTC)
        ms = int(dt.timestamp() * 1000)
        return ms if MIN_MS <= ms <= MAX_MS else None
    except (ValueError, OverflowError, OSError):
        return None


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _iso(ms: int) -> str:
    return iso_ms_fast(ms)
