"""StateStore: engine/session factory plus the small helpers the sync engine shares."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, delete, event, func, insert, inspect, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sync.errors import StateUnavailable
from sync.state.models import Base, Cursor, Flag, LedgerEntry, QueueItem, Seen

DEFAULT_URL = "sqlite:///hubforce-sync.db"


def normalise_url(url: str | None) -> str:
    if not url:
        return DEFAULT_URL
    if "://" not in url:  # a bare path means a SQLite file
        return f"sqlite:///{Path(url).resolve()}"
    return url


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# One dialect and compiled-statement cache per SQLite driver, shared by every SQLite StateStore of
# the process. SQLAlchemy keys its statement cache by dialect object and gives each Engine its own,
# so each new state database (a test or scenario makes one, often several) compiled every
# statement again: about a sixth of a scenario's CPU. Sharing them is what SQLAlchemy itself does
# for the engines derived with Engine.execution_options(); every SQLite store is created with the
# same options, so the dialects are interchangeable.
_SQLITE_SHARED: dict[tuple[str, str], tuple[Any, Any]] = {}


def _share_sqlite_compiler(engine: Engine) -> None:
    """After the engine's first connection: only a dialect initialised by one is shared."""
    key = (engine.url.get_backend_name(), engine.url.get_driver_name())
    shared = _SQLITE_SHARED.setdefault(key, (engine.dialect, engine._compiled_cache))
    engine.dialect, engine._compiled_cache = shared


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL + synchronous=NORMAL: a commit no longer waits for an fsync of the main file (the engine
    commits once per capture page and per processed batch). A process crash loses nothing committed;
    a power loss may roll back the last commits, which the engine re-does from its cursors, queue
    and intents (creates are preceded by a search of the other side, so nothing is duplicated)."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


SUPPORTED_BACKENDS = ("sqlite", "postgresql")
URL_HINT = "use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DATABASE"


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _reason(exc: BaseException) -> str:
    """The driver's own words on one line (SQLAlchemy adds SQL, parameters and a help link)."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split())
    return text.removeprefix("connection failed: ") or type(orig).__name__


def _open(url: str, kwargs: dict[str, Any]) -> Engine:
    """create_engine with one-line errors for what a user can get wrong in a state URL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StateUnavailable(f"{url!r} is not a URL; {URL_HINT}") from None
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise StateUnavailable(
            f"{_shown(url)}: {parsed.get_backend_name()!r} is not supported; {URL_HINT}"
        )
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).parent
        if not folder.is_dir():
            raise StateUnavailable(f"{_shown(url)}: directory {folder} does not exist")
    try:
        return create_engine(url, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise StateUnavailable(f"{_shown(url)}: driver not installed ({exc}); {URL_HINT}") from None
    except ArgumentError as exc:
        raise StateUnavailable(f"{_shown(url)}: {exc}; {URL_HINT}") from None


# Columns added to a table after it first shipped, with the value older rows get: a state
# database made by an earlier version keeps working (create_all never alters an existing table).
ADDED_COLUMNS: dict[tuple[str, str], str] = {("sync_intents", "object_type"): "contacts"}


def _add_missing_columns(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    for (table, column), old_rows in ADDED_COLUMNS.items():
        if table not in tables:
            continue
        if column in {c["name"] for c in inspect(engine).get_columns(table)}:
            continue
        col = Base.metadata.tables[table].c[column]
        kind = col.type.compile(dialect=engine.dialect)
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))
            conn.execute(text(f"UPDATE {table} SET {column} = :v"), {"v": old_rows})


class StateStore:
    def __init__(self, url: str | None = None) -> None:
        self.url = normalise_url(url)
        # JSON columns (queue payloads, last-synced values, decision details) through orjson: the
        # engine writes and reads one of each per record per cycle
        kwargs: dict[str, Any] = {"future": True, "json_serializer": _json_text, "json_deserializer": orjson.loads}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30}
        self.engine: Engine = _open(self.url, kwargs)
        if self.url.startswith("sqlite") and ":memory:" not in self.url and self.url != "sqlite://":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            Base.metadata.create_all(self.engine)
            _add_missing_columns(self.engine)
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise StateUnavailable(f"{_shown(self.url)}: {_reason(exc)}") from None
        if self.url.startswith("sqlite"):
            _share_sqlite_compiler(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.ledger_buffer: list[LedgerEntry] = []
        # calls are recorded from HTTP worker threads, and a webhook receiver thread may commit
        # while the engine records: the buffer is swapped under this lock, never lost
        self._ledger_lock = threading.Lock()

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction; buffered ledger rows are committed with it."""
        with self._sessions() as s, s.begin():
            yield s
            self.flush_ledger(s)

    # --- ledger ----------------------------------------------------------------------------
    def record_call(self, system: str, method: str, path: str, status: int, at: float) -> None:
        entry = LedgerEntry(system=system, method=method, path=path[:300], status=status, at=at)
        with self._ledger_lock:
            self.ledger_buffer.append(entry)

    def flush_ledger(self, s: Session) -> None:
        if not self.ledger_buffer:
            return
        with self._ledger_lock:
            entries, self.ledger_buffer = self.ledger_buffer, []
        # one executemany instead of one ORM object per API call
        s.execute(
            insert(LedgerEntry.__table__),
            [{"system": e.system, "method": e.method, "path": e.path, "status": e.status, "at": e.at} for e in entries],
        )

    def calls_since(self, system: str, since: float) -> int:
        with self._sessions() as s:
            n = s.scalar(
                select(func.count())
                .select_from(LedgerEntry)
                .where(LedgerEntry.system == system, LedgerEntry.at >= since)
            )
        with self._ledger_lock:
            pending = list(self.ledger_buffer)
        return int(n or 0) + sum(1 for e in pending if e.system == system and e.at >= since)

    def prune_ledger(self, s: Session, before: float) -> None:
        s.execute(delete(LedgerEntry).where(LedgerEntry.at < before))

    # --- flags and cursors -----------------------------------------------------------------
    @staticmethod
    def get_flag(s: Session, key: str) -> dict[str, Any] | None:
        row = s.get(Flag, key)
        return dict(row.value) if row else None

    @staticmethod
    def set_flag(s: Session, key: str, value: dict[str, Any] | None) -> None:
        row = s.get(Flag, key)
        if value is None:
            if row:
                s.delete(row)
        elif row:
            row.value = value
        else:
            s.add(Flag(key=key, value=value))

    @staticmethod
    def get_cursor(s: Session, name: str) -> str | None:
        row = s.get(Cursor, name)
        return row.value if row else None

    @staticmethod
    def set_cursor(s: Session, name: str, value: str) -> None:
        row = s.get(Cursor, name)
        if row:
            row.value = value
        else:
            s.add(Cursor(name=name, value=value))

    # --- capture dedupe and queue ----------------------------------------------------------
    @staticmethod
    def seen_versions(s: Session, system: str, object_type: str, ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            rows = s.execute(
                select(Seen.record_id, Seen.version).where(
                    Seen.system == system,
                    Seen.object_type == object_type,
                    Seen.record_id.in_(ids[i : i + 500]),
                )
            )
            out.update({r: v for r, v in rows})
        return out

    @staticmethod
    def mark_seen(
        s: Session, system: str, object_type: str, versions: dict[str, str], existing: dict[str, str]
    ) -> None:
        """Bulk statements (one executemany each for inserts and updates), not one ORM object per
        record: a capture page marks up to 2,000 records and this runs for every page."""
        key = {"system": system, "object_type": object_type}
        updates = [{**key, "record_id": rid, "version": v} for rid, v in versions.items() if rid in existing]
        inserts = [{**key, "record_id": rid, "version": v} for rid, v in versions.items() if rid not in existing]
        if updates:
            s.execute(update(Seen), updates)  # ORM bulk UPDATE by primary key
        if inserts:
            s.execute(insert(Seen.__table__), inserts)

    @staticmethod
    def enqueue(
        s: Session,
        system: str,
        object_type: str,
        items: dict[str, tuple[str, dict[str, Any] | None]],
        now: float,
        fresh_read: bool = False,
    ) -> None:
        """items: record_id -> (trigger, payload). An already-queued record keeps its row; the newer
        payload replaces the old one and the triggers are merged. fresh_read: the items announce a
        change newer than any payload already queued, so that payload is dropped (read it again)."""
        ids = list(items)
        existing: dict[str, QueueItem] = {}
        for i in range(0, len(ids), 500):
            for q in s.scalars(
                select(QueueItem).where(
                    QueueItem.system == system,
                    QueueItem.object_type == object_type,
                    QueueItem.record_id.in_(ids[i : i + 500]),
                )
            ):
                existing[q.record_id] = q
        fresh: list[dict[str, Any]] = []
        for rid, (trigger, payload) in items.items():
            q = existing.get(rid)
            if q is None:
                fresh.append(
                    {
                        "system": system,
                        "object_type": object_type,
                        "record_id": rid,
                        "trigger": trigger,
                        "payload": payload,
                        "enqueued_at": now,
                        "not_before": 0.0,
                        "attempts": 0,
                    }
                )
            else:
                if trigger not in q.trigger.split(","):
                    q.trigger = (q.trigger + "," + trigger)[:200]
                if payload is not None or fresh_read:
                    q.payload = payload
                if fresh_read:
                    # Marks the row as re-queued: a worker that read it before this change keeps it
                    # (see SyncEngine._finish). Strictly later even under a frozen clock.
                    q.enqueued_at = max(now, q.enqueued_at + 0.001)
                q.not_before = min(q.not_before, now)
        if fresh:
            s.execute(insert(QueueItem.__table__), fresh)  # one executemany for the new rows
