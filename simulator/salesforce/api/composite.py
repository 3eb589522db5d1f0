"""Composite resources (wire spec 3.3): sObject Collections here (`/composite/sobjects`, up to 200 records
per call, `allOrNone`); `/composite/batch` and `/composite` (subrequests, up to 25, the latter with
`@{ref.field}` references) are in `composite_requests`.

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

from flask import Response

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


ROUTES: list[Route] = [
    Route(f"{C}/sobjects", ("POST", "PATCH", "DELETE"), collection),
    Route(f"{C}/sobjects/<obj>", ("GET", "POST"), retrieve),
    Route(f"{C}/sobjects/<obj>/<field>", ("PATCH",), upsert),
]
