"""The record flowing through the stages: one pair of HubSpot/Salesforce records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sync.state.models import Link


@dataclass
class Pair:
    """One record being processed, with whatever we know of both sides."""

    trigger: str
    link: Link | None = None
    hs: dict[str, Any] | None = None
    sf: dict[str, Any] | None = None
    sf_object: str | None = None
    outcome: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    queue_ids: list[int] = field(default_factory=list)
    failed: bool = False
    # HubSpot values in Salesforce terms, per mapping key, for the `hs` record they were read from
    # (the create pass and the linked pass of one record would otherwise convert every field twice).
    hs_vals: dict[str, str | None] = field(default_factory=dict)
    hs_vals_of: dict[str, Any] | None = None

    @property
    def hs_id(self) -> str | None:
        return self.link.hs_id if self.link else (str(self.hs["id"]) if self.hs else None)

    @property
    def sf_id(self) -> str | None:
        return self.link.sf_id if self.link else (self.sf.get("Id") if self.sf else None)
