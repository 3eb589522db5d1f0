"""CRM search (wire spec 2.4): filterGroups (OR) of filters (AND), one sort, `query` text, offset paging.
Pure logic over the record store; api/search.py validates the request shape and serialises.

Speed: each filter compiles once to a predicate over a record; values of number/date/datetime properties
are compared as numbers (datetime text parsed per record, except the system timestamps, which read the
record's own integer fields).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.hubspot.errors import validation
from simulator.hubspot.properties import NUMBER_RE, PropertyCatalog, parse_time_ms
from simulator.hubspot.records import Record, createdate_prop, lastmodified_prop

MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18
OPERATORS = (
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
)
Predicate = Callable[[Record], bool]
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "LT": operator.lt,
    "LTE": operator.le,
    "GT": operator.gt,
    "GTE": operator.ge,
}
KeyFn = Callable[[Record], Any]


@dataclass(frozen=True, slots=True)
class Filter:
    property_name: str
    operator: str
    value: str | None = None
    high_value: str | None = None
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sort:
    property_name: str
    descending: bool = False


def _value_getter(catalog: PropertyCatalog, object_type: str, name: str) -> tuple[KeyFn, str]:
    """(record -> comparable value or None, kind) for property `name`."""
    if name in ("hs_object_id",):
        return (lambda r: int(r.id) if r.id.isdigit() else None), "number"
    if name == createdate_prop(object_type) or name == "hs_createdate":
        return operator.attrgetter("created_at_ms"), "number"
    if name in (lastmodified_prop(object_type), "hs_lastmodifieddate", "lastmodifieddate"):
        return operator.attrgetter("updated_at_ms"), "number"
    d = catalog.definition(object_type, name)
    ptype = d.type if d is not None else "string"
    if ptype == "number":

        def number(r: Record) -> float | None:
            v = r.properties.get(name)
            return float(v) if v is not None and NUMBER_RE.match(v) else None

        return number, "number"
    if ptype in ("date", "datetime"):

        def when(r: Record) -> int | None:
            v = r.properties.get(name)
            return parse_time_ms(v) if v is not None else None

        return when, "number"
    return (lambda r: r.properties.get(name)), "string"


def _coerce(kind: str, raw: str | None, name: str) -> Any:
    if raw is None:
        raise validation(f"Filter on {name} needs a value")
    if kind == "number":
        n = parse_time_ms(raw) if not NUMBER_RE.match(raw.strip()) else float(raw)
        if n is None:
            raise validation(f"Value '{raw}' of filter on {name} is not a valid number, date or datetime")
        return n
    return raw.lower()


def _token_regex(raw: str) -> re.Pattern[str]:
    parts = [re.escape(p) for p in raw.lower().split("*")]
    return re.compile(".*".join(parts) + "$")


def compile_filter(catalog: PropertyCatalog, object_type: str, f: Filter) -> Predicate:
    get, kind = _value_getter(catalog, object_type, f.property_name)
    op = f.operator
    name = f.property_name

    def norm(v: Any) -> Any:
        return v.lower() if isinstance(v, str) else v

    if op == "HAS_PROPERTY":
        return lambda r: get(r) not in (None, "")
    if op == "NOT_HAS_PROPERTY":
        return lambda r: get(r) in (None, "")
    if op in ("IN", "NOT_IN"):
        if not f.values:
            raise validation(f"Filter {op} on {name} needs a non-empty `values` array")
        wanted = {_coerce(kind, v, name) for v in f.values}
        if op == "IN":
            return lambda r: norm(get(r)) in wanted
        return lambda r: norm(get(r)) not in wanted
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        if f.value is None:
            raise validation(f"Filter {op} on {name} needs a value")
        pattern = _token_regex(f.value)

        def contains(r: Record) -> bool:
            v = r.properties.get(name)
            if not v:
                return False
            low = v.lower()
            return bool(pattern.match(low)) or any(pattern.match(t) for t in re.split(r"[\s;,]+", low) if t)

        if op == "CONTAINS_TOKEN":
            return contains
        return lambda r: not contains(r)
    target = _coerce(kind, f.value, name)
    if op == "BETWEEN":
        high = _coerce(kind, f.high_value, name)

        def between(r: Record) -> bool:
            v = norm(get(r))
            return v is not None and target <= v <= high

        return between
    if op == "EQ":
        return lambda r: norm(get(r)) == target
    if op == "NEQ":
        return lambda r: norm(get(r)) != target
    cmp = COMPARE[op]
    if kind == "number":  # the sync engine's hot path (lastmodifieddate GTE x): no text normalisation

        def ordered_number(r: Record) -> bool:
            v = get(r)
            return v is not None and cmp(v, target)

        return ordered_number

    def ordered(r: Record) -> bool:
        v = norm(get(r))
        return v is not None and cmp(v, target)

    return ordered


def run(
    catalog: PropertyCatalog,
    records: list[Record] | Any,
    object_type: str,
    groups: list[list[Filter]],
    sort: Sort | None,
    query: str | None,
) -> list[Record]:
    """Matching records, sorted (default: by id ascending, as HubSpot's default order by creation)."""
    compiled = [[compile_filter(catalog, object_type, f) for f in group] for group in groups if group]
    out: list[Record] = []
    text_props = catalog.searchable(object_type)
    q = query.strip().lower() if query else ""
    for r in records:
        if compiled and not any(all(p(r) for p in group) for group in compiled):
            continue
        if q and not _text_match(r, q, text_props):
            continue
        out.append(r)
    if sort is not None:
        get, _ = _value_getter(catalog, object_type, sort.property_name)
        keyed = []
        absent = []
        for r in out:
            v = get(r)
            if v is None or v == "":
                absent.append(r)
            else:
                keyed.append((_sortable(v), int(r.id) if r.id.isdigit() else 0, r))
        keyed.sort(key=lambda k: (k[0], k[1]), reverse=sort.descending)
        out = [k[2] for k in keyed] + absent  # records without the property come last either way
    return out


def _sortable(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


def _text_match(r: Record, q: str, props: tuple[str, ...]) -> bool:
    """HubSpot's `query`: a term matches a searchable property's value or a word prefix of it."""
    for name in props:
        v = r.properties.get(name)
        if not v:
            continue
        low = v.lower()
        if (
            q in low
            if "@" in q or "." in q
            else any(t.startswith(q) for t in re.split(r"[\s@.\-_,;]+", low)) or low.startswith(q)
        ):
            return True
    return False
