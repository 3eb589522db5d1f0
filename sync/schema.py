"""What the engine learns about both sides' schemas at start-up (HubSpot properties, Salesforce
describe) and the mapping validation that needs it (RULE-6/7, "mapping to a missing field")."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sync.mappings import FieldMapping, SyncRule, type_mismatch
from sync.settings import SettingsError


@dataclass(frozen=True)
class ObjectNames:
    """What the schema needs to know of the synced pair; the object descriptor fills it in."""

    section: str = "contacts"  # the settings section, for error messages
    hs_label: str = "contact"  # "HubSpot contact property ... does not exist"
    hs_key_property: str = "email"
    sf_key_field: str = "Email"
    # The HubSpot property capture searches on: contacts spell it lastmodifieddate, every other
    # object hs_lastmodifieddate (CRM v3 search guide).
    hs_modified_property: str = "lastmodifieddate"
    # CON-12: HubSpot properties that record the link (written when they exist in the portal).
    link_properties: dict[str, str] = field(default_factory=dict)
    # Salesforce fields read when the object has them (e.g. lead conversion's IsConverted).
    sf_optional_fields: tuple[str, ...] = ()
    # HubSpot properties read besides the mapped ones (e.g. a deal's pipeline).
    hs_extra_properties: tuple[str, ...] = ()


@dataclass
class ActiveMapping:
    mapping: FieldMapping
    sf_type: str
    to_sf_allowed: bool  # SF field updateable/createable and rule lets HubSpot write
    to_hs_allowed: bool  # HubSpot property writable and rule lets Salesforce write
    # Enumerations: lower-cased option value or label -> that side's option value; HubSpot labels.
    # The integration user may not edit this (non-formula) field: writes to it are ERR-5 errors.
    sf_permission_denied: bool = False
    hs_options: dict[str, str] | None = None
    hs_labels: dict[str, str] = field(default_factory=dict)
    sf_picklist: dict[str, str] | None = None

    def hs_to_sf(self, value: str | None) -> str | None:
        """A HubSpot option value in Salesforce's picklist spelling (matched by value or label)."""
        if value is None or not self.sf_picklist:
            return value
        return ";".join(self._one_hs_to_sf(v, self.sf_picklist) for v in value.split(";"))

    def _one_hs_to_sf(self, v: str, picklist: dict[str, str]) -> str:
        if v.lower() in picklist:
            return picklist[v.lower()]
        label = self.hs_labels.get(v.lower())
        return picklist.get(label.lower(), v) if label else v

    def sf_to_hs(self, value: str | None) -> str | None:
        """A Salesforce picklist value as a HubSpot option value. KeyError when HubSpot has no such
        option: the caller skips that field instead of failing the whole batch."""
        if value is None or self.hs_options is None:
            return value
        return ";".join(self.hs_options[v.lower()] for v in value.split(";"))

    @cached_property
    def key(self) -> str:  # cached: read several times per field of every record processed
        return f"{self.mapping.hubspot}|{self.mapping.salesforce}"


@dataclass
class Schema:
    hs_properties: dict[str, dict[str, Any]]
    sf_fields: dict[str, dict[str, dict[str, Any]]]  # object -> field name -> describe entry
    active: dict[str, list[ActiveMapping]] = field(default_factory=dict)  # object -> mappings
    inactive_defaults: list[str] = field(default_factory=list)
    names: ObjectNames = field(default_factory=ObjectNames)

    def hs_read_properties(self) -> list[str]:
        props = {self.names.hs_key_property, self.names.hs_modified_property, "createdate", "hs_object_id", *self.names.hs_extra_properties}
        props.discard("")  # a pair without a dedupe key (deals)
        for ams in self.active.values():
            props.update(a.mapping.hubspot for a in ams)
        props.update(p for p in self.names.link_properties.values() if p in self.hs_properties)
        return sorted(props)

    def sf_read_fields(self, sobject: str) -> list[str]:
        have = self.sf_fields.get(sobject, {})
        always = tuple(f for f in ("Id", "SystemModstamp", "IsDeleted", "CreatedDate", self.names.sf_key_field) if f)
        fields = set(always)
        fields.update(f for f in (*self.names.sf_optional_fields, "MasterRecordId") if f in have)
        fields.update(a.mapping.salesforce for a in self.active.get(sobject, []))
        return sorted(f for f in fields if f in have or f in always)


def build_schema(
    mappings: list[FieldMapping],
    hs_props: list[dict[str, Any]],
    describes: dict[str, dict[str, Any]],
    names: ObjectNames | None = None,
) -> Schema:
    names = names or ObjectNames()
    hs = {p["name"]: p for p in hs_props if "name" in p}
    sf = {obj: {f["name"]: f for f in d.get("fields", [])} for obj, d in describes.items()}
    schema = Schema(hs, sf, {obj: [] for obj in describes}, names=names)
    for i, m in enumerate(mappings):
        entry = m.entry if m.entry is not None else i  # the user's own list, not the defaults
        key = (
            f"{names.section}.mappings[{entry}]"
            if not m.default
            else f"default mapping {m.hubspot} <-> {m.salesforce}"
        )
        prop = hs.get(m.hubspot)
        on = [obj for obj in describes if m.salesforce in sf[obj]]
        if prop is None or not on:
            if m.default:
                schema.inactive_defaults.append(f"{m.hubspot}<->{m.salesforce}")
                continue
            if prop is None:
                raise SettingsError(
                    f"{key}.hubspot: HubSpot {names.hs_label} property {m.hubspot!r} does not exist"
                )
            raise SettingsError(
                f"{key}.salesforce: Salesforce field {m.salesforce!r} {_missing_on(list(describes))}"
            )
        for obj in on:
            f = sf[obj][m.salesforce]
            mismatch = (
                None
                if m.is_owner
                else type_mismatch(prop.get("fieldType"), prop.get("type"), str(f.get("type")))
            )
            if mismatch:
                if m.default:
                    schema.inactive_defaults.append(f"{m.hubspot}<->{obj}.{m.salesforce} ({mismatch})")
                    continue
                raise SettingsError(
                    f"{key}: {mismatch} (RULE-6/7): HubSpot {m.hubspot!r} is {prop.get('fieldType') or prop.get('type')}, "
                    f"Salesforce {obj}.{m.salesforce} is {f.get('type')}"
                )
            rule = m.effective_rule
            sf_writable = bool(f.get("updateable", True) or f.get("createable", True)) and not f.get(
                "calculated", False
            )
            hs_meta = prop.get("modificationMetadata") or {}
            hs_writable = not hs_meta.get("readOnlyValue", False) and not prop.get("calculated", False)
            am = ActiveMapping(
                m,
                str(f.get("type", "string")),
                to_sf_allowed=sf_writable and rule in (SyncRule.TWO_WAY, SyncRule.PREFER_SALESFORCE),
                to_hs_allowed=hs_writable and rule != SyncRule.DONT_SYNC,
            )
            am.sf_permission_denied = not f.get("updateable", True) and not f.get("calculated", False)
            if prop.get("type") == "enumeration" and prop.get("options") and not m.is_owner:
                am.hs_options = {}
                for o in prop["options"]:
                    val, lab = str(o.get("value", "")), str(o.get("label") or "")
                    am.hs_options[val.lower()] = val
                    if lab:
                        am.hs_options.setdefault(lab.lower(), val)
                        am.hs_labels[val.lower()] = lab
            if f.get("picklistValues"):
                am.sf_picklist = {}
                for pv in f["picklistValues"]:
                    val, lab = str(pv.get("value", "")), str(pv.get("label") or "")
                    am.sf_picklist[val.lower()] = val
                    if lab:
                        am.sf_picklist.setdefault(lab.lower(), val)
            schema.active[obj].append(am)
    return schema


def _missing_on(objects: list[str]) -> str:
    if len(objects) == 2:
        return f"exists on neither {objects[0]} nor {objects[1]}"
    return f"does not exist on {' or '.join(objects)}"
