"""`hubforce scenarios run [PATHS] [--junit FILE] [--json] [--coverage] [--jobs N]` and
`hubforce scenarios coverage`. Registered by hubforce/cli.py through `register(subparsers)`."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from scenarios import id_table
from scenarios.coverage import render
from scenarios.loader import find_scenario_files
from scenarios.model import Result
from scenarios.runner import run_file

DEFAULT_ROOT = Path(__file__).parent


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("scenarios", help="run the scenario files and report behaviour coverage")
    sub = parser.add_subparsers(dest="scenarios_command", required=True)

    run = sub.add_parser("run", help="run scenario files (default: every scenario)")
    run.add_argument("paths", nargs="*", help="scenario files or folders (default: the scenarios folder)")
    run.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    run.add_argument("--json", action="store_true", help="print the results as JSON instead of text")
    run.add_argument("--coverage", action="store_true", help="then print the catalog coverage table")
    run.add_argument(
        "--jobs", "-j", type=int, default=None, help="parallel worker processes (default: CPU count, max 4)"
    )
    run.add_argument(
        "--slow", action="store_true", help="also run the slow (volume) scenarios found in folders"
    )
    run.set_defaults(func=cmd_run)

    cov = sub.add_parser("coverage", help="run every scenario and print the catalog coverage table")
    cov.add_argument("--jobs", "-j", type=int, default=None)
    cov.add_argument("--slow", action="store_true", help="also run the slow (volume) scenarios")
    cov.set_defaults(func=cmd_coverage, paths=[], junit=None, json=False, coverage=True)

    ids = sub.add_parser("ids", help="where each catalog ID lives: implementing functions, scenarios, tests")
    ids.add_argument("only", nargs="*", metavar="ID", help="only these IDs (default: every ID)")
    ids.add_argument("--write", action="store_true", help=f"write the whole table to {id_table.TABLE_PATH.name}")
    ids.set_defaults(func=cmd_ids)


class NoScenarios(Exception):
    """The paths hold no scenario file: running nothing must not look like a pass."""


# `slow: true` is a top-level key (schema.json), so a line of its own at column 0.
_SLOW = re.compile(r"^slow:\s*true\s*(#.*)?$", re.MULTILINE)


def scenario_files(paths: list[str], slow: bool = False) -> tuple[list[Path], int]:
    """The scenario files to run and how many slow ones in folders were left out. A file named
    explicitly always runs; in folders, slow (volume) scenarios run only with `slow`."""
    roots = [Path(p) for p in paths] or [DEFAULT_ROOT]
    files: list[Path] = []
    skipped = 0
    for root in roots:
        found = find_scenario_files([root])
        if root.is_dir() and not slow:
            fast = [f for f in found if not _SLOW.search(f.read_text(encoding="utf-8", errors="replace"))]
            skipped += len(found) - len(fast)
            found = fast
        files += found
    if not files and not skipped:
        raise NoScenarios(f"no scenario files (*.scenario.yaml) in {', '.join(map(str, roots))}")
    return files, skipped


def run_files(files: list[Path], jobs: int | None) -> list[Result]:
    jobs = jobs if jobs is not None else min(4, os.cpu_count() or 1)
    if jobs <= 1 or len(files) < 4:
        return [run_file(f) for f in files]
    # Processes, not threads: the in-process transport patches `requests` for the whole process.
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run_file, files, chunksize=1))


def cmd_run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        files, skipped = scenario_files(args.paths, getattr(args, "slow", False))
    except FileNotFoundError as exc:
        print(f"hubforce scenarios: {exc}", file=sys.stderr)
        return 2
    except NoScenarios as exc:
        print(f"hubforce scenarios: {exc}", file=sys.stderr)
        return 1
    results = run_files(files, args.jobs)
    wall = time.perf_counter() - started
    if args.junit:
        write_junit(results, Path(args.junit), wall)
    if args.json:
        print(json.dumps(to_json(results, wall), indent=2))
    else:
        print(render_text(results, wall))
        if skipped:
            print(f"{skipped} slow (volume) scenario(s) not run; --slow runs them (make test always does)")
        if args.coverage:
            print()
            print(render(results))
            print(f"Wall time: {wall:.2f} s for {len(results)} scenarios")
    return 0 if results and all(r.passed for r in results) else 1


def cmd_coverage(args: argparse.Namespace) -> int:
    return cmd_run(args)


def render_text(results: list[Result], wall: float) -> str:
    lines = []
    for r in results:
        lines.append(
            f"{'PASS' if r.passed else 'FAIL'}  {r.scenario_id:<48} {r.seconds * 1000:7.0f} ms  {r.path}"
        )
    failed = [r for r in results if not r.passed]
    for r in failed:
        lines += ["", r.report()]
    lines += ["", f"{len(results) - len(failed)} passed, {len(failed)} failed in {wall:.2f} s"]
    return "\n".join(lines)


def to_json(results: list[Result], wall: float) -> dict[str, Any]:
    return {
        "wall_seconds": round(wall, 3),
        "passed": sum(1 for r in results if r.passed),
        "failed": sum(1 for r in results if not r.passed),
        "results": [
            {
                "id": r.scenario_id,
                "path": str(r.path),
                "covers": r.covers,
                "passed": r.passed,
                "seconds": round(r.seconds, 4),
                "error": r.error,
                "mismatches": [
                    {
                        "step": m.expectation.name,
                        "index": m.expectation.index,
                        "line": m.expectation.line,
                        "record": m.record,
                        "field": m.field,
                        "message": m.message,
                        "expected": _plain(m.expected),
                        "actual": _plain(m.actual),
                    }
                    for m in r.mismatches
                ],
                "journal_tail": r.journal_tail if not r.passed else [],
            }
            for r in results
        ],
    }


def _plain(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return repr(value)


def write_junit(results: list[Result], path: Path, wall: float) -> None:
    suite = ET.Element(
        "testsuite",
        name="hubforce-scenarios",
        tests=str(len(results)),
        failures=str(sum(1 for r in results if not r.passed and not r.error)),
        errors=str(sum(1 for r in results if r.error)),
        time=f"{wall:.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"scenarios.{r.path.parent.name}",
            name=r.scenario_id,
            file=str(r.path),
            time=f"{r.seconds:.3f}",
        )
        if not r.passed:
            tag = "error" if r.error else "failure"
            first = (r.error or (r.mismatches[0].describe() if r.mismatches else "failed")).splitlines()[0]
            ET.SubElement(case, tag, message=first[:500]).text = r.report()
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def cmd_ids(args: argparse.Namespace) -> int:
    table = id_table.collect()
    unknown = id_table.unknown_ids(table)
    if unknown:
        print(f"hubforce scenarios ids: marked but not in the catalog: {', '.join(unknown)}", file=sys.stderr)
        return 1
    wanted = [cid.upper() for cid in args.only]
    missing = [cid for cid in wanted if cid not in table]
    if missing:
        print(f"hubforce scenarios ids: no such catalog ID: {', '.join(missing)}", file=sys.stderr)
        return 1
    text = id_table.render(table, wanted or None)
    if args.write:
        id_table.TABLE_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {id_table.TABLE_PATH}")
    else:
        print(text, end="")
    return 0
