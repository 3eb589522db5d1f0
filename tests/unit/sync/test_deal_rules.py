"""Deal <-> opportunity rules as pure functions (sync.deal_rules) and the deal settings keys."""

from __future__ import annotations

import pytest

from sync.deal_rules import (
    DEFAULT_PIPELINE_LABEL,
    DeletionAction,
    StageFacts,
    contact_role_diff,
    deal_company,
    hs_probability,
    hs_stage_id,
    lifecycle_target,
    lifecycle_transition,
    lifecycle_updates,
    on_deal_deleted,
    on_opportunity_deleted,
    opportunity_account,
    pipeline_label,
    record_type_of_pipeline,
    sf_stage_name,
    stage_spec,
)
from sync.deal_settings import DealSettings, parse_deal_settings, resolve_pipelines
from sync.settings import Deletion, SettingsError

RT1, RT2 = "012000000000001AAA", "012000000000002AAA"


@pytest.mark.catalog("DEAL-4")
def test_one_pipeline_per_record_type() -> None:
    assert pipeline_label(RT1, [RT1, RT2]) == f"Salesforce - {RT1}"
    assert pipeline_label(RT2, [RT1, RT2]) == f"Salesforce - {RT2}"
    assert record_type_of_pipeline(f"Salesforce - {RT2}", [RT1, RT2]) == RT2
    assert record_type_of_pipeline("Sales Pipeline", [RT1, RT2]) is None


@pytest.mark.catalog("DEAL-4")
def test_single_or_no_record_type_is_the_default_pipeline() -> None:
    assert pipeline_label(RT1, [RT1]) == DEFAULT_PIPELINE_LABEL == "Salesforce - Default pipeline"
    assert pipeline_label(None, []) == DEFAULT_PIPELINE_LABEL
    assert record_type_of_pipeline(DEFAULT_PIPELINE_LABEL, [RT1]) is None


def test_stage_probability_rounds_to_tenths_and_keeps_closed() -> None:
    assert hs_probability(75) == "0.8"
    assert hs_probability(10) == "0.1"
    assert hs_probability(None) == "0.0"
    won = stage_spec(StageFacts("Closed Won", 100, True, True), 9)
    assert won == {"label": "Closed Won", "displayOrder": 9, "metadata": {"probability": "1.0", "isClosed": "true"}}
    open_ = stage_spec(StageFacts("Prospecting", 10, False, False), 0)
    assert open_["metadata"] == {"probability": "0.1", "isClosed": "false"}


def test_stage_names_and_ids_both_ways() -> None:
    stages = {"Prospecting": "101", "Closed Won": "102"}
    assert hs_stage_id("Closed Won", stages) == "102"
    assert hs_stage_id("Nope", stages) is None
    assert sf_stage_name("101", stages) == "Prospecting"
    assert sf_stage_name("appointmentscheduled", stages) is None


@pytest.mark.catalog("DEAL-6")
def test_contact_roles_new_pair_takes_the_union() -> None:
    d = contact_role_diff({"a"}, {"b"}, None)
    assert d.add_to_hubspot == {"a"} and d.add_to_salesforce == {"b"}
    assert not d.remove_from_hubspot and not d.remove_from_salesforce


@pytest.mark.catalog("DEAL-6")
def test_contact_roles_additions_and_removals_flow_both_ways() -> None:
    # Salesforce added c and removed a; HubSpot added d; b is unchanged on both.
    d = contact_role_diff(sf_roles={"b", "c"}, hs_contacts={"a", "b", "d"}, last_synced={"a", "b"})
    assert d.result == {"b", "c", "d"}
    assert d.add_to_hubspot == {"c"} and d.remove_from_hubspot == {"a"}
    assert d.add_to_salesforce == {"d"} and not d.remove_from_salesforce


@pytest.mark.catalog("DEAL-6")
def test_contact_roles_in_step_write_nothing() -> None:
    assert contact_role_diff({"a", "b"}, {"a", "b"}, {"a"}).empty
    removed_in_hubspot = contact_role_diff({"a", "b"}, {"a"}, {"a", "b"})
    assert removed_in_hubspot.remove_from_salesforce == {"b"} and not removed_in_hubspot.add_to_hubspot


@pytest.mark.catalog("ALC-1")
def test_open_opportunity_makes_opportunity_closed_won_makes_customer() -> None:
    assert lifecycle_target(is_closed=False, is_won=False) == "opportunity"
    assert lifecycle_target(is_closed=True, is_won=True) == "customer"
    assert lifecycle_target(is_closed=True, is_won=False) is None
    assert lifecycle_transition("lead", "opportunity") == "opportunity"
    assert lifecycle_transition(None, "customer") == "customer"


@pytest.mark.catalog("ALC-2")
def test_lifecycle_never_moves_backwards() -> None:
    assert lifecycle_transition("customer", "opportunity") is None
    assert lifecycle_transition("opportunity", "opportunity") is None
    assert lifecycle_transition("evangelist", "customer") is None
    assert lifecycle_transition("opportunity", "customer") == "customer"
    assert lifecycle_transition("a_custom_stage", "customer") is None


@pytest.mark.catalog("ALC-3")
def test_transition_spreads_to_the_company_contacts_only_when_a_role_moves() -> None:
    roles = {"c1": "lead"}
    company = {"c1": "lead", "c2": "subscriber", "c3": "customer"}
    assert lifecycle_updates(roles, "opportunity", company) == {"c1": "opportunity", "c2": "opportunity"}
    assert lifecycle_updates(roles, "opportunity") == {"c1": "opportunity"}
    # The role contact is already a customer: nothing changes, so nothing spreads.
    assert lifecycle_updates({"c1": "customer"}, "opportunity", company) == {}


@pytest.mark.catalog("DEAL-7")
def test_opportunity_deletion_deletes_the_deal_by_default() -> None:
    assert on_opportunity_deleted(DealSettings().deletion) == DeletionAction.DELETE_DEAL
    assert on_opportunity_deleted(Deletion.DO_NOTHING) == DeletionAction.UNLINK


@pytest.mark.catalog("DEAL-8")
def test_deal_deletion_never_deletes_the_opportunity() -> None:
    assert on_deal_deleted() == DeletionAction.UNLINK


@pytest.mark.catalog("DEAL-2")
def test_company_association_needs_company_sync() -> None:
    assert deal_company(False, "company-1") is None
    assert deal_company(True, "company-1") == "company-1"
    assert opportunity_account(False, "001A", False) == (False, None)
    assert opportunity_account(True, "001A", False) == (True, "001A")
    # Synced while company sync was off, company sync turned on later: the account is removed.
    assert opportunity_account(True, None, True) == (True, None)
    assert opportunity_account(True, None, False) == (False, None)


def test_deal_settings_defaults() -> None:
    s = parse_deal_settings(None)
    assert s == DealSettings(pipelines=None, deletion=Deletion.DELETE, lifecycle_transitions=False)


@pytest.mark.catalog("TRG-13")
def test_lifecycle_switch_top_level_or_in_deals() -> None:
    assert parse_deal_settings({"lifecycle_transitions": True}).lifecycle_transitions
    assert parse_deal_settings({}, top_level_lifecycle=True).lifecycle_transitions
    with pytest.raises(SettingsError, match=r"^deals\.lifecycle_transitions: True disagrees"):
        parse_deal_settings({"lifecycle_transitions": True}, top_level_lifecycle=False)
    with pytest.raises(SettingsError, match=r"^deals\.lifecycle_transitions: expected true or false"):
        parse_deal_settings({"lifecycle_transitions": "yes"})


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"pipelines": "all"}, r"^deals\.pipelines: expected a non-empty list"),
        ({"pipelines": []}, r"^deals\.pipelines: expected a non-empty list"),
        ({"pipelines": ["a", ""]}, r"^deals\.pipelines\[1\]: expected a record type or pipeline name"),
        ({"pipelines": ["a", "a"]}, r"^deals\.pipelines\[1\]: 'a' is listed twice"),
        ({"deletion": "archive"}, r"^deals\.deletion: 'archive' is not one of: delete, do_nothing"),
    ],
)
def test_bad_deal_settings_name_the_key(section: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_deal_settings(section)


def test_pipelines_resolve_by_record_type_or_pipeline_and_unknown_is_named() -> None:
    rts = {RT1: f"Salesforce - {RT1}", "Enterprise": f"Salesforce - {RT1}", RT2: f"Salesforce - {RT2}"}
    pls = {"77": f"Salesforce - {RT2}", f"Salesforce - {RT2}": f"Salesforce - {RT2}"}
    s = parse_deal_settings({"pipelines": ["Enterprise", "77"]})
    assert resolve_pipelines(s, rts, pls) == {f"Salesforce - {RT1}", f"Salesforce - {RT2}"}
    assert resolve_pipelines(parse_deal_settings({}), rts, pls) is None
    with pytest.raises(SettingsError, match=r"^deals\.pipelines\[1\]: no Opportunity record type or Salesforce pipeline named 'Retail'"):
        resolve_pipelines(parse_deal_settings({"pipelines": [RT1, "Retail"]}), rts, pls)


# --- DEAL-1: prerequisites --------------------------------------------------------------------------


@pytest.mark.catalog("DEAL-1")
def test_deal_prerequisites() -> None:
    from sync.deal_rules import deal_prerequisites

    both = {"PermissionsModifyAllData": True, "PermissionsModifyMetadata": True}
    assert deal_prerequisites(both, True, True) == (None, [])
    assert deal_prerequisites({"PermissionsModifyMetadata": True}, True, True) == (None, [])
    refusal, warnings = deal_prerequisites({"PermissionsModifyAllData": False}, True, True)
    assert refusal is not None and "Modify All Data" in refusal and "PermissionsModifyMetadata" in refusal and "DEAL-1" in refusal
    assert warnings == []
    off = deal_prerequisites(both, False, True)
    assert off[0] is None and len(off[1]) == 1 and "DEAL-2" in off[1][0]
    no_import = deal_prerequisites(both, True, False)
    assert no_import[0] is None and len(no_import[1]) == 1 and "account import" in no_import[1][0]
