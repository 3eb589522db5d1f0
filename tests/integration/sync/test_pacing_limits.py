"""A sync at HubSpot's limits against the fakes with their rate limits on (issue 14): the Starter
tier's 100 calls per 10 s, search's 5 per second, and most of the window already spent by another
caller of the same app. On the frozen virtual clock every call of a cycle lands on one instant
unless the engine waits, so without pacing this cycle meets 429s, and with it none."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.sync.harness import Env

CONTACTS = 1_200  # 6+ search pages and 12+ batch writes: over search's 5 per second at one instant
OTHERS = 80  # calls another integration of the same app makes just before the cycle


def _sync_at_the_limits(env: Env, pacing: bool) -> tuple[Any, list[dict[str, Any]]]:
    env.sb.update_settings("hubspot", {"tier": "starter", "rate_limits": True})
    settings = env.settings(_top={"api": {"concurrency": 4, "pacing": pacing, "max_retries": 8}})
    eng = env.engine(settings)
    assert eng.run_cycle().stopped is None  # install (TRG-15)
    env.advance(60)
    for start in range(0, CONTACTS, 100):
        inputs = [
            {"properties": {"email": f"p{i}@example.com", "lastname": f"P{i}"}}
            for i in range(start, start + 100)
        ]
        env.hs("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": inputs})
    for _ in range(OTHERS):
        env.hs("GET", "/crm/v3/owners/")
    seq = env.control("GET", "/_hubforce/journal?path=%5E%24")["last_seq"]
    rep = eng.run_cycle()
    entries = env.control("GET", f"/_hubforce/journal?service=hubspot&since={seq}")["entries"]
    return rep, entries


def test_a_paced_sync_at_the_limits_receives_no_429(env: Env) -> None:
    rep, calls = _sync_at_the_limits(env, pacing=True)
    assert rep.stopped is None and rep.errors == 0, rep
    assert rep.created_in_salesforce == CONTACTS
    assert len(env.sf_query("SELECT Id FROM Lead WHERE Email LIKE 'p%@example.com'")) == CONTACTS
    assert [c for c in calls if c["status"] == 429] == []
    searches = [c for c in calls if c["path"].endswith("/search")]
    assert len(searches) > 5 and len(calls) > 100 - OTHERS  # the limits really were in the way
    pacer = env.engines[-1].hubspot.pacer
    assert pacer is not None and pacer.windows["burst"].limit == 100  # Starter, read from the headers
    assert pacer.windows["burst"].waits > 0 and pacer.windows["search"].waits > 0


@pytest.mark.parametrize("state_url", ["sqlite"], indirect=True)
def test_the_same_sync_without_pacing_meets_429s(env: Env) -> None:
    """The control: the same cycle unpaced is answered 429 (and recovers only by backing off)."""
    rep, calls = _sync_at_the_limits(env, pacing=False)
    assert rep.created_in_salesforce == CONTACTS, rep
    assert any(c["status"] == 429 for c in calls)
