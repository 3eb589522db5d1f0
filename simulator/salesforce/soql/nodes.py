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


# --- conditions --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """`field op value` with op one of = != < <= > >= LIKE (`<>` is normalised to `!=`)."""

    field: FieldPath
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


Condition = Comparison | SetComparison | And | Or | Not


# --- query -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderItem:
    field: FieldPath
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
