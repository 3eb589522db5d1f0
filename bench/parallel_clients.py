"""Many concurrent connections from one client against the served fakes (issue 17, bug 13).

Node's fetch (used by @hubspot/api-client and jsforce) opens one connection per request in flight,
so a burst of N requests is N connections arriving at once. The real APIs answer every one (or
refuse it with a 429); they never reset a connection. Target: 1,000 concurrent connections, 0
resets, every request answered (2xx or 429). The other benches use one keep-alive session, which
hides this. Exits non-zero when the target is missed."""

from __future__ import annotations

from hubforce.testing.burst import burst
from simulator import Sandbox
from simulator.clients import HUBSPOT_TOKEN
from simulator.core.server import serve_in_thread

TARGET_CONNECTIONS = 1000


def main() -> int:
    print(f"== parallel_clients: {TARGET_CONNECTIONS} concurrent connections from one client (served fakes, 127.0.0.1)")
    sandbox = Sandbox(seed=1, virtual_clock=False)
    missed = False
    with serve_in_thread(sandbox) as handle:
        # a record to retrieve (what "100 parallel retrieves" in the issue read)
        import requests

        r = requests.post(
            f"{handle.hubspot_url}/crm/v3/objects/contacts",
            json={"properties": {"email": "burst@example.com"}},
            headers={"Authorization": f"Bearer {HUBSPOT_TOKEN}"},
            timeout=10,
        )
        path = f"/crm/v3/objects/contacts/{r.json()['id']}"
        for n in (100, TARGET_CONNECTIONS):
            b = burst(handle.hubspot_url, path, n)
            ok = b.ok(n)
            missed |= not ok
            codes = ", ".join(f"{s}: {c}" for s, c in sorted(b.statuses.items()))
            fails = ", ".join(f"{k}: {c}" for k, c in sorted(b.failures.items())) or "none"
            print(
                f"  {n:>5} connections at once: {b.answered} answered ({codes}), resets/cut: {fails},"
                f" {b.seconds:.2f} s   target: 0 resets, all answered or 429 -> {'met' if ok else 'MISSED'}"
            )
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
