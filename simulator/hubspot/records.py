"""The CRM record store: contacts, companies, deals, tickets (and registered custom types). Plain Python,
no HTTP (api/objects.py is the thin layer on top).

Public API used by other components (lists, associations, webhooks):
  * `resolve_type(name_or_id) -> str` canonical plural name ("contacts", ...); accepts "0-1", "contact",
    "contacts" in any case; raises HubSpotError 400 "Unable to infer object type from: x" (what HubSpot
    answers for an unknown type) otherwise.
  * `get(object_type, id, include_archived=False) -> Record | None`; a merged-away id resolves to the
    primary record (HubSpot serves the primary for GET of a merged id).
  * `all(object_type)` live (non-archived) records in id order; `exists(object_type, id)`.
  * `create / update / archive / restore / merge / gdpr_delete`: each emits ChangeEvents (events.py):
    `creation` + one `propertyChange` per user-set property on create, one `propertyChange` per changed
    property on update, `deletion`, `restore`, `merge` (related_ids = merged ids), `privacyDeletion`.

Memory (bench target <= 4 KB per contact): `Record` uses __slots__; the read-only system properties share
string objects with the record's own fields; history is materialised only for properties that changed
after creation (until then every value's history is "set at createdAt").
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulator.hubspot.errors import HubSpotError, conflict, not_found, validation
from simulator.hubspot.events import ChangeEvent
from simulator.hubspot.search_index import SearchView

if TYPE_CHECKING:
    from simulator.hubspot.models import HubSpotBackend

# Canonical name -> object type id (wire spec 2.2). One source of truth for the standard types.
STANDARD_TYPES: dict[str, str] = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5"}
SINGULAR: dict[str, str] = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "tickets": "ticket",
}
# HubSpot names the object in some messages in upper case ("Could not get some CONTACT objects").
UPPER_NAME: dict[str, str] = {k: v.upper() for k, v in SINGULAR.items()}
# Which system property carries "last modified" per type: contacts use `lastmodifieddate`, the rest
# `hs_lastmodifieddate`.
LASTMODIFIED_PROP: dict[str, str] = {"contacts": "lastmodifieddate"}
MAX_BATCH = 100
# Types whose merge creates a new record (changelogs "Updated merge functionality for contacts and
# companies" and "Deals now support merging": "HubSpot creates a new deal from that merge: Deal C").
MERGE_INTO_NEW = ("contacts", "companies", "deals")

History = dict[str, list[tuple[str, int]]]  # property -> [(value, timestamp_ms)] newest first


def lastmodified_prop(object_type: str) -> str:
    return LASTMODIFIED_PROP.get(object_type, "hs_lastmodifieddate")


def createdate_prop(object_type: str) -> str:
    return "createdate" if object_type in ("contacts", "companies", "deals", "tickets") else "hs_createdate"


@dataclass(slots=True)
class Record:
    """One CRM record. `properties` values are strings; an absent key means "not set"."""

    id: str
    object_type: str
    properties: dict[str, str]
    created_at_ms: int
    updated_at_ms: int
    archived: bool = False
    archived_at_ms: int | None = None
    # None until a property changes after creation; see property_history().
    history: History | None = None

    def property_history(self, name: str) -> list[tuple[str, int]]:
        """[(value, timestamp_ms)] newest first ("" entries mean the property was cleared)."""
        if self.history is not None and name in self.history:
            return self.history[name]
        value = self.properties.get(name)
        return [] if value is None else [(value, self.created_at_ms)]


@dataclass(slots=True)
class _Table:
    records: dict[str, Record] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)  # ascending numeric ids ever issued (paging index)
    next_id: int = 0


class RecordStore:
    def __init__(self, backend: HubSpotBackend) -> None:
        self.backend = backend
        self.type_ids: dict[str, str] = dict(STANDARD_TYPES)
        self._aliases: dict[str, str] = {}
        for name, type_id in STANDARD_TYPES.items():
            self._add_aliases(name, type_id, SINGULAR[name])
        self._tables: dict[str, _Table] = {}
        # (object_type, property) -> {normalised value: record id}: unique properties (contact email).
        self._unique: dict[tuple[str, str], dict[str, str]] = {}
        # (object_type, merged id) -> primary id
        self._merged: dict[tuple[str, str], str] = {}
        # Bumped on every (un)index, i.e. every create/update/archive/restore/merge/delete/load:
        # search caches its lastmodifieddate index per object type against it.
        self.generation = 0
        self.search_cache: dict[str, Any] = {}
        # Records (un)indexed since search last brought its cached index up to date, per object
        # type: search patches those few entries instead of re-sorting every record (an engine
        # that writes while it pages through a capture would otherwise re-sort per page).
        self.search_dirty: dict[str, set[str]] = {}
        # What search sees: index lag (older versions it still serves) and equality indexes.
        self.search_view = SearchView(self)

    # --- object types -------------------------------------------------------------------------------
    def _add_aliases(self, name: str, type_id: str, singular: str) -> None:
        for alias in (name, type_id, singular):
            self._aliases[alias.lower()] = name

    def register_type(self, name: str, type_id: str, singular: str | None = None) -> None:
        """A custom object type (e.g. "p_widgets" / "2-1234"); the property catalog gets it too."""
        self.type_ids[name] = type_id
        self._add_aliases(name, type_id, singular or name)

    def resolve_type(self, name_or_id: Any) -> str:
        found = self._aliases.get(str(name_or_id).strip().lower())
        if found is None:
            raise validation(f"Unable to infer object type from: {name_or_id}")
        return found

    def type_id(self, object_type: str) -> str:
        return self.type_ids[object_type]

    def _table(self, object_type: str) -> _Table:
        table = self._tables.get(object_type)
        if table is None:
            rng = self.backend.sandbox.rng
            # Per-type counters start at a random 5-6 digit number (deterministic per seed).
            table = self._tables[object_type] = _Table(next_id=rng.randint(10_000, 900_000))
        return table

    def _new_id(self, table: _Table) -> str:
        table.next_id += self.backend.sandbox.rng.randint(1, 4)
        table.ids.append(table.next_id)
        return str(table.next_id)

    # --- reads ----------------------------------------------------------------------------------------
    def get(self, object_type: str, record_id: str, include_archived: bool = False) -> Record | None:
        table = self._tables.get(object_type)
        if table is None:
            return None
        record_id = str(record_id)
        primary = self._merged.get((object_type, record_id))
        if primary is not None:
            record_id = primary
        record = table.records.get(record_id)
        if record is None or (record.archived and not include_archived):
            return None
        return record

    def require(self, object_type: str, record_id: str, include_archived: bool = False) -> Record:
        record = self.get(object_type, record_id, include_archived)
        if record is None:
            raise not_found()
        return record

    def exists(self, object_type: str, record_id: str) -> bool:
        return self.get(object_type, record_id) is not None

    def all(self, object_type: str) -> Iterator[Record]:
        """Live records in ascending id order."""
        table = self._tables.get(object_type)
        if table is None:
            return iter(())
        return (r for r in list(table.records.values()) if not r.archived)

    def count(self, object_type: str) -> int:
        table = self._tables.get(object_type)
        return 0 if table is None else sum(1 for r in table.records.values() if not r.archived)

    def page(
        self, object_type: str, after: int, limit: int, archived: bool = False
    ) -> tuple[list[Record], int | None]:
        """Records with numeric id >= after (live ones, or only archived ones), at most `limit`; returns
        (records, next cursor or None on the last page)."""
        table = self._tables.get(object_type)
        if table is None:
            return [], None
        out: list[Record] = []
        ids = table.ids
        records = table.records
        for pos in range(bisect.bisect_left(ids, after), len(ids)):
            record = records.get(str(ids[pos]))
            if record is None or record.archived != archived:
                continue
            if len(out) == limit:
                return out, ids[pos]
            out.append(record)
        return out, None

    def find_by_unique(self, object_type: str, prop: str, value: str) -> Record | None:
        index = self._unique.get((object_type, prop))
        if index is None:
            # not an indexed property: scan (idProperty on a non-unique property is rejected earlier)
            for record in self.all(object_type):
                if record.properties.get(prop) == value:
                    return record
            return None
        found = index.get(value.lower() if prop == "email" else value)
        return None if found is None else self.get(object_type, found)

    def lookup(self, object_type: str, key: str, id_property: str | None) -> Record | None:
        """A live record by id, or by a unique property value when `id_property` is given."""
        if not id_property or id_property == "hs_object_id":
            return self.get(object_type, key)
        return self.find_by_unique(object_type, id_property, key)

    # --- writes ---------------------------------------------------------------------------------------
    def _unique_props(self, object_type: str) -> list[str]:
        return self.backend.properties.unique_properties(object_type)

    def _check_unique(self, object_type: str, values: dict[str, str], own_id: str | None = None) -> None:
        for prop in self._unique_props(object_type):
            value = values.get(prop)
            if not value:
                continue
            key = value.lower() if prop == "email" else value
            other = self._unique.get((object_type, prop), {}).get(key)
            if other is not None and other != own_id and self.get(object_type, other) is not None:
                raise self._conflict(object_type, prop, value, other)

    @staticmethod
    def _conflict(object_type: str, prop: str, value: str, other: str) -> HubSpotError:
        if object_type == "contacts" and prop == "email":
            return conflict(f"Contact already exists. Existing ID: {other}")
        # Assumed wording for other unique properties (not captured from real traffic).
        return conflict(
            f'A {SINGULAR.get(object_type, object_type)} with {prop} "{value}" already exists. Existing ID: {other}'
        )

    def _index(self, object_type: str, record: Record) -> None:
        self.generation += 1
        self.search_dirty.setdefault(object_type, set()).add(record.id)
        self.search_view.index(record)
        for prop in self._unique_props(object_type):
            value = record.properties.get(prop)
            if value:
                self._unique.setdefault((object_type, prop), {})[
                    value.lower() if prop == "email" else value
                ] = record.id

    def _unindex(self, object_type: str, record: Record) -> None:
        self.generation += 1
        self.search_dirty.setdefault(object_type, set()).add(record.id)
        self.search_view.unindex(record)
        for prop in self._unique_props(object_type):
            value = record.properties.get(prop)
            index = self._unique.get((object_type, prop))
            if value and index is not None:
                key = value.lower() if prop == "email" else value
                if index.get(key) == record.id:
                    del index[key]

    def validate_create(self, object_type: str, raw: Any) -> dict[str, str]:
        """Cleaned user properties for a create (raises 400 / 409 before anything changes)."""
        values = self.backend.properties.clean_values(object_type, raw)
        self._check_unique(object_type, values)
        return self.backend.pipelines.check_record(object_type, values, None)

    def create(
        self, object_type: str, raw_properties: Any, *, cleaned: dict[str, str] | None = None
    ) -> Record:
        values = cleaned if cleaned is not None else self.validate_create(object_type, raw_properties)
        table = self._table(object_type)
        now = self.backend.now_ms()
        record_id = self._new_id(table)
        stamp = iso_ms_fast(now)
        props = {k: v for k, v in values.items() if v != ""}
        props["hs_object_id"] = record_id
        props[createdate_prop(object_type)] = stamp
        props[lastmodified_prop(object_type)] = stamp
        if object_type == "contacts":
            props.setdefault("lifecyclestage", "lead")  # HubSpot's default stage for API-created contacts
        record = Record(record_id, object_type, props, now, now)
        self.search_view.before_write(record, new=True)
        table.records[record_id] = record
        self._index(object_type, record)
        emit = self.backend.emit
        emit(ChangeEvent("creation", object_type, record_id, now))
        for name, value in values.items():
            if value != "":
                emit(ChangeEvent("propertyChange", object_type, record_id, now, name, value))
        return record

    def validate_update(self, record: Record, raw: Any) -> dict[str, str]:
        values = self.backend.properties.clean_values(record.object_type, raw)
        self._check_unique(record.object_type, values, own_id=record.id)
        return self.backend.pipelines.check_record(record.object_type, values, record.properties)

    def update(self, record: Record, raw_properties: Any, *, cleaned: dict[str, str] | None = None) -> Record:
        values = cleaned if cleaned is not None else self.validate_update(record, raw_properties)
        object_type = record.object_type
        changed = [(k, v) for k, v in values.items() if record.properties.get(k, "") != v]
        if not changed:
            return record
        now = self.backend.now_ms()
        self.search_view.before_write(record)
        self._unindex(object_type, record)
        history = record.history if record.history is not None else {}
        for name, value in changed:
            entries = history.get(name)
            if entries is None:
                entries = history[name] = record.property_history(name)
            entries.insert(0, (value, now))
            if value == "":
                record.properties.pop(name, None)
            else:
                record.properties[name] = value
        record.history = history
        record.updated_at_ms = now
        record.properties[lastmodified_prop(object_type)] = iso_ms_fast(now)
        self._index(object_type, record)
        for name, value in changed:
            self.backend.emit(ChangeEvent("propertyChange", object_type, record.id, now, name, value))
        return record

    def archive(self, record: Record) -> None:
        if record.archived:
            return
        now = self.backend.now_ms()
        self.search_view.before_write(record)
        self._unindex(record.object_type, record)  # an archived contact's email is free again
        record.archived = True
        record.archived_at_ms = now
        self.backend.emit(ChangeEvent("deletion", record.object_type, record.id, now))

    def restore(self, object_type: str, record_id: str) -> Record:
        record = self.get(object_type, record_id, include_archived=True)
        if record is None or not record.archived or (object_type, record_id) in self._merged:
            raise not_found()
        self._check_unique(object_type, record.properties, own_id=record.id)
        now = self.backend.now_ms()
        self.search_view.before_write(record, new=True)
        record.archived = False
        record.archived_at_ms = None
        record.updated_at_ms = now
        record.properties[lastmodified_prop(object_type)] = iso_ms_fast(now)
        self._index(object_type, record)
        self.backend.emit(ChangeEvent("restore", object_type, record.id, now))
        return record

    def merge(self, object_type: str, primary_id: str, merged_id: str) -> Record:
        """Merge `merged_id` into `primary_id`. As HubSpot merges today (developer changelog "Updated
        merge functionality for contacts and companies"; setting `merge_new_id`, default on): a new
        record with a new id takes the primary's values, and the secondary's for properties the
        primary lacks; both old records are archived and both old ids resolve to the new one; the
        secondary's email is free for a new contact ("For contacts and companies, you can create a
        new record with the merged email addresses", knowledge base "Merge records", Jan 2025).
        With the setting off, the older behaviour: the primary keeps its id and the merged record's
        id and email resolve to it."""
        primary = self.get(object_type, primary_id)
        other = self.get(object_type, merged_id)
        if primary is None or other is None:
            raise not_found()
        if primary.id == other.id:
            raise validation("Cannot merge an object with itself.")
        if self.backend.settings.get("merge_new_id", True) and object_type in MERGE_INTO_NEW:
            return self._merge_into_new(object_type, primary, other)
        system = self.backend.properties.system_properties(object_type)
        fill = {
            k: v for k, v in other.properties.items() if k not in system and not primary.properties.get(k)
        }
        unique = set(self._unique_props(object_type))
        self.search_view.before_write(other)
        self._unindex(object_type, other)
        now = self.backend.now_ms()
        other.archived = True
        other.archived_at_ms = now
        # Unique values of the merged record keep resolving to the primary.
        for prop in unique:
            value = other.properties.get(prop)
            if value and prop in fill:
                continue
            if value:
                self._unique.setdefault((object_type, prop), {})[
                    value.lower() if prop == "email" else value
                ] = primary.id
        for (t, mid), pid in list(self._merged.items()):
            if t == object_type and pid == other.id:
                self._merged[(t, mid)] = primary.id
        self._merged[(object_type, other.id)] = primary.id
        merged_ids = [i for i in primary.properties.get("hs_merged_object_ids", "").split(";") if i]
        merged_ids.append(other.id)
        fill["hs_merged_object_ids"] = ";".join(merged_ids)
        if object_type == "contacts" and other.properties.get("email") and "email" not in fill:
            extra = [e for e in primary.properties.get("hs_additional_emails", "").split(";") if e]
            fill["hs_additional_emails"] = ";".join([*extra, other.properties["email"]])
        self.update(primary, None, cleaned=fill)
        self.backend.emit(ChangeEvent("merge", object_type, primary.id, now, related_ids=(other.id,)))
        return primary

    def _merge_into_new(self, object_type: str, primary: Record, other: Record) -> Record:
        system = self.backend.properties.system_properties(object_type)
        values = {k: v for k, v in other.properties.items() if k not in system}
        values.update({k: v for k, v in primary.properties.items() if k not in system})
        earlier = [i for r in (primary, other) for i in r.properties.get("hs_merged_object_ids", "").split(";") if i]
        if object_type == "contacts":
            extra = [e for r in (primary, other) for e in r.properties.get("hs_additional_emails", "").split(";") if e]
            if other.properties.get("email") and other.properties.get("email") != primary.properties.get("email"):
                extra.append(other.properties["email"])
            if extra:
                values["hs_additional_emails"] = ";".join(extra)
        if object_type == "deals":  # the calculated stage properties are system ones: recompute them
            derived = self.backend.pipelines.deal_derived(values.get("dealstage", ""))
            values.update({k: v for k, v in derived.items() if v != ""})
        now = self.backend.now_ms()
        for old in (primary, other):  # archived first: the primary's email moves to the new record
            self.search_view.before_write(old)
            self._unindex(object_type, old)
            old.archived = True
            old.archived_at_ms = now
        table = self._table(object_type)
        new_id = self._new_id(table)
        props = dict(values)
        props["hs_merged_object_ids"] = ";".join([*earlier, primary.id, other.id])
        stamp = iso_ms_fast(now)
        props["hs_object_id"] = new_id
        props[createdate_prop(object_type)] = primary.properties.get(createdate_prop(object_type), stamp)
        props[lastmodified_prop(object_type)] = stamp
        # Property history of both records, the primary's entries first (its values are current).
        history: History = {}
        for old in (primary, other):
            for name in {*old.properties, *(old.history or {})} - set(system):
                if name not in history:
                    history[name] = list(old.property_history(name))
        record = Record(new_id, object_type, props, primary.created_at_ms, now, history=history or None)
        self.search_view.before_write(record, new=True)
        table.records[new_id] = record
        self._index(object_type, record)
        for (t, mid), pid in list(self._merged.items()):
            if t == object_type and pid in (primary.id, other.id):
                self._merged[(t, mid)] = new_id
        self._merged[(object_type, primary.id)] = new_id
        self._merged[(object_type, other.id)] = new_id
        # related_ids: every id merged into the new record (associations and lists move them over)
        self.backend.emit(ChangeEvent("merge", object_type, new_id, now, "primaryObjectId", primary.id,
                                      related_ids=(primary.id, other.id)))
        return record

    def gdpr_delete(self, object_type: str, record: Record) -> None:
        """Permanently remove the record (no archive, no restore)."""
        self.search_view.before_write(record)
        self._unindex(object_type, record)
        table = self._tables[object_type]
        table.records.pop(record.id, None)
        for key in [k for k, v in self._merged.items() if k[0] == object_type and v == record.id]:
            del self._merged[key]
        for index in (v for (t, _), v in self._unique.items() if t == object_type):
            for key in [k for k, rid in index.items() if rid == record.id]:
                del index[key]
        self.backend.emit(ChangeEvent("privacyDeletion", object_type, record.id, self.backend.now_ms()))

    # --- snapshots ----------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "custom_types": {k: v for k, v in self.type_ids.items() if k not in STANDARD_TYPES},
            "tables": {
                name: {
                    "next_id": t.next_id,
                    "ids": t.ids,
                    "records": [
                        [
                            r.id,
                            r.properties,
                            r.created_at_ms,
                            r.updated_at_ms,
                            r.archived,
                            r.archived_at_ms,
                            None
                            if r.history is None
                            else {k: [list(e) for e in v] for k, v in r.history.items()},
                        ]
                        for r in t.records.values()
                    ],
                }
                for name, t in self._tables.items()
            },
            "merged": [[t, mid, pid] for (t, mid), pid in self._merged.items()],
        }

    def load(self, data: dict[str, Any]) -> None:
        for name, type_id in data.get("custom_types", {}).items():
            self.register_type(name, type_id)
        self._tables = {}
        self._unique = {}
        self.search_view.clear()
        self.search_cache.clear()  # every record replaced: rebuilt, not patched
        self.search_dirty.clear()
        self.generation += 1
        for name, raw in data.get("tables", {}).items():
            table = _Table(next_id=raw["next_id"], ids=list(raw["ids"]))
            for rid, props, created, updated, archived, archived_at, history in raw["records"]:
                hist = None if history is None else {k: [(e[0], e[1]) for e in v] for k, v in history.items()}
                table.records[rid] = Record(
                    rid, name, dict(props), created, updated, archived, archived_at, hist
                )
            self._tables[name] = table
            for record in table.records.values():
                if not record.archived:
                    self._index(name, record)
        self._merged = {(t, mid): pid for t, mid, pid in data.get("merged", [])}
        # Merged-away records' unique values keep resolving only under the older reading; a merge
        # into a new record frees the secondary's email (see merge()).
        aliases = {} if self.backend.settings.get("merge_new_id", True) else self._merged
        for (t, mid), pid in aliases.items():
            old = self._tables.get(t, _Table()).records.get(mid)
            if old is not None:
                for prop in self._unique_props(t):
                    value = old.properties.get(prop)
                    if value:
                        self._unique.setdefault((t, prop), {}).setdefault(
                            value.lower() if prop == "email" else value, pid
                        )


_iso_cache: list[Any] = [
    None,
    "",
]  # (ms, text) of the last call: a batch stamps every record with one instant


def iso_ms_fast(ms: int) -> str:
    """Epoch ms -> "2024-05-01T10:00:00.000Z" (the text core.clock.iso_ms gives, without a datetime)."""
    if _iso_cache[0] == ms:
        return _iso_cache[1]  # type: ignore[no-any-return]
    t = time.gmtime(ms // 1000)
    text = (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}."
        f"{ms % 1000:03d}Z"
    )
    _iso_cache[0], _iso_cache[1] = ms, text
    return text


def batch_inputs(body: Any, *, allow_empty: bool = False) -> list[Any]:
    """The `inputs` list of a batch body, validated for shape and size (HubSpot: <= 100)."""
    if not isinstance(body, dict):
        raise validation("Invalid input JSON: expected an object with an `inputs` array")
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise validation(
            "Invalid input JSON: `inputs` is required and must be an array",
            errors=[{"message": "must not be null", "in": "inputs"}],
        )
    if len(inputs) > MAX_BATCH:
        # Wording as HubSpot's batch limit error.
        raise validation(
            f"Batch input limit exceeded: {len(inputs)} inputs were provided, maximum is {MAX_BATCH}",
            context={"inputs": [str(len(inputs))]},
        )
    if not inputs and not allow_empty:
        return []
    return inputs


def iter_ids(values: Iterable[Any]) -> list[str]:
    return [str(v) for v in values]
