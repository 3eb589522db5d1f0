"""What `execute` returns, and a helper that renders it the way the REST API does.

Records are `Row`s: plain dicts (JSON-serialisable as they are) holding only the selected fields
under canonical names, in SELECT order, with native Python values (str, bool, int/float, date, aware
UTC datetime, None). A parent relationship is a nested `Row` under the relationship name
(`{"Owner": {"Name": "Ann"}}`), or None when the reference is empty / the parent is gone.

Because the REST API adds `"attributes": {"type", "url"}` to every record *and* every nested parent
(and the url holds the record's Id even when Id was not selected), each Row also carries two plain
attributes outside the dict: `row.sobject_type` ("Lead", "User") and `row.record_id`. `render_record`
turns a Row into the wire dict (attributes first, values formatted by a callable you pass).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.salesforce.soql.schema import FieldLike


class Row(dict[str, Any]):
    """A result record: a dict of selected fields plus `sobject_type` / `record_id` attributes."""

    __slots__ = ("sobject_type", "record_id")

    def __init__(self, sobject_type: str, record_id: str | None) -> None:
        super().__init__()
        self.sobject_type = sobject_type
        self.record_id = record_id

    def __reduce__(self) -> Any:  # keep the attributes through copy/pickle
        return (_make_row, (self.sobject_type, self.record_id, dict(self)))


def _make_row(sobject_type: str, record_id: str | None, values: dict[str, Any]) -> Row:
    row = Row(sobject_type, record_id)
    row.update(values)
    return row


class ChildResult(list[Row]):
    """The rows of a child relationship sub-query under one parent (a Row holds None instead when
    there are none). On the wire: `{"totalSize": n, "done": true, "records": [...]}`."""

    def __reduce__(self) -> Any:
        return (ChildResult, (list(self),))


AGGREGATE_RESULT = "AggregateResult"


@dataclass(frozen=True)
class SelectedField:
    """One entry of the SELECT list, resolved.

    `path` holds canonical names: relationship names then the field (`("Owner", "Name")`);
    `objects` the object at each level (`("Lead", "User")`); `field` the leaf field's metadata.
    """

    path: tuple[str, ...]
    objects: tuple[str, ...]
    field: FieldLike

    @property
    def name(self) -> str:
        return ".".join(self.path)

    @property
    def type(self) -> str:
        return self.field.type


@dataclass
class QueryResult:
    object_name: str  # canonical FROM object
    records: list[Row]  # after WHERE / ORDER BY / OFFSET / LIMIT; empty for COUNT(); AggregateResult rows
    # for aggregate queries; a child sub-query's rows are a ChildResult (or None) under its relationship
    total_size: int  # number of records (or the COUNT() value)
    is_count: bool
    selected_fields: tuple[SelectedField, ...]  # empty for COUNT() and aggregate queries
    is_aggregate: bool = False


def render_record(
    row: Row, api_version: str = "59.0", format_value: Callable[[Any], Any] = lambda v: v
) -> dict[str, Any]:
    """The REST representation of a Row: `attributes` first, nested parents rendered the same way,
    other values passed through `format_value` (e.g. datetime -> "2024-05-01T10:00:00.000+0000")."""
    out: dict[str, Any]
    if row.sobject_type == AGGREGATE_RESULT:  # aggregate rows are not records: no url
        out = {"attributes": {"type": AGGREGATE_RESULT}}
    else:
        url = f"/services/data/v{api_version}/sobjects/{row.sobject_type}"
        if row.record_id is not None:
            url += f"/{row.record_id}"
        out = {"attributes": {"type": row.sobject_type, "url": url}}
    for key, value in row.items():
        if isinstance(value, Row):
            out[key] = render_record(value, api_version, format_value)
        elif isinstance(value, ChildResult):
            out[key] = {
                "totalSize": len(value),
                "done": True,
                "records": [render_record(r, api_version, format_value) for r in value],
            }
        else:
            out[key] = format_value(value)
    return out
