"""Sub-queries: semi-joins / anti-joins in WHERE and child relationship queries in SELECT.

A semi-join runs once per execution: its ids replace it as an `IN` / `NOT IN` list, so the planner
can still answer `Id IN (SELECT OpportunityId FROM OpportunityContactRole ...)` from the Id index.
A child relationship query runs per parent row through the child's reference index (a scan when the
source has none). Its result is `None` when no child matches, else a `ChildResult`
(`{"totalSize": n, "done": true, "records": [...]}` on the wire): SOQL and SOSL Reference,
"Relationship Queries"; REST API Developer Guide, "Query" (nested query results).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from simulator.salesforce.soql.binder import (
    BAnd,
    BNot,
    BOr,
    BoundChild,
    BoundCondition,
    BoundQuery,
    BSemi,
    BSet,
    Value,
)
from simulator.salesforce.soql.results import ChildResult, Row

if TYPE_CHECKING:
    from simulator.salesforce.soql.predicates import Predicate

Record = dict[str, Any]
RunInner = Callable[[BoundQuery], list[Row]]


def resolve_semi_joins(bq: BoundQuery, run_inner: RunInner) -> BoundQuery:
    """`bq` with every semi-join / anti-join replaced by IN / NOT IN over the inner query's ids."""
    if bq.where is None or not _has_semi(bq.where):
        return bq
    return replace(bq, where=_substitute(bq.where, run_inner))


def _has_semi(cond: BoundCondition) -> bool:
    if isinstance(cond, BSemi):
        return True
    if isinstance(cond, BAnd | BOr):
        return any(_has_semi(c) for c in cond.items)
    if isinstance(cond, BNot):
        return _has_semi(cond.item)
    return False


def _substitute(cond: BoundCondition, run_inner: RunInner) -> BoundCondition:
    if isinstance(cond, BSemi):
        column = cond.inner.fields[0].field.name
        found = {row.get(column) for row in run_inner(cond.inner)}
        values = tuple(Value(v) for v in sorted(v for v in found if isinstance(v, str)))
        return BSet(cond.path, "NOT IN" if cond.negated else "IN", values)
    if isinstance(cond, BAnd):
        return BAnd(tuple(_substitute(c, run_inner) for c in cond.items))
    if isinstance(cond, BOr):
        return BOr(tuple(_substitute(c, run_inner) for c in cond.items))
    if isinstance(cond, BNot):
        return BNot(_substitute(cond.item, run_inner))
    return cond


class ChildFetcher:
    """Runs one child relationship query per parent row (the predicate is compiled once)."""

    def __init__(
        self,
        child: BoundChild,
        source: Any,
        predicate: Predicate,
        finish: Callable[[list[Record]], list[Row]],
        include_deleted: bool,
    ) -> None:
        self.child = child
        self.source = source
        self.predicate = predicate
        self.finish = finish  # sorts, pages and projects the matching child records
        self.include_deleted = include_deleted

    def rows_for(self, parent_id: Any) -> ChildResult | None:
        if not isinstance(parent_id, str):
            return None
        obj, field = self.child.query.object_name, self.child.field
        lookup = getattr(self.source, "lookup_eq", None)
        found = lookup(obj, field, [parent_id], include_deleted=self.include_deleted) if lookup else None
        if found is None:
            key = parent_id[:15]
            found = [
                r for r in self.source.scan(obj, self.include_deleted)
                if isinstance(r.get(field), str) and r[field][:15] == key
            ]
        matched = [
            r for r in found
            if (self.include_deleted or not r.get("IsDeleted")) and self.predicate(r)
        ]
        rows = self.finish(matched)
        return ChildResult(rows) if rows else None
