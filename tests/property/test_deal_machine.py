"""The deal state machine (hubforce.testing.deal_machine): the engine's deal sync keeps its
invariants, and a deliberately broken contact-role merge is caught."""

from __future__ import annotations

import pytest

from hubforce.testing.deal_machine import run_deal_machine
from sync.deal_rules import RoleDiff, contact_role_diff


@pytest.mark.catalog("DEAL-6")
def test_deal_machine_keeps_its_invariants() -> None:
    run_deal_machine(max_examples=4)


def salesforce_to_hubspot_only(sf_roles: object, hs_contacts: object, last: object) -> RoleDiff:
    """A broken DEAL-6: contact roles reach HubSpot, deal contacts never reach Salesforce."""
    d = contact_role_diff(sf_roles, hs_contacts, last)  # type: ignore[arg-type]
    return RoleDiff(d.add_to_hubspot, d.remove_from_hubspot, frozenset(), frozenset(), d.result)


def test_broken_contact_role_merge_is_caught() -> None:
    with pytest.raises(AssertionError) as failure:
        run_deal_machine(max_examples=10, role_diff=salesforce_to_hubspot_only, shrink=False)
    assert "DEAL-6" in str(failure.value), failure.value
