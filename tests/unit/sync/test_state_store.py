"""StateStore: the API-call ledger buffer is shared by HTTP worker threads, the engine and a webhook
receiver thread; no recorded call may be lost between recording and committing."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import func, select

from sync.state.models import LedgerEntry
from sync.state.store import StateStore


def test_ledger_entries_recorded_while_another_thread_commits_are_never_lost(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path}/state.db")
    writers, per_writer = 4, 5000
    done = threading.Event()

    def record(n: int) -> None:
        for i in range(per_writer):
            store.record_call("hubspot", "GET", f"/w{n}/{i}", 200, float(i))

    def commit_continuously() -> None:
        while not done.is_set():
            with store.session():  # a receiver's transaction flushes the buffer too
                pass

    committer = threading.Thread(target=commit_continuously)
    committer.start()
    threads = [threading.Thread(target=record, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    committer.join()
    with store.session() as s:  # the last flush
        pass
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(LedgerEntry)) == writers * per_writer
    assert store.calls_since("hubspot", 0) == writers * per_writer
    store.dispose()
