"""STUB — to be replaced by its owner."""

from __future__ import annotations

from typing import Any


class OwnerStore:
    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def dump(self) -> dict[str, Any]:
        return {}

    def load(self, data: dict[str, Any]) -> None:
        pass
