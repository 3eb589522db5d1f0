"""Engine <-> both fakes (in-process): triggers, rules, matching, creation settings.
Catalog IDs are named in each test."""

from __future__ import annotations

import pytest

from tests.integration.sync.harness import Env

TWO_WAY = [
    {"hubspot": "firstname", "salesforce": "FirstName", "rule": "two_way"},
    {"hubspot": "lastname", "salesforce": "LastName", "rule": "two_way"},
]


def installed(env: Env, **contacts: object):  # noqa: ANN201 - SyncEngine
    eng = env.engine(**contacts)
    rep = eng.run_cycle()  # first run = install (TRG-15)
    assert rep.stopped is None, rep.stopped
    env.advance(60)
    return eng


def test_existing_records_do_not_sync_at_install_and_new_contact_creates_lead(env: Env) -> None:
    old = env.hs_create(email="old@example.com", firstname="Old", lastname="Timer")  # TRG-15
    eng = installed(env)
    assert env.sf_query("SELECT Id FROM Lead WHERE Email = 'old@example.com'") == []
    cid = env.hs_create(email="ann@example.com", firstname="Ann", lastname="Lee", company="Acme")  # TRG-7
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 1 and rep.errors == 0, rep
    (lead,) = env.sf_query(
        "SELECT Id, FirstName, LastName, Company, Email FROM Lead WHERE Email = 'ann@example.com'"
    )
    assert (lead["FirstName"], lead["LastName"], lead["Company"]) == ("Ann", "Lee", "Acme")  # CON-2 (lead)
    assert env.hs_get(cid, "salesforceleadid")["salesforceleadid"] == lead["Id"]  # CON-12
    env.advance(900)
    eng.run_cycle()  # Salesforce-assigned defaults (owner by assignment, OWN-3) flow back once
    env.advance(900)
    patches = len(env.journal("salesforce", "PATCH"))
    rep = eng.run_cycle()  # our writes come back as changes: echo suppression, nothing written
    assert rep.writes == 0 and len(env.journal("salesforce", "PATCH")) == patches
    assert eng.why(old)["decisions"] == []


@pytest.mark.catalog("CON-2")
def test_contact_mode_creates_salesforce_contact(env: Env) -> None:  # CON-2
    eng = installed(env, hubspot_creates="contact")
    env.hs_create(email="c@example.com", lastname="Cee")
    eng.run_cycle()
    assert len(env.sf_query("SELECT Id FROM Contact WHERE Email = 'c@example.com'")) == 1
    assert env.sf_query("SELECT Id FROM Lead WHERE Email = 'c@example.com'") == []


@pytest.mark.catalog("RULE-3", "TRG-2", "TRG-3")
def test_two_way_both_directions_and_later_change_wins(env: Env) -> None:  # RULE-3, TRG-2, TRG-3, A5
    eng = installed(env, mappings=TWO_WAY)
    cid = env.hs_create(email="t@example.com", firstname="T", lastname="One")
    eng.run_cycle()
    (lead,) = env.sf_query("SELECT Id FROM Lead WHERE Email = 't@example.com'")
    env.advance(60)
    env.hs_update(cid, firstname="FromHubSpot")
    eng.run_cycle()
    assert env.sf_get("Lead", lead["Id"])["FirstName"] == "FromHubSpot"
    env.advance(60)
    env.sf_update("Lead", lead["Id"], FirstName="FromSalesforce")
    eng.run_cycle()
    assert env.hs_get(cid, "firstname")["firstname"] == "FromSalesforce"
    env.advance(60)
    env.sf_update("Lead", lead["Id"], LastName="SfEarlier")
    env.advance(60)
    env.hs_update(cid, lastname="HsLater")
    eng.run_cycle()
    assert env.sf_get("Lead", lead["Id"])["LastName"] == "HsLater"
    assert env.hs_get(cid, "lastname")["lastname"] == "HsLater"
    env.advance(60)
    env.hs_update(cid, firstname="")  # a clear is a change
    eng.run_cycle()
    assert env.sf_get("Lead", lead["Id"])["FirstName"] in (None, "")


@pytest.mark.catalog("RULE-3")
def test_two_way_conflict_compares_the_fields_own_change_times(env: Env) -> None:  # RULE-3, A5
    eng = installed(env, mappings=TWO_WAY)
    cid = env.hs_create(email="f@example.com", firstname="F", lastname="One")
    eng.run_cycle()
    (lead,) = env.sf_query("SELECT Id FROM Lead WHERE Email = 'f@example.com'")
    env.advance(60)
    env.hs_update(cid, firstname="HsEarlier")  # t1: HubSpot edits the field
    env.advance(60)
    env.sf_update("Lead", lead["Id"], FirstName="SfLater")  # t2: Salesforce edits it later
    env.advance(60)
    env.hs_update(cid, jobtitle="Unrelated")  # t3: HubSpot's record time moves past t2
    reads = len(env.journal("hubspot", "POST"))
    eng.run_cycle()
    # By record times HubSpot (t3) would win; the field itself last changed in Salesforce (t2).
    assert env.hs_get(cid, "firstname")["firstname"] == "SfLater"
    assert env.sf_get("Lead", lead["Id"])["FirstName"] == "SfLater"
    latest = eng.why(cid)["decisions"][0]
    assert "firstname" in latest["detail"]["field_times"]
    hist_reads = [e for e in env.journal("hubspot", "POST")[reads:] if e["path"].endswith("/batch/read")]
    assert len(hist_reads) == 1  # one batch read (with history), only because of the conflict
    env.advance(60)
    env.hs_update(cid, lastname="OnlyHs")  # no conflict: no history read
    reads = len(env.journal("hubspot", "POST"))
    eng.run_cycle()
    assert env.sf_get("Lead", lead["Id"])["LastName"] == "OnlyHs"
    assert not [e for e in env.journal("hubspot", "POST")[reads:] if e["path"].endswith("/batch/read")]


@pytest.mark.catalog("RULE-1", "RULE-2", "RULE-4")
def test_prefer_salesforce_always_salesforce_and_dont_sync(env: Env) -> None:  # RULE-1, RULE-2, RULE-4
    eng = installed(
        env,
        mappings=[
            {"hubspot": "jobtitle", "salesforce": "Title", "rule": "prefer_salesforce_unless_blank"},
            {"hubspot": "phone", "salesforce": "Phone", "rule": "always_use_salesforce"},
            {"hubspot": "city", "salesforce": "City", "rule": "dont_sync"},
        ],
    )
    cid = env.hs_create(email="r@example.com", lastname="R", jobtitle="Eng", phone="111", city="Oslo")
    eng.run_cycle()
    (lead,) = env.sf_query("SELECT Id, Title, Phone, City FROM Lead WHERE Email = 'r@example.com'")
    assert lead["Title"] == "Eng"  # blank in Salesforce: HubSpot fills it
    assert lead["Phone"] is None  # RULE-2: HubSpot never writes
    assert lead["City"] is None  # RULE-4
    env.advance(60)
    env.hs_update(cid, jobtitle="Boss", city="Bergen")
    eng.run_cycle()
    assert env.sf_get("Lead", lead["Id"])["Title"] == "Eng"  # Salesforce not blank: it wins
    assert env.hs_get(cid, "jobtitle")["jobtitle"] == "Eng"
    env.advance(60)
    env.sf_update("Lead", lead["Id"], Phone="222", City="Paris", Title=None)
    eng.run_cycle()
    got = env.hs_get(cid, "phone", "city", "jobtitle")
    assert got["phone"] == "222" and got["city"] == "Bergen" and got["jobtitle"] in (None, "")


@pytest.mark.catalog("TRG-4")
def test_unmapped_change_triggers_nothing(env: Env) -> None:  # TRG-4
    eng = installed(env)
    cid = env.hs_create(email="u@example.com", lastname="U")
    eng.run_cycle()
    env.advance(60)
    eng.run_cycle()  # Salesforce-assigned defaults (owner) flow back once
    env.advance(60)
    env.hs_update(cid, lifecyclestage="lead")
    patches = len(env.journal("salesforce", "PATCH"))
    rep = eng.run_cycle()
    assert rep.writes == 0 and len(env.journal("salesforce", "PATCH")) == patches
    assert "TRG-4" in eng.why(cid)["decisions"][0]["detail"]["reason"]


@pytest.mark.catalog("CON-4")
def test_no_email_does_not_sync(env: Env) -> None:  # CON-4
    eng = installed(env)
    cid = env.hs_create(firstname="Nomail", lastname="N")
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 0
    assert "CON-4" in eng.why(cid)["decisions"][0]["detail"]["reason"]


@pytest.mark.catalog("CON-5", "CON-6", "CON-8")
def test_existing_email_is_linked_not_duplicated(env: Env) -> None:  # CON-5, CON-6, CON-8
    eng = installed(env)
    first = env.sf_create("Lead", Email="dup@example.com", LastName="First", Company="C")
    env.advance(5)
    env.sf_create("Lead", Email="dup@example.com", LastName="Second", Company="C")
    env.sf_create("Lead", Email="other@example.com", LastName="First", Company="C")  # same name, other email
    eng2 = env.engine(from_salesforce_leads="do_nothing")  # keep SF->HS creation out of the way
    eng2.run_cycle()
    env.advance(60)
    cid = env.hs_create(email="dup@example.com", lastname="Hub")
    rep = eng2.run_cycle()
    assert rep.created_in_salesforce == 0 and rep.linked_existing == 1
    assert eng2.why(cid)["link"]["salesforce_id"] == first
    assert len(env.sf_query("SELECT Id FROM Lead WHERE Email = 'dup@example.com'")) == 2
    del eng


@pytest.mark.catalog("CON-1", "TRG-6")
def test_salesforce_record_creates_contact_or_does_nothing(env: Env) -> None:  # TRG-6, CON-1
    eng = installed(env, from_salesforce_contacts="do_nothing")
    env.sf_create("Lead", Email="lead@example.com", LastName="Lead", FirstName="L", Company="Co")
    env.sf_create("Contact", Email="contact@example.com", LastName="Contact")
    rep = eng.run_cycle()
    assert rep.created_in_hubspot == 1
    c = env.hs_find("lead@example.com")
    assert c is not None and c["properties"]["firstname"] == "L"
    assert env.hs_find("contact@example.com") is None


@pytest.mark.catalog("CON-13", "ERR-4")
def test_email_already_in_use(env: Env) -> None:  # CON-13, ERR-4
    eng = installed(env, mappings=[{"hubspot": "email", "salesforce": "Email", "rule": "two_way"}])
    env.hs_create(email="taken@example.com", lastname="T")
    lead = env.sf_create("Lead", Email="mine@example.com", LastName="M", Company="C")
    eng.run_cycle()
    env.advance(60)
    env.sf_update("Lead", lead, Email="taken@example.com")
    rep = eng.run_cycle()
    assert rep.errors == 1
    assert eng.status()["errors"]["by_category"] == {"DUPLICATES": 1}


@pytest.mark.catalog("TRG-14")
def test_manual_resync_record(env: Env) -> None:  # TRG-14
    env.hs_create(email="pre@example.com", lastname="Pre")  # exists before install: not synced
    eng = installed(env)
    rep = eng.resync_record("pre@example.com")
    assert rep.created_in_salesforce == 1
    assert len(env.sf_query("SELECT Id FROM Lead WHERE Email = 'pre@example.com'")) == 1


@pytest.mark.catalog("SET-5")
def test_integration_off(env: Env) -> None:  # SET-5
    s = env.settings()
    s.integration_enabled = False
    eng = env.engine(s)
    env.hs_create(email="off@example.com", lastname="Off")
    rep = eng.run_cycle()
    assert rep.stopped and "SET-5" in rep.stopped and sum(rep.api_calls.values()) == 0
