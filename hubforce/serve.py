"""`hubforce serve`: both fakes on real sockets, in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from simulator import Sandbox
from simulator.clients import (
    HUBSPOT_TOKEN,
    SALESFORCE_CONSUMER_KEY,
    SALESFORCE_CONSUMER_SECRET,
    SALESFORCE_PASSWORD,
    SALESFORCE_SESSION_ID,
    SALESFORCE_USERNAME,
)
from simulator.core.server import ServerHandle, serve_in_thread

if TYPE_CHECKING:
    from hubforce.web.server import UiHandle


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
    p.add_argument("--ui-port", type=int, default=8100, help="port of the web UI (default 8100)")
    p.add_argument("--no-ui", action="store_true", help="do not serve the web UI")
    p.add_argument("--ui-dir", default=".hubforce/web", help="where the web UI keeps its integration settings and sync state")
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
    try:
        ui = None if args.no_ui else _start_ui(args, handle)
    except OSError as exc:  # e.g. the port is taken: one line, no traceback
        handle.stop()
        print(f"hubforce serve: the web UI cannot listen on {args.host}:{args.ui_port}: "
              f"{exc.strerror or exc}; choose another with --ui-port, or --no-ui", file=sys.stderr)
        return 2
    if ui is not None:
        lines.append(f"  Web UI           {ui.url}    (settings and sync state in {args.ui_dir})")
    print("\n".join(lines), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if ui is not None:
            ui.stop()
        handle.stop()
    return 0


def _start_ui(args: argparse.Namespace, handle: ServerHandle) -> UiHandle:
    from hubforce.web.server import serve_ui

    verify: str | bool = str(handle.tls.ca_cert) if handle.tls else True
    # The fakes start empty unless a snapshot is loaded: then the sync state of a previous run is stale.
    return serve_ui(handle.hubspot_url, handle.salesforce_url, Path(args.ui_dir), host=args.host,
                    port=args.ui_port, verify=verify, fresh=not args.snapshot)
