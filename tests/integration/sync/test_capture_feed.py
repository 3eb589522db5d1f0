"""The HubSpot capture that feeds a concurrent drain (sync/pipeline/capture_feed.py, issue 14).

HubSpot's search pages by offset, so a record written (its lastmodifieddate moved out of the set)
before the offset makes the next page skip one. The feeding capture lets the drain write only the
rows of closed windows; these tests write back the way a drain may while the capture pages, and
count what the capture read."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from sync.engine import SyncEngine
from sync.pipeline import capture_feed
from sync.state.models import QueueItem
from tests.integration.sync.harness import Env

CONTACTS = 2_600  # over the fake's search-index threshold: 13 pages, several windows


def _seed(env: Env, n: int, prefix: str) -> None:
    for start in range(0, n, 100):  # 100 per call share one timestamp: ties at window edges
        inputs = [{"properties": {"email": f"{prefix}{i}@example.com", "lastname": f"F{i}"}} for i in range(start, start + 100)]
        env.hs("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": inputs})
        env.advance(1)


def _installed_engine(env: Env, monkeypatch: pytest.MonkeyPatch) -> SyncEngine:
    monkeypatch.setattr(capture_feed, "FEED_WINDOW", 500)
    eng = env.engine(env.settings(_top={"api": {"concurrency": 2}}))
    assert eng.run_cycle().stopped is None  # install (TRG-15)
    env.advance(60)
    return eng


def _capture_while_writing(env: Env, eng: SyncEngine, monkeypatch: pytest.MonkeyPatch, gated: bool) -> list[str]:
    """The feeding capture, run on this thread, with a write-back of queued contacts after every page:
    of the closed windows' rows only (gated, as the drain does), or of every row read (the control)."""
    read: list[str] = []
    written: set[str] = set()
    enqueue = eng._enqueue_hubspot

    def enqueue_then_write(records: list[dict[str, Any]], cursor: int) -> int:
        out = enqueue(records, cursor)
        read.extend(str(r["id"]) for r in records)
        bound = eng._safe_queue_id
        with eng.store.session() as s:
            q = select(QueueItem.record_id).where(QueueItem.system == "hubspot")
            if gated and bound is not None:
                q = q.where(QueueItem.id <= bound)
            ids = [i for i in s.scalars(q) if i not in written]
        for start in range(0, len(ids), 100):
            part = ids[start : start + 100]
            body = {"inputs": [{"id": i, "properties": {"jobtitle": "written back"}} for i in part]}
            env.hs("POST", "/crm/v3/objects/contacts/batch/update", body)
        written.update(ids)
        return out

    monkeypatch.setattr(eng, "_enqueue_hubspot", enqueue_then_write)
    eng._safe_queue_id = 0
    eng._feeding = True
    eng._capture_hubspot()
    return read


def test_writes_of_closed_windows_do_not_make_the_capture_skip(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = _installed_engine(env, monkeypatch)
    _seed(env, CONTACTS, "w")
    read = _capture_while_writing(env, eng, monkeypatch, gated=True)
    assert len(read) == len(set(read)) == CONTACTS


@pytest.mark.parametrize("state_url", ["sqlite"], indirect=True)
def test_the_control_writing_inside_the_open_window_skips_records(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the gate exists: writing rows of the window being paged shifts the offsets."""
    eng = _installed_engine(env, monkeypatch)
    _seed(env, CONTACTS, "w")
    read = _capture_while_writing(env, eng, monkeypatch, gated=False)
    assert len(set(read)) < CONTACTS


def test_a_cycle_feeding_the_drain_syncs_every_contact_once(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole cycle with the capture on its own thread: every contact created once in Salesforce
    and linked, a Salesforce lead created before the cycle linked to its contact, nothing in error."""
    eng = _installed_engine(env, monkeypatch)
    eng.chunk_size = 300  # several chunks drained while the capture reads
    env.sf_create("Lead", LastName="Early", Company="Acme", Email="w7@example.com")
    _seed(env, CONTACTS, "w")
    rep = eng.run_cycle()
    assert rep.stopped is None and rep.errors == 0, rep
    assert rep.created_in_salesforce == CONTACTS - 1 and rep.linked_existing >= 1
    total = env.sf("GET", "/query/?q=SELECT+Id+FROM+Lead+WHERE+Email+LIKE+'w%25@example.com'")["totalSize"]
    twice = env.sf_query("SELECT Email, COUNT(Id) FROM Lead GROUP BY Email HAVING COUNT(Id) > 1")
    assert (total, twice) == (CONTACTS, [])
    env.advance(2)  # the engine's searches spent this second's
    found = env.hs_find("w7@example.com")
    assert found is not None and found["properties"].get("salesforceleadid")
    env.advance(60)
    again = eng.run_cycle()  # the next tick reads the write-backs as echoes: nothing to do
    assert again.errors == 0 and again.writes == 0 and again.created_in_salesforce == 0, again
