"""The pipeline store as plain Python: snapshots, ticket pipelines, the record rules and the derived
deal properties."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import Sandbox
from simulator.hubspot.errors import HubSpotError


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seed=7)


def two_stage(label: str) -> dict[str, Any]:
    return {
        "label": label,
        "displayOrder": 2,
        "stages": [
            {"label": "Open", "displayOrder": 0, "metadata": {"probability": 0.4}},
            {"label": "Lost", "displayOrder": 1, "metadata": {"probability": 0, "isClosed": "true"}},
        ],
    }


def test_snapshot_restores_pipelines_options_and_deals(sandbox: Sandbox) -> None:
    backend = sandbox.backend("hubspot")
    made = backend.pipelines.create("deals", two_stage("Salesforce - Renewals"))
    open_stage = made.live_stages()[0].id
    deal = backend.records.create("deals", {"dealname": "D", "pipeline": made.id, "dealstage": open_stage})
    snapshot = sandbox.snapshot()
    sandbox.reset(7)
    assert [p.id for p in sandbox.backend("hubspot").pipelines.live("deals")] == ["default"]
    sandbox.restore(snapshot)
    restored = sandbox.backend("hubspot")
    assert [p.id for p in restored.pipelines.live("deals")] == ["default", made.id]
    assert open_stage in restored.properties.definition("deals", "dealstage").option_values
    assert restored.records.get("deals", deal.id).properties["hs_deal_stage_probability"] == "0.4"
    again = restored.pipelines.create("deals", two_stage("Another"))
    issued = {made.id, *made.stages}
    assert again.id not in issued and not issued & set(again.stages)  # ids are never handed out twice


def test_ticket_stage_rules(sandbox: Sandbox) -> None:
    records = sandbox.backend("hubspot").records
    ticket = records.create("tickets", {"subject": "Help", "hs_pipeline_stage": "4"})
    assert ticket.properties["hs_pipeline"] == "0"
    with pytest.raises(HubSpotError) as exc:
        records.update(ticket, {"hs_pipeline_stage": "appointmentscheduled"})
    assert exc.value.status == 400 and exc.value.body["errors"][0]["context"] == {"propertyName": ["hs_pipeline_stage"]}


def test_updates_that_do_not_touch_the_stage_are_not_checked(sandbox: Sandbox) -> None:
    backend = sandbox.backend("hubspot")
    made = backend.pipelines.create("deals", two_stage("Old"))
    stage = made.live_stages()[0].id
    deal = backend.records.create("deals", {"dealname": "D", "pipeline": made.id, "dealstage": stage})
    backend.pipelines.archive("deals", made.id, check_usage=False)
    # The deal keeps its (now archived) pipeline and stage; an unrelated change still goes through.
    backend.records.update(deal, {"dealname": "Renamed"})
    assert deal.properties["dealname"] == "Renamed" and deal.properties["dealstage"] == stage
    with pytest.raises(HubSpotError):
        backend.records.update(deal, {"dealstage": stage})


def test_metadata_validation(sandbox: Sandbox) -> None:
    store = sandbox.backend("hubspot").pipelines
    bad = two_stage("Bad")
    bad["stages"][0]["metadata"] = {"probability": "high"}
    with pytest.raises(HubSpotError) as exc:
        store.create("deals", bad)
    assert "must be a number" in exc.value.message
    bad["stages"][0]["metadata"] = {"ticketState": "SHUT"}
    with pytest.raises(HubSpotError) as exc:
        store.create("tickets", bad)
    assert "OPEN or CLOSED" in exc.value.message
    assert [p.label for p in store.live("deals")] == ["Sales Pipeline"]


def test_the_pipeline_cannot_be_cleared(sandbox: Sandbox) -> None:
    records = sandbox.backend("hubspot").records
    deal = records.create("deals", {"dealname": "D"})
    assert deal.properties["pipeline"] == "default" and "dealstage" not in deal.properties
    with pytest.raises(HubSpotError) as exc:
        records.update(deal, {"pipeline": ""})
    assert exc.value.body["errors"][0]["context"] == {"propertyName": ["pipeline"]}
    assert deal.properties["pipeline"] == "default"
