"""StateStore: engine/session factory plus the small helpers the sync engine shares."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from sync.state.models import Base, Cursor, Flag, LedgerEntry, QueueItem, Seen

DEFAULT_URL = "sqlite:///hubforce-sync.db"


def normalise_url(url: str | None) -> str:
    if not url:
        return DEFAULT_URL
    if "://" not in url:  # a bare path means a SQLite file
        return f"sqlite:///{Path(url).resolve()}"
    return url


class StateStore:
    def __init__(self, url: str | None = None) -> None:
        self.url = normalise_url(url)
        kwargs: dict[str, Any] = {"future": True}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30}
        self.engine: Engine = create_engine(self.url, **kwargs)
        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.ledger_buffer: list[LedgerEntry] = []

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
        self.ledger_buffer.append(
            LedgerEntry(system=system, method=method, path=path[:300], status=status, at=at)
        )

    def flush_ledger(self, s: Session) -> None:
        if self.ledger_buffer:
            s.add_all(self.ledger_buffer)
            self.ledger_buffer = []

    def calls_since(self, system: str, since: float) -> int:
        with self._sessions() as s:
            n = s.scalar(
                select(func.count())
                .select_from(LedgerEntry)
                .where(LedgerEntry.system == system, LedgerEntry.at >= since)
            )
        return int(n or 0) + sum(1 for e in self.ledger_buffer if e.system == system and e.at >= since)

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
        for rid, ver in versions.items():
            if rid in existing:
                row = s.get(Seen, (system, object_type, rid))
                if row:
                    row.version = ver
                    continue
            s.add(Seen(system=system, object_type=object_type, record_id=rid, version=ver))

    @staticmethod
    def enqueue(
        s: Session,
        system: str,
        object_type: str,
        items: dict[str, tuple[str, dict[str, Any] | None]],
        now: float,
    ) -> None:
        """items: record_id -> (trigger, payload). An already-queued record keeps its row; the newer
        payload replaces the old one and the triggers are merged."""
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
        for rid, (trigger, payload) in items.items():
            q = existing.get(rid)
            if q is None:
                s.add(
                    QueueItem(
                        system=system,
                        object_type=object_type,
                        record_id=rid,
                        trigger=trigger,
                        payload=payload,
                        enqueued_at=now,
                        not_before=0.0,
                        attempts=0,
                    )
                )
            else:
                if trigger not in q.trigger.split(","):
                    q.trigger = (q.trigger + "," + trigger)[:200]
                if payload is not None:
                    q.payload = payload
                q.not_before = min(q.not_before, now)
