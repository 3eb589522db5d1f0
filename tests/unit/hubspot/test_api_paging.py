"""The offset-paging helpers the associations, lists and owners handlers share
(simulator/hubspot/api/objects.py: ranged_int_arg, page_link)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from simulator.core.service import Ctx
from simulator.hubspot.api.objects import page_link, ranged_int_arg
from simulator.hubspot.errors import HubSpotError

URL = "http://hubspot.test/crm/v3/owners/"


def call(query: str, fn: Any, *args: Any) -> Any:
    with Flask(__name__).test_request_context(URL + query):
        return fn(Ctx(sandbox=None, service=None, backend=None), *args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "default", "expected"),
    [
        ("", 100, 100),
        ("?limit=", 100, 100),
        ("?limit=7", 100, 7),
        ("?limit=500", None, 500),
        ("", None, None),
    ],
)
def test_ranged_int_arg_reads_or_defaults(query: str, default: int | None, expected: int | None) -> None:
    assert call(query, ranged_int_arg, "limit", default, 1, 500) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?limit=abc", "limit must be an integer, got 'abc'"),
        ("?limit=0", "limit must be between 1 and 500"),
        ("?limit=501", "limit must be between 1 and 500"),
    ],
)
def test_ranged_int_arg_rejects(query: str, message: str) -> None:
    with pytest.raises(HubSpotError) as exc:
        call(query, ranged_int_arg, "limit", 100, 1, 500)
    assert exc.value.status == 400
    assert exc.value.message == message


def test_page_link_keeps_only_the_cursor() -> None:
    assert call("?after=5&limit=2", page_link, "after", 7) == {"after": "7", "link": URL + "?after=7"}
    assert call("", page_link, "before", 3) == {"before": "3", "link": URL + "?before=3"}
