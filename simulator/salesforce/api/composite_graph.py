"""`/composite/graph` and `/composite/tree/{sObject}` (REST API Developer Guide, "Composite Graph"
and "sObject Tree").

* graph: `{"graphs": [{"graphId", "compositeRequest": [...]}]}`; each graph runs like a /composite
  request with allOrNone (a failing subrequest rolls its graph back), graphs independently of each
  other; answer `{"graphs": [{"graphId", "graphResponse": {"compositeResponse": [...]},
  "isSuccessful"}]}`.
* tree: `{"records": [{"attributes": {"type", "referenceId"}, fields..., "<ChildRelationship>":
  {"records": [...]}}]}` creates parents and their children (up to 5 levels, 200 records) in one
  transaction: 201 `{"hasErrors": false, "results": [{"referenceId", "id"}]}`, or 400 `{"hasErrors":
  true, "results": [{"referenceId", "errors": [{"statusCode", "message", "fields"}]}]}` with nothing
  saved.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from simulator.core.service import Ctx, Route, json_response
from simulator.salesforce import errors
from simulator.salesforce.api.common import DATA, allow_duplicates, check_version, user_id
from simulator.salesforce.api.composite import _body, item_error
from simulator.salesforce.api.composite_requests import _parse_composite, run_composite
from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.models import SalesforceBackend

C = f"{DATA}/composite"
MAX_GRAPHS = 75
MAX_GRAPH_NODES = 500
MAX_TREE_RECORDS = 200
MAX_TREE_DEPTH = 5


class _TreeFailed(Exception):
    pass


def graph(ctx: Ctx, version: str) -> Response:
    check_version(version)
    body = _body(ctx)
    graphs = body.get("graphs")
    if not isinstance(graphs, list) or not graphs:
        raise errors.json_parser_error("graphs is required and must be a non-empty array")
    if len(graphs) > MAX_GRAPHS:
        raise SalesforceError(400, "INVALID_BATCH_REQUEST", f"A composite graph request cannot contain more than {MAX_GRAPHS} graphs")
    parsed = []
    seen: set[str] = set()
    for g in graphs:
        if not isinstance(g, dict) or not isinstance(g.get("graphId"), str) or not g["graphId"]:
            raise SalesforceError(400, "INVALID_INPUT", "Each graph needs a graphId")
        if g["graphId"] in seen:
            raise SalesforceError(400, "INVALID_INPUT", f"Duplicate graphId: {g['graphId']}")
        seen.add(g["graphId"])
        reqs = g.get("compositeRequest")
        if not isinstance(reqs, list) or not reqs:
            raise errors.json_parser_error("compositeRequest is required and must be a non-empty array")
        if len(reqs) > MAX_GRAPH_NODES:
            raise SalesforceError(400, "INVALID_BATCH_REQUEST", f"A graph cannot contain more than {MAX_GRAPH_NODES} nodes")
        parsed.append((g["graphId"], _parse_composite(reqs)))
    out = []
    for graph_id, subs in parsed:
        responses, ok = run_composite(ctx, subs, all_or_none=True)
        out.append({"graphId": graph_id, "graphResponse": {"compositeResponse": responses}, "isSuccessful": ok})
    return json_response({"graphs": out})


def tree(ctx: Ctx, version: str, obj: str) -> Response:
    check_version(version)
    backend: SalesforceBackend = ctx.backend
    root = backend.schema.resolve_object(obj)
    if root is None:
        raise errors.not_found()
    records = _body(ctx).get("records")
    if not isinstance(records, list) or not records:
        raise errors.json_parser_error("records is required and must be a non-empty array")
    planned: list[tuple[str, str, dict[str, Any], tuple[str, str] | None]] = []  # (ref, type, fields, (parent ref, field))
    _plan(backend, root.name, records, None, 1, planned)
    if len(planned) > MAX_TREE_RECORDS:
        raise SalesforceError(400, "INVALID_BATCH_REQUEST", f"A tree request cannot contain more than {MAX_TREE_RECORDS} records")
    refs = [ref for ref, *_ in planned]
    dupes = sorted({r for r in refs if refs.count(r) > 1})
    if dupes:
        raise SalesforceError(400, "INVALID_INPUT", f"Duplicate ReferenceId provided in the request: {dupes[0]}")
    created: dict[str, str] = {}
    results: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    uid, dup = user_id(ctx), allow_duplicates(ctx)
    try:
        with backend.transaction():
            for ref, type_name, fields, parent in planned:
                values = dict(fields)
                if parent is not None:
                    parent_id = created.get(parent[0])
                    if parent_id is None:
                        continue  # its parent failed: reported there
                    values[parent[1]] = parent_id
                try:
                    rid = backend.create(type_name, values, user=uid, allow_duplicates=dup)
                except SalesforceError as err:
                    failures.append({"referenceId": ref, "errors": [item_error(err)]})
                    continue
                created[ref] = rid
                results.append({"referenceId": ref, "id": rid})
            if failures:
                raise _TreeFailed
    except _TreeFailed:
        return json_response({"hasErrors": True, "results": failures}, 400)
    return json_response({"hasErrors": False, "results": results}, 201)


def _plan(
    backend: SalesforceBackend,
    type_name: str,
    records: list[Any],
    parent: tuple[str, str] | None,
    depth: int,
    out: list[tuple[str, str, dict[str, Any], tuple[str, str] | None]],
) -> None:
    """Flatten the tree, parents before their children, checking each record's attributes."""
    if depth > MAX_TREE_DEPTH:
        raise SalesforceError(400, "INVALID_INPUT", f"A tree can be at most {MAX_TREE_DEPTH} levels deep")
    children = {c["relationshipName"].lower(): c for c in backend.schema.child_relationships(backend.object(type_name))}
    for rec in records:
        if not isinstance(rec, dict):
            raise errors.json_parser_error("Cannot deserialize instance of SObject from a non-object value")
        attrs = rec.get("attributes")
        if not isinstance(attrs, dict) or not isinstance(attrs.get("referenceId"), str) or not attrs["referenceId"]:
            raise SalesforceError(400, "INVALID_INPUT", "Include a reference ID for each record in the request.")
        declared = attrs.get("type")
        resolved = backend.schema.resolve_object(declared) if isinstance(declared, str) else None
        if resolved is None or resolved.name != type_name:
            raise SalesforceError(400, "INVALID_INPUT", f"The type attribute of {attrs['referenceId']} must be {type_name}")
        fields: dict[str, Any] = {}
        nested: list[tuple[dict[str, Any], list[Any]]] = []
        for key, value in rec.items():
            if key == "attributes":
                continue
            child = children.get(key.lower())
            if child is not None and isinstance(value, dict):
                inner = value.get("records")
                if not isinstance(inner, list):
                    raise errors.json_parser_error(f"{key} must hold a records array")
                nested.append((child, inner))
            else:
                fields[key] = value
        out.append((attrs["referenceId"], type_name, fields, parent))
        for child, inner in nested:
            _plan(backend, child["childSObject"], inner, (attrs["referenceId"], child["field"]), depth + 1, out)


ROUTES: list[Route] = [
    Route(f"{C}/graph", ("POST",), graph),
    Route(f"{C}/tree/<obj>", ("POST",), tree),
]
