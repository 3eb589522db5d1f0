"""`hubforce serve`: both fakes on real sockets, in the foreground."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from simulator import Sandbox
from simulator.clients import (
    HUBSPOT_TOKEN,
    SALESFORCE_CONSUMER_KEY,
    SALESFORCE_CONSUMER_SECRET,
    SALESFORCE_PASSWORD,
    SALESFORCE_SESSION_ID,
    SALESFORCE_USERNAME,
)
from simulator.core.server import serve_in_thread


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve the HubSpot and Salesforce fakes (foreground)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--hubspot-port", type=int, default=8101)
    p.add_argument("--salesforce-port", type=int, default=8102)
    p.add_argument("--seed", type=int, default=0, help="seed for every generated id (same seed, same ids)")
    p.add_argument("--wall-clock", action="store_true", help="follow real time (default: virtual clock, advanced via the control API)")
    p.add_argument("--tls", action="store_true", help="serve HTTPS with a generated local CA")
    p.add_argument("--tls-dir", default=".hubforce/tls", help="where the CA and server certificate are written")
    p.add_argument("--snapshot", help="load this sandbox snapshot at start")
    p.add_argument("--threads", type=int, default=8)
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    sandbox = Sandbox(seed=args.seed, virtual_clock=not args.wall_clock)
    if args.snapshot:
        sandbox.load_snapshot(args.snapshot)
    handle = serve_in_thread(
        sandbox, host=args.host, hubspot_port=args.hubspot_port, salesforce_port=args.salesforce_port,
        tls_dir=Path(args.tls_dir) if args.tls else None, threads=args.threads,
    )
    lines = [
        "Hubforce sandbox is serving (Ctrl-C to stop)",
        f"  HubSpot fake     {handle.hubspot_url}    token: {HUBSPOT_TOKEN}",
        f"  Salesforce fake  {handle.salesforce_url}    session id: {SALESFORCE_SESSION_ID}",
        f"                   login: {SALESFORCE_USERNAME} / {SALESFORCE_PASSWORD}"
        f"  (OAuth client {SALESFORCE_CONSUMER_KEY} / {SALESFORCE_CONSUMER_SECRET})",
        f"  Control API      {handle.hubspot_url}/_hubforce  (same sandbox on both ports)",
        f"  Clock            {'wall' if args.wall_clock else 'virtual (POST /_hubforce/clock/advance)'}; seed {args.seed}",
    ]
    if handle.tls:
        lines.append(f"  TLS CA           {handle.tls.ca_cert}   (export REQUESTS_CA_BUNDLE={handle.tls.ca_cert})")
    print("\n".join(lines), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0
