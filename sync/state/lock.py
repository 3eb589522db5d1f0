"""One engine per state database (issue 14): two engines draining the same queue would both create
the same records on the other side. The lock is the database's own where it has one:

* PostgreSQL: a session-level advisory lock keyed on the database and schema (current_schema, so
  engines on different schemas of one database do not exclude each other), held on a connection
  of its own for as long as the engine runs; the server drops it when that connection ends, crash
  included.
* SQLite: an exclusive `flock` on `<database file>.lock` beside it; the kernel drops it when the
  process ends. An in-memory database belongs to one process: nothing to lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from sync.state.store import normalise_url


class EngineBusy(Exception):
    """Another engine holds the state database."""


@contextmanager
def engine_lock(url: str | None) -> Iterator[None]:
    """Hold the state database's engine lock; EngineBusy at once when another engine has it."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        with _file_lock(make_url(url).database):
            yield
    else:
        with _advisory_lock(url):
            yield


def _busy(where: str) -> EngineBusy:
    return EngineBusy(f"another sync engine is already running on this state database ({where}); stop it first")


@contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    if not database or database == ":memory:":
        yield
        return
    path = f"{os.path.abspath(database)}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(os.path.abspath(database)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for a person looking
        yield
    finally:
        os.close(fd)  # closing releases the flock


@contextmanager
def _advisory_lock(url: str) -> Iterator[None]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            db, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
            key = _key(f"hubforce-sync:{db}:{schema}")
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.commit()
            if not got:
                raise _busy(f"PostgreSQL {db}, schema {schema}")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
    finally:
        engine.dispose()


def _key(name: str) -> int:
    """A signed 64-bit advisory-lock key from a name (stable across processes, unlike hash())."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)

