"""Engine logic against the tiny `responses` stand-in (no simulator needed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import responses

from sync.engine import SyncEngine
from sync.settings import Settings
from tests.unit.sync.minifake import SF, MiniFake
from tests.unit.sync.pgutil import postgres_schema_url


def settings(**contacts: Any) -> Settings:
    return Settings.from_dict(
        {
            "hubspot": {"token": "t"},
            "salesforce": {"url": SF, "session_id": "s"},
            "contacts": contacts,
            "cursor_overlap_seconds": 60,
        }
    )


@pytest.fixture()
def fake() -> Iterator[MiniFake]:
    f = MiniFake()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        f.install(mock)
        yield f


@pytest.fixture(params=["sqlite", "postgres"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/state.db"
    else:
        with postgres_schema_url() as url:
            yield url


def engine(fake: MiniFake, state_url: str, **contacts: Any) -> SyncEngine:
    return SyncEngine(settings(**contacts), state_url=state_url, sleep=fake.tick, now=lambda: fake.now)


def test_new_hubspot_contact_creates_lead_and_echo_is_suppressed(
    fake: MiniFake, state_url: str, tmp_path: Path
) -> None:
    fake.hs_create(email="old@example.com", firstname="Old")  # exists at install: TRG-15
    eng = engine(fake, state_url)
    assert eng.run_cycle().created_in_salesforce == 0
    fake.tick(60)
    cid = fake.hs_create(email="ann@example.com", firstname="Ann", lastname="Lee", hubspot_owner_id="77")
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 1, rep
    (lead,) = fake.sf["Lead"].values()
    assert (lead["Email"], lead["FirstName"], lead["LastName"], lead["Company"]) == (
        "ann@example.com",
        "Ann",
        "Lee",
        "[not provided]",
    )
    assert lead["OwnerId"] == "005000000000001AAA"  # OWN-3
    assert fake.contacts[cid]["properties"]["salesforceleadid"] == lead["Id"]  # CON-12
    fake.tick(60)
    rep = eng.run_cycle()  # our own HubSpot write comes back from search: no writes
    assert rep.writes == 0 and rep.errors == 0
    why = eng.why(cid)
    assert why["link"]["salesforce_id"] == lead["Id"]
    assert any(d["outcome"] == "created_in_salesforce" for d in why["decisions"])


def test_updates_flow_by_rule_and_existing_email_is_matched(
    fake: MiniFake, state_url: str, tmp_path: Path
) -> None:
    eng = engine(
        fake, state_url, mappings=[{"hubspot": "firstname", "salesforce": "FirstName", "rule": "two_way"}]
    )
    eng.run_cycle()
    fake.tick(60)
    existing = fake.sf_create("Contact", Email="bo@example.com", LastName="Bo", FirstName="Bob", Title="CTO")
    eng.run_cycle()  # new SF contact -> HubSpot contact created (TRG-6)
    (cid,) = [k for k, c in fake.contacts.items() if c["properties"]["email"] == "bo@example.com"]
    assert fake.contacts[cid]["properties"]["jobtitle"] == "CTO"
    assert fake.sf["Lead"] == {}  # CON-8: no new lead for an existing email
    fake.tick(60)
    fake.hs_update(cid, firstname="Bobby", jobtitle="CEO")
    rep = eng.run_cycle()
    c = fake.sf["Contact"][existing]
    assert c["FirstName"] == "Bobby"  # two-way: HubSpot change wins
    assert c["Title"] == "CTO"  # prefer-Salesforce (default): SF value not blank, HubSpot reverts
    assert fake.contacts[cid]["properties"]["jobtitle"] == "CTO"
    assert rep.updated_in_salesforce == 1 and rep.updated_in_hubspot == 1
    fake.tick(60)
    fake.sf_update("Contact", existing, Title=None)  # a clear in Salesforce clears HubSpot (RULE-1)
    eng.run_cycle()
    assert fake.contacts[cid]["properties"]["jobtitle"] == ""


def test_inclusion_list_gates_and_join_triggers(fake: MiniFake, state_url: str, tmp_path: Path) -> None:
    fake.lists["9"] = {"listId": "9", "name": "Sync me", "processingType": "DYNAMIC"}
    fake.members["9"] = set()
    eng = engine(fake, state_url, inclusion_list="Sync me")
    eng.run_cycle()
    fake.tick(60)
    cid = fake.hs_create(email="x@example.com", lastname="X")
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 0 and rep.skipped == 1  # INC-3
    assert "inclusion list" in eng.why(cid)["decisions"][0]["detail"]["reason"]
    fake.tick(60)
    fake.members["9"].add(cid)  # INC-5: joining the list triggers
    rep = eng.run_cycle()
    assert rep.list_joins == 1 and rep.created_in_salesforce == 1


def test_static_list_is_rejected(fake: MiniFake, state_url: str, tmp_path: Path) -> None:
    fake.lists["5"] = {"listId": "5", "name": "Static", "processingType": "MANUAL"}
    eng = engine(fake, state_url, inclusion_list="5")
    rep = eng.run_cycle()
    assert rep.stopped is not None and "MANUAL list" in rep.stopped and fake.sf["Lead"] == {}
    with pytest.raises(Exception, match="'Static' .*MANUAL list.*INC-1"):
        eng.validate()


def test_validation_failure_is_recorded_and_rest_continues(
    fake: MiniFake, state_url: str, tmp_path: Path
) -> None:
    fake.fail_sf_create.add("Bad")
    eng = engine(fake, state_url)
    eng.run_cycle()
    fake.tick(60)
    bad = fake.hs_create(email="bad@example.com", lastname="Bad")
    fake.hs_create(email="good@example.com", lastname="Good")
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 1 and rep.errors == 1
    st = eng.status()
    assert st["errors"]["by_category"] == {"CUSTOM_CODE": 1}
    assert eng.why(bad)["errors"][0]["code"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    fake.fail_sf_create.clear()
    rep = eng.resync_record(bad)  # ERR-8
    assert rep.created_in_salesforce == 1 and eng.status()["errors"]["records"] == 0


def test_deletion_setting_and_conversion(fake: MiniFake, state_url: str, tmp_path: Path) -> None:
    eng = engine(fake, state_url, deletion="delete")
    eng.run_cycle()
    fake.tick(60)
    lead = fake.sf_create("Lead", Email="c@example.com", LastName="C", Company="Co")
    gone = fake.sf_create("Lead", Email="d@example.com", LastName="D", Company="Co")
    eng.run_cycle()
    assert len(fake.contacts) == 2
    fake.tick(60)
    contact = fake.sf_create("Contact", Email="c@example.com", LastName="C")
    fake.sf_update("Lead", lead, IsConverted=True, ConvertedContactId=contact)
    fake.sf["Lead"][gone]["IsDeleted"] = True
    fake.sf_update("Lead", gone)
    rep = eng.run_cycle()
    assert rep.deleted_in_hubspot == 1  # DEL-1
    assert [c["properties"]["email"] for c in fake.contacts.values()] == ["c@example.com"]
    (cid,) = fake.contacts
    assert eng.why(cid)["link"]["salesforce_id"] == contact  # CON-9 / A7


def test_restart_continues_and_no_duplicates(fake: MiniFake, state_url: str, tmp_path: Path) -> None:
    eng = engine(fake, state_url)
    eng.run_cycle()
    fake.tick(60)
    for i in range(5):
        fake.hs_create(email=f"p{i}@example.com", lastname=f"P{i}")
    eng.run_cycle()
    eng2 = engine(fake, state_url)
    fake.tick(60)
    rep = eng2.run_cycle()
    assert rep.created_in_salesforce == 0 and len(fake.sf["Lead"]) == 5


def test_crash_after_create_before_commit_creates_no_duplicate(
    fake: MiniFake, state_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    eng = engine(fake, state_url)
    eng.run_cycle()
    fake.tick(60)
    fake.hs_create(email="crash@example.com", lastname="Crash")

    def boom(*_a: Any, **_k: Any) -> None:
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(SyncEngine, "_finish", boom)
    with pytest.raises(KeyboardInterrupt):
        eng.run_cycle()
    assert len(fake.sf["Lead"]) == 1  # the create happened; the link was never committed
    monkeypatch.undo()
    rep = engine(fake, state_url).run_cycle()  # restart
    assert len(fake.sf["Lead"]) == 1 and rep.linked_existing == 1 and rep.errors == 0


def test_hubspot_search_windows_past_the_cap(
    fake: MiniFake, state_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.pipeline.capture as eng_mod

    monkeypatch.setattr(eng_mod, "SEARCH_CAP", 5)
    monkeypatch.setattr(eng_mod, "SEARCH_PAGE", 2)
    eng = engine(fake, state_url)
    eng.run_cycle()
    fake.tick(60)
    for i in range(7):  # seven records sharing one timestamp, more than the (patched) cap
        fake.hs_create(email=f"t{i}@example.com", lastname="T")
    fake.tick(1)
    for i in range(4):
        fake.hs_create(email=f"u{i}@example.com", lastname="U")
        fake.tick(1)
    rep = eng.run_cycle()
    assert rep.captured_hubspot == 11 and len(fake.sf["Lead"]) == 11


def test_import_salesforce_email_only_then_follow_up(fake: MiniFake, state_url: str, tmp_path: Path) -> None:
    fake.sf_create("Lead", Email="a@example.com", LastName="A", FirstName="Ann", Company="Co")
    fake.tick(1)
    fake.sf_create("Lead", Email="A@example.com", LastName="A2", Company="Co")  # duplicate email (IMP-4)
    fake.sf_create("Lead", LastName="NoMail", Company="Co")
    eng = engine(fake, state_url)
    rep = eng.import_salesforce("Lead")
    assert rep.created_in_hubspot == 1
    (c,) = fake.contacts.values()
    assert c["properties"]["email"] == "a@example.com"
    assert c["properties"]["firstname"] == "Ann"  # IMP-2 follow-up filled the rest


@pytest.mark.catalog("IMP-3")
def test_import_outside_list_stays_bare(fake: MiniFake, state_url: str, tmp_path: Path) -> None:  # IMP-3
    fake.lists["9"] = {"listId": "9", "name": "L", "processingType": "DYNAMIC"}
    fake.members["9"] = set()
    fake.sf_create("Lead", Email="a@example.com", LastName="A", FirstName="Ann", Company="Co")
    eng = engine(fake, state_url, inclusion_list="L")
    eng.import_salesforce("Lead")
    (c,) = fake.contacts.values()
    assert c["properties"].get("firstname") is None


def test_integration_off_and_do_nothing(fake: MiniFake, state_url: str, tmp_path: Path) -> None:
    s = settings()
    s.integration_enabled = False
    eng = SyncEngine(s, state_url=f"sqlite:///{tmp_path}/s.db", sleep=fake.tick, now=lambda: fake.now)
    assert eng.run_cycle().stopped and fake.calls == []  # SET-5: not even a call
    eng = engine(fake, state_url, from_salesforce_leads="do_nothing")
    eng.run_cycle()
    fake.tick(60)
    fake.sf_create("Lead", Email="n@example.com", LastName="N", Company="Co")
    rep = eng.run_cycle()
    assert fake.contacts == {} and rep.skipped == 1  # CON-1


@pytest.mark.catalog("RULE-16")
def test_owner_not_in_salesforce_reverts(fake: MiniFake, state_url: str, tmp_path: Path) -> None:  # RULE-16
    eng = engine(fake, state_url)
    eng.run_cycle()
    fake.tick(60)
    cid = fake.hs_create(email="o@example.com", lastname="O", hubspot_owner_id="77")
    eng.run_cycle()
    fake.tick(60)
    fake.owners.append({"id": "88", "email": "ghost@example.com", "firstName": "G", "lastName": "H"})
    fake.hs_update(cid, hubspot_owner_id="88")
    eng.run_cycle()
    (lead,) = fake.sf["Lead"].values()
    assert lead["OwnerId"] == "005000000000001AAA"
    assert fake.contacts[cid]["properties"]["hubspot_owner_id"] == "77"


@pytest.mark.catalog("CON-13")
def test_email_already_in_use(fake: MiniFake, state_url: str, tmp_path: Path) -> None:  # CON-13
    eng = engine(fake, state_url, mappings=[{"hubspot": "email", "salesforce": "Email", "rule": "two_way"}])
    eng.run_cycle()
    fake.tick(60)
    fake.hs_create(email="taken@example.com", lastname="T")
    lead = fake.sf_create("Lead", Email="mine@example.com", LastName="M", Company="C")
    eng.run_cycle()
    fake.tick(60)
    fake.sf_update("Lead", lead, Email="taken@example.com")
    rep = eng.run_cycle()
    assert rep.errors == 1 and eng.status()["errors"]["by_category"] == {"DUPLICATES": 1}


RATE = {
    "status": "error",
    "message": "You have reached your ten_secondly_rolling limit.",
    "policyName": "TEN_SECONDLY_ROLLING",
}


def test_429_storm_5xx_and_drops_are_retried(fake: MiniFake, state_url: str, tmp_path: Path) -> None:
    eng = engine(fake, state_url)
    eng.run_cycle()
    fake.tick(60)
    cid = fake.hs_create(email="s@example.com", lastname="S")
    fake.faults += [
        ["hubspot", "search", 429, 3, RATE],
        ["salesforce", "query", 503, 2, [{"errorCode": "X", "message": "m"}]],
        ["hubspot", "batch/update", "drop", 1, None],
    ]
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 1 and rep.errors == 0
    (lead,) = fake.sf["Lead"].values()
    assert fake.contacts[cid]["properties"]["salesforceleadid"] == lead["Id"]
    assert eng.status()["api"]["hubspot_calls_24h"] >= 7  # failed attempts count too (LIM-1)


@pytest.mark.catalog("SUS-1", "SUS-4")
def test_request_limit_suspends_and_clear_suspension(
    fake: MiniFake, state_url: str, tmp_path: Path
) -> None:  # SUS-1 / SUS-4
    eng = engine(fake, state_url)
    eng.run_cycle()
    fake.tick(60)
    fake.hs_create(email="q@example.com", lastname="Q")
    fake.faults.append(
        [
            "salesforce",
            "composite",
            403,
            1,
            [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}],
        ]
    )
    rep = eng.run_cycle()
    assert rep.stopped and "SUS-1" in rep.stopped
    assert eng.status()["suspension"]["code"] == "REQUEST_LIMIT_EXCEEDED"
    calls = len(fake.calls)
    assert (
        "suspended" in (eng.run_cycle().stopped or "") and len(fake.calls) == calls
    )  # no calls while suspended
    eng.clear_suspension()
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 1 and len(fake.sf["Lead"]) == 1


def test_hubspot_daily_limit_pauses_until_tomorrow(fake: MiniFake, state_url: str, tmp_path: Path) -> None:
    eng = engine(fake, state_url)
    eng.run_cycle()
    fake.tick(60)
    fake.hs_create(email="d@example.com", lastname="D")
    fake.faults.append(
        ["hubspot", "search", 429, 1, {"status": "error", "message": "daily", "policyName": "DAILY"}]
    )
    rep = eng.run_cycle()
    assert rep.stopped and "DAILY" in rep.stopped
    assert "daily" in (eng.run_cycle().stopped or "").lower()
    fake.tick(86400)
    assert eng.run_cycle().created_in_salesforce == 1


@pytest.mark.catalog("LIM-1")
def test_allocation_stops_salesforce_calls(fake: MiniFake, state_url: str, tmp_path: Path) -> None:  # LIM-1
    s = settings()
    s.api.allocation = 3
    eng = SyncEngine(s, state_url=f"sqlite:///{tmp_path}/a.db", sleep=fake.tick, now=lambda: fake.now)
    rep = eng.run_cycle()
    assert rep.stopped and "allocation" in rep.stopped
    assert eng.status()["api"]["remaining"] <= 0


@pytest.mark.catalog("RULE-9")
def test_new_mapping_is_not_retroactive(fake: MiniFake, state_url: str) -> None:  # RULE-9
    last = {"hubspot": "lastname", "salesforce": "LastName", "rule": "two_way"}
    off = [{"hubspot": "firstname", "salesforce": "FirstName", "rule": "dont_sync"}, last]
    eng = engine(fake, state_url, mappings=off)
    eng.run_cycle()
    fake.tick(60)
    cid = fake.hs_create(email="r9@example.com", firstname="Hub", lastname="R")
    eng.run_cycle()
    (lid,) = fake.sf["Lead"]
    assert fake.sf["Lead"][lid]["FirstName"] is None  # don't sync
    fake.tick(60)
    fake.sf_update("Lead", lid, LastName="R2")  # edited before the new mapping exists
    fake.tick(60)
    on = [{"hubspot": "firstname", "salesforce": "FirstName", "rule": "two_way"}, last]
    eng = engine(fake, state_url, mappings=on)
    eng.run_cycle()
    assert fake.contacts[cid]["properties"]["lastname"] == "R2"
    assert fake.sf["Lead"][lid]["FirstName"] is None  # existing values are not synced
    fake.tick(60)
    fake.hs_update(cid, firstname="Later")  # a later change does sync
    eng.run_cycle()
    assert fake.sf["Lead"][lid]["FirstName"] == "Later"
    fake.tick(60)
    fake.hs_update(cid, firstname="Hub")
    eng.run_cycle()
    assert fake.sf["Lead"][lid]["FirstName"] == "Hub"


@pytest.mark.catalog("LIM-4")
def test_automatic_retries_pause_above_75_percent_of_allocation(
    fake: MiniFake, state_url: str
) -> None:  # LIM-4
    fake.fail_sf_create.add("Bad")
    eng = engine(fake, state_url)
    eng.run_cycle()
    fake.tick(60)
    fake.hs_create(email="bad@example.com", lastname="Bad")
    assert eng.run_cycle().errors == 1
    while eng.status()["api"]["salesforce_calls_24h"] <= 90:
        fake.tick(60)
        eng.run_cycle()  # idle cycles (and failing retries) use calls too
    fake.fail_sf_create.clear()
    used = eng.status()["api"]["salesforce_calls_24h"]
    eng.settings.api.allocation = used + 25  # above 75 % used, with room for a cycle
    fake.tick(1300)  # the next retry is due (ERR-7: every 20 minutes)
    fake.hs_create(email="new@example.com", lastname="New")
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 1 and rep.errors == 0  # new work still syncs
    assert [lead["LastName"] for lead in fake.sf["Lead"].values()] == ["New"]  # the retry was skipped
    assert eng.status()["api"]["retries_paused"] is True
    eng.settings.api.allocation = 100_000
    fake.tick(1300)
    assert eng.run_cycle().created_in_salesforce == 1  # below the threshold again: retried


def test_tie_past_the_search_cap_is_read_in_full(
    fake: MiniFake, state_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More records at one lastmodifieddate than search pages reach (bulk writes, frozen clocks):
    HubSpot stops offering a next page at the cap, so the tie must continue by id, not end there."""
    import sync.pipeline.capture

    monkeypatch.setattr(sync.pipeline.capture, "SEARCH_CAP", 400)
    fake.search_cap = 400
    eng = engine(fake, state_url)
    eng.run_cycle()  # install
    fake.tick(120)
    ids = [fake.hs_create(email=f"t{i}@example.com", lastname="T") for i in range(450)]  # one timestamp
    rep = eng.run_cycle()
    assert rep.captured_hubspot == 450 and rep.created_in_salesforce == 450, rep
    assert {lk["Email"] for lk in fake.sf["Lead"].values()} == {f"t{i}@example.com" for i in range(450)}
    assert len(ids) == 450


def test_overlap_window_is_skipped_when_nothing_arrived_late(fake: MiniFake, state_url: str) -> None:
    """After a bulk capture the overlap window is counted, not re-read; a record that shows up in
    it later (late indexing) makes the count differ and the window is read again."""
    eng = engine(fake, state_url)
    eng.run_cycle()  # install
    fake.tick(120)
    for i in range(450):  # more than two search pages inside the overlap window
        fake.hs_create(email=f"w{i}@example.com", lastname="W")
    eng.run_cycle()
    fake.tick(10)
    before = len([c for c in fake.calls if c[1].endswith("/search")])
    eng.run_cycle()  # nothing new: one count and one empty read, no re-read of the 450 (3 pages)
    searches = len([c for c in fake.calls if c[1].endswith("/search")]) - before
    assert searches == 2, searches
    # a record stamped inside the window that was not visible before (late indexing)
    fake.now -= timedelta(seconds=5)
    late = fake.hs_create(email="late@example.com", lastname="Late")
    fake.tick(30)
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 1, rep
    assert any(lead["Email"] == "late@example.com" for lead in fake.sf["Lead"].values()), late


@pytest.mark.catalog("ERR-8")
def test_public_errors_decisions_and_resync_errors(fake: MiniFake, state_url: str) -> None:  # ERR-8
    eng = engine(fake, state_url)
    eng.run_cycle()
    fake.tick(60)
    fake.fail_sf_create.add("Bad")
    bad = fake.hs_create(email="bad@example.com", lastname="Bad")
    ok = fake.hs_create(email="ok@example.com", lastname="Ok")
    assert eng.run_cycle().errors == 1
    (err,) = eng.errors()
    assert (err["hubspot_id"], err["system"], err["attempts"]) == (bad, "hubspot", 1)
    assert eng.errors(err["category"].lower()) == [err] and eng.errors("NO_SUCH_CATEGORY") == []
    assert [d["outcome"] for d in eng.decisions(bad)] == ["failed"]
    everyone = eng.decisions()
    assert {bad, ok} <= {d["hubspot_id"] for d in everyone} and len(eng.decisions(limit=1)) == 1
    assert everyone[-1] == eng.decisions(limit=1)[0]  # oldest first; limit keeps the newest
    fake.fail_sf_create.clear()
    rep = eng.resync_errors(err["category"])
    assert rep.created_in_salesforce == 1 and rep.errors == 0 and eng.errors() == []
    assert [d["outcome"] for d in eng.decisions(bad)] == ["failed", "created_in_salesforce"]
