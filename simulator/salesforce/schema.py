"""Object and field metadata of the Salesforce fake: the types, plus the Schema that resolves names
case-insensitively (as Salesforce does) and renders describe / global describe JSON.

The standard objects' data lives in `catalog.py`; custom fields are added at runtime through the
control API (`Schema.add_custom_field`) and survive snapshots (`Schema.dump_custom`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from typing import Any

from simulator.salesforce.compound import with_compound_fields
from simulator.salesforce.soql.schema import NON_GROUPABLE_TYPES

# describe `type` -> SOAP type (describe's `soapType`).
SOAP_TYPES: dict[str, str] = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "string": "xsd:string",
    "email": "xsd:string",
    "phone": "xsd:string",
    "url": "xsd:string",
    "textarea": "xsd:string",
    "picklist": "xsd:string",
    "multipicklist": "xsd:string",
    "combobox": "xsd:string",
    "boolean": "xsd:boolean",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
}
TEXT_TYPES = frozenset(
    {"string", "email", "phone", "url", "textarea", "picklist", "multipicklist", "combobox"}
)
NUMBER_TYPES = frozenset({"double", "currency", "percent", "int"})


@dataclass(frozen=True)
class FieldDef:
    """One field as describe reports it, plus what the store needs to enforce it."""

    name: str
    label: str
    type: str  # describe type: id string email phone url textarea picklist multipicklist combobox boolean date datetime double currency percent int reference
    length: int = 0
    precision: int = 0
    scale: int = 0
    digits: int = 0  # int fields
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    required: bool = False  # required on create: REQUIRED_FIELD_MISSING when absent or null
    default: Any = None  # default on create (native value), e.g. Lead.Status
    defaulted_on_create: bool = False  # describe defaultedOnCreate (system-filled or default value)
    unique: bool = False
    case_sensitive: bool = False
    external_id: bool = False
    calculated: bool = False
    custom: bool = False
    name_field: bool = False
    id_lookup: bool = False  # usable as the external-id path segment / upsert key
    restricted_picklist: bool = False
    picklist: tuple[str, ...] = ()
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    cascade_delete: bool = False
    formula: str | None = None  # a formula field's expression (calculated=True; see formula.py)
    # What describe reports when it differs from what the fake resolves: Lead.OwnerId points at
    # ["Group", "User"] (queues) in real orgs, while SOQL traversal here follows User only.
    describe_reference_to: tuple[str, ...] | None = None
    name_pointing: bool = False

    @property
    def soap_type(self) -> str:
        return SOAP_TYPES[self.type]

    @property
    def is_text(self) -> bool:
        return self.type in TEXT_TYPES

    @property
    def is_lookup_key(self) -> bool:
        """Usable as the `{field}` of `/sobjects/X/{field}/{value}`, an upsert key (REST, composite,
        Bulk 2.0): Id, external-id fields, and standard fields with describe's idLookup (Lead/Contact
        Email, Account Name, User Username). SOAP upsert() docs: "On standard objects, this call can use
        the name of any field with the idLookup instead of the external ID"."""
        return self.external_id or self.id_lookup

    @property
    def writable(self) -> bool:
        return self.createable or self.updateable

    def describe(self, editable: bool = True) -> dict[str, Any]:
        """The describe field entry (the keys real orgs return that a client is likely to read).
        `editable=False`: field-level security makes the field read-only for the session's user, and
        describe (which is evaluated for that user) then reports it neither createable nor updateable.
        A fresh top-level dict each time (with_compound_fields sets keys on it); the nested lists
        are shared and never changed."""
        return dict(_field_entry(self, editable))

    def _entry(self, editable: bool) -> dict[str, Any]:
        picklist = [
            {"active": True, "defaultValue": v == self.default, "label": v, "validFor": None, "value": v}
            for v in self.picklist
        ]
        return {
            "aggregatable": self.type not in ("textarea",),
            "autoNumber": False,
            "byteLength": self.length * 3 if self.is_text or self.type in ("id", "reference") else 0,
            "calculated": self.calculated,
            "calculatedFormula": self.formula,
            "cascadeDelete": self.cascade_delete,
            "caseSensitive": self.case_sensitive,
            "compoundFieldName": None,
            "createable": self.createable and editable,
            "custom": self.custom,
            "defaultValue": self.default if self.type == "boolean" else None,
            "defaultValueFormula": None,
            "defaultedOnCreate": self.defaulted_on_create,
            "dependentPicklist": False,
            "digits": self.digits,
            "externalId": self.external_id,
            "filterable": self.type != "textarea" or self.length <= 255,
            "groupable": self.type not in NON_GROUPABLE_TYPES,
            "htmlFormatted": False,
            "idLookup": self.id_lookup,
            "label": self.label,
            "length": self.length,
            "name": self.name,
            "nameField": self.name_field,
            "nillable": self.nillable,
            "permissionable": self.nillable and not self.calculated and self.writable,
            "picklistValues": picklist,
            "namePointing": self.name_pointing,
            "polymorphicForeignKey": len(self.describe_reference_to or self.reference_to) > 1,
            "precision": self.precision,
            "referenceTargetField": None,
            "referenceTo": list(self.describe_reference_to or self.reference_to),
            "relationshipName": self.relationship_name,
            "relationshipOrder": None,
            "restrictedPicklist": self.restricted_picklist,
            "scale": self.scale,
            "soapType": self.soap_type,
            "sortable": self.type not in ("textarea", "multipicklist"),
            "type": self.type,
            "unique": self.unique,
            "updateable": self.updateable and editable,
        }


# A FieldDef is frozen, so its describe entry is a function of its values: built once per process
# (the sync engine reads describe every cycle, about 60 fields per object). Bounded: custom fields
# defined at runtime add entries.
@functools.lru_cache(maxsize=8192)
def _field_entry(fd: FieldDef, editable: bool) -> dict[str, Any]:
    return fd._entry(editable)


@dataclass
class ObjectDef:
    """One sObject: its describe header and its fields (canonical order, looked up case-insensitively)."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: dict[str, FieldDef] = dc_field(default_factory=dict)  # key: lower-case name
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    queryable: bool = True
    searchable: bool = True
    custom: bool = False
    _cache: dict[str, Any] = dc_field(default_factory=dict, repr=False, compare=False)
    # compiled formula fields by canonical name, in definition order (a formula may use earlier ones)
    formulas: dict[str, Any] = dc_field(default_factory=dict, repr=False, compare=False)

    def field(self, name: str) -> FieldDef | None:
        return self.fields.get(name.lower())

    def invalidate(self) -> None:
        """Drop derived lists after the field set changed (a custom field was added)."""
        self._cache.clear()

    def template(self) -> dict[str, Any]:
        """A blank record: every field at its create default (checkboxes false, picklist defaults)."""
        if "template" not in self._cache:
            self._cache["template"] = {
                f.name: f.default if f.default is not None else (False if f.type == "boolean" else None)
                for f in self.fields.values()
            }
        return dict(self._cache["template"])

    def required_on_create(self) -> list[FieldDef]:
        if "required" not in self._cache:
            self._cache["required"] = [
                f
                for f in self.fields.values()
                if f.required or (not f.nillable and f.createable and f.type != "boolean")
            ]
        return self._cache["required"]

    def unique_fields(self) -> list[FieldDef]:
        if "unique" not in self._cache:
            self._cache["unique"] = [f for f in self.fields.values() if f.unique]
        return self._cache["unique"]

    def temporal_fields(self) -> frozenset[str]:
        if "temporal" not in self._cache:
            self._cache["temporal"] = frozenset(
                f.name for f in self.fields.values() if f.type in ("date", "datetime")
            )
        return self._cache["temporal"]

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields.values()]

    @property
    def has_is_deleted(self) -> bool:
        return "isdeleted" in self.fields

    def urls(self, version: str) -> dict[str, str]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "compactLayouts": f"{base}/describe/compactLayouts",
            "rowTemplate": f"{base}/{{ID}}",
            "approvalLayouts": f"{base}/describe/approvalLayouts",
            "defaultValues": f"{base}/defaultValues?recordTypeId&fields",
            "listviews": f"{base}/listviews",
            "describe": f"{base}/describe",
            "quickActions": f"{base}/quickActions",
            "layouts": f"{base}/describe/layouts",
            "sobject": base,
        }

    def header(self, version: str) -> dict[str, Any]:
        """The object's entry in global describe and `objectDescribe` of `GET /sobjects/X/`."""
        return {
            "activateable": False,
            "createable": self.createable,
            "custom": self.custom,
            "customSetting": False,
            "deepCloneable": False,
            "deletable": self.deletable,
            "deprecatedAndHidden": False,
            "feedEnabled": False,
            "hasSubtypes": False,
            "isInterface": False,
            "isSubtype": False,
            "keyPrefix": self.key_prefix,
            "label": self.label,
            "labelPlural": self.label_plural,
            "layoutable": True,
            "mergeable": self.name in ("Lead", "Contact", "Account"),
            "mruEnabled": True,
            "name": self.name,
            "queryable": self.queryable,
            "replicateable": True,
            "retrieveable": True,
            "searchable": self.searchable,
            "triggerable": True,
            "undeletable": self.deletable,
            "updateable": self.updateable,
            "urls": self.urls(version),
        }


# Custom field types accepted by the control API -> (describe type, default length/precision/scale).
CUSTOM_TYPES: dict[str, str] = {
    "string": "string",
    "text": "string",
    "email": "email",
    "phone": "phone",
    "url": "url",
    "textarea": "textarea",
    "longtextarea": "textarea",
    "picklist": "picklist",
    "multipicklist": "multipicklist",
    "checkbox": "boolean",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    "number": "double",
    "double": "double",
    "currency": "currency",
    "percent": "percent",
    "int": "int",
    "integer": "int",
    "reference": "reference",
    "lookup": "reference",
}
_CUSTOM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*__c$")
MASTER_RECORD_TYPE_ID = "012000000000000AAA"


class SchemaError(ValueError):
    """A bad custom-field definition (control API answers 400 with this text)."""


class Schema:
    """All objects of the org. `resolve_object` / `resolve_field` take any letter case and return the
    canonical definition (or None)."""

    def __init__(self, objects: list[ObjectDef]) -> None:
        self.objects: dict[str, ObjectDef] = {o.name.lower(): o for o in objects}
        self.by_prefix: dict[str, ObjectDef] = {o.key_prefix: o for o in objects}
        self.custom_fields: list[dict[str, Any]] = []  # control-API definitions, in order (for dump)

    def resolve_object(self, name: str) -> ObjectDef | None:
        return self.objects.get(name.lower()) if isinstance(name, str) else None

    def resolve_field(self, obj: str | ObjectDef, name: str) -> FieldDef | None:
        o = self.resolve_object(obj) if isinstance(obj, str) else obj
        return o.field(name) if o is not None and isinstance(name, str) else None

    def object_for_id(self, record_id: str) -> ObjectDef | None:
        """Which object an id belongs to (by key prefix): polymorphic WhoId/WhatId resolution."""
        return self.by_prefix.get(record_id[:3]) if isinstance(record_id, str) else None

    def object_names(self) -> list[str]:
        return [o.name for o in self.objects.values()]

    def child_relationships(self, obj: ObjectDef) -> list[dict[str, Any]]:
        out = []
        for child in self.objects.values():
            for f in child.fields.values():
                if (
                    obj.name in f.reference_to
                    and f.relationship_name
                    and f.name not in ("CreatedById", "LastModifiedById")
                ):
                    out.append(
                        {
                            "cascadeDelete": f.cascade_delete,
                            "childSObject": child.name,
                            "deprecatedAndHidden": False,
                            "field": f.name,
                            "junctionIdListNames": [],
                            "junctionReferenceTo": [],
                            "relationshipName": _plural_relationship(child.name),
                            "restrictedDelete": False,
                        }
                    )
        return out

    def resolve_child_relationship(self, obj: str, rel_name: str) -> tuple[str, str, str] | None:
        """(child object, its reference field, canonical relationship name) of child relationship
        `rel_name` (any case) of `obj`: `OpportunityContactRoles` of Opportunity (SOQL sub-queries)."""
        o = self.resolve_object(obj)
        if o is None or not isinstance(rel_name, str):
            return None
        for rel in self.child_relationships(o):
            if rel["relationshipName"].lower() == rel_name.lower():
                return rel["childSObject"], rel["field"], rel["relationshipName"]
        return None

    def fields_of(self, obj: str) -> list[FieldDef]:
        """Every field of `obj` in describe order (SOQL FIELDS(ALL) / FIELDS(STANDARD))."""
        o = self.resolve_object(obj)
        return list(o.fields.values()) if o is not None else []

    # --- custom fields -------------------------------------------------------------------------
    def add_custom_field(self, spec: dict[str, Any]) -> FieldDef:
        """Add (or redefine) a custom field from a control-API body such as
        {"object":"Lead","name":"HubSpot_Id__c","type":"string","length":255,"externalId":true,"unique":true}.
        Extra keys: label, required, picklistValues (list of str), restricted (or restrictedPicklist), precision, scale,
        referenceTo, relationshipName, caseSensitive, defaultValue."""
        obj = self.resolve_object(str(spec.get("object", "")))
        if obj is None:
            raise SchemaError(f"unknown object {spec.get('object')!r}")
        name = spec.get("name")
        if not isinstance(name, str) or not _CUSTOM_NAME.match(name):
            raise SchemaError("name must be an API name ending in __c, e.g. HubSpot_Id__c")
        kind = str(spec.get("type", "string")).lower()
        if kind == "formula":
            return self._add_formula_field(obj, name, spec)
        ftype = CUSTOM_TYPES.get(kind)
        if ftype is None:
            raise SchemaError(
                f"unsupported type {spec.get('type')!r}; one of {', '.join(sorted(CUSTOM_TYPES))}"
            )
        std = obj.field(name)
        if std is not None and not std.custom:
            raise SchemaError(f"{obj.name}.{name} is a standard field")
        length = _int(
            spec,
            "length",
            {
                "string": 255,
                "textarea": 32768,
                "email": 80,
                "phone": 40,
                "url": 255,
                "picklist": 255,
                "multipicklist": 4099,
            }.get(ftype, 0),
        )
        if ftype == "reference":
            length = 18
        precision = _int(spec, "precision", 18 if ftype in ("double", "currency", "percent") else 0)
        scale = _int(spec, "scale", 2 if ftype == "currency" else 0)
        picklist = tuple(str(v) for v in spec.get("picklistValues", spec.get("values", [])) or [])
        ref_to = tuple(str(v) for v in spec.get("referenceTo", []) or [])
        for target in ref_to:
            if self.resolve_object(target) is None:
                raise SchemaError(f"referenceTo names an unknown object {target!r}")
        ref_to = tuple(self.resolve_object(t).name for t in ref_to)  # type: ignore[union-attr]
        if ftype == "reference" and not ref_to:
            raise SchemaError("a reference field needs referenceTo")
        external = bool(spec.get("externalId", False))
        if external and ftype not in ("string", "email", "double", "int"):
            raise SchemaError("only text, email and number fields can be external ids")
        default = spec.get("defaultValue", False if ftype == "boolean" else None)
        fd = FieldDef(
            name=name,
            label=str(spec.get("label") or name[:-3].replace("_", " ")),
            type=ftype,
            length=length,
            precision=precision,
            scale=scale,
            digits=precision if ftype == "int" else 0,
            nillable=ftype != "boolean",
            required=bool(spec.get("required", False)),
            default=default,
            defaulted_on_create=ftype == "boolean" or default is not None,
            unique=bool(spec.get("unique", False)),
            case_sensitive=bool(spec.get("caseSensitive", False)),
            external_id=external,
            custom=True,
            id_lookup=external or bool(spec.get("unique", False)),
            restricted_picklist=bool(spec.get("restricted", spec.get("restrictedPicklist", False))),
            picklist=picklist,
            reference_to=ref_to,
            relationship_name=(spec.get("relationshipName") or name[:-3] + "__r")
            if ftype == "reference"
            else None,
        )
        obj.fields[name.lower()] = fd
        obj.formulas = {k: v for k, v in obj.formulas.items() if k.lower() != name.lower()}
        self._keep_custom(obj, name, spec)
        return fd

    def _keep_custom(self, obj: ObjectDef, name: str, spec: dict[str, Any]) -> None:
        """After obj's field `name` was (re)defined from `spec`: drop obj's caches and keep `spec` as
        that field's one definition (snapshots replay custom_fields)."""
        obj.invalidate()
        self.custom_fields = [
            c
            for c in self.custom_fields
            if not (c["object"].lower() == obj.name.lower() and c["name"].lower() == name.lower())
        ]
        self.custom_fields.append({**spec, "object": obj.name})

    def _add_formula_field(self, obj: ObjectDef, name: str, spec: dict[str, Any]) -> FieldDef:
        """{"object":"Lead","name":"Full_Name__c","type":"formula","returnType":"string",
        "formula":"FirstName & ' ' & LastName"} (plus optional label, scale, and blank handling:
        blankAsZero true|false or formulaTreatBlanksAs BlankAsZero|BlankAsBlank, default blanks): a read-only
        calculated field (describe: calculated=true, calculatedFormula, createable/updateable false)."""
        from simulator.salesforce.formula import FormulaError, compile_formula

        std = obj.field(name)
        if std is not None and not std.custom:
            raise SchemaError(f"{obj.name}.{name} is a standard field")
        rtype = str(spec.get("returnType", "string")).lower()
        scale = _int(spec, "scale", 0 if rtype in ("number", "double") else 2)
        # "Blank Field Handling": blankAsZero, or the Metadata API's formulaTreatBlanksAs
        treat = spec.get("formulaTreatBlanksAs")
        if treat is not None and treat not in ("BlankAsZero", "BlankAsBlank"):
            raise SchemaError("formulaTreatBlanksAs must be BlankAsZero or BlankAsBlank")
        blank_as_zero = spec.get("blankAsZero", treat == "BlankAsZero")
        if not isinstance(blank_as_zero, bool):
            raise SchemaError("blankAsZero must be true or false")
        # A formula may use plain fields and formulas defined before it (never itself or a later one,
        # so there are no cycles and evaluating in definition order is enough).
        order = [n.lower() for n in obj.formulas]
        earlier = set(order[: order.index(name.lower())] if name.lower() in order else order)
        visible = ObjectDef(obj.name, obj.label, obj.label_plural, obj.key_prefix, fields={
            k: f for k, f in obj.fields.items() if k != name.lower() and (f.formula is None or k in earlier)
        })
        try:
            compiled = compile_formula(
                visible, spec.get("formula"), rtype, scale=scale, blank_as_zero=blank_as_zero
            )
        except FormulaError as exc:
            raise SchemaError(f"invalid formula: {exc}") from exc
        ftype = compiled.return_type
        fd = FieldDef(
            name=name,
            label=str(spec.get("label") or name[:-3].replace("_", " ")),
            type=ftype,
            length=1300 if ftype == "string" else 0,
            precision=18 if ftype in ("double", "currency", "percent") else 0,
            scale=scale if ftype in ("double", "currency", "percent") else 0,
            nillable=ftype != "boolean",
            createable=False,
            updateable=False,
            calculated=True,
            custom=True,
            formula=compiled.text,
        )
        obj.fields[name.lower()] = fd
        obj.formulas = {  # redefinition keeps its place in the evaluation order
            k: v for k, v in obj.formulas.items() if k.lower() != name.lower() or k == name
        }
        obj.formulas[name] = compiled
        self._keep_custom(obj, name, spec)
        return fd

    def dump_custom(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self.custom_fields]

    def describe(
        self, obj: ObjectDef, version: str, readonly: frozenset[str] | set[str] = frozenset()
    ) -> dict[str, Any]:
        """`GET /sobjects/X/describe`. `readonly`: names of fields the API user may read but not edit
        (field-level security), reported createable=false / updateable=false."""
        out = obj.header(version)
        out.update(
            {
                "actionOverrides": [],
                "childRelationships": self.child_relationships(obj),
                "compactLayoutable": True,
                "defaultImplementation": None,
                "extendedBy": None,
                "extendsInterfaces": None,
                "fields": with_compound_fields([f.describe(f.name not in readonly) for f in obj.fields.values()]),
                "implementedBy": None,
                "implementsInterfaces": None,
                "listviewable": None,
                "lookupLayoutable": None,
                "namedLayoutInfos": [],
                "networkScopeFieldName": None,
                "recordTypeInfos": [
                    {
                        "active": True,
                        "available": True,
                        "defaultRecordTypeMapping": True,
                        "developerName": "Master",
                        "master": True,
                        "name": "Master",
                        "recordTypeId": MASTER_RECORD_TYPE_ID,
                        "urls": {
                            "layout": f"/services/data/v{version}/sobjects/{obj.name}/describe/layouts/{MASTER_RECORD_TYPE_ID}"
                        },
                    }
                ],
                "searchLayoutable": True,
                "sobjectDescribeOption": "FULL",
                "supportedScopes": [{"label": "All " + obj.label_plural.lower(), "name": "everything"}],
            }
        )
        return out

    def global_describe(self, version: str) -> dict[str, Any]:
        """`GET /sobjects`."""
        return {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [o.header(version) for o in sorted(self.objects.values(), key=lambda o: o.name)],
        }


def _int(spec: dict[str, Any], key: str, default: int) -> int:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SchemaError(f"{key} must be a non-negative integer")
    return value


def _plural_relationship(child: str) -> str:
    special = {
        "Opportunity": "Opportunities",
        "OpportunityContactRole": "OpportunityContactRoles",
        "CampaignMember": "CampaignMembers",
    }
    return special.get(child, child + "s")


def with_changes(fd: FieldDef, **changes: Any) -> FieldDef:
    return replace(fd, **changes)
