"""What HubSpot's search sees, apart from the record store itself: index lag and equality indexes.

Index lag. Real search results trail creates and updates by seconds ("newly created/updated records
may take a few seconds to appear" — HubSpot search guide, quoted in api-wire-spec 2.4; the cause of
duplicate-create 409s users report). The fake models it on the sandbox clock with the setting
`search_lag_seconds`: a record written at t is visible to GET at once, but search keeps serving the
version it had indexed before (nothing, for a new record; the old values, for an update; the record
itself, for a delete) until t + lag. Default 0 in-process; `hubforce serve` sets a few seconds.

Equality indexes. An EQ/IN filter on a string property (email, salesforcecontactid, any property an
engine looks records up by) is answered from a value -> ids map, built the first time a property is
filtered on and kept current by every write, instead of a scan of every record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.hubspot.records import Record, RecordStore

# Properties indexed per object type at most (each costs a dict entry per record and work per write).
MAX_EQ_INDEXES = 24


def snapshot(record: Record) -> Record:
    """A frozen copy of what search had indexed: own properties dict, no history."""
    from simulator.hubspot.records import Record

    return Record(record.id, record.object_type, dict(record.properties), record.created_at_ms,
                  record.updated_at_ms, False, None, None)


class SearchView:
    """Per object type: record id -> (visible_at_ms, the version search still shows or None)."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store
        self.pending: dict[str, dict[str, tuple[int, Record | None]]] = {}
        # (object_type, property) -> {lower-cased value: {record ids}}
        self.eq: dict[tuple[str, str], dict[str, set[str]]] = {}
        self.eq_props: dict[str, list[str]] = {}

    # --- lag ------------------------------------------------------------------------------------------
    def lag_ms(self) -> int:
        return int(float(self.store.backend.settings.get("search_lag_seconds", 0) or 0) * 1000)

    def before_write(self, record: Record, *, new: bool = False) -> None:
        """Call before a create/update/archive/restore mutates `record` (new: it did not exist or was
        not searchable before): search keeps its older version until the lag has passed."""
        lag = self.lag_ms()
        if lag <= 0:
            return
        table = self.pending.setdefault(record.object_type, {})
        held = table.get(record.id)
        previous = held[1] if held is not None else (None if new or record.archived else snapshot(record))
        table[record.id] = (self.store.backend.now_ms() + lag, previous)

    def lagging(self, object_type: str) -> dict[str, tuple[int, Record | None]] | None:
        """Record id -> (visible_at_ms, the version search still shows) for the records whose
        latest write search does not show yet, or None when it shows every write."""
        table = self.pending.get(object_type)
        if not table:
            return None
        now = self.store.backend.now_ms()
        for rid in [rid for rid, (due, _) in table.items() if due <= now]:
            del table[rid]
        return table or None

    def visible(self, object_type: str) -> list[Record] | None:
        """The records search sees now, in id order, or None when it sees exactly the live store."""
        table = self.lagging(object_type)
        if table is None:
            return None
        out = [r for r in self.store.all(object_type) if r.id not in table]
        out += [prev for _, prev in table.values() if prev is not None]
        out.sort(key=_id_key)
        return out

    # --- equality indexes -----------------------------------------------------------------------------
    def eq_candidates(self, object_type: str, prop: str, values: tuple[str, ...]) -> list[Record] | None:
        """Live records whose `prop` equals one of `values` (case-insensitively), in id order; None
        when the property cannot be indexed."""
        key = (object_type, prop)
        index = self.eq.get(key)
        if index is None:
            props = self.eq_props.setdefault(object_type, [])
            if len(props) >= MAX_EQ_INDEXES:
                return None
            index = self.eq[key] = {}
            props.append(prop)
            for r in self.store.all(object_type):
                v = r.properties.get(prop)
                if v is not None:
                    index.setdefault(v.lower(), set()).add(r.id)
        ids: set[str] = set()
        for v in values:
            ids |= index.get(v.lower(), set())
        out = [r for rid in ids if (r := self.store.get(object_type, rid)) is not None and r.id == rid]
        out.sort(key=_id_key)
        return out

    def index(self, record: Record) -> None:
        for prop in self.eq_props.get(record.object_type, ()):
            v = record.properties.get(prop)
            if v is not None:
                self.eq[(record.object_type, prop)].setdefault(v.lower(), set()).add(record.id)

    def unindex(self, record: Record) -> None:
        for prop in self.eq_props.get(record.object_type, ()):
            v = record.properties.get(prop)
            if v is not None:
                bucket = self.eq[(record.object_type, prop)].get(v.lower())
                if bucket is not None:
                    bucket.discard(record.id)

    def clear(self) -> None:
        self.pending.clear()
        self.eq.clear()
        self.eq_props.clear()


def _id_key(r: Any) -> tuple[int, str]:
    return (int(r.id), "") if r.id.isdigit() else (0, r.id)
