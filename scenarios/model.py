"""Plain data for a loaded scenario and for the result of running it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Step:
    """One `when` step (or one `then` expectation): `name: args`, with its line in the file."""

    name: str
    args: Any
    line: int
    index: int  # 1-based position in its block
    block: str = "then"  # where it sits: "then", or "when[3] check" for a mid-scenario check


@dataclass
class Scenario:
    path: Path
    id: str
    title: str
    covers: list[str]
    sources: list[str]
    source: str | None
    assumption: list[str]
    seed: int
    given: dict[str, Any]
    when: list[Step]
    then: list[Step]
    line: int = 1
    given_line: int = 1
    slow: bool = False  # a volume scenario: `hubforce scenarios run` skips it unless asked
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Mismatch:
    """One failed expectation: where in the file, which record/field, expected vs actual."""

    expectation: Step
    message: str
    record: str | None = None
    field: str | None = None
    expected: Any = None
    actual: Any = None

    def describe(self) -> str:
        e = self.expectation
        where = f"{e.block}[{e.index}] {e.name} (line {e.line})"
        subject = " ".join(
            x
            for x in (
                f"record {self.record}" if self.record else "",
                f"field {self.field}" if self.field else "",
            )
            if x
        )
        text = f"{where}: {subject + ': ' if subject else ''}{self.message}"
        if self.expected is not None or self.actual is not None:
            text += f"\n      expected: {self.expected!r}\n      actual:   {self.actual!r}"
        return text


@dataclass
class Result:
    scenario_id: str
    path: Path
    covers: list[str]
    passed: bool
    seconds: float
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None  # a step that could not run (names the step) or a setup problem
    journal_tail: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""

    def report(self) -> str:
        title = f": {self.title}" if self.title else ""
        lines = [f"scenario {self.scenario_id} ({self.path}) FAILED{title}"]
        if self.error:
            lines.append("  " + self.error.replace("\n", "\n  "))
        for m in self.mismatches:
            lines.append("  " + m.describe().replace("\n", "\n  "))
        if self.journal_tail:
            lines.append(f"  last {len(self.journal_tail)} requests in the journal:")
            for e in self.journal_tail:
                fault = f"  [fault {e.get('fault')}]" if e.get("fault") else ""
                query = f"?{e['query']}" if e.get("query") else ""
                lines.append(
                    f"    #{e.get('seq')} {e.get('at', '')} {e.get('service')} {e.get('method')} "
                    f"{e.get('path')}{query[:80]} -> {e.get('status')}{fault}"
                )
        return "\n".join(lines)
