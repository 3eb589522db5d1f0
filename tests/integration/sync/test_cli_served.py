"""`hubforce sync ...` end to end against both fakes served on real loopback sockets (what
`hubforce serve` runs), on SQLite and PostgreSQL state: every subcommand, and clear errors (no
tracebacks) for a bad settings file, an unknown list and an unreachable URL."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hubforce.cli import main
from simulator import Sandbox
from simulator.core.server import serve_in_thread

HS_TOKEN = "pat-local-sandbox"


@pytest.fixture()
def served() -> Iterator[tuple[str, str]]:
    # Wall clock: the CLI's engine waits in real time, so rate-limit windows must roll over in it.
    sandbox = Sandbox(seed=11, virtual_clock=False)
    handle = serve_in_thread(sandbox)
    try:
        yield handle.hubspot_url, handle.salesforce_url
    finally:
        handle.stop()


def _config(tmp_path: Path, hs: str, sf: str, name: str = "sync.yaml", **extra: str) -> str:
    lines = [
        f"hubspot: {{url: '{hs}', token: {HS_TOKEN}}}",
        f"salesforce: {{url: '{sf}', session_id: sandbox-session}}",
        "contacts:",
        "  mappings: [{hubspot: jobtitle, salesforce: Title, rule: two_way}]",
    ]
    if "inclusion_list" in extra:
        lines.append(f"  inclusion_list: {extra['inclusion_list']}")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["sync", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return rc, out, err


def _hs(hs: str, method: str, path: str, body: Any = None) -> Any:
    r = requests.request(method, f"{hs}{path}", json=body, headers={"Authorization": f"Bearer {HS_TOKEN}"})
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


def test_every_subcommand_against_served_fakes(
    served: tuple[str, str], tmp_path: Path, state_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hs, sf = served
    cfg = _config(tmp_path, hs, sf)
    common = ["--config", cfg, "--state", state_url, "--quiet"]
    # Seeded before install: TRG-15, these do not sync on the first run.
    old = str(_hs(hs, "POST", "/crm/v3/objects/contacts", {"properties": {"email": "old@example.com"}})["id"])
    r = requests.post(
        f"{sf}/_hubforce/salesforce/records",
        json={"object": "Lead", "records": [{"Email": "imp@example.com", "LastName": "Imp", "Company": "C"}]},
    )
    assert r.status_code == 201, r.text
    rc, out, _ = _cli(capsys, "run", "--once", *common)
    assert rc == 0 and json.loads(out)["writes"] == 0

    ada = str(
        _hs(hs, "POST", "/crm/v3/objects/contacts", {"properties": {"email": "ada@example.com", "lastname": "L"}})[
            "id"
        ]
    )
    rc, out, _ = _cli(capsys, "run", "--once", *common)
    rep = json.loads(out)
    assert rc == 0 and rep["created_in_salesforce"] == 1 and rep["errors"] == 0

    rc, out, _ = _cli(capsys, "status", *common)
    assert rc == 0 and "links: 1" in out and "suspension: none" in out
    rc, out, _ = _cli(capsys, "status", "--json", *common)
    assert json.loads(out)["links"] == 1

    rc, out, _ = _cli(capsys, "why", "ada@example.com", *common)
    why = json.loads(out)
    assert why["link"]["hubspot_id"] == ada and why["decisions"][0]["outcome"] == "created_in_salesforce"

    _hs(hs, "PATCH", f"/crm/v3/objects/contacts/{ada}", {"properties": {"jobtitle": "CTO"}})
    rc, out, _ = _cli(capsys, "resync", ada, *common)
    assert rc == 0 and json.loads(out)["updated_in_salesforce"] == 1

    rc, out, _ = _cli(capsys, "import-salesforce", "--object", "Lead", *common)
    assert rc == 0 and json.loads(out)["created_in_hubspot"] == 1  # imp@example.com (IMP-1)

    body = {"name": "Everyone", "objectTypeId": "0-1", "processingType": "MANUAL"}
    list_id = str(_hs(hs, "POST", "/crm/v3/lists/", body)["list"]["listId"])
    _hs(hs, "PUT", f"/crm/v3/lists/{list_id}/memberships/add", [old])
    rc, out, _ = _cli(capsys, "resync-list", "Everyone", *common)
    assert rc == 0 and json.loads(out)["created_in_salesforce"] == 1  # INC-6 brings old@ across

    rc, _, err = _cli(capsys, "resync-list", "No such list", *common)
    assert rc == 2 and "no HubSpot list named or numbered 'No such list'" in err

    # SUS-1 from Salesforce, then the admin clears it (SUS-4).
    requests.post(
        f"{hs}/_hubforce/faults",
        json={"service": "salesforce", "method": "GET", "path": "/query", "action": "status", "status": 403, "times": 1},
    )
    _hs(hs, "POST", "/crm/v3/objects/contacts", {"properties": {"email": "kj@example.com"}})
    rc, out, err = _cli(capsys, "run", "--once", *common)
    assert rc == 5 and "SUS-1" in json.loads(out)["stopped"]
    rc, out, _ = _cli(capsys, "status", *common)
    assert "SUS-1" in out
    rc, out, _ = _cli(capsys, "clear-suspension", *common)
    assert rc == 0 and "cleared" in out
    rc, out, _ = _cli(capsys, "run", "--once", *common)
    assert rc == 0 and json.loads(out)["created_in_salesforce"] == 1
    rc, out, _ = _cli(capsys, "resync-errors", *common)  # ERR-8: nothing in error, nothing to do
    assert rc == 0 and json.loads(out)["errors"] == 0


def test_clear_errors_for_bad_input(
    served: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hs, sf = served
    state = ["--state", f"sqlite:///{tmp_path}/state.db", "--quiet"]
    rc, _, err = _cli(capsys, "run", "--once", "--config", str(tmp_path / "missing.yaml"), *state)
    assert rc == 2 and "settings file not found" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("hubspot: [\n")
    rc, _, err = _cli(capsys, "status", "--config", str(bad), *state)
    assert rc == 2 and "not valid YAML" in err
    bad.write_text(f"hubspot: {{url: '{hs}', token: t}}\nsalesforce: {{url: '{sf}', session_id: s}}\npoll: 5\n")
    rc, _, err = _cli(capsys, "run", "--once", "--config", str(bad), *state)
    assert rc == 2 and "poll: unknown setting" in err

    rc, _, err = _cli(
        capsys, "run", "--once", "--config", _config(tmp_path, hs, sf, "l.yaml", inclusion_list="Nope"), *state
    )
    assert rc == 2 and "contacts.inclusion_list: no HubSpot list named or numbered 'Nope'" in err

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    rc, _, err = _cli(capsys, "run", "--once", "--config", _config(tmp_path, hs, dead, "d.yaml"), *state)
    assert rc == 4 and f"cannot reach salesforce: {dead} (Connection refused)" in err

    bad.write_text(f"hubspot: {{url: '{hs}', token: wrong}}\nsalesforce: {{url: '{sf}', session_id: sandbox-session}}\n")
    rc, _, err = _cli(capsys, "run", "--once", "--config", str(bad), *state)
    assert rc == 3 and "authentication failed" in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hooks_config(
    tmp_path: Path, served: tuple[str, str], port: int, secret: str, hooks_extra: str = "", tail: str = ""
) -> Path:
    """Settings with HubSpot webhooks received on 127.0.0.1:port."""
    hs, sf = served
    extra = f", {hooks_extra}" if hooks_extra else ""
    cfg = tmp_path / "hooks.yaml"
    cfg.write_text(
        f"hubspot:\n  url: '{hs}'\n  token: {HS_TOKEN}\n"
        f"  webhooks: {{client_secret: {secret}, listen: '127.0.0.1:{port}'{extra}}}\n"
        f"salesforce: {{url: '{sf}', session_id: sandbox-session}}\n" + tail
    )
    return cfg


def test_webhooks_subscribe_then_run_receives_and_drains_on_a_socket(
    served: tuple[str, str], tmp_path: Path, state_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import threading
    import time

    hs, sf = served
    port = _free_port()
    cfg = _hooks_config(
        tmp_path, served, port, "sandbox-client-secret", "drain_interval_seconds: 0.2", "poll_interval_seconds: 4\n"
    )
    common = ["--config", str(cfg), "--state", state_url, "--quiet"]
    rc, out, _ = _cli(capsys, "webhooks-subscribe", "--app-id", "1000001", "--developer-key", "sandbox-developer-key", *common)
    assert rc == 0, out
    subs = json.loads(out)
    assert subs["targetUrl"] == f"http://127.0.0.1:{port}/hubspot/webhooks"
    assert "contact.creation" in subs["created"] and "contact.propertyChange:email" in subs["created"]
    rc, _, err = _cli(capsys, "webhooks-subscribe", "--app-id", "1000001", "--developer-key", "nope", *common)
    assert rc == 4 and "webhooks-subscribe failed: PUT /webhooks/v3/1000001/settings: 401" in err
    rc, _, _ = _cli(capsys, "run", "--once", *common)  # install (TRG-15); --once starts no receiver
    assert rc == 0
    result: dict[str, int] = {}
    loud = [a for a in common if a != "--quiet"]  # progress lines say when the first cycle is done
    runner = threading.Thread(target=lambda: result.setdefault("rc", main(["sync", "run", "--cycles", "2", *loud])))
    runner.start()
    progress = ""
    deadline = time.monotonic() + 30
    while "cycle done" not in progress and time.monotonic() < deadline:
        time.sleep(0.05)
        progress += capsys.readouterr().err
    assert f"receiving HubSpot webhooks at http://127.0.0.1:{port}/hubspot/webhooks" in progress
    assert "cycle done" in progress, progress
    cid = str(_hs(hs, "POST", "/crm/v3/objects/contacts", {"properties": {"email": "sock@example.com", "lastname": "S"}})["id"])
    runner.join(timeout=60)
    assert not runner.is_alive() and result["rc"] == 0
    capsys.readouterr()
    rc, out, _ = _cli(capsys, "why", cid, *common)
    decisions = json.loads(out)["decisions"]
    # Drained between the ticks: the search capture of the second cycle never saw it queued.
    assert decisions[-1]["trigger"] == "TRG-7 new HubSpot contact (webhook)", decisions
    assert decisions[-1]["outcome"] == "created_in_salesforce"
    rc, out, _ = _cli(capsys, "status", "--json", *common)
    hooks = json.loads(out)["webhooks"]
    assert hooks["configured"] and hooks["queued"] >= 1 and hooks.get("rejected", 0) == 0
    with socket.socket() as s:  # the receiver stopped with the run
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_webhooks_listen_queues_a_signed_delivery_and_stops_cleanly(
    served: tuple[str, str], tmp_path: Path, state_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import base64
    import hashlib
    import hmac
    import signal
    import subprocess
    import sys
    import time

    port = _free_port()
    cfg = _hooks_config(tmp_path, served, port, "app-secret")
    common = ["--config", str(cfg), "--state", state_url]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubforce.cli", "sync", "webhooks-listen", *common],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/hubspot/webhooks"
        body = json.dumps(
            [{"objectId": 42, "subscriptionType": "contact.creation", "occurredAt": int(time.time() * 1000)}]
        )
        stamp = str(int(time.time() * 1000))
        sig = base64.b64encode(
            hmac.new(b"app-secret", f"POST{url}{body}{stamp}".encode(), hashlib.sha256).digest()
        ).decode()
        headers = {"Content-Type": "application/json", "X-HubSpot-Signature-v3": sig, "X-HubSpot-Request-Timestamp": stamp}
        r = requests.post(url, data=body, headers=headers)
        assert (r.status_code, r.json()) == (200, {"received": 1, "queued": 1})
        assert requests.post(url, data=body, headers={**headers, "X-HubSpot-Signature-v3": "AAAA"}).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert f"receiving HubSpot webhooks at http://127.0.0.1:{port}/hubspot/webhooks" in err
    rc, out, _ = _cli(capsys, "status", "--json", *common)
    st = json.loads(out)
    assert (st["queue"], st["webhooks"]["queued"], st["webhooks"]["rejected"]) == (1, 1, 1)


def test_sync_run_stops_cleanly_on_sigterm(
    served: tuple[str, str], tmp_path: Path, state_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 17, bug 9: a service manager stops `sync run` with SIGTERM. It finishes and commits the
    chunk in flight, prints its last report and exits 0; the next run completes the rest, with no
    record created twice."""
    import signal
    import subprocess
    import sys
    import time

    hs, sf = served
    cfg = _config(tmp_path, hs, sf)
    common = ["--config", cfg, "--state", state_url]
    rc, _, _ = _cli(capsys, "run", "--once", *common, "--quiet")  # install (TRG-15)
    assert rc == 0
    for start in range(0, 300, 100):
        inputs = [{"properties": {"email": f"term{i}@example.com", "lastname": "Term"}} for i in range(start, start + 100)]
        _hs(hs, "POST", "/crm/v3/objects/contacts/batch/create", {"inputs": inputs})
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubforce.cli", "sync", "run", *common, "--chunk-size", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = ""
        while proc.stderr is not None and "processed " not in seen and "cycle done" not in seen:
            line = proc.stderr.readline()
            assert line, f"sync run ended before processing anything: {seen}"
            seen += line
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 30  # not the 900 s poll interval
    assert "Traceback" not in out + err
    rep = json.loads(out)  # the last report, printed
    assert rep["errors"] == 0
    rc, out, _ = _cli(capsys, "run", "--once", *common, "--quiet")
    assert rc == 0
    r = requests.get(
        f"{sf}/services/data/v59.0/query/",
        params={"q": "SELECT Email FROM Lead WHERE LastName = 'Term'"},
        headers={"Authorization": "Bearer sandbox-session"},
    )
    emails = sorted(rec["Email"] for rec in r.json()["records"])
    assert emails == sorted(f"term{i}@example.com" for i in range(300))


def test_resync_of_a_record_that_does_not_exist_is_its_own_error(
    served: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 17, bug 8: not a "settings error": one line, exit code 6."""
    hs, sf = served
    common = ["--config", _config(tmp_path, hs, sf), "--state", f"sqlite:///{tmp_path}/state.db", "--quiet"]
    assert _cli(capsys, "run", "--once", *common)[0] == 0
    rc, out, err = _cli(capsys, "resync", "nobody@example.com", *common)
    assert rc == 6 and out == ""
    assert err.strip().splitlines() == [
        "hubforce sync: record not found: no HubSpot contact or Salesforce lead/contact matches 'nobody@example.com'"
    ]
