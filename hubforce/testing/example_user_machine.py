"""Example: property-test *your* sync settings, with an invariant of your own.

Run it:  .venv/bin/python -m hubforce.testing.example_user_machine   (or collect it with pytest)

The machine uses the fields of your settings file that it knows how to vary (firstname, jobtitle,
phone, fax mapped to FirstName, Title, Phone, Fax) under the rules your file gives them, your
inclusion list (it creates an active list of that name and moves contacts in and out of it), your
create/deletion settings, and checks every built-in invariant plus yours.
"""

from __future__ import annotations

from pathlib import Path

from hubforce.testing import SyncMachine, run_state_machine

SETTINGS = """
contacts:
  inclusion_list: Sync to Salesforce
  hubspot_creates: contact
  deletion: do_nothing
  mappings:
    - {hubspot: firstname, salesforce: FirstName, rule: two_way}
    - {hubspot: jobtitle, salesforce: Title, rule: always_use_salesforce}
"""


def first_names_agree(machine: SyncMachine) -> None:
    """Checked at quiescence: a two-way field is the same on both sides of every synced contact
    in the inclusion list (RULE-3)."""
    obs = machine.observe(fresh=True)
    for p in machine.persons:
        hs, sf = obs.hs.get(p.email), obs.sf.get(p.email)
        if hs and sf and p.in_list and p.link.value == "synced":
            assert hs[0].values["firstname"] == sf[0].values["firstname"], p.email


def run(settings_path: Path, max_examples: int = 10, seed: int = 7) -> None:
    run_state_machine(
        settings=settings_path,
        invariants=[first_names_agree],
        max_examples=max_examples,
        seed=seed,
        stateful_step_count=25,
    )


def test_my_settings(tmp_path: Path) -> None:
    path = tmp_path / "my-sync.yaml"
    path.write_text(SETTINGS, encoding="utf-8")
    run(path, max_examples=8)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "my-sync.yaml"
        p.write_text(SETTINGS, encoding="utf-8")
        run(p)
        print("ok: no counterexample found")
