"""Lists v3 `filterBranch` validation and evaluation (wire spec 2.6; HubSpot "List filters" guide).

Structure HubSpot enforces: the root branch is `OR` with no filters of its own, and its children are
`AND` branches; filters live in the `AND` branches. Nested branches under an `AND` may be `AND`, `OR`,
`NOT_ALL`, `NOT_ANY` or `ASSOCIATION` (filters on associated records).

Supported filter types: PROPERTY, IN_LIST, CONSTANT. Other HubSpot filter types (form submissions,
page views, email events, ...) need activity data the fake does not have: they are refused with 400
rather than silently matching nothing.

Property operations (operationType → operators):
  ALL_PROPERTY                IS_KNOWN, IS_UNKNOWN (also accepted under any other operationType)
  STRING (value)              IS_EQUAL_TO, IS_NOT_EQUAL_TO, CONTAINS, DOES_NOT_CONTAIN, STARTS_WITH, ENDS_WITH
  MULTISTRING (values)        the STRING operators, matching if any value does (negatives: if none does);
                              plus the ENUMERATION set operators
  NUMBER (value)              IS_EQUAL_TO, IS_NOT_EQUAL_TO, IS_GREATER_THAN(_OR_EQUAL_TO), IS_LESS_THAN(_OR_EQUAL_TO);
                              IS_BETWEEN / IS_NOT_BETWEEN with lowerBound/upperBound (also NUMBER_RANGED)
  BOOL (value)                IS_EQUAL_TO, IS_NOT_EQUAL_TO
  ENUMERATION (values)        IS_ANY_OF, IS_NONE_OF, IS_EXACTLY, IS_NOT_EXACTLY, CONTAINS_ALL, DOES_NOT_CONTAIN_ALL
                              (multi-checkbox values are `;`-separated)
  TIME_POINT (timePoint)      IS_AFTER, IS_BEFORE (endpointBehavior INCLUSIVE|EXCLUSIVE, default EXCLUSIVE)
  TIME_RANGED                 IS_BETWEEN, IS_NOT_BETWEEN (lower/upperBoundTimePoint, endpoint behaviours
                              default INCLUSIVE)
  DATETIME (timestamp)        IS_EQUAL_TO (same UTC day), IS_BEFORE, IS_AFTER      [legacy shapes]
  RANGED_DATE                 IS_BETWEEN, IS_NOT_BETWEEN with lowerBound/upperBound epoch ms
Time points: `DATE` (year, month, day, hour..., zoneId), `INDEXED` (indexReference NOW|TODAY|WEEK|MONTH|
QUARTER|YEAR plus `offset` {years, quarters, months, weeks, days, hours, minutes, seconds, milliseconds}),
`PROPERTY_REFERENCED` (another property of the record).

Guesses (not re-checked against live HubSpot): string comparisons are case-insensitive; a record with
no value fails every operator except IS_UNKNOWN unless `includeObjectsWithNoValueSet` is true; a DATE
point without hour means midnight; `timezoneSource` other than CUSTOM means UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulator.hubspot.errors import HubSpotError, validation

NESTED_BRANCH_TYPES = ("AND", "OR", "NOT_ALL", "NOT_ANY", "ASSOCIATION")
STRING_OPS = ("IS_EQUAL_TO", "IS_NOT_EQUAL_TO", "CONTAINS", "DOES_NOT_CONTAIN", "STARTS_WITH", "ENDS_WITH")
SET_OPS = ("IS_ANY_OF", "IS_NONE_OF", "IS_EXACTLY", "IS_NOT_EXACTLY", "CONTAINS_ALL", "DOES_NOT_CONTAIN_ALL")
NUMBER_OPS = (
    "IS_EQUAL_TO",
    "IS_NOT_EQUAL_TO",
    "IS_GREATER_THAN",
    "IS_GREATER_THAN_OR_EQUAL_TO",
    "IS_LESS_THAN",
    "IS_LESS_THAN_OR_EQUAL_TO",
)
RANGE_OPS = ("IS_BETWEEN", "IS_NOT_BETWEEN")
KNOWN_OPS = ("IS_KNOWN", "IS_UNKNOWN")
OPERATORS: dict[str, tuple[str, ...]] = {
    "ALL_PROPERTY": KNOWN_OPS,
    "STRING": STRING_OPS,
    "MULTISTRING": STRING_OPS + SET_OPS,
    "NUMBER": NUMBER_OPS + RANGE_OPS,
    "NUMBER_RANGED": RANGE_OPS,
    "BOOL": ("IS_EQUAL_TO", "IS_NOT_EQUAL_TO"),
    "ENUMERATION": SET_OPS,
    "TIME_POINT": ("IS_AFTER", "IS_BEFORE"),
    "TIME_RANGED": RANGE_OPS,
    "DATETIME": ("IS_EQUAL_TO", "IS_BEFORE", "IS_AFTER"),
    "RANGED_DATE": RANGE_OPS,
}
NEGATIVE_OPS = {"IS_NOT_EQUAL_TO", "DOES_NOT_CONTAIN", "IS_NONE_OF", "IS_NOT_EXACTLY", "DOES_NOT_CONTAIN_ALL"}
REFERENCE_TYPES = ("NOW", "TODAY", "WEEK", "MONTH", "QUARTER", "YEAR")
OFFSET_UNITS = ("years", "quarters", "months", "weeks", "days", "hours", "minutes", "seconds", "milliseconds")


@dataclass
class EvalContext:
    """What evaluation needs from the rest of the backend (kept as callables so unit tests can fake it)."""

    now_ms: int
    in_list: Callable[[str, str], bool]  # (list_id, record_id) -> member?
    # (object_type, record_id, to_type_id, association_type_id|None) -> associated live records
    associated: Callable[[str, str, str, int | None], list[Any]] = lambda *_: []


# --- validation ---------------------------------------------------------------------------------------
def validate(
    branch: Any,
    list_exists: Callable[[str], bool] | None = None,
    property_exists: Callable[[str], bool] | None = None,
) -> None:
    """Raise 400 VALIDATION_ERROR unless `branch` is a root OR whose children are AND branches and
    every filter is well-formed."""
    if not isinstance(branch, dict):
        raise _bad("filterBranch must be an object")
    if branch.get("filterBranchType") != "OR":
        raise _bad("The root filter branch must have filterBranchType OR")
    if branch.get("filters"):
        raise _bad("The root OR filter branch cannot contain filters; put them in AND sub-branches")
    children = branch.get("filterBranches", [])
    if not isinstance(children, list):
        raise _bad("filterBranches must be an array")
    for child in children:
        if not isinstance(child, dict) or child.get("filterBranchType") != "AND":
            raise _bad("Every child of the root OR filter branch must have filterBranchType AND")
        _validate_branch(child, list_exists, property_exists, depth=1)


def _validate_branch(branch: dict[str, Any], list_exists: Any, property_exists: Any, depth: int) -> None:
    kind = branch.get("filterBranchType")
    if kind not in NESTED_BRANCH_TYPES:
        raise _bad(f"Unsupported filterBranchType {kind!r}; supported: {', '.join(NESTED_BRANCH_TYPES)}")
    op = branch.get("filterBranchOperator")
    if op is not None and kind in ("AND", "OR") and op != kind:
        raise _bad(f"filterBranchOperator {op!r} does not match filterBranchType {kind}")
    if depth > 10:
        raise _bad("filterBranch is nested too deeply")
    filters, subs = branch.get("filters", []), branch.get("filterBranches", [])
    if not isinstance(filters, list) or not isinstance(subs, list):
        raise _bad("filters and filterBranches must be arrays")
    if kind == "ASSOCIATION":
        if not isinstance(branch.get("objectTypeId"), str):
            raise _bad("An ASSOCIATION filter branch needs objectTypeId")
        type_id = branch.get("associationTypeId")
        if type_id is not None and (not isinstance(type_id, int) or isinstance(type_id, bool)):
            raise _bad("associationTypeId must be an integer")
        if branch.get("operator", "IN_LIST") != "IN_LIST":
            raise _bad("An ASSOCIATION filter branch supports operator IN_LIST only")
        property_exists = None  # properties of the associated object type: not checked here
    for f in filters:
        _validate_filter(f, list_exists, property_exists)
    for sub in subs:
        if not isinstance(sub, dict):
            raise _bad("filterBranches entries must be objects")
        _validate_branch(sub, list_exists, property_exists, depth + 1)


def _validate_filter(f: Any, list_exists: Any, property_exists: Any) -> None:
    if not isinstance(f, dict):
        raise _bad("filters entries must be objects")
    ftype = f.get("filterType")
    if ftype == "CONSTANT":
        if not isinstance(f.get("shouldAccept"), bool):
            raise _bad("A CONSTANT filter needs shouldAccept (boolean)")
        return
    if ftype == "IN_LIST":
        list_id = f.get("listId")
        if not isinstance(list_id, str | int) or isinstance(list_id, bool):
            raise _bad("An IN_LIST filter needs listId")
        if f.get("operator", "IN_LIST") not in ("IN_LIST", "NOT_IN_LIST"):
            raise _bad("IN_LIST filter operator must be IN_LIST or NOT_IN_LIST")
        if list_exists is not None and not list_exists(str(list_id)):
            raise _bad(f"List {list_id} referenced by an IN_LIST filter does not exist")
        return
    if ftype != "PROPERTY":
        raise _bad(
            f"filterType {ftype!r} is not supported by the Hubforce sandbox (supported: PROPERTY, IN_LIST, CONSTANT)"
        )
    prop = f.get("property")
    if not isinstance(prop, str) or not prop:
        raise _bad("A PROPERTY filter needs property (the property name)")
    if property_exists is not None and not property_exists(prop):
        raise _bad(f"Property {prop!r} does not exist")
    _validate_operation(f.get("operation"))


def _validate_operation(op: Any) -> None:
    if not isinstance(op, dict):
        raise _bad("A PROPERTY filter needs an operation object")
    op_type, operator = op.get("operationType"), op.get("operator")
    if op_type not in OPERATORS:
        raise _bad(f"Unsupported operationType {op_type!r}; supported: {', '.join(OPERATORS)}")
    if operator in KNOWN_OPS:
        return
    if operator not in OPERATORS[op_type]:
        raise _bad(f"Operator {operator!r} is not valid for operationType {op_type}")
    include = op.get("includeObjectsWithNoValueSet")
    if include is not None and not isinstance(include, bool):
        raise _bad("includeObjectsWithNoValueSet must be a boolean")
    if op_type in ("STRING",):
        _need(isinstance(op.get("value"), str), "value (string)", op_type)
    elif op_type == "MULTISTRING" or op_type == "ENUMERATION":
        values = op.get("values")
        _need(
            isinstance(values, list) and all(isinstance(v, str) for v in values),
            "values (array of strings)",
            op_type,
        )
    elif op_type in ("NUMBER", "NUMBER_RANGED") and operator in RANGE_OPS:
        _need(
            _is_num(op.get("lowerBound")) and _is_num(op.get("upperBound")),
            "lowerBound and upperBound",
            op_type,
        )
    elif op_type == "NUMBER":
        _need(_is_num(op.get("value")) or _num_str(op.get("value")), "value (number)", op_type)
    elif op_type == "BOOL":
        _need(
            isinstance(op.get("value"), bool) or op.get("value") in ("true", "false"),
            "value (boolean)",
            op_type,
        )
    elif op_type == "TIME_POINT":
        _validate_time_point(op.get("timePoint"))
        _endpoint(op.get("endpointBehavior"))
    elif op_type == "TIME_RANGED":
        _validate_time_point(op.get("lowerBoundTimePoint"))
        _validate_time_point(op.get("upperBoundTimePoint"))
        _endpoint(op.get("lowerBoundEndpointBehavior"))
        _endpoint(op.get("upperBoundEndpointBehavior"))
    elif op_type == "DATETIME":
        _need(_is_int(op.get("timestamp")), "timestamp (epoch ms)", op_type)
    elif op_type == "RANGED_DATE":
        _need(
            _is_int(op.get("lowerBound")) and _is_int(op.get("upperBound")),
            "lowerBound and upperBound (epoch ms)",
            op_type,
        )


def _validate_time_point(tp: Any) -> None:
    if not isinstance(tp, dict):
        raise _bad("A time operation needs a timePoint object")
    kind = tp.get("timeType")
    if kind == "DATE":
        for key in ("year", "month", "day"):
            _need(_is_int(tp.get(key)), f"{key} (integer)", "DATE time point")
        try:
            _date_point_ms(tp)
        except (ValueError, OverflowError, TypeError) as exc:
            raise _bad(f"Invalid DATE time point: {exc}") from None
    elif kind == "INDEXED":
        ref = tp.get("indexReference")
        if not isinstance(ref, dict) or ref.get("referenceType") not in REFERENCE_TYPES:
            raise _bad(
                f"An INDEXED time point needs indexReference.referenceType in {', '.join(REFERENCE_TYPES)}"
            )
        offset = tp.get("offset", {}) or {}
        if not isinstance(offset, dict) or any(
            k not in OFFSET_UNITS or not _is_int(v) or abs(v) > 100_000 for k, v in offset.items()
        ):
            raise _bad(f"offset must be an object of integer {', '.join(OFFSET_UNITS)}")
    elif kind == "PROPERTY_REFERENCED":
        _need(isinstance(tp.get("property"), str), "property", "PROPERTY_REFERENCED time point")
    else:
        raise _bad(f"Unsupported timeType {kind!r}; supported: DATE, INDEXED, PROPERTY_REFERENCED")
    if tp.get("timezoneSource") == "CUSTOM":
        _zone(tp)


def _endpoint(value: Any) -> None:
    if value is not None and value not in ("INCLUSIVE", "EXCLUSIVE"):
        raise _bad("endpoint behaviour must be INCLUSIVE or EXCLUSIVE")


def _need(ok: bool, what: str, op_type: str) -> None:
    if not ok:
        raise _bad(f"A {op_type} operation needs {what}")


def _bad(message: str) -> HubSpotError:
    return validation(f"Invalid filterBranch: {message}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _num_str(v: Any) -> bool:
    return isinstance(v, str) and _to_float(v) is not None


def uses_relative_time(branch: Any) -> bool:
    """True when membership can change just because time passes (INDEXED time points)."""
    if isinstance(branch, dict):
        if branch.get("timeType") == "INDEXED":
            return True
        return any(uses_relative_time(v) for v in branch.values())
    if isinstance(branch, list):
        return any(uses_relative_time(v) for v in branch)
    return False


def referenced_lists(branch: Any) -> set[str]:
    if isinstance(branch, dict):
        found = (
            {str(branch["listId"])} if branch.get("filterType") == "IN_LIST" and "listId" in branch else set()
        )
        for v in branch.values():
            found |= referenced_lists(v)
        return found
    if isinstance(branch, list):
        return set().union(*(referenced_lists(v) for v in branch)) if branch else set()
    return set()


# --- evaluation ---------------------------------------------------------------------------------------
def matches(branch: dict[str, Any], record: Any, ctx: EvalContext) -> bool:
    """Does `record` (with .id, .object_type, .properties) pass the (validated) branch?"""
    kind = branch.get("filterBranchType")
    filters = branch.get("filters", []) or []
    subs = branch.get("filterBranches", []) or []
    if kind == "ASSOCIATION":
        others = ctx.associated(
            record.object_type, record.id, branch["objectTypeId"], branch.get("associationTypeId")
        )
        inner = {**branch, "filterBranchType": "AND"}
        return any(matches(inner, other, ctx) for other in others)
    results = (r for r in _chain(filters, subs, record, ctx))
    if kind == "AND":
        return all(results)
    if kind == "OR":
        return any(results)
    if kind == "NOT_ALL":
        return not all(results)
    if kind == "NOT_ANY":
        return not any(results)
    return False


def _chain(filters: list[Any], subs: list[Any], record: Any, ctx: EvalContext) -> Any:
    for f in filters:
        yield _filter(f, record, ctx)
    for sub in subs:
        yield matches(sub, record, ctx)


def _filter(f: dict[str, Any], record: Any, ctx: EvalContext) -> bool:
    ftype = f.get("filterType")
    if ftype == "CONSTANT":
        return bool(f.get("shouldAccept"))
    if ftype == "IN_LIST":
        member = ctx.in_list(str(f["listId"]), record.id)
        return member if f.get("operator", "IN_LIST") == "IN_LIST" else not member
    return evaluate_operation(f["operation"], record.properties.get(f["property"]), record, ctx)


def evaluate_operation(op: dict[str, Any], raw: Any, record: Any, ctx: EvalContext) -> bool:
    operator, op_type = op.get("operator"), op.get("operationType")
    known = raw is not None and str(raw) != ""
    if operator == "IS_KNOWN":
        return known
    if operator == "IS_UNKNOWN":
        return not known
    if not known:
        return bool(op.get("includeObjectsWithNoValueSet", False))
    value = str(raw)
    if op_type == "STRING":
        return _string_op(operator, value, [op["value"]])
    if op_type in ("MULTISTRING", "ENUMERATION"):
        if operator in SET_OPS:
            return _set_op(operator, value, op["values"])
        return _string_op(operator, value, op["values"])
    if op_type in ("NUMBER", "NUMBER_RANGED"):
        return _number_op(op, operator, value)
    if op_type == "BOOL":
        expected = op["value"] if isinstance(op["value"], bool) else op["value"] == "true"
        actual = value.strip().lower() == "true"
        return (actual == expected) if operator == "IS_EQUAL_TO" else (actual != expected)
    if op_type in ("TIME_POINT", "TIME_RANGED", "DATETIME", "RANGED_DATE"):
        at = parse_time_ms(value)
        return False if at is None else _time_op(op, op_type, operator, at, record, ctx)
    return False


def _string_op(operator: str, value: str, wanted: list[str]) -> bool:
    v = value.lower()
    ws = [w.lower() for w in wanted]
    test: dict[str, Callable[[str], bool]] = {
        "IS_EQUAL_TO": lambda w: v == w,
        "IS_NOT_EQUAL_TO": lambda w: v == w,
        "CONTAINS": lambda w: w in v,
        "DOES_NOT_CONTAIN": lambda w: w in v,
        "STARTS_WITH": lambda w: v.startswith(w),
        "ENDS_WITH": lambda w: v.endswith(w),
    }
    hit = any(test[operator](w) for w in ws)
    return not hit if operator in NEGATIVE_OPS else hit


def _set_op(operator: str, value: str, wanted: list[str]) -> bool:
    have = {p.strip().lower() for p in value.split(";") if p.strip()}
    want = {w.strip().lower() for w in wanted}
    return {
        "IS_ANY_OF": bool(have & want),
        "IS_NONE_OF": not (have & want),
        "IS_EXACTLY": have == want,
        "IS_NOT_EXACTLY": have != want,
        "CONTAINS_ALL": want <= have,
        "DOES_NOT_CONTAIN_ALL": not want <= have,
    }[operator]


def _number_op(op: dict[str, Any], operator: str, value: str) -> bool:
    x = _to_float(value)
    if x is None:
        return False
    if operator in RANGE_OPS:
        inside = float(op["lowerBound"]) <= x <= float(op["upperBound"])
        return inside if operator == "IS_BETWEEN" else not inside
    target = float(op["value"])
    return {
        "IS_EQUAL_TO": x == target,
        "IS_NOT_EQUAL_TO": x != target,
        "IS_GREATER_THAN": x > target,
        "IS_GREATER_THAN_OR_EQUAL_TO": x >= target,
        "IS_LESS_THAN": x < target,
        "IS_LESS_THAN_OR_EQUAL_TO": x <= target,
    }[operator]


def _time_op(op: dict[str, Any], op_type: str, operator: str, at: int, record: Any, ctx: EvalContext) -> bool:
    if op_type == "DATETIME":
        ts = int(op["timestamp"])
        if operator == "IS_EQUAL_TO":  # legacy "is on <date>": the same UTC day
            return at // 86_400_000 == ts // 86_400_000
        return at > ts if operator == "IS_AFTER" else at < ts
    if op_type == "RANGED_DATE":
        inside = int(op["lowerBound"]) <= at <= int(op["upperBound"])
        return inside if operator == "IS_BETWEEN" else not inside
    if op_type == "TIME_POINT":
        point = resolve_time_point(op["timePoint"], record, ctx.now_ms)
        if point is None:
            return False
        inclusive = op.get("endpointBehavior") == "INCLUSIVE"
        if operator == "IS_AFTER":
            return at >= point if inclusive else at > point
        return at <= point if inclusive else at < point
    low = resolve_time_point(op["lowerBoundTimePoint"], record, ctx.now_ms)
    high = resolve_time_point(op["upperBoundTimePoint"], record, ctx.now_ms)
    if low is None or high is None:
        return False
    low_ok = at > low if op.get("lowerBoundEndpointBehavior") == "EXCLUSIVE" else at >= low
    high_ok = at < high if op.get("upperBoundEndpointBehavior") == "EXCLUSIVE" else at <= high
    inside = low_ok and high_ok
    return inside if operator == "IS_BETWEEN" else not inside


# --- time ---------------------------------------------------------------------------------------------
def parse_time_ms(value: str) -> int | None:
    """A property value as epoch ms: epoch-ms digits, ISO-8601 date-time, or a YYYY-MM-DD date (UTC)."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def _zone(tp: dict[str, Any]) -> Any:
    if tp.get("timezoneSource") != "CUSTOM" or not tp.get("zoneId"):
        return UTC
    try:
        return ZoneInfo(str(tp["zoneId"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise _bad(f"Unknown zoneId {tp['zoneId']!r}") from None


def _date_point_ms(tp: dict[str, Any]) -> int:
    dt = datetime(
        int(tp["year"]),
        int(tp["month"]),
        int(tp["day"]),
        int(tp.get("hour", 0) or 0),
        int(tp.get("minute", 0) or 0),
        int(tp.get("second", 0) or 0),
        int(tp.get("millisecond", 0) or 0) * 1000,
        tzinfo=_zone(tp),
    )
    return int(dt.timestamp() * 1000)


def resolve_time_point(tp: dict[str, Any], record: Any, now_ms: int) -> int | None:
    kind = tp.get("timeType")
    if kind == "DATE":
        return _date_point_ms(tp)
    if kind == "PROPERTY_REFERENCED":
        raw = record.properties.get(tp["property"])
        return parse_time_ms(str(raw)) if raw not in (None, "") else None
    zone = _zone(tp)
    now = datetime.fromtimestamp(now_ms / 1000, tz=UTC).astimezone(zone)
    ref = tp["indexReference"]["referenceType"]
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    base = {
        "NOW": now,
        "TODAY": midnight,
        "WEEK": midnight - timedelta(days=midnight.weekday()),
        "MONTH": midnight.replace(day=1),
        "QUARTER": midnight.replace(day=1, month=3 * ((midnight.month - 1) // 3) + 1),
        "YEAR": midnight.replace(day=1, month=1),
    }[ref]
    offset = tp.get("offset") or {}
    months = (
        int(offset.get("years", 0)) * 12 + int(offset.get("quarters", 0)) * 3 + int(offset.get("months", 0))
    )
    base = _add_months(base, months)
    base += timedelta(
        weeks=int(offset.get("weeks", 0)),
        days=int(offset.get("days", 0)),
        hours=int(offset.get("hours", 0)),
        minutes=int(offset.get("minutes", 0)),
        seconds=int(offset.get("seconds", 0)),
        milliseconds=int(offset.get("milliseconds", 0)),
    )
    return int(base.timestamp() * 1000)


def _add_months(dt: datetime, months: int) -> datetime:
    if not months:
        return dt
    total = dt.year * 12 + dt.month - 1 + months
    year, month = divmod(total, 12)
    days_in_month = [
        31,
        29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month]
    return dt.replace(year=year, month=month + 1, day=min(dt.day, days_in_month))


def _to_float(value: str) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if x == x and x not in (float("inf"), float("-inf")) else None
