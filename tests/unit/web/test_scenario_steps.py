"""The Scenarios page's step table (hubforce.web.views.scenarios.step_rows): a failing check is
marked on its own step with expected vs actual; a step that cannot run stops the rest."""

from __future__ import annotations

from pathlib import Path

from hubforce.web.views.scenarios import step_rows
from scenarios.loader import load_file
from scenarios.runner import run_file

ARTICLE = Path(__file__).resolve().parents[3] / "scenarios" / "seed_article" / "salesforce-auto-create-ignores-list-once.scenario.yaml"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = ARTICLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "variant.scenario.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_passing_scenario_marks_every_step_passed() -> None:
    rows = step_rows(load_file(ARTICLE), run_file(ARTICLE))
    assert rows and {r["state"] for r in rows} == {"passed"}
    assert [r["name"] for r in rows if r["block"] == "when"][:3] == ["salesforce.create", "clock.advance", "sync.run"]


def test_failing_check_is_marked_with_expected_and_actual(tmp_path: Path) -> None:
    path = _variant(tmp_path, "properties: {jobtitle: CEO}", "properties: {jobtitle: Boss}")
    result = run_file(path)
    assert not result.passed
    rows = step_rows(load_file(path), result)
    failed = [r for r in rows if r["state"] == "failed"]
    assert [(r["block"], r["name"]) for r in failed] == [("then", "hubspot.contact")]
    mismatch = failed[0]["mismatches"][0]
    assert (mismatch.expected, mismatch.actual) == ("Boss", "CEO")


def test_a_step_that_cannot_run_stops_the_rest(tmp_path: Path) -> None:
    path = _variant(tmp_path, "hubspot.update_contact: {email: ada@example.com, properties: {phone:",
                    "hubspot.update_contact: {email: nobody@example.com, properties: {phone:")
    result = run_file(path)
    rows = step_rows(load_file(path), result)
    states = {(r["block"], r["index"]): r["state"] for r in rows}
    stopped = next(k for k, v in states.items() if v == "failed")
    assert stopped[0] == "when"
    assert all(v == "not run" for (block, i), v in states.items() if block == "then" or i > stopped[1])
    assert all(v == "passed" for (block, i), v in states.items() if block == "when" and i < stopped[1])
