"""Selecting by catalog ID is exact: `-k INC-1` and `-m INC-1` pick the tests and scenarios marked
INC-1 and never INC-10; other -k words keep pytest's substring meaning."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

SCENARIO = """\
id: {id}
title: A scenario that covers {covers}
covers: [{covers}]
sources: [S-INC]
when:
  - clock.advance: 15m
then:
  - nothing_synced: true
"""

TESTS = """\
import pytest

@pytest.mark.catalog("INC-1")
def test_gate_one():
    pass

@pytest.mark.catalog("INC-10", "TRG-4")
def test_gate_ten():
    pass

def test_unmarked_inc_1_in_name():
    pass
"""


def _selected(pytester: pytest.Pytester, *args: str) -> set[str]:
    pytester.makefile(
        ".scenario.yaml",
        one=SCENARIO.format(id="one", covers="INC-1"),
        ten=SCENARIO.format(id="ten", covers="INC-10"),
        both=SCENARIO.format(id="both", covers="INC-1, TRG-4"),
    )
    pytester.makepyfile(test_marked=TESTS)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--collect-only", "-q", "--import-mode=importlib", *args
    )
    lines = [line.strip() for line in result.stdout.lines]
    return {line.rsplit("::", 1)[-1] for line in lines if "::" in line}


@pytest.mark.parametrize("option", ["-k", "-m"])
def test_an_id_selects_exactly_that_id(pytester: pytest.Pytester, option: str) -> None:
    assert _selected(pytester, option, "INC-1") == {"one", "both", "test_gate_one"}


def test_ids_combine_and_lowercase_works(pytester: pytest.Pytester) -> None:
    assert _selected(pytester, "-k", "inc-10 or TRG-4") == {"ten", "both", "test_gate_ten"}
    assert _selected(pytester, "-k", "not INC-1") == {"ten", "test_gate_ten", "test_unmarked_inc_1_in_name"}


def test_other_words_keep_substring_matching(pytester: pytest.Pytester) -> None:
    assert _selected(pytester, "-k", "gate and INC-10") == {"test_gate_ten"}
    assert _selected(pytester, "-k", "unmarked") == {"test_unmarked_inc_1_in_name"}
