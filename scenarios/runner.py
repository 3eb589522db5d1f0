"""Run scenarios: `given` (fresh sandbox, records, lists, the integration installed), `when`
(steps in order; the first step that cannot run stops the scenario and is named), `then` (every
expectation checked, all mismatches reported together), with the recent request journal on failure.

    from scenarios.runner import run_file, run_paths
    result = run_file("scenarios/seed_article/inclusion-list-only-active-lists.scenario.yaml")
    print(result.passed, result.report())
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scenarios import compare, expectations, steps, volume
from scenarios.fakes import FakeApiError
from scenarios.loader import ScenarioFileError, find_scenario_files, load_file
from scenarios.model import Mismatch, Result, Scenario
from scenarios.world import INSTALL_DELAY_SECONDS, StepError, World
from scenarios.yamlmarks import line_of

JOURNAL_TAIL = 15
# Each step happens a second after the one before (people and systems take time), so no two
# changes share a timestamp on the frozen virtual clock: a sync engine may rightly treat
# "same record, same lastmodifieddate" as a change it has already seen.
STEP_SECONDS = 1
TIMELESS_STEPS = frozenset({"clock.advance", "check", "mark"})
SETTLE_CYCLES = 3
POLL_SECONDS = 15 * 60


def run_file(path: str | Path) -> Result:
    try:
        scenario = load_file(path)
    except ScenarioFileError as exc:
        return Result(
            scenario_id=Path(path).name, path=Path(path), covers=[], passed=False, seconds=0.0, error=str(exc)
        )
    return run_scenario(scenario)


def run_paths(paths: Iterable[str | Path]) -> list[Result]:
    return [run_file(p) for p in find_scenario_files(paths)]


def run_scenario(scenario: Scenario) -> Result:
    started = time.perf_counter()
    result = Result(
        scenario_id=scenario.id,
        path=scenario.path,
        covers=scenario.covers,
        passed=False,
        seconds=0.0,
        title=scenario.title,
    )
    # `same_as_without` compares with a second run, which needs the sandbox this one is using.
    deferred = [e for e in scenario.then if e.name == compare.NAME]
    final: compare.State | None = None
    try:
        world = World.open(scenario.seed)
    except Exception as exc:  # the fakes themselves cannot start: say so, with where it broke
        result.error = f"the sandbox could not start: {_crash(exc)}"
        result.seconds = time.perf_counter() - started
        return result
    try:
        result.error = _play(world, scenario)
        if result.error is not None:
            return _finish(world, result, started)
        for e in scenario.then:
            if e.name == compare.NAME:
                continue
            try:
                result.mismatches.extend(expectations.check(world, e))
            except Exception as exc:
                result.mismatches.append(Mismatch(e, f"crashed while checking: {_crash(exc)}"))
        _finish(world, result, started)
        if deferred:
            final = compare.final_state(world)
        return result
    finally:
        world.close()
        if final is not None:
            for e in deferred:
                result.mismatches.extend(compare.compare(scenario, e, final, _replay))
            result.passed = result.error is None and not result.mismatches
            result.seconds = time.perf_counter() - started


def _play(world: World, scenario: Scenario) -> str | None:
    """`given`, then the `when` steps in order; the first that cannot run stops it (its text)."""
    try:
        _given(world, scenario)
    except (StepError, ValueError, FakeApiError) as exc:
        return str(exc) if str(exc).startswith("given") else f"given: {exc}"
    except Exception as exc:
        return f"given (line {scenario.given_line}) crashed: {_crash(exc)}"
    world.marks["_when"] = world.fakes.journal_last_seq()
    for s in scenario.when:
        try:
            if s.name not in TIMELESS_STEPS:
                world.fakes.advance_clock(STEP_SECONDS)
            steps.run_step(world, s)
        except (StepError, ValueError, FakeApiError) as exc:
            return f"when[{s.index}] {s.name} (line {s.line}) could not run: {exc}"
        except Exception as exc:  # an engine or fake bug: name the step, keep the innermost frames
            return f"when[{s.index}] {s.name} (line {s.line}) crashed: {_crash(exc)}"
    return None


def _replay(scenario: Scenario) -> tuple[compare.State | None, str | None]:
    """Play a variant of a scenario in a fresh world and return its final state."""
    world = World.open(scenario.seed)
    try:
        problem = _play(world, scenario)
        return (None, problem) if problem else (compare.final_state(world), None)
    finally:
        world.close()


def _finish(world: World, result: Result, started: float) -> Result:
    result.mismatches[:0] = world.mismatches  # from `check` steps, in order, before `then`'s
    result.passed = result.error is None and not result.mismatches
    if not result.passed:
        try:
            result.journal_tail = world.fakes.journal()[-JOURNAL_TAIL:]
        except Exception as exc:  # the journal is a diagnostic; never hide the real failure behind it
            result.journal_tail = [
                {"seq": "?", "service": "journal", "method": "", "path": f"unavailable: {exc}", "status": ""}
            ]
    result.seconds = time.perf_counter() - started
    return result


def _given(world: World, scenario: Scenario) -> None:
    """Lists first (the engine checks its inclusion list when installed), then either install and
    create the records (before_records: they are new, so they trigger syncs) or create the records
    and install a minute later (after_records: they are existing records, TRG-15)."""
    given: dict[str, Any] = scenario.given
    raw = scenario.raw
    if given.get("sandbox"):
        with _at(raw, ["given", "sandbox"]):
            world.fakes.control("PATCH", "/settings", json=dict(given["sandbox"]))
    lists = [dict(lst) for lst in given.get("lists") or []]
    for i, lst in enumerate(lists):
        with _at(raw, ["given", "lists", i]):
            steps.create_list(world, {k: v for k, v in lst.items() if k != "members"})
    settings = dict(given.get("settings") or {})
    if given.get("integration_installed", "before_records") == "before_records":
        with _at(raw, ["given", "settings"]):
            world.install_engine(settings, webhooks=bool(given.get("webhooks")))
        world.fakes.advance_clock(INSTALL_DELAY_SECONDS)
        _given_records(world, scenario, lists)
    else:
        _given_records(world, scenario, lists)
        world.fakes.advance_clock(INSTALL_DELAY_SECONDS)
        with _at(raw, ["given", "settings"]):
            world.install_engine(settings, webhooks=bool(given.get("webhooks")))
    if given.get("initial_sync"):
        with _at(raw, ["given", "initial_sync"]):
            _settle(world)
    if _mentions(scenario.raw, "unchanged"):
        world.snapshot_handles()  # only `unchanged` needs it, and it costs a read per record


def _settle(world: World) -> None:
    """`initial_sync`: sync, then let the next 15-minute checks pick up the echoes of that sync
    (e.g. the owner Salesforce assigned to a new lead) until a cycle writes nothing, so `when`
    starts from linked, settled records."""
    for _ in range(SETTLE_CYCLES):
        report = world.engine_call(world.engine.run_cycle)
        if not getattr(report, "writes", 0):
            return
        world.fakes.advance_clock(POLL_SECONDS)


def _given_records(world: World, scenario: Scenario, lists: list[dict[str, Any]]) -> None:
    given, raw = scenario.given, scenario.raw
    for i, c in enumerate((given.get("hubspot") or {}).get("contacts") or []):
        with _at(raw, ["given", "hubspot", "contacts", i]):
            steps.create_hubspot_contact(world, dict(c))
    sf = given.get("salesforce") or {}
    for kind, sobject in (("records", None), ("leads", "Lead"), ("contacts", "Contact")):
        for i, r in enumerate(sf.get(kind) or []):
            with _at(raw, ["given", "salesforce", kind, i]):
                steps.create_salesforce_record(world, sobject or r["sobject"], dict(r))
    for i, spec in enumerate(given.get("generate") or []):
        with _at(raw, ["given", "generate", i]):
            volume.generate(world, dict(spec))
    for i, lst in enumerate(lists):
        members = [world.handle(m, "hubspot").id for m in lst.get("members") or []]
        if members:
            with _at(raw, ["given", "lists", i, "members"]):
                world.fakes.hs_list_membership_change(lst["name"], members, add=True)


def _mentions(node: Any, word: str) -> bool:
    if isinstance(node, dict):
        return any(_mentions(v, word) for v in node.values())
    if isinstance(node, list):
        return any(_mentions(v, word) for v in node)
    return node == word


@contextmanager
def _at(raw: Any, path: list[str | int]) -> Iterator[None]:
    """Name the `given` entry (and its line) in any problem it causes."""
    try:
        yield
    except (StepError, ValueError, FakeApiError) as exc:
        where = ".".join(f"[{p + 1}]" if isinstance(p, int) else p for p in path).replace(".[", "[")
        raise StepError(f"{where} (line {line_of(raw, path)}): {exc}") from None


def _crash(exc: BaseException, frames: int = 4) -> str:
    tb = traceback.extract_tb(exc.__traceback__)[-frames:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(tb))
    return f"{type(exc).__name__}: {exc} [at {where}]"
