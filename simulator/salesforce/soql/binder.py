"""Name resolution and type checking: a parsed Query + a schema -> BoundQuery.

Resolves object, field and relationship names case-insensitively to their canonical spelling,
checks every literal against its field's type (raising the errors Salesforce raises) and keeps
both the literal's native value (for index look-ups) and its comparison form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.salesforce.soql import errors as E
from simulator.salesforce.soql.errors import Pos, positioned
from simulator.salesforce.soql.nodes import (
    Aggregate,
    And,
    BoolLit,
    Comparison,
    Condition,
    DateLit,
    DateRangeLit,
    DateTimeLit,
    FieldPath,
    FieldsMacro,
    Literal,
    Not,
    NullLit,
    NumberLit,
    Or,
    OrderItem,
    Query,
    SemiJoin,
    SetComparison,
    StringLit,
    SubQuery,
)
from simulator.salesforce.soql.schema import NUMBER_TYPES, TEXT_TYPES, FieldLike

ID_TYPES = frozenset({"id", "reference"})
PLAIN_TEXT_TYPES = TEXT_TYPES - ID_TYPES - {"multipicklist"}
ORDERED_TYPES = NUMBER_TYPES | {"date", "datetime"} | PLAIN_TEXT_TYPES | ID_TYPES
# describe type -> the type word Salesforce uses in "must be of type ..." messages
_TYPE_WORDS = {"boolean": "boolean", "date": "date", "datetime": "dateTime", "int": "integer"}


@dataclass(frozen=True)
class Hop:
    relationship: str  # canonical relationship name ("Owner")
    reference_field: str  # "OwnerId"
    target: str  # canonical target object ("User")


@dataclass(frozen=True)
class BoundPath:
    hops: tuple[Hop, ...]
    field: FieldLike
    root: str
    func: str | None = None  # a date function over the field (WHERE only): the value is its result

    @property
    def type(self) -> str:
        if self.func is not None:
            return "date" if self.func == "DAY_ONLY" else "int"
        return self.field.type

    @property
    def names(self) -> tuple[str, ...]:
        return (*(h.relationship for h in self.hops), self.field.name)

    @property
    def objects(self) -> tuple[str, ...]:
        return (self.root, *(h.target for h in self.hops))

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(n.lower() for n in self.names)


@dataclass(frozen=True)
class RangeValue:
    """A relative date literal (TODAY...) still to be resolved against the clock."""

    name: str
    n: int | None


@dataclass(frozen=True)
class Value:
    """A checked literal: `native` as the store holds it (for index look-ups); None for null."""

    native: Any
    is_range: bool = False

    @property
    def is_null(self) -> bool:
        return self.native is None


@dataclass(frozen=True)
class BCompare:
    path: BoundPath
    op: str  # = != < <= > >= LIKE
    value: Value
    like_raw: str | None = None  # LIKE pattern as written


@dataclass(frozen=True)
class BSet:
    path: BoundPath
    op: str  # IN | NOT IN | INCLUDES | EXCLUDES
    values: tuple[Value, ...]


@dataclass(frozen=True)
class BAnd:
    items: tuple[BoundCondition, ...]


@dataclass(frozen=True)
class BOr:
    items: tuple[BoundCondition, ...]


@dataclass(frozen=True)
class BNot:
    item: BoundCondition


@dataclass(frozen=True)
class BSemi:
    """A semi-join (`Id IN (SELECT ...)`) or anti-join (`negated`): the inner query selects one id or
    reference field; the engine runs it once and turns this into an IN / NOT IN over the ids."""

    path: BoundPath
    negated: bool
    inner: BoundQuery


BoundCondition = BCompare | BSet | BSemi | BAnd | BOr | BNot


@dataclass(frozen=True)
class BoundOrder:
    path: BoundPath
    descending: bool
    nulls_first: bool


@dataclass(frozen=True)
class BoundChild:
    """A child relationship sub-query: rows of `query.object_name` whose `field` is the parent's Id,
    shown under `relationship` (`OpportunityContactRoles`)."""

    relationship: str
    field: str
    query: BoundQuery


@dataclass(frozen=True)
class BoundQuery:
    query: Query
    object_name: str
    fields: tuple[BoundPath, ...]
    where: BoundCondition | None
    order_by: tuple[BoundOrder, ...]
    children: tuple[BoundChild, ...] = ()
    aggregate: Any = None  # aggregate.AggregatePlan for COUNT(Id) / GROUP BY queries
    key_order: tuple[str, ...] = ()  # with sub-queries: a row's keys in SELECT order


def is_valid_id(value: str) -> bool:
    return len(value) in (15, 18) and value.isascii() and value.isalnum()


Operand = Callable[[Any], BoundPath]  # binds a condition's / sort key's left side
MAX_SEMI_JOINS = 2
FIELDS_LIMIT = 200


class _Binder:
    def __init__(self, query: Query, schema: Any, obj: str | None = None) -> None:
        self.q = query
        self.schema = schema
        self.fixed_obj = obj  # a child sub-query's object, resolved from its relationship name
        self.semi_joins = 0

    def err(self, code: str, detail: str, pos: Pos) -> E.SoqlError:
        return positioned(code, detail, self.q.text, pos if pos != (0, 0) else None)

    # --- names ---------------------------------------------------------------------------------------
    def object_name(self, name: str) -> str | None:
        resolved = self.schema.resolve_object(name)
        if resolved is None:
            return None
        return resolved if isinstance(resolved, str) else str(resolved.name)

    def relationship(self, obj: str, rel: str) -> Hop | None:
        finder = getattr(self.schema, "resolve_relationship", None)
        if finder is not None:
            found = finder(obj, rel)
            if found is None:
                return None
            ref_name, target = found
            ref = self.schema.resolve_field(obj, ref_name)
            target_name = self.object_name(target)
            if ref is None or target_name is None:
                return None
            return Hop(ref.relationship_name or rel, ref.name, target_name)
        # Salesforce naming convention: Owner -> OwnerId, Foo__r -> Foo__c
        candidate = rel[:-3] + "__c" if rel.lower().endswith("__r") else rel + "Id"
        ref = self.schema.resolve_field(obj, candidate)
        if ref is None or ref.type != "reference" or not ref.reference_to:
            return None
        if (ref.relationship_name or "").lower() != rel.lower():
            return None
        target_name = self.object_name(ref.reference_to[0])
        if target_name is None:
            return None
        return Hop(ref.relationship_name or rel, ref.name, target_name)

    def path(self, fp: FieldPath) -> BoundPath:
        root = self.obj
        parts = list(fp.parts)
        # `SELECT Lead.Email FROM Lead`: the FROM object's name may prefix a field
        if len(parts) > 1 and parts[0].lower() == root.lower() and self.relationship(root, parts[0]) is None:
            parts = parts[1:]
        obj = root
        hops: list[Hop] = []
        for rel in parts[:-1]:
            hop = self.relationship(obj, rel)
            if hop is None:
                raise self.err(E.INVALID_FIELD, E.bad_relationship(rel), fp.pos)
            hops.append(hop)
            obj = hop.target
        field = self.schema.resolve_field(obj, parts[-1])
        if field is None:
            raise self.err(E.INVALID_FIELD, E.no_such_column(parts[-1], obj), fp.pos)
        if fp.func is not None:
            wanted = ("datetime",) if fp.func in ("DAY_ONLY", "HOUR_IN_DAY") else ("date", "datetime")
            if field.type not in wanted:
                kind = "dateTime" if wanted == ("datetime",) else "date or dateTime"
                raise self.err(E.MALFORMED_QUERY, f"{fp.func} can only be used with a {kind} field: {field.name}", fp.pos)
        return BoundPath(tuple(hops), field, root, fp.func)

    # --- literals ------------------------------------------------------------------------------------
    def type_error(self, bp: BoundPath, lit: Literal) -> E.SoqlError:
        ftype = bp.type
        name = bp.field.name
        if ftype in TEXT_TYPES:
            detail = f"value of filter criterion for field '{name}' must be of type string and should be enclosed in quotes"
        else:
            word = _TYPE_WORDS.get(ftype, "double")
            detail = f"value of filter criterion for field '{name}' must be of type {word} and should not be enclosed in quotes"
        return self.err(E.INVALID_FIELD, detail, lit.pos)

    def value(self, bp: BoundPath, lit: Literal) -> Value:
        if isinstance(lit, NullLit):
            return Value(None)
        ftype = bp.type
        if ftype in ID_TYPES:
            if not isinstance(lit, StringLit):
                raise self.type_error(bp, lit)
            if not is_valid_id(lit.value):
                raise self.err(E.INVALID_QUERY_FILTER_OPERATOR, f"invalid ID field: {lit.value}", lit.pos)
            return Value(lit.value)
        if ftype in TEXT_TYPES:
            if not isinstance(lit, StringLit):
                raise self.type_error(bp, lit)
            return Value(lit.value)
        if ftype == "boolean":
            if not isinstance(lit, BoolLit):
                raise self.type_error(bp, lit)
            return Value(lit.value)
        if ftype in NUMBER_TYPES:
            if not isinstance(lit, NumberLit):
                raise self.type_error(bp, lit)
            return Value(lit.value)
        if ftype == "date":
            if isinstance(lit, DateLit):
                return Value(lit.value)
            if isinstance(lit, DateRangeLit):
                return Value(RangeValue(lit.name, lit.n), is_range=True)
            raise self.type_error(bp, lit)
        if ftype == "datetime":
            if isinstance(lit, DateTimeLit):
                return Value(lit.value)
            if isinstance(lit, DateRangeLit):
                return Value(RangeValue(lit.name, lit.n), is_range=True)
            raise self.type_error(bp, lit)
        # unknown describe type (e.g. address, base64): Salesforce cannot filter on those
        raise self.err(
            E.INVALID_FIELD, f"field '{bp.field.name}' can not be filtered in a query call", lit.pos
        )

    # --- conditions ----------------------------------------------------------------------------------
    def bad_operator(self, bp: BoundPath, pos: Pos, detail: str | None = None) -> E.SoqlError:
        return self.err(
            E.INVALID_QUERY_FILTER_OPERATOR, detail or f"invalid operator on {bp.type} field", pos
        )

    def condition(
        self, cond: Condition, operand: Operand | None = None, under: str | None = None
    ) -> BoundCondition:
        """`operand` binds left sides (HAVING binds them to group columns); `under` names the OR / NOT
        a condition sits in (semi-joins may not)."""
        if isinstance(cond, And):
            return BAnd(tuple(self.condition(c, operand, under) for c in cond.items))
        if isinstance(cond, Or):
            return BOr(tuple(self.condition(c, operand, "OR") for c in cond.items))
        if isinstance(cond, Not):
            return BNot(self.condition(cond.item, operand, "NOT"))
        if isinstance(cond, SemiJoin):
            return self.semi_join(cond, under)
        if isinstance(cond, Comparison):
            return self.comparison(cond, operand or self.path)
        return self.set_comparison(cond, operand or self.path)

    def semi_join(self, c: SemiJoin, under: str | None) -> BSemi:
        if under is not None:
            raise self.err(E.MALFORMED_QUERY, f"Semi join sub-selects are not allowed with the '{under}' operator", c.pos)
        self.semi_joins += 1
        if self.semi_joins > MAX_SEMI_JOINS:
            raise self.err(E.MALFORMED_QUERY, f"Maximum {MAX_SEMI_JOINS} semi join sub-selects are allowed", c.pos)
        bp = self.path(c.field)
        if bp.type not in ID_TYPES or bp.func is not None:
            raise self.err(E.INVALID_FIELD, f"semi join sub-selects can only be compared to an Id or reference field: {bp.field.name}", c.pos)
        inner = _Binder(c.query, self.schema).bind()
        iq = inner.query
        if inner.object_name == self.obj:
            raise self.err(E.INVALID_TYPE, "The inner and outer selects should not be on the same object type", iq.object_pos)
        only = inner.fields[0] if len(inner.fields) == 1 and len(iq.select) == 1 else None
        if only is None or only.hops or only.type not in ID_TYPES or inner.aggregate is not None:
            raise self.err(E.MALFORMED_QUERY, "semi join sub-selects must select exactly one Id or reference field", iq.object_pos)
        return BSemi(bp, c.negated, inner)

    def comparison(self, c: Comparison, operand: Operand) -> BCompare:
        bp = operand(c.field)
        if c.op == "LIKE":
            if bp.type not in PLAIN_TEXT_TYPES and bp.type not in ID_TYPES:
                raise self.bad_operator(bp, c.pos)
            if not isinstance(c.value, StringLit):
                raise self.type_error(bp, c.value)
            return BCompare(bp, "LIKE", Value(c.value.value), like_raw=c.value.raw)
        value = self.value(bp, c.value)
        if c.op not in ("=", "!="):
            if value.is_null:
                raise self.err(E.MALFORMED_QUERY, f"invalid operator '{c.op}' for null value", c.value.pos)
            if bp.type not in ORDERED_TYPES:
                raise self.bad_operator(bp, c.pos)
        return BCompare(bp, c.op, value)

    def set_comparison(self, c: SetComparison, operand: Operand) -> BSet:
        bp = operand(c.field)
        if c.op in ("INCLUDES", "EXCLUDES"):
            if bp.type != "multipicklist":
                raise self.bad_operator(
                    bp, c.pos, "includes or excludes operator only valid on multipicklist field"
                )
        elif bp.type == "multipicklist":
            raise self.bad_operator(bp, c.pos)
        return BSet(bp, c.op, tuple(self.value(bp, v) for v in c.values))

    # --- query ---------------------------------------------------------------------------------------
    def order_item(self, item: OrderItem, operand: Operand | None = None) -> BoundOrder:
        if isinstance(item.field, Aggregate) and operand is None:
            raise self.err(E.MALFORMED_QUERY, "aggregate functions can only be ordered by in an aggregate query", item.field.pos)
        bp = (operand or self.path)(item.field)
        if bp.type == "multipicklist":
            raise self.err(
                E.INVALID_FIELD,
                f"field '{bp.field.name}' can not be sorted in a query call",
                item.field.pos,
            )
        return BoundOrder(bp, item.descending, item.effective_nulls_first)

    def select_paths(self) -> list[FieldPath | SubQuery]:
        """The plain SELECT list with FIELDS() expanded in place (FIELDS(ALL) and FIELDS(CUSTOM) need
        `LIMIT` of at most 200: SOQL reference, "FIELDS()")."""
        out: list[FieldPath | SubQuery] = []
        items = self.q.select or self.q.fields
        for item in items:
            if isinstance(item, FieldPath):
                if item.alias is not None:  # an alias names a column of an aggregate query only
                    raise self.err(E.MALFORMED_QUERY, f"unexpected token: '{item.alias}'", item.pos)
                out.append(item)
            elif isinstance(item, FieldsMacro):
                if item.kind != "STANDARD" and (self.q.limit is None or self.q.limit > FIELDS_LIMIT):
                    raise self.err(E.MALFORMED_QUERY, f"The SOQL FIELDS function must have a LIMIT of at most {FIELDS_LIMIT}", item.pos)
                lister = getattr(self.schema, "fields_of", None)
                if lister is None:
                    raise self.err(E.MALFORMED_QUERY, "FIELDS() is not supported by this schema", item.pos)
                for f in lister(self.obj):
                    custom = f.name.endswith("__c")
                    if item.kind == "ALL" or (item.kind == "CUSTOM") == custom:
                        out.append(FieldPath((f.name,), item.pos))
            elif isinstance(item, SubQuery):
                out.append(item)
        return out

    def child(self, sub: SubQuery) -> BoundChild:
        finder = getattr(self.schema, "resolve_child_relationship", None)
        found = finder(self.obj, sub.query.object_name) if finder is not None else None
        if found is None:
            raise self.err(E.INVALID_TYPE, E.bad_child_relationship(sub.query.object_name), sub.query.object_pos)
        child_obj, field, rel = found
        inner = _Binder(sub.query, self.schema, obj=child_obj).bind()
        if inner.aggregate is not None or inner.query.is_count:
            raise self.err(E.MALFORMED_QUERY, "aggregate functions can not be used in a relationship sub-query", sub.pos)
        return BoundChild(rel, field, inner)

    def bind(self) -> BoundQuery:
        q = self.q
        obj = self.fixed_obj or self.object_name(q.object_name)
        if obj is None:
            raise self.err(E.INVALID_TYPE, E.unsupported_object(q.object_name), q.object_pos)
        self.obj = obj
        if q.is_aggregate or q.having is not None:
            from simulator.salesforce.soql.aggregate import AggregateBinder

            plan = AggregateBinder(self).bind()
            where = self.condition(q.where) if q.where is not None else None
            self.check_offset()
            return BoundQuery(q, obj, (), where, plan.order, (), plan)
        fields: list[BoundPath] = []
        seen: set[tuple[str, ...]] = set()
        children: list[BoundChild] = []
        keys: list[str] = []  # the row's top-level keys in SELECT order (sub-queries sit among fields)
        for fp in self.select_paths():
            if isinstance(fp, SubQuery):
                children.append(self.child(fp))
                keys.append(children[-1].relationship)
                continue
            bp = self.path(fp)
            if bp.key in seen:
                raise self.err(E.MALFORMED_QUERY, f"duplicate field selected: {'.'.join(bp.names)}", fp.pos)
            seen.add(bp.key)
            fields.append(bp)
            keys.append(bp.names[0])
        where = self.condition(q.where) if q.where is not None else None
        order = tuple(self.order_item(item) for item in q.order_by)
        self.check_offset()
        key_order = tuple(dict.fromkeys(keys)) if children else ()
        return BoundQuery(q, obj, tuple(fields), where, order, tuple(children), key_order=key_order)

    def check_offset(self) -> None:
        if self.q.offset is not None and self.q.offset > 2000:
            raise self.err(E.NUMBER_OUTSIDE_VALID_RANGE, "Maximum SOQL offset allowed is 2000", self.q.offset_pos)


def bind(query: Query, schema: Any) -> BoundQuery:
    return _Binder(query, schema).bind()
