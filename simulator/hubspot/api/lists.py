"""Lists v3 HTTP handlers (`client.crm.lists.*`: lists_api, memberships_api, folders_api, mapping_api;
wire spec 2.6). Status codes are contractual: the SDK returns None on any other 2xx."""

from __future__ import annotations

from typing import Any

from flask import Response

from simulator.core.service import Ctx, Route, json_response
from simulator.hubspot.api.objects import page_link, ranged_int_arg
from simulator.hubspot.errors import not_found, validation
from simulator.hubspot.lists import HubList, ListStore

L = "/crm/v3/lists"
MEMBERSHIP_PAGE_MAX = 250
SEARCH_COUNT_MAX = 500


def _store(ctx: Ctx) -> ListStore:
    return ctx.backend.lists


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise validation("The request body must be a JSON object")
    return body


def _list_id(raw: str) -> str:
    if not raw.isdigit():
        # HubSpot rejects a non-numeric list id in the path as a bad request.
        raise validation(f"Unable to parse list id: {raw}")
    return str(int(raw))


def _id_array(body: Any, what: str) -> list[str]:
    if not isinstance(body, list) or not all(
        isinstance(i, str | int) and not isinstance(i, bool) for i in body
    ):
        raise validation(f"{what} must be an array of record ids")
    return [str(i) for i in body]


# --- lists ------------------------------------------------------------------------------------------
def create(ctx: Ctx) -> Response:
    body = _object(ctx.json_body())
    hub_list = _store(ctx).create(
        body.get("name"),
        body.get("objectTypeId"),
        body.get("processingType"),
        body.get("filterBranch"),
        body.get("listFolderId"),
        body.get("customProperties"),
    )
    return json_response({"list": _store(ctx).to_json(hub_list, include_filters=True)})


def get_by_id(ctx: Ctx, list_id: str) -> Response:
    hub_list = _store(ctx).get(_list_id(list_id))
    _store(ctx)._refresh_relative(hub_list)
    return json_response({"list": _store(ctx).to_json(hub_list, ctx.arg_bool("includeFilters"))})


def get_all(ctx: Ctx) -> Response:
    store, include = _store(ctx), ctx.arg_bool("includeFilters")
    wanted = ctx.arg_list("listIds")
    if wanted:
        found = [
            store.lists[i]
            for i in dict.fromkeys(str(int(i)) if i.isdigit() else i for i in wanted)
            if i in store.lists and not store.lists[i].deleted
        ]
    else:
        found = store.active()
    return json_response({"lists": [store.to_json(x, include) for x in found]})


def get_by_name(ctx: Ctx, object_type_id: str, list_name: str) -> Response:
    hub_list = _store(ctx).by_name(object_type_id, list_name)
    return json_response({"list": _store(ctx).to_json(hub_list, ctx.arg_bool("includeFilters"))})


def search(ctx: Ctx) -> Response:
    body = _object(ctx.json_body())
    query, list_ids, types = body.get("query"), body.get("listIds"), body.get("processingTypes")
    offset, count = body.get("offset", 0), body.get("count", 20)
    extra, sort = body.get("additionalProperties") or [], body.get("sort")
    if query is not None and not isinstance(query, str):
        raise validation("query must be a string")
    for name, value in (("listIds", list_ids), ("processingTypes", types), ("additionalProperties", extra)):
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str | int) for v in value)
        ):
            raise validation(f"{name} must be an array of strings")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise validation("offset must be a non-negative integer")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= SEARCH_COUNT_MAX:
        raise validation(f"count must be between 1 and {SEARCH_COUNT_MAX}")
    if sort is not None and not isinstance(sort, str):
        raise validation("sort must be a string")
    store = _store(ctx)
    rows = [
        x
        for x in store.active()
        if (not query or query.lower() in x.name.lower())
        and (not list_ids or x.list_id in {str(i) for i in list_ids})
        and (not types or x.processing_type in types)
    ]
    if sort:
        key = sort.lstrip("-")
        getter = {
            "name": lambda x: x.name.lower(),
            "listId": lambda x: int(x.list_id),
            "createdAt": lambda x: x.created_at_ms,
            "updatedAt": lambda x: x.updated_at_ms,
        }.get(key)
        if getter is None:
            raise validation(
                f"Unsupported sort {sort!r}; use name, listId, createdAt or updatedAt (prefix - to reverse)"
            )
        rows.sort(key=getter, reverse=sort.startswith("-"))
    page = rows[offset : offset + count]
    results = []
    for x in page:
        item = store.to_json(x)
        item.pop("size", None)  # search results carry the size in additionalProperties
        props = {"hs_list_size": str(len(x.members)), "hs_list_reference_count": "0"}
        if x.last_added_ms is not None:
            props["hs_last_record_added_at"] = str(x.last_added_ms)
        item["additionalProperties"] = {
            k: v for k, v in props.items() if k in ("hs_list_size", "hs_last_record_added_at") or k in extra
        }
        results.append(item)
    return json_response(
        {
            "lists": results,
            "total": len(rows),
            "offset": offset + len(page),
            "hasMore": offset + len(page) < len(rows),
        }
    )


def update_name(ctx: Ctx, list_id: str) -> Response:
    name = ctx.request.args.get("listName")
    hub_list = _store(ctx).update_name(_list_id(list_id), name)
    return json_response({"updatedList": _store(ctx).to_json(hub_list, ctx.arg_bool("includeFilters"))})


def update_filters(ctx: Ctx, list_id: str) -> Response:
    lid = _list_id(list_id)
    _store(ctx).get(lid)  # 404 before 400 for an unknown list
    body = _object(ctx.json_body())
    if "filterBranch" not in body:
        raise validation("filterBranch is required")
    hub_list = _store(ctx).update_filters(lid, body["filterBranch"])
    return json_response({"updatedList": _store(ctx).to_json(hub_list, True)})


def remove(ctx: Ctx, list_id: str) -> Response:
    _store(ctx).delete(_list_id(list_id))
    return json_response(None, 204)


def restore(ctx: Ctx, list_id: str) -> Response:
    _store(ctx).restore(_list_id(list_id))
    return json_response(None, 204)


# --- memberships ------------------------------------------------------------------------------------
def add(ctx: Ctx, list_id: str) -> Response:
    lid = _list_id(list_id)
    _store(ctx).get(lid)
    ids = _id_array(ctx.json_body(), "The request body")
    return json_response(_store(ctx).change(lid, ids, []).to_json())


def remove_members(ctx: Ctx, list_id: str) -> Response:
    lid = _list_id(list_id)
    _store(ctx).get(lid)
    ids = _id_array(ctx.json_body(), "The request body")
    return json_response(_store(ctx).change(lid, [], ids).to_json())


def add_and_remove(ctx: Ctx, list_id: str) -> Response:
    lid = _list_id(list_id)
    _store(ctx).get(lid)
    body = _object(ctx.json_body())
    to_add = _id_array(body.get("recordIdsToAdd", []), "recordIdsToAdd")
    to_remove = _id_array(body.get("recordIdsToRemove", []), "recordIdsToRemove")
    return json_response(_store(ctx).change(lid, to_add, to_remove).to_json())


def add_from(ctx: Ctx, list_id: str, source_list_id: str) -> Response:
    _store(ctx).add_from(_list_id(list_id), _list_id(source_list_id))
    return json_response(None, 204)


def remove_all(ctx: Ctx, list_id: str) -> Response:
    _store(ctx).remove_all(_list_id(list_id))
    return json_response(None, 204)


def _members_page(ctx: Ctx, list_id: str, join_order: bool) -> Response:
    lid = _list_id(list_id)
    limit = ranged_int_arg(ctx, "limit", 100, 1, MEMBERSHIP_PAGE_MAX) or 100
    after = ranged_int_arg(ctx, "after", None, 0, 1 << 62)
    before = ranged_int_arg(ctx, "before", None, 0, 1 << 62)
    rows = _store(ctx).members(lid, join_order)
    # Cursors are offsets into the ordered membership (opaque strings to clients).
    if before is not None and after is None:
        start = max(0, before - limit)
        end = before
    else:
        start = after or 0
        end = start + limit
    page = rows[start:end]
    body: dict[str, Any] = {
        "results": [{"recordId": rid, "membershipTimestamp": _iso(ms)} for rid, ms in page],
        "total": len(rows),
    }
    paging: dict[str, Any] = {}
    if end < len(rows):
        paging["next"] = page_link(ctx, "after", end)
    if start > 0:
        paging["prev"] = page_link(ctx, "before", start)
    if paging:
        body["paging"] = paging
    return json_response(body)


def members(ctx: Ctx, list_id: str) -> Response:
    return _members_page(ctx, list_id, join_order=False)


def members_join_order(ctx: Ctx, list_id: str) -> Response:
    return _members_page(ctx, list_id, join_order=True)


def record_lists(ctx: Ctx, object_type_id: str, record_id: str) -> Response:
    found = _store(ctx).lists_of(object_type_id, record_id)
    return json_response(
        {
            "results": [
                {
                    "listId": x.list_id,
                    "listVersion": x.list_version,
                    "firstAddedTimestamp": _iso(x.first_added[record_id]),
                    "lastAddedTimestamp": _iso(x.members[record_id]),
                }
                for x in found
            ],
            "total": len(found),
        }
    )


def _iso(ms: int) -> str:
    from simulator.hubspot.lists import _iso as iso

    return iso(ms)


# --- folders and id mapping -------------------------------------------------------------------------
def folder_create(ctx: Ctx) -> Response:
    body = _object(ctx.json_body())
    folder = _store(ctx).create_folder(body.get("name"), body.get("parentFolderId"))
    return json_response({"folder": _store(ctx).folder_json(folder.id)})


def folder_get(ctx: Ctx) -> Response:
    folder_id = _store(ctx)._folder_id(ctx.request.args.get("folderId") or 0)
    return json_response({"folder": _store(ctx).folder_json(folder_id)})


def folder_move(ctx: Ctx, folder_id: str, new_parent_folder_id: str) -> Response:
    fid = _store(ctx).move_folder(folder_id, new_parent_folder_id)
    return json_response({"folder": _store(ctx).folder_json(fid)})


def folder_move_list(ctx: Ctx) -> Response:
    body = _object(ctx.json_body())
    if body.get("listId") is None or body.get("newFolderId") is None:
        raise validation("listId and newFolderId are required")
    _store(ctx).move_list(_list_id(str(body["listId"])), body["newFolderId"])
    return json_response(None, 204)


def folder_rename(ctx: Ctx, folder_id: str) -> Response:
    fid = _store(ctx).rename_folder(folder_id, ctx.request.args.get("newFolderName"))
    return json_response({"folder": _store(ctx).folder_json(fid)})


def folder_remove(ctx: Ctx, folder_id: str) -> Response:
    _store(ctx).remove_folder(folder_id)
    return json_response(None, 204)


def idmapping(ctx: Ctx) -> Response:
    legacy = ctx.request.args.get("legacyListId")
    if not legacy:
        raise validation("legacyListId is required")
    hub_list = _store(ctx).by_legacy_id(legacy)
    if hub_list is None:
        raise not_found(f"No list with legacy id {legacy}")
    return json_response({"legacyListId": legacy, "listId": hub_list.list_id})


def idmapping_batch(ctx: Ctx) -> Response:
    ids = _id_array(ctx.json_body(), "The request body")
    mapping, missing = [], []
    for legacy in ids:
        hub_list: HubList | None = _store(ctx).by_legacy_id(legacy)
        if hub_list is None:
            missing.append(legacy)
        else:
            mapping.append({"legacyListId": legacy, "listId": hub_list.list_id})
    return json_response({"legacyListIdsToIdsMapping": mapping, "missingLegacyListIds": missing})


ROUTES: list[Route] = [
    Route(f"{L}/search", ("POST",), search),
    Route(f"{L}/idmapping", ("GET",), idmapping),
    Route(f"{L}/idmapping", ("POST",), idmapping_batch),
    Route(f"{L}/folders", ("POST",), folder_create),
    Route(f"{L}/folders", ("GET",), folder_get),
    Route(f"{L}/folders/move-list", ("PUT",), folder_move_list),
    Route(f"{L}/folders/<folder_id>/move/<new_parent_folder_id>", ("PUT",), folder_move),
    Route(f"{L}/folders/<folder_id>/rename", ("PUT",), folder_rename),
    Route(f"{L}/folders/<folder_id>", ("DELETE",), folder_remove),
    Route(f"{L}/object-type-id/<object_type_id>/name/<path:list_name>", ("GET",), get_by_name),
    Route(f"{L}/records/<object_type_id>/<record_id>/memberships", ("GET",), record_lists),
    Route(f"{L}", ("POST",), create),
    Route(f"{L}", ("GET",), get_all),
    Route(f"{L}/<list_id>", ("GET",), get_by_id),
    Route(f"{L}/<list_id>", ("DELETE",), remove),
    Route(f"{L}/<list_id>/restore", ("PUT",), restore),
    Route(f"{L}/<list_id>/update-list-name", ("PUT",), update_name),
    Route(f"{L}/<list_id>/update-list-filters", ("PUT",), update_filters),
    Route(f"{L}/<list_id>/memberships/add", ("PUT",), add),
    Route(f"{L}/<list_id>/memberships/remove", ("PUT",), remove_members),
    Route(f"{L}/<list_id>/memberships/add-and-remove", ("PUT",), add_and_remove),
    Route(f"{L}/<list_id>/memberships/add-from/<source_list_id>", ("PUT",), add_from),
    Route(f"{L}/<list_id>/memberships/join-order", ("GET",), members_join_order),
    Route(f"{L}/<list_id>/memberships", ("GET",), members),
    Route(f"{L}/<list_id>/memberships", ("DELETE",), remove_all),
]


# --- admin (mounted under /_hubforce/hubspot) -------------------------------------------------------
def admin_processing_delay(sandbox: Any) -> Response:
    """{"seconds": N}: filtered lists report processingStatus PROCESSING for N s after create/filter update."""
    from simulator.admin.routes import body_json
    from simulator.core.errors import ControlError

    data = body_json()
    seconds = data.get("seconds") if isinstance(data, dict) else None
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 <= seconds <= 86_400:
        raise ControlError(400, "seconds must be a number between 0 and 86400")
    sandbox.backend("hubspot").lists.processing_delay_ms = int(seconds * 1000)
    return json_response({"processing_delay_seconds": seconds})


ADMIN_ROUTES: list[Route] = [Route("/lists/processing-delay", ("PUT", "POST"), admin_processing_delay)]
