"""`hubforce sync ...` subcommands (registered by hubforce/cli.py)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sync.errors import AuthError, RecordNotFound, StateUnavailable, SyncHttpError
from sync.objects import OBJECT_TYPES
from sync.settings import Settings, SettingsError
from sync.state.lock import EngineBusy, engine_lock


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("sync", help="run and operate the HubSpot <-> Salesforce sync engine")
    sub = p.add_subparsers(dest="sync_command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_text)
        sp.add_argument("--config", required=True, help="settings YAML file")
        sp.add_argument(
            "--state", default=None, help="state database URL or SQLite path (default: settings state_url)"
        )
        sp.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
        return sp

    r = add("run", "poll both systems every poll_interval_seconds (TRG-1) and sync")
    r.add_argument("--once", action="store_true", help="run one cycle and exit")
    r.add_argument("--cycles", type=int, default=None, help="stop after N cycles")
    r.add_argument(
        "--chunk-size",
        type=_positive_int,
        default=1000,
        help="queue items processed and committed together (default 1000); SIGTERM finishes the chunk in flight",
    )
    r.add_argument(
        "--no-webhooks",
        action="store_true",
        help="do not start the HubSpot webhook receiver even if hubspot.webhooks is configured"
        " (a separate `sync webhooks-listen` may receive them; queued changes are still drained)",
    )
    r.set_defaults(func=_run)
    wl = add("webhooks-listen", "receive HubSpot webhooks and queue the changes (a `sync run` processes them)")
    wl.set_defaults(func=_webhooks_listen)
    ws = add("webhooks-subscribe", "point a HubSpot app's webhooks at the receiver and subscribe the events the sync needs")
    ws.add_argument("--app-id", type=int, required=True, help="the developer app id")
    ws.add_argument("--developer-key", required=True, help="the developer API key (hapikey) of the app's account")
    ws.add_argument("--target-url", default=None, help="the URL HubSpot posts to (default: hubspot.webhooks listen + path)")
    ws.set_defaults(func=_webhooks_subscribe)
    st = add("status", "API use, errors by category, suspension")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=_status)
    rl = add("resync-list", "queue every member of a list now (INC-6)")
    rl.add_argument("list", help="list name or id")
    rl.set_defaults(func=_resync_list)
    rr = add("resync", "queue one record now (TRG-14 / ERR-8)")
    rr.add_argument("record", help="HubSpot id, Salesforce id or email")
    rr.set_defaults(func=_resync)
    re_ = add("resync-errors", "queue every record in error now (ERR-8 Sync Health resync)")
    re_.add_argument("--category", default=None, help="only this error category, e.g. PERMISSIONS")
    re_.set_defaults(func=_resync_errors)
    co = add("company", "sync one HubSpot company now: its Sync button (TRG-14; CMP-5 creates its account)")
    co.add_argument("record", help="HubSpot company id or Salesforce account id")
    co.set_defaults(func=_resync_company)
    ra = add("resync-all", "queue every record of one object type now (bulk resync; CMP-7 limit for companies)")
    ra.add_argument("object", choices=[o.name for o in OBJECT_TYPES])
    ra.set_defaults(func=_resync_all)
    im = add("import-salesforce", "import Salesforce leads, contacts, accounts or opportunities into HubSpot (IMP-1..6)")
    im.add_argument("--object", required=True, choices=[sf for o in OBJECT_TYPES for sf in o.sf_objects])
    im.set_defaults(func=_import)
    cs = add("clear-suspension", "clear an integration suspension (SUS-4)")
    cs.set_defaults(func=_clear)
    wy = add("why", "why a record did or did not sync")
    wy.add_argument("record", help="HubSpot id, Salesforce id or email")
    wy.add_argument("--limit", type=int, default=20)
    wy.set_defaults(func=_why)


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of 1 or more, not {text!r}")
    return int(text)


def _engine(args: argparse.Namespace, network: bool = True) -> Any:
    from sync.engine import SyncEngine

    settings = Settings.from_yaml(args.config)
    progress = None if args.quiet else (lambda msg: print(f"[sync] {msg}", file=sys.stderr, flush=True))
    eng = SyncEngine(settings, state_url=args.state, progress=progress, chunk_size=getattr(args, "chunk_size", 1000))
    eng.on_wait = lambda msg, seconds: _announce_wait(msg, seconds, args.quiet)
    # From the command line a wrong url or a server that is not running should say so at once,
    # not after a minute of connection retries (a running engine keeps retrying: see RetryingHttp).
    eng.fail_fast_connect = network
    return eng


# Under --quiet a wait this long is still announced: a silent process that sleeps looks hung.
QUIET_WAIT_SECONDS = 5.0


def _announce_wait(message: str, seconds: float, quiet: bool) -> None:
    """Retries after 429/5xx/no answer: say when and why the engine waits (issue 17)."""
    if not quiet or seconds >= QUIET_WAIT_SECONDS:
        print(f"[sync] {message}", file=sys.stderr, flush=True)


# Each kind of failure: the words before its message and the exit code (README: exit codes). Checked
# in this order, as except clauses would be.
_FAILURES: tuple[tuple[type[Exception], str, int], ...] = (
    (SettingsError, "settings error: ", 2),
    (StateUnavailable, "cannot open the state database: ", 2),
    (RecordNotFound, "record not found: ", 6),
    (EngineBusy, "", 7),
    (AuthError, "authentication failed: ", 3),
)


def _guarded(fn: Any) -> Any:
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return int(fn(args) or 0)
        except BrokenPipeError:  # output piped into `head` and the like: stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        except tuple(kind for kind, _, _ in _FAILURES) as exc:
            words, code = next((w, c) for kind, w, c in _FAILURES if isinstance(exc, kind))
            print(f"hubforce sync: {words}{exc}", file=sys.stderr)
            return code
        except SyncHttpError as exc:
            if exc.code == "CONNECTION":
                print(f"hubforce sync: cannot reach {exc.system}: {exc.message}", file=sys.stderr)
            else:
                print(f"hubforce sync: {exc}", file=sys.stderr)
            return 4

    return wrapper


def _print_report(rep: Any) -> int:
    if rep.stopped and rep.stopped.startswith("settings error") and not rep.processed:
        print(f"hubforce sync: {rep.stopped}", file=sys.stderr)  # bad input: the message, not a report
        return 2
    print(json.dumps(rep.to_dict(), indent=2, sort_keys=True))
    for warning in getattr(rep, "warnings", []):  # allowed, but a person should see it (DEAL-1)
        print(f"hubforce sync: warning: {warning}", file=sys.stderr)
    if not rep.stopped or rep.stopped.startswith(("SET-5", "HubSpot daily", "stopped on request")):
        return 0
    if rep.stopped.startswith("settings error"):
        print(f"hubforce sync: {rep.stopped}", file=sys.stderr)
        return 2
    print(f"hubforce sync: stopped early: {rep.stopped}", file=sys.stderr)
    return 5 if rep.stopped.startswith("suspended") else 4


@_guarded
def _run(args: argparse.Namespace) -> int:
    eng = _engine(args)
    with engine_lock(eng.store.url):  # before any call: a second engine must not even validate
        return _run_locked(eng, args)


def _run_locked(eng: Any, args: argparse.Namespace) -> int:
    eng.validate()
    server = None
    hooks = eng.settings.hubspot.webhooks
    if hooks is not None and not args.no_webhooks and not args.once:
        server = _receiver_server(eng)
        eng.progress(f"receiving HubSpot webhooks at {server.url}")
    # A service manager stops the engine with SIGTERM: finish and commit the chunk in flight, skip
    # the rest, print the last report and exit 0 (a second SIGTERM while stopping changes nothing).
    main = threading.current_thread() is threading.main_thread()  # only there can a handler be set
    previous = signal.signal(signal.SIGTERM, lambda *_: eng.request_stop()) if main else None
    try:
        reports = eng.run(once=args.once, cycles=args.cycles)
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
        if server is not None:
            server.stop()
    cycles = [r for r in reports if r.kind == "cycle"]
    return _print_report(cycles[-1])


def _receiver_server(eng: Any) -> Any:
    from sync.webhook_server import ReceiverServer

    hooks = eng.settings.hubspot.webhooks
    try:
        return ReceiverServer(eng.webhook_receiver(), hooks.host, hooks.port).start()
    except OSError as exc:
        raise SettingsError(f"hubspot.webhooks.listen: cannot listen on {hooks.host}:{hooks.port}: {exc}") from None


@_guarded
def _webhooks_listen(args: argparse.Namespace) -> int:
    import threading

    eng = _engine(args, network=False)
    server = _receiver_server(eng)
    print(f"receiving HubSpot webhooks at {server.url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())  # a service manager's stop: clean exit
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        eng.close()
    return 0


@_guarded
def _webhooks_subscribe(args: argparse.Namespace) -> int:
    import requests

    from sync.clients.http import TRANSPORT_ERRORS, URL_ERRORS, _connect_failure
    from sync.webhooks import WebhookRejected, ensure_subscriptions

    eng = _engine(args)
    hooks = eng.settings.hubspot.webhooks
    if hooks is None and not args.target_url:
        raise SettingsError("hubspot.webhooks: not configured, and no --target-url given")
    target = args.target_url or hooks.public_url or f"http://{hooks.host}:{hooks.port}{hooks.path}"
    try:
        out = ensure_subscriptions(
            requests.Session(),
            eng.settings.hubspot.url,
            args.app_id,
            args.developer_key,
            target,
            (eng.validate(), eng.webhook_properties())[1],
            timeout=eng.settings.hubspot.timeout,
        )
    except WebhookRejected as exc:
        print(f"hubforce sync: webhooks-subscribe failed: {exc.message}", file=sys.stderr)
        return 4
    except URL_ERRORS as exc:
        print(f"hubforce sync: bad hubspot url: {exc}", file=sys.stderr)
        return 2
    except TRANSPORT_ERRORS as exc:  # refused, reset, TLS trust, a CA bundle that does not exist
        print(f"hubforce sync: cannot reach hubspot: {_connect_failure(eng.settings.hubspot.url, exc)}", file=sys.stderr)
        return 4
    print(json.dumps(out, indent=2))
    return 0


@_guarded
def _status(args: argparse.Namespace) -> int:
    st = _engine(args, network=False).status()  # from the state database only: no API calls
    if args.json:
        print(json.dumps(st, indent=2, sort_keys=True, default=str))
        return 0
    api = st["api"]
    print(
        f"integration: {'on' if st['integration_enabled'] else 'OFF'}   links: {st['links']}   queued: {st['queue']}"
    )
    alloc = api["allocation"] if api["allocation"] else "uncapped"
    print(
        f"Salesforce API calls (24 h): {api['salesforce_calls_24h']} / allocation {alloc}"
        + (f" ({api['remaining']} remaining)" if api["remaining"] is not None else "")
    )
    print(f"HubSpot API calls (24 h): {api['hubspot_calls_24h']}")
    print(f"sync errors: {st['errors']['records']} records " + json.dumps(st["errors"]["by_category"]))
    sus = st["suspension"]
    if sus:
        msg = str(sus.get("message") or "")
        print(f"suspension: {msg if msg.startswith(sus['reason']) else sus['reason'] + ' - ' + msg}")
        if sus.get("until") is not None:  # SUS-1/SUS-4 clear themselves after a while
            until = datetime.fromtimestamp(float(sus["until"]), tz=UTC).isoformat(timespec="seconds")
            print(f"  clears itself at {until}, or clear it now with: hubforce sync clear-suspension --config ...")
        else:
            print("  (clear it with: hubforce sync clear-suspension --config ...)")
    else:
        print("suspension: none")
    hooks = st.get("webhooks") or {}
    if hooks.get("configured") or hooks.get("deliveries"):
        print(
            f"webhooks: {hooks.get('deliveries', 0)} deliveries, {hooks.get('events', 0)} events,"
            f" {hooks.get('queued', 0)} queued, {hooks.get('echoes', 0)} our own writes,"
            f" {hooks.get('skipped', 0)} already captured or not used,"
            f" {hooks.get('rejected', 0)} rejected"
        )
        if hooks.get("last_rejection"):
            print(f"  last rejection: {hooks['last_rejection']['message']}")
    return 0


def _locked_operation(call: Callable[[Any, argparse.Namespace], Any]) -> Callable[[argparse.Namespace], int]:
    """A command that runs one engine operation under the state database's engine lock and prints
    its report (the lock first: a second engine must not even validate)."""

    @_guarded
    def command(args: argparse.Namespace) -> int:
        eng = _engine(args)
        with engine_lock(eng.store.url):
            return _print_report(call(eng, args))

    return command


_resync_list = _locked_operation(lambda eng, a: eng.resync_list(a.list))
_resync = _locked_operation(lambda eng, a: eng.resync_record(a.record))
_resync_company = _locked_operation(lambda eng, a: eng.resync_record(a.record, "companies"))
_resync_all = _locked_operation(lambda eng, a: eng.resync_all(a.object))
_resync_errors = _locked_operation(lambda eng, a: eng.resync_errors(a.category))
_import = _locked_operation(lambda eng, a: eng.import_salesforce(a.object))


@_guarded
def _clear(args: argparse.Namespace) -> int:
    _engine(args, network=False).clear_suspension()
    print("suspension cleared")
    return 0


@_guarded
def _why(args: argparse.Namespace) -> int:
    print(json.dumps(_engine(args, network=False).why(args.record, args.limit), indent=2, default=str))
    return 0
