"""Salesforce fake throughput beside a bare Flask endpoint (same run, same transport), and SOQL
latency over 100k leads. Targets (issue 3): single create >= 0.5x bare; indexed Email lookup
<= 2 ms in-process; a SystemModstamp window returning 200 rows <= 10 ms."""

from __future__ import annotations

import itertools
import time

import requests

from bench.common import bare_inprocess, bare_socket, latency_ms, rate, row, session
from simulator import Sandbox
from simulator.clients import SALESFORCE_SESSION_ID
from simulator.core.inprocess import InProcessTransport
from simulator.core.server import serve_in_thread

V = "/services/data/v59.0"
_n = itertools.count()


def _lead() -> dict:
    i = next(_n)
    return {"LastName": f"Lovelace{i}", "Company": "Acme", "Email": f"lead{i}@example.com"}


def _measure(base: str, bare: str, label: str) -> list[str]:
    s = session(SALESFORCE_SESSION_ID)
    bare_s = session()
    bare_rate = rate(lambda: bare_s.post(f"{bare}/create", json=_lead()))
    single = rate(lambda: s.post(f"{base}{V}/sobjects/Lead/", json=_lead()))

    def composite() -> None:
        records = [{"attributes": {"type": "Lead"}, **_lead()} for _ in range(200)]
        r = s.post(f"{base}{V}/composite/sobjects", json={"allOrNone": False, "records": records})
        assert r.status_code == 200, r.text[:200]

    comp = rate(composite, min_calls=5) * 200
    bulk_rows, bulk_s, close_ms = _bulk_ingest(s, base, 10_000)
    q = "SELECT Id, Email FROM Lead WHERE Email = 'lead5@example.com'"
    query = rate(lambda: s.get(f"{base}{V}/query/", params={"q": q}), seconds=1.0)
    return [
        label,
        row("bare Flask endpoint (POST, JSON in/out)", bare_rate, "req/s"),
        row("single Lead create", single, "req/s", f"ratio to bare {single / bare_rate:.2f} (target >= 0.5)"),
        row("composite/sobjects create (200 per call)", comp, "records/s"),
        row("SOQL query, Email = (indexed)", query, "req/s"),
        row(f"Bulk 2.0 ingest, {bulk_rows:,} rows (create..JobComplete)", bulk_rows / bulk_s, "records/s",
            f"close (rows processed under the lock) {close_ms:,.0f} ms"),
    ]


def _bulk_ingest(s: requests.Session, base: str, n: int) -> tuple[int, float, float]:
    """One Bulk 2.0 insert job of `n` leads as sf.bulk2 drives it: (rows, seconds end to end, ms of the
    UploadComplete PATCH, which processes every row while holding the sandbox lock)."""
    start = time.perf_counter()
    job = s.post(f"{base}{V}/jobs/ingest", json={"object": "Lead", "operation": "insert", "lineEnding": "LF"}).json()
    lines = ["LastName,Company,Email"] + [f"Bulk{i},Acme,bulk{next(_n)}@example.com" for i in range(n)]
    s.put(f"{base}{V}/jobs/ingest/{job['id']}/batches", data="\n".join(lines).encode(),
          headers={"Content-Type": "text/csv"})
    t = time.perf_counter()
    s.patch(f"{base}{V}/jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
    close_ms = (time.perf_counter() - t) * 1000
    info = s.get(f"{base}{V}/jobs/ingest/{job['id']}").json()
    assert info["state"] == "JobComplete" and info["numberRecordsProcessed"] == n, info
    return n, time.perf_counter() - start, close_ms


def soql_latency(n: int = 100_000) -> list[str]:
    sandbox = Sandbox(seed=2)
    sandbox.update_settings("salesforce", {"daily_api_requests": 10_000_000})
    with InProcessTransport(sandbox) as t:
        s = session(SALESFORCE_SESSION_ID)
        for chunk in range(n // 200):
            records = [{"attributes": {"type": "Lead"}, "LastName": f"L{chunk}_{i}", "Company": "Acme",
                        "Email": f"soql{chunk}_{i}@example.com", "Title": "CTO" if i % 2 else "CEO"} for i in range(200)]
            s.post(f"{t.salesforce_url}{V}/composite/sobjects", json={"allOrNone": False, "records": records})
            if chunk % 50 == 0:
                s.post(f"{t.salesforce_url}/_hubforce/clock/advance", json={"seconds": 1})
        get = lambda q: (lambda: s.get(f"{t.salesforce_url}{V}/query/", params={"q": q}).json())  # noqa: E731
        mid = sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        indexed = latency_ms(get("SELECT Id, Email FROM Lead WHERE Email = 'soql250_7@example.com'"))
        unindexed = latency_ms(get("SELECT Id FROM Lead WHERE Title = 'nobody' LIMIT 1"), repeat=5)
        window = latency_ms(get(f"SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp >= {mid} ORDER BY SystemModstamp LIMIT 200"))
    return [
        row(f"SOQL Email = over {n:,} leads (indexed), HTTP in-process", indexed, "ms", "target <= 2 ms"),
        row(f"SOQL Title = over {n:,} leads (unindexed scan)", unindexed, "ms"),
        row("SOQL SystemModstamp window, 200 rows", window, "ms", "target <= 10 ms"),
    ]


def opportunity_soql(accounts: int = 5_000, per_account: int = 2) -> list[str]:
    """The SOQL a deal sync sends (issue 12), over accounts, their opportunities and one contact role
    each, HTTP in-process: a child sub-query page, a semi-join, a GROUP BY, a parent traversal."""
    sandbox = Sandbox(seed=3)
    backend = sandbox.backend("salesforce")
    stages = ["Prospecting", "Negotiation/Review", "Closed Won"]
    for a in range(accounts):
        acc = backend.create("Account", {"Name": f"Account {a}"})
        con = backend.create("Contact", {"LastName": f"C{a}", "AccountId": acc})
        for o in range(per_account):
            opp = backend.create("Opportunity", {"Name": f"D{a}-{o}", "StageName": stages[(a + o) % 3],
                                                 "Amount": 100 * o, "CloseDate": "2026-06-30", "AccountId": acc})
            backend.create("OpportunityContactRole", {"OpportunityId": opp, "ContactId": con,
                                                      "Role": "Decision Maker" if o else "Evaluator"})
    opps = accounts * per_account
    with InProcessTransport(sandbox) as t:
        s = session(SALESFORCE_SESSION_ID)
        get = lambda q: (lambda: s.get(f"{t.salesforce_url}{V}/query/", params={"q": q}).json())  # noqa: E731
        children = latency_ms(get("SELECT Id, Account.Name, (SELECT ContactId, Role, IsPrimary FROM "
                                  "OpportunityContactRoles) FROM Opportunity"), repeat=3)
        semi = latency_ms(get("SELECT Id FROM Opportunity WHERE Id IN (SELECT OpportunityId FROM "
                              "OpportunityContactRole WHERE Role = 'Decision Maker') LIMIT 200"), repeat=3)
        grouped = latency_ms(get("SELECT StageName, COUNT(Id), SUM(Amount) FROM Opportunity GROUP BY StageName"),
                             repeat=3)
    return [
        f" deal SOQL over {accounts:,} accounts, {opps:,} opportunities, {opps:,} contact roles (HTTP in-process)",
        row("first page (2,000) with Account.Name + contact-role sub-query", children, "ms"),
        row("semi-join Id IN (SELECT OpportunityId ...), 200 rows", semi, "ms"),
        row("GROUP BY StageName, COUNT(Id), SUM(Amount)", grouped, "ms"),
    ]


def main() -> None:
    print("== Salesforce fake (python -m bench salesforce_fake)")
    sandbox = Sandbox(seed=2)
    sandbox.update_settings("salesforce", {"daily_api_requests": 10_000_000})
    with InProcessTransport(sandbox) as t, bare_inprocess() as bare:
        for line in _measure(t.salesforce_url, bare, " in-process (responses -> WSGI, no sockets)"):
            print(line)
    sandbox.reset()
    with serve_in_thread(sandbox) as h, bare_socket() as bare:
        for line in _measure(h.salesforce_url, bare, " over HTTP (cheroot on 127.0.0.1, keep-alive session)"):
            print(line)
    for line in soql_latency():
        print(line)
    for line in opportunity_soql():
        print(line)


if __name__ == "__main__":
    main()
