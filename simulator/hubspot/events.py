"""Change events inside the HubSpot fake. The record store emits them; dynamic lists, webhooks and
anything else that must react to record changes subscribe (backend.subscribe)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EventKind = Literal["creation", "propertyChange", "deletion", "merge", "restore", "privacyDeletion", "associationChange"]


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    kind: EventKind
    object_type: str  # canonical plural name: "contacts", "companies", "deals", ...
    object_id: str
    occurred_at_ms: int
    property_name: str | None = None
    property_value: str | None = None
    # merge: the ids merged into object_id; associationChange: the other side
    related_ids: tuple[str, ...] = ()
    change_source: str = "API"
