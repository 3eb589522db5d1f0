"""Size limits of the engine package (issue 11): they keep the stages small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

SYNC = Path(__file__).resolve().parents[3] / "sync"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
MAX_ENGINE_LINES = 400


def _modules() -> list[Path]:
    return sorted(SYNC.rglob("*.py"))


def test_no_module_over_the_limit() -> None:
    too_long = {
        str(p.relative_to(SYNC)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not too_long, too_long


def test_engine_orchestrator_is_small() -> None:
    assert len((SYNC / "engine.py").read_text().splitlines()) < MAX_ENGINE_LINES


def test_no_function_over_the_limit() -> None:
    too_long = {}
    for p in _modules():
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    too_long[f"{p.relative_to(SYNC)}:{node.name}"] = n
    assert not too_long, too_long


def test_the_check_sees_a_long_function() -> None:
    """The walk counts what it should: a deliberately long function is caught."""
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 1))
    tree = ast.parse(f"def long() -> None:\n{body}\n")
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    assert (fn.end_lineno or 0) - fn.lineno + 1 > MAX_FUNCTION_LINES
