"""Faults, suspension, limits and crash/restart against the fakes."""

from __future__ import annotations

from typing import Any

import pytest

from sync.engine import SyncEngine
from tests.integration.sync.harness import Env
from tests.integration.sync.test_contacts_sync import installed


def test_429_storm_5xx_and_drops(env: Env) -> None:
    eng = installed(env)
    for i in range(5):
        env.hs_create(email=f"f{i}@example.com", lastname="F")
    env.fault(service="hubspot", method="POST", path="/crm/v3/objects/contacts/search", status=429, times=3)
    env.fault(
        service="hubspot", method="POST", path="/crm/v3/objects/contacts/batch/.*", action="drop", times=1
    )
    env.fault(service="salesforce", method="GET", path=".*/query.*", status=503, times=2)
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 5 and rep.errors == 0, rep
    assert len(env.sf_query("SELECT Id FROM Lead WHERE LastName = 'F'")) == 5


def test_timeout_on_create_reconciles_without_duplicates(env: Env) -> None:
    eng = installed(env)
    env.hs_create(email="slow@example.com", lastname="Slow")
    env.fault(service="salesforce", method="POST", path=".*/composite/sobjects", action="timeout", times=1)
    eng.run_cycle()
    eng.run_cycle()
    env.advance(1200)
    eng.run_cycle()
    assert len(env.sf_query("SELECT Id FROM Lead WHERE Email = 'slow@example.com'")) == 1


@pytest.mark.catalog("ERR-3", "ERR-6", "ERR-8")
def test_validation_failure_for_one_record(env: Env) -> None:  # ERR-3/ERR-6, ERR-8
    eng = installed(env)
    bad = env.hs_create(email="bad@example.com", lastname="x" * 200)  # LastName max 80
    env.hs_create(email="good@example.com", lastname="Good")
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 1 and rep.errors == 1
    err = eng.why(bad)["errors"][0]
    assert err["category"] == "PROPERTY_VALUE" and err["code"] == "STRING_TOO_LONG"
    env.hs_update(bad, lastname="Fixed")
    assert eng.resync_record(bad).created_in_salesforce == 1
    assert eng.status()["errors"]["records"] == 0


@pytest.mark.catalog("LIM-2", "SUS-1", "SUS-4")
def test_request_limit_suspends_then_clear(env: Env) -> None:  # SUS-1, SUS-4, LIM-2
    eng = installed(env)
    env.hs_create(email="s@example.com", lastname="S")
    env.fault(
        service="salesforce",
        method="GET",
        path=".*/query.*",
        status=403,
        times=1,
        body=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    )
    rep = eng.run_cycle()
    assert rep.stopped and "SUS-1" in rep.stopped
    assert eng.status()["suspension"]["code"] == "REQUEST_LIMIT_EXCEEDED"
    eng.clear_suspension()
    assert eng.run_cycle().created_in_salesforce == 1


def test_crash_mid_cycle_then_restart(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = installed(env)
    for i in range(3):
        env.hs_create(email=f"k{i}@example.com", lastname="K")

    def killed(*_a: Any, **_k: Any) -> None:
        raise KeyboardInterrupt("killed mid-cycle")

    monkeypatch.setattr(SyncEngine, "_finish", killed)
    with pytest.raises(KeyboardInterrupt):
        eng.run_cycle()
    monkeypatch.undo()
    rep = env.engine().run_cycle()  # a new process over the same state
    assert rep.errors == 0
    for i in range(3):
        assert len(env.sf_query(f"SELECT Id FROM Lead WHERE Email = 'k{i}@example.com'")) == 1
    cid = env.hs_find("k0@example.com")["id"]  # type: ignore[index]
    assert env.engine().why(cid)["link"] is not None


@pytest.mark.catalog("LIM-1", "LIM-4")
def test_api_ledger_and_allocation(env: Env) -> None:  # LIM-1, LIM-4
    eng = installed(env)
    st = eng.status()
    assert st["api"]["salesforce_calls_24h"] > 0 and st["api"]["hubspot_calls_24h"] > 0
    s = env.settings()
    s.api.allocation = st["api"]["salesforce_calls_24h"] + 1
    capped = env.engine(s)
    env.hs_create(email="cap@example.com", lastname="Cap")
    rep = capped.run_cycle()
    assert rep.stopped and "allocation" in rep.stopped
    env.advance(86400)
    assert capped.run_cycle().created_in_salesforce == 1  # the 24-hour window moved on


@pytest.mark.catalog("ERR-5")
def test_field_permission_error_is_recorded_rest_still_syncs(env: Env) -> None:  # ERR-5
    eng = installed(
        env,
        mappings=[
            {"hubspot": "jobtitle", "salesforce": "Title", "rule": "two_way"},
            {"hubspot": "lastname", "salesforce": "LastName", "rule": "two_way"},
        ],
    )
    cid = env.hs_create(email="perm@example.com", lastname="P")
    eng.run_cycle()
    (lead,) = env.sf_query("SELECT Id FROM Lead WHERE Email = 'perm@example.com'")
    env.control(
        "POST",
        "/_hubforce/salesforce/field-permissions",
        {"object": "Lead", "field": "Title", "editable": False},
    )
    env.advance(60)
    env.hs_update(cid, jobtitle="CEO", lastname="Perm")
    other = env.hs_create(email="fine@example.com", lastname="Fine")
    rep = eng.run_cycle()
    assert rep.errors == 1 and eng.status()["errors"]["by_category"] == {"PERMISSIONS": 1}
    assert env.sf_get("Lead", lead["Id"])["Title"] is None  # a Salesforce save is all or nothing
    assert len(env.sf_query("SELECT Id FROM Lead WHERE Email = 'fine@example.com'")) == 1
    env.control(
        "POST",
        "/_hubforce/salesforce/field-permissions",
        {"object": "Lead", "field": "Title", "editable": True},
    )
    assert eng.resync_record(cid).errors == 0  # ERR-8: fixed, resynced
    got = env.sf_get("Lead", lead["Id"])
    assert (got["Title"], got["LastName"]) == ("CEO", "Perm")
    assert other
