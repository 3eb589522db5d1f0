"""Change events inside the HubSpot fake. The record store emits them; dynamic lists, webhooks and
anything else that must react to record changes subscribe (backend.subscribe).

A NamedTuple, not a frozen dataclass: a batch create of 100 contacts emits ~500 of these, and a
tuple is the cheapest immutable record Python builds (listeners with nothing to do return at once).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

EventKind = Literal["creation", "propertyChange", "deletion", "merge", "restore", "privacyDeletion", "associationChange"]


class ChangeEvent(NamedTuple):
    kind: EventKind
    object_type: str  # canonical plural name: "contacts", "companies", "deals", ...
    object_id: str
    occurred_at_ms: int
    property_name: str | None = None
    property_value: str | None = None
    # merge: the ids merged into object_id; associationChange: the other side
    related_ids: tuple[str, ...] = ()
    change_source: str = "API"
