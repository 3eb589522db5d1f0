"""Many connections opened at the same moment by one client, each with one request, the way
Node's fetch (@hubspot/api-client, jsforce) sends a burst: a connection per request in flight.
Used by bench/parallel_clients.py and the integration tests (issue 17, bug 13)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from simulator.clients import HUBSPOT_TOKEN


@dataclass
class Burst:
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # resets, refusals, cut answers
    seconds: float = 0.0

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    def ok(self, n: int) -> bool:
        """Every request answered with a 2xx or a 429, none reset or cut."""
        good = sum(c for s, c in self.statuses.items() if 200 <= s < 300 or s == 429)
        return not self.failures and good == n


async def _one(host: str, port: int, request: bytes, out: Burst, start: asyncio.Event) -> None:
    await start.wait()
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if length:
            await reader.readexactly(length)
        out.statuses[int(head.split(b" ", 2)[1])] += 1
        writer.close()
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        out.failures[type(exc).__name__] += 1


async def _burst(host: str, port: int, request: bytes, n: int) -> Burst:
    out = Burst()
    start = asyncio.Event()
    tasks = [asyncio.create_task(_one(host, port, request, out, start)) for _ in range(n)]
    await asyncio.sleep(0)  # every task waiting at the gate: they all connect at once
    t0 = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    out.seconds = time.perf_counter() - t0
    return out


def burst(base_url: str, path: str, n: int, token: str = HUBSPOT_TOKEN) -> Burst:
    """n connections opened at the same moment, one GET each (Connection: close, like Node's fetch
    with no agent reuse), against a served fake at base_url (http://host:port)."""
    hostport = base_url.split("://", 1)[1].rstrip("/")
    host, port = hostport.rsplit(":", 1)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {hostport}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\nConnection: close\r\n\r\n"
    ).encode()
    # On a thread of its own: the caller's thread may already run an event loop (Playwright's
    # sync API leaves one running in a test process), and asyncio.run refuses to nest.
    out: list[Burst] = []
    worker = threading.Thread(target=lambda: out.append(asyncio.run(_burst(host.strip("[]"), int(port), request, n))))
    worker.start()
    worker.join()
    if not out:
        raise RuntimeError("the burst's event loop failed (see the thread's traceback above)")
    return out[0]
