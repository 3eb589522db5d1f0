"""POST /crm/v3/objects/{objectType}/search (wire spec 2.4): request validation and paging."""

from __future__ import annotations

from typing import Any

from flask import Response

from simulator.core.service import Ctx, Route, json_response
from simulator.hubspot import search
from simulator.hubspot.api.objects import record_json, resolve, str_list
from simulator.hubspot.errors import validation

MAX_LIMIT = 200
DEFAULT_LIMIT = 10
MAX_RESULTS = 10_000
MAX_BODY_CHARS = 3_000


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise validation(f"Invalid input JSON: {what} must be a string")


def parse_filters(
    body: dict[str, Any],
    limits: tuple[int, int, int] = (search.MAX_GROUPS, search.MAX_FILTERS_PER_GROUP, search.MAX_FILTERS),
    in_lowercase_only: bool = False,
) -> list[list[search.Filter]]:
    max_groups, max_per_group, max_total = limits
    raw_groups = body.get("filterGroups") or []
    if not isinstance(raw_groups, list):
        raise validation("Invalid input JSON: `filterGroups` must be an array")
    if len(raw_groups) > max_groups:
        raise validation(
            f"Too many filter groups: the limit is {max_groups}, found {len(raw_groups)}."
        )
    groups: list[list[search.Filter]] = []
    total = 0
    for g in raw_groups:
        if not isinstance(g, dict) or not isinstance(g.get("filters", []), list):
            raise validation("Invalid input JSON: each filter group must be an object with a `filters` array")
        filters = g.get("filters", [])
        if len(filters) > max_per_group:
            raise validation(
                f"Too many filters in a filter group: the limit is {max_per_group}, "
                f"found {len(filters)}."
            )
        total += len(filters)
        group = []
        for f in filters:
            if not isinstance(f, dict) or not isinstance(f.get("propertyName"), str):
                raise validation("Invalid input JSON: each filter needs a string `propertyName`")
            op = f.get("operator", "EQ")
            if op not in search.OPERATORS:
                raise validation(f"Invalid filter operator '{op}'; allowed: {', '.join(search.OPERATORS)}")
            values = f.get("values") or []
            if not isinstance(values, list):
                raise validation("Invalid input JSON: filter `values` must be an array")
            group.append(
                search.Filter(
                    f["propertyName"],
                    op,
                    _text(f.get("value"), "filter value"),
                    _text(f.get("highValue"), "filter highValue"),
                    tuple(t for v in values if (t := _text(v, "filter values")) is not None),
                    values_as_sent=in_lowercase_only and op in ("IN", "NOT_IN"),
                )
            )
        groups.append(group)
    if total > max_total:
        raise validation(
            f"Too many filters: the limit is {max_total} across all filter groups, found {total}."
        )
    return groups


def parse_sort(body: dict[str, Any]) -> search.Sort | None:
    sorts = body.get("sorts") or []
    if not isinstance(sorts, list):
        raise validation("Invalid input JSON: `sorts` must be an array")
    if len(sorts) > 1:
        raise validation("Only one sort is allowed per search request.")
    if not sorts:
        return None
    s = sorts[0]
    if isinstance(s, str):  # "createdate" / "-createdate"
        return search.Sort(s.lstrip("-"), s.startswith("-")) if s.lstrip("-") else None
    if isinstance(s, dict) and isinstance(s.get("propertyName"), str):
        direction = str(s.get("direction", "ASCENDING")).upper()
        if direction not in ("ASCENDING", "DESCENDING"):
            raise validation(f"Invalid sort direction '{s.get('direction')}'")
        return search.Sort(s["propertyName"], direction == "DESCENDING")
    raise validation("Invalid input JSON: each sort is a string or {propertyName, direction}")


def do_search(ctx: Ctx, object_type: str) -> Response:
    object_type = resolve(ctx, object_type)
    raw = ctx.request.get_data(cache=True)
    if len(raw) > MAX_BODY_CHARS:
        raise validation(f"Search request body is {len(raw)} characters; the maximum is {MAX_BODY_CHARS}.")
    body = ctx.json_body()
    if not isinstance(body, dict):
        raise validation("Invalid input JSON on line 1, column 1: expected a JSON object")
    limit = body.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise validation("limit must be a non-negative integer")
    if limit > MAX_LIMIT:
        raise validation(f"Limit {limit} is too large: the maximum is {MAX_LIMIT}.")
    after_raw = body.get("after", "0")
    after_text = (
        str(after_raw) if isinstance(after_raw, str | int) and not isinstance(after_raw, bool) else ""
    )
    if not after_text.isdigit():
        raise validation(f"Invalid value for after: '{after_raw}'")
    after = int(after_text)
    if after + limit > MAX_RESULTS:
        raise validation(
            f"Search results are limited to {MAX_RESULTS:,}: after ({after}) plus limit ({limit}) exceeds it."
        )
    query = body.get("query")
    if query is not None and not isinstance(query, str):
        raise validation("Invalid input JSON: `query` must be a string")
    limits = ctx.backend.settings.get("search_filter_limits") or search.DEFAULT_LIMITS
    groups = parse_filters(body, tuple(limits), bool(ctx.backend.settings.get("search_in_lowercase_only")))
    sort = parse_sort(body)
    props = str_list(body.get("properties"), "properties")
    page, total = search.search_store(
        ctx.backend.properties, ctx.backend.records, object_type, groups, sort, query, after, limit
    )
    out: dict[str, Any] = {"total": total, "results": [record_json(ctx, r, props) for r in page]}
    if after + limit < total and after + limit < MAX_RESULTS:
        out["paging"] = {"next": {"after": str(after + limit)}}
    return json_response(out)


ROUTES: list[Route] = [Route("/crm/v3/objects/<object_type>/search", ("POST",), do_search)]
