"""SOQL engine of the Salesforce fake: pure Python, no HTTP.

    from simulator.salesforce import soql
    q = soql.parse("SELECT Id, Owner.Name FROM Lead WHERE Email = 'a@b.c'")   # -> nodes.Query (AST)
    result = soql.execute(q_or_text, schema, source, now=sandbox.clock.now, include_deleted=False)
    result.records      # list[Row]: dicts of selected fields (canonical names), parents nested as Rows
    result.total_size   # len(records), or the COUNT() value
    soql.render_record(row, "59.0", format_value)  # -> wire dict with "attributes" (also nested)

Beyond plain field lists: child relationship sub-queries (a `ChildResult` or None under the
relationship name), semi-/anti-joins (`subqueries.py`), aggregate queries (`AggregateResult` rows,
`aggregate.py`) and FIELDS(ALL|STANDARD|CUSTOM). The optional schema methods
`resolve_child_relationship(obj, rel)` and `fields_of(obj)` back the sub-queries and FIELDS().

`schema` implements `schema.SoqlSchema`, `source` implements `schema.RecordSource` (one object may do
both); `memory.DictSchema` / `memory.DictSource` are in-memory versions. Every rejected query raises
`SoqlError(error_code, message)` (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE,
INVALID_QUERY_FILTER_OPERATOR, NUMBER_OUTSIDE_VALID_RANGE); nothing else is raised for bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from simulator.salesforce.soql.binder import BoundQuery, bind
from simulator.salesforce.soql.engine import run
from simulator.salesforce.soql.errors import SoqlError
from simulator.salesforce.soql.nodes import Query
from simulator.salesforce.soql.parser import parse
from simulator.salesforce.soql.results import QueryResult, Row, SelectedField, render_record
from simulator.salesforce.soql.schema import FieldInfo, RecordSource, SoqlSchema

__all__ = [
    "FieldInfo",
    "Query",
    "QueryResult",
    "RecordSource",
    "Row",
    "SelectedField",
    "SoqlError",
    "SoqlSchema",
    "bind",
    "execute",
    "parse",
    "render_record",
]


def execute(
    query: Query | str,
    schema: Any,
    source: Any,
    now: Callable[[], datetime],
    include_deleted: bool = False,
    *,
    stats: dict[str, Any] | None = None,
    children_limit: int | None = None,
) -> QueryResult:
    """Run a query (text or parsed) against `source`. `now` is the sandbox clock (relative date
    literals such as TODAY resolve against its UTC date). `include_deleted=True` is queryAll.
    `stats`, when given, receives {"plan": "scan" | "eq:<Field>" | "range:<Field>"}.
    `children_limit`: child sub-queries are filled for that many leading rows only (a page)."""
    q = parse(query) if isinstance(query, str) else query
    if not isinstance(q, Query):
        raise SoqlError("MALFORMED_QUERY", "query must be a string")
    bound: BoundQuery = bind(q, schema)
    return run(bound, source, now, include_deleted, stats, schema, children_limit)
