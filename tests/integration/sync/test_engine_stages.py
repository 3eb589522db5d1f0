"""Engine behaviour across chunk boundaries and operations (issue 11 redesign, issue 17 engine bugs):
stale queued payloads, stop requests, `why` by email, unknown records, per-call create failures."""

from __future__ import annotations

import pytest

from sync.engine import SyncEngine
from sync.errors import RecordNotFound
from tests.integration.sync.harness import Env


def engine(env: Env, chunk_size: int, progress: object = None, **contacts: object) -> SyncEngine:
    eng = SyncEngine(
        env.settings(**contacts),
        state_url=env.state_url,
        sleep=env.advance,
        now=env.sb.clock.now,
        chunk_size=chunk_size,
        progress=progress,  # type: ignore[arg-type]
    )
    env.engines.append(eng)
    return eng


def installed(env: Env, chunk_size: int, **contacts: object) -> SyncEngine:
    eng = engine(env, chunk_size, **contacts)
    assert eng.run_cycle().stopped is None  # install (TRG-15)
    env.advance(60)
    return eng


def phone_history(env: Env, cid: str) -> list[str]:
    body = env.hs("GET", f"/crm/v3/objects/contacts/{cid}?propertiesWithHistory=phone")
    return [str(h.get("value") or "") for h in body["propertiesWithHistory"]["phone"]]


def create_contacts(env: Env, n: int) -> None:
    for start in range(0, n, 100):
        inputs = [
            {"properties": {"email": f"bulk{i}@example.com", "lastname": "Bulk"}} for i in range(start, min(n, start + 100))
        ]
        env.hs("POST", "/crm/v3/objects/contacts/batch/create", {"inputs": inputs})


@pytest.mark.catalog("CON-8", "RULE-1")
@pytest.mark.parametrize(("chunk_size", "others"), [(1, 2), (7, 6), (1000, 999)])
def test_a_stale_queued_payload_never_blanks_a_value(env: Env, chunk_size: int, others: int) -> None:
    """Issue 17, bug 2: the contact (with a phone) is processed in an earlier chunk than its lead
    (no phone), which it links to and fills; the lead's queued payload predates that write, and
    read as it was it would clear the contact's phone for one cycle."""
    eng = installed(env, chunk_size)
    create_contacts(env, others)
    cid = env.hs_create(email="phone@example.com", lastname="Phone", phone="+1 555 0100")
    lead = env.sf_create("Lead", Email="phone@example.com", LastName="Phone", Company="Acme")
    rep = eng.run_cycle()
    assert rep.errors == 0 and rep.stopped is None, rep
    assert env.sf_get("Lead", lead)["Phone"] == "+1 555 0100"
    env.advance(900)
    eng.run_cycle()
    assert env.hs_get(cid, "phone")["phone"] == "+1 555 0100"
    assert "" not in phone_history(env, cid), phone_history(env, cid)


def test_request_stop_finishes_the_chunk_in_flight_and_the_next_run_goes_on(env: Env) -> None:
    """A stop request (what `sync run` does on SIGTERM) ends the drain between chunks: the chunk in
    flight is committed, nothing of a later chunk is written, and the next run completes the rest
    with no duplicate."""
    holder: dict[str, SyncEngine] = {}

    def progress(msg: str) -> None:
        if msg.startswith("processed "):
            holder["eng"].request_stop()

    eng = holder["eng"] = engine(env, 2, progress)
    assert eng.run_cycle().stopped is None  # install: nothing queued, no "processed" line
    env.advance(60)
    for i in range(6):
        env.hs_create(email=f"stop{i}@example.com", lastname="Stop")
    rep = eng.run_cycle()
    assert rep.stopped is not None and rep.stopped.startswith("stopped on request"), rep.stopped
    assert rep.processed == 2 and rep.created_in_salesforce == 2, rep
    assert len(env.sf_query("SELECT Id FROM Lead WHERE LastName = 'Stop'")) == 2
    rep = engine(env, 2).run_cycle()  # a new process over the same state
    assert rep.created_in_salesforce == 4 and rep.errors == 0, rep
    emails = [r["Email"] for r in env.sf_query("SELECT Email FROM Lead WHERE LastName = 'Stop'")]
    assert sorted(emails) == [f"stop{i}@example.com" for i in range(6)]


def test_why_by_email_and_by_id_show_the_same_errors_without_a_link(env: Env) -> None:
    """Issue 17, bug 6: a contact in error has no link; `why EMAIL` must resolve it as `why ID` does."""
    eng = installed(env, 1000)
    bad = env.hs_create(email="bad@example.com", lastname="x" * 200)  # LastName max 80: create fails
    assert eng.run_cycle().errors == 1
    by_id, by_email = eng.why(bad), eng.why("bad@example.com")
    assert by_id["link"] is None and by_id["errors"] and by_id["errors"][0]["code"] == "STRING_TOO_LONG"
    assert by_email["errors"] == by_id["errors"]
    assert by_email["decisions"] == by_id["decisions"]


def test_resync_of_a_record_that_does_not_exist_is_record_not_found(env: Env) -> None:
    """Issue 17, bug 8: its own kind of error, not a settings error."""
    eng = installed(env, 1000)
    with pytest.raises(RecordNotFound, match="nobody@example.com"):
        eng.resync_record("nobody@example.com")


@pytest.mark.catalog("ERR-7")
def test_a_failed_create_call_holds_back_only_the_records_it_carried(env: Env) -> None:
    """One 503 on a Salesforce create: the 200 records of that call wait for the retry queue
    (ERR-7); the records of the other call are created in the same cycle."""
    eng = installed(env, 1000)
    create_contacts(env, 400)
    env.fault(service="salesforce", method="POST", path=".*/composite/sobjects", status=503, times=1)
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 200 and rep.errors == 200, rep
    assert eng.status()["suspension"] is None
    env.advance(1300)
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 200 and rep.errors == 0, rep
    assert len(env.sf_query("SELECT Id FROM Lead WHERE LastName = 'Bulk'")) == 400


@pytest.mark.catalog("SUS-4")
def test_one_unknown_error_on_a_create_is_retried_not_a_suspension(env: Env) -> None:
    """SUS-4 is for an unclear error that persists: one 500 UNKNOWN_EXCEPTION on a create (never
    re-sent blindly) is a transient failure of that record, retried per ERR-7."""
    eng = installed(env, 1000)
    env.hs_create(email="once@example.com", lastname="Once")
    body = [{"errorCode": "UNKNOWN_EXCEPTION", "message": "An unexpected error occurred."}]
    env.fault(service="salesforce", method="POST", path=".*/composite/sobjects", status=500, body=body, times=1)
    rep = eng.run_cycle()
    assert rep.stopped is None and rep.errors == 1, rep
    assert eng.status()["suspension"] is None
    env.advance(1300)
    assert eng.run_cycle().created_in_salesforce == 1


@pytest.mark.catalog("IMP-5")
def test_an_account_import_names_its_key_not_email(env: Env) -> None:
    """An account has no email: the import's progress line names the key it counted (its Id), as
    the contact import's names Email (the review of issue 12 found "records with email")."""
    lines: list[str] = []
    eng = SyncEngine(
        env.settings(_top={"companies": {"enabled": True}}),
        state_url=env.state_url,
        sleep=env.advance,
        now=env.sb.clock.now,
        progress=lines.append,
    )
    env.engines.append(eng)
    assert eng.run_cycle().stopped is None  # install (TRG-15)
    env.sf_create("Account", Name="Imported Acme")
    env.sf_create("Lead", Email="lead@example.com", LastName="Lead", Company="Acme")
    eng.import_salesforce("Account")
    eng.import_salesforce("Lead")
    assert "import Account: 1 records with Id, 1 distinct" in lines
    assert "import Lead: 1 records with Email, 1 distinct" in lines
