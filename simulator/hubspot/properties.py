"""Property definitions and groups per object type (wire spec 2.7), and validation of record writes
against them. Defaults come from property_catalog.py; portals add custom properties through the API.

Write validation answers as HubSpot does: 400 VALIDATION_ERROR, message
`Property values were not valid: [<json list of {isValid,message,error,name}>]`, plus `errors` entries
with `code` and `context.propertyName`. Error codes: PROPERTY_DOESNT_EXIST, INVALID_OPTION,
INVALID_INTEGER / INVALID_DECIMAL (numbers), INVALID_DATE / INVALID_DATETIME, INVALID_EMAIL,
INVALID_BOOLEAN, READ_ONLY_VALUE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulator.hubspot import property_catalog as catalog
from simulator.hubspot.errors import HubSpotError, not_found, validation
from simulator.hubspot.property_values import (
    _as_text,
    _check_time,
    _int,
    _iso,
    property_values_error,
)

if TYPE_CHECKING:
    from simulator.hubspot.models import HubSpotBackend

TYPES: dict[str, tuple[str, ...]] = {  # type -> allowed fieldTypes
    "string": ("text", "textarea", "phonenumber", "html", "file", "calculation_equation"),
    "number": ("number", "calculation_equation", "calculation_rollup", "calculation_score"),
    "date": ("date",),
    "datetime": ("date",),
    "enumeration": ("select", "radio", "checkbox", "booleancheckbox", "calculation_equation"),
    "bool": ("booleancheckbox", "calculation_equation"),
}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
NUMBER_RE = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
MULTI = ("checkbox",)  # enumeration fieldTypes holding ";"-separated values


@dataclass(slots=True)
class PropertyDef:
    name: str
    label: str
    type: str
    field_type: str
    group_name: str
    description: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    display_order: int = -1
    hidden: bool = False
    form_field: bool = True
    has_unique_value: bool = False
    hubspot_defined: bool = False
    calculated: bool = False
    external_options: bool = False
    read_only_value: bool = False
    created_at_ms: int = 0
    updated_at_ms: int = 0
    archived: bool = False
    archived_at_ms: int | None = None
    option_values: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group_name,
            "options": self.options,
            "displayOrder": self.display_order,
            "calculated": self.calculated,
            "externalOptions": self.external_options,
            "hasUniqueValue": self.has_unique_value,
            "hidden": self.hidden,
            "hubspotDefined": self.hubspot_defined,
            "formField": self.form_field,
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined,
                "readOnlyValue": self.read_only_value,
            },
            "createdAt": _iso(self.created_at_ms),
            "updatedAt": _iso(self.updated_at_ms),
            "archived": self.archived,
        }
        if self.archived_at_ms is not None:
            body["archivedAt"] = _iso(self.archived_at_ms)
        return body

    def refresh_options(self) -> None:
        self.option_values = frozenset(str(o.get("value")) for o in self.options)


@dataclass(slots=True)
class PropertyGroup:
    name: str
    label: str
    display_order: int = -1
    archived: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "displayOrder": self.display_order,
            "archived": self.archived,
        }


class PropertyCatalog:
    def __init__(self, backend: HubSpotBackend) -> None:
        self.backend = backend
        self.props: dict[str, dict[str, PropertyDef]] = {}
        self.groups: dict[str, dict[str, PropertyGroup]] = {}
        self._unique_cache: dict[str, list[str]] = {}
        now = backend.sandbox.clock.now_ms()
        for object_type, specs in catalog.PROPERTIES.items():
            self.groups[object_type] = {
                n: PropertyGroup(n, label, i) for i, (n, label) in enumerate(catalog.GROUPS[object_type])
            }
            defs: dict[str, PropertyDef] = {}
            for order, (name, label, ptype, ftype, group, extra) in enumerate(specs):
                options = [
                    {"label": lab, "value": val, "displayOrder": i, "hidden": False, "description": ""}
                    for i, (val, lab) in enumerate(extra.get("options", []))
                ]
                d = PropertyDef(
                    name,
                    label,
                    ptype,
                    ftype,
                    group,
                    options=options,
                    display_order=order,
                    has_unique_value=bool(extra.get("unique")),
                    hubspot_defined=True,
                    calculated=bool(extra.get("calculated")),
                    external_options=bool(extra.get("external_options")),
                    read_only_value=bool(extra.get("read_only")),
                    created_at_ms=now,
                    updated_at_ms=now,
                )
                d.refresh_options()
                defs[name] = d
            self.props[object_type] = defs

    # --- lookups used by the record store, search and lists ----------------------------------------
    def _type(self, object_type: str) -> str:
        return self.backend.records.resolve_type(object_type)

    def _defs(self, object_type: str) -> dict[str, PropertyDef]:
        defs = self.props.get(object_type)
        if defs is None:  # a custom type registered in the record store
            defs = self.props[object_type] = {}
            self.groups.setdefault(object_type, {})
        return defs

    def definition(self, object_type: str, name: str) -> PropertyDef | None:
        """The live definition of `name` on `object_type` (any accepted spelling), or None."""
        d = self._defs(self._type(object_type)).get(name)
        return None if d is None or d.archived else d

    def unique_properties(self, object_type: str) -> list[str]:
        cached = self._unique_cache.get(object_type)
        if cached is None:
            cached = self._unique_cache[object_type] = [
                d.name for d in self._defs(object_type).values() if d.has_unique_value and not d.archived
            ]
        return cached

    def system_properties(self, object_type: str) -> set[str]:
        return {d.name for d in self._defs(object_type).values() if d.read_only_value}

    @staticmethod
    def default_read(object_type: str) -> tuple[str, ...]:
        return catalog.DEFAULT_READ.get(object_type, ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"))

    @staticmethod
    def searchable(object_type: str) -> tuple[str, ...]:
        return catalog.SEARCHABLE.get(object_type, ())

    # --- write validation ------------------------------------------------------------------------------
    def clean_values(self, object_type: str, raw: Any) -> dict[str, str]:
        """Validate a `properties` object of a create/update and return string values ("" clears).
        HubSpot accepts JSON numbers/booleans for property values and stores their text."""
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise validation(
                "Invalid input JSON on line 1, column 15: Cannot deserialize value of type "
                "`java.util.LinkedHashMap<java.lang.String,java.lang.String>` from non-object value"
            )
        defs = self._defs(object_type)
        out: dict[str, str] = {}
        problems: list[tuple[str, str, str]] = []  # (name, code, message)
        for name, value in raw.items():
            d = defs.get(name)
            if d is None or d.archived:
                problems.append((name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
                continue
            text = _as_text(value)
            if text is None:
                raise validation(
                    "Invalid input JSON on line 1, column 1: Cannot deserialize value of type "
                    f"`java.lang.String` from {'Array' if isinstance(value, list) else 'Object'} value "
                    f"(property {name})"
                )
            if d.read_only_value:
                problems.append(
                    (name, "READ_ONLY_VALUE", f"{name} is a read only property; its value cannot be set.")
                )
                continue
            if text == "":
                out[name] = ""
                continue
            cleaned, error = self._check(object_type, d, text)
            if error is not None:
                problems.append((name, error[0], error[1]))
            else:
                out[name] = cleaned
        if problems:
            raise property_values_error(problems)
        return out

    def _check(self, object_type: str, d: PropertyDef, text: str) -> tuple[str, tuple[str, str] | None]:
        ptype = d.type
        if ptype == "string":
            if d.name == "email" and object_type == "contacts":
                text = text.strip().lower()  # HubSpot stores contact emails lower-cased
                if not EMAIL_RE.match(text):
                    return text, ("INVALID_EMAIL", f"Email address {text} is invalid")
            return text, None
        if ptype == "number":
            t = text.strip()
            if not NUMBER_RE.match(t):
                return t, ("INVALID_DECIMAL", f"{text} was not a valid number.")
            return t, None
        if ptype == "bool":
            t = text.strip().lower()
            if t not in ("true", "false"):
                return t, ("INVALID_BOOLEAN", f"{text} was not a valid boolean (true or false).")
            return t, None
        if ptype in ("date", "datetime"):
            return _check_time(ptype, text)
        if ptype == "enumeration":
            if d.external_options:
                return self._check_owner(d, text)
            values = text.split(";") if d.field_type in MULTI else [text]
            bad = [v for v in values if v not in d.option_values]
            if bad:
                allowed = ", ".join(sorted(d.option_values))
                return text, ("INVALID_OPTION", f"{bad[0]} was not one of the allowed options: [{allowed}]")
            return text, None
        return text, None

    def _check_owner(self, d: PropertyDef, text: str) -> tuple[str, tuple[str, str] | None]:
        owners = getattr(self.backend, "owners", None)
        get = getattr(owners, "get", None)
        ok = text.isdigit() if get is None else get(text) is not None
        if not ok:
            return text, (
                "INVALID_OPTION",
                f"{text} was not one of the allowed options: [the portal's owner ids]",
            )
        return text, None

    # --- definitions CRUD (API) ------------------------------------------------------------------------
    def list(self, object_type: str, archived: bool = False) -> list[PropertyDef]:
        return [d for d in self._defs(self._type(object_type)).values() if d.archived == archived]

    def get(self, object_type: str, name: str, archived: bool = False) -> PropertyDef:
        d = self._defs(self._type(object_type)).get(name)
        if d is None or (d.archived and not archived):
            raise not_found(f"Property {name} does not exist")
        return d

    def create(self, object_type: str, body: Any) -> PropertyDef:
        object_type = self._type(object_type)
        if not isinstance(body, dict):
            raise validation("Invalid input JSON: expected a property object")
        missing = [
            k for k in ("name", "label", "type", "fieldType", "groupName") if not isinstance(body.get(k), str)
        ]
        if missing:
            raise validation(
                f"Invalid input JSON: missing or non-string field(s): {', '.join(missing)}",
                errors=[{"message": "must not be null", "in": k} for k in missing],
            )
        name, ptype, ftype = body["name"], body["type"], body["fieldType"]
        if not NAME_RE.match(name):
            raise validation(
                f"Property name '{name}' is invalid: use lower-case letters, digits and underscores, "
                "starting with a letter"
            )
        if ptype not in TYPES:
            raise validation(f"Invalid property type '{ptype}'; allowed: {', '.join(TYPES)}")
        if ftype not in TYPES[ptype]:
            raise validation(f"Field type '{ftype}' is not valid for property type '{ptype}'")
        existing = self._defs(object_type).get(name)
        if existing is not None and not existing.archived:
            raise HubSpotError(409, "OBJECT_ALREADY_EXISTS", f"Property named '{name}' already exists.")
        self._require_group(object_type, body["groupName"])
        options = self._options(body.get("options"), ptype)
        now = self.backend.now_ms()
        d = PropertyDef(
            name,
            body["label"],
            ptype,
            ftype,
            body["groupName"],
            description=str(body.get("description") or ""),
            options=options,
            display_order=_int(body.get("displayOrder"), -1),
            hidden=bool(body.get("hidden", False)),
            form_field=bool(body.get("formField", True)),
            has_unique_value=bool(body.get("hasUniqueValue", False)),
            created_at_ms=now,
            updated_at_ms=now,
        )
        d.refresh_options()
        self._defs(object_type)[name] = d
        self._unique_cache.pop(object_type, None)
        return d

    def update(self, object_type: str, name: str, body: Any) -> PropertyDef:
        d = self.get(object_type, name)
        if not isinstance(body, dict):
            raise validation("Invalid input JSON: expected a property object")
        if d.hubspot_defined and any(k in body for k in ("type", "fieldType", "name")):
            raise validation(f"Property {name} is HubSpot-defined; its definition is read-only.")
        object_type = self._type(object_type)
        if "label" in body:
            if not isinstance(body["label"], str) or not body["label"]:
                raise validation("label must be a non-empty string")
            d.label = body["label"]
        if "groupName" in body:
            self._require_group(object_type, body["groupName"])
            d.group_name = body["groupName"]
        if "type" in body or "fieldType" in body:
            ptype, ftype = body.get("type", d.type), body.get("fieldType", d.field_type)
            if ptype not in TYPES or ftype not in TYPES.get(ptype, ()):
                raise validation(f"Field type '{ftype}' is not valid for property type '{ptype}'")
            d.type, d.field_type = ptype, ftype
        if "options" in body:
            d.options = self._options(body["options"], d.type)
            d.refresh_options()
        if "description" in body:
            d.description = str(body["description"] or "")
        if "displayOrder" in body:
            d.display_order = _int(body["displayOrder"], d.display_order)
        for key, attr in (("hidden", "hidden"), ("formField", "form_field")):
            if key in body:
                setattr(d, attr, bool(body[key]))
        d.updated_at_ms = self.backend.now_ms()
        return d

    def archive(self, object_type: str, name: str) -> None:
        d = self.get(object_type, name)
        if d.hubspot_defined:
            raise validation(f"Property {name} is HubSpot-defined and cannot be archived.")
        d.archived = True
        d.archived_at_ms = self.backend.now_ms()
        self._unique_cache.pop(self._type(object_type), None)

    def _require_group(self, object_type: str, group: Any) -> None:
        g = self.groups.get(object_type, {}).get(group) if isinstance(group, str) else None
        if g is None or g.archived:
            raise validation(f"Property group {group} does not exist.")

    @staticmethod
    def _options(raw: Any, ptype: str) -> list[dict[str, Any]]:
        if raw is None:
            return (
                [
                    {"label": "True", "value": "true", "displayOrder": 0, "hidden": False, "description": ""},
                    {
                        "label": "False",
                        "value": "false",
                        "displayOrder": 1,
                        "hidden": False,
                        "description": "",
                    },
                ]
                if ptype == "bool"
                else []
            )
        if not isinstance(raw, list) or not all(isinstance(o, dict) for o in raw):
            raise validation("options must be an array of {label, value} objects")
        out = []
        for i, o in enumerate(raw):
            if not isinstance(o.get("label"), str) or not isinstance(o.get("value"), str | int | float):
                raise validation("every option needs a string label and a value")
            out.append(
                {
                    "label": o["label"],
                    "value": str(o["value"]),
                    "displayOrder": _int(o.get("displayOrder"), i),
                    "hidden": bool(o.get("hidden", False)),
                    "description": str(o.get("description") or ""),
                }
            )
        return out

    # --- groups ------------------------------------------------------------------------------------------
    def list_groups(self, object_type: str) -> list[PropertyGroup]:
        object_type = self._type(object_type)
        self._defs(object_type)
        return [g for g in self.groups[object_type].values() if not g.archived]

    def get_group(self, object_type: str, name: str) -> PropertyGroup:
        object_type = self._type(object_type)
        self._defs(object_type)
        g = self.groups[object_type].get(name)
        if g is None or g.archived:
            raise not_found(f"Property group {name} does not exist")
        return g

    def create_group(self, object_type: str, body: Any) -> PropertyGroup:
        object_type = self._type(object_type)
        self._defs(object_type)
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("name"), str)
            or not isinstance(body.get("label"), str)
        ):
            raise validation("Invalid input JSON: name and label (strings) are required")
        if not NAME_RE.match(body["name"]):
            raise validation(f"Property group name '{body['name']}' is invalid")
        existing = self.groups[object_type].get(body["name"])
        if existing is not None and not existing.archived:
            raise HubSpotError(
                409, "OBJECT_ALREADY_EXISTS", f"Property group named '{body['name']}' already exists."
            )
        g = PropertyGroup(body["name"], body["label"], _int(body.get("displayOrder"), -1))
        self.groups[object_type][g.name] = g
        return g

    def update_group(self, object_type: str, name: str, body: Any) -> PropertyGroup:
        g = self.get_group(object_type, name)
        if not isinstance(body, dict):
            raise validation("Invalid input JSON: expected an object")
        if "label" in body:
            if not isinstance(body["label"], str) or not body["label"]:
                raise validation("label must be a non-empty string")
            g.label = body["label"]
        if "displayOrder" in body:
            g.display_order = _int(body["displayOrder"], g.display_order)
        return g

    def archive_group(self, object_type: str, name: str) -> None:
        g = self.get_group(object_type, name)
        defaults = {n for n, _ in catalog.GROUPS.get(self._type(object_type), [])}
        if name in defaults:
            raise validation(f"Property group {name} is HubSpot-defined and cannot be archived.")
        g.archived = True

    # --- snapshots ----------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "custom": {
                t: [_dump_def(d) for d in defs.values() if not d.hubspot_defined]
                for t, defs in self.props.items()
            },
            "archived_defaults": [
                [t, d.name]
                for t, defs in self.props.items()
                for d in defs.values()
                if d.hubspot_defined and d.archived
            ],
            "groups": {
                t: [[g.name, g.label, g.display_order, g.archived] for g in gs.values()]
                for t, gs in self.groups.items()
            },
        }

    def load(self, data: dict[str, Any]) -> None:
        for t, groups in data.get("groups", {}).items():
            self.groups[t] = {
                n: PropertyGroup(n, label, order, archived) for n, label, order, archived in groups
            }
        for t, defs in data.get("custom", {}).items():
            target = self.props.setdefault(t, {})
            for raw in defs:
                d = PropertyDef(**raw)
                d.refresh_options()
                target[d.name] = d
        self._unique_cache = {}


_DUMP_FIELDS = (
    "name",
    "label",
    "type",
    "field_type",
    "group_name",
    "description",
    "options",
    "display_order",
    "hidden",
    "form_field",
    "has_unique_value",
    "hubspot_defined",
    "calculated",
    "external_options",
    "read_only_value",
    "created_at_ms",
    "updated_at_ms",
    "archived",
    "archived_at_ms",
)


def _dump_def(d: PropertyDef) -> dict[str, Any]:
    return {k: getattr(d, k) for k in _DUMP_FIELDS}
