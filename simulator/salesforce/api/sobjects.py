"""`/services/data/vNN.N/sobjects/...`: global describe, object metadata and describe, record CRUD,
get/upsert/delete by external id, relationship traversal, and the `updated` / `deleted`
replication windows. Parsing and serialising only: the store does the work."""

from __future__ import annotations

import re
from datetime import datetime

from flask import Response

from simulator.core.service import Ctx, Route, json_response
from simulator.salesforce import errors, ids
from simulator.salesforce.api.common import (
    DATA,
    allow_duplicates,
    check_version,
    external_id_value,
    json_object,
    user_id,
)
from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.models import MultipleMatches, SalesforceBackend
from simulator.salesforce.wire import parse_datetime

S = f"{DATA}/sobjects"
# Names that follow `/sobjects/X/` and are not record ids.
RESERVED = {"describe", "updated", "deleted", "listviews", "quickactions", "layouts"}


def _backend(ctx: Ctx) -> SalesforceBackend:
    return ctx.backend


def global_describe(ctx: Ctx, version: str) -> Response:
    v = check_version(version)
    return json_response(_backend(ctx).schema.global_describe(v))


def object_root(ctx: Ctx, version: str, obj: str) -> Response:
    """GET: basic info (`sf.Lead.metadata()`); POST: create (`sf.Lead.create`)."""
    v = check_version(version)
    backend = _backend(ctx)
    o = backend.object(obj)
    if ctx.request.method == "POST":
        body = json_object(ctx)
        rid = backend.create(o.name, body, user=user_id(ctx), allow_duplicates=allow_duplicates(ctx))
        return json_response({"id": rid, "success": True, "errors": []}, 201)
    recent = []
    for rec in list(backend.iter_records(o.name))[-3:][::-1]:
        fields = ["Id"] + (["Name"] if o.field("Name") else [])
        recent.append(backend.to_json(o, rec, fields, v))
    return json_response({"objectDescribe": o.header(v), "recentItems": recent})


def describe(ctx: Ctx, version: str, obj: str) -> Response:
    v = check_version(version)
    backend = _backend(ctx)
    return json_response(backend.describe(obj, v))


def record(ctx: Ctx, version: str, obj: str, rid: str) -> Response:
    """`/sobjects/X/{id}`: GET (optionally `fields=`), PATCH (204), DELETE (204)."""
    v = check_version(version)
    backend = _backend(ctx)
    o = backend.object(obj)
    low = rid.lower()
    if low in RESERVED and ctx.request.method != "GET":
        # `/sobjects/X/describe` etc. only share the id rule's path shape, not its verbs.
        raise errors.generic(405, f"HTTP Method '{ctx.request.method}' not allowed. Allowed are GET,HEAD")
    if low == "describe":
        return describe(ctx, version, obj)
    if low in ("updated", "deleted"):
        return replication(ctx, version, obj, low)
    if low in RESERVED:
        raise errors.not_found()
    method = ctx.request.method
    if method == "GET":
        if not ids.is_id_shaped(rid):
            # Not an id at all: Salesforce reads the segment as an external-id field name and answers
            # 404 "Provided external ID field does not exist or is not accessible: <segment>" (real
            # traffic: restforce/restforce#376, #182). A well-formed id of another object keeps
            # 400 MALFORMED_ID "<Label> ID: id value of incorrect type: <id>".
            raise errors.external_id_field_not_found(rid)
        rec = backend.get(o.name, rid)
        fields = ctx.arg_list("fields") or None
        return json_response(backend.to_json(o, rec, fields, v))
    if method == "PATCH":
        body = json_object(ctx)
        backend.update(o.name, rid, body, user=user_id(ctx), allow_duplicates=allow_duplicates(ctx))
        return json_response(None, 204)
    backend.delete(o.name, rid, user=user_id(ctx))
    return json_response(None, 204)


def by_field(ctx: Ctx, version: str, obj: str, field: str, value: str) -> Response:
    """`/sobjects/X/{Field}/{value}`: get / upsert / delete by external id; or, when the first segment
    is a record id of X, relationship traversal (`/sobjects/Contact/{id}/Account`) and the user
    password resource."""
    v = check_version(version)
    backend = _backend(ctx)
    o = backend.object(obj)
    if _is_record_id(o.key_prefix, field) and o.field(field) is None:
        return _traverse(ctx, v, o.name, field, value)
    method = ctx.request.method
    raw_value = external_id_value(ctx, value)
    fd = o.field(field)
    if fd is None or not fd.is_lookup_key:
        raise errors.external_id_field_not_found(field)
    try:
        if method in ("PATCH", "POST"):
            body = json_object(ctx)
            rid, created = backend.upsert(
                o.name,
                fd.name,
                raw_value,
                body,
                user=user_id(ctx),
                allow_duplicates=allow_duplicates(ctx),
                # API 61.0+: "prevents a new record from being created" (resources_sobject_upsert_patch)
                update_only=float(v) >= 61.0 and method == "PATCH" and ctx.arg_bool("updateOnly"),
            )
            result = {"id": rid, "success": True, "errors": [], "created": created}
            if created:
                return json_response(result, 201)
            # API 46.0+ answers an update through upsert with 200 and the result; older versions 204.
            return json_response(result, 200) if float(v) >= 46.0 else json_response(None, 204)
        matches = (
            backend.find(o.name, fd.name, raw_value)
            if fd.name != "Id"
            else [backend.normalize_id(o, raw_value)]
        )
        if len(matches) > 1:
            raise MultipleMatches(o.name, fd.name, matches, v)
        if not matches:
            raise errors.not_found()
        if method == "DELETE":
            backend.delete(o.name, matches[0], user=user_id(ctx))
            return json_response(None, 204)
        rec = backend.get(o.name, matches[0])
        return json_response(backend.to_json(o, rec, ctx.arg_list("fields") or None, v))
    except MultipleMatches as err:
        return json_response(err.urls(v), 300)


def _is_record_id(prefix: str, text: str) -> bool:
    try:
        return ids.to18(text)[:3] == prefix
    except ids.InvalidId:
        return False


def _traverse(ctx: Ctx, v: str, obj: str, rid: str, rel: str) -> Response:
    backend = _backend(ctx)
    o = backend.object(obj)
    if o.name == "User" and rel.lower() == "password":
        backend.get("User", rid)
        if ctx.request.method == "GET":
            return json_response({"isExpired": False})
        return json_response(None, 204)
    if ctx.request.method != "GET":
        raise errors.generic(405, f"HTTP Method '{ctx.request.method}' not allowed. Allowed are GET,HEAD")
    rec = backend.get(o.name, rid)
    fd = next(
        (f for f in o.fields.values() if f.relationship_name and f.relationship_name.lower() == rel.lower()),
        None,
    )
    if fd is None:
        raise errors.not_found()
    target_id = rec.get(fd.name)
    target = backend.schema.object_for_id(target_id) if target_id else None
    if target is None or not backend.exists(target.name, target_id):
        raise errors.not_found()
    parent = backend.get(target.name, target_id)
    return json_response(backend.to_json(target, parent, ctx.arg_list("fields") or None, v))


# --- replication ---------------------------------------------------------------------------------------
_SPACE_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


def _instant(ctx: Ctx, name: str) -> datetime:
    raw = ctx.request.args.get(name)
    if raw is None or raw.strip() == "":
        raise SalesforceError(400, "MISSING_ARGUMENT", f"{name} must be specified")
    # An unencoded `+` of an offset arrives as a space after form decoding.
    text = _SPACE_OFFSET.sub(r"+\1", raw.strip())
    try:
        return parse_datetime(text)
    except ValueError:
        # e.g. simple-salesforce's encoding of a naive datetime: `2024-01-01T00:00:00:`
        raise SalesforceError(
            400, "INVALID_REPLICATION_DATE", f"Unable to parse {name} date: {raw}"
        ) from None


def replication(ctx: Ctx, version: str, obj: str, kind: str) -> Response:
    check_version(version)
    backend = _backend(ctx)
    o = backend.object(obj)
    start, end = _instant(ctx, "start"), _instant(ctx, "end")
    if kind == "updated":
        return json_response(backend.updated_window(o.name, start, end))
    return json_response(backend.deleted_window(o.name, start, end))


def updated(ctx: Ctx, version: str, obj: str) -> Response:
    return replication(ctx, version, obj, "updated")


def deleted(ctx: Ctx, version: str, obj: str) -> Response:
    return replication(ctx, version, obj, "deleted")


ROUTES: list[Route] = [
    Route(S, ("GET",), global_describe),
    Route(f"{S}/<obj>", ("GET", "POST"), object_root),
    Route(f"{S}/<obj>/describe", ("GET",), describe),
    Route(f"{S}/<obj>/updated", ("GET",), updated),
    Route(f"{S}/<obj>/deleted", ("GET",), deleted),
    Route(f"{S}/<obj>/<rid>", ("GET", "PATCH", "DELETE"), record),
    Route(f"{S}/<obj>/<field>/<path:value>", ("GET", "PATCH", "POST", "DELETE"), by_field),
]
