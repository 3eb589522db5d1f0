"""`hubforce serve` serves the web UI beside the fakes: its URL printed at start (default port
8100, --ui-port to change it), --no-ui to leave it out, a taken port refused in one line; and
the UI works over --tls through the generated CA."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import requests

from hubforce.web.server import serve_ui
from simulator import Sandbox
from simulator.core.server import serve_in_thread


def _serve(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "hubforce", "serve", "--hubspot-port", "0", "--salesforce-port", "0",
           "--ui-dir", str(tmp_path / "web"), *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _banner(proc: subprocess.Popen[str], want_ui: bool = True) -> list[str]:
    """The start banner's lines, up to the UI's line (or the clock's, the last without a UI)."""
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip())
        if line.startswith("  Web UI") or (not want_ui and line.startswith("  Clock")):
            break
    return lines


def test_serve_prints_and_serves_the_ui(tmp_path: Path) -> None:
    proc = _serve(tmp_path, "--ui-port", "0")
    try:
        lines = _banner(proc)
        url = next(line.split()[2] for line in lines if line.startswith("  Web UI"))
        page = requests.get(f"{url}/settings/integrations/salesforce", timeout=10)
        assert page.status_code == 200 and "Limit what syncs" in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_without_the_ui(tmp_path: Path) -> None:
    proc = _serve(tmp_path, "--no-ui")
    try:
        lines = _banner(proc, want_ui=False)
        assert proc.poll() is None  # still serving
    finally:
        proc.terminate()
        rest, _ = proc.communicate(timeout=10)  # the banner is printed at once: all of it is here
    banner = lines + rest.splitlines()
    assert any(line.startswith("  HubSpot fake") for line in banner)
    assert not any("Web UI" in line for line in banner)


def test_a_taken_ui_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _serve(tmp_path, "--ui-port", str(port))
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert err.strip().count("\n") == 0 and f"web UI cannot listen on 127.0.0.1:{port}" in err
    assert "--ui-port" in err


def test_ui_over_tls_trusts_the_generated_ca(tmp_path: Path) -> None:
    with serve_in_thread(Sandbox(seed=1), tls_dir=tmp_path / "tls") as fakes:
        assert fakes.tls is not None
        ui = serve_ui(fakes.hubspot_url, fakes.salesforce_url, tmp_path / "web", port=0, verify=str(fakes.tls.ca_cert))
        try:
            page = requests.get(f"{ui.url}/records/", timeout=10)
            assert page.status_code == 200 and "HubSpot contacts" in page.text
        finally:
            ui.stop()


def test_settings_survive_a_restart_and_a_fresh_start_forgets_the_sync_state(tmp_path: Path) -> None:
    from hubforce.web.fakes import Fakes
    from hubforce.web.integration import Integration

    with serve_in_thread(Sandbox(seed=1)) as served:
        fakes = Fakes(served.hubspot_url, served.salesforce_url)
        fakes.create_list("Everyone", "DYNAMIC", {
            "filterBranchType": "OR", "filterBranchOperator": "OR", "filters": [], "filterBranches": [{
                "filterBranchType": "AND", "filterBranchOperator": "AND", "filterBranches": [], "filters": [{
                    "filterType": "PROPERTY", "property": "email", "operation": {"operationType": "ALL_PROPERTY", "operator": "IS_KNOWN"}}]}]})
        first = Integration(fakes, tmp_path)
        first.update({"contacts": {"inclusion_list": "Everyone", "hubspot_creates": "contact"}})
        with first.engine() as engine:
            engine.run_cycle()
        first.close()

        again = Integration(fakes, tmp_path)  # same sandbox, UI restarted: everything as it was
        with again.engine() as engine:
            assert engine.status()["installed"] is True
        assert again.settings["contacts"]["inclusion_list"] == "Everyone"
        again.close()

        fresh = Integration(fakes, tmp_path, fresh=True)  # `hubforce serve` again: the fakes start empty
        with fresh.engine() as engine:
            assert engine.status()["installed"] is False
        assert fresh.settings["contacts"]["inclusion_list"] is None
        assert fresh.settings["contacts"]["hubspot_creates"] == "contact"  # the rest of the settings stay
        fresh.close()


def test_pages_wait_out_rate_limits_on_a_frozen_virtual_clock(tmp_path: Path) -> None:
    """HubSpot allows 5 searches a second; on a virtual clock that never moves the sixth search would
    fail forever. The UI waits like any client, which on a virtual clock means advancing it."""
    sandbox = Sandbox(seed=1)
    with serve_in_thread(sandbox) as served:
        ui = serve_ui(served.hubspot_url, served.salesforce_url, tmp_path / "web", port=0)
        try:
            start = requests.get(f"{served.hubspot_url}/_hubforce/clock", timeout=10).json()["now"]
            codes = [requests.get(f"{ui.url}/records/", params={"email": "a"}, timeout=30).status_code for _ in range(8)]
            journal = requests.get(f"{served.hubspot_url}/_hubforce/journal", params={"status": "429"}, timeout=10).json()
            end = requests.get(f"{served.hubspot_url}/_hubforce/clock", timeout=10).json()["now"]
        finally:
            ui.stop()
    assert codes == [200] * 8
    assert journal["count"] >= 1, "the limit was reached (else this test proves nothing)"
    assert end > start


def test_the_ui_runs_no_cycle_while_another_engine_holds_the_state_database(tmp_path: Path) -> None:
    """The UI's engine takes the state database's engine lock like `hubforce sync` (issue 14): with a
    `hubforce sync run` holding it, the page's cycle is one clear line (409) and syncs nothing;
    once it is released, the same button runs the cycle."""
    from sync.state.lock import engine_lock

    with serve_in_thread(Sandbox(seed=1)) as served:
        ui = serve_ui(served.hubspot_url, served.salesforce_url, tmp_path / "web", port=0)
        try:
            state = f"sqlite:///{tmp_path / 'web' / 'sync-state.db'}"
            with engine_lock(state):  # what a `hubforce sync run` on this state holds
                busy = requests.post(f"{ui.url}/records/cycle", timeout=30)
            free = requests.post(f"{ui.url}/records/cycle", timeout=30)
        finally:
            ui.stop()
    assert busy.status_code == 409
    assert "another sync engine is already running on this state database" in busy.text
    assert "Traceback" not in busy.text
    assert free.status_code in (200, 302, 303) and "another sync engine" not in free.text
