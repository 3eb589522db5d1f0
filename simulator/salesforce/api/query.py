"""`GET /query/?q=` and `GET /queryAll/?q=` plus their continuation `GET /query/<locator>-<offset>`.

The SOQL engine (`simulator.salesforce.soql`) matches and orders; this module pages and renders.
The first call snapshots the matched ids into a cursor (`cursors.py`); later pages are projected
from the store when fetched, the way a Salesforce query locator hands out batches.

Also home of the record projection shared with Bulk API 2.0 query jobs (`api/bulk2.py`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from flask import Response

from simulator.core.service import Ctx, Route, json_response
from simulator.salesforce import cursors as cursor_store
from simulator.salesforce.api.common import DATA, check_version, user_id
from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.models import SalesforceBackend
from simulator.salesforce.soql import execute, parse
from simulator.salesforce.soql.binder import BoundPath, BoundQuery, bind
from simulator.salesforce.soql.engine import attach_children
from simulator.salesforce.soql.errors import SoqlError
from simulator.salesforce.soql.results import QueryResult, Row, render_record
from simulator.salesforce.wire import format_datetime

DEFAULT_BATCH = 2000
MIN_BATCH, MAX_BATCH = 200, 2000
_BATCH_OPTION = re.compile(r"batchsize\s*=\s*(-?\d+)", re.IGNORECASE)
_LOCATOR = re.compile(r"^(?P<loc>[0-9A-Za-z]{15,18})(?:-(?P<off>\d+))?$")


# --- the engine, wrapped ------------------------------------------------------------------------------
def soql_error(err: SoqlError) -> SalesforceError:
    return SalesforceError(400, err.error_code, err.message)


def run_soql(
    backend: SalesforceBackend, text: str, include_deleted: bool, children_limit: int | None = None
) -> QueryResult:
    """Parse and execute `text` against the store; SoqlError becomes the REST 400 list.
    `children_limit`: fill child sub-queries for the first page only (later pages fill their own)."""
    try:
        return execute(
            parse(text), backend.schema, backend.source, backend.now, include_deleted,
            children_limit=children_limit,
        )
    except SoqlError as err:  # the parser caps nesting (MAX_NESTING), so no RecursionError reaches here
        raise soql_error(err) from None


def bound_query(backend: SalesforceBackend, text: str) -> BoundQuery:
    """The bound form of a query that already ran once (a cursor's or job's)."""
    try:
        return bind(parse(text), backend.schema)
    except SoqlError as err:  # the schema changed under an open cursor: treat like a dead locator
        raise soql_error(err) from None


def bound_fields(backend: SalesforceBackend, text: str) -> tuple[str, tuple[BoundPath, ...]]:
    """(FROM object, resolved SELECT list) of a query that already ran once (a cursor's or job's)."""
    bq = bound_query(backend, text)
    return bq.object_name, bq.fields


def project(backend: SalesforceBackend, obj: str, fields: Sequence[BoundPath], rec: dict[str, Any]) -> Row:
    """A store record as the engine's Row: the selected fields, parents nested under their
    relationship names (None when the reference is empty or the parent is gone)."""
    row = Row(obj, rec.get("Id"))
    for bp in fields:
        _put_path(backend, row, rec, bp, 0)
    return row


def _put_path(backend: SalesforceBackend, row: Row, rec: dict[str, Any], bp: BoundPath, depth: int) -> None:
    if depth == len(bp.hops):
        row[bp.field.name] = rec.get(bp.field.name)
        return
    hop = bp.hops[depth]
    ref = rec.get(hop.reference_field)
    parent = _parent(backend, hop.target, ref) if isinstance(ref, str) else None
    if parent is None:
        row[hop.relationship] = None
        return
    child = row.get(hop.relationship)
    if not isinstance(child, Row):
        child = Row(parent[0], ref)
        row[hop.relationship] = child
    _put_path(backend, child, parent[1], bp, depth + 1)


def _parent(backend: SalesforceBackend, target: str, ref: str) -> tuple[str, dict[str, Any]] | None:
    """The referenced record and its object; polymorphic references (Who, What, Owner) are
    resolved by the id's key prefix."""
    o = backend.schema.object_for_id(ref)
    name = o.name if o is not None else target
    rec = backend.source.get(name, ref)
    return (name, rec) if rec is not None else None


def json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def render(rows: Sequence[Row], api_version: str) -> list[dict[str, Any]]:
    return [render_record(r, api_version, json_value) for r in rows]


# --- HTTP ------------------------------------------------------------------------------------------------
def batch_size(ctx: Ctx, default: int = DEFAULT_BATCH) -> int:
    """`Sforce-Query-Options: batchSize=N`: Salesforce takes 200..2000 and clamps values outside."""
    m = _BATCH_OPTION.search(ctx.request.headers.get("Sforce-Query-Options", ""))
    if m is None:
        return default
    return max(MIN_BATCH, min(MAX_BATCH, int(m[1])))


def _page(records: list[dict[str, Any]], total: int, next_url: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"totalSize": total, "done": next_url is None}
    if next_url is not None:
        body["nextRecordsUrl"] = next_url
    body["records"] = records
    return body


def _next_url(version: str, include_deleted: bool, locator: str, offset: int) -> str:
    resource = "queryAll" if include_deleted else "query"
    return f"/services/data/v{version}/{resource}/{locator}-{offset}"


def run_query(ctx: Ctx, version: str, include_deleted: bool) -> Response:
    v = check_version(version)
    backend: SalesforceBackend = ctx.backend
    text = ctx.request.args.get("q")
    if text is None or not text.strip():
        raise SalesforceError(400, "MALFORMED_QUERY", "A query string has to be specified")
    size = batch_size(ctx)
    result = run_soql(backend, text, include_deleted, children_limit=size)
    if result.is_count:
        return json_response(_page([], result.total_size, None))
    rows = result.records
    if result.is_aggregate and len(rows) > MAX_BATCH:
        # REST API: "queries that include a GROUP BY clause can't use the query locator"
        raise SalesforceError(
            400,
            "MALFORMED_QUERY",
            "Aggregate query does not support queryMore(), use LIMIT to restrict the results to a single batch",
        )
    if result.is_aggregate:
        size = MAX_BATCH
    if len(rows) <= size:
        return json_response(_page(render(rows, v), len(rows), None))
    store = backend.cursors
    locator = cursor_store.new_locator(ctx.sandbox.rng)
    store.open(
        locator=locator,
        user_id=user_id(ctx) or "",
        soql=text,
        include_deleted=include_deleted,
        record_ids=[str(r.record_id) for r in rows],
        now=backend.now(),
        batch_size=size,
    )
    return json_response(
        _page(render(rows[:size], v), len(rows), _next_url(v, include_deleted, locator, size))
    )


def invalid_locator() -> SalesforceError:
    return SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")


def more(ctx: Ctx, version: str, locator: str, include_deleted: bool) -> Response:
    v = check_version(version)
    backend: SalesforceBackend = ctx.backend
    m = _LOCATOR.match(locator)
    if m is None:
        raise invalid_locator()
    store = backend.cursors
    cur = store.get(m["loc"], backend.now())
    offset = int(m["off"] or 0)
    if cur is None or offset > cur.total:
        raise invalid_locator()
    size = batch_size(ctx, cur.batch_size)
    bq = bound_query(backend, cur.soql)
    obj, fields = bq.object_name, bq.fields
    page_ids = cur.ids[offset : offset + size]
    rows: list[Row] = []
    for rid in page_ids:
        rec = backend.source.get(obj, rid)
        if rec is not None:  # emptied from the recycle bin since the snapshot
            rows.append(project(backend, obj, fields, rec))
    if bq.children:
        attach_children(bq, rows, backend.source, backend.now, cur.include_deleted, backend.schema)
    end = offset + len(page_ids)
    if end >= cur.total:
        store.close(cur.locator)
        next_url = None
    else:
        next_url = _next_url(v, cur.include_deleted, cur.locator, end)
    return json_response(_page(render(rows, v), cur.total, next_url))


def query(ctx: Ctx, version: str) -> Response:
    return run_query(ctx, version, include_deleted=False)


def query_all(ctx: Ctx, version: str) -> Response:
    return run_query(ctx, version, include_deleted=True)


def query_more(ctx: Ctx, version: str, locator: str) -> Response:
    return more(ctx, version, locator, include_deleted=False)


def query_all_more(ctx: Ctx, version: str, locator: str) -> Response:
    return more(ctx, version, locator, include_deleted=True)


ROUTES: list[Route] = [
    Route(f"{DATA}/query", ("GET",), query),
    Route(f"{DATA}/queryAll", ("GET",), query_all),
    Route(f"{DATA}/query/<locator>", ("GET",), query_more),
    Route(f"{DATA}/queryAll/<locator>", ("GET",), query_all_more),
]
