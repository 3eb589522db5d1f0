"""The layering contracts in pyproject.toml ([tool.importlinter], run by `make test`) catch a wrong
import: the same contracts, checked against a throwaway tree where the engine imports the fakes or
Flask, must fail and name the contract; against the real tree they hold."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("sync", "simulator", "scenarios", "hubforce", "bench")


def _lint(cwd: Path, pythonpath: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    only = [arg for c in contracts for arg in ("--contract", c)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *only, str(ROOT / "pyproject.toml")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _tree(tmp_path: Path, sync_init: str, simulator_init: str = "") -> Path:
    """Empty root packages, as import-linter needs them all, with the given package bodies."""
    for name in PACKAGES:
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / "sync" / "__init__.py").write_text(sync_init)
    (tmp_path / "simulator" / "__init__.py").write_text(simulator_init)
    return tmp_path


CASES = [
    ("import simulator\n", "", "engine-alone"),
    ("def later():\n    from scenarios import x\n", "", "engine-alone"),
    ("import flask\n", "", "engine-without-sandbox"),
    ("", "from sync import engine\n", "fakes-alone"),
]


@pytest.mark.parametrize(("sync_init", "simulator_init", "contract"), CASES)
def test_a_wrong_import_breaks_its_contract(
    tmp_path: Path, sync_init: str, simulator_init: str, contract: str
) -> None:
    assert LINT_IMPORTS.exists(), f"{LINT_IMPORTS} missing: install the test extra (make test does)"
    clean = _lint(_tree(tmp_path / "clean", "", ""), tmp_path / "clean", contract)
    assert clean.returncode == 0, clean.stdout + clean.stderr  # the probe tree itself is fine...
    wrong = _lint(_tree(tmp_path / "wrong", sync_init, simulator_init), tmp_path / "wrong", contract)
    out = wrong.stdout + wrong.stderr
    assert wrong.returncode != 0, out  # ...until the one wrong import is added
    assert "BROKEN" in out and "1 broken" in out, out


def test_the_real_tree_keeps_every_contract() -> None:
    done = _lint(ROOT, ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
