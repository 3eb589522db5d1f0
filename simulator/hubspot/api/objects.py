"""CRM objects v3 (wire spec 2.3): `/crm/v3/objects/{objectType}` for contacts, companies, deals,
tickets and any type by name or id ("0-1"). Thin HTTP layer: parse, call the record store, serialise."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Response

from simulator.core.service import Ctx, Route, json_response
from simulator.hubspot.errors import HubSpotError, not_found, validation
from simulator.hubspot.records import (
    UPPER_NAME,
    Record,
    RecordStore,
    batch_inputs,
    createdate_prop,
    iso_ms_fast,
    lastmodified_prop,
)

BASE = "/crm/v3/objects/<object_type>"
MAX_PAGE = 100
MERGEABLE = ("contacts", "companies", "deals", "tickets")
IntOrNone = TypeVar("IntOrNone", int, None)


# --- serialisation (shared with search) ----------------------------------------------------------------
def record_json(
    ctx: Ctx,
    record: Record,
    wanted: list[str] | None = None,
    with_history: list[str] | None = None,
    associations: list[str] | None = None,
    all_set: bool = False,
) -> dict[str, Any]:
    """HubSpot's SimplePublicObject: requested properties (null when unset; unknown names ignored),
    else the type's default set; the id/create/modified system properties always."""
    props = record.properties
    object_type = record.object_type
    if all_set:
        out_props: dict[str, str | None] = dict(props)
    else:
        catalog = ctx.backend.properties
        if wanted:
            names = [n for n in wanted if n in props or catalog.definition(object_type, n) is not None]
        else:
            names = list(catalog.default_read(object_type))
        out_props = {n: props.get(n) for n in names}
        for n in ("hs_object_id", createdate_prop(object_type), lastmodified_prop(object_type)):
            out_props[n] = props.get(n)
    body: dict[str, Any] = {
        "id": record.id,
        "properties": out_props,
        "createdAt": iso_ms_fast(record.created_at_ms),
        "updatedAt": iso_ms_fast(record.updated_at_ms),
        "archived": record.archived,
    }
    if record.archived_at_ms is not None:
        body["archivedAt"] = iso_ms_fast(record.archived_at_ms)
    if with_history:
        catalog = ctx.backend.properties
        body["propertiesWithHistory"] = {
            n: [
                {"value": v, "timestamp": iso_ms_fast(ts), "sourceType": "API", "sourceId": "hubforce"}
                for v, ts in record.property_history(n)
            ]
            for n in with_history
            if catalog.definition(object_type, n) is not None
        }
    if associations:
        assoc = _associations(ctx, record, associations)
        if assoc:
            body["associations"] = assoc
    return body


def _associations(ctx: Ctx, record: Record, to_types: list[str]) -> dict[str, Any]:
    store = getattr(ctx.backend, "associations", None)
    for_record = getattr(store, "for_record", None)
    if for_record is None:
        return {}
    out: dict[str, Any] = {}
    for name in to_types:
        try:
            to_type = ctx.backend.records.resolve_type(name)
        except HubSpotError:
            continue  # HubSpot ignores association types it cannot resolve in reads
        results = for_record(record.object_type, record.id, to_type)
        if results:
            out[to_type] = {"results": results}
    return out


# --- shared parsing ----------------------------------------------------------------------------------
def _store(ctx: Ctx) -> RecordStore:
    return ctx.backend.records  # type: ignore[no-any-return]


def resolve(ctx: Ctx, object_type: str) -> str:
    return _store(ctx).resolve_type(object_type)


def int_arg(ctx: Ctx, name: str, default: int) -> int:
    raw = ctx.request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise validation(
            f"Invalid value for query parameter {name}: '{raw}' is not an integer",
            errors=[{"message": "must be an integer", "in": name}],
        ) from None


def ranged_int_arg(ctx: Ctx, name: str, default: IntOrNone, low: int, high: int) -> int | IntOrNone:
    """Query parameter `name` as an integer from `low` to `high` (`default` when absent or empty);
    anything else is a 400 naming the parameter. The paging arguments of associations, lists, owners."""
    raw = ctx.request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise validation(f"{name} must be between {low} and {high}")
    return value


def page_link(ctx: Ctx, cursor: str, offset: int) -> dict[str, str]:
    """A `paging.next` / `paging.prev` entry for offset cursors (`cursor` is "after" or "before"): the
    offset and a link to this path with only that cursor."""
    return {cursor: str(offset), "link": f"{ctx.request.base_url}?{cursor}={offset}"}


def str_list(value: Any, field: str) -> list[str]:
    """A body field holding property names: array of strings (commas inside an item also split)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise validation(f"Invalid input JSON: `{field}` must be an array of strings")
    return [p.strip() for v in value for p in v.split(",") if p.strip()]


def _id_property(ctx: Ctx, object_type: str, id_property: Any) -> str | None:
    if id_property in (None, "", "hs_object_id"):
        return None
    if not isinstance(id_property, str):
        raise validation("idProperty must be a string")
    d = ctx.backend.properties.definition(object_type, id_property)
    if d is None or not d.has_unique_value:
        raise validation(
            f"{id_property} is not a unique property of {object_type}; use hs_object_id or a property "
            "with hasUniqueValue"
        )
    return id_property


def _body_object(ctx: Ctx) -> dict[str, Any]:
    body = ctx.json_body()
    if not isinstance(body, dict):
        raise validation("Invalid input JSON on line 1, column 1: expected a JSON object")
    return body


def _read_args(ctx: Ctx) -> tuple[list[str], list[str], list[str]]:
    return ctx.arg_list("properties"), ctx.arg_list("propertiesWithHistory"), ctx.arg_list("associations")


def _id_of(value: Any, field: str = "id") -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise validation(
            f"Invalid input JSON: `{field}` must be a string",
            errors=[{"message": "must not be null", "in": field}],
        )
    return str(value)


# --- single-record endpoints ----------------------------------------------------------------------------
def get_page(ctx: Ctx, object_type: str) -> Response:
    object_type = resolve(ctx, object_type)
    limit = max(1, min(int_arg(ctx, "limit", 10), MAX_PAGE))  # HubSpot caps list pages at 100
    after_raw = ctx.request.args.get("after") or "0"
    if not after_raw.isdigit():
        raise validation(f"Invalid value for query parameter after: '{after_raw}'")
    props, hist, assoc = _read_args(ctx)
    records, next_after = _store(ctx).page(
        object_type, int(after_raw), limit, archived=ctx.arg_bool("archived")
    )
    body: dict[str, Any] = {"results": [record_json(ctx, r, props, hist, assoc) for r in records]}
    if next_after is not None:
        query = [(k, v) for k, v in ctx.request.args.items(multi=True) if k != "after"]
        query.append(("after", str(next_after)))
        link = f"{ctx.request.host_url.rstrip('/')}{ctx.request.path}?{urlencode(query)}"
        body["paging"] = {"next": {"after": str(next_after), "link": link}}
    return json_response(body)


def create(ctx: Ctx, object_type: str) -> Response:
    object_type = resolve(ctx, object_type)
    body = _body_object(ctx)
    store = _store(ctx)
    cleaned = store.validate_create(object_type, body.get("properties"))
    assoc_json = body.get("associations")
    if assoc_json is not None:
        _validate_associations(ctx, object_type, assoc_json)
    record = store.create(object_type, None, cleaned=cleaned)
    if assoc_json:
        ctx.backend.associations.create_from_input(object_type, record.id, assoc_json)
    return json_response(record_json(ctx, record, all_set=True), 201)


def _validate_associations(ctx: Ctx, object_type: str, assoc_json: Any) -> None:
    if not isinstance(assoc_json, list):
        raise validation("Invalid input JSON: `associations` must be an array")
    validate = getattr(getattr(ctx.backend, "associations", None), "validate_input", None)
    if validate is not None:
        validate(object_type, assoc_json)


def get_one(ctx: Ctx, object_type: str, object_id: str) -> Response:
    object_type = resolve(ctx, object_type)
    id_property = _id_property(ctx, object_type, ctx.request.args.get("idProperty"))
    archived = ctx.arg_bool("archived")
    store = _store(ctx)
    if id_property:
        record = store.lookup(object_type, object_id, id_property)
    else:
        record = store.get(object_type, object_id, include_archived=archived)
    if record is None:
        raise not_found()
    props, hist, assoc = _read_args(ctx)
    return json_response(record_json(ctx, record, props, hist, assoc))


def update(ctx: Ctx, object_type: str, object_id: str) -> Response:
    object_type = resolve(ctx, object_type)
    id_property = _id_property(ctx, object_type, ctx.request.args.get("idProperty"))
    body = _body_object(ctx)
    if "properties" not in body:
        raise validation(
            "Invalid input JSON: `properties` is required",
            errors=[{"message": "must not be null", "in": "properties"}],
        )
    store = _store(ctx)
    record = store.lookup(object_type, object_id, id_property)
    if record is None:
        raise not_found()
    store.update(record, body["properties"])
    return json_response(record_json(ctx, record, all_set=True))


def archive(ctx: Ctx, object_type: str, object_id: str) -> Response:
    object_type = resolve(ctx, object_type)
    store = _store(ctx)
    record = store.get(object_type, object_id)
    if record is not None:  # HubSpot answers 204 for ids that are already gone, too
        store.archive(record)
    return json_response(None, 204)


def merge(ctx: Ctx, object_type: str) -> Response:
    object_type = resolve(ctx, object_type)
    if object_type not in MERGEABLE:
        raise validation(f"Merging is not supported for object type {object_type}")
    if object_type == "companies" and ctx.backend.settings.get("salesforce_company_sync"):
        # DEL-4 (A9, blog-sourced): no merge of companies while the Salesforce integration syncs
        # them; the wording is the fake's (no official error text is published).
        raise validation(
            "Companies can't be merged while company sync with the Salesforce integration is turned on."
        )
    body = _body_object(ctx)
    primary = _id_of(body.get("primaryObjectId"), "primaryObjectId")
    other = _id_of(body.get("objectIdToMerge"), "objectIdToMerge")
    record = _store(ctx).merge(object_type, primary, other)
    return json_response(record_json(ctx, record, all_set=True))


def gdpr_delete(ctx: Ctx, object_type: str) -> Response:
    object_type = resolve(ctx, object_type)
    if object_type != "contacts":
        raise not_found(f"GDPR delete is only available for contacts, not {object_type}")
    body = _body_object(ctx)
    object_id = _id_of(body.get("objectId"), "objectId")
    id_property = _id_property(ctx, object_type, body.get("idProperty"))
    store = _store(ctx)
    record = store.lookup(object_type, object_id, id_property)
    if record is None:
        record = store.get(object_type, object_id, include_archived=True) if not id_property else None
    if record is None:
        raise not_found()
    store.gdpr_delete(object_type, record)
    return json_response(None, 204)


# --- batch endpoints ------------------------------------------------------------------------------------
def _batch_body(results: list[dict[str, Any]], errors: list[dict[str, Any]], now_ms: int) -> dict[str, Any]:
    stamp = iso_ms_fast(now_ms)
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": stamp,
        "completedAt": stamp,
    }
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    return body


def _missing_error(object_type: str, verb: str, ids: list[str]) -> dict[str, Any]:
    name = UPPER_NAME.get(object_type, object_type.upper())
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": f"Could not {verb} some {name} objects, they may be deleted or not exist. Check that ids are valid.",
        "context": {"ids": ids},
        "errors": [],
        "links": {},
    }


def _input_object(item: Any, index: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise validation(f"Invalid input JSON: inputs[{index}] must be an object")
    return item


def batch_create(ctx: Ctx, object_type: str) -> Response:
    object_type = resolve(ctx, object_type)
    inputs = batch_inputs(ctx.json_body())
    store = _store(ctx)
    catalog = ctx.backend.properties
    unique = catalog.unique_properties(object_type)
    cleaned: list[dict[str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for i, item in enumerate(inputs):
        item = _input_object(item, i)
        values = store.validate_create(object_type, item.get("properties"))
        for prop in unique:
            value = values.get(prop)
            if value:
                key = (prop, value.lower() if prop == "email" else value)
                if key in seen:
                    # Assumed wording: the batch itself repeats a unique value.
                    raise validation(f"Duplicate values for unique property {prop} in batch input: {value}")
                seen[key] = i
        if item.get("associations") is not None:
            _validate_associations(ctx, object_type, item["associations"])
        cleaned.append(values)
    results = []
    for item, values in zip(inputs, cleaned, strict=True):
        record = store.create(object_type, None, cleaned=values)
        if item.get("associations"):
            ctx.backend.associations.create_from_input(object_type, record.id, item["associations"])
        results.append(record_json(ctx, record, all_set=True))
    return json_response(_batch_body(results, [], ctx.backend.now_ms()), 201)


def batch_read(ctx: Ctx, object_type: str) -> Response:
    object_type = resolve(ctx, object_type)
    body = _body_object(ctx)
    inputs = batch_inputs(body)
    props = str_list(body.get("properties"), "properties")
    hist = str_list(body.get("propertiesWithHistory"), "propertiesWithHistory")
    id_property = _id_property(ctx, object_type, body.get("idProperty"))
    archived = ctx.arg_bool("archived")
    store = _store(ctx)
    results, missing, done = [], [], set()
    for i, item in enumerate(inputs):
        key = _id_of(_input_object(item, i).get("id"))
        if id_property:
            record = store.lookup(object_type, key, id_property)
        else:
            record = store.get(object_type, key, include_archived=archived)
        if record is None:
            missing.append(key)
        elif record.id not in done:
            done.add(record.id)
            results.append(record_json(ctx, record, props, hist))
    errors = [_missing_error(object_type, "get", missing)] if missing else []
    return json_response(_batch_body(results, errors, ctx.backend.now_ms()), 207 if errors else 200)


def batch_update(ctx: Ctx, object_type: str) -> Response:
    object_type = resolve(ctx, object_type)
    inputs = batch_inputs(ctx.json_body())
    store = _store(ctx)
    keys = [_id_of(_input_object(item, i).get("id")) for i, item in enumerate(inputs)]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        # Java's list text, as HubSpot prints it: [101, 102] (not Python's ['101', '102'])
        raise validation(f"Duplicate IDs found in batch input: [{', '.join(dupes)}]. IDs must be unique")
    planned: list[tuple[Record, dict[str, str]]] = []
    missing: list[str] = []
    for item, key in zip(inputs, keys, strict=True):
        id_property = _id_property(ctx, object_type, item.get("idProperty"))
        record = store.lookup(object_type, key, id_property)
        if "properties" not in item:
            raise validation("Invalid input JSON: every input needs `properties`")
        if record is None:
            missing.append(key)
            continue
        planned.append((record, store.validate_update(record, item["properties"])))
    results = []
    for record, values in planned:
        store.update(record, None, cleaned=values)
        results.append(record_json(ctx, record, all_set=True))
    errors = [_missing_error(object_type, "update", missing)] if missing else []
    return json_response(_batch_body(results, errors, ctx.backend.now_ms()), 207 if errors else 200)


def batch_upsert(ctx: Ctx, object_type: str) -> Response:
    object_type = resolve(ctx, object_type)
    inputs = batch_inputs(ctx.json_body())
    store = _store(ctx)
    planned: list[tuple[Record | None, dict[str, str]]] = []
    seen: set[tuple[str | None, str]] = set()
    for i, item in enumerate(inputs):
        item = _input_object(item, i)
        key = _id_of(item.get("id"))
        id_property = _id_property(ctx, object_type, item.get("idProperty"))
        norm = key.lower() if id_property == "email" else key
        if (id_property, norm) in seen:
            raise validation(f"Duplicate IDs found in batch input: [{key}]. IDs must be unique")
        seen.add((id_property, norm))
        record = store.lookup(object_type, key, id_property)
        if record is not None:
            planned.append((record, store.validate_update(record, item.get("properties"))))
            continue
        if id_property is None:
            raise validation(
                f"Cannot upsert {object_type} by hs_object_id: record {key} does not exist. "
                "Use idProperty with a unique property to create records."
            )
        raw = item.get("properties")
        raw = dict(raw) if isinstance(raw, dict) else raw
        if isinstance(raw, dict):
            raw[id_property] = key
        planned.append(
            (None, store.validate_create(object_type, raw if raw is not None else {id_property: key}))
        )
    results = []
    for record, values in planned:
        if record is None:
            created = store.create(object_type, None, cleaned=values)
            results.append({**record_json(ctx, created, all_set=True), "new": True})
        else:
            store.update(record, None, cleaned=values)
            results.append({**record_json(ctx, record, all_set=True), "new": False})
    return json_response(_batch_body(results, [], ctx.backend.now_ms()))


def batch_archive(ctx: Ctx, object_type: str) -> Response:
    object_type = resolve(ctx, object_type)
    inputs = batch_inputs(ctx.json_body())
    store = _store(ctx)
    keys = [_id_of(_input_object(item, i).get("id")) for i, item in enumerate(inputs)]
    for key in keys:
        record = store.get(object_type, key)
        if record is not None:
            store.archive(record)
    return json_response(None, 204)


ROUTES: list[Route] = [
    Route(f"{BASE}/batch/create", ("POST",), batch_create),
    Route(f"{BASE}/batch/read", ("POST",), batch_read),
    Route(f"{BASE}/batch/update", ("POST",), batch_update),
    Route(f"{BASE}/batch/upsert", ("POST",), batch_upsert),
    Route(f"{BASE}/batch/archive", ("POST",), batch_archive),
    Route(f"{BASE}/merge", ("POST",), merge),
    Route(f"{BASE}/gdpr-delete", ("POST",), gdpr_delete),
    Route(BASE, ("GET",), get_page),
    Route(BASE, ("POST",), create),
    Route(f"{BASE}/<object_id>", ("GET",), get_one),
    Route(f"{BASE}/<object_id>", ("PATCH",), update),
    Route(f"{BASE}/<object_id>", ("DELETE",), archive),
]
