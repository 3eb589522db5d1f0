"""Aggregate queries: `COUNT(Id)`, `SUM/AVG/MIN/MAX/COUNT_DISTINCT(field)`, `GROUP BY`, `HAVING`.

Binding turns the SELECT list, HAVING and ORDER BY into references to the columns of one group row:
`g<i>` for the i-th GROUP BY field, `a<j>` for the j-th distinct aggregate call. HAVING and ORDER BY
are then bound as ordinary conditions / sort keys over those synthetic columns, so the predicate
compiler and the sorter run on group rows unchanged.

Results are `AggregateResult` rows (REST: `{"attributes": {"type": "AggregateResult"}, "expr0": 3}`):
each column under its alias, a grouped field under its own name (`Account.Name` -> `Name`), unaliased
aggregates as expr0, expr1... in SELECT order. SOQL and SOSL Reference: "Aggregate Functions",
"GROUP BY", "HAVING", "Using Aliases with GROUP BY", "Considerations for GROUP BY".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.salesforce.soql import errors as E
from simulator.salesforce.soql.nodes import Aggregate, FieldPath, FieldsMacro, SubQuery
from simulator.salesforce.soql.predicates import normalizer
from simulator.salesforce.soql.results import AGGREGATE_RESULT
from simulator.salesforce.soql.schema import NON_GROUPABLE_TYPES, NUMBER_TYPES, FieldInfo

if TYPE_CHECKING:
    from simulator.salesforce.soql.binder import BoundPath, _Binder

# Types each function accepts (describe `aggregatable` is false for long text areas).
_MIN_MAX_TYPES = NUMBER_TYPES | {"date", "datetime", "string", "email", "phone", "url", "picklist", "id",
                                 "reference", "combobox"}


@dataclass(frozen=True)
class BoundAggregate:
    func: str
    path: BoundPath  # the argument
    column: str  # a<j>

    @property
    def type(self) -> str:
        if self.func in ("COUNT", "COUNT_DISTINCT"):
            return "int"
        if self.func in ("SUM", "AVG"):
            return "double"
        return self.path.type


@dataclass(frozen=True)
class AggregatePlan:
    groups: tuple[BoundPath, ...]  # GROUP BY, in order: column g<i>
    calls: tuple[BoundAggregate, ...]  # distinct aggregate calls: column a<j>
    output: tuple[tuple[str, str], ...]  # (result key, column) in SELECT order
    having: Any  # BoundCondition over the columns, or None
    order: tuple[Any, ...]  # BoundOrder over the columns


class AggregateBinder:
    """Binds the aggregate parts of one query with the query's `_Binder` (names, literals, errors)."""

    def __init__(self, binder: _Binder) -> None:
        self.b = binder
        self.groups: list[BoundPath] = []
        self.calls: dict[tuple[str, tuple[str, ...]], BoundAggregate] = {}

    @staticmethod
    def column(name: str, ftype: str) -> BoundPath:
        from simulator.salesforce.soql.binder import BoundPath as BP

        return BP((), FieldInfo(name, ftype), AGGREGATE_RESULT)

    def bind_call(self, agg: Aggregate) -> BoundAggregate:
        if agg.key in self.calls:
            return self.calls[agg.key]
        bp = self.b.path(agg.arg)
        t = bp.type
        ok = {
            "SUM": t in NUMBER_TYPES,
            "AVG": t in NUMBER_TYPES,
            "MIN": t in _MIN_MAX_TYPES,
            "MAX": t in _MIN_MAX_TYPES,
        }.get(agg.func, t not in ("textarea", "multipicklist"))
        if not ok:
            raise self.b.err(
                E.INVALID_FIELD, f"field {bp.field.name} does not support aggregate operator {agg.func}", agg.pos
            )
        call = BoundAggregate(agg.func, bp, f"a{len(self.calls)}")
        self.calls[agg.key] = call
        return call

    def grouped(self, fp: FieldPath) -> tuple[int, BoundPath]:
        bp = self.b.path(fp)
        for i, g in enumerate(self.groups):
            if g.key == bp.key:
                return i, g
        raise self.b.err(E.MALFORMED_QUERY, f"Field must be grouped or aggregated: {'.'.join(bp.names)}", fp.pos)

    def synthetic(self, item: FieldPath | Aggregate) -> BoundPath:
        """A HAVING / ORDER BY operand as a column of the group row."""
        if isinstance(item, Aggregate):
            call = self.bind_call(item)
            return self.column(call.column, call.type)
        i, g = self.grouped(item)
        return self.column(f"g{i}", g.type)

    def bind(self) -> AggregatePlan:
        q = self.b.q
        if q.is_count:
            raise self.b.err(E.MALFORMED_QUERY, "COUNT() and GROUP BY may not be used together; use COUNT(Id)", q.object_pos)
        for fp in q.group_by:
            bp = self.b.path(fp)
            if bp.type in NON_GROUPABLE_TYPES:
                raise self.b.err(E.INVALID_FIELD, f"field '{bp.field.name}' can not be grouped in a query call", fp.pos)
            if any(g.key == bp.key for g in self.groups):
                raise self.b.err(E.MALFORMED_QUERY, f"duplicate field in GROUP BY: {'.'.join(bp.names)}", fp.pos)
            self.groups.append(bp)
        if q.limit is not None and not q.group_by:
            raise self.b.err(
                E.MALFORMED_QUERY, "LIMIT is not allowed in an aggregate query without GROUP BY", q.limit_pos
            )
        output: list[tuple[str, str]] = []
        expr = 0
        for item in q.select:
            if isinstance(item, SubQuery | FieldsMacro):
                what = "relationship sub-queries" if isinstance(item, SubQuery) else "FIELDS()"
                raise self.b.err(E.MALFORMED_QUERY, f"{what} can not be used in an aggregate query", item.pos)
            if isinstance(item, Aggregate):
                call = self.bind_call(item)
                name = item.alias
                if name is None:
                    name, expr = f"expr{expr}", expr + 1
                output.append((name, call.column))
            else:
                i, g = self.grouped(item)
                output.append((item.alias or g.field.name, f"g{i}"))
        seen: set[str] = set()
        for name, _ in output:
            if name.lower() in seen:
                raise self.b.err(E.MALFORMED_QUERY, f"duplicate alias: {name}", q.object_pos)
            seen.add(name.lower())
        having = None
        if q.having is not None:
            if not q.group_by:
                raise self.b.err(E.MALFORMED_QUERY, "HAVING can only be used with GROUP BY", q.object_pos)
            having = self.b.condition(q.having, operand=self.synthetic)
        order = tuple(self.b.order_item(o, operand=self.synthetic) for o in q.order_by)
        return AggregatePlan(tuple(self.groups), tuple(self.calls.values()), tuple(output), having, order)


# --- execution ---------------------------------------------------------------------------------------
def group_rows(
    plan: AggregatePlan, records: list[dict[str, Any]], getter: Callable[[BoundPath], Callable[[Any], Any]]
) -> list[dict[str, Any]]:
    """One dict per group (columns g<i>, a<j>), in order of first appearance. Text groups compare
    case-insensitively, as SOQL groups them; the first value seen names the group. Without GROUP BY
    there is exactly one group, even over no records."""
    group_get = [(getter(g), normalizer(g.type)) for g in plan.groups]
    buckets: dict[tuple[Any, ...], tuple[list[Any], list[dict[str, Any]]]] = {}
    for rec in records:
        raw = [get(rec) for get, _ in group_get]
        key = tuple(None if v is None else norm(v) for v, (_, norm) in zip(raw, group_get, strict=True))
        buckets.setdefault(key, (raw, []))[1].append(rec)
    if not plan.groups and not buckets:
        buckets[()] = ([], [])
    call_get = [(c, getter(c.path), normalizer(c.path.type)) for c in plan.calls]
    out = []
    for raw, members in buckets.values():
        row: dict[str, Any] = {f"g{i}": v for i, v in enumerate(raw)}
        for call, get, norm in call_get:
            row[call.column] = _compute(call, [v for r in members if (v := get(r)) is not None], norm)
        out.append(row)
    return out


def _compute(call: BoundAggregate, values: list[Any], norm: Callable[[Any], Any]) -> Any:
    if call.func == "COUNT":
        return len(values)
    if call.func == "COUNT_DISTINCT":
        return len({norm(v) for v in values})
    if not values:
        return None
    if call.func == "SUM":
        total = sum(values)
        return total if call.path.type == "int" else float(total)
    if call.func == "AVG":
        return sum(values) / len(values)
    pick = min if call.func == "MIN" else max
    return pick(values, key=norm)
