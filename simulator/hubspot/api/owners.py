"""Owners HTTP handlers (`client.crm.owners.owners_api`): `GET /crm/v3/owners/` and
`GET /crm/v3/owners/{ownerId}`; admin `POST /_hubforce/hubspot/owners` adds an owner and
`DELETE /_hubforce/hubspot/owners/<id or email>` deactivates one."""

from __future__ import annotations

from typing import Any

from flask import Response

from simulator.core.errors import ControlError
from simulator.core.service import Ctx, Route, json_response
from simulator.hubspot.api.objects import page_link, ranged_int_arg
from simulator.hubspot.errors import HubSpotError, not_found, validation

MAX_LIMIT = 500  # HubSpot's owners endpoint pages up to 500


def get_page(ctx: Ctx) -> Response:
    limit = ranged_int_arg(ctx, "limit", 100, 1, MAX_LIMIT)
    after = ranged_int_arg(ctx, "after", 0, 0, 1 << 62)
    email = ctx.request.args.get("email") or None
    owners = ctx.backend.owners.page(email, ctx.arg_bool("archived"))
    body: dict[str, Any] = {"results": owners[after : after + limit]}
    if after + limit < len(owners):
        body["paging"] = {"next": page_link(ctx, "after", after + limit)}
    return json_response(body)


def get_by_id(ctx: Ctx, owner_id: str) -> Response:
    id_property = ctx.request.args.get("idProperty") or "id"
    if id_property not in ("id", "userId"):
        raise validation(f"idProperty must be id or userId, got {id_property!r}")
    owner = ctx.backend.owners.get(owner_id, id_property, ctx.arg_bool("archived"))
    if owner is None:
        raise not_found()
    return json_response(owner)


ROUTES: list[Route] = [
    Route("/crm/v3/owners", ("GET",), get_page),
    Route("/crm/v3/owners/<owner_id>", ("GET",), get_by_id),
]


def admin_add_owner(sandbox: Any) -> Response:
    """{"email", "firstName"?, "lastName"?, "archived"?, "teams"?} -> 201 the owner as the API shows it."""
    from simulator.admin.routes import body_json

    data = body_json()
    if not isinstance(data, dict) or not isinstance(data.get("email"), str):
        raise ControlError(400, "email (string) is required")
    first, last = data.get("firstName", ""), data.get("lastName", "")
    archived, teams = data.get("archived", False), data.get("teams", [])
    if (
        not isinstance(first, str)
        or not isinstance(last, str)
        or not isinstance(archived, bool)
        or not isinstance(teams, list)
    ):
        raise ControlError(400, "firstName/lastName must be strings, archived a boolean, teams a list")
    try:
        owner = sandbox.backend("hubspot").owners.add(data["email"], first, last, archived, teams)
    except HubSpotError as exc:
        raise ControlError(400, exc.message) from exc
    return json_response(owner, 201)


def admin_archive_owner(sandbox: Any, owner_key: str) -> Response:
    """DELETE /_hubforce/hubspot/owners/<id or email>: deactivate that owner (200 with the owner)."""
    owner = sandbox.backend("hubspot").owners.archive(owner_key.strip().lower())
    if owner is None:
        raise ControlError(404, f"no active owner with id or email {owner_key}")
    return json_response(owner)


ADMIN_ROUTES: list[Route] = [
    Route("/owners", ("POST",), admin_add_owner),
    Route("/owners/<owner_key>", ("DELETE",), admin_archive_owner),
]
