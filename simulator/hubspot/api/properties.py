"""Properties v3 (wire spec 2.7): definitions and groups per object type."""

from __future__ import annotations

from typing import Any

from flask import Response

from simulator.core.service import Ctx, Route, json_response
from simulator.hubspot.errors import HubSpotError, validation
from simulator.hubspot.records import batch_inputs, iso_ms_fast

BASE = "/crm/v3/properties/<object_type>"


def _body(ctx: Ctx) -> Any:
    return ctx.json_body()


def get_all(ctx: Ctx, object_type: str) -> Response:
    wanted = set(ctx.arg_list("properties"))
    defs = ctx.backend.properties.list(object_type, archived=ctx.arg_bool("archived"))
    return json_response({"results": [d.to_json() for d in defs if not wanted or d.name in wanted]})


def create(ctx: Ctx, object_type: str) -> Response:
    return json_response(ctx.backend.properties.create(object_type, _body(ctx)).to_json(), 201)


def get_one(ctx: Ctx, object_type: str, name: str) -> Response:
    return json_response(
        ctx.backend.properties.get(object_type, name, archived=ctx.arg_bool("archived")).to_json()
    )


def update(ctx: Ctx, object_type: str, name: str) -> Response:
    return json_response(ctx.backend.properties.update(object_type, name, _body(ctx)).to_json())


def archive(ctx: Ctx, object_type: str, name: str) -> Response:
    ctx.backend.properties.archive(object_type, name)
    return json_response(None, 204)


def _batch(results: list[dict[str, Any]], errors: list[dict[str, Any]], now: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": iso_ms_fast(now),
        "completedAt": iso_ms_fast(now),
    }
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    return body


def _error_item(err: HubSpotError, name: Any) -> dict[str, Any]:
    return {
        "status": "error",
        "category": err.category,
        "message": err.message,
        "context": {"name": [str(name)]},
        "errors": [],
        "links": {},
    }


def batch_create(ctx: Ctx, object_type: str) -> Response:
    catalog = ctx.backend.properties
    catalog.list(object_type)  # unknown object type -> 400 before anything else
    results, errors = [], []
    for item in batch_inputs(_body(ctx)):
        try:
            results.append(catalog.create(object_type, item).to_json())
        except HubSpotError as err:
            errors.append(_error_item(err, item.get("name") if isinstance(item, dict) else None))
    body = _batch(results, errors, ctx.backend.now_ms())
    return json_response(body, 207 if errors else 201)


def batch_read(ctx: Ctx, object_type: str) -> Response:
    catalog = ctx.backend.properties
    body = _body(ctx)
    inputs = batch_inputs(body)
    archived = bool(body.get("archived", False))
    results, errors = [], []
    for item in inputs:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            raise validation("Invalid input JSON: every input needs a string `name`")
        try:
            results.append(catalog.get(object_type, name, archived=archived).to_json())
        except HubSpotError as err:
            if err.status != 404:
                raise
            errors.append(_error_item(err, name))
    return json_response(_batch(results, errors, ctx.backend.now_ms()), 207 if errors else 200)


def batch_archive(ctx: Ctx, object_type: str) -> Response:
    catalog = ctx.backend.properties
    inputs = batch_inputs(_body(ctx))
    names = []
    for item in inputs:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            raise validation("Invalid input JSON: every input needs a string `name`")
        names.append(name)
    for name in names:
        try:
            catalog.archive(object_type, name)
        except HubSpotError as err:
            if err.status != 404:
                raise
    return json_response(None, 204)


def groups_all(ctx: Ctx, object_type: str) -> Response:
    return json_response({"results": [g.to_json() for g in ctx.backend.properties.list_groups(object_type)]})


def group_create(ctx: Ctx, object_type: str) -> Response:
    return json_response(ctx.backend.properties.create_group(object_type, _body(ctx)).to_json(), 201)


def group_get(ctx: Ctx, object_type: str, name: str) -> Response:
    return json_response(ctx.backend.properties.get_group(object_type, name).to_json())


def group_update(ctx: Ctx, object_type: str, name: str) -> Response:
    return json_response(ctx.backend.properties.update_group(object_type, name, _body(ctx)).to_json())


def group_archive(ctx: Ctx, object_type: str, name: str) -> Response:
    ctx.backend.properties.archive_group(object_type, name)
    return json_response(None, 204)


ROUTES: list[Route] = [
    Route(f"{BASE}/batch/create", ("POST",), batch_create),
    Route(f"{BASE}/batch/read", ("POST",), batch_read),
    Route(f"{BASE}/batch/archive", ("POST",), batch_archive),
    Route(f"{BASE}/groups", ("GET",), groups_all),
    Route(f"{BASE}/groups", ("POST",), group_create),
    Route(f"{BASE}/groups/<name>", ("GET",), group_get),
    Route(f"{BASE}/groups/<name>", ("PATCH",), group_update),
    Route(f"{BASE}/groups/<name>", ("DELETE",), group_archive),
    Route(BASE, ("GET",), get_all),
    Route(BASE, ("POST",), create),
    Route(f"{BASE}/<name>", ("GET",), get_one),
    Route(f"{BASE}/<name>", ("PATCH",), update),
    Route(f"{BASE}/<name>", ("DELETE",), archive),
]
