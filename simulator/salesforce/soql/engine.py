"""Planning and execution: BoundQuery + record source -> QueryResult.

Planner: when a top-level AND conjunct (or the whole WHERE) is `Field = value` / `Field IN (...)` on
a direct field, ask the source's equality index; otherwise, when conjuncts bound a date, datetime or
number field (`>`, `>=`, `<`, `<=`, `= TODAY`...), ask its range index. The full WHERE is applied to
whatever the index returns, so an index only has to return a superset of the matches. When the range
field is also the first ORDER BY key (ascending), rows arrive sorted and a LIMIT stops the scan early.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from simulator.salesforce.soql.aggregate import group_rows
from simulator.salesforce.soql.binder import (
    BAnd,
    BCompare,
    BoundCondition,
    BoundOrder,
    BoundPath,
    BoundQuery,
    BSet,
)
from simulator.salesforce.soql.dates import date_function
from simulator.salesforce.soql.predicates import Compiler, Predicate, normalizer
from simulator.salesforce.soql.results import AGGREGATE_RESULT, QueryResult, Row, SelectedField
from simulator.salesforce.soql.schema import NUMBER_TYPES
from simulator.salesforce.soql.subqueries import ChildFetcher, resolve_semi_joins

Record = dict[str, Any]
RANGE_INDEX_TYPES = NUMBER_TYPES | {"date", "datetime"}


class _Context:
    """Per-execution state: the source and a cache of parent records fetched for relationships.

    Polymorphic references (OwnerId -> User or Group, WhoId -> Lead or Contact) are followed to the
    object the id's key prefix names when the schema offers `object_for_id(id)`."""

    def __init__(self, source: Any, schema: Any = None) -> None:
        self.source = source
        self.object_for_id = getattr(schema, "object_for_id", None)
        self.parents: dict[tuple[str, str], tuple[str, Record] | None] = {}

    def parent_of(self, target: str, record_id: Any) -> tuple[str, Record] | None:
        """(object name, record) referenced by `record_id`, or None."""
        if not isinstance(record_id, str) or not record_id:
            return None
        key = (target, record_id)
        if key not in self.parents:
            obj = target
            if self.object_for_id is not None:
                found = self.object_for_id(record_id)
                if found is not None:
                    obj = found if isinstance(found, str) else str(found.name)
            rec = self.source.get(obj, record_id)
            self.parents[key] = (obj, rec) if rec is not None else None
        return self.parents[key]

    def getter(self, bp: BoundPath) -> Callable[[Record], Any]:
        if bp.func is not None:
            raw = self.getter(BoundPath(bp.hops, bp.field, bp.root))
            fn = date_function(bp.func)
            return lambda rec: None if (v := raw(rec)) is None else fn(v)
        name = bp.field.name
        if not bp.hops:
            return lambda rec: rec.get(name)
        hops = [(h.reference_field, h.target) for h in bp.hops]

        def follow(rec: Record) -> Any:
            cur: Record = rec
            for ref, target in hops:
                found = self.parent_of(target, cur.get(ref))
                if found is None:
                    return None
                cur = found[1]
            return cur.get(name)

        return follow


# --- planning ----------------------------------------------------------------------------------------
def _conjuncts(where: BoundCondition | None) -> list[BoundCondition]:
    if where is None:
        return []
    return list(where.items) if isinstance(where, BAnd) else [where]


def _eq_candidates(conjuncts: list[BoundCondition]) -> Iterator[tuple[str, list[Any]]]:
    for c in conjuncts:
        if isinstance(c, BCompare) and c.op == "=":
            vals = [c.value]
        elif isinstance(c, BSet) and c.op == "IN":
            vals = list(c.values)
        else:
            continue
        if c.path.hops or c.path.func or c.path.type == "multipicklist":
            continue
        if any(v.is_null or v.is_range for v in vals):
            continue
        natives = [v.native for v in vals]
        if c.path.type not in NUMBER_TYPES and any(v == "" for v in natives):
            continue  # '' means null: not in an index
        yield c.path.field.name, natives


class _Bounds:
    def __init__(self) -> None:
        self.low: Any = None
        self.low_inclusive = True
        self.high: Any = None
        self.high_inclusive = True

    def add_low(self, value: Any, inclusive: bool) -> None:
        if self.low is None or value > self.low or (value == self.low and not inclusive):
            self.low, self.low_inclusive = value, inclusive

    def add_high(self, value: Any, inclusive: bool) -> None:
        if self.high is None or value < self.high or (value == self.high and not inclusive):
            self.high, self.high_inclusive = value, inclusive


def _range_candidates(conjuncts: list[BoundCondition], compiler: Compiler) -> dict[str, _Bounds]:
    out: dict[str, _Bounds] = {}
    for c in conjuncts:
        if not isinstance(c, BCompare) or c.path.hops or c.path.func or c.path.type not in RANGE_INDEX_TYPES:
            continue
        if c.value.is_null or c.op in ("!=", "LIKE"):
            continue
        b = out.setdefault(c.path.field.name, _Bounds())
        if c.value.is_range:
            lo, hi = compiler.range_bounds(c.value, c.path.type)
            if c.op in ("=", ">="):
                b.add_low(lo, True)
            if c.op in ("=", "<="):
                b.add_high(hi, False)
            if c.op == ">":
                b.add_low(hi, True)
            if c.op == "<":
                b.add_high(lo, False)
            continue
        v = c.value.native
        if c.op in ("=", ">", ">="):
            b.add_low(v, c.op != ">")
        if c.op in ("=", "<", "<="):
            b.add_high(v, c.op != "<")
    return out


class _Plan:
    def __init__(self, rows: Iterable[Record], kind: str, sorted_by: str | None = None) -> None:
        self.rows = rows
        self.kind = kind  # "scan" | "eq:<field>" | "range:<field>"
        self.sorted_by = sorted_by  # field the rows arrive ascending by (range index), if any


def plan(bq: BoundQuery, source: Any, compiler: Compiler, include_deleted: bool) -> _Plan:
    obj = bq.object_name
    conjuncts = _conjuncts(bq.where)
    lookup_eq = getattr(source, "lookup_eq", None)
    if lookup_eq is not None:
        for field, values in _eq_candidates(conjuncts):
            rows = lookup_eq(obj, field, values, include_deleted=include_deleted)
            if rows is not None:
                return _Plan(rows, f"eq:{field}")
    lookup_range = getattr(source, "lookup_range", None)
    if lookup_range is not None:
        ranges = _range_candidates(conjuncts, compiler)
        first = bq.order_by[0] if bq.order_by else None
        # prefer the field we are asked to sort by: its index yields rows already in order
        names = sorted(
            ranges, key=lambda f: not (first and not first.path.hops and first.path.field.name == f)
        )
        for field in names:
            b = ranges[field]
            rows = lookup_range(
                obj,
                field,
                b.low,
                b.high,
                low_inclusive=b.low_inclusive,
                high_inclusive=b.high_inclusive,
                include_deleted=include_deleted,
            )
            if rows is not None:
                return _Plan(rows, f"range:{field}", sorted_by=field)
    return _Plan(source.scan(obj, include_deleted), "scan")


# --- ordering ----------------------------------------------------------------------------------------
def _sort(records: list[Record], order: tuple[BoundOrder, ...], ctx: _Context) -> list[Record]:
    """Stable multi-key sort, last key first; nulls placed per key (first for ASC by default)."""
    for item in reversed(order):
        get = ctx.getter(item.path)
        norm = normalizer(item.path.type)
        keyed = [(None if (v := get(r)) is None else norm(v), r) for r in records]
        present = [(k, r) for k, r in keyed if k is not None]
        nulls = [r for k, r in keyed if k is None]
        present.sort(key=lambda kr: kr[0], reverse=item.descending)
        ordered = [r for _, r in present]
        records = nulls + ordered if item.nulls_first else ordered + nulls
    return records


# --- execution ---------------------------------------------------------------------------------------
def _today(now: Callable[[], datetime]) -> date:
    current = now()
    if current.tzinfo is None:
        current = current.replace(tzinfo=UTC)
    return current.astimezone(UTC).date()


def run(
    bq: BoundQuery,
    source: Any,
    now: Callable[[], datetime],
    include_deleted: bool = False,
    stats: dict[str, Any] | None = None,
    schema: Any = None,
    children_limit: int | None = None,
) -> QueryResult:
    """`children_limit`: fill child sub-queries for that many leading rows only (the REST layer
    fills later pages when it serves them)."""
    # semi-joins see live rows only, whatever the outer query (queryAll) sees
    bq = resolve_semi_joins(bq, lambda inner: run(inner, source, now, False, None, schema).records)
    ctx = _Context(source, schema)
    compiler = Compiler(ctx.getter, _today(now))
    predicate: Predicate = compiler.compile(bq.where) if bq.where is not None else (lambda r: True)
    q = bq.query
    p = plan(bq, source, compiler, include_deleted)
    if stats is not None:
        stats["plan"] = p.kind

    offset = q.offset or 0
    need = None if q.limit is None else offset + q.limit
    first = bq.order_by[0] if bq.order_by else None
    streams_in_order = (
        p.sorted_by is not None
        and first is not None
        and not first.descending
        and not first.path.hops
        and first.path.field.name == p.sorted_by
    )
    can_stop = (
        need is not None
        and not q.is_count
        and bq.aggregate is None
        and (not bq.order_by or streams_in_order)
    )
    dedupe = p.kind.startswith("eq:")
    seen: set[Any] = set()
    matched: list[Record] = []
    stop_after: Any = _UNSET
    for rec in p.rows:
        if not include_deleted and rec.get("IsDeleted"):
            continue
        if dedupe:
            rid = rec.get("Id")
            if rid in seen:
                continue
            seen.add(rid)
        if stop_after is not _UNSET and rec.get(p.sorted_by or "") != stop_after:
            break
        if not predicate(rec):
            continue
        matched.append(rec)
        if can_stop and need is not None and len(matched) >= need:
            if not streams_in_order or len(bq.order_by) == 1:
                break
            # later ORDER BY keys may reorder ties of the first key: take the rest of this tie group
            stop_after = rec.get(p.sorted_by or "")

    if q.is_count:
        total = max(0, len(matched) - offset)
        if q.limit is not None:
            total = min(total, q.limit)
        return QueryResult(bq.object_name, [], total, True, ())

    if bq.aggregate is not None:
        return _aggregate(bq, matched, ctx, compiler, offset, need)
    rows = _finish(bq, matched, ctx, offset, need)
    _attach_children(bq, rows[:children_limit], ctx, compiler, include_deleted)
    selected = tuple(SelectedField(bp.names, bp.objects, bp.field) for bp in bq.fields)
    return QueryResult(bq.object_name, rows, len(rows), False, selected)


def attach_children(
    bq: BoundQuery,
    rows: list[Row],
    source: Any,
    now: Callable[[], datetime],
    include_deleted: bool = False,
    schema: Any = None,
) -> None:
    """Fill in the child relationship sub-queries of rows projected outside `run` (the later pages
    of a query locator)."""
    ctx = _Context(source, schema)
    _attach_children(bq, rows, ctx, Compiler(ctx.getter, _today(now)), include_deleted)


def _attach_children(
    bq: BoundQuery, rows: list[Row], ctx: _Context, compiler: Compiler, include_deleted: bool
) -> None:
    fetchers = [
        ChildFetcher(
            child,
            ctx.source,
            compiler.compile(child.query.where) if child.query.where is not None else (lambda r: True),
            lambda recs, cq=child.query: _finish(cq, recs, ctx, cq.query.offset or 0, _need(cq.query)),
            include_deleted,
        )
        for child in bq.children
    ]
    for row in rows:
        for f in fetchers:
            row[f.child.relationship] = f.rows_for(row.record_id)
        if fetchers:  # the REST answer lists a sub-query where the SELECT names it
            values = dict(row)
            row.clear()
            row.update((k, values[k]) for k in bq.key_order if k in values)


def _need(q: Any) -> int | None:
    return None if q.limit is None else (q.offset or 0) + q.limit


def _finish(bq: BoundQuery, matched: list[Record], ctx: _Context, offset: int, need: int | None) -> list[Row]:
    """Sort, page and project matched records."""
    if bq.order_by:
        matched = _sort(matched, bq.order_by, ctx)
    return [_row(rec, bq, ctx) for rec in matched[offset:need]]


def _aggregate(
    bq: BoundQuery, matched: list[Record], ctx: _Context, compiler: Compiler, offset: int, need: int | None
) -> QueryResult:
    plan = bq.aggregate
    groups = group_rows(plan, matched, ctx.getter)
    if plan.having is not None:
        keep = Compiler(lambda bp: lambda g, n=bp.field.name: g.get(n), compiler.today).compile(plan.having)
        groups = [g for g in groups if keep(g)]
    if plan.order:
        groups = _sort(groups, plan.order, ctx)
    rows = []
    for g in groups[offset:need]:
        row = Row(AGGREGATE_RESULT, None)
        for name, column in plan.output:
            row[name] = g.get(column)
        rows.append(row)
    return QueryResult(bq.object_name, rows, len(rows), False, (), is_aggregate=True)


_UNSET = object()


def _row(rec: Record, bq: BoundQuery, ctx: _Context) -> Row:
    row = Row(bq.object_name, rec.get("Id"))
    sources: dict[int, Record] = {id(row): rec}  # nested Row -> the record it shows
    for bp in bq.fields:
        cur_row, cur_rec = row, rec
        complete = True
        for hop in bp.hops:
            existing = cur_row.get(hop.relationship, _UNSET)
            if existing is None:
                complete = False
                break
            if isinstance(existing, Row):
                cur_row, cur_rec = existing, sources[id(existing)]
                continue
            found = ctx.parent_of(hop.target, cur_rec.get(hop.reference_field))
            if found is None:
                cur_row[hop.relationship] = None
                complete = False
                break
            parent_obj, parent = found
            nested = Row(parent_obj, parent.get("Id"))
            sources[id(nested)] = parent
            cur_row[hop.relationship] = nested
            cur_row, cur_rec = nested, parent
        if complete:
            cur_row[bp.field.name] = cur_rec.get(bp.field.name)
    return row
