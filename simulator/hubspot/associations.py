"""Associations between CRM records (v4 model, wire spec 2.8), plus the v3 views the object API needs.

For the record store / objects API (other owner), two entry points:
  * `backend.associations.for_record(from_type, from_id, to_type) -> list[dict]` — v3 read shape
    `[{"id": "77", "type": "contact_to_company"}, {"id": "77", "type": "contact_to_company_unlabeled"}]`
    for `?associations=companies`.
  * `backend.associations.create_from_input(from_type, from_id, associations_json)` — the
    `"associations": [{"to": {"id"}, "types": [{"associationCategory", "associationTypeId"}]}]` of a
    create call. Validates everything first (raises HubSpotError 400 before changing anything); call it
    after the record exists. `validate_input(...)` does the validation only.

Associations are stored symmetrically: creating A→B also makes B→A visible with the inverse type id.
Edges to archived records stay stored but are hidden (HubSpot shows them again on restore); a GDPR
delete drops them; a merge moves the merged record's edges to the primary.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import Any

from simulator.hubspot.errors import HubSpotError, not_found, validation
from simulator.hubspot.events import ChangeEvent

OBJECT_TYPE_IDS: dict[str, str] = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5"}
SINGULAR: dict[str, str] = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "tickets": "ticket",
}
_ALIASES: dict[str, str] = {
    **{k: k for k in OBJECT_TYPE_IDS},
    **{v: k for k, v in OBJECT_TYPE_IDS.items()},
    **{v: k for k, v in SINGULAR.items()},
}


@dataclass(frozen=True)
class AssocType:
    from_type: str
    to_type: str
    type_id: int
    inverse_id: int
    label: str | None  # None = the unlabeled default association
    category: str = "HUBSPOT_DEFINED"

    @property
    def v3_name(self) -> str:
        base = f"{SINGULAR[self.from_type]}_to_{SINGULAR[self.to_type]}"
        # HubSpot names the unlabeled type `<x>_to_<y>_unlabeled` where a labeled Primary type exists.
        return f"{base}_unlabeled" if self.label is None and self.type_id in _HAS_PRIMARY else base


def _pair(a: str, b: str, a_to_b: int, b_to_a: int, label: str | None) -> list[AssocType]:
    return [AssocType(a, b, a_to_b, b_to_a, label), AssocType(b, a, b_to_a, a_to_b, label)]


# HUBSPOT_DEFINED association types (wire spec 2.8). 280/341/342 are recalled, not re-checked.
ASSOCIATION_TYPES: list[AssocType] = [
    *_pair("contacts", "companies", 279, 280, None),
    *_pair("contacts", "companies", 1, 2, "Primary"),
    *_pair("deals", "contacts", 3, 4, None),
    *_pair("deals", "companies", 341, 342, None),
    *_pair("deals", "companies", 5, 6, "Primary"),
]
_HAS_PRIMARY = {279, 280, 341, 342}
# USER_DEFINED label ids are assigned by the portal; the fake counts from here (assumed range) so they
# never collide with a HUBSPOT_DEFINED id.
FIRST_CUSTOM_TYPE_ID = 1000
_BY_ID: dict[tuple[str, str, int], AssocType] = {
    (t.from_type, t.to_type, t.type_id): t for t in ASSOCIATION_TYPES
}


def canonical_type(backend: Any, name_or_id: str) -> str | None:
    """'contacts' | 'contact' | '0-1' (any case) -> 'contacts'; None when unknown."""
    resolve = getattr(getattr(backend, "records", None), "resolve_type", None)
    if resolve is not None:
        try:
            found = resolve(name_or_id)
        except (HubSpotError, KeyError, ValueError):
            found = None
        if found:
            return _ALIASES.get(str(found).lower(), str(found))
    return _ALIASES.get(str(name_or_id).strip().lower())


def require_type(backend: Any, name_or_id: str) -> str:
    found = canonical_type(backend, name_or_id)
    if found is None:
        raise validation(f"Unable to infer object type from: {name_or_id}")
    return found


def type_id_of(object_type: str) -> str:
    return OBJECT_TYPE_IDS.get(object_type, object_type)


def live_record(backend: Any, object_type: str, record_id: str) -> Any | None:
    """The record if it exists and is not archived, else None (whatever the record store's miss style)."""
    try:
        record = backend.records.get(object_type, str(record_id))
    except (HubSpotError, LookupError, ValueError, AttributeError):
        return None
    if record is None or getattr(record, "archived", False):
        return None
    return record


def default_type(from_type: str, to_type: str) -> AssocType | None:
    for t in ASSOCIATION_TYPES:
        if t.from_type == from_type and t.to_type == to_type and t.label is None:
            return t
    return None


Key = tuple[str, str, str, str]  # from_type, from_id, to_type, to_id


class AssociationStore:
    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.edges: dict[Key, set[int]] = {}
        # (type, id) -> {(to_type, to_id)}: an index so per-record reads do not scan every edge.
        self._out: dict[tuple[str, str], set[tuple[str, str]]] = {}
        # USER_DEFINED labels this portal created (the schema API): (from, to, typeId) -> type.
        self.custom: dict[tuple[str, str, int], AssocType] = {}
        self.next_custom_id = FIRST_CUSTOM_TYPE_ID
        subscribe = getattr(backend, "subscribe", None)
        if subscribe is not None:
            subscribe(self._on_change)

    # --- association types (HubSpot's defaults + this portal's labels) ----------------------------
    def type_by_id(self, from_type: str, to_type: str, type_id: int) -> AssocType | None:
        key = (from_type, to_type, type_id)
        return _BY_ID.get(key) or self.custom.get(key)

    def _type(self, from_type: str, to_type: str, type_id: int) -> AssocType:
        found = self.type_by_id(from_type, to_type, type_id)
        if found is None:  # a label deleted while edges still carried it is stripped at deletion
            raise KeyError((from_type, to_type, type_id))
        return found

    def all_types(self) -> list[AssocType]:
        return [*ASSOCIATION_TYPES, *self.custom.values()]

    def types_for(self, from_type: str, to_type: str) -> list[AssocType]:
        return [t for t in self.all_types() if t.from_type == from_type and t.to_type == to_type]

    def create_label(self, from_type: str, to_type: str, body: Any) -> list[AssocType]:
        """POST .../labels {"label", "name", "inverseLabel"?}: a USER_DEFINED type each way (paired
        when inverseLabel is given, else both directions carry `label`). Returns [forward, inverse]."""
        if not isinstance(body, dict):
            raise validation("The request body must be an object with label and name")
        label, name, inverse = body.get("label"), body.get("name"), body.get("inverseLabel")
        if not isinstance(label, str) or not label.strip() or not isinstance(name, str) or not name.strip():
            raise validation(
                "label and name are required strings",
                errors=[
                    {"message": "must not be null", "in": k} for k in ("label", "name") if not body.get(k)
                ],
            )
        if inverse is not None and (not isinstance(inverse, str) or not inverse.strip()):
            raise validation("inverseLabel must be a non-empty string")
        taken = {t.label.lower() for t in self.types_for(from_type, to_type) if t.label}
        if label.lower() in taken:
            raise validation(
                f"An association label named '{label}' already exists between {from_type} and {to_type}"
            )
        forward_id, inverse_id = self.next_custom_id, self.next_custom_id + 1
        self.next_custom_id += 2
        forward = AssocType(from_type, to_type, forward_id, inverse_id, label, "USER_DEFINED")
        back = AssocType(to_type, from_type, inverse_id, forward_id, inverse or label, "USER_DEFINED")
        self.custom[(from_type, to_type, forward_id)] = forward
        self.custom[(to_type, from_type, inverse_id)] = back
        return [forward, back]

    def _custom(self, from_type: str, to_type: str, type_id: Any) -> AssocType:
        found = self.custom.get((from_type, to_type, type_id)) if isinstance(type_id, int) else None
        if found is None:
            raise not_found(f"No USER_DEFINED association type {type_id} between {from_type} and {to_type}")
        return found

    def update_label(self, from_type: str, to_type: str, body: Any) -> None:
        """PUT .../labels {"associationTypeId", "label", "inverseLabel"?}."""
        if not isinstance(body, dict) or not isinstance(body.get("label"), str) or not body["label"].strip():
            raise validation("associationTypeId (integer) and label (string) are required")
        forward = self._custom(from_type, to_type, body.get("associationTypeId"))
        inverse = body.get("inverseLabel")
        if inverse is not None and (not isinstance(inverse, str) or not inverse.strip()):
            raise validation("inverseLabel must be a non-empty string")
        back = self.custom[(to_type, from_type, forward.inverse_id)]
        self.custom[(from_type, to_type, forward.type_id)] = replace(forward, label=body["label"])
        if inverse is not None or back.label == forward.label:  # an unpaired label renames both ways
            self.custom[(to_type, from_type, back.type_id)] = replace(back, label=inverse or body["label"])

    def delete_label(self, from_type: str, to_type: str, type_id: int) -> None:
        """DELETE .../labels/{id}: the label goes both ways; records keep their (unlabeled)
        association (assumed: the docs do not say what happens to associations that used it)."""
        forward = self._custom(from_type, to_type, type_id)
        for (a, _, b, _), ids in list(self.edges.items()):
            if (a, b) == (from_type, to_type):
                ids.discard(forward.type_id)
            if (a, b) == (to_type, from_type):  # both branches for a same-type pair (contact↔contact)
                ids.discard(forward.inverse_id)
        del self.custom[(from_type, to_type, forward.type_id)]
        self.custom.pop((to_type, from_type, forward.inverse_id), None)

    # --- queries ------------------------------------------------------------------------------------
    def type_ids(self, from_type: str, from_id: str, to_type: str, to_id: str) -> set[int]:
        return set(self.edges.get((from_type, str(from_id), to_type, str(to_id)), set()))

    def associated(self, from_type: str, from_id: str, to_type: str) -> list[tuple[str, list[AssocType]]]:
        """[(to_id, [types])] for live records, in numeric id order."""
        source = live_record(self.backend, from_type, str(from_id))
        if source is None:
            return []
        from_id = str(getattr(source, "id", from_id))  # a merged-away id reads as its primary
        out = []
        for tt, tid in self._out.get((from_type, from_id), set()):
            ids = self.edges.get((from_type, from_id, tt, tid))
            if tt == to_type and ids and live_record(self.backend, tt, tid):
                out.append(
                    (tid, sorted((self._type(from_type, tt, i) for i in ids), key=lambda t: t.type_id))
                )
        out.sort(key=lambda item: _id_key(item[0]))
        return out

    def for_record(self, from_type: str, from_id: str, to_type: str) -> list[dict[str, str]]:
        return [
            {"id": tid, "type": t.v3_name}
            for tid, types in self.associated(from_type, from_id, to_type)
            for t in types
        ]

    # --- changes ------------------------------------------------------------------------------------
    def resolve_spec(self, from_type: str, to_type: str, spec: Any) -> AssocType:
        if not isinstance(spec, dict):
            raise validation(
                "Each association type must be an object with associationCategory and associationTypeId"
            )
        category, type_id = spec.get("associationCategory"), spec.get("associationTypeId")
        if (
            category not in ("HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED")
            or not isinstance(type_id, int)
            or isinstance(type_id, bool)
        ):
            raise validation(
                "associationCategory must be HUBSPOT_DEFINED|USER_DEFINED|INTEGRATOR_DEFINED and "
                "associationTypeId an integer"
            )
        found = self.type_by_id(from_type, to_type, type_id)
        if found is None or found.category != category:
            raise validation(
                f"{category} {type_id} is not a valid association type between {from_type} and {to_type}"
            )
        return found

    def associate(
        self, from_type: str, from_id: str, to_type: str, to_id: str, types: list[AssocType]
    ) -> list[AssocType]:
        """Add `types` (plus the unlabeled default, which every labeled association implies). Both
        records must be live. Returns the types between the pair afterwards."""
        resolved = []
        for ot, oid in ((from_type, str(from_id)), (to_type, str(to_id))):
            record = live_record(self.backend, ot, oid)
            if record is None:
                raise not_found(f"No {SINGULAR.get(ot, ot)} with ID {oid} exists")
            resolved.append(str(getattr(record, "id", oid)))  # merged-away ids resolve to the primary
        from_id, to_id = resolved
        default = default_type(from_type, to_type)
        wanted = {t.type_id for t in types} | ({default.type_id} if default else set())
        forward = self._edge((from_type, from_id, to_type, to_id))
        added = wanted - forward
        for type_id in added:
            t = self._type(from_type, to_type, type_id)
            if t.label == "Primary":  # one primary company per contact/deal: the new one replaces the old
                for tt, tid in list(self._out.get((from_type, from_id), set())):
                    ids = self.edges.get((from_type, from_id, tt, tid), set())
                    if tt == to_type and tid != to_id and type_id in ids:
                        self._remove(from_type, from_id, to_type, tid, {type_id})
            forward.add(type_id)
            self._edge((to_type, to_id, from_type, from_id)).add(t.inverse_id)
        if added:
            self._emit(from_type, from_id, to_type, to_id, removed=False)
        return sorted((self._type(from_type, to_type, i) for i in forward), key=lambda t: t.type_id)

    def remove(
        self, from_type: str, from_id: str, to_type: str, to_id: str, type_ids: set[int] | None = None
    ) -> bool:
        """Remove some (or all) association types between two records. Removing the unlabeled default
        removes everything (a labeled association cannot exist without it)."""
        return self._remove(from_type, str(from_id), to_type, str(to_id), type_ids)

    def _remove(
        self, from_type: str, from_id: str, to_type: str, to_id: str, type_ids: set[int] | None
    ) -> bool:
        key = (from_type, from_id, to_type, to_id)
        current = self.edges.get(key)
        if not current:
            return False
        default = default_type(from_type, to_type)
        if type_ids is None or (default and default.type_id in type_ids):
            type_ids = set(current)
        gone = current & type_ids
        if not gone:
            return False
        current -= gone
        back = self.edges.get((to_type, to_id, from_type, from_id), set())
        back -= {self._type(from_type, to_type, i).inverse_id for i in gone}
        for k in (key, (to_type, to_id, from_type, from_id)):
            if not self.edges.get(k):
                self.edges.pop(k, None)
                self._out.get((k[0], k[1]), set()).discard((k[2], k[3]))
        self._emit(from_type, from_id, to_type, to_id, removed=True)
        return True

    def validate_input(
        self, from_type: str, associations_json: Any
    ) -> list[tuple[str, str, list[AssocType]]]:
        """Parse a create call's `associations` array into [(to_type, to_id, types)] or raise 400."""
        if associations_json is None:
            return []
        if not isinstance(associations_json, list):
            raise validation("associations must be an array")
        parsed: list[tuple[str, str, list[AssocType]]] = []
        for item in associations_json:
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("to"), dict)
                or not isinstance(item.get("types"), list)
                or not item["types"]
            ):
                raise validation("Each association needs to: {id} and a non-empty types array")
            to_id = item["to"].get("id")
            if not isinstance(to_id, str | int) or isinstance(to_id, bool):
                raise validation("association to.id must be a string")
            to_types: set[str] = set()
            types: list[AssocType] = []
            for spec in item["types"]:
                type_id = spec.get("associationTypeId") if isinstance(spec, dict) else None
                candidates = [
                    t for t in self.all_types() if t.from_type == from_type and t.type_id == type_id
                ]
                if not candidates:
                    raise validation(f"{type_id} is not a valid association type id for {from_type}")
                t = self.resolve_spec(from_type, candidates[0].to_type, spec)
                to_types.add(t.to_type)
                types.append(t)
            if len(to_types) != 1:
                raise validation("All types of one association must point at the same object type")
            to_type = to_types.pop()
            if live_record(self.backend, to_type, str(to_id)) is None:
                raise validation(
                    f"{SINGULAR.get(to_type, to_type).capitalize()} {to_id} is not valid for association",
                    errors=[
                        {
                            "message": f"No {SINGULAR.get(to_type, to_type)} with ID {to_id}",
                            "code": "INVALID_OBJECT_ID",
                        }
                    ],
                )
            parsed.append((to_type, str(to_id), types))
        return parsed

    def create_from_input(self, from_type: str, from_id: str, associations_json: Any) -> None:
        for to_type, to_id, types in self.validate_input(from_type, associations_json):
            self.associate(from_type, str(from_id), to_type, to_id, types)

    def _edge(self, key: Key) -> set[int]:
        if key not in self.edges:
            self.edges[key] = set()
            self._out.setdefault((key[0], key[1]), set()).add((key[2], key[3]))
        return self.edges[key]

    def _keys_from(self, object_type: str, object_id: str) -> list[Key]:
        return [
            (object_type, object_id, tt, tid)
            for tt, tid in sorted(self._out.get((object_type, object_id), set()))
        ]

    # --- record lifecycle ---------------------------------------------------------------------------
    def _on_change(self, event: ChangeEvent) -> None:
        if event.kind == "merge":
            for merged_id in event.related_ids:
                self._move(event.object_type, merged_id, event.object_id)
        elif event.kind == "privacyDeletion":
            for key in self._keys_from(event.object_type, event.object_id):
                self._remove(key[0], key[1], key[2], key[3], None)

    def _move(self, object_type: str, old_id: str, new_id: str) -> None:
        for key in self._keys_from(object_type, old_id):
            ids = self.edges.get(key, set())
            _, _, to_type, to_id = key
            types = [self._type(object_type, to_type, i) for i in ids]
            self._remove(object_type, old_id, to_type, to_id, None)
            if to_id != new_id and types and live_record(self.backend, to_type, to_id) is not None:
                with contextlib.suppress(HubSpotError):  # the primary may be gone; nothing to move onto
                    self.associate(object_type, new_id, to_type, to_id, types)

    def _emit(self, from_type: str, from_id: str, to_type: str, to_id: str, removed: bool) -> None:
        """associationChange for both sides. ChangeEvent has no association fields, so by convention
        property_name carries HubSpot's associationType ("CONTACT_TO_COMPANY") and property_value
        "true"/"false" for associationRemoved (webhooks.py decodes it)."""
        emit = getattr(self.backend, "emit", None)
        if emit is None:
            return
        now = self.backend.now_ms()
        for ft, fid, tt, tid in ((from_type, from_id, to_type, to_id), (to_type, to_id, from_type, from_id)):
            name = f"{SINGULAR.get(ft, ft)}_TO_{SINGULAR.get(tt, tt)}".upper()
            emit(
                ChangeEvent(
                    "associationChange",
                    ft,
                    fid,
                    now,
                    property_name=name,
                    property_value="true" if removed else "false",
                    related_ids=(tid,),
                )
            )

    # --- snapshots ----------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "edges": [[*k, sorted(v)] for k, v in self.edges.items() if v],
            "custom": [
                [t.from_type, t.to_type, t.type_id, t.inverse_id, t.label] for t in self.custom.values()
            ],
            "next_custom_id": self.next_custom_id,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.custom = {
            (a, b, i): AssocType(a, b, i, inv, label, "USER_DEFINED")
            for a, b, i, inv, label in data.get("custom", [])
        }
        self.next_custom_id = int(data.get("next_custom_id", FIRST_CUSTOM_TYPE_ID))
        self.edges = {(a, b, c, d): set(ids) for a, b, c, d, ids in data.get("edges", [])}
        self._out = {}
        for a, b, c, d in self.edges:
            self._out.setdefault((a, b), set()).add((c, d))


def _id_key(record_id: str) -> tuple[int, str]:
    return (int(record_id), "") if record_id.isdigit() else (1 << 62, record_id)
