"""Running scenarios against the fakes: every mismatch of a `then` block is reported at once, with
step, record, field, expected vs actual and the recent request journal; a step that cannot run is
named; runs with the same seed are identical."""

from __future__ import annotations

from pathlib import Path

from scenarios.loader import load_text
from scenarios.runner import run_scenario

SF_ONLY = """\
id: sf-only
title: Salesforce records only (no engine step)
covers: [TRG-3]
sources: [S-TRG]
given:
  salesforce:
    leads:
      - {as: ada, fields: {Email: ada@example.com, FirstName: Ada, LastName: Lovelace, Company: Acme}}
when:
  - salesforce.update: {ref: ada, fields: {Title: CTO, City: null}}
  - check:
      - salesforce.lead: {ref: ada, fields: {Title: CEO}}
  - salesforce.create: {sobject: Contact, as: bob, fields: {Email: bob@example.com, LastName: Babbage}}
then:
  - salesforce.lead: {ref: ada, fields: {Title: CTO, FirstName: Adam, LastName: Byron, City: absent, Company: unchanged}}
  - salesforce.contact: {email: bob@example.com, count: 1, fields: {LastName: Babbage}}
  - salesforce.lead: {email: nobody@example.com, exists: false}
"""


def _run(text: str, tmp_path: Path):  # noqa: ANN202 - Result
    path = tmp_path / "s.scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return run_scenario(load_text(text, path))


def test_all_mismatches_are_reported_with_record_field_and_journal(tmp_path: Path) -> None:
    result = _run(SF_ONLY, tmp_path)
    assert not result.passed and result.error is None
    found = [
        (m.expectation.block, m.expectation.index, m.field, m.expected, m.actual) for m in result.mismatches
    ]
    assert found == [
        ("when[2] check", 1, "Title", "CEO", "CTO"),
        ("then", 1, "FirstName", "Adam", "Ada"),
        ("then", 1, "LastName", "Byron", "Lovelace"),
    ]
    report = result.report()
    assert "scenario sf-only" in report
    assert (
        "then[1] salesforce.lead (line 15): record salesforce lead ada field LastName: values differ"
        in report
    )
    assert "when[2] check[1] salesforce.lead (line 12)" in report
    assert "last " in report and "salesforce PATCH /services/data/v59.0/sobjects/Lead/" in report
    assert 0 < len(result.journal_tail) <= 15


def test_a_step_that_cannot_run_is_named_and_stops_the_scenario(tmp_path: Path) -> None:
    text = SF_ONLY.replace(
        "salesforce.update: {ref: ada, fields: {Title: CTO, City: null}}",
        "salesforce.update: {ref: ada, fields: {NoSuchField__c: 1}}",
    )
    result = _run(text, tmp_path)
    assert not result.passed
    assert result.error is not None
    assert result.error.startswith("when[1] salesforce.update (line 10) could not run:")
    assert "INVALID_FIELD" in result.error


def test_same_seed_same_ids(tmp_path: Path) -> None:
    text = SF_ONLY.replace("FirstName: Adam, LastName: Byron", "FirstName: Ada, LastName: Lovelace").replace(
        "Title: CEO", "Title: CTO"
    )
    first, second = _run(text, tmp_path), _run(text, tmp_path)
    assert first.passed, first.report()
    assert second.passed


FAULTS_AND_LIMITS = """\
id: harness-unaffected
title: The scenario's own calls step around injected faults, a spent org limit and expired sessions
covers: [ERR-7]
sources: [S-RETRY17]
when:
  - faults.add: {service: "*", status: 503, body: {message: down}}
  - salesforce.api_usage: {exhausted: true}
  - salesforce.expire_session:
  - salesforce.create: {sobject: Lead, as: ada, fields: {Email: ada@example.com, LastName: Lovelace, Company: Acme}}
  - hubspot.create_contact: {as: bob, properties: {email: bob@example.com}}
then:
  - salesforce.lead: {email: ada@example.com, count: 1}
  - hubspot.contact: {email: bob@example.com, count: 1}
"""


def test_scenario_calls_are_not_affected_by_faults_limits_or_session_expiry(tmp_path: Path) -> None:
    result = _run(FAULTS_AND_LIMITS, tmp_path)
    assert result.passed, result.report()


def test_a_bad_given_entry_is_named_with_its_line(tmp_path: Path) -> None:
    text = SF_ONLY.replace("Company: Acme}}", "Company: Acme, Bogus__c: 1}}", 1)
    result = _run(text, tmp_path)
    assert result.error is not None
    assert result.error.startswith("given.salesforce.leads[1] (line 8):"), result.error


STEPS_SMOKE = """\
id: steps-smoke
title: HubSpot merge step smoke test
covers: [DEL-3]
sources: [S-DUP]
given:
  hubspot:
    contacts:
      - {as: a, properties: {email: a@example.com, firstname: A}}
      - {as: b, properties: {email: b@example.com, firstname: B}}
when:
  - hubspot.merge_contacts: {primary: a, merged: b}
  - hubspot.submit_form: {email: c@example.com, as: c, properties: {firstname: C}}
  - hubspot.create_list: {name: Static, processing: static, members: [a]}
  - hubspot.add_to_list: {list: Static, ref: c}
  - hubspot.remove_from_list: {list: Static, ref: a}
  - hubspot.delete_contact: {ref: c}
  - hubspot.delete_list: {list: Static}
  - salesforce.create: {sobject: Lead, as: l, fields: {LastName: L, Company: C, Email: l@example.com}}
  - salesforce.duplicate_rule: {sobject: Lead, fields: [Email], action: block}
  - salesforce.field_permission: {sobject: Lead, field: Title, editable: false}
  - sandbox.settings: {salesforce: {daily_api_requests: 1000}}
  - faults.add: {service: hubspot, status: 500, times: 1}
  - faults.clear:
then:
  - hubspot.contact: {ref: a, properties: {firstname: A}}
  - hubspot.contact: {email: b@example.com, exists: false}
"""


def test_fake_only_steps_act_through_the_public_apis(tmp_path: Path) -> None:
    """Merge, forms, static lists, deletes, duplicate rules, field permissions, sandbox settings
    and faults all run against the fakes (no engine step involved)."""
    result = _run(STEPS_SMOKE, tmp_path)
    assert result.passed, result.report()


ARMED = """\
id: armed
title: Hooks armed for the next engine step must happen in it
covers: [INC-10]
sources: [S-INC]
when:
  - hubspot.create_contact: {as: ada, properties: {email: ada@example.com, lastname: Lovelace, company: Acme}}
  - clock.advance: 15m
  - STEP
  - sync.run:
then:
  - salesforce.lead: {email: ada@example.com, count: 1}
"""


def test_an_edit_armed_for_a_request_the_engine_never_makes_fails_the_step(tmp_path: Path) -> None:
    never = "sync.during: {before: {system: hubspot, method: DELETE}, do: [hubspot.update_contact: {ref: ada, properties: {jobtitle: CTO}}]}"
    result = _run(ARMED.replace("STEP", never), tmp_path)
    assert result.error is not None and result.error.startswith("when[4] sync.run (line 9) could not run:")
    assert "the engine made no request matching" in result.error


def test_an_edit_lands_between_the_engines_read_and_its_write(tmp_path: Path) -> None:
    during = (
        "sync.during: {before: {system: salesforce, method: POST, path: /composite/sobjects$},"
        " do: [hubspot.update_contact: {ref: ada, properties: {jobtitle: CTO}}]}"
    )
    text = ARMED.replace("STEP", during).replace(
        "count: 1}\n", "count: 1, fields: {Title: absent}}\n  - hubspot.contact: {ref: ada, properties: {jobtitle: CTO}}\n"
    )
    result = _run(text, tmp_path)
    assert result.passed, result.report()  # the lead was written from what the engine read before the edit


def test_engine_stop_that_never_happens_fails_and_one_that_does_restarts_the_engine(tmp_path: Path) -> None:
    never = _run(ARMED.replace("STEP", "engine.stop: {at: after_write, nth: 5}"), tmp_path)
    assert never.error is not None and "engine.stop after_write #5: the next engine step never got there" in never.error
    stopped = _run(ARMED.replace("STEP", "engine.stop: {at: after_write}"), tmp_path)
    assert stopped.passed, stopped.report()  # the lead was created before the engine stopped


MISSING = """\
id: missing-data
title: Checks about records or engine steps that are not there fail and say so
covers: [TRG-1]
sources: [S-TRG]
given:
  hubspot:
    contacts:
      - {as: ada, properties: {email: ada@example.com, lastname: Lovelace}}
when:
  - clock.advance: 15m
then:
  - link: {hubspot: nobody@example.com, exists: false}
  - sync_errors: {record: nobody@example.com, count: 0}
  - nothing_synced: true
  - api_calls: {system: any, count: 0}
  - decision_log: {record: nobody@example.com, contains: skipped, count: 0}
"""


def test_checks_on_missing_data_fail_with_could_not_find(tmp_path: Path) -> None:
    """An expectation that would pass on missing data (a link check for an email that matches
    nothing, no errors or decisions for an unknown record, nothing synced when no engine step
    ran) fails and says what it could not find."""
    result = _run(MISSING, tmp_path)
    assert not result.passed and result.error is None
    messages = [(m.expectation.index, m.message) for m in result.mismatches]
    assert [i for i, _ in messages] == [1, 2, 3, 4, 5]
    assert all("could not find" in text for _, text in messages), messages
    assert "no HubSpot contact with email nobody@example.com" in messages[0][1]
    assert "no sync step ran" in messages[2][1]
    synced = _run(MISSING.replace("  - clock.advance: 15m\n", "  - clock.advance: 15m\n  - sync.run:\n"), tmp_path)
    # After a sync step the engine-call checks have something to look at: the engine created
    # ada's lead, so they fail on what it did, not on a missing engine step.
    by_index = {m.expectation.index: m.message for m in synced.mismatches}
    assert sorted(by_index) == [1, 2, 3, 4, 5]
    assert by_index[3].startswith("the engine wrote to the APIs")
    assert by_index[4].startswith("wrong number of engine API calls")
    assert all("could not find" in by_index[i] for i in (1, 2, 5))


def test_a_step_inside_sync_during_that_fails_is_reported_not_raised_into_the_engine(tmp_path: Path) -> None:
    during = (
        "sync.during: {before: {system: salesforce, method: POST, path: /composite/sobjects$},"
        " do: [salesforce.update: {email: nobody@example.com, fields: {Title: CTO}}]}"
    )
    result = _run(ARMED.replace("STEP", during), tmp_path)
    assert result.error is not None
    assert result.error.startswith("when[4] sync.run (line 9) could not run: sync.during: sync.during do[1] salesforce.update")
    assert "no Salesforce lead or contact with email nobody@example.com" in result.error
