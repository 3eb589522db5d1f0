"""One engine per state database: the lock on SQLite (flock beside the file, also across processes)
and PostgreSQL (advisory lock per database and schema), and the CLI's one-line refusal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sync.state.lock import EngineBusy, engine_lock
from tests.unit.sync.minifake import SF
from tests.unit.sync.pgutil import postgres_schema_url
from tests.unit.sync.test_cli import fake, run  # noqa: F401 - the fixture is used by name

HOLD = """
import sys, time
from sync.state.lock import engine_lock
with engine_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


def test_sqlite_lock_excludes_a_second_holder_and_is_released(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    with engine_lock(url):
        with pytest.raises(EngineBusy, match="another sync engine is already running"), engine_lock(url):
            pass
        with engine_lock(f"sqlite:///{tmp_path}/other.db"):  # another database: no conflict
            pass
    with engine_lock(url):  # released
        pass


def test_sqlite_lock_holds_across_processes_and_dies_with_its_holder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(EngineBusy), engine_lock(url):
            pass
    finally:
        proc.kill()
        proc.wait()
    with engine_lock(url):  # a killed holder leaves no stale lock
        pass


def test_postgres_advisory_lock_per_schema() -> None:
    with postgres_schema_url() as url, postgres_schema_url() as other:
        with engine_lock(url):
            with pytest.raises(EngineBusy, match="schema hubforce_"), engine_lock(url):
                pass
            with engine_lock(other):  # another schema of the same database: another state database
                pass
        with engine_lock(url):
            pass


def test_cli_refuses_a_second_engine_with_one_line(
    fake: object,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "st.db"
    cfg = tmp_path / "sync.yaml"
    cfg.write_text(
        f"hubspot: {{token: t}}\nsalesforce: {{url: {SF}, session_id: s}}\nstate_url: sqlite:///{db}\n"
    )
    with engine_lock(f"sqlite:///{db}"):
        assert run(["run", "--config", str(cfg), "--once", "--quiet"]) == 7
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "another sync engine is already running" in err
        assert run(["resync-errors", "--config", str(cfg), "--quiet"]) == 7
    capsys.readouterr()
    assert run(["run", "--config", str(cfg), "--once", "--quiet"]) == 0
