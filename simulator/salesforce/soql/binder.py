"""Name resolution and type checking: a parsed Query + a schema -> BoundQuery.

Resolves object, field and relationship names case-insensitively to their canonical spelling,
checks every literal against its field's type (raising the errors Salesforce raises) and keeps
both the literal's native value (for index look-ups) and its comparison form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.salesforce.soql import errors as E
from simulator.salesforce.soql.errors import Pos, positioned
from simulator.salesforce.soql.nodes import (
    And,
    BoolLit,
    Comparison,
    Condition,
    DateLit,
    DateRangeLit,
    DateTimeLit,
    FieldPath,
    Literal,
    Not,
    NullLit,
    NumberLit,
    Or,
    Query,
    SetComparison,
    StringLit,
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


BoundCondition = BCompare | BSet | BAnd | BOr | BNot


@dataclass(frozen=True)
class BoundOrder:
    path: BoundPath
    descending: bool
    nulls_first: bool


@dataclass(frozen=True)
class BoundQuery:
    query: Query
    object_name: str
    fields: tuple[BoundPath, ...]
    where: BoundCondition | None
    order_by: tuple[BoundOrder, ...]


def is_valid_id(value: str) -> bool:
    return len(value) in (15, 18) and value.isascii() and value.isalnum()


class _Binder:
    def __init__(self, query: Query, schema: Any) -> None:
        self.q = query
        self.schema = schema

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

    def condition(self, cond: Condition) -> BoundCondition:
        if isinstance(cond, And):
            return BAnd(tuple(self.condition(c) for c in cond.items))
        if isinstance(cond, Or):
            return BOr(tuple(self.condition(c) for c in cond.items))
        if isinstance(cond, Not):
            return BNot(self.condition(cond.item))
        if isinstance(cond, Comparison):
            return self.comparison(cond)
        return self.set_comparison(cond)

    def comparison(self, c: Comparison) -> BCompare:
        bp = self.path(c.field)
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

    def set_comparison(self, c: SetComparison) -> BSet:
        bp = self.path(c.field)
        if c.op in ("INCLUDES", "EXCLUDES"):
            if bp.type != "multipicklist":
                raise self.bad_operator(
                    bp, c.pos, "includes or excludes operator only valid on multipicklist field"
                )
        elif bp.type == "multipicklist":
            raise self.bad_operator(bp, c.pos)
        return BSet(bp, c.op, tuple(self.value(bp, v) for v in c.values))

    # --- query ---------------------------------------------------------------------------------------
    def bind(self) -> BoundQuery:
        q = self.q
        obj = self.object_name(q.object_name)
        if obj is None:
            raise self.err(E.INVALID_TYPE, E.unsupported_object(q.object_name), q.object_pos)
        self.obj = obj
        fields: list[BoundPath] = []
        seen: set[tuple[str, ...]] = set()
        for fp in q.fields:
            bp = self.path(fp)
            if bp.key in seen:
                raise self.err(E.MALFORMED_QUERY, f"duplicate field selected: {'.'.join(bp.names)}", fp.pos)
            seen.add(bp.key)
            fields.append(bp)
        where = self.condition(q.where) if q.where is not None else None
        order: list[BoundOrder] = []
        for item in q.order_by:
            bp = self.path(item.field)
            if bp.type == "multipicklist":
                raise self.err(
                    E.INVALID_FIELD,
                    f"field '{bp.field.name}' can not be sorted in a query call",
                    item.field.pos,
                )
            order.append(BoundOrder(bp, item.descending, item.effective_nulls_first))
        if q.offset is not None and q.offset > 2000:
            raise self.err(E.NUMBER_OUTSIDE_VALID_RANGE, "Maximum SOQL offset allowed is 2000", q.offset_pos)
        return BoundQuery(q, obj, tuple(fields), where, tuple(order))


def bind(query: Query, schema: Any) -> BoundQuery:
    return _Binder(query, schema).bind()
