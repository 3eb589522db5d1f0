"""The SOQL abstract syntax tree: immutable dataclasses produced by `parser.parse`.

Names are kept as written (case preserved); the binder resolves them against a schema. Every node
that can be blamed in an error keeps its source position (`pos`, excluded from equality).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from simulator.salesforce.soql.errors import Pos

NO_POS: Pos = (0, 0)


@dataclass(frozen=True)
class FieldPath:
    """`Email`, `Owner.Name`, `Account.Owner.Email` (relationship names, then the field)."""

    parts: tuple[str, ...]
    pos: Pos = field(default=NO_POS, compare=False)
    func: str | None = None  # a date function applied in a WHERE comparison: CALENDAR_YEAR(CreatedDate)
    alias: str | None = None  # `SELECT StageName stage ... GROUP BY StageName` (aggregate queries only)

    @property
    def text(self) -> str:
        return ".".join(self.parts)


# --- literals ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StringLit:
    value: str  # escapes decoded
    raw: str  # as written between the quotes (LIKE needs to tell `\%` from `%`)
    pos: Pos = field(default=NO_POS, compare=False)


@dataclass(frozen=True)
class NumberLit:
    value: int | float
    text: str
    pos: Pos = field(default=NO_POS, compare=False)


@dataclass(frozen=True)
class BoolLit:
    value: bool
    pos: Pos = field(default=NO_POS, compare=False)


@dataclass(frozen=True)
class NullLit:
    pos: Pos = field(default=NO_POS, compare=False)


@dataclass(frozen=True)
class DateLit:
    value: date
    pos: Pos = field(default=NO_POS, compare=False)


@dataclass(frozen=True)
class DateTimeLit:
    value: datetime  # aware, converted to UTC
    text: str
    pos: Pos = field(default=NO_POS, compare=False)


@dataclass(frozen=True)
class DateRangeLit:
    """A relative date literal: `TODAY`, `LAST_N_DAYS:30` (name upper-cased, n for the `:n` forms)."""

    name: str
    n: int | None = None
    pos: Pos = field(default=NO_POS, compare=False)


Literal = StringLit | NumberLit | BoolLit | NullLit | DateLit | DateTimeLit | DateRangeLit


# --- SELECT items beyond plain fields -------------------------------------------------------------------
AGGREGATE_FUNCTIONS = ("COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX")


@dataclass(frozen=True)
class Aggregate:
    """`COUNT(Id)`, `SUM(Amount) total`, `MAX(CloseDate)`: an aggregate function over a field."""

    func: str  # one of AGGREGATE_FUNCTIONS
    arg: FieldPath
    alias: str | None = None
    pos: Pos = field(default=NO_POS, compare=False)

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        """Identity regardless of alias or letter case (HAVING / ORDER BY repeat the call)."""
        return self.func, tuple(p.lower() for p in self.arg.parts)


@dataclass(frozen=True)
class FieldsMacro:
    """`FIELDS(ALL)`, `FIELDS(STANDARD)`, `FIELDS(CUSTOM)`."""

    kind: str  # ALL | STANDARD | CUSTOM
    pos: Pos = field(default=NO_POS, compare=False)


@dataclass(frozen=True)
class SubQuery:
    """`(SELECT ContactId, Role FROM OpportunityContactRoles)`: a child relationship in the SELECT list
    (`query.object_name` is the relationship name)."""

    query: Query
    pos: Pos = field(default=NO_POS, compare=False)


SelectItem = FieldPath | Aggregate | FieldsMacro | SubQuery


# --- conditions --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """`field op value` with op one of = != < <= > >= LIKE (`<>` is normalised to `!=`). In HAVING
    the left side may be an aggregate (`COUNT(Id) > 1`)."""

    field: FieldPath | Aggregate
    op: str
    value: Literal
    pos: Pos = field(default=NO_POS, compare=False)


@dataclass(frozen=True)
class SetComparison:
    """`field IN (...)`, `NOT IN`, `INCLUDES`, `EXCLUDES`."""

    field: FieldPath
    op: str  # IN | NOT IN | INCLUDES | EXCLUDES
    values: tuple[Literal, ...]
    pos: Pos = field(default=NO_POS, compare=False)


@dataclass(frozen=True)
class And:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


@dataclass(frozen=True)
class SemiJoin:
    """`Id IN (SELECT OpportunityId FROM OpportunityContactRole WHERE ...)` (semi-join) or `NOT IN`
    (anti-join)."""

    field: FieldPath
    negated: bool
    query: Query
    pos: Pos = field(default=NO_POS, compare=False)


Condition = Comparison | SetComparison | SemiJoin | And | Or | Not


# --- query -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderItem:
    field: FieldPath | Aggregate
    descending: bool = False
    nulls_first: bool | None = None  # None: Salesforce default (first for ASC, last for DESC)

    @property
    def effective_nulls_first(self) -> bool:
        return (not self.descending) if self.nulls_first is None else self.nulls_first


@dataclass(frozen=True)
class Query:
    object_name: str
    fields: tuple[FieldPath, ...]  # empty for COUNT()
    is_count: bool = False
    where: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
    text: str = field(default="", compare=False)  # the source, for error messages
    object_pos: Pos = field(default=NO_POS, compare=False)
    offset_pos: Pos = field(default=NO_POS, compare=False)
    # The whole SELECT list in order (plain fields are also in `fields`); empty for COUNT().
    select: tuple[SelectItem, ...] = ()
    group_by: tuple[FieldPath, ...] = ()
    having: Condition | None = None
    limit_pos: Pos = field(default=NO_POS, compare=False)

    @property
    def is_aggregate(self) -> bool:
        return bool(self.group_by) or any(isinstance(i, Aggregate) for i in self.select)
