"""Steps that reach into the middle of an engine step, at the wire (scenarios/wiretap.py):

* `sync.during` — a person's edit that lands while the engine works: when the engine's request
  matching `before:` arrives, the `do:` steps run first (between the engine's read and its write,
  the race of INC-10), then the request goes on.
* `engine.stop` — the engine process stops at a named point of the next engine step and is
  restarted on the same state: `after_write` (its Nth write reached the fake and acted; the answer
  was never read) or `before_commit` (it wrote, then stopped as it was about to commit its state,
  so the state does not know). Both are armed for the next engine step only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scenarios.engine_adapter import EngineStopped
from scenarios.model import Step
from scenarios.steps import run_step, step
from scenarios.wiretap import Call
from scenarios.world import StepError, World

STOP_POINTS = ("after_write", "before_commit")


@dataclass
class RequestMatch:
    """Which engine request: `system`, `method`, `path` (regex), `body_contains` (text)."""

    system: str = "any"
    method: str | None = None
    path: re.Pattern[str] | None = None
    body_contains: str | None = None

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> RequestMatch:
        return cls(
            args.get("system", "any"),
            args["method"].upper() if args.get("method") else None,
            re.compile(args["path"]) if args.get("path") else None,
            args.get("body_contains"),
        )

    def matches(self, call: Call) -> bool:
        return (
            self.system in ("any", call.service)
            and (self.method is None or call.method == self.method)
            and (self.path is None or self.path.search(call.path) is not None)
            and (self.body_contains is None or self.body_contains.lower() in call.body.lower())
        )


@dataclass
class DuringHook:
    match: RequestMatch
    steps: list[Step]
    fired: bool = False
    failed: str | None = None

    def matches(self, call: Call) -> bool:
        return self.match.matches(call)

    def run(self, world: World) -> None:
        """Runs inside the engine's request: a step that fails is remembered and reported after
        the engine step, never raised into the engine (which could take it for a network error)."""
        self.fired = True
        for s in self.steps:
            try:
                world.fakes.advance_clock(1)  # a second apart, as the runner spaces `when` steps
                run_step(world, s)
            except Exception as exc:
                self.failed = f"sync.during: {s.block}[{s.index}] {s.name} (line {s.line}) could not run: {exc}"
                return


@dataclass
class StopPlan:
    at: str
    nth: int = 1
    writes: int = 0
    stopped: bool = False
    log: list[str] = field(default_factory=list)

    def saw_write(self) -> None:
        self.writes += 1
        if self.at == "after_write" and self.writes == self.nth:
            self._stop(f"after write #{self.nth}")

    def before_commit(self) -> None:
        if self.stopped or (self.at == "before_commit" and self.writes >= self.nth):
            self._stop(f"before the state commit that follows write #{self.nth}")

    def _stop(self, where: str) -> None:
        # Once stopped, every later commit of the dead process fails too (it never happens).
        self.stopped = True
        raise EngineStopped(f"engine stopped {where}")


@step("sync.during")
def _during(world: World, args: dict[str, Any]) -> None:
    items = args["do"]
    lines = getattr(items, "item_lines", None) or [0] * len(items)
    inner = []
    for i, item in enumerate(items):
        ((name, inner_args),) = item.items()
        inner.append(Step(name=name, args=inner_args, line=lines[i], index=i + 1, block="sync.during do"))
    world.request_hooks.append(DuringHook(RequestMatch.from_args(args["before"]), inner))
    world.pending_checks.append(_check_fired(world, world.request_hooks[-1], args))


def _check_fired(world: World, hook: DuringHook, args: dict[str, Any]) -> Any:
    def check() -> str | None:
        if hook.fired:
            return hook.failed
        return f"sync.during: the engine made no request matching {dict(args['before'])} in the next engine step"

    return check


@step("engine.stop")
def _stop(world: World, args: dict[str, Any]) -> None:
    at = args["at"]
    if at not in STOP_POINTS:
        raise StepError(f"engine.stop: at must be one of {', '.join(STOP_POINTS)}")
    plan = StopPlan(at, int(args.get("nth", 1)))
    world.stop_plan = plan

    def check() -> str | None:
        if plan.stopped:
            return None
        return f"engine.stop {at} #{plan.nth}: the next engine step never got there ({plan.writes} writes)"

    world.pending_checks.append(check)
