"""The pure company rules: CMP-4 (may a company create an account), CMP-6 (first-time matching by
associated contacts), CMP-7 (bulk resync limit), CMP-8 (lifecycle roll-up, forward only)."""

from __future__ import annotations

import pytest

from sync.objects.companies import ContactFacts, account_allowed, best_match, moved_associations
from sync.objects.company_lifecycle import rolled_up_stage
from sync.pipeline.bulk import BULK_RESYNC_MESSAGE, bulk_resync_refusal

PRIVATE = ContactFacts(sobject="Contact", has_account=False, in_list=False)
WITH_ACCOUNT = ContactFacts(sobject="Contact", has_account=True, in_list=False)
LEAD = ContactFacts(sobject="Lead", has_account=False, in_list=False)
UNSYNCED = ContactFacts(sobject=None, has_account=False, in_list=False)


@pytest.mark.catalog("CMP-4")
@pytest.mark.parametrize(
    ("contacts", "auto", "creates_contacts", "list_set", "allowed", "why"),
    [
        ([], True, True, False, False, "no associated contacts"),
        ([LEAD, LEAD], False, False, False, False, "sync to Salesforce leads"),
        ([PRIVATE], False, False, False, True, "(b)"),
        ([WITH_ACCOUNT], False, False, False, False, "no associated contact"),
        ([UNSYNCED], True, True, False, True, "(a)"),
        ([UNSYNCED], True, False, False, False, "no associated contact"),
        ([ContactFacts("Contact", True, True)], False, False, True, True, "(c)"),
        ([PRIVATE], False, False, True, False, "inclusion list"),
    ],
)
def test_account_allowed(
    contacts: list[ContactFacts], auto: bool, creates_contacts: bool, list_set: bool, allowed: bool, why: str
) -> None:
    ok, reason = account_allowed(contacts, auto, creates_contacts, list_set)
    assert ok is allowed and why in reason


@pytest.mark.catalog("CMP-6")
def test_best_match_majority_then_oldest_skipping_taken() -> None:
    assert best_match(["9", "12", "12"], set()) == "12"
    assert best_match(["9", "12"], set()) == "9"  # tie: the oldest (smallest id)
    assert best_match(["100", "99"], set()) == "99"  # numeric, not text order
    assert best_match(["12", "12", "9"], {"12"}) == "9"
    assert best_match([], set()) is None


@pytest.mark.catalog("CMP-7")
def test_bulk_resync_limit() -> None:
    assert bulk_resync_refusal(200_000, "company") is None
    refusal = bulk_resync_refusal(200_001, "company")
    assert refusal is not None and BULK_RESYNC_MESSAGE in refusal and "200,001" in refusal


@pytest.mark.catalog("CMP-8")
def test_lifecycle_rolls_forward_only() -> None:
    assert rolled_up_stage("lead", ["salesqualifiedlead", "subscriber"]) == "salesqualifiedlead"
    assert rolled_up_stage(None, ["lead"]) == "lead"
    assert rolled_up_stage("customer", ["lead"]) is None  # never backwards
    assert rolled_up_stage("lead", ["other", ""]) is None
    assert rolled_up_stage("other", ["customer"]) is None  # a custom company stage is left alone


@pytest.mark.catalog("CMP-2")
def test_moved_contact_loses_only_the_old_synced_company() -> None:
    # bob moved to company 20's account; 10 syncs with his old account, 30 with no account
    add, stale = moved_associations([("bob", "20")], {"bob": ["10", "30"]}, synced={"10", "20"})
    assert add == [("bob", "20")]
    assert stale == [("bob", "10")]


@pytest.mark.catalog("CMP-2")
def test_contact_already_on_its_company_changes_nothing() -> None:
    add, stale = moved_associations([("ada", "20")], {"ada": ["20", "30"]}, synced={"20"})
    assert (add, stale) == ([], [])
