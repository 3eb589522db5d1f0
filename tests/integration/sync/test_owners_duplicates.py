"""Owners (OWN-2/3/4, RULE-5, RULE-16) and Salesforce duplicates / merges (CON-7, CON-11, DEL-3)."""

from __future__ import annotations

import pytest

from tests.integration.sync.harness import Env
from tests.integration.sync.test_contacts_sync import installed


def owner_ids(env: Env) -> tuple[str, str, str]:
    """(HubSpot integration owner, its Salesforce user, a HubSpot owner with no Salesforce user)."""
    owners = env.hs("GET", "/crm/v3/owners/")["results"]
    integ = next(o["id"] for o in owners if o["email"] == "integration@example.com")
    other = next(o["id"] for o in owners if o["email"] != "integration@example.com")
    (user,) = env.sf_query("SELECT Id FROM User WHERE Email = 'integration@example.com'")
    return str(integ), user["Id"], str(other)


@pytest.mark.catalog("OWN-2", "OWN-3", "RULE-5", "RULE-16")
def test_owner_mapping_valid_owner_and_revert(env: Env) -> None:  # OWN-2, OWN-3, RULE-5, RULE-16
    integ, sf_user, orphan = owner_ids(env)
    eng = installed(env)
    cid = env.hs_create(email="own@example.com", lastname="Own", hubspot_owner_id=integ)
    eng.run_cycle()
    (lead,) = env.sf_query("SELECT Id, OwnerId FROM Lead WHERE Email = 'own@example.com'")
    assert lead["OwnerId"] == sf_user  # OWN-3: a valid HubSpot owner goes to the new lead
    env.advance(60)
    env.hs_update(cid, hubspot_owner_id=orphan)  # no active Salesforce user with that name/email
    rep = eng.run_cycle()
    assert rep.errors == 0
    assert env.sf_get("Lead", lead["Id"])["OwnerId"] == sf_user  # RULE-16: Salesforce keeps its owner
    assert env.hs_get(cid, "hubspot_owner_id")["hubspot_owner_id"] == integ  # and HubSpot reverts
    assert "RULE-16" in str(eng.why(cid)["decisions"][0]["detail"])


@pytest.mark.catalog("OWN-2")
def test_salesforce_owner_without_hubspot_owner_is_skipped(env: Env) -> None:  # OWN-2
    integ, _sf_user, _ = owner_ids(env)
    (alice,) = env.sf_query("SELECT Id FROM User WHERE Email = 'alice.admin@example.com'")
    # The HubSpot fake mirrors the Salesforce users as owners: remove Alice's HubSpot user.
    env.control("DELETE", "/_hubforce/hubspot/owners/alice.admin@example.com")
    eng = installed(env)
    cid = env.hs_create(email="al@example.com", lastname="Al", hubspot_owner_id=integ)
    eng.run_cycle()
    (lead,) = env.sf_query("SELECT Id FROM Lead WHERE Email = 'al@example.com'")
    env.advance(60)
    env.sf_update("Lead", lead["Id"], OwnerId=alice["Id"], LastName="Alpha")
    rep = eng.run_cycle()
    assert rep.errors == 0
    assert env.hs_get(cid, "hubspot_owner_id")["hubspot_owner_id"] == integ
    assert env.hs_get(cid, "lastname")["lastname"] == "Alpha"  # the rest of the record still syncs


@pytest.mark.catalog("CON-7", "CON-11")
def test_later_syncs_follow_most_recently_updated_duplicate(env: Env) -> None:  # CON-7, CON-11
    eng = installed(env)
    cid = env.hs_create(email="twin@example.com", lastname="Twin")
    eng.run_cycle()
    (first,) = env.sf_query("SELECT Id FROM Lead WHERE Email = 'twin@example.com'")
    env.advance(60)
    second = env.sf_create("Lead", Email="twin@example.com", LastName="Newer", Company="C")
    eng.run_cycle()
    assert eng.why(cid)["link"]["salesforce_id"] == second
    assert env.hs_get(cid, "lastname")["lastname"] == "Newer"
    assert env.hs_count() == 1  # CON-11: one HubSpot contact for both
    assert first["Id"] != second


@pytest.mark.catalog("DEL-3")
def test_merge_in_salesforce_deletes_loser_contact_when_set(env: Env) -> None:  # DEL-3
    eng = installed(env, deletion="delete", hubspot_creates="contact")
    keep = env.hs_create(email="keep@example.com", lastname="Keep")
    lose = env.hs_create(email="lose@example.com", lastname="Lose")
    eng.run_cycle()
    (master,) = env.sf_query("SELECT Id FROM Contact WHERE Email = 'keep@example.com'")
    (loser,) = env.sf_query("SELECT Id FROM Contact WHERE Email = 'lose@example.com'")
    env.advance(60)
    env.control(
        "POST",
        "/_hubforce/salesforce/merge",
        {"object": "Contact", "masterId": master["Id"], "duplicateIds": [loser["Id"]]},
    )
    rep = eng.run_cycle()
    assert rep.deleted_in_hubspot == 1
    assert env.hs_find("lose@example.com") is None and env.hs_find("keep@example.com") is not None
    assert "DEL-3" in str(eng.why(lose)["decisions"])
    assert keep
