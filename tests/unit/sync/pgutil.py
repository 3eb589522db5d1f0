"""Per-test PostgreSQL schema for state-store tests (HUBFORCE_TEST_POSTGRES_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

ENV = "HUBFORCE_TEST_POSTGRES_URL"


@contextmanager
def postgres_schema_url() -> Iterator[str]:
    """Create a fresh schema, yield a SQLAlchemy URL whose search_path is that schema, drop it after."""
    import pytest
    from sqlalchemy import create_engine, text

    base = os.environ.get(ENV)
    if not base:
        pytest.skip(
            f"{ENV} is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test); PostgreSQL variant skipped"
        )
    schema = f"hubforce_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}&application_name={schema}"
    finally:
        with admin.connect() as c:
            # engines a test left open would block the DROP: end their sessions first
            c.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :a"),
                {"a": schema},
            )
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
