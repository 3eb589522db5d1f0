"""`count: 0` in a record check asks for no record (the review found it demanded one)."""

from __future__ import annotations

from typing import Any

from scenarios.expectations import _records_check
from scenarios.model import Step


def check(args: dict[str, Any], found: list[tuple[str, dict[str, Any]]]) -> list[str]:
    step = Step(name="hubspot.company", args=args, line=1, index=1)
    out = _records_check(None, step, args, "hubspot", "HubSpot company", found, "company Globex", {})  # type: ignore[arg-type]
    return [m.message for m in out]


def test_count_zero_passes_when_there_is_none_and_fails_when_there_is_one() -> None:
    assert check({"name": "Globex", "count": 0}, []) == []
    assert check({"name": "Globex", "count": 0}, [("7", {})]) == ["wrong number of HubSpot company records"]


def test_without_count_a_missing_record_still_fails() -> None:
    assert check({"name": "Globex"}, []) == ["expected a HubSpot company record, found none"]
