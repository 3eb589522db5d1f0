"""The store seen by the SOQL engine: schema look-ups plus record access with indexed equality and
range look-ups (Email, external ids, references, SystemModstamp...) so a `WHERE Email = ...` or a
`WHERE SystemModstamp > ...` over 100k leads does not scan."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from simulator.salesforce import ids
from simulator.salesforce.schema import FieldDef, ObjectDef

if TYPE_CHECKING:
    from simulator.salesforce.models import SalesforceBackend


class StoreRecordSource:
    """Read-only view of a SalesforceBackend for the SOQL engine. Records are the store's own dicts
    (native values keyed by canonical field name): callers must not mutate them."""

    def __init__(self, backend: SalesforceBackend) -> None:
        self.backend = backend

    # --- schema ----------------------------------------------------------------------------------------
    def resolve_object(self, name: str) -> ObjectDef | None:
        return self.backend.schema.resolve_object(name)

    def resolve_field(self, obj: str | ObjectDef, name: str) -> FieldDef | None:
        return self.backend.schema.resolve_field(obj, name)

    def object_for_id(self, record_id: str) -> ObjectDef | None:
        return self.backend.schema.object_for_id(record_id)

    def resolve_relationship(self, obj: str, rel_name: str) -> tuple[str, str] | None:
        """(reference field, target object) of parent relationship `rel_name` (any case) of `obj`.
        Polymorphic relationships (Who, What) name their first target; `get` follows the id's real
        object."""
        o = self.resolve_object(obj)
        if o is None or not isinstance(rel_name, str):
            return None
        low = rel_name.lower()
        for fd in o.fields.values():
            if fd.relationship_name and fd.relationship_name.lower() == low and fd.reference_to:
                return fd.name, fd.reference_to[0]
        return None

    def resolve_child_relationship(self, obj: str, rel_name: str) -> tuple[str, str, str] | None:
        return self.backend.schema.resolve_child_relationship(obj, rel_name)

    def fields_of(self, obj: str) -> list[FieldDef]:
        return self.backend.schema.fields_of(obj)

    # --- records ----------------------------------------------------------------------------------------
    def _visible(self, rec: dict[str, Any] | None, include_deleted: bool) -> bool:
        return rec is not None and (include_deleted or not rec.get("IsDeleted"))

    def scan(self, obj: str, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        """Every record of `obj` in insertion order (deleted ones only with include_deleted: queryAll)."""
        if include_deleted:
            self.backend.purge_recycle_bin()
        yield from self.backend.iter_records(obj, include_deleted)

    def get(self, obj: str, record_id: str, include_deleted: bool = True) -> dict[str, Any] | None:
        """One record by id (15 or 18 chars) or None. Relationship traversal (Owner.Email) uses it.
        The id's key prefix decides the object, so polymorphic parents (Who, What) resolve whatever
        `obj` the caller guessed from referenceTo."""
        if not isinstance(record_id, str):
            return None
        try:
            rid = ids.to18(record_id)
        except ids.InvalidId:
            return None
        o = self.object_for_id(rid) or self.resolve_object(obj)
        if o is None:
            return None
        rec = self.backend.records[o.name].get(rid)
        return rec if self._visible(rec, include_deleted) else None

    def get_any(self, record_id: str, include_deleted: bool = True) -> dict[str, Any] | None:
        """A record of whatever object the id's key prefix names (polymorphic Who/What)."""
        o = self.object_for_id(record_id)
        return self.get(o.name, record_id, include_deleted) if o is not None else None

    def indexed_fields(self, obj: str) -> dict[str, str]:
        """{field name: "eq" | "range"} for the fields with an index."""
        o = self.resolve_object(obj)
        if o is None:
            return {}
        idx = self.backend._indexes[o.name]
        out = {"Id": "eq"}
        out.update({name: "eq" for name in idx.eq})
        out.update({name: "range" for name in idx.range})
        return out

    def lookup_eq(
        self, obj: str, field: str, values: Iterable[Any], include_deleted: bool = False
    ) -> list[dict[str, Any]] | None:
        """Records whose `field` equals one of `values` (text case-insensitive), or None when the
        field has no equality index (the caller then scans)."""
        o = self.resolve_object(obj)
        fd = self.resolve_field(o, field) if o is not None else None
        if o is None or fd is None:
            return None
        if include_deleted:
            self.backend.purge_recycle_bin()
        recs = self.backend.records[o.name]
        out: dict[str, dict[str, Any]] = {}
        if fd.name == "Id":
            for v in values:
                key = _exact_id(v)
                if key is None or key[:3] != o.key_prefix:  # an id of another object never matches
                    continue
                rec = recs.get(key)
                if rec is not None and self._visible(rec, include_deleted):
                    out[key] = rec
            return list(out.values())
        idx = self.backend._indexes[o.name].eq.get(fd.name)
        if idx is None:
            return None
        from simulator.salesforce.models import index_key

        for v in values:
            if v is None:
                return None  # `= null` is not in the index: scan
            if fd.type in ("id", "reference"):  # the index holds 18-char ids; SOQL accepts 15 or 18
                v = _exact_id(v)
                if v is None:
                    continue
            for rid in idx.get(index_key(v), ()):
                rec = recs[rid]
                if self._visible(rec, include_deleted):
                    out[rid] = rec
        return sorted(out.values(), key=lambda r: (r["CreatedDate"], r["Id"]))

    def lookup_range(
        self,
        obj: str,
        field: str,
        low: Any = None,
        high: Any = None,
        *,
        low_inclusive: bool = True,
        high_inclusive: bool = True,
        include_deleted: bool = False,
    ) -> Iterator[dict[str, Any]] | None:
        """Records whose `field` lies between `low` and `high` (either may be None = unbounded), in
        ascending order of that field, lazily; None when the field has no range index. Bounds must be
        the field's native type (aware UTC datetimes for SystemModstamp / LastModifiedDate /
        CreatedDate)."""
        o = self.resolve_object(obj)
        fd = self.resolve_field(o, field) if o is not None else None
        if o is None or fd is None:
            return None
        sl = self.backend._indexes[o.name].range.get(fd.name)
        if sl is None:
            return None
        if include_deleted:
            self.backend.purge_recycle_bin()
        return self._range(o.name, sl, low, high, low_inclusive, high_inclusive, include_deleted)

    def _range(
        self,
        objname: str,
        sl: Any,
        low: Any,
        high: Any,
        low_inclusive: bool,
        high_inclusive: bool,
        include_deleted: bool,
    ) -> Iterator[dict[str, Any]]:
        """Lazy: the engine stops early for `ORDER BY field LIMIT n`."""
        lo = (low, "") if low is not None else None
        hi = (high, "\uffff") if high is not None else None
        recs = self.backend.records[objname]
        for value, rid in sl.irange(lo, hi):
            if low is not None and not low_inclusive and value == low:
                continue
            if high is not None and not high_inclusive and value == high:
                continue
            rec = recs.get(rid)
            if self._visible(rec, include_deleted):
                yield rec  # type: ignore[misc]

    def count(self, obj: str, include_deleted: bool = False) -> int:
        return self.backend.count(obj, include_deleted)


def _exact_id(value: Any) -> str | None:
    """The stored 18-character form of a SOQL id literal, matched case-sensitively as SOQL does: the
    first 15 characters as written plus their checksum (a lower-cased 18-character id finds nothing)."""
    if not isinstance(value, str) or len(value) not in (15, 18) or not value.isascii() or not value.isalnum():
        return None
    return value[:15] + ids.checksum(value[:15])
