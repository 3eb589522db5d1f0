"""What one engine operation did: the report the CLI, UI and tests read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CycleReport:
    captured_hubspot: int = 0
    captured_salesforce: int = 0
    list_joins: int = 0
    list_leaves: int = 0
    processed: int = 0
    skipped: int = 0
    created_in_salesforce: int = 0
    created_in_hubspot: int = 0
    linked_existing: int = 0
    updated_in_salesforce: int = 0
    updated_in_hubspot: int = 0
    deleted_in_hubspot: int = 0
    errors: int = 0
    api_calls: dict[str, int] = field(default_factory=lambda: {"hubspot": 0, "salesforce": 0})
    stopped: str | None = None  # why the cycle stopped early (suspension, daily limit, allocation...)
    warnings: list[str] = field(default_factory=list)  # one line each: allowed but worth fixing (DEAL-1)
    kind: str = "cycle"  # "cycle" (poll tick: capture + queue) or "drain" (queue only: webhook changes)

    @property
    def reads(self) -> int:
        return self.captured_hubspot + self.captured_salesforce

    @property
    def writes(self) -> int:
        return (
            self.created_in_salesforce
            + self.created_in_hubspot
            + self.updated_in_salesforce
            + self.updated_in_hubspot
            + self.deleted_in_hubspot
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(reads=self.reads, writes=self.writes)
        return d
