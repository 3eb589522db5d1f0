"""State-database lookups the stages share (IN lists in chunks of 500)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from sync.clients.hubspot import chunks
from sync.state.models import Link


def in_rows(s: Any, model: Any, col: Any, values: list[Any], *extra: Any) -> list[Any]:
    out: list[Any] = []
    vals = sorted(set(values))
    for part in chunks(vals, 500):
        out.extend(s.scalars(select(model).where(col.in_(part), *extra)))
    return out


def links_by_hs_id(s: Any, hs_object: str, hs_ids: list[str]) -> list[Link]:
    # With the object type: the unique index is (object_type, hs_id), and a lookup by hs_id alone
    # scans the whole link table (SQLite), once per 500 ids, every batch.
    return in_rows(s, Link, Link.hs_id, hs_ids, Link.object_type == hs_object)


def in_scalar(s: Any, what: Any, col: Any, values: list[str], *extra: Any) -> list[Any]:
    out: list[Any] = []
    for part in chunks(sorted(set(values)), 500):
        out.extend(s.scalars(select(what).where(col.in_(part), *extra)))
    return out


def link_row(lk: Link) -> dict[str, Any]:
    return {
        "object_type": lk.object_type,
        "hs_id": lk.hs_id,
        "sf_object": lk.sf_object,
        "sf_id": lk.sf_id,
        "email": lk.email,
        "last_synced": lk.last_synced,
        "created_at": lk.created_at,
        "updated_at": lk.updated_at,
        "sf_modstamp": lk.sf_modstamp,
        "outside_list_created": bool(lk.outside_list_created),
    }
