"""Catalog IDs as pytest markers, selected exactly (part of the `hubforce_scenarios` plugin).

A test says which behaviours it checks with `@pytest.mark.catalog("INC-7", "CON-9")`; a scenario
file's `covers:` IDs do the same for its item. Every such ID also becomes a marker of its own, so

    pytest -m INC-1          # the tests and scenarios of INC-1
    pytest -k INC-1          # the same: an ID in -k matches the ID exactly, never INC-10
    pytest -k "INC-1 and not slow"

Plain `-k` matches substrings of names, so INC-1 would also pick INC-10..INC-17: for -k expressions
that name a catalog ID this plugin evaluates the expression itself, matching ID words exactly and
every other word as pytest does, and then leaves nothing for pytest's own -k pass to do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest
from _pytest.mark import KeywordMatcher
from _pytest.mark.expression import Expression

from scenarios.coverage import load_catalog

CATALOG_ID = re.compile(r"[A-Z]{2,5}-\d+", re.IGNORECASE)
MARKER = "catalog"


def ids_of(item: pytest.Item) -> set[str]:
    """The catalog IDs an item checks: the args of every `catalog` marker on it or its parents."""
    return {str(cid).upper() for mark in item.iter_markers(MARKER) for cid in mark.args}


def register_markers(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(*ids): the catalog behaviours (e.g. 'INC-7') a test checks")
    for entry in load_catalog():
        config.addinivalue_line("markers", f"{entry.id}: {entry.title}")


def add_id_markers(items: Iterable[pytest.Item]) -> None:
    for item in items:
        for cid in sorted(ids_of(item)):
            item.add_marker(cid)


def _names_an_id(expression: str) -> bool:
    return any(CATALOG_ID.fullmatch(word) for word in re.split(r"[\s()]+", expression) if word)


def select_by_keyword(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Apply -k with catalog IDs matched exactly; a no-op when -k names no ID."""
    text = (config.option.keyword or "").strip()
    if not text or not _names_an_id(text):
        return
    expression = Expression.compile(text)
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        (keep if expression.evaluate(_ExactIds(item)) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    config.option.keyword = ""  # applied above; pytest's substring pass would widen nothing, only cost


class _ExactIds:
    """-k matcher for one item: catalog IDs exactly, other words as pytest's substring matcher."""

    def __init__(self, item: pytest.Item) -> None:
        self.ids = ids_of(item)
        self.by_name = KeywordMatcher.from_item(item)

    def __call__(self, word: str, /, **kwargs: str | int | bool | None) -> bool:
        if CATALOG_ID.fullmatch(word):
            return word.upper() in self.ids
        return self.by_name(word, **kwargs)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    add_id_markers(items)
    select_by_keyword(config, items)
