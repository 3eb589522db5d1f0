"""`pip install hubforce` (no extras) runs the engine: every sync module imports, and `hubforce sync`
works, in a process where the sandbox extra's packages cannot be imported at all; the sandbox
commands say in one line what to install. The declared dependencies agree."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from hubforce.cli import SANDBOX_PACKAGES

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_ONLY = sorted(SANDBOX_PACKAGES)  # one list: what the CLI treats as "the sandbox extra"

# Runs in a fresh interpreter: a finder placed first refuses every sandbox package, as if absent.
PROBE = """
import importlib, pkgutil, sys
BLOCKED = set(sys.argv[1].split(","))

class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Absent())
import sync
for mod in pkgutil.walk_packages(sync.__path__, "sync."):
    importlib.import_module(mod.name)
from hubforce.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(SANDBOX_ONLY), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_engine_commands_need_no_sandbox_package() -> None:
    done = _run("sync", "status", "--help")
    assert done.returncode == 0, done.stderr
    assert "--config" in done.stdout
    assert "Traceback" not in done.stderr


def test_a_sandbox_command_says_what_to_install() -> None:
    for command in ("serve", "scenarios"):
        done = _run(command, "run")
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "pip install 'hubforce[sandbox]'" in lines[0], done.stderr


def test_the_blocker_really_blocks() -> None:
    # the probe would prove nothing if a blocked package could still be imported
    done = subprocess.run(
        [sys.executable, "-c", PROBE.replace("import sync", "import flask"), "flask"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "No module named 'flask'" in done.stderr


def test_declared_dependencies_leave_the_sandbox_to_extras() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {dep.split(">")[0].split("=")[0].split("[")[0].strip().lower() for dep in project["dependencies"]}
    assert core.isdisjoint(SANDBOX_ONLY), core & set(SANDBOX_ONLY)
    extras = project["optional-dependencies"]
    sandbox = {dep.split(">")[0].strip().lower() for dep in extras["sandbox"]}
    assert set(SANDBOX_ONLY) - {"werkzeug", "hypothesis"} <= sandbox
    assert any(dep.startswith("hypothesis") for dep in extras["testing"])
