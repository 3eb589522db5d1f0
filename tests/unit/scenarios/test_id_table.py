"""BEHAVIOURS.md is generated: it must equal what the markings in the tree produce, every marked ID
must be a catalog ID, and each kind of marking is found where it is written."""

from __future__ import annotations

from pathlib import Path

from scenarios import id_table


def test_committed_table_is_fresh() -> None:
    fresh = id_table.render(id_table.collect())
    assert id_table.TABLE_PATH.read_text(encoding="utf-8") == fresh, (
        "BEHAVIOURS.md is stale: run `hubforce scenarios ids --write` and commit it"
    )


def test_every_marked_id_is_in_the_catalog() -> None:
    assert id_table.unknown_ids(id_table.collect()) == []


def test_each_marking_is_found(tmp_path: Path) -> None:
    (tmp_path / "sync" / "pipeline").mkdir(parents=True)
    (tmp_path / "sync" / "pipeline" / "gate.py").write_text(
        'def gate():\n    """Hold contacts outside the list.\n\n    Implements: INC-3, INC-9.\n    """\n'
        'def other():\n    """Mentions INC-4 in prose only."""\n'
    )
    (tmp_path / "scenarios" / "inclusion").mkdir(parents=True)
    (tmp_path / "scenarios" / "inclusion" / "x.scenario.yaml").write_text("id: x\ncovers: [INC-3]\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_gate.py").write_text(
        "import pytest\npytestmark = pytest.mark.catalog('INC-2')\n\n"
        "@pytest.mark.catalog('INC-9', 'INC-3')\ndef test_gate():\n    pass\n"
    )
    assert id_table.implementers(tmp_path) == {
        "INC-3": ["sync/pipeline/gate.py:1 gate"],
        "INC-9": ["sync/pipeline/gate.py:1 gate"],
    }
    assert id_table.scenarios_by_id(tmp_path) == {"INC-3": ["scenarios/inclusion/x.scenario.yaml"]}
    assert id_table.tests_by_id(tmp_path) == {
        "INC-2": ["tests/test_gate.py"],
        "INC-9": ["tests/test_gate.py::test_gate"],
        "INC-3": ["tests/test_gate.py::test_gate"],
    }
    row = next(line for line in id_table.render(id_table.collect(tmp_path)).splitlines() if "| INC-3 |" in line)
    assert "sync/pipeline/gate.py:1 gate" in row and "x.scenario.yaml" in row and "test_gate.py::test_gate" in row
