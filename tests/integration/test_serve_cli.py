"""`hubforce serve`: the wall clock by default, `--virtual-clock [START]`, one-line errors with a
non-zero exit, and `--help` naming every flag (issue 13)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from hubforce.cli import build_parser
from hubforce.serve import SERVED_BULK_SECONDS_PER_1000, SERVED_SEARCH_LAG_SECONDS, build_sandbox
from simulator import Sandbox
from simulator.core.clock import DEFAULT_VIRTUAL_START

HUBFORCE = [sys.executable, "-m", "hubforce"]


def _args(*argv: str) -> object:
    return build_parser().parse_args(["serve", *argv])


def test_wall_clock_by_default_virtual_on_request() -> None:
    # An engine pointed at the served fakes asks "changed in the last 15 minutes" with its own
    # clock: the served sandbox must be on real time unless told otherwise.
    sb = build_sandbox(_args())
    assert not sb.clock.virtual and abs(sb.clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    assert sb.settings["hubspot"]["search_lag_seconds"] == SERVED_SEARCH_LAG_SECONDS > 0
    assert sb.settings["hubspot"]["webhook_delivery"] == "timer"
    assert sb.settings["salesforce"]["bulk_seconds_per_1000_rows"] == SERVED_BULK_SECONDS_PER_1000 > 0
    sb.reset(seed=9)  # a control-API reset with a new seed keeps the served defaults
    assert sb.settings["hubspot"]["webhook_delivery"] == "timer" and sb.settings["hubspot"]["search_lag_seconds"] > 0
    sb = build_sandbox(_args("--virtual-clock"))
    assert sb.clock.virtual and sb.clock.now() == DEFAULT_VIRTUAL_START
    sb = build_sandbox(_args("--virtual-clock", "2025-03-01T12:00:00Z", "--search-lag", "0"))
    assert sb.clock.now() == datetime(2025, 3, 1, 12, tzinfo=UTC) and sb.settings["hubspot"]["search_lag_seconds"] == 0


def test_a_snapshot_does_not_freeze_a_wall_clock_serve(tmp_path: Path) -> None:
    path = Sandbox(seed=3).save_snapshot(tmp_path / "snap.json")  # saved with a virtual clock
    sb = build_sandbox(_args("--snapshot", str(path), "--search-lag", "7"))
    assert not sb.clock.virtual
    assert sb.settings["hubspot"]["search_lag_seconds"] == 7  # the snapshot's in-process settings do not win


def _port_in_use() -> tuple[socket.socket, int]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s, int(s.getsockname()[1])


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HUBFORCE, "serve", *argv], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "argv, needle",
    [
        (("--bogus",), "unrecognized arguments: --bogus"),
        (("--hubspot-port", "99999"), "port 99999 is out of range"),
        (("--hubspot-port", "abc"), "not a port number"),
        (("--threads", "0"), "must be at least 1"),
        (("--virtual-clock", "yesterday"), "not an instant"),
        (("--search-lag", "-1"), "must not be negative"),
        (("--bulk-pace", "soon"), "not a number of seconds"),
        (("--virtual-clock", "--wall-clock"), "not allowed with argument"),
        (("--snapshot", "/nonexistent/snap.json"), "cannot read snapshot /nonexistent/snap.json"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(argv: tuple[str, ...], needle: str) -> None:
    done = _run("--hubspot-port", "0", "--salesforce-port", "0", *argv)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in done.stderr, done.stderr


def test_wrong_snapshot_file_and_port_in_use(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"hello": "world"}))
    for content, needle in ((json.dumps({"hello": "world"}), "not a Hubforce sandbox snapshot"), ("{not json", "cannot read snapshot")):
        wrong.write_text(content)
        done = _run("--hubspot-port", "0", "--salesforce-port", "0", "--snapshot", str(wrong))
        assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and needle in done.stderr, done.stderr
    holder, port = _port_in_use()
    with holder:
        done = _run("--hubspot-port", "0", "--salesforce-port", str(port))
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert f"port {port}: address already in use" in done.stderr and "Traceback" not in done.stderr


def test_help_documents_every_flag() -> None:
    done = subprocess.run([*HUBFORCE, "serve", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    parser = build_parser()
    serve = parser._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    for action in serve._actions:
        for flag in action.option_strings:
            assert flag in done.stdout
        if action.option_strings and action.dest != "help":
            assert action.help and len(action.help) > 10, action.dest


def test_served_process_runs_on_the_wall_clock_and_advances_by_offset() -> None:
    proc = subprocess.Popen([*HUBFORCE, "serve", "--hubspot-port", "0", "--salesforce-port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ})
    try:
        assert proc.stdout is not None
        url = ""
        deadline = time.monotonic() + 30
        while not url and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "HubSpot fake" in line:
                url = line.split()[2]
        assert url.startswith("http://127.0.0.1:")
        clock = requests.get(f"{url}/_hubforce/clock", timeout=5).json()
        assert clock["mode"] == "wall"
        shown = datetime.fromisoformat(clock["now"].replace("Z", "+00:00"))
        assert abs(shown - datetime.now(UTC)) < timedelta(seconds=5)
        advanced = requests.post(f"{url}/_hubforce/clock/advance", json={"hours": 1}, timeout=5).json()
        assert advanced["mode"] == "wall"
        later = datetime.fromisoformat(advanced["now"].replace("Z", "+00:00"))
        assert timedelta(minutes=59) < later - datetime.now(UTC) < timedelta(minutes=61)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
