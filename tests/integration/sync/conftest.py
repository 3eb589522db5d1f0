from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sync.harness import Env, make_env
from tests.unit.sync.pgutil import postgres_schema_url


@pytest.fixture(params=["sqlite", "postgres"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/state.db"
    else:
        with postgres_schema_url() as url:
            yield url


@pytest.fixture()
def env(state_url: str) -> Iterator[Env]:
    with make_env(state_url) as e:
        yield e
