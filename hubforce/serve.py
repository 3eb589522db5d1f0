"""`hubforce serve`: both fakes on real sockets, in the foreground.

The served fakes follow the wall clock by default: an engine pointed at them asks "what changed in
the last 15 minutes" with its own clock, as it would in production. `--virtual-clock [START]` gives
the frozen, reproducible clock scenarios and tests use in-process; the control API's clock actions
work in both modes (in wall mode, advancing adds an offset to real time).
"""

from __future__ import annotations

import argparse
import errno
import re
import signal
import sys
import threading
from datetime import datetime
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
from simulator.core.clock import DEFAULT_VIRTUAL_START, iso_ms, parse_instant
from simulator.core.sandbox import SnapshotError
from simulator.core.server import ServerHandle, serve_in_thread
from simulator.hubspot.webhook_timer import DeliveryTimer

if TYPE_CHECKING:
    from hubforce.web.server import UiHandle

# Served mode models real search-index lag by default (issue 13): a record is visible to GET at
# once and to search a few seconds later. In-process (scenarios, tests) the default stays 0.
SERVED_SEARCH_LAG_SECONDS = 3.0
# ... and Bulk API 2.0 jobs take time, so polling code is exercised.
SERVED_BULK_SECONDS_PER_1000 = 2.0


class ServeError(Exception):
    """A one-line reason `hubforce serve` cannot start."""


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is out of range (0-65535; 0 = any free port)")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an instant: {text!r} (ISO-8601 like 2026-01-05T09:00:00Z, or epoch milliseconds)"
        ) from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the HubSpot and Salesforce fakes (foreground)",
        description="Serve the HubSpot and Salesforce fakes on real sockets until Ctrl-C or SIGTERM. "
        "Both ports serve the same sandbox and its control API (/_hubforce).",
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; ::1 for IPv6)"
    )
    p.add_argument(
        "--hubspot-port",
        type=_port,
        default=8101,
        help="HubSpot fake's port (default 8101; 0 = any free port)",
    )
    p.add_argument(
        "--salesforce-port",
        type=_port,
        default=8102,
        help="Salesforce fake's port (default 8102; 0 = any free port)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed for every generated id (same seed, same ids; default 0)"
    )
    clock = p.add_mutually_exclusive_group()
    clock.add_argument(
        "--virtual-clock",
        nargs="?",
        const=DEFAULT_VIRTUAL_START,
        type=_instant,
        metavar="START",
        help="a frozen virtual clock that moves only through the control API (POST /_hubforce/clock/advance), "
        f"starting at START (ISO-8601 or epoch ms; default {iso_ms(DEFAULT_VIRTUAL_START)}). "
        "Default: the wall clock",
    )
    clock.add_argument(
        "--wall-clock", action="store_true", help="follow real time (the default; kept for old scripts)"
    )
    p.add_argument(
        "--search-lag",
        type=_seconds,
        default=SERVED_SEARCH_LAG_SECONDS,
        metavar="SECONDS",
        help="HubSpot search index lag: a created or updated record reaches search this many sandbox-clock "
        f"seconds after GET sees it (default {SERVED_SEARCH_LAG_SECONDS:g}; 0 = at once)",
    )
    p.add_argument(
        "--bulk-pace",
        type=_seconds,
        default=SERVED_BULK_SECONDS_PER_1000,
        metavar="SECONDS",
        help="Bulk API 2.0 jobs go UploadComplete -> InProgress -> JobComplete taking this many seconds "
        f"per 1,000 rows (default {SERVED_BULK_SECONDS_PER_1000:g}; 0 = complete at once)",
    )
    p.add_argument(
        "--tls", action="store_true", help="serve HTTPS with a local CA, generated once and kept in --tls-dir"
    )
    p.add_argument(
        "--tls-dir",
        default=".hubforce/tls",
        help="where the CA and server certificate live (default .hubforce/tls)",
    )
    p.add_argument(
        "--snapshot",
        metavar="PATH",
        help="load this sandbox snapshot (from /_hubforce/snapshot/save) at start",
    )
    p.add_argument("--threads", type=_positive_int, default=8, help="worker threads per fake (default 8)")
    p.add_argument("--ui-port", type=_port, default=8100, help="port of the web UI (default 8100)")
    p.add_argument("--no-ui", action="store_true", help="do not serve the web UI")
    p.add_argument(
        "--ui-dir",
        default=".hubforce/web",
        help="where the web UI keeps its integration settings and sync state",
    )
    p.set_defaults(func=run_serve)


def build_sandbox(args: argparse.Namespace) -> Sandbox:
    """The sandbox `serve` runs, from its flags; ServeError when the snapshot cannot be used."""
    virtual = args.virtual_clock is not None
    # Served, search trails writes, webhooks go out on the sender's own schedule (apart from the API
    # calls that cause them) and Bulk jobs take time; a control-API reset keeps these defaults.
    served = {
        "hubspot": {"search_lag_seconds": args.search_lag, "webhook_delivery": "timer"},
        "salesforce": {"bulk_seconds_per_1000_rows": args.bulk_pace},
    }
    sandbox = Sandbox(seed=args.seed, virtual_clock=virtual, settings=served)
    if args.snapshot:
        try:
            sandbox.load_snapshot(args.snapshot)
        except SnapshotError as exc:
            text = str(exc)
            raise ServeError(
                text if text.startswith("cannot read") else f"cannot load snapshot {args.snapshot}: {text}"
            ) from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ServeError(
                f"cannot load snapshot {args.snapshot}: not a valid Hubforce snapshot ({exc!r})"
            ) from None
    for name, values in served.items():  # a snapshot's settings do not undo the command line's
        sandbox.update_settings(name, values)
    # The command line chooses the clock: a snapshot's frozen instant does not freeze a wall-clock serve.
    if virtual:
        sandbox.clock.set(args.virtual_clock)
    elif sandbox.clock.virtual:
        sandbox.clock.unfreeze()
    return sandbox


def start(args: argparse.Namespace, sandbox: Sandbox) -> ServerHandle:
    try:
        return serve_in_thread(
            sandbox,
            host=args.host,
            hubspot_port=args.hubspot_port,
            salesforce_port=args.salesforce_port,
            tls_dir=Path(args.tls_dir) if args.tls else None,
            threads=args.threads,
        )
    except OSError as exc:
        # cheroot re-raises bind failures as a bare OSError carrying the errno only in its text
        text = str(exc)
        if exc.errno == errno.EADDRINUSE or "already in use" in text:
            port = (
                m[1]
                if (m := re.search(r"', (\d+)\)", text))
                else f"{args.hubspot_port} or {args.salesforce_port}"
            )
            raise ServeError(
                f"cannot listen on {args.host} port {port}: address already in use "
                "(stop the other server or pick --hubspot-port / --salesforce-port)"
            ) from None
        raise ServeError(f"cannot listen on {args.host}: {exc.strerror or text}") from None


def run_serve(args: argparse.Namespace) -> int:
    try:
        sandbox = build_sandbox(args)
        handle = start(args, sandbox)
    except ServeError as exc:
        print(f"hubforce serve: {exc}", file=sys.stderr)
        return 2
    clock = (
        f"virtual from {iso_ms(sandbox.clock.now())} (POST /_hubforce/clock/advance)"
        if sandbox.clock.virtual
        else "wall (POST /_hubforce/clock/advance adds an offset)"
    )
    lines = [
        "Hubforce sandbox is serving (Ctrl-C to stop)",
        f"  HubSpot fake     {handle.hubspot_url}    token: {HUBSPOT_TOKEN}",
        f"  Salesforce fake  {handle.salesforce_url}    session id: {SALESFORCE_SESSION_ID}",
        f"                   login: {SALESFORCE_USERNAME} / {SALESFORCE_PASSWORD}"
        f"  (OAuth client {SALESFORCE_CONSUMER_KEY} / {SALESFORCE_CONSUMER_SECRET})",
        f"  Control API      {handle.hubspot_url}/_hubforce  (same sandbox on both ports)",
        f"  Clock            {clock}; seed {args.seed}; search lag {args.search_lag:g} s",
    ]
    if handle.tls:
        ca = handle.tls.ca_cert.resolve()
        lines.append(f"  TLS CA           {ca}")
        lines.append(f"                   requests/simple-salesforce: export REQUESTS_CA_BUNDLE={ca}")
        lines.append(f"                   hubspot-api-client (urllib3): export SSL_CERT_FILE={ca}")
    try:
        ui = None if args.no_ui else _start_ui(args, handle)
    except OSError as exc:  # e.g. the port is taken: one line, no traceback
        handle.stop()
        print(
            f"hubforce serve: the web UI cannot listen on {args.host}:{args.ui_port}: "
            f"{exc.strerror or exc}; choose another with --ui-port, or --no-ui",
            file=sys.stderr,
        )
        return 2
    if ui is not None:
        lines.append(f"  Web UI           {ui.url}    (settings and sync state in {args.ui_dir})")
    print("\n".join(lines), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sender = DeliveryTimer(sandbox).start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sender.stop()
        if ui is not None:
            ui.stop()
        handle.stop()
    return 0


def _start_ui(args: argparse.Namespace, handle: ServerHandle) -> UiHandle:
    from hubforce.web.server import serve_ui

    verify: str | bool = str(handle.tls.ca_cert) if handle.tls else True
    # The fakes start empty unless a snapshot is loaded: then the sync state of a previous run is stale.
    return serve_ui(
        handle.hubspot_url,
        handle.salesforce_url,
        Path(args.ui_dir),
        host=args.host,
        port=args.ui_port,
        verify=verify,
        fresh=not args.snapshot,
    )
