"""`hubforce sync ...` subcommands (sync.cli) against the tiny stand-in."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from sync import cli
from tests.unit.sync.minifake import SF, MiniFake


@pytest.fixture()
def fake() -> Iterator[MiniFake]:
    f = MiniFake()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        f.install(mock)
        yield f


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hubforce")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sync", *argv])
    return int(args.func(args))


def test_run_status_why_and_bad_settings(
    fake: MiniFake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "sync.yaml"
    cfg.write_text(
        f"hubspot: {{token: t}}\nsalesforce: {{url: {SF}, session_id: s}}\nstate_url: sqlite:///{tmp_path}/st.db\n"
    )
    assert run(["run", "--config", str(cfg), "--once", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stopped"] is None and out["api_calls"]["salesforce"] > 0
    lead = fake.sf_create("Lead", Email="cli@example.com", LastName="C", Company="Co")
    assert run(["resync", "--config", str(cfg), lead, "--quiet"]) == 0
    capsys.readouterr()
    assert [c["properties"]["email"] for c in fake.contacts.values()] == ["cli@example.com"]
    assert run(["status", "--config", str(cfg), "--json", "--quiet"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["links"] == 1 and st["api"]["salesforce_calls_24h"] > 0 and st["suspension"] is None
    assert run(["status", "--config", str(cfg), "--quiet"]) == 0
    assert "Salesforce API calls (24 h)" in capsys.readouterr().out
    assert run(["why", "--config", str(cfg), "cli@example.com", "--quiet"]) == 0
    why = json.loads(capsys.readouterr().out)
    assert why["link"]["salesforce_id"] == lead and why["decisions"][0]["trigger"].startswith("TRG-14")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "hubspot: {token: t}\nsalesforce: {url: https://x.example, session_id: s}\ncontacts: {deletion: sometimes}\n"
    )
    assert run(["run", "--config", str(bad), "--once"]) == 2
    assert "contacts.deletion" in capsys.readouterr().err
    assert run(["clear-suspension", "--config", str(cfg), "--quiet"]) == 0
