"""Composite resources (wire spec 3.3): sObject Collections (`/composite/sobjects`, up to 200 records
per call, `allOrNone`), `/composite/batch` (up to 25 independent subrequests) and `/composite` (up to
25 subrequests that reference each other's results with `@{ref.field}`).

Batch and composite subrequests are dispatched into this very Flask app (a direct WSGI call with the
caller's credentials), so every subrequest is served by the ordinary handlers. They are neither
journaled nor fault-injected on their own, and the whole composite counts as ONE API request, as on
the real platform. Per-record failures live inside a 200; only a malformed request is a 400.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask, Response, current_app
from werkzeug.test import EnvironBuilder, run_wsgi_app

from simulator.core.middleware import TRANSPORT_KEY
from simulator.core.service import Ctx, Route, json_response
from simulator.salesforce import errors, ids
from simulator.salesforce.api.common import DATA, allow_duplicates, check_version, user_id
from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.models import SalesforceBackend

C = f"{DATA}/composite"
MAX_COLLECTION = 200  # records per sObject Collections create/update/upsert/delete
MAX_RETRIEVE = 2000  # ids per sObject Collections retrieve
MAX_SUBREQUESTS = 25  # per /composite and per /composite/batch
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "HEAD")
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
    "fields": [],
}
HALTED_BATCH = [{"errorCode": "BATCH_PROCESSING_HALTED", "message": "Batch processing halted per request"}]
ROLLED_BACK_COMPOSITE = [
    {
        "errorCode": "PROCESSING_HALTED",
        "message": "The transaction was rolled back since another operation in the same transaction failed.",
    }
]
_REFERENCE = re.compile(r"@\{([A-Za-z][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_REFERENCE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NESTED_COMPOSITE = re.compile(r"^/services/data/v[^/]+/composite(?:/(?:batch|graph))?/?$", re.IGNORECASE)


class _Rollback(Exception):
    """Raised inside the outer store transaction to undo an allOrNone request."""


def _backend(ctx: Ctx) -> SalesforceBackend:
    return ctx.backend


# --- request parsing ------------------------------------------------------------------------------------
def _body(ctx: Ctx) -> dict[str, Any]:
    body = ctx.json_body()
    if not isinstance(body, dict):
        kind = "START_ARRAY" if isinstance(body, list) else "VALUE"
        raise errors.json_parser_error(f"Cannot deserialize instance of request from {kind} token")
    return body


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise errors.json_parser_error(
            f"Cannot deserialize value of type `boolean` from {json.dumps(value)[:80]}"
        )
    return value


def _records(body: dict[str, Any]) -> list[dict[str, Any]]:
    records = body.get("records")
    if records is None:
        records = []
    if not isinstance(records, list):
        raise errors.json_parser_error("Cannot deserialize instance of `records` from a non-array value")
    if len(records) > MAX_COLLECTION:
        raise _too_many()
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise errors.json_parser_error(f"Cannot deserialize instance of SObject at index {i}")
    return records


def _too_many() -> SalesforceError:
    return SalesforceError(
        400,
        "EXCEEDED_ID_LIMIT",
        f"record limit reached. cannot submit more than {MAX_COLLECTION} records into this call",
    )


def _type_of(backend: SalesforceBackend, rec: dict[str, Any], index: int) -> str:
    """The record's `attributes.type`, resolved: a collection cannot be deserialised without it."""
    attrs = rec.get("attributes")
    name = attrs.get("type") if isinstance(attrs, dict) else None
    if not isinstance(name, str) or not name:
        raise SalesforceError(
            400, "INVALID_TYPE", f"No SObject type was specified for the record at index {index}"
        )
    o = backend.schema.resolve_object(name)
    if o is None:
        raise SalesforceError(400, "INVALID_TYPE", f"sObject type '{name}' is not supported.")
    return o.name


def _fields(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if k != "attributes"}


# --- per-record results ---------------------------------------------------------------------------------
def item_error(err: SalesforceError) -> dict[str, Any]:
    """A per-record error as collections report it (`statusCode`, not the REST list's `errorCode`)."""
    code = err.error_code
    if code == "NOT_FOUND":  # a record that is not there, reported per record
        code, message = "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"
    else:
        message = err.message
    out: dict[str, Any] = {"statusCode": code, "message": message, "fields": list(err.fields)}
    first = err.body[0] if isinstance(err.body, list) and err.body else None
    extra = first.get("duplicateResut") if isinstance(first, dict) else None
    if extra is not None:
        out["duplicateResult"] = extra
    return out


Op = Callable[[], dict[str, Any]]


def _run_all(
    backend: SalesforceBackend, ops: list[tuple[str | None, Op]], all_or_none: bool
) -> list[dict[str, Any]]:
    """Run each op in its own nested transaction. `ops` pairs the id to report on failure with the
    op. allOrNone: any failure undoes every op; failed items keep their error, the others report
    ALL_OR_NONE_OPERATION_ROLLED_BACK."""
    results: list[dict[str, Any]] = []
    created: list[bool] = []
    try:
        with backend.transaction():
            for failure_id, op in ops:
                try:
                    with backend.transaction():
                        res = op()
                    results.append(res)
                    created.append(bool(res.pop("_created", False)))
                except SalesforceError as err:
                    res = {"success": False, "errors": [item_error(err)]}
                    if failure_id:
                        res = {"id": failure_id, **res}
                    results.append(res)
                    created.append(False)
            if all_or_none and any(not r["success"] for r in results):
                raise _Rollback
    except _Rollback:
        rolled = []
        for res, was_created in zip(results, created, strict=True):
            if not res["success"]:
                rolled.append(res)
                continue
            item: dict[str, Any] = {}
            if not was_created and "id" in res:
                item["id"] = res["id"]
            item.update(success=False, errors=[dict(ROLLED_BACK)])
            rolled.append(item)
        return rolled
    return results


# --- sObject Collections --------------------------------------------------------------------------------
def collection(ctx: Ctx, version: str) -> Response:
    """POST create, PATCH update, DELETE delete (`?ids=`)."""
    check_version(version)
    method = ctx.request.method
    if method == "DELETE":
        return _delete(ctx)
    body = _body(ctx)
    all_or_none = _flag(body, "allOrNone")
    records = _records(body)
    backend = _backend(ctx)
    types = [_type_of(backend, rec, i) for i, rec in enumerate(records)]
    uid, dup = user_id(ctx), allow_duplicates(ctx)
    ops: list[tuple[str | None, Op]] = []
    for obj, rec in zip(types, records, strict=True):
        fields = _fields(rec)
        if method == "POST":
            ops.append((None, _create_op(backend, obj, fields, uid, dup)))
        else:
            rid = next((v for k, v in fields.items() if k.lower() == "id"), None)
            rest = {k: v for k, v in fields.items() if k.lower() != "id"}
            ops.append((rid if isinstance(rid, str) else None, _update_op(backend, obj, rid, rest, uid, dup)))
    return json_response(_run_all(backend, ops, all_or_none))


def _create_op(
    backend: SalesforceBackend, obj: str, fields: dict[str, Any], uid: str | None, dup: bool
) -> Op:
    def op() -> dict[str, Any]:
        if any(k.lower() == "id" for k in fields):
            raise SalesforceError(400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
        rid = backend.create(obj, fields, user=uid, allow_duplicates=dup)
        return {"id": rid, "success": True, "errors": [], "_created": True}

    return op


def _update_op(
    backend: SalesforceBackend, obj: str, rid: Any, fields: dict[str, Any], uid: str | None, dup: bool
) -> Op:
    def op() -> dict[str, Any]:
        if rid is None or rid == "":
            raise SalesforceError(400, "MISSING_ARGUMENT", "Id not specified in an update call", [])
        canonical = backend.normalize_id(obj, rid)
        backend.update(obj, canonical, fields, user=uid, allow_duplicates=dup)
        return {"id": canonical, "success": True, "errors": []}

    return op


def _delete(ctx: Ctx) -> Response:
    backend = _backend(ctx)
    raw_ids = ctx.arg_list("ids")
    if not raw_ids:
        raise SalesforceError(400, "MISSING_ARGUMENT", "ids parameter is required")
    if len(raw_ids) > MAX_COLLECTION:
        raise _too_many()
    all_or_none = ctx.arg_bool("allOrNone")
    uid = user_id(ctx)
    ops: list[tuple[str | None, Op]] = []
    for raw in raw_ids:
        ops.append((raw, _delete_op(backend, raw, uid)))
    return json_response(_run_all(backend, ops, all_or_none))


def _delete_op(backend: SalesforceBackend, raw: str, uid: str | None) -> Op:
    def op() -> dict[str, Any]:
        try:
            rid = ids.to18(raw)
        except ids.InvalidId:
            raise SalesforceError(400, "MALFORMED_ID", f"malformed id {raw}", []) from None
        o = backend.schema.object_for_id(rid)
        if o is None:
            raise SalesforceError(400, "MALFORMED_ID", f"malformed id {raw}", [])
        backend.delete(o.name, rid, user=uid)
        return {"id": rid, "success": True, "errors": []}

    return op


def retrieve(ctx: Ctx, version: str, obj: str) -> Response:
    """GET `?ids=a,b&fields=X,Y` or POST `{"ids": [...], "fields": [...]}`: records in order, null
    for ids that match nothing (or a deleted record)."""
    v = check_version(version)
    backend = _backend(ctx)
    o = backend.object(obj)
    if ctx.request.method == "POST":
        body = _body(ctx)
        raw_ids, fields = body.get("ids"), body.get("fields")
        if not isinstance(raw_ids, list) or not all(isinstance(i, str) for i in raw_ids):
            raise errors.json_parser_error(
                "Cannot deserialize instance of `ids`: expected an array of strings"
            )
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise errors.json_parser_error(
                "Cannot deserialize instance of `fields`: expected an array of strings"
            )
    else:
        raw_ids, fields = ctx.arg_list("ids"), ctx.arg_list("fields")
    if not raw_ids:
        raise SalesforceError(400, "MISSING_ARGUMENT", "ids parameter is required")
    if not fields:
        raise SalesforceError(400, "MISSING_ARGUMENT", "fields parameter is required")
    if len(raw_ids) > MAX_RETRIEVE:
        raise SalesforceError(
            400,
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_RETRIEVE} records into this call",
        )
    for name in fields:
        if o.field(name) is None:
            raise errors.invalid_field_select(name, o.name)
    out: list[dict[str, Any] | None] = []
    for raw in raw_ids:
        rid = backend.normalize_id(o, raw)
        if not backend.exists(o.name, rid):
            out.append(None)
            continue
        out.append(backend.to_json(o, backend.get(o.name, rid), fields, v))
    return json_response(out)


def upsert(ctx: Ctx, version: str, obj: str, field: str) -> Response:
    """PATCH `/composite/sobjects/{Obj}/{ExtIdField}`: upsert by external id (API 46.0+)."""
    check_version(version)
    backend = _backend(ctx)
    o = backend.object(obj)
    fd = o.field(field)
    if fd is None or not fd.is_lookup_key:
        raise errors.external_id_field_not_found(field)
    body = _body(ctx)
    all_or_none = _flag(body, "allOrNone")
    records = _records(body)
    types = [_type_of(backend, rec, i) for i, rec in enumerate(records)]
    for i, t in enumerate(types):
        if t != o.name:
            raise SalesforceError(
                400,
                "INVALID_TYPE",
                f"The sObject type of the record at index {i} does not match the URL: {t} != {o.name}",
            )
    uid, dup = user_id(ctx), allow_duplicates(ctx)
    ops: list[tuple[str | None, Op]] = []
    for rec in records:
        fields = _fields(rec)
        key = next((k for k in fields if k.lower() == fd.name.lower()), None)
        value = fields.pop(key) if key is not None else None
        ops.append((None, _upsert_op(backend, o.name, fd.name, value, fields, uid, dup)))
    return json_response(_run_all(backend, ops, all_or_none))


def _upsert_op(
    backend: SalesforceBackend,
    obj: str,
    field: str,
    value: Any,
    fields: dict[str, Any],
    uid: str | None,
    dup: bool,
) -> Op:
    def op() -> dict[str, Any]:
        if field != "Id" and (value is None or value == ""):
            raise SalesforceError(400, "MISSING_ARGUMENT", f"{field} not specified", [field])
        if isinstance(value, bool) or (value is not None and not isinstance(value, str | int | float)):
            raise errors.json_parser_error(f"Cannot deserialize value of {field}: {json.dumps(value)[:80]}")
        rid, created = backend.upsert(obj, field, value, fields, user=uid, allow_duplicates=dup)
        return {"id": rid, "success": True, "errors": [], "created": created, "_created": created}

    return op


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
    Route(f"{C}/sobjects", ("POST", "PATCH", "DELETE"), collection),
    Route(f"{C}/sobjects/<obj>", ("GET", "POST"), retrieve),
    Route(f"{C}/sobjects/<obj>/<field>", ("PATCH",), upsert),
]
