"""The companies <-> accounts state machine in CI: no duplicate account per HubSpot company, no
duplicate company per account, links agree with the Salesforce Account ID property — under
crashes mid-write and restarts."""

from __future__ import annotations

import pytest

from hubforce.testing.company_machine import run_company_machine


@pytest.mark.catalog("CMP-6")
def test_company_machine_ci_profile() -> None:
    run_company_machine(profile="ci", max_examples=12)


def test_lost_account_create_without_recovery_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proof the machine can fail: without the recovery of an interrupted account create, a crash
    that takes the create's answer leads to a second account for the company."""
    import sync.objects.companies as companies

    monkeypatch.setattr(companies, "_recover_interrupted_creates", lambda *args: None)
    with pytest.raises(AssertionError) as failure:
        run_company_machine(profile="find", max_examples=40)
    assert "several accounts" in str(failure.value), failure.value


@pytest.mark.catalog("ERR-7")
def test_lost_answer_without_account_side_recovery_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proof the transport-failure rules can fail: when the account whose create answer was lost
    arrives from Salesforce before its company retries, and is not recognised by the company's
    leftover intent, it creates a second company (and the company a second account)."""
    import sync.objects.companies as companies

    monkeypatch.setattr(companies, "_accounts_of_interrupted_creates", lambda *args: {})
    with pytest.raises(AssertionError) as failure:
        run_company_machine(profile="find", max_examples=60)
    assert "several" in str(failure.value), failure.value
