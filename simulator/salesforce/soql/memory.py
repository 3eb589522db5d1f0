"""In-memory SoqlSchema / RecordSource for tests and as a reference for the store.

`DictSource` keeps records in insertion order with optional equality indexes (text keys
case-insensitive) and range indexes (sorted arrays, lazily rebuilt after writes), and counts what the
engine asks of it (`calls`), so tests can prove a query used an index instead of a scan.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from simulator.salesforce.soql.schema import FieldInfo

Record = dict[str, Any]


class DictSchema:
    """Objects and fields from plain data: {"Lead": [FieldInfo(...), ...], ...}."""

    def __init__(
        self,
        objects: dict[str, Iterable[FieldInfo]],
        children: dict[str, list[tuple[str, str, str]]] | None = None,
    ) -> None:
        """`children`: {parent: [(relationship name, child object, child's reference field)]}."""
        self._children = children or {}
        self._objects = {name.lower(): name for name in objects}
        self._fields: dict[str, dict[str, FieldInfo]] = {
            name: {f.name.lower(): f for f in fields} for name, fields in objects.items()
        }

    def resolve_object(self, name: str) -> str | None:
        return self._objects.get(name.lower())

    def resolve_field(self, obj: str, name: str) -> FieldInfo | None:
        return self._fields.get(obj, {}).get(name.lower())

    def resolve_relationship(self, obj: str, rel_name: str) -> tuple[str, str] | None:
        for f in self._fields.get(obj, {}).values():
            if f.relationship_name and f.relationship_name.lower() == rel_name.lower() and f.reference_to:
                return f.name, f.reference_to[0]
        return None

    def fields(self, obj: str) -> list[FieldInfo]:
        return list(self._fields[obj].values())

    def fields_of(self, obj: str) -> list[FieldInfo]:
        return self.fields(obj)

    def resolve_child_relationship(self, obj: str, rel_name: str) -> tuple[str, str, str] | None:
        for rel, child, field in self._children.get(obj, []):
            if rel.lower() == rel_name.lower():
                return child, field, rel
        return None


def _eq_key(value: Any) -> Any:
    """Index key: text case-insensitive; anything shaped like an id by its 15-character prefix so a
    15-character id finds the 18-character one. Collisions only widen the candidate set (the engine
    re-applies the WHERE clause)."""
    if not isinstance(value, str):
        return value
    if len(value) in (15, 18) and value.isascii() and value.isalnum():
        return value[:15].casefold()
    return value.casefold()


class _RangeIndex:
    def __init__(self) -> None:
        self.values: list[Any] = []
        self.records: list[Record] = []
        self.dirty = True


class DictSource:
    """Records per object, keyed by Id. `eq_indexes` / `range_indexes`: {object: {field, ...}}."""

    def __init__(
        self,
        eq_indexes: dict[str, set[str]] | None = None,
        range_indexes: dict[str, set[str]] | None = None,
    ) -> None:
        self.records: dict[str, dict[str, Record]] = {}
        self.eq_fields = eq_indexes or {}
        self.range_fields = range_indexes or {}
        self._eq: dict[tuple[str, str], dict[Any, dict[str, Record]]] = {}
        self._range: dict[tuple[str, str], _RangeIndex] = {}
        self.calls: Counter[str] = Counter()  # "scan", "get", "lookup_eq", "lookup_range", "scanned_rows"

    # --- writes (tests only) -------------------------------------------------------------------------
    def insert(self, obj: str, record: Record) -> None:
        """Add or replace a record (by Id)."""
        table = self.records.setdefault(obj, {})
        old = table.get(record["Id"])
        for field in self.eq_fields.get(obj, ()):
            index = self._eq.setdefault((obj, field), {})
            if old is not None and old.get(field) is not None:
                index.get(_eq_key(old[field]), {}).pop(old["Id"], None)
            if record.get(field) is not None:
                index.setdefault(_eq_key(record[field]), {})[record["Id"]] = record
        for field in self.range_fields.get(obj, ()):
            self._range.setdefault((obj, field), _RangeIndex()).dirty = True
        table[record["Id"]] = record

    # --- RecordSource --------------------------------------------------------------------------------
    def scan(self, obj: str, include_deleted: bool = False) -> Iterator[Record]:
        self.calls["scan"] += 1
        for rec in self.records.get(obj, {}).values():
            self.calls["scanned_rows"] += 1
            if include_deleted or not rec.get("IsDeleted"):
                yield rec

    def get(self, obj: str, record_id: str) -> Record | None:
        self.calls["get"] += 1
        table = self.records.get(obj, {})
        rec = table.get(record_id)
        if rec is None and len(record_id) == 15:  # 15-character form of an 18-character id
            rec = next((r for rid, r in table.items() if rid[:15] == record_id), None)
        return rec

    def lookup_eq(
        self, obj: str, field: str, values: Iterable[Any], include_deleted: bool = False
    ) -> list[Record] | None:
        if field not in self.eq_fields.get(obj, ()):
            return None
        self.calls["lookup_eq"] += 1
        index = self._eq.get((obj, field), {})
        out: dict[str, Record] = {}
        for value in values:
            for rid, rec in index.get(_eq_key(value), {}).items():
                if include_deleted or not rec.get("IsDeleted"):
                    out[rid] = rec
        return list(out.values())

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
    ) -> Iterator[Record] | None:
        if field not in self.range_fields.get(obj, ()):
            return None
        self.calls["lookup_range"] += 1
        index = self._range.setdefault((obj, field), _RangeIndex())
        if index.dirty:
            pairs = sorted(
                ((r[field], r) for r in self.records.get(obj, {}).values() if r.get(field) is not None),
                key=lambda p: p[0],
            )
            index.values = [v for v, _ in pairs]
            index.records = [r for _, r in pairs]
            index.dirty = False
        if low is None:
            start = 0
        elif low_inclusive:
            start = bisect.bisect_left(index.values, low)
        else:
            start = bisect.bisect_right(index.values, low)
        if high is None:
            end = len(index.values)
        elif high_inclusive:
            end = bisect.bisect_right(index.values, high)
        else:
            end = bisect.bisect_left(index.values, high)
        return self._iter_range(index, start, end, include_deleted)

    def _iter_range(
        self, index: _RangeIndex, start: int, end: int, include_deleted: bool
    ) -> Iterator[Record]:
        for i in range(start, end):
            rec = index.records[i]
            self.calls["range_rows"] += 1
            if include_deleted or not rec.get("IsDeleted"):
                yield rec


def sample_schema() -> DictSchema:
    """A small Lead / User / Account schema (used by the unit tests; handy for comparisons)."""
    F = FieldInfo
    return DictSchema(
        {
            "Lead": [
                F("Id", "id"),
                F("IsDeleted", "boolean"),
                F("FirstName", "string"),
                F("LastName", "string"),
                F("Email", "email"),
                F("Company", "string"),
                F("Status", "picklist"),
                F("Interests__c", "multipicklist"),
                F("NumberOfEmployees", "int"),
                F("AnnualRevenue", "currency"),
                F("Score__c", "double"),
                F("IsConverted", "boolean"),
                F("ConvertedDate", "date"),
                F("CreatedDate", "datetime"),
                F("SystemModstamp", "datetime"),
                F("OwnerId", "reference", ("User",), "Owner"),
                F("ConvertedAccountId", "reference", ("Account",), "ConvertedAccount"),
            ],
            "User": [
                F("Id", "id"),
                F("Name", "string"),
                F("Email", "email"),
                F("IsActive", "boolean"),
                F("ManagerId", "reference", ("User",), "Manager"),
            ],
            "Account": [
                F("Id", "id"),
                F("IsDeleted", "boolean"),
                F("Name", "string"),
                F("OwnerId", "reference", ("User",), "Owner"),
            ],
        },
        children={
            "User": [("Leads", "Lead", "OwnerId"), ("Accounts", "Account", "OwnerId")],
            "Account": [("ConvertedLeads", "Lead", "ConvertedAccountId")],
        },
    )
