"""pytest plugin (entry point `hubforce_scenarios`): every `*.scenario.yaml` under the collected
paths becomes one test item, like Tavern's `test_*.tavern.yaml`.

    pytest scenarios/                       # all scenarios
    pytest scenarios/seed_article -n auto   # in parallel: each scenario has its own sandbox
    pytest scenarios -k INC-7               # by catalog ID, exactly (see scenarios/catalog_marks.py)

A file that does not validate fails as one item whose message is `file:line: problem`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scenarios import catalog_marks
from scenarios.loader import SCENARIO_SUFFIX, ScenarioFileError, load_file
from scenarios.model import Result, Scenario
from scenarios.runner import run_scenario


class ScenarioFailed(Exception):
    def __init__(self, result: Result) -> None:
        super().__init__(result.report())
        self.result = result


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name.endswith(SCENARIO_SUFFIX):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario: a Hubforce scenario file (scenarios/**/*.scenario.yaml)")
    config.addinivalue_line("markers", "slow: a slow (volume) scenario file (`slow: true`); -m 'not slow' leaves it out")
    catalog_marks.register_markers(config)
    config.pluginmanager.register(catalog_marks, "hubforce_catalog_marks")


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            scenario = load_file(self.path)
        except ScenarioFileError as exc:
            yield ScenarioItem.from_parent(self, name=self.path.name, scenario=None, load_error=exc)
            return
        yield ScenarioItem.from_parent(self, name=scenario.id, scenario=scenario, load_error=None)


class ScenarioItem(pytest.Item):
    def __init__(
        self, *, scenario: Scenario | None, load_error: ScenarioFileError | None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.load_error = load_error
        self.add_marker(pytest.mark.scenario)
        if scenario is not None and scenario.slow:
            self.add_marker(pytest.mark.slow)
        if scenario is not None and scenario.covers:
            self.add_marker(pytest.mark.catalog(*scenario.covers))

    def runtest(self) -> None:
        if self.load_error is not None:
            raise self.load_error
        assert self.scenario is not None
        result = run_scenario(self.scenario)
        if not result.passed:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed | ScenarioFileError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        line = (
            self.scenario.line - 1 if self.scenario else (self.load_error.line - 1 if self.load_error else 0)
        )
        title = f": {self.scenario.title}" if self.scenario else ""
        return self.path, line, f"scenario {self.name}{title}"
