"""Bound conditions -> Python closures over store records, plus value normalisation shared with
ORDER BY.

Comparison semantics (Salesforce's, which are two-valued rather than SQL's three-valued logic):
a null field never satisfies `=`, `<`, `LIKE`, `IN`, `INCLUDES`, and always satisfies `!=`,
`NOT IN`, `EXCLUDES`. Text compares case-insensitively (empty text is null, as Salesforce stores
it); ids compare on their case-sensitive 15-character form; multi-picklists as sets of values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from simulator.salesforce.soql.binder import (
    ID_TYPES,
    BAnd,
    BCompare,
    BNot,
    BOr,
    BoundCondition,
    BoundPath,
    BSet,
    RangeValue,
    Value,
)
from simulator.salesforce.soql.dates import date_range, start_of_day
from simulator.salesforce.soql.lexer import _ESCAPES
from simulator.salesforce.soql.schema import NUMBER_TYPES

Record = dict[str, Any]
Predicate = Callable[[Record], bool]


# --- normalisation -----------------------------------------------------------------------------------
def _text(v: Any) -> str | None:
    s = v if isinstance(v, str) else str(v)
    return s.casefold() if s else None


def _id(v: Any) -> str | None:
    """Ids compare on their case-sensitive 15-character form: a 15- or an 18-character literal matches,
    a lower-cased 18-character one does not (real SOQL returns no rows for it)."""
    s = v if isinstance(v, str) else str(v)
    return s[:15] if s else None


def _multi(v: Any) -> frozenset[str] | None:
    s = v if isinstance(v, str) else ";".join(map(str, v)) if isinstance(v, list | tuple | set) else str(v)
    parts = frozenset(p.strip().casefold() for p in s.split(";") if p.strip())
    return parts or None


def _date(v: Any) -> date | None:
    if isinstance(v, datetime):
        return (v.astimezone(UTC) if v.tzinfo else v).date()
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def _datetime(v: Any) -> datetime | None:
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    if isinstance(v, date):
        return start_of_day(v)
    try:
        parsed = datetime.fromisoformat(str(v))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _number(v: Any) -> Any:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _bool(v: Any) -> bool:
    return bool(v)


def normalizer(ftype: str) -> Callable[[Any], Any]:
    """Comparison form of a non-null value of a field of describe type `ftype`."""
    if ftype in ID_TYPES:
        return _id
    if ftype == "multipicklist":
        return _multi
    if ftype == "boolean":
        return _bool
    if ftype in NUMBER_TYPES:
        return _number
    if ftype == "date":
        return _date
    if ftype == "datetime":
        return _datetime
    return _text


def like_regex(raw: str) -> re.Pattern[str]:
    """Compile a LIKE pattern as written (escapes undecoded): `%` any run, `_` one character,
    `\\%` / `\\_` literal; case-insensitive, anchored at both ends."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            out.append(re.escape(_ESCAPES.get(raw[i + 1], raw[i + 1])))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


# --- compilation -------------------------------------------------------------------------------------
class Compiler:
    """Compiles bound conditions for one execution. `getter(path)` returns rec -> raw value
    (following relationships); `today` resolves relative date literals."""

    def __init__(self, getter: Callable[[BoundPath], Callable[[Record], Any]], today: date) -> None:
        self.getter = getter
        self.today = today

    def range_bounds(self, value: Value, ftype: str) -> tuple[Any, Any]:
        rv = value.native
        assert isinstance(rv, RangeValue)
        start, end = date_range(rv.name, rv.n, self.today)
        if ftype == "datetime":
            return start_of_day(start), start_of_day(end)
        return start, end

    def normalized(self, bp: BoundPath) -> Callable[[Record], Any]:
        get = self.getter(bp)
        norm = normalizer(bp.type)

        def nv(rec: Record) -> Any:
            v = get(rec)
            return None if v is None else norm(v)

        return nv

    def compile(self, cond: BoundCondition) -> Predicate:
        if isinstance(cond, BAnd):
            parts = [self.compile(c) for c in cond.items]
            return lambda r: all(p(r) for p in parts)
        if isinstance(cond, BOr):
            parts = [self.compile(c) for c in cond.items]
            return lambda r: any(p(r) for p in parts)
        if isinstance(cond, BNot):
            inner = self.compile(cond.item)
            return lambda r: not inner(r)
        if isinstance(cond, BCompare):
            return self.comparison(cond)
        return self.set_comparison(cond)

    def comparison(self, c: BCompare) -> Predicate:
        if c.op == "LIKE":
            rx = like_regex(c.like_raw or "")
            get = self.getter(c.path)

            def like(r: Record) -> bool:
                v = get(r)
                if v is None or v == "":  # empty text is null: never LIKE anything
                    return False
                return rx.fullmatch(v if isinstance(v, str) else str(v)) is not None

            return like
        nv = self.normalized(c.path)
        op = c.op
        if c.value.is_range:
            lo, hi = self.range_bounds(c.value, c.path.type)
            return _range_predicate(nv, op, lo, hi)
        if c.value.is_null:
            return (lambda r: nv(r) is None) if op == "=" else (lambda r: nv(r) is not None)
        lit = normalizer(c.path.type)(c.value.native)
        if lit is None:  # '' literal on a text field means null, as Salesforce stores empty text
            return (lambda r: nv(r) is None) if op == "=" else (lambda r: nv(r) is not None)
        if op == "=":
            return lambda r: nv(r) == lit
        if op == "!=":
            return lambda r: nv(r) != lit
        cmp = {"<": _lt, "<=": _le, ">": _gt, ">=": _ge}[op]
        return lambda r: cmp(nv(r), lit)

    def set_comparison(self, c: BSet) -> Predicate:
        nv = self.normalized(c.path)
        if c.op in ("INCLUDES", "EXCLUDES"):
            groups = [g for g in (_multi(v.native) for v in c.values if not v.is_null) if g]

            def includes(r: Record) -> bool:
                x = nv(r)
                return x is not None and any(g <= x for g in groups)

            return includes if c.op == "INCLUDES" else (lambda r: not includes(r))
        norm = normalizer(c.path.type)
        scalars: set[Any] = set()
        ranges: list[tuple[Any, Any]] = []
        has_null = False
        for v in c.values:
            if v.is_null:
                has_null = True
            elif v.is_range:
                ranges.append(self.range_bounds(v, c.path.type))
            else:
                n = norm(v.native)
                if n is None:
                    has_null = True
                else:
                    scalars.add(n)

        def member(r: Record) -> bool:
            x = nv(r)
            if x is None:
                return has_null
            return x in scalars or any(lo <= x < hi for lo, hi in ranges)

        return member if c.op == "IN" else (lambda r: not member(r))


def _lt(x: Any, lit: Any) -> bool:
    return x is not None and x < lit


def _le(x: Any, lit: Any) -> bool:
    return x is not None and x <= lit


def _gt(x: Any, lit: Any) -> bool:
    return x is not None and x > lit


def _ge(x: Any, lit: Any) -> bool:
    return x is not None and x >= lit


def _range_predicate(nv: Callable[[Record], Any], op: str, lo: Any, hi: Any) -> Predicate:
    """`field op LITERAL` where the literal is the half-open range [lo, hi): `= TODAY` is within
    today, `> TODAY` after its end, `< TODAY` before its start, and so on."""
    if op == "=":
        return lambda r: (x := nv(r)) is not None and lo <= x < hi
    if op == "!=":
        return lambda r: (x := nv(r)) is None or not (lo <= x < hi)
    if op == "<":
        return lambda r: _lt(nv(r), lo)
    if op == "<=":
        return lambda r: _lt(nv(r), hi)
    if op == ">":
        return lambda r: _ge(nv(r), hi)
    return lambda r: _ge(nv(r), lo)  # >=
