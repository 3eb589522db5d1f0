"""Sync engine against both fakes served over loopback (like `make serve`): an initial sync of N new
HubSpot contacts (default 100,000) into Salesforce, then an incremental cycle after 1% of them
changed (half edited in HubSpot, half in Salesforce).

Three processes, so each figure is the engine's own: the fakes (`hubforce serve` in a subprocess on
free ports), this driver (seeds data over HTTP, reads the fakes' journals), and one engine process
per phase (`python -m bench.sync_engine --worker ...`). Peak engine memory is that worker's
`resource.getrusage(RUSAGE_SELF).ru_maxrss`: the whole process (interpreter, imports, SQLite), not
just Python objects. API calls are counted twice: by the engine's own ledger (state database) and
by the fakes' request journals (`/_hubforce/journal/count`), and the two must agree.

Targets (issue 4, 2-core machine): initial 100k <= 60 s and <= 0.03 API calls per contact;
1% incremental <= 3 s; peak engine memory <= 500 MB.

    python -m bench sync_engine                      # 100,000 contacts
    python -m bench.sync_engine --contacts 5000      # a quick run
    HUBFORCE_BENCH_CONTACTS=5000 python -m bench sync_engine
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

HS_TOKEN = "pat-local-sandbox"
SF_SESSION = "sandbox-session"
SF_V = "/services/data/v59.0"
TARGETS = {"initial_s": 60.0, "calls_per_contact": 0.03, "incremental_s": 3.0, "memory_mb": 500.0}


# ---------------------------------------------------------------------------------------- worker
def worker(config: str, phase: str) -> None:
    """One engine cycle in this process; prints one JSON line with what it measured."""
    start = time.perf_counter()
    from hubforce.cli import tune_gc

    tune_gc()  # what the `hubforce` command does for `hubforce sync run`
    from sqlalchemy import func, select

    from sync.engine import SyncEngine
    from sync.settings import Settings
    from sync.state.models import Flag, LedgerEntry

    verbose = os.environ.get("HUBFORCE_BENCH_VERBOSE")
    eng = SyncEngine(
        Settings.from_yaml(config), progress=(lambda m: print(f"[{phase}] {m}", file=sys.stderr)) if verbose else None
    )
    with eng.store.session() as s:
        before = dict(s.execute(select(LedgerEntry.system, func.count()).group_by(LedgerEntry.system)).all())
    profile = os.environ.get("HUBFORCE_BENCH_PROFILE")  # a path prefix: cProfile stats per phase
    t0 = time.perf_counter()
    if profile:
        import cProfile

        prof = cProfile.Profile()
        report = prof.runcall(eng.run_cycle)
        prof.dump_stats(f"{profile}.{phase}")
    else:
        report = eng.run_cycle()
    elapsed = time.perf_counter() - t0
    with eng.store.session() as s:
        after = dict(s.execute(select(LedgerEntry.system, func.count()).group_by(LedgerEntry.system)).all())
        flags = {f.key: f.value for f in s.scalars(select(Flag).where(Flag.key.like("overlap:%")))}
    ledger = {k: after.get(k, 0) - before.get(k, 0) for k in ("hubspot", "salesforce")}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss_kb = usage.ru_maxrss  # KB on Linux
    print(
        json.dumps(
            {
                "phase": phase,
                "cycle_s": elapsed,
                "process_s": time.perf_counter() - start,
                "report": report.to_dict(),
                "ledger": ledger,
                "maxrss_mb": rss_kb / 1024,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "overlap_marks": flags,
            }
        ),
        flush=True,
    )


# ---------------------------------------------------------------------------------------- driver
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """`hubforce serve` in a subprocess on free loopback ports."""

    def __init__(self) -> None:
        self.hs_port, self.sf_port = _free_port(), _free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hubforce",
                "serve",
                "--hubspot-port",
                str(self.hs_port),
                "--salesforce-port",
                str(self.sf_port),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.hs = f"http://127.0.0.1:{self.hs_port}"
        self.sf = f"http://127.0.0.1:{self.sf_port}"
        self.http = requests.Session()
        self.http.trust_env = False
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hubforce serve exited: {self.proc.stdout.read() if self.proc.stdout else ''}")
            try:
                if self.http.get(f"{self.hs}/_hubforce", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("hubforce serve did not answer within 30 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def control(self, method: str, path: str, body: Any = None) -> Any:
        r = self.http.request(method, f"{self.hs}/_hubforce{path}", json=body, timeout=120)
        r.raise_for_status()
        return r.json() if r.content else None

    def journal_count(self, service: str) -> int:
        return int(self.control("GET", f"/journal/count?service={service}")["count"])

    def hs_call(self, method: str, path: str, body: Any = None) -> Any:
        r = self.http.request(
            method, f"{self.hs}{path}", json=body, headers={"Authorization": f"Bearer {HS_TOKEN}"}, timeout=120
        )
        assert r.status_code < 300, (path, r.status_code, r.text[:300])
        return r.json() if r.content else None

    def sf_call(self, method: str, path: str, body: Any = None, params: Any = None) -> Any:
        r = self.http.request(
            method,
            f"{self.sf}{SF_V}{path}",
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {SF_SESSION}"},
            timeout=120,
        )
        assert r.status_code < 300, (path, r.status_code, r.text[:300])
        return r.json() if r.content else None


def _run_worker(config: Path, phase: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.sync_engine", "--worker", str(config), "--phase", phase],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"engine worker ({phase}) failed:\n{proc.stderr[-3000:]}")
    if os.environ.get("HUBFORCE_BENCH_VERBOSE"):
        print(proc.stderr[-5000:], proc.stdout[-2000:], file=sys.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _seed_hubspot(srv: Served, n: int) -> float:
    """n contacts by batch create (100 per call); the virtual clock moves 1 s per batch so the
    records carry realistic, mostly distinct modification times."""
    t0 = time.perf_counter()
    for start in range(0, n, 100):
        inputs = [
            {
                "properties": {
                    "email": f"bench{i}@example.com",
                    "firstname": "Ada",
                    "lastname": f"Lovelace{i}",
                    "company": f"Analytical Engines {i % 500}",
                    "jobtitle": "Engineer",
                    "phone": f"+1 555 {i:07d}",
                    "city": "London",
                    "lifecyclestage": "lead",
                }
            }
            for i in range(start, min(n, start + 100))
        ]
        srv.hs_call("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": inputs})
        srv.control("POST", "/clock/advance", {"seconds": 1})
    return time.perf_counter() - t0


def _change_one_percent(srv: Served, n: int) -> tuple[int, int]:
    """1% of the contacts change: the first half in HubSpot (jobtitle), the second half in
    Salesforce (Title on the synced lead)."""
    changes = max(2, n // 100)
    hs_n = changes // 2
    step = max(1, n // changes)
    picked = [f"bench{i}@example.com" for i in range(0, n, step)][:changes]
    hs_emails, sf_emails = picked[:hs_n], picked[hs_n:]
    for start in range(0, len(hs_emails), 100):
        part = hs_emails[start : start + 100]
        srv.hs_call(
            "POST",
            "/crm/v3/objects/contacts/batch/update",
            {"inputs": [{"id": e, "idProperty": "email", "properties": {"jobtitle": "CTO"}} for e in part]},
        )
    sf_ids: list[str] = []
    for start in range(0, len(sf_emails), 300):
        inlist = ",".join(f"'{e}'" for e in sf_emails[start : start + 300])
        sf_ids += [
            r["Id"]
            for r in srv.sf_call("GET", "/query/", params={"q": f"SELECT Id FROM Lead WHERE Email IN ({inlist})"})[
                "records"
            ]
        ]
    for start in range(0, len(sf_ids), 200):
        recs = [{"attributes": {"type": "Lead"}, "id": i, "Title": "VP Sales"} for i in sf_ids[start : start + 200]]
        srv.sf_call("PATCH", "/composite/sobjects", {"allOrNone": False, "records": recs})
    return len(hs_emails), len(sf_ids)


def _count_sf(srv: Served, where: str = "") -> int:
    return int(srv.sf_call("GET", "/query/", params={"q": f"SELECT COUNT() FROM Lead {where}"})["totalSize"])


def _count_hs(srv: Served, prop: str, value: str) -> int:
    body = {"filterGroups": [{"filters": [{"propertyName": prop, "operator": "EQ", "value": value}]}], "limit": 1}
    return int(srv.hs_call("POST", "/crm/v3/objects/contacts/search", body)["total"])


def _phase(srv: Served, config: Path, phase: str) -> tuple[dict[str, Any], dict[str, int]]:
    before = {s: srv.journal_count(s) for s in ("hubspot", "salesforce")}
    seq = srv.control("GET", "/journal?path=%5E%24")["last_seq"]  # a filter nothing matches
    res = _run_worker(config, phase)
    after = {s: srv.journal_count(s) for s in ("hubspot", "salesforce")}
    entries = srv.control("GET", f"/journal?since={seq}")["entries"]
    res["server_s"] = sum(e["duration_ms"] for e in entries) / 1000
    if os.environ.get("HUBFORCE_BENCH_VERBOSE"):
        by: dict[str, list[float]] = {}
        for e in entries:
            key = f"{e['service']} {e['method']} {e['path'][:60]}"
            by.setdefault(key, []).append(e["duration_ms"])
        for key, ds in sorted(by.items(), key=lambda kv: -sum(kv[1]))[:8]:
            print(f"    {phase}: {key:<75} {len(ds):>6} calls {sum(ds) / 1000:8.2f} s", file=sys.stderr)
    return res, {s: after[s] - before[s] for s in before}


def _line(label: str, value: str, note: str = "") -> str:
    return f"  {label:<46} {value:>16}  {note}"


def _calls(res: dict[str, Any], journal: dict[str, int], contacts: int) -> list[str]:
    ledger = res["ledger"]
    total = ledger["hubspot"] + ledger["salesforce"]
    agree = "agrees" if journal == ledger else f"MISMATCH journal {journal}"
    return [
        _line(
            "API calls (engine ledger)",
            f"{total:,}",
            f"HubSpot {ledger['hubspot']:,}, Salesforce {ledger['salesforce']:,}",
        ),
        _line("API calls (fakes' journals)", f"{sum(journal.values()):,}", agree),
        _line("API calls per contact", f"{total / max(1, contacts):.4f}"),
    ]


def run(contacts: int) -> int:
    print(f"== Sync engine (python -m bench sync_engine): {contacts:,} contacts, fakes over loopback")
    failures: list[str] = []
    srv = Served()
    with tempfile.TemporaryDirectory(prefix="hubforce-bench-") as tmp:
        try:
            # The limiter reads the frozen virtual clock, so a 10-second window would never roll
            # over while the engine waits in real time: measure the engine, not the limiter.
            srv.control(
                "PATCH",
                "/settings",
                {"hubspot": {"rate_limits": False}, "salesforce": {"daily_api_requests": 10_000_000}},
            )
            config = Path(tmp) / "sync.yaml"
            config.write_text(
                "\n".join(
                    [
                        f"state_url: sqlite:///{tmp}/state.db",
                        f"hubspot: {{url: '{srv.hs}', token: {HS_TOKEN}}}",
                        f"salesforce: {{url: '{srv.sf}', session_id: {SF_SESSION}}}",
                        "contacts:",
                        "  hubspot_creates: lead",
                        "  mappings: [{hubspot: jobtitle, salesforce: Title, rule: two_way}]",
                        # chunks of one batch operation in flight together: the fakes work while
                        # the engine encodes and decodes (the machine has 2 cores)
                        "api: {concurrency: 4}",
                    ]
                )
                + "\n"
            )
            _phase(srv, config, "install")  # TRG-15: the first run only bookmarks (nothing exists yet)
            seed_s = _seed_hubspot(srv, contacts)
            print(_line("seed: HubSpot batch create", f"{seed_s:.1f} s", f"{contacts / seed_s:,.0f} contacts/s (not timed below)"))
            srv.control("POST", "/clock/advance", {"minutes": 15})

            res, journal = _phase(srv, config, "initial")
            rep = res["report"]
            created = _count_sf(srv)
            print(" initial sync (one cycle: capture, match by email, create leads, write Salesforce IDs back)")
            print(_line("wall time (cycle)", f"{res['cycle_s']:.1f} s", f"target <= {TARGETS['initial_s']:.0f} s for 100k; process {res['process_s']:.1f} s"))
            print(_line("contacts/s", f"{contacts / res['cycle_s']:,.0f}", f"engine process CPU {res['cpu_s']:.1f} s, fakes' handlers {res['server_s']:.1f} s"))
            for line in _calls(res, journal, contacts):
                print(line)
            print(_line("peak engine memory (ru_maxrss)", f"{res['maxrss_mb']:.0f} MB", f"target <= {TARGETS['memory_mb']:.0f} MB"))
            print(_line("Salesforce leads created", f"{created:,}", f"report: {rep['created_in_salesforce']:,}, errors {rep['errors']}"))
            per_contact = (res["ledger"]["hubspot"] + res["ledger"]["salesforce"]) / contacts
            if created != contacts or rep["errors"] or rep["stopped"]:
                failures.append(f"initial sync incomplete: {created} leads, report {rep}")
            if res["ledger"] != journal:
                failures.append("engine ledger and fakes' journals disagree")
            scale = contacts / 100_000
            if res["cycle_s"] > TARGETS["initial_s"] * max(scale, 0.05):
                failures.append(f"initial sync slower than {TARGETS['initial_s']} s per 100k")
            if per_contact > TARGETS["calls_per_contact"]:
                failures.append(f"{per_contact:.4f} API calls per contact > {TARGETS['calls_per_contact']}")

            # The next tick reads back the engine's own writes (the Salesforce ID on every contact,
            # CON-12) and recognises them as echoes: real cost, reported on its own.
            srv.control("POST", "/clock/advance", {"minutes": 15})
            echo, ejournal = _phase(srv, config, "echo")
            erep = echo["report"]
            print(" next cycle (reads back the engine's own Salesforce-ID writes; no writes expected)")
            print(_line("wall time (cycle)", f"{echo['cycle_s']:.1f} s"))
            for line in _calls(echo, ejournal, contacts):
                print(line)
            print(_line("writes", f"{erep['writes']:,}", "echoes suppressed, nothing written back"))
            if erep["writes"] or erep["errors"]:
                failures.append(f"echo cycle wrote or failed: {erep}")

            srv.control("POST", "/clock/advance", {"minutes": 15})
            hs_changed, sf_changed = _change_one_percent(srv, contacts)
            srv.control("POST", "/clock/advance", {"minutes": 15})
            inc, ijournal = _phase(srv, config, "incremental")
            irep = inc["report"]
            print(f" incremental sync: 1% changed ({hs_changed:,} in HubSpot, {sf_changed:,} in Salesforce)")
            print(_line("wall time (cycle)", f"{inc['cycle_s']:.2f} s", f"target <= {TARGETS['incremental_s']:.0f} s; process {inc['process_s']:.1f} s"))
            ledger = inc["ledger"]
            agree = "agrees" if ijournal == ledger else f"MISMATCH journal {ijournal}"
            print(_line("API calls (engine ledger)", f"{ledger['hubspot'] + ledger['salesforce']:,}", f"HubSpot {ledger['hubspot']:,}, Salesforce {ledger['salesforce']:,}; journals {agree}"))
            print(_line("peak engine memory (ru_maxrss)", f"{inc['maxrss_mb']:.0f} MB"))
            in_sf = _count_sf(srv, "WHERE Title = 'CTO'")
            in_hs = _count_hs(srv, "jobtitle", "VP Sales")
            print(_line("changes landed on the other side", f"{in_sf + in_hs:,}", f"{in_sf:,} in Salesforce, {in_hs:,} in HubSpot"))
            if in_sf != hs_changed or in_hs != sf_changed or irep["errors"] or irep["stopped"]:
                failures.append(f"incremental sync incomplete: {in_sf}/{hs_changed} SF, {in_hs}/{sf_changed} HS, {irep}")
            if inc["cycle_s"] > TARGETS["incremental_s"]:
                failures.append(f"incremental sync slower than {TARGETS['incremental_s']} s")
            if max(res["maxrss_mb"], echo["maxrss_mb"], inc["maxrss_mb"]) > TARGETS["memory_mb"]:
                failures.append(f"peak engine memory over {TARGETS['memory_mb']} MB")
        finally:
            srv.stop()
    for f in failures:
        print(f"  NOT MET: {f}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.sync_engine", description=__doc__.split("\n\n")[0])
    p.add_argument("--contacts", type=int, default=int(os.environ.get("HUBFORCE_BENCH_CONTACTS", 100_000)))
    p.add_argument("--worker", metavar="CONFIG", help=argparse.SUPPRESS)
    p.add_argument("--phase", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv or [])
    if args.worker:
        worker(args.worker, args.phase)
        return 0
    if args.contacts < 100:
        p.error("--contacts must be at least 100")
    return run(args.contacts)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
