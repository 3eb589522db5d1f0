"""What the SOQL engine needs from the Salesforce store: a schema (names, field types, relationships)
and a record source (scan, get by id, indexed look-ups).

Both are structural `typing.Protocol`s, so the store implements them without importing this module
and one object may implement both (pass it twice to `execute`). `memory.py` has dict-backed
implementations for tests.

Contract details the engine relies on:

* Names are resolved case-insensitively; the returned names are canonical (`lead` -> `Lead`).
* `resolve_object` may return the canonical name as a `str` **or** any object with a `.name`
  attribute (the store's ObjectDef); the engine only reads `.name`.
* `resolve_field` may return a `FieldInfo` or anything with the same attributes (the store's
  FieldDef): `name`, `type`, `reference_to`, `relationship_name`.
* `resolve_relationship` is optional: when the schema lacks it, the engine uses the Salesforce
  naming convention (`Owner` -> `OwnerId`, `Foo__r` -> `Foo__c`) through `resolve_field` and checks
  the field's `relationship_name`.
* `object_for_id(record_id)` is optional too: when present, a parent relationship follows the id to
  the object its key prefix names (polymorphic OwnerId / WhoId), and nested rows report that type.
* Records are dicts keyed by canonical field name with native values: str, bool, int/float,
  `datetime.date`, timezone-aware `datetime.datetime` (UTC), None. Every record has "Id";
  objects that support deletion have "IsDeleted". The engine never mutates them.
* Index look-ups return None when there is no index for that field (the engine then scans); they
  may return deleted rows (the engine re-checks IsDeleted and the whole WHERE clause anyway).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

# Salesforce describe types the engine understands (combobox behaves like picklist).
TEXT_TYPES = frozenset(
    {
        "id",
        "reference",
        "string",
        "email",
        "phone",
        "url",
        "textarea",
        "picklist",
        "multipicklist",
        "combobox",
    }
)
NUMBER_TYPES = frozenset({"double", "currency", "percent", "int"})
ALL_TYPES = TEXT_TYPES | NUMBER_TYPES | {"boolean", "date", "datetime"}
# Types describe reports `groupable: false` for (and GROUP BY refuses).
NON_GROUPABLE_TYPES = frozenset({"textarea", "double", "currency", "percent", "datetime"})


@dataclass(frozen=True)
class FieldInfo:
    """One field as the SOQL engine sees it."""

    name: str  # canonical API name, e.g. "Email", "OwnerId", "Score__c"
    type: str  # describe type: id string email phone url textarea picklist multipicklist boolean date datetime double currency percent int reference
    reference_to: tuple[str, ...] = ()  # target objects of a reference field
    relationship_name: str | None = None  # "Owner" for OwnerId, "Foo__r" for Foo__c


class FieldLike(Protocol):
    """Anything `resolve_field` may return (FieldInfo, the store's FieldDef, ...)."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def reference_to(self) -> tuple[str, ...]: ...
    @property
    def relationship_name(self) -> str | None: ...


@runtime_checkable
class SoqlSchema(Protocol):
    def resolve_object(self, name: str) -> Any:
        """Canonical object name (str, or an object with `.name`) for `name` (any case), or None."""
        ...

    def resolve_field(self, obj: str, name: str) -> FieldLike | None:
        """Field `name` (any case) of canonical object `obj`, or None."""
        ...


class RelationshipSchema(Protocol):
    """Optional extension of SoqlSchema (see module docstring)."""

    def resolve_relationship(self, obj: str, rel_name: str) -> tuple[str, str] | None:
        """(reference field name, target object) for relationship `rel_name` (any case) of `obj`."""
        ...


@runtime_checkable
class RecordSource(Protocol):
    def scan(self, obj: str, include_deleted: bool = False) -> Iterable[dict[str, Any]]:
        """Every record of `obj`; deleted ones (IsDeleted true) only with include_deleted."""
        ...

    def get(self, obj: str, record_id: str) -> dict[str, Any] | None:
        """One record by id (deleted or not), or None. Used to follow parent relationships."""
        ...

    def lookup_eq(
        self, obj: str, field: str, values: Iterable[Any], include_deleted: bool = False
    ) -> Iterable[dict[str, Any]] | None:
        """Records whose `field` equals any of `values` (text compared case-insensitively), or None
        when `field` has no equality index."""
        ...

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
    ) -> Iterable[dict[str, Any]] | None:
        """Records with low <(=) field <(=) high (None = unbounded), ascending by `field` (records with
        a null `field` are not returned), or None when `field` has no range index. A lazy iterator is
        best: the engine stops early for `ORDER BY field LIMIT n`."""
        ...
