"""The pytest plugin collects scenario files as items; the CLI reports, writes JUnit and JSON.
Bad files fail with `file:line: problem`, never a traceback."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from scenarios import cli

pytest_plugins = ["pytester"]

BAD = """\
id: bad-one
title: A bad scenario
covers: [INC-2]
sources: [S-INC]
when:
  - clock.advance: 15 parsecs
then:
  - nothing_synced: true
"""

GOOD = """\
id: good-one
title: Time passes and a sync cycle with nothing to do writes nothing
covers: [TRG-1]
sources: [S-TRG]
when:
  - clock.advance: 15m
  - mark: later
  - sync.run:
then:
  - nothing_synced: true
  - api_calls: {system: salesforce, since: later, method: [POST, PATCH, DELETE], count: 0}
  - api_calls: {system: hubspot, since: later, path: /search$, at_least: 1}
"""


def test_plugin_collects_scenarios_as_items_and_reports_bad_files(pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenario.yaml", bad=BAD, good=GOOD)
    # A subprocess: an in-process run would unload the modules it imported (SQLAlchemy among them).
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "-rA", "--import-mode=importlib")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "bad.scenario.yaml:6: when[1].clock.advance: '15 parsecs' is not valid here" in out
    assert "Traceback" not in out


def test_plugin_selects_by_catalog_id(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".scenario.yaml", good=GOOD, other=GOOD.replace("good-one", "other-one").replace("TRG-1", "TRG-4")
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-q", "-k", "TRG-4", "--import-mode=importlib"
    )
    result.assert_outcomes(passed=1, deselected=1)


def _args(**kw: object) -> argparse.Namespace:
    base = {"paths": [], "junit": None, "json": False, "coverage": False, "jobs": 1}
    base.update(kw)
    return argparse.Namespace(**base)


def test_cli_run_writes_junit_and_json_and_fails_on_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.scenario.yaml").write_text(BAD, encoding="utf-8")
    (tmp_path / "good.scenario.yaml").write_text(GOOD, encoding="utf-8")
    junit = tmp_path / "out" / "junit.xml"
    code = cli.cmd_run(_args(paths=[str(tmp_path)], junit=str(junit), json=True))
    assert code == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["passed"], data["failed"]) == (1, 1)
    bad = next(r for r in data["results"] if not r["passed"])
    assert "bad.scenario.yaml:6:" in bad["error"]
    suite = ET.parse(junit).getroot()
    assert suite.get("tests") == "2" and suite.get("errors") == "1"
    assert {c.get("name") for c in suite.iter("testcase")} == {"bad.scenario.yaml", "good-one"}


def test_cli_text_report_with_coverage_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.scenario.yaml").write_text(GOOD, encoding="utf-8")
    code = cli.cmd_run(_args(paths=[str(tmp_path / "good.scenario.yaml")], coverage=True))
    out = capsys.readouterr().out
    assert code == 0
    assert "PASS  good-one" in out
    assert "Behaviour coverage" in out and "TRG-1" in out and "good-one [pass]" in out
    assert "Not modelled (with the reason):" in out and "Wall time:" in out


def test_cli_missing_path_is_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.cmd_run(_args(paths=[str(tmp_path / "nope")])) == 2
    assert "no such scenario file or folder" in capsys.readouterr().err


def test_cli_run_on_a_folder_without_scenarios_says_so_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.yaml").write_text("not: a scenario\n", encoding="utf-8")
    code = cli.cmd_run(_args(paths=[str(tmp_path)]))
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip() == f"hubforce scenarios: no scenario files (*.scenario.yaml) in {tmp_path}"


def test_cli_skips_slow_scenarios_in_folders_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.scenario.yaml").write_text(GOOD, encoding="utf-8")
    slow = GOOD.replace("good-one", "slow-one").replace("covers:", "slow: true\ncovers:")
    (tmp_path / "slow.scenario.yaml").write_text(slow, encoding="utf-8")
    assert cli.cmd_run(_args(paths=[str(tmp_path)])) == 0
    out = capsys.readouterr().out
    assert "PASS  good-one" in out and "slow-one" not in out
    assert "1 slow (volume) scenario(s) not run; --slow runs them" in out
    assert cli.cmd_run(_args(paths=[str(tmp_path)], slow=True)) == 0
    assert "PASS  slow-one" in capsys.readouterr().out
    assert cli.cmd_run(_args(paths=[str(tmp_path / "slow.scenario.yaml")])) == 0  # named: it runs
    assert "PASS  slow-one" in capsys.readouterr().out
