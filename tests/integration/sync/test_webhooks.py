"""HubSpot webhook change capture: the HubSpot fake signs and delivers, the engine's receiver
checks and queues, a drain syncs — in seconds, without a search. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import requests

from sync.engine import SyncEngine
from sync.settings import WebhookSettings
from sync.webhooks import ensure_subscriptions
from tests.integration.sync.harness import Env

TWO_WAY = [{"hubspot": "firstname", "salesforce": "FirstName", "rule": "two_way"}]
HOOK_BASE = "http://hooks.hubforce.test"
HOOK_URL = f"{HOOK_BASE}/hubspot/webhooks"
APP_ID = 1_000_001
DEV_KEY = "sandbox-developer-key"
SECRET = "sandbox-client-secret"  # the fake's app secret (simulator/hubspot/auth.py)


def hooked(env: Env, secret: str = SECRET, mount: bool = True, **contacts: Any) -> SyncEngine:
    """An installed engine whose receiver gets the fake's deliveries, subscribed like a user would."""
    settings = env.settings(**contacts, _top={"poll_interval_seconds": 60})
    settings.hubspot.webhooks = WebhookSettings(client_secret=secret, drain_interval_seconds=5)
    eng = env.engine(settings)
    eng.validate()
    out = ensure_subscriptions(env.http, env.hs_url, APP_ID, DEV_KEY, HOOK_URL, eng.webhook_properties())
    assert "contact.creation" in out["created"]
    if mount:
        env.t.mount(HOOK_BASE, eng.webhook_receiver().wsgi)
    rep = eng.run_cycle()  # install (TRG-15)
    assert rep.stopped is None, rep.stopped
    env.advance(60)
    return eng


def deliveries(env: Env) -> list[dict[str, Any]]:
    return env.control("GET", "/_hubforce/hubspot/webhooks/deliveries")["deliveries"]


def searches(env: Env) -> int:
    return sum(1 for e in env.journal("hubspot", "POST") if e["path"].endswith("/search"))


@pytest.mark.catalog("TRG-2", "TRG-7")
def test_creation_and_change_sync_by_drain_without_a_search(env: Env) -> None:  # TRG-7, TRG-2
    eng = hooked(env, mappings=TWO_WAY)
    before = searches(env)
    cid = env.hs_create(email="hook@example.com", firstname="Hook", lastname="Line", company="Acme")
    assert deliveries(env)[-1]["status"] == "DELIVERED"
    rep = eng.process_queue()
    assert (rep.kind, rep.created_in_salesforce, rep.stopped) == ("drain", 1, None)
    (lead,) = env.sf_query("SELECT Id, FirstName FROM Lead WHERE Email = 'hook@example.com'")
    assert lead["FirstName"] == "Hook"
    env.advance(5)
    env.hs_update(cid, firstname="Hooked")
    rep = eng.process_queue()
    assert rep.updated_in_salesforce == 1
    assert env.sf_get("Lead", lead["Id"])["FirstName"] == "Hooked"
    assert searches(env) == before  # the drains never searched
    st = eng.status()["webhooks"]
    assert st["configured"] and st["deliveries"] >= 2 and st["queued"] >= 2 and st.get("rejected", 0) == 0
    assert "webhook" in eng.why(cid)["decisions"][0]["trigger"]


def test_nothing_ready_means_no_api_call(env: Env) -> None:
    eng = hooked(env)
    n = len(env.journal("hubspot")) + len(env.journal("salesforce"))
    assert eng.process_queue().processed == 0
    assert len(env.journal("hubspot")) + len(env.journal("salesforce")) == n


def test_our_own_writes_are_dropped_at_the_receiver(env: Env) -> None:  # echo suppression
    eng = hooked(env, mappings=[{"hubspot": "lastname", "salesforce": "LastName", "rule": "two_way"}])
    cid = env.hs_create(email="echo@example.com", lastname="Echo")
    eng.process_queue()
    (lead,) = env.sf_query("SELECT Id FROM Lead WHERE Email = 'echo@example.com'")
    env.advance(60)
    env.sf_update("Lead", lead["Id"], LastName="FromSF")
    echoes = eng.status()["webhooks"].get("echoes", 0)
    rep = eng.run_cycle()  # polls Salesforce, writes HubSpot; that write fires a webhook
    assert rep.updated_in_hubspot == 1
    # The event arrives while the engine is still inside that batch (the fake delivers at once):
    # it matches the value the engine noted it was writing, so it is dropped, not queued.
    assert eng.queue_ready() == 0
    assert eng.status()["webhooks"]["echoes"] == echoes + 1
    calls = len(env.journal("hubspot")) + len(env.journal("salesforce"))
    assert eng.process_queue().processed == 0
    assert len(env.journal("hubspot")) + len(env.journal("salesforce")) == calls
    assert env.hs_get(cid, "lastname")["lastname"] == "FromSF"
    env.advance(5)
    env.hs_update(cid, lastname="FromHs")  # a real edit of the same property is not an echo
    assert eng.queue_ready() == 1
    rep = eng.process_queue()
    assert rep.updated_in_salesforce == 1
    assert env.sf_get("Lead", lead["Id"])["LastName"] == "FromHs"
    env.advance(5)
    env.hs_update(cid, lastname="FromSF")  # back to a value we once wrote: still a change
    assert eng.queue_ready() == 1


def test_bad_signature_stale_timestamp_and_garbage_are_refused_and_nothing_is_queued(env: Env) -> None:
    eng = hooked(env, secret="not-the-app-secret")
    env.hs_create(email="spoof@example.com", lastname="S")
    d = deliveries(env)[-1]
    assert d["status"] == "RETRYING" and d["history"][-1]["status"] == 401  # HubSpot will re-send
    assert eng.queue_ready() == 0
    assert "does not match" in eng.status()["webhooks"]["last_rejection"]["message"]
    # Straight at the receiver: a stale v3 timestamp, a non-array body, the wrong method.
    rec = eng.webhook_receiver()
    now_ms = int(env.sb.clock.now().timestamp() * 1000)
    status, out = rec.handle(
        "POST",
        HOOK_URL,
        "/hubspot/webhooks",
        {"X-HubSpot-Signature-v3": "x", "X-HubSpot-Request-Timestamp": str(now_ms - 600_000)},
        b"[]",
    )
    assert status == 401 and "replay" in out["error"]
    r = requests.post(HOOK_URL, data=b"{}", headers={"Content-Type": "application/json"})
    assert r.status_code == 401  # signature first: an unsigned body is never parsed
    r = requests.get(HOOK_URL)
    assert (r.status_code, r.headers["Allow"]) == (405, "POST")
    assert requests.post(f"{HOOK_BASE}/elsewhere", data=b"[]").status_code == 404


def test_receiver_down_loses_nothing_search_capture_is_the_safety_net(env: Env) -> None:
    eng = hooked(env, mount=False)  # deliveries fail: nobody listens at the target URL
    env.hs_create(email="net@example.com", lastname="Net")
    assert deliveries(env)[-1]["status"] == "RETRYING"
    assert eng.process_queue().processed == 0
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 1
    assert len(env.sf_query("SELECT Id FROM Lead WHERE Email = 'net@example.com'")) == 1


def test_redelivery_and_search_overlap_never_duplicate(env: Env) -> None:
    eng = hooked(env)
    env.hs_create(email="twice@example.com", lastname="T")
    d = deliveries(env)[-1]
    # HubSpot re-sends a batch it thinks failed (a timeout after we committed): same events again.
    rec = eng.webhook_receiver()
    body = json.dumps(d["events"]).encode()
    rec.cfg.signature = "any"  # re-sign with v1 (the v3 timestamp of the first attempt is spent)
    sig = hashlib.sha256(f"{SECRET}{body.decode()}".encode()).hexdigest()
    assert rec.handle("POST", HOOK_URL, "/hubspot/webhooks", {"X-HubSpot-Signature": sig}, body)[0] == 200
    assert eng.queue_ready() == 1
    eng.process_queue()
    env.advance(60)
    rep = eng.run_cycle()  # the search capture sees the same contact again
    assert rep.created_in_salesforce == 0
    assert len(env.sf_query("SELECT Id FROM Lead WHERE Email = 'twice@example.com'")) == 1


def test_drain_after_restart_processes_what_the_receiver_queued(env: Env, state_url: str) -> None:
    eng = hooked(env)
    env.hs_create(email="durable@example.com", lastname="D")
    assert eng.queue_ready() == 1
    eng.store.dispose()  # the process that received dies before draining
    again = env.engine(eng.settings)
    assert again.process_queue().created_in_salesforce == 1


@pytest.mark.catalog("INC-2", "INC-3", "INC-5", "INC-9")
def test_inclusion_list_is_checked_per_record_on_a_drain(env: Env) -> None:  # INC-2, INC-3, INC-5, INC-9
    env.hs_list("Leads only")
    eng = hooked(env, inclusion_list="Leads only")
    out = env.hs_create(email="out@example.com", lastname="O", lifecyclestage="subscriber")
    rep = eng.process_queue()
    assert rep.created_in_salesforce == 0
    assert "INC-3" in eng.why(out)["decisions"][0]["detail"]["reason"]
    env.advance(5)
    # joins (the list filter's property is subscribed too): synced at the next drain, not the next tick
    env.hs_update(out, lifecyclestage="lead")
    rep = eng.process_queue()
    assert rep.created_in_salesforce == 1
    (lead,) = env.sf_query("SELECT Id FROM Lead WHERE Email = 'out@example.com'")
    env.advance(5)
    env.hs_update(out, lifecyclestage="subscriber", lastname="Left")  # leaves and changes at once
    rep = eng.process_queue()
    assert rep.updated_in_salesforce == 0
    assert env.sf_get("Lead", lead["Id"])["LastName"] == "O"  # INC-9: sync stopped
    outcomes = [d["outcome"] for d in eng.why(out)["decisions"]]
    assert "left_list" in outcomes


@pytest.mark.catalog("TRG-1")
def test_run_loop_drains_between_poll_ticks(env: Env) -> None:  # TRG-1 with webhooks
    eng = hooked(env, mappings=TWO_WAY)
    cid = env.hs_create(email="loop@example.com", lastname="L")
    eng.process_queue()
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # a change lands while the engine waits for the next tick
        waits.append(seconds)
        env.advance(seconds)
        if len(waits) == 2:
            env.hs_update(cid, firstname="Mid")

    eng.sleep = sleep
    reports = eng.run(cycles=2)
    assert waits == [5.0] * 12  # poll_interval 60 s in drain_interval 5 s steps
    assert [r.kind for r in reports][0] == "cycle" and reports[-1].kind == "cycle"
    drains = [r for r in reports if r.kind == "drain"]
    assert len(drains) == 1 and drains[0].updated_in_salesforce == 1
    assert reports[-1].writes == 0
    (lead,) = env.sf_query("SELECT FirstName FROM Lead WHERE Email = 'loop@example.com'")
    assert lead["FirstName"] == "Mid"


def test_a_merge_into_a_new_record_links_the_record_the_merge_created(env: Env) -> None:
    """HubSpot's contact.merge names the old primary in objectId and primaryObjectId and, when the
    merge created a new contact, that one in newObjectId (developer changelog, "New subscription
    types for webhooks"). The new contact is what survives: it is queued, read and linked."""
    eng = hooked(env, mount=False)  # the fake's own deliveries go nowhere: this test sends the event
    a = env.hs_create(email="ada@work.example", firstname="Ada", lastname="Lovelace")
    b = env.hs_create(email="ada@home.example", firstname="Ada", lastname="Lovelace")
    assert eng.run_cycle().created_in_salesforce == 2
    env.advance(60)
    new = str(env.hs("POST", "/crm/v3/objects/contacts/merge", {"primaryObjectId": a, "objectIdToMerge": b})["id"])
    assert new not in (a, b)
    now_ms = int(env.sb.clock.now().timestamp() * 1000)
    event = {
        "eventId": 77, "subscriptionId": 1, "portalId": 1, "appId": APP_ID, "occurredAt": now_ms,
        "subscriptionType": "contact.merge", "attemptNumber": 0, "objectId": int(a), "changeSource": "CRM_UI",
        "primaryObjectId": int(a), "mergedObjectIds": [int(b)], "newObjectId": int(new), "numberOfPropertiesMoved": 2,
    }
    rec = eng.webhook_receiver()
    rec.cfg.signature = "any"
    body = json.dumps([event]).encode()
    sig = hashlib.sha256(f"{SECRET}{body.decode()}".encode()).hexdigest()
    assert rec.handle("POST", HOOK_URL, "/hubspot/webhooks", {"X-HubSpot-Signature": sig}, body)[0] == 200
    rep = eng.process_queue()
    assert rep.stopped is None, rep
    link = eng.why(new)["link"]
    assert link is not None and link["hubspot_id"] == new, link
    (lead,) = env.sf_query("SELECT Id FROM Lead WHERE Email = 'ada@work.example'")
    assert link["salesforce_id"] == lead["Id"]  # the primary's lead, now the new contact's
