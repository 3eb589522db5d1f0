"""Scenario files: valid ones load with line numbers; bad ones give `file:line: problem`."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from scenarios.expectations import EXPECTATIONS
from scenarios.loader import (
    ScenarioFileError,
    expectation_names,
    find_scenario_files,
    load_file,
    load_text,
    schema,
    step_names,
)
from scenarios.steps import STEPS

SCENARIOS_ROOT = Path(__file__).resolve().parents[3] / "scenarios"

HEADER = """\
id: example
title: An example scenario
covers: [INC-7]
sources: [S-INC]
"""


def load(body: str, tmp_path: Path) -> object:
    path = tmp_path / "x.scenario.yaml"
    path.write_text(HEADER + dedent(body), encoding="utf-8")
    return load_file(path)


def problems(body: str, tmp_path: Path) -> str:
    with pytest.raises(ScenarioFileError) as info:
        load(body, tmp_path)
    return str(info.value)


def test_valid_file_loads_with_steps_lines_and_defaults(tmp_path: Path) -> None:
    sc = load(
        """\
        assumption: [A1, A7]
        given:
          hubspot:
            contacts:
              - {as: ada, properties: {email: ada@example.com}}
        when:
          - hubspot.update_contact: {ref: ada, properties: {firstname: Ada}}
          - clock.advance: 15m
          - sync.run:
        then:
          - hubspot.contact: {ref: ada, properties: {firstname: Ada}}
        """,
        tmp_path,
    )
    assert [s.name for s in sc.when] == ["hubspot.update_contact", "clock.advance", "sync.run"]  # type: ignore[attr-defined]
    assert [s.line for s in sc.when] == [11, 12, 13]  # type: ignore[attr-defined]
    assert sc.when[2].args is None  # type: ignore[attr-defined]
    assert sc.then[0].line == 15 and sc.then[0].index == 1  # type: ignore[attr-defined]
    assert sc.seed == 1234 and sc.assumption == ["A1", "A7"]  # type: ignore[attr-defined]


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    msg = problems(
        """\
        when:
          - sync.run: {cycles: 1
        then: []
        """,
        tmp_path,
    )
    assert msg.startswith(f"{tmp_path / 'x.scenario.yaml'}:")
    assert "not valid YAML" in msg
    assert "Traceback" not in msg


def test_unknown_step_is_reported_with_line_and_suggestion(tmp_path: Path) -> None:
    msg = problems(
        """\
        when:
          - sync.runn: {}
        then:
          - nothing_synced: true
        """,
        tmp_path,
    )
    assert "x.scenario.yaml:6: when[1]: unknown step 'sync.runn' — did you mean 'sync.run'?" in msg


def test_unknown_expectation_and_unknown_key(tmp_path: Path) -> None:
    msg = problems(
        """\
        when:
          - salesforce.create: {sobject: Lead, fields: {LastName: X}, colour: red}
        then:
          - hubspot.contactt: {email: a@example.com}
        """,
        tmp_path,
    )
    assert ":6: when[1].salesforce.create: unknown key 'colour'" in msg
    assert ":8: then[1]: unknown expectation 'hubspot.contactt'" in msg


def test_all_problems_of_a_file_are_listed_in_line_order(tmp_path: Path) -> None:
    msg = problems(
        """\
        when:
          - clock.advance: 15 parsecs
          - hubspot.update_contact: {ref: ada, email: ada@example.com, properties: {}}
        then:
          - api_calls: {system: salesforce}
        """,
        tmp_path,
    )
    lines = msg.splitlines()
    assert len(lines) == 3
    assert ":6: when[1].clock.advance: '15 parsecs' is not valid here" in lines[0]
    assert ":7: when[2].hubspot.update_contact: give only one of ref, email, id (got ref, email)" in lines[1]
    assert ":9: then[1].api_calls: give at least one of count, at_most, at_least" in lines[2]


def test_missing_required_top_level_key(tmp_path: Path) -> None:
    path = tmp_path / "y.scenario.yaml"
    path.write_text(
        "id: y\ntitle: no covers here\nsources: [S-INC]\nwhen: []\nthen: [{nothing_synced: true}]\n"
    )
    with pytest.raises(ScenarioFileError) as info:
        load_file(path)
    assert str(info.value) == f"{path}:1: the file: missing required key 'covers'"


def test_reference_to_undefined_handle(tmp_path: Path) -> None:
    msg = problems(
        """\
        when:
          - salesforce.update: {ref: bob, fields: {Title: CTO}}
          - salesforce.create: {sobject: Lead, as: bob, fields: {LastName: B, Company: C}}
          - check:
              - link: {hubspot: zed}
        then:
          - salesforce.lead: {ref: bob}
        """,
        tmp_path,
    )
    assert ":6: when[1] salesforce.update: ref 'bob' names no record handle defined before it" in msg
    assert ":9:" in msg and "hubspot 'zed' names no record handle" in msg
    assert ":11:" not in msg  # bob is defined by then


def test_duplicate_key_and_duplicate_handle(tmp_path: Path) -> None:
    msg = problems(
        """\
        when:
          - hubspot.create_contact: {as: ada, properties: {email: a@example.com}, properties: {}}
        then:
          - nothing_synced: true
        """,
        tmp_path,
    )
    assert ":6: not valid YAML: duplicate key 'properties'" in msg
    msg = problems(
        """\
        given:
          hubspot:
            contacts:
              - {as: ada, properties: {email: a@example.com}}
        when:
          - hubspot.create_contact: {as: ada, properties: {email: b@example.com}}
        then:
          - nothing_synced: true
        """,
        tmp_path,
    )
    assert ":10: handle 'ada' is already defined on line 8" in msg


def test_wrong_type_is_said_in_words(tmp_path: Path) -> None:
    msg = problems(
        """\
        when: {sync.run: {}}
        then:
          - nothing_synced: true
        """,
        tmp_path,
    )
    assert ":5: when: expected a list, got a mapping" in msg


def test_not_a_mapping_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioFileError) as info:
        load_text("- just\n- a list\n", "z.scenario.yaml")
    assert str(info.value).startswith("z.scenario.yaml:1: a scenario file must be a mapping")
    with pytest.raises(ScenarioFileError) as info:
        load_file(tmp_path / "missing.scenario.yaml")
    assert "cannot read the file" in str(info.value)


def test_vocabulary_in_schema_matches_the_implementations() -> None:
    assert set(step_names()) == set(STEPS)
    assert set(expectation_names()) == set(EXPECTATIONS)


def test_every_committed_scenario_file_validates() -> None:
    files = find_scenario_files([SCENARIOS_ROOT])
    assert len(files) >= 10
    ids = [load_file(f).id for f in files]
    assert len(ids) == len(set(ids)), "scenario ids must be unique"


def test_seed_article_has_its_four_situations() -> None:
    names = sorted(p.name for p in (SCENARIOS_ROOT / "seed_article").glob("*.scenario.yaml"))
    assert names == [
        "choosing-a-list-does-not-sync.scenario.yaml",
        "inclusion-list-only-active-lists.scenario.yaml",
        "salesforce-auto-create-ignores-list-once.scenario.yaml",
        "salesforce-import-only-email-outside-list.scenario.yaml",
    ]


def test_readme_documents_every_step_and_expectation() -> None:
    readme = (SCENARIOS_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [n for n in [*step_names(), *expectation_names()] if f"`{n}`" not in readme]
    assert missing == []


def test_plain_scalars_are_read_as_yaml_1_2_not_1_1() -> None:
    """YAML 1.1 (PyYAML's default) reads `Country: NO` as false, which would then be written to
    Salesforce as "false"; scenario files are YAML 1.2, where only true/false are booleans."""
    from scenarios.yamlmarks import load_marked

    data = load_marked(
        "a: NO\nb: yes\nc: on\nd: Off\ne: 010\nf: 2026-01-05\ng: 1:30\nh: true\ni: FALSE\nj: ~\nk: 0o17\nl: 0x1f\nm: 1.5\n"
    )
    assert data == {
        "a": "NO",
        "b": "yes",
        "c": "on",
        "d": "Off",
        "e": 10,
        "f": "2026-01-05",
        "g": "1:30",
        "h": True,
        "i": False,
        "j": None,
        "k": 15,
        "l": 31,
        "m": 1.5,
    }
    scenario = load_text(
        "id: x\ntitle: Norway\ncovers: [RULE-12]\nsources: [S-LC]\n"
        "when:\n  - hubspot.create_contact: {as: n, properties: {email: n@example.com, country: NO}}\n"
        "then:\n  - hubspot.contact: {ref: n}\n",
        "n.scenario.yaml",
    )
    assert scenario.when[0].args["properties"]["country"] == "NO"


def test_readme_example_of_every_step_validates_and_uses_them_all() -> None:
    """The README's "by example" file is a valid scenario file and shows every step and check."""
    readme = (SCENARIOS_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- every-step-example -->\n```yaml\n", 1)[1].split("```", 1)[0]
    scenario = load_text(block, "README.md")
    used_steps: set[str] = set()
    used_checks: set[str] = set()
    for s in scenario.when:
        used_steps.add(s.name)
        if s.name == "check":
            used_checks.update(name for item in s.args for name in item)
        if s.name == "sync.during":
            used_steps.update(name for item in s.args["do"] for name in item)
    used_checks.update(e.name for e in scenario.then)
    assert sorted(set(step_names()) - used_steps) == []
    assert sorted(set(expectation_names()) - used_checks) == []
    assert set(scenario.given) == set(schema()["properties"]["given"]["properties"])


def test_a_ref_inside_sync_during_must_name_a_handle() -> None:
    text = HEADER + dedent(
        """\
        when:
          - sync.during:
              before: {system: salesforce, method: POST}
              do:
                - hubspot.update_contact: {ref: nobody, properties: {jobtitle: CTO}}
          - sync.run:
        then:
          - nothing_synced: true
        """
    )
    with pytest.raises(ScenarioFileError) as info:
        load_text(text, "d.scenario.yaml")
    assert "d.scenario.yaml:9: when[1] sync.during do[1] hubspot.update_contact: ref 'nobody' names no record handle" in str(info.value)
