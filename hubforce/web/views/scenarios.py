"""Scenarios: every scenario file with its last result (this server's runs), one run on demand
with its steps marked passed / failed / not run and each failing check's expected vs actual.
Uses only the public runner and loader; a scenario runs in its own fresh sandbox, never the
served one."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

import scenarios
from hubforce.web import ui
from scenarios.loader import ScenarioFileError, find_scenario_files, load_file
from scenarios.model import Result, Scenario
from scenarios.runner import run_file

bp = Blueprint("scenarios", __name__, url_prefix="/scenarios")
# One run at a time: a run routes `requests` to its own in-process sandbox while it lasts.
RUN_LOCK = threading.Lock()
ROOT = Path(scenarios.__file__).resolve().parent


def _files() -> list[Path]:
    return find_scenario_files([ROOT])


def _rel(path: Path) -> str:
    return path.resolve().relative_to(ROOT).as_posix()


def _file(rel: str) -> Path:
    """Only a scenario file the listing offers, never an arbitrary path."""
    for path in _files():
        if _rel(path) == rel:
            return path
    abort(404)


@bp.get("/")
def index() -> str:
    results = ui().scenario_results
    rows = [{"rel": _rel(p), "result": results.get(_rel(p))} for p in _files()]
    return render_template("scenarios.html", rows=rows)


@bp.post("/run")
def run() -> Any:
    rel = request.form.get("file", "")
    path = _file(rel)
    with RUN_LOCK:
        ui().scenario_results[rel] = run_file(path)
    return redirect(url_for("scenarios.show", file=rel))


def step_rows(scenario: Scenario, result: Result | None) -> list[dict[str, Any]]:
    """Each `when` step and `then` expectation with passed / failed / not run, and the mismatches
    that belong to it (a `check` step's own expectations carry block 'when[i] check')."""
    rows: list[dict[str, Any]] = []
    stopped_at = None
    if result and result.error and result.error.startswith("when["):
        stopped_at = int(result.error[5:result.error.index("]")])
    given_failed = bool(result and result.error and result.error.startswith("given"))
    for block, items in (("when", scenario.when), ("then", scenario.then)):
        for s in items:
            mine = [m for m in (result.mismatches if result else [])
                    if (m.expectation.block == "then" and block == "then" and m.expectation.index == s.index)
                    or (block == "when" and m.expectation.block.startswith(f"when[{s.index}]"))]
            if result is None:
                state = "not run yet"
            elif given_failed or (stopped_at is not None and (block == "then" or s.index > stopped_at)):
                state = "not run"
            elif block == "when" and s.index == stopped_at:
                state = "failed"
            else:
                state = "failed" if mine else "passed"
            rows.append({"block": block, "index": s.index, "name": s.name, "args": s.args, "line": s.line,
                         "state": state, "mismatches": mine})
    return rows


@bp.get("/show")
def show() -> str:
    rel = request.args.get("file", "")
    path = _file(rel)
    result = ui().scenario_results.get(rel)
    try:
        scenario = load_file(path)
    except ScenarioFileError as exc:
        return render_template("scenario.html", rel=rel, scenario=None, load_error=str(exc), result=result, rows=[])
    return render_template("scenario.html", rel=rel, scenario=scenario, load_error=None, result=result,
                           rows=step_rows(scenario, result))
