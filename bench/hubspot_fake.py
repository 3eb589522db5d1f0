"""HubSpot fake throughput beside a bare Flask endpoint (same run, same transport), plus memory per
stored contact. Targets (issue 2): single create >= 0.5x bare; batch create >= 10,000 contacts/s
in-process; <= 4 KB per stored contact. Issue 13: >= 1,000 searches/s for EQ on email over 100k
contacts in-process (the lookup a sync engine makes per record). Issue 12: deals by batch create
(each stage checked against its pipeline, the calculated stage properties set) beside contacts."""

from __future__ import annotations

import gc
import itertools
import time
import tracemalloc

from bench.common import bare_inprocess, bare_socket, rate, row, session
from simulator import Sandbox
from simulator.clients import HUBSPOT_TOKEN
from simulator.core.inprocess import InProcessTransport
from simulator.core.server import serve_in_thread

_n = itertools.count()


def _contact() -> dict:
    i = next(_n)
    return {"properties": {"email": f"bench{i}@example.com", "firstname": "Ada", "lastname": f"L{i}", "lifecyclestage": "lead"}}


def _measure(base: str, bare: str, label: str) -> list[str]:
    s = session(HUBSPOT_TOKEN)
    bare_s = session()
    url = f"{base}/crm/v3/objects/contacts"
    bare_rate = rate(lambda: bare_s.post(f"{bare}/create", json=_contact()))
    single = rate(lambda: s.post(url, json=_contact()))

    def batch() -> None:
        r = s.post(f"{url}/batch/create", json={"inputs": [_contact() for _ in range(100)]})
        assert r.status_code == 201, r.text[:200]

    batch_rate = rate(batch, min_calls=5) * 100
    search_body = {"filterGroups": [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}],
                   "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}], "limit": 100}
    search_rate = rate(lambda: s.post(f"{url}/search", json=search_body), seconds=1.0)
    return [
        f"{label}",
        row("bare Flask endpoint (POST, JSON in/out)", bare_rate, "req/s"),
        row("single contact create", single, "req/s", f"ratio to bare {single / bare_rate:.2f} (target >= 0.5)"),
        row("batch create (100 per call)", batch_rate, "contacts/s", f"ratio to bare {batch_rate / 100 / bare_rate:.2f} calls"),
        row("search (EQ filter, sorted, 100 per page)", search_rate, "req/s", f"over {next(_n):,} contacts"),
    ]


def _load(t: InProcessTransport, n: int, tag: str) -> None:
    s = session(HUBSPOT_TOKEN)
    for chunk in range(n // 100):
        inputs = [{"properties": {"email": f"{tag}{chunk}_{i}@example.com", "firstname": "Grace", "lastname": f"Hopper{i}",
                                  "lifecyclestage": "lead", "jobtitle": "Engineer", "phone": "+1 555 0100"}} for i in range(100)]
        r = s.post(f"{t.hubspot_url}/crm/v3/objects/contacts/batch/create", json={"inputs": inputs})
        assert r.status_code == 201, r.text[:200]


def memory_per_contact(n: int = 100_000) -> float:
    """Bytes per stored contact, traced with tracemalloc (which slows the load several-fold)."""
    sandbox = Sandbox(seed=1)
    sandbox.update_settings("hubspot", {"rate_limits": False})
    with InProcessTransport(sandbox) as t:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        _load(t, n, "m")
        sandbox.journal.clear()  # the journal is not part of the store
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    return (after - before) / n


EMAIL_SEARCH_TARGET = 1_000  # searches/s, EQ on email over 100k contacts, in-process (issue 13)


def load_seconds_and_email_searches(n: int = 100_000) -> tuple[float, float]:
    """Wall time to load n contacts by batch create in-process, untraced; then searches per second
    of `email EQ <one of them>` over the loaded store (each search a different email)."""
    sandbox = Sandbox(seed=1)
    sandbox.update_settings("hubspot", {"rate_limits": False})
    with InProcessTransport(sandbox) as t:
        start = time.perf_counter()
        _load(t, n, "l")
        elapsed = time.perf_counter() - start
        s = session(HUBSPOT_TOKEN)
        url = f"{t.hubspot_url}/crm/v3/objects/contacts/search"
        picks = itertools.cycle(f"l{c}_{i}@example.com" for c in range(0, n // 100, 7) for i in range(0, 100, 13))

        def lookup() -> None:
            body = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": next(picks)}]}],
                    "properties": ["email"], "limit": 1}
            r = s.post(url, json=body)
            assert r.status_code == 200 and r.json()["total"] == 1, r.text[:200]

        return elapsed, rate(lookup, seconds=2.0)


DEAL_STAGES = ("appointmentscheduled", "qualifiedtobuy", "contractsent", "closedwon", "closedlost")


def deals_and_contacts_batch_rates() -> tuple[float, float]:
    """Records per second by batch create in-process, deals then contacts, in one sandbox."""
    sandbox = Sandbox(seed=1)
    sandbox.update_settings("hubspot", {"rate_limits": False})
    stages = itertools.cycle(DEAL_STAGES)
    with InProcessTransport(sandbox) as t:
        s = session(HUBSPOT_TOKEN)

        def deals() -> None:
            inputs = [{"properties": {"dealname": f"D{next(_n)}", "amount": "1200", "dealstage": next(stages)}}
                      for _ in range(100)]
            r = s.post(f"{t.hubspot_url}/crm/v3/objects/deals/batch/create", json={"inputs": inputs})
            assert r.status_code == 201, r.text[:200]

        def contacts() -> None:
            r = s.post(f"{t.hubspot_url}/crm/v3/objects/contacts/batch/create",
                       json={"inputs": [_contact() for _ in range(100)]})
            assert r.status_code == 201, r.text[:200]

        return rate(deals, min_calls=5) * 100, rate(contacts, min_calls=5) * 100


def main() -> None:
    print("== HubSpot fake (python -m bench hubspot_fake)")
    sandbox = Sandbox(seed=1)
    sandbox.update_settings("hubspot", {"rate_limits": False})  # measure the handlers, not the limiter
    with InProcessTransport(sandbox) as t, bare_inprocess() as bare:
        for line in _measure(t.hubspot_url, bare, " in-process (responses -> WSGI, no sockets)"):
            print(line)
    sandbox.reset()
    with serve_in_thread(sandbox) as h, bare_socket() as bare:
        for line in _measure(h.hubspot_url, bare, " over HTTP (cheroot on 127.0.0.1, keep-alive session)"):
            print(line)
    deal_rate, contact_rate = deals_and_contacts_batch_rates()
    print(row("batch create deals, 3 properties (in-process)", deal_rate, "deals/s",
              f"contacts in the same run {contact_rate:,.0f}/s"))
    elapsed, email_rate = load_seconds_and_email_searches()
    print(row("load 100k contacts via batch create (in-process)", elapsed, "s", f"{100_000 / elapsed:,.0f} contacts/s"))
    print(row("search EQ email over 100k contacts (in-process)", email_rate, "req/s", f"target >= {EMAIL_SEARCH_TARGET:,}"))
    per_contact = memory_per_contact()
    print(row("memory per stored contact (100k, 6 properties)", per_contact / 1024, "KB", "target <= 4 KB (tracemalloc)"))


if __name__ == "__main__":
    main()
