"""STUB — the Salesforce fake's backend (store); to be replaced by its owner."""

from __future__ import annotations

from typing import Any


class SalesforceBackend:
    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    def dump(self) -> dict[str, Any]:
        return {}

    def load(self, data: dict[str, Any]) -> None:
        pass
