"""Helpers every Salesforce REST handler uses: the API version in the path, the acting user, the
JSON body as Salesforce parses it, and the request's raw path (for external-id values)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, unquote_plus

from simulator.core.service import Ctx
from simulator.salesforce import errors

DATA = "/services/data/v<version>"
_VERSION = re.compile(r"^(\d{1,2})\.0$")
# Served versions: 31.0 (Summer '14) to 68.0 (Winter '27, the current release). 7.0-20.0 were retired
# in Summer '22 and 21.0-30.0 in Summer '25 ("Salesforce Platform API Versions 21.0 through 30.0
# Retirement", help.salesforce.com 000354473): requests to them get 410 GONE and the versions list
# no longer shows them.
MIN_VERSION, MAX_VERSION = 31, 68
FIRST_RETIRED = 7
SEASONS = ("Winter", "Spring", "Summer")


def version_label(major: int) -> str:
    """Release name of an API version: 59.0 is Winter '24, 60.0 Spring '24, 61.0 Summer '24, ..."""
    r = major - 59
    return f"{SEASONS[r % 3]} '{24 + r // 3:02d}"


def versions() -> list[dict[str, str]]:
    return [
        {"label": version_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
        for v in range(MIN_VERSION, MAX_VERSION + 1)
    ]


def check_version(version: str) -> str:
    """The path's API version (`59.0`) or 404 NOT_FOUND as the real API answers `/services/data/v99.0/...`."""
    m = _VERSION.match(version or "")
    if m is not None and FIRST_RETIRED <= int(m[1]) < MIN_VERSION:
        raise errors.api_version_retired(version)
    if m is None or not MIN_VERSION <= int(m[1]) <= MAX_VERSION:
        raise errors.not_found()
    return version


def user_id(ctx: Ctx) -> str | None:
    """The session's user (CreatedById / LastModifiedById of writes)."""
    return getattr(ctx.auth, "user_id", None)


def json_object(ctx: Ctx) -> dict[str, Any]:
    """The body as a JSON object, or JSON_PARSER_ERROR (empty, malformed or not an object)."""
    body = ctx.json_body()
    if not isinstance(body, dict):
        kind = "START_ARRAY" if isinstance(body, list) else "VALUE"
        raise errors.json_parser_error(f"Cannot deserialize instance of SObject from {kind} token")
    return body


def allow_duplicates(ctx: Ctx) -> bool:
    """`Sforce-Duplicate-Rule-Header: allowSave=true` lets an alert-only duplicate rule save."""
    header = ctx.request.headers.get("Sforce-Duplicate-Rule-Header", "")
    return "allowsave=true" in header.replace(" ", "").lower()


def raw_path_segments(ctx: Ctx) -> list[str]:
    """The request path split on `/` BEFORE percent-decoding (so `%2F` inside a value stays inside it)."""
    env = ctx.request.environ
    raw = env.get("RAW_URI") or env.get("REQUEST_URI") or ""
    raw = raw.split("?", 1)[0]
    if "://" in raw:  # absolute-form request target
        raw = "/" + raw.split("://", 1)[1].split("/", 1)[-1]
    return raw.split("/") if raw else []


def external_id_value(ctx: Ctx, decoded: str) -> str:
    """The external-id value of `/sobjects/X/Field/value`, taken from the raw path (so `%2F` stays
    inside the value). A GET is decoded like a form value (`+` means space) because
    simple-salesforce's get_by_custom_id sends `quote_plus(value)`; an upsert/delete sends the value
    unencoded (requests escapes a space as `%20`), so a `+` there is a plus (`ada+x@example.com`).
    Falls back to the router's decoded value."""
    segs = raw_path_segments(ctx)
    try:
        i = [s.lower() for s in segs].index("sobjects")
    except ValueError:
        return decoded
    rest = segs[i + 3 :]
    if not rest:
        return decoded
    raw = "/".join(rest)
    return unquote_plus(raw) if ctx.request.method in ("GET", "HEAD") else unquote(raw)
