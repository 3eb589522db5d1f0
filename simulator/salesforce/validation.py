"""What the platform checks when a record is saved, in its order: body deserialisation (unknown
fields, JSON types), field-level security (read-only fields), required fields, field values (length,
email, restricted picklists, numeric range), then org configuration: unique fields, validation rules
and duplicate rules defined by a test through the control API.

`coerce_fields` turns API input (JSON values, or CSV strings for Bulk 2.0) into native values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from simulator.salesforce import errors, ids
from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.schema import FieldDef, ObjectDef, Schema
from simulator.salesforce.wire import parse_date, parse_datetime

if TYPE_CHECKING:
    from simulator.salesforce.models import SalesforceBackend

# Close to what Salesforce accepts: local@domain.tld, no spaces, one @.
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
CSV_NULL = "#N/A"  # Bulk API: the value that sets a field to null (an empty cell leaves it alone)
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_KIND = {
    "boolean": "boolean",
    "int": "int",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "date": "date",
    "datetime": "datetime",
}


def _token(value: Any) -> tuple[str, str]:
    """Jackson's token name and shown value for a JSON value of the wrong type."""
    if isinstance(value, bool):
        return ("VALUE_TRUE" if value else "VALUE_FALSE"), str(value).lower()
    if isinstance(value, int):
        return "VALUE_NUMBER_INT", str(value)
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT", repr(value)
    if isinstance(value, dict):
        return "START_OBJECT", "{"
    if isinstance(value, list):
        return "START_ARRAY", "["
    return "VALUE_STRING", str(value)


def coerce_value(o: ObjectDef, fd: FieldDef, raw: Any, *, wire: str = "json") -> Any:
    """One API value -> native value for `fd`, or the error the real API gives for it."""
    csv = wire == "csv"

    def bad() -> SalesforceError:
        if csv:
            return errors.invalid_type_in_record(fd.label, fd.name, raw)
        token, shown = _token(raw)
        return errors.cannot_deserialize(_KIND.get(fd.type, "String"), token, shown)

    if csv and isinstance(raw, str) and raw == CSV_NULL:
        return None
    if raw is None:
        return False if fd.type == "boolean" else None
    t = fd.type
    if t == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in (_TRUE if csv else {"true"}):
            return True
        if isinstance(raw, str) and raw.strip().lower() in (_FALSE if csv else {"false"}):
            return False
        raise bad()
    if t in ("int", "double", "currency", "percent"):
        return _number(fd, raw, bad)
    if t == "date":
        if not isinstance(raw, str):
            raise bad()
        if raw.strip() == "":
            return None
        try:
            return parse_date(raw)
        except ValueError as exc:
            raise bad() from exc
    if t == "datetime":
        if not isinstance(raw, str):
            raise bad()
        if raw.strip() == "":
            return None
        try:
            return parse_datetime(raw)
        except ValueError as exc:
            raise bad() from exc
    # text-like, id and reference fields
    if isinstance(raw, bool):
        text = "true" if raw else "false"
    elif isinstance(raw, int | float):
        text = repr(raw) if isinstance(raw, float) else str(raw)
    elif isinstance(raw, str):
        text = raw
    else:
        raise bad()
    if text == "":
        return None  # Salesforce stores an empty string as null
    if t in ("reference", "id"):
        try:
            return ids.to18(text.strip())
        except ids.InvalidId as exc:
            raise errors.malformed_reference(fd, text) from exc
    return text


def _number(fd: FieldDef, raw: Any, bad: Callable[[], SalesforceError]) -> int | float | None:
    if isinstance(raw, bool):
        raise bad()
    if isinstance(raw, str):
        s = raw.strip()
        if s == "":
            return None
        try:
            num: float = float(s) if any(c in s for c in ".eE") or fd.type != "int" else int(s)
        except ValueError as exc:
            raise bad() from exc
    elif isinstance(raw, int | float):
        num = raw
    else:
        raise bad()
    if isinstance(num, float) and not math.isfinite(num):
        raise errors.number_out_of_range(fd.label, fd.name, raw)
    if fd.type == "int":
        if isinstance(num, float):
            if not num.is_integer():
                raise bad()
            num = int(num)
        digits = fd.digits or 9
        if abs(num) >= 10**digits or abs(num) > 2**31 - 1:
            raise errors.number_out_of_range(fd.label, fd.name, raw)
        return int(num)
    whole = (fd.precision or 18) - fd.scale
    if abs(num) >= 10**whole:
        raise errors.number_out_of_range(fd.label, fd.name, raw)
    return float(round(num, fd.scale)) if fd.scale or fd.precision else float(num)


def check_value(o: ObjectDef, fd: FieldDef, value: Any) -> None:
    """Field-value rules on a native value: length, email format, restricted picklist."""
    if value is None or not isinstance(value, str):
        return
    if fd.is_text and fd.length and len(value) > fd.length:
        raise errors.string_too_long(fd.label, fd.name, value, fd.length)
    if fd.type == "email" and not EMAIL_RE.match(value):
        raise errors.invalid_email(fd.label, fd.name, value)
    if fd.restricted_picklist:
        parts = value.split(";") if fd.type == "multipicklist" else [value]
        for part in parts:
            if part not in fd.picklist:
                raise errors.bad_picklist(fd.label, fd.name, value)


def coerce_fields(
    backend: SalesforceBackend, o: ObjectDef, fields: Any, *, op: str, wire: str = "json"
) -> dict[str, Any]:
    """API body -> {canonical field name: native value} for a create or update, with the real API's
    errors. `attributes` (composite / REST bodies may carry it) is ignored."""
    if not isinstance(fields, dict):
        token, shown = _token(fields)
        raise errors.cannot_deserialize(f"SObject {o.name}", token, shown)
    out: dict[str, Any] = {}
    locked: list[str] = []
    for key, raw in fields.items():
        if key == "attributes" and wire == "json":
            continue
        fd = o.field(key) if isinstance(key, str) else None
        if fd is None:
            raise errors.invalid_field_dml(str(key), o.name)
        if wire == "csv" and raw == "":
            continue  # Bulk API: an empty cell leaves the field as it is
        value = coerce_value(o, fd, raw, wire=wire)
        allowed = fd.createable if op == "create" else fd.updateable
        if not allowed or not backend.field_editable(o, fd):
            locked.append(fd.name)
            continue
        out[fd.name] = value
    if locked:
        raise errors.read_only(locked)
    for name, value in out.items():
        check_value(o, o.fields[name.lower()], value)
    return out


def check_required(o: ObjectDef, rec: dict[str, Any], values: dict[str, Any], *, op: str) -> None:
    """REQUIRED_FIELD_MISSING: on create every required field of the merged record; on update the
    non-nillable fields the body sets to null."""
    if op == "create":
        missing = [fd.name for fd in o.required_on_create() if rec.get(fd.name) in (None, "")]
    else:
        missing = [
            name
            for name, v in values.items()
            if v is None and not o.fields[name.lower()].nillable and o.fields[name.lower()].type != "boolean"
        ]
    if missing:
        raise errors.required_missing(missing)


# --- validation rules ------------------------------------------------------------------------------------
OPS = (
    "is_blank",
    "is_not_blank",
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "greater_than",
    "less_than",
    "greater_or_equal",
    "less_or_equal",
    "in",
    "not_in",
    "matches",
    "is_changed",
    "is_new",
)


class RuleError(ValueError):
    """A bad rule definition: the control API answers 400 with this text."""


@dataclass
class Condition:
    """A declarative, formula-like condition: {"field","op","value"?} or {"all"|"any":[...]} or {"not":{...}}."""

    kind: str  # "leaf" | "all" | "any" | "not"
    field: FieldDef | None = None
    op: str = ""
    value: Any = None
    children: list[Condition] = dc_field(default_factory=list)

    @classmethod
    def parse(cls, o: ObjectDef, spec: Any, default_field: str | None = None) -> Condition:
        if not isinstance(spec, dict):
            raise RuleError("a condition must be a JSON object")
        for key in ("all", "any"):
            if key in spec:
                items = spec[key]
                if not isinstance(items, list) or not items:
                    raise RuleError(f"'{key}' needs a non-empty list of conditions")
                return cls(key, children=[cls.parse(o, c, default_field) for c in items])
        if "not" in spec:
            return cls("not", children=[cls.parse(o, spec["not"], default_field)])
        name = spec.get("field", default_field)
        fd = o.field(name) if isinstance(name, str) else None
        if fd is None:
            raise RuleError(f"unknown field {name!r} on {o.name}")
        op = str(spec.get("op", "")).lower()
        if op not in OPS:
            raise RuleError(f"unknown op {spec.get('op')!r}; one of {', '.join(OPS)}")
        value = spec.get("value")
        if op in ("in", "not_in"):
            if not isinstance(value, list):
                raise RuleError(f"op {op} needs a list value")
            value = [_rule_value(o, fd, v) for v in value]
        elif op == "matches":
            try:
                value = re.compile(str(value))
            except re.error as exc:
                raise RuleError(f"bad regular expression: {exc}") from exc
        elif op not in ("is_blank", "is_not_blank", "is_changed", "is_new"):
            value = _rule_value(o, fd, value)
        return cls("leaf", field=fd, op=op, value=value)

    def holds(self, rec: dict[str, Any], old: dict[str, Any] | None) -> bool:
        if self.kind == "all":
            return all(c.holds(rec, old) for c in self.children)
        if self.kind == "any":
            return any(c.holds(rec, old) for c in self.children)
        if self.kind == "not":
            return not self.children[0].holds(rec, old)
        assert self.field is not None
        v = rec.get(self.field.name)
        op, target = self.op, self.value
        blank = v is None or v == "" or (self.field.type == "boolean" and v is False and False)
        if op == "is_blank":
            return blank
        if op == "is_not_blank":
            return not blank
        if op == "is_new":
            return old is None
        if op == "is_changed":
            return old is not None and old.get(self.field.name) != v
        if op == "equals":
            return v == target
        if op == "not_equals":
            return v != target
        if op == "in":
            return v in target
        if op == "not_in":
            return v not in target
        if v is None:
            return False
        if op in ("contains", "not_contains", "starts_with", "ends_with", "matches"):
            s = str(v)
            return {
                "contains": lambda: str(target) in s,
                "not_contains": lambda: str(target) not in s,
                "starts_with": lambda: s.startswith(str(target)),
                "ends_with": lambda: s.endswith(str(target)),
                "matches": lambda: bool(target.fullmatch(s)),
            }[op]()
        try:
            return {
                "greater_than": v > target,
                "less_than": v < target,
                "greater_or_equal": v >= target,
                "less_or_equal": v <= target,
            }[op]
        except TypeError:
            return False


def _rule_value(o: ObjectDef, fd: FieldDef, value: Any) -> Any:
    try:
        return coerce_value(o, fd, value)
    except SalesforceError as exc:
        raise RuleError(f"value {value!r} does not fit {o.name}.{fd.name}: {exc.message}") from exc


def _rule_object(schema: Schema, spec: Any) -> ObjectDef:
    """The object a rule spec names (a rule spec must be a JSON object)."""
    if not isinstance(spec, dict):
        raise RuleError("the body must be a JSON object")
    o = schema.resolve_object(str(spec.get("object", "")))
    if o is None:
        raise RuleError(f"unknown object {spec.get('object')!r}")
    return o


@dataclass
class ValidationRule:
    """Fails the save with FIELD_CUSTOM_VALIDATION_EXCEPTION when its condition holds (as a
    Salesforce validation rule's formula evaluating to true)."""

    object: str
    name: str
    condition: Condition
    message: str
    error_field: str | None
    active: bool
    spec: dict[str, Any]

    @classmethod
    def from_spec(cls, schema: Schema, spec: Any) -> ValidationRule:
        o = _rule_object(schema, spec)
        default_field = spec.get("field")
        cond_spec = spec.get("condition")
        if cond_spec is None and default_field:
            cond_spec = {"field": default_field, "op": "is_blank"}
        cond = Condition.parse(o, cond_spec, default_field)
        err_field = spec.get("errorField")
        if err_field is not None:
            efd = o.field(str(err_field))
            if efd is None:
                raise RuleError(f"unknown errorField {err_field!r}")
            err_field = efd.name
        message = spec.get("message") or f"Validation rule {spec.get('name')} failed"
        name = str(spec.get("name") or f"Rule_{len(str(cond_spec))}")
        return cls(
            o.name,
            name,
            cond,
            str(message),
            err_field,
            bool(spec.get("active", True)),
            {**spec, "object": o.name, "name": name},
        )

    def check(self, rec: dict[str, Any], old: dict[str, Any] | None) -> None:
        if self.active and self.condition.holds(rec, old):
            raise errors.custom_validation(self.message, [self.error_field] if self.error_field else [])


@dataclass
class DuplicateRule:
    """Matches records of the same object whose `fields` all equal (case-insensitively, trimmed) the
    saved record's; `block` always refuses, `alert` refuses unless the caller sends
    `Sforce-Duplicate-Rule-Header: allowSave=true`, `allow` never refuses."""

    object: str
    name: str
    fields: list[str]
    action: str
    spec: dict[str, Any]

    @classmethod
    def from_spec(cls, schema: Schema, spec: Any) -> DuplicateRule:
        o = _rule_object(schema, spec)
        names = spec.get("fields")
        if not isinstance(names, list) or not names:
            raise RuleError("fields must be a non-empty list of field names")
        canon = []
        for n in names:
            fd = o.field(n) if isinstance(n, str) else None
            if fd is None:
                raise RuleError(f"unknown field {n!r} on {o.name}")
            canon.append(fd.name)
        action = str(spec.get("action", "block")).lower()
        if action not in ("block", "alert", "allow"):
            raise RuleError("action must be block, alert or allow")
        name = str(spec.get("name") or f"{o.name}_Duplicate_Rule_{'_'.join(canon)}")
        return cls(
            o.name,
            name,
            canon,
            action,
            {**spec, "object": o.name, "name": name, "fields": canon, "action": action},
        )

    def blocks(self, allow_save: bool) -> bool:
        return self.action == "block" or (self.action == "alert" and not allow_save)

    def matches(self, backend: SalesforceBackend, rec: dict[str, Any]) -> list[str]:
        keys = [_match_key(rec.get(f)) for f in self.fields]
        if any(k is None for k in keys):
            return []
        first = self.fields[0]
        cands = backend.find(self.object, first, rec.get(first))
        if not cands:  # values with surrounding spaces miss the exact index: compare by scanning
            cands = [
                r["Id"] for r in backend.iter_records(self.object) if _match_key(r.get(first)) == keys[0]
            ]
        out = []
        for cid in cands:
            if cid == rec["Id"]:
                continue
            other = backend.records[self.object][cid]
            if not other.get("IsDeleted") and all(
                _match_key(other.get(f)) == k for f, k in zip(self.fields, keys, strict=True)
            ):
                out.append(cid)
        return out


def _match_key(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        s = value.strip().lower()
        return s or None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
