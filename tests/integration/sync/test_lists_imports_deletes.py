"""Inclusion lists (INC), imports (IMP), deletion and conversion (DEL, CON-9) against the fakes."""

from __future__ import annotations

import pytest

from sync.settings import SettingsError
from tests.integration.sync.harness import Env
from tests.integration.sync.test_contacts_sync import installed


@pytest.mark.catalog("INC-1")
def test_static_list_is_rejected_and_unknown_list_named(env: Env) -> None:  # INC-1
    env.hs_list("Manual one", processing="MANUAL")
    with pytest.raises(SettingsError, match=r"'Manual one'.*MANUAL.*INC-1"):
        env.engine(inclusion_list="Manual one").validate()
    with pytest.raises(SettingsError, match="no HubSpot list named or numbered 'Nope'"):
        env.engine(inclusion_list="Nope").validate()


@pytest.mark.catalog("INC-3", "INC-4", "INC-5", "INC-9")
def test_list_gates_join_and_leave(env: Env) -> None:  # INC-3, INC-4, INC-5, INC-9
    env.hs_list("Leads only")
    member_before = env.hs_create(email="before@example.com", lastname="B", lifecyclestage="lead")
    eng = installed(env, inclusion_list="Leads only")
    assert env.sf_query("SELECT Id FROM Lead WHERE Email = 'before@example.com'") == []  # INC-4
    out = env.hs_create(email="out@example.com", lastname="O", lifecyclestage="subscriber")
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 0  # INC-3
    assert eng.why(out)["decisions"][0]["outcome"] == "skipped"
    env.advance(60)
    env.hs_update(out, lifecyclestage="lead")  # joins the list: INC-5
    rep = eng.run_cycle()
    assert rep.created_in_salesforce == 1
    (lead,) = env.sf_query("SELECT Id FROM Lead WHERE Email = 'out@example.com'")
    env.advance(60)
    env.hs_update(out, lifecyclestage="subscriber")  # leaves: INC-9
    eng.run_cycle()
    env.advance(60)
    env.sf_update("Lead", lead["Id"], LastName="Changed")
    eng.run_cycle()
    assert env.hs_get(out, "lastname")["lastname"] == "O"  # A1: blocked both ways
    assert member_before


@pytest.mark.catalog("INC-7", "INC-8")
def test_salesforce_auto_create_ignores_list_once(env: Env) -> None:  # INC-7, INC-8
    env.hs_list("VIP only", prop="jobtitle", value="VIP")
    eng = installed(env, inclusion_list="VIP only")
    lead = env.sf_create("Lead", Email="sfonly@example.com", LastName="S", Company="C")
    assert eng.run_cycle().created_in_hubspot == 1
    env.advance(60)
    env.sf_update("Lead", lead, LastName="Later")
    eng.run_cycle()
    c = env.hs_find("sfonly@example.com")
    assert c is not None and c["properties"]["lastname"] == "S"


@pytest.mark.catalog("INC-6")
def test_resync_list(env: Env) -> None:  # INC-6
    lid = env.hs_list("VIPs", prop="jobtitle", value="VIP")
    for i in range(3):
        env.hs_create(email=f"vip{i}@example.com", lastname="V", jobtitle="VIP")
    eng = installed(env)
    rep = eng.resync_list("VIPs")
    assert rep.created_in_salesforce == 3
    assert eng.resync_list(lid).created_in_salesforce == 0


@pytest.mark.catalog("IMP-1", "IMP-2", "IMP-4")
def test_import_leads(env: Env) -> None:  # IMP-1, IMP-2, IMP-4
    env.sf_create("Lead", Email="imp@example.com", LastName="Imp", FirstName="Ida", Company="C")
    env.advance(5)  # the older record wins a shared email (IMP-4)
    env.sf_create("Lead", Email="IMP@example.com", LastName="Dup", Company="C")
    env.sf_create("Lead", LastName="NoMail", Company="C")
    eng = installed(env)
    before = env.hs_count()
    rep = eng.import_salesforce("Lead")
    assert rep.created_in_hubspot == 1 and env.hs_count() == before + 1
    c = env.hs_find("imp@example.com")
    assert c is not None and c["properties"]["firstname"] == "Ida"  # follow-up sync filled it


@pytest.mark.catalog("IMP-3")
def test_import_outside_list_stays_bare(env: Env) -> None:  # IMP-3
    env.hs_list("VIP only", prop="jobtitle", value="VIP")
    env.sf_create("Lead", Email="bare@example.com", LastName="Bare", FirstName="B", Company="C")
    eng = installed(env, inclusion_list="VIP only")
    eng.import_salesforce("Lead")
    c = env.hs_find("bare@example.com")
    assert c is not None and not c["properties"].get("firstname")


@pytest.mark.catalog("DEL-1", "DEL-2")
@pytest.mark.parametrize("deletion", ["delete", "do_nothing"])
def test_salesforce_deletion_setting(env: Env, deletion: str) -> None:  # DEL-1, DEL-2
    eng = installed(env, deletion=deletion)
    cid = env.hs_create(email="del@example.com", lastname="D")
    keep = env.hs_create(email="keep@example.com", lastname="K")
    eng.run_cycle()
    (lead,) = env.sf_query("SELECT Id FROM Lead WHERE Email = 'del@example.com'")
    (kept,) = env.sf_query("SELECT Id FROM Lead WHERE Email = 'keep@example.com'")
    env.advance(60)
    env.sf_delete("Lead", lead["Id"])
    env.hs_delete(keep)  # DEL-2: a HubSpot deletion never reaches Salesforce
    rep = eng.run_cycle()
    assert (env.hs_find("del@example.com") is None) == (deletion == "delete")
    assert rep.deleted_in_hubspot == (1 if deletion == "delete" else 0)
    assert env.sf_get("Lead", kept["Id"])["Id"] == kept["Id"]
    assert cid


@pytest.mark.catalog("CON-9")
def test_lead_conversion_moves_link_to_contact(env: Env) -> None:  # CON-9, A7
    eng = installed(env, mappings=[{"hubspot": "lastname", "salesforce": "LastName", "rule": "two_way"}])
    cid = env.hs_create(email="conv@example.com", lastname="Conv")
    eng.run_cycle()
    (lead,) = env.sf_query("SELECT Id FROM Lead WHERE Email = 'conv@example.com'")
    env.advance(60)
    res = env.control("POST", "/_hubforce/salesforce/convert-lead", {"leadId": lead["Id"]})
    contact_id = res.get("contactId") or res.get("ContactId")
    eng.run_cycle()
    assert eng.why(cid)["link"]["salesforce_id"] == contact_id
    env.advance(60)
    env.hs_update(cid, lastname="AfterConversion")
    rep = eng.run_cycle()
    assert rep.errors == 0
    assert env.sf_get("Contact", contact_id)["LastName"] == "AfterConversion"
