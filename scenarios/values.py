"""The little languages inside scenario files: durations (`15m`), expected values (`absent`,
`any`, `unchanged`, `{one_of: [...]}`, `{contains: ...}`, `{not: ...}`) and list criteria
(`where: {lifecyclestage: lead}`) turned into a HubSpot filterBranch."""

from __future__ import annotations

import contextlib
import re
from typing import Any

ABSENT = "absent"
BLANK = "blank"
ANY = "any"
UNCHANGED = "unchanged"
SPECIAL = (ABSENT, BLANK, ANY, UNCHANGED)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|seconds?|m|min|minutes?|h|hours?|d|days?)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: str) -> float:
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"not a duration: {text!r} (use e.g. 15m, 2h, 1d, 30s)")
    return float(m.group(1)) * _UNIT_SECONDS[m.group(2)[0]]


def is_blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def normalise(value: Any) -> Any:
    """Compare HubSpot strings with Salesforce JSON values: 'true' == True, '5' == 5 == 5.0."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("true", "false"):
            return text.lower()
        try:
            number = float(text)
        except ValueError:
            return text
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return str(int(number)) if number.is_integer() else repr(number)
        return text
    return value


def matches(expected: Any, actual: Any, before: Any = None, has_before: bool = False) -> tuple[bool, str]:
    """(ok, why-not). `before` is the value at the end of `given`, for `unchanged`."""
    if expected in (ABSENT, BLANK) or expected is None:
        return is_blank(actual), "expected no value"
    if expected == ANY:
        return not is_blank(actual), "expected some value"
    if expected == UNCHANGED:
        if not has_before:
            return False, "`unchanged` needs the record to exist at the end of `given`"
        return _same(before, actual), f"expected it unchanged from {before!r}"
    if isinstance(expected, dict):
        ((op, arg),) = expected.items()
        if op == "one_of":
            return any(_same(e, actual) for e in arg), f"expected one of {arg!r}"
        if op == "contains":
            return (
                not is_blank(actual) and str(arg).lower() in str(actual).lower()
            ), f"expected it to contain {arg!r}"
        if op == "not":
            return not matches(arg, actual)[0], f"expected anything but {arg!r}"
        if op in ("at_least", "at_most"):
            number = _number(actual)
            if number is None:
                return False, f"expected a number {op.replace('_', ' ')} {arg}"
            ok = number >= arg if op == "at_least" else number <= arg
            return ok, f"expected {op.replace('_', ' ')} {arg}"
        return False, f"unknown matcher {op!r}"
    return _same(expected, actual), "values differ"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _same(a: Any, b: Any) -> bool:
    if is_blank(a) and is_blank(b):
        return True
    return normalise(a) == normalise(b)


# --- list criteria ------------------------------------------------------------------------------


def filter_branch(
    where: dict[str, Any] | list[dict[str, Any]], types: dict[str, str] | None = None
) -> dict[str, Any]:
    """`where` (all conditions must hold) -> HubSpot lists v3 filterBranch (OR root, one AND branch);
    a list of `where` blocks -> one AND branch each (a contact qualifies when any block holds).
    `types` (property name -> HubSpot data type) picks the operationType a real portal expects:
    ENUMERATION for enumerations (lifecyclestage), NUMBER, BOOL, MULTISTRING for text."""
    types = types or {}
    blocks = where if isinstance(where, list) else [where]
    return {
        "filterBranchType": "OR",
        "filterBranchOperator": "OR",
        "filters": [],
        "filterBranches": [
            {
                "filterBranchType": "AND",
                "filterBranchOperator": "AND",
                "filterBranches": [],
                "filters": [_property_filter(name, cond, types.get(name)) for name, cond in block.items()],
            }
            for block in blocks
        ],
    }


def _property_filter(name: str, cond: Any, data_type: str | None = None) -> dict[str, Any]:
    op: dict[str, Any]
    if data_type == "enumeration" and not isinstance(cond, dict | list):
        cond = [cond]
    elif data_type == "number" and isinstance(cond, str):
        with contextlib.suppress(ValueError):
            cond = float(cond) if "." in cond else int(cond)
    if isinstance(cond, dict):
        ((kind, arg),) = cond.items()
        if kind == "known":
            op = {"operationType": "ALL_PROPERTY", "operator": "IS_KNOWN" if arg else "IS_UNKNOWN"}
        elif kind == "contains":
            op = {"operationType": "MULTISTRING", "operator": "CONTAINS", "values": [str(arg)]}
        elif kind == "not" and data_type == "enumeration":
            op = {"operationType": "ENUMERATION", "operator": "IS_NONE_OF", "values": [_text(arg)]}
        elif kind == "not":
            op = {"operationType": "MULTISTRING", "operator": "IS_NOT_EQUAL_TO", "values": [_text(arg)]}
        elif kind == "any_of":
            op = {"operationType": "ENUMERATION", "operator": "IS_ANY_OF", "values": [_text(v) for v in arg]}
        else:
            raise ValueError(f"unknown list condition {kind!r} for {name}")
    elif isinstance(cond, list) and data_type in (None, "enumeration"):
        op = {"operationType": "ENUMERATION", "operator": "IS_ANY_OF", "values": [_text(v) for v in cond]}
    elif isinstance(cond, list):  # text: MULTISTRING IS_EQUAL_TO with several values means "any of them"
        op = {"operationType": "MULTISTRING", "operator": "IS_EQUAL_TO", "values": [_text(v) for v in cond]}
    elif isinstance(cond, bool):
        op = {"operationType": "BOOL", "operator": "IS_EQUAL_TO", "value": cond}
    elif isinstance(cond, int | float):
        op = {"operationType": "NUMBER", "operator": "IS_EQUAL_TO", "value": cond}
    else:
        op = {"operationType": "MULTISTRING", "operator": "IS_EQUAL_TO", "values": [_text(cond)]}
    return {"filterType": "PROPERTY", "property": name, "operation": op}


def _text(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


PROCESSING_TYPES = {
    "active": "DYNAMIC",
    "static": "MANUAL",
    "snapshot": "SNAPSHOT",
    "DYNAMIC": "DYNAMIC",
    "MANUAL": "MANUAL",
    "SNAPSHOT": "SNAPSHOT",
}
