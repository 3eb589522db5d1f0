"""Associations v4 HTTP handlers (`client.crm.associations.v4.*`, wire spec 2.8)."""

from __future__ import annotations

from typing import Any

from flask import Response

from simulator.core.clock import iso_ms
from simulator.core.service import Ctx, Route, json_response
from simulator.hubspot.api.objects import page_link, ranged_int_arg
from simulator.hubspot.associations import (
    AssociationStore,
    AssocType,
    default_type,
    live_record,
    require_type,
    type_id_of,
)
from simulator.hubspot.errors import HubSpotError, not_found, validation

V4 = "/crm/v4/objects/<from_type>/<from_id>/associations"
BATCH = "/crm/v4/associations/<from_type>/<to_type>"
MAX_BATCH = 100  # HubSpot's batch association endpoints take up to 100 inputs... (1000 for some; 100 is safe)


def _store(ctx: Ctx) -> AssociationStore:
    return ctx.backend.associations


def _spec(t: AssocType) -> dict[str, Any]:
    return {"category": t.category, "typeId": t.type_id, "label": t.label}


def _labels_pair(ft: str, fid: str, tt: str, tid: str, types: list[AssocType]) -> dict[str, Any]:
    return {
        "fromObjectTypeId": type_id_of(ft),
        "fromObjectId": _num(fid),
        "toObjectTypeId": type_id_of(tt),
        "toObjectId": _num(tid),
        "labels": [t.label for t in types if t.label],
    }


def _num(record_id: str) -> int | str:
    return int(record_id) if str(record_id).isdigit() else record_id


def _batch_envelope(ctx: Ctx, results: list[Any], errors: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    now = iso_ms(ctx.sandbox.clock.now())
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    return body, 207 if errors else 200


def _err(message: str, category: str, ids: list[str], sub: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "error",
        "category": category,
        "message": message,
        "context": {"ids": ids},
        "errors": [],
        "links": {},
    }
    if sub:
        body["subCategory"] = sub
    return body


def _specs(ctx: Ctx, ft: str, tt: str, body: Any) -> list[AssocType]:
    if not isinstance(body, list) or not body:
        raise validation("The request body must be a non-empty array of association specs")
    return [_store(ctx).resolve_spec(ft, tt, s) for s in body]


def _inputs(body: Any) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise validation("The request body must be an object with an inputs array")
    if len(body["inputs"]) > MAX_BATCH:
        raise validation(f"Batch input size must be at most {MAX_BATCH}")
    return body["inputs"]


def _obj_id(value: Any, what: str) -> str:
    raw = value.get("id") if isinstance(value, dict) else None
    if not isinstance(raw, str | int) or isinstance(raw, bool) or str(raw) == "":
        raise validation(f"{what} must be an object with an id")
    return str(raw)


# --- single-record endpoints ------------------------------------------------------------------------
def create(ctx: Ctx, from_type: str, from_id: str, to_type: str, to_id: str) -> Response:
    ft, tt = require_type(ctx.backend, from_type), require_type(ctx.backend, to_type)
    types = _specs(ctx, ft, tt, ctx.json_body())
    result = _store(ctx).associate(ft, from_id, tt, to_id, types)
    return json_response(_labels_pair(ft, from_id, tt, to_id, result), 201)


def create_default(ctx: Ctx, from_type: str, from_id: str, to_type: str, to_id: str) -> Response:
    ft, tt = require_type(ctx.backend, from_type), require_type(ctx.backend, to_type)
    default = default_type(ft, tt)
    if default is None:
        raise validation(f"There is no default association type between {ft} and {tt}")
    _store(ctx).associate(ft, from_id, tt, to_id, [default])
    body, _ = _batch_envelope(ctx, _default_results(ft, from_id, tt, to_id, default), [])
    return json_response(body, 200)


def _default_results(ft: str, fid: str, tt: str, tid: str, default: AssocType) -> list[dict[str, Any]]:
    # HubSpot reports both directions of a default association.
    return [
        {
            "from": {"id": fid},
            "to": {"id": tid},
            "associationSpec": {
                "associationCategory": default.category,
                "associationTypeId": default.type_id,
            },
        },
        {
            "from": {"id": tid},
            "to": {"id": fid},
            "associationSpec": {
                "associationCategory": default.category,
                "associationTypeId": default.inverse_id,
            },
        },
    ]


def get_page(ctx: Ctx, from_type: str, from_id: str, to_type: str) -> Response:
    ft, tt = require_type(ctx.backend, from_type), require_type(ctx.backend, to_type)
    if live_record(ctx.backend, ft, from_id) is None:
        raise not_found()
    limit = ranged_int_arg(ctx, "limit", 500, 1, 500)
    after = ranged_int_arg(ctx, "after", 0, 0, 1 << 62)
    rows = _store(ctx).associated(ft, from_id, tt)
    page = rows[after : after + limit]
    body: dict[str, Any] = {
        "results": [
            {"toObjectId": _num(tid), "associationTypes": [_spec(t) for t in types]} for tid, types in page
        ]
    }
    if after + limit < len(rows):
        body["paging"] = {"next": page_link(ctx, "after", after + limit)}
    return json_response(body)


def archive(ctx: Ctx, from_type: str, from_id: str, to_type: str, to_id: str) -> Response:
    ft, tt = require_type(ctx.backend, from_type), require_type(ctx.backend, to_type)
    _store(ctx).remove(ft, from_id, tt, to_id)
    return json_response(None, 204)


# --- batch endpoints --------------------------------------------------------------------------------
def batch_create(ctx: Ctx, from_type: str, to_type: str) -> Response:
    ft, tt = require_type(ctx.backend, from_type), require_type(ctx.backend, to_type)
    results, errors = [], []
    for item in _inputs(ctx.json_body()):
        if not isinstance(item, dict):
            raise validation("Each input must be an object with from, to and types")
        fid, tid = _obj_id(item.get("from"), "from"), _obj_id(item.get("to"), "to")
        types = _specs(ctx, ft, tt, item.get("types"))
        try:
            result = _store(ctx).associate(ft, fid, tt, tid, types)
        except HubSpotError as exc:
            errors.append(_err(exc.message, "OBJECT_NOT_FOUND", [fid, tid]))
            continue
        results.append(_labels_pair(ft, fid, tt, tid, result))
    body, status = _batch_envelope(ctx, results, errors)
    return json_response(body, 201 if status == 200 else 207)


def batch_create_default(ctx: Ctx, from_type: str, to_type: str) -> Response:
    ft, tt = require_type(ctx.backend, from_type), require_type(ctx.backend, to_type)
    default = default_type(ft, tt)
    if default is None:
        raise validation(f"There is no default association type between {ft} and {tt}")
    results, errors = [], []
    for item in _inputs(ctx.json_body()):
        if not isinstance(item, dict):
            raise validation("Each input must be an object with from and to")
        fid, tid = _obj_id(item.get("from"), "from"), _obj_id(item.get("to"), "to")
        try:
            _store(ctx).associate(ft, fid, tt, tid, [default])
        except HubSpotError as exc:
            errors.append(_err(exc.message, "OBJECT_NOT_FOUND", [fid, tid]))
            continue
        results.extend(_default_results(ft, fid, tt, tid, default))
    body, status = _batch_envelope(ctx, results, errors)
    return json_response(body, status)


def batch_read(ctx: Ctx, from_type: str, to_type: str) -> Response:
    ft, tt = require_type(ctx.backend, from_type), require_type(ctx.backend, to_type)
    results, errors = [], []
    for item in _inputs(ctx.json_body()):
        fid = _obj_id(item, "input")
        if live_record(ctx.backend, ft, fid) is None:
            errors.append(_err(f"Could not find {ft} with id {fid}", "OBJECT_NOT_FOUND", [fid]))
            continue
        rows = _store(ctx).associated(ft, fid, tt)
        if not rows:
            # Real HubSpot reports ids without associations as errors of this subCategory.
            errors.append(
                _err(
                    f"No {tt} is associated with {ft} {fid}.",
                    "OBJECT_NOT_FOUND",
                    [fid],
                    "crm.associations.NO_ASSOCIATIONS_FOUND",
                )
            )
            continue
        results.append(
            {
                "from": {"id": fid},
                "to": [
                    {"toObjectId": _num(tid), "associationTypes": [_spec(t) for t in types]}
                    for tid, types in rows
                ],
            }
        )
    body, status = _batch_envelope(ctx, results, errors)
    return json_response(body, status)


def batch_archive(ctx: Ctx, from_type: str, to_type: str) -> Response:
    ft, tt = require_type(ctx.backend, from_type), require_type(ctx.backend, to_type)
    inputs = _inputs(ctx.json_body())
    pairs = []
    for item in inputs:
        if not isinstance(item, dict) or not isinstance(item.get("to"), list):
            raise validation("Each input must be an object with from: {id} and to: [{id}]")
        fid = _obj_id(item.get("from"), "from")
        pairs.extend((fid, _obj_id(t, "to")) for t in item["to"])
    for fid, tid in pairs:
        _store(ctx).remove(ft, fid, tt, tid)
    return json_response(None, 204)


def batch_archive_labels(ctx: Ctx, from_type: str, to_type: str) -> Response:
    ft, tt = require_type(ctx.backend, from_type), require_type(ctx.backend, to_type)
    work = []
    for item in _inputs(ctx.json_body()):
        if not isinstance(item, dict):
            raise validation("Each input must be an object with from, to and types")
        fid, tid = _obj_id(item.get("from"), "from"), _obj_id(item.get("to"), "to")
        work.append((fid, tid, {t.type_id for t in _specs(ctx, ft, tt, item.get("types"))}))
    for fid, tid, ids in work:
        _store(ctx).remove(ft, fid, tt, tid, ids)
    return json_response(None, 204)


def labels(ctx: Ctx, from_type: str, to_type: str) -> Response:
    ft, tt = require_type(ctx.backend, from_type), require_type(ctx.backend, to_type)
    return json_response({"results": [_spec(t) for t in _store(ctx).types_for(ft, tt)]})


def create_label(ctx: Ctx, from_type: str, to_type: str) -> Response:
    ft, tt = require_type(ctx.backend, from_type), require_type(ctx.backend, to_type)
    made = _store(ctx).create_label(ft, tt, ctx.json_body())
    return json_response({"results": [_spec(t) for t in made]}, 200)


def update_label(ctx: Ctx, from_type: str, to_type: str) -> Response:
    ft, tt = require_type(ctx.backend, from_type), require_type(ctx.backend, to_type)
    _store(ctx).update_label(ft, tt, ctx.json_body())
    return json_response(None, 204)


def delete_label(ctx: Ctx, from_type: str, to_type: str, type_id: str) -> Response:
    ft, tt = require_type(ctx.backend, from_type), require_type(ctx.backend, to_type)
    if not type_id.isdigit():
        raise validation(f"associationTypeId must be an integer, got {type_id!r}")
    _store(ctx).delete_label(ft, tt, int(type_id))
    return json_response(None, 204)


ROUTES: list[Route] = [
    Route(f"{V4}/default/<to_type>/<to_id>", ("PUT",), create_default),
    Route(f"{V4}/<to_type>/<to_id>", ("PUT",), create),
    Route(f"{V4}/<to_type>/<to_id>", ("DELETE",), archive),
    Route(f"{V4}/<to_type>", ("GET",), get_page),
    Route(f"{BATCH}/batch/create", ("POST",), batch_create),
    Route(f"{BATCH}/batch/associate/default", ("POST",), batch_create_default),
    Route(f"{BATCH}/batch/read", ("POST",), batch_read),
    Route(f"{BATCH}/batch/archive", ("POST",), batch_archive),
    Route(f"{BATCH}/batch/labels/archive", ("POST",), batch_archive_labels),
    Route(f"{BATCH}/labels", ("GET",), labels),
    Route(f"{BATCH}/labels", ("POST",), create_label),
    Route(f"{BATCH}/labels", ("PUT",), update_label),
    Route(f"{BATCH}/labels/<type_id>", ("DELETE",), delete_label),
]
