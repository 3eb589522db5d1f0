"""The web UI keeps to the sync engine's public API: no private engine attribute, no state store."""

from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[3] / "hubforce" / "web"


def test_no_private_engine_attribute_or_store() -> None:
    offending = []
    for path in WEB.rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"\bengine\._|\.store\b|\bStateStore\b", line):
                offending.append(f"{path.name}:{n}: {line.strip()}")
    assert offending == []
