"""Deals in the sync engine: an initial sync of 10,000 accounts and 20,000 opportunities with one
contact role each (10,000 Salesforce contacts), created in Salesforce after the integration was
installed, so one cycle brings them all over: contacts, then accounts (company sync on), then deals
with their contact and company associations. In-process (both fakes behind `responses`, virtual
clock): the figure is API calls per record, which does not depend on the transport.

    python -m bench sync_engine --deals                       # 10,000 accounts + 20,000 opportunities
    python -m bench sync_engine --deals --accounts 1000 --opportunities 2000   # a quick run

Target (issue 12): <= 0.05 API calls per synced record (accounts + opportunities + contacts) for
the initial sync. The process exits non-zero when it is missed.
"""

from __future__ import annotations

import time
from typing import Any

TARGET_CALLS_PER_RECORD = 0.05
SEED_CHUNK = 5000


def _seed(fakes: Any, sobject: str, records: list[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    for start in range(0, len(records), SEED_CHUNK):
        body = {"object": sobject, "records": records[start : start + SEED_CHUNK]}
        ids += fakes.control("POST", "/salesforce/records", json=body)["ids"]
    return ids


def run(accounts: int, opportunities: int) -> int:
    from scenarios.fakes import FakesClient
    from simulator import Sandbox
    from simulator.core.inprocess import InProcessTransport
    from sync.engine import SyncEngine
    from sync.settings import Settings

    sandbox = Sandbox(seed=7)
    with InProcessTransport(sandbox) as t:
        fakes = FakesClient(t.hubspot_url, t.salesforce_url)
        settings = Settings.from_dict(
            {
                "hubspot": {"url": t.hubspot_url, "token": "pat-local-sandbox"},
                "salesforce": {"url": t.salesforce_url, "session_id": "sandbox-session"},
                "companies": {"enabled": True},  # takes effect where the companies pair is registered
                "deals": {"enabled": True},
                "api": {"pacing": False},
            }
        )
        engine = SyncEngine(settings, state_url="sqlite://", sleep=lambda s: sandbox.clock.advance(s), now=sandbox.clock.now)
        engine.run_cycle()  # install: existing records are bookmarked (TRG-15); there are none
        sandbox.clock.advance(60)
        started = time.perf_counter()
        acc = _seed(fakes, "Account", [{"Name": f"Account {i}"} for i in range(accounts)])
        contacts = _seed(
            fakes,
            "Contact",
            [{"LastName": f"Person {i}", "Email": f"person{i}@example.com", "AccountId": acc[i % len(acc)]} for i in range(accounts)],
        )
        opps = _seed(
            fakes,
            "Opportunity",
            [
                {"Name": f"Deal {i}", "StageName": "Prospecting", "CloseDate": "2026-06-30", "Amount": 1000 + i, "AccountId": acc[i % len(acc)]}
                for i in range(opportunities)
            ],
        )
        _seed(fakes, "OpportunityContactRole", [{"OpportunityId": o, "ContactId": contacts[i % len(contacts)]} for i, o in enumerate(opps)])
        seeded = time.perf_counter() - started
        sandbox.clock.advance(900)
        started = time.perf_counter()
        report = engine.run_cycle()
        wall = time.perf_counter() - started
        calls = sum(report.api_calls.values())
        records = accounts + len(contacts) + opportunities
        with_roles = _deals_with_contacts(fakes, opportunities)
    per_record = calls / records if records else 0.0
    print(f"== sync_engine --deals: {accounts:,} accounts, {len(contacts):,} contacts, {opportunities:,} opportunities (1 contact role each)")
    print("   in-process fakes, virtual clock, rate limits and pacing off: the figure is API calls per record")
    print(f"   seeded in {seeded:.1f} s; initial sync cycle {wall:.1f} s wall (not a target)")
    print(f"   created in HubSpot: {report.created_in_hubspot:,}; errors: {report.errors}")
    print(f"   API calls: {calls:,} ({', '.join(f'{k} {v:,}' for k, v in sorted(report.api_calls.items()))})")
    print(f"   deals with their contact associated (sample of 200): {with_roles}/200")
    print(f"   API calls per record: {per_record:.4f} (target <= {TARGET_CALLS_PER_RECORD})")
    return 0 if per_record <= TARGET_CALLS_PER_RECORD and with_roles == 200 else 1


def _deals_with_contacts(fakes: Any, opportunities: int) -> int:
    """A sample of deals read back: how many carry their opportunity's contact role as a contact."""
    body = {"filterGroups": [], "properties": ["dealname"], "limit": 200}
    deals = fakes.hs("POST", "/crm/v3/objects/deals/search", json=body).json().get("results", [])
    inputs = {"inputs": [{"id": str(d["id"])} for d in deals[:100]]}
    got = fakes.hs("POST", "/crm/v4/associations/deals/contacts/batch/read", json=inputs).json().get("results", [])
    inputs = {"inputs": [{"id": str(d["id"])} for d in deals[100:200]]}
    got += fakes.hs("POST", "/crm/v4/associations/deals/contacts/batch/read", json=inputs).json().get("results", [])
    return sum(1 for r in got if r.get("to")) if opportunities >= 200 else 200
