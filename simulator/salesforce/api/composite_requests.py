"""Composite resources with subrequests (wire spec 3.3): `/composite/batch` (up to 25 independent
subrequests) and `/composite` (up to 25 subrequests that reference each other's results with
`@{ref.field}`). Subrequests are dispatched into this very Flask app (see `composite` for why they
count as one API request); sObject Collections live in `composite`."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask, Response, current_app
from werkzeug.test import EnvironBuilder, run_wsgi_app

from simulator.core.middleware import TRANSPORT_KEY
from simulator.core.service import Ctx, Route, json_response
from simulator.salesforce import errors
from simulator.salesforce.api.common import check_version
from simulator.salesforce.api.composite import (
    _NESTED_COMPOSITE,
    _REFERENCE,
    _REFERENCE_ID,
    HALTED_BATCH,
    MAX_SUBREQUESTS,
    METHODS,
    ROLLED_BACK_COMPOSITE,
    C,
    _backend,
    _body,
    _flag,
    _Rollback,
)
from simulator.salesforce.errors import SalesforceError


# --- subrequest dispatch ------------------------------------------------------------------------------
def _dispatch(
    ctx: Ctx, method: str, url: str, body: Any, has_body: bool, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """Serve one subrequest with this app's own handlers; returns (status, headers, parsed body).

    The caller's credentials go with it. The subrequest's own count against DailyApiRequests is
    undone so the composite costs one request in total."""
    backend = _backend(ctx)
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    parts = urlsplit(url)
    path = parts.path
    hdrs = {k: v for k, v in (headers or {}).items() if isinstance(k, str) and isinstance(v, str)}
    for name in ("Authorization", "X-SFDC-Session"):
        hdrs.pop(name, None)
        value = ctx.request.headers.get(name)
        if value is not None:
            hdrs[name] = value
    hdrs.setdefault("Content-Type", "application/json")
    data = json.dumps(body).encode() if has_body else b""
    builder = EnvironBuilder(
        path=path,
        method=method,
        headers=hdrs,
        data=data,
        query_string=parts.query,
        base_url=ctx.request.host_url,
    )
    environ = builder.get_environ()
    # The raw request target, for handlers that read undecoded path segments (external-id values).
    environ["REQUEST_URI"] = quote(path, safe="/%:@!$&'()*+,;=-._~") + (
        f"?{parts.query}" if parts.query else ""
    )
    environ[TRANSPORT_KEY] = ctx.request.environ.get(TRANSPORT_KEY, "socket")
    used, _ = backend.api_usage()
    backend.set_api_usage(used - 1)
    try:
        app_iter, status, resp_headers = run_wsgi_app(
            lambda env, start: Flask.wsgi_app(app, env, start), environ, buffered=True
        )
        raw = b"".join(app_iter)
    finally:
        backend.set_api_usage(used)
    code = int(status.split(" ", 1)[0])
    parsed: Any = None
    if raw:
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
    return code, dict(resp_headers.items()), parsed


def _is_nested_composite(path: str) -> bool:
    return bool(_NESTED_COMPOSITE.match(path))


def _nested_error() -> list[dict[str, str]]:
    return [
        {
            "errorCode": "INVALID_BATCH_REQUEST",
            "message": "Composite and batch subrequests cannot contain composite or batch requests",
        }
    ]


# --- /composite/batch -----------------------------------------------------------------------------------
def batch(ctx: Ctx, version: str) -> Response:
    check_version(version)
    body = _body(ctx)
    halt = _flag(body, "haltOnError")
    reqs = body.get("batchRequests")
    if not isinstance(reqs, list):
        raise errors.json_parser_error("batchRequests is required and must be an array")
    if len(reqs) > MAX_SUBREQUESTS:
        raise SalesforceError(
            400, "INVALID_BATCH_REQUEST", f"A batch cannot contain more than {MAX_SUBREQUESTS} requests"
        )
    parsed: list[tuple[str, str, Any, bool]] = []
    for i, sub in enumerate(reqs):
        if not isinstance(sub, dict):
            raise errors.json_parser_error(f"Cannot deserialize batch request at index {i}")
        method, url = sub.get("method"), sub.get("url")
        if not isinstance(method, str) or method.upper() not in METHODS:
            raise errors.json_parser_error(f"Invalid or missing method for batch request at index {i}")
        if not isinstance(url, str) or not url.strip():
            raise errors.json_parser_error(f"Missing url for batch request at index {i}")
        parsed.append((method.upper(), _batch_path(url), sub.get("richInput"), "richInput" in sub))
    results: list[dict[str, Any]] = []
    halted = False
    for method, url, rich, has_body in parsed:
        if halted:
            results.append({"statusCode": 412, "result": HALTED_BATCH})
            continue
        if _is_nested_composite(urlsplit(url).path):
            status, result = 400, _nested_error()
        else:
            status, _, result = _dispatch(ctx, method, url, rich, has_body and method != "GET")
        results.append({"statusCode": status, "result": result})
        if status >= 400 and halt:
            halted = True
    has_errors = any(r["statusCode"] >= 400 for r in results)
    return json_response({"hasErrors": has_errors, "results": results})


def _batch_path(url: str) -> str:
    """Batch subrequest urls are relative to `/services/data/` (`v59.0/sobjects/...`); the absolute
    form is accepted too."""
    u = url.strip()
    if u.startswith("/services/data/"):
        return u
    return "/services/data/" + u.lstrip("/")


# --- /composite -----------------------------------------------------------------------------------------
class _UnresolvedReference(Exception):
    def __init__(self, ref: str, ref_id: str, failed: bool) -> None:
        super().__init__(ref)
        self.ref = ref
        self.ref_id = ref_id
        self.failed = failed


def _lookup(value: Any, path: str) -> Any:
    for token in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        key, index = token
        if key:
            if not isinstance(value, dict) or key not in value:
                raise KeyError(key)
            value = value[key]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                raise KeyError(index)
            value = value[int(index)]
    return value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def _substitute(text: str, done: dict[str, tuple[int, Any]]) -> str:
    def repl(m: re.Match[str]) -> str:
        ref_id, path = m[1], m[2]
        if ref_id not in done:
            raise _UnresolvedReference(m[0][2:-1], ref_id, failed=False)
        status, body = done[ref_id]
        if status >= 400 or not path:
            raise _UnresolvedReference(m[0][2:-1], ref_id, failed=status >= 400)
        try:
            return _text(_lookup(body, path))
        except KeyError:
            raise _UnresolvedReference(m[0][2:-1], ref_id, failed=False) from None

    return _REFERENCE.sub(repl, text)


def _substitute_json(value: Any, done: dict[str, tuple[int, Any]]) -> Any:
    if isinstance(value, str):
        return _substitute(value, done)
    if isinstance(value, list):
        return [_substitute_json(v, done) for v in value]
    if isinstance(value, dict):
        return {_substitute(k, done): _substitute_json(v, done) for k, v in value.items()}
    return value


def _unresolved_body(err: _UnresolvedReference) -> list[dict[str, str]]:
    if err.failed:
        tail = (
            f"Provided referenceId ('{err.ref_id}') refers to a subrequest that failed. "
            "See other errors in the response for more information."
        )
    else:
        tail = "Provided referenceId must refer to a previous subrequest that returned the value."
    return [
        {
            "errorCode": "PROCESSING_HALTED",
            "message": f"Invalid reference specified. No value for {err.ref} found in {err.ref_id}. {tail}",
        }
    ]


def composite(ctx: Ctx, version: str) -> Response:
    check_version(version)
    body = _body(ctx)
    all_or_none = _flag(body, "allOrNone")
    _flag(body, "collateSubrequests")
    reqs = body.get("compositeRequest")
    if not isinstance(reqs, list) or not reqs:
        raise errors.json_parser_error("compositeRequest is required and must be a non-empty array")
    if len(reqs) > MAX_SUBREQUESTS:
        raise SalesforceError(
            400,
            "INVALID_BATCH_REQUEST",
            f"A composite request cannot contain more than {MAX_SUBREQUESTS} subrequests",
        )
    subs = _parse_composite(reqs)
    out, _ = run_composite(ctx, subs, all_or_none)
    return json_response({"compositeResponse": out})


def run_composite(
    ctx: Ctx, subs: list[tuple[str, str, Any, bool, dict[str, str], str]], all_or_none: bool
) -> tuple[list[dict[str, Any]], bool]:
    """Run parsed composite subrequests in one transaction; (responses, True when nothing was
    rolled back). With all_or_none, the first failure rolls everything back (/composite/graph runs
    each graph this way)."""
    backend = _backend(ctx)
    done: dict[str, tuple[int, Any]] = {}
    out: list[dict[str, Any]] = []
    failed_at: int | None = None
    try:
        with backend.transaction():
            for i, (method, url, sub_body, has_body, headers, ref_id) in enumerate(subs):
                try:
                    url_s = _substitute(url, done)
                    body_s = _substitute_json(sub_body, done) if has_body else None
                except _UnresolvedReference as err:
                    status, resp_headers, result = 400, {}, _unresolved_body(err)
                else:
                    if _is_nested_composite(urlsplit(url_s).path):
                        status, resp_headers, result = 400, {}, _nested_error()
                    else:
                        status, raw_headers, result = _dispatch(
                            ctx, method, url_s, body_s, has_body and method != "GET", headers
                        )
                        resp_headers = _sub_headers(method, url_s, status, raw_headers, result)
                done[ref_id] = (status, result)
                out.append(
                    {
                        "body": result,
                        "httpHeaders": resp_headers,
                        "httpStatusCode": status,
                        "referenceId": ref_id,
                    }
                )
                if status >= 400 and all_or_none:
                    failed_at = i
                    raise _Rollback
    except _Rollback:
        halted = []
        for i, (_, _, _, _, _, ref_id) in enumerate(subs):
            if i == failed_at:
                halted.append(out[i])
            else:
                halted.append(
                    {
                        "body": ROLLED_BACK_COMPOSITE,
                        "httpHeaders": {},
                        "httpStatusCode": 400,
                        "referenceId": ref_id,
                    }
                )
        out = halted
    return out, failed_at is None


def _parse_composite(reqs: list[Any]) -> list[tuple[str, str, Any, bool, dict[str, str], str]]:
    subs = []
    seen: set[str] = set()
    for i, sub in enumerate(reqs):
        if not isinstance(sub, dict):
            raise errors.json_parser_error(f"Cannot deserialize composite subrequest at index {i}")
        method, url, ref_id = sub.get("method"), sub.get("url"), sub.get("referenceId")
        if not isinstance(method, str) or method.upper() not in METHODS:
            raise errors.json_parser_error(f"Invalid or missing method for the subrequest at index {i}")
        if not isinstance(url, str) or not url.startswith("/services/data/"):
            raise SalesforceError(
                400,
                "INVALID_BATCH_REQUEST",
                f"The url of the subrequest at index {i} must start with /services/data/",
            )
        if not isinstance(ref_id, str) or not _REFERENCE_ID.match(ref_id):
            raise SalesforceError(
                400,
                "INVALID_BATCH_REQUEST",
                f"The referenceId of the subrequest at index {i} must start with a letter and contain only "
                "alphanumeric characters and underscores",
            )
        if ref_id in seen:
            raise SalesforceError(
                400, "INVALID_BATCH_REQUEST", f"Duplicate referenceId provided in the request: {ref_id}"
            )
        seen.add(ref_id)
        headers = sub.get("httpHeaders") or {}
        if not isinstance(headers, dict):
            raise errors.json_parser_error(f"httpHeaders of the subrequest at index {i} must be an object")
        subs.append((method.upper(), url, sub.get("body"), "body" in sub, headers, ref_id))
    return subs


_CREATE_PATH = re.compile(r"^/services/data/v([^/]+)/sobjects/([^/]+)/?$")


def _sub_headers(method: str, url: str, status: int, headers: dict[str, str], body: Any) -> dict[str, str]:
    """The subresponse headers composite reports: `Location` of a created record, ETag/Last-Modified."""
    out = {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified", "Location")}
    m = _CREATE_PATH.match(urlsplit(url).path)
    if (
        method == "POST"
        and status == 201
        and m
        and isinstance(body, dict)
        and isinstance(body.get("id"), str)
    ):
        out["Location"] = f"/services/data/v{m[1]}/sobjects/{m[2]}/{body['id']}"
    return out


ROUTES: list[Route] = [
    Route(C, ("POST",), composite),
    Route(f"{C}/batch", ("POST",), batch),
]
