"""Pipelines v3 (`/crm/v3/pipelines/{objectType}`) with the official client, on both transports: the
default Sales Pipeline, pipeline and stage CRUD, the errors, and what pipelines do to deals and to the
`pipeline` / `dealstage` property options."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from hubspot import Client
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate
from hubspot.crm.pipelines import (
    PipelineInput,
    PipelinePatchInput,
    PipelineStageInput,
    PipelineStagePatchInput,
)
from hubspot.crm.pipelines.exceptions import ApiException, NotFoundException

AUTH = {"Authorization": "Bearer pat-local-sandbox"}
DEFAULT_STAGES = [
    ("appointmentscheduled", "0.2", "false"),
    ("qualifiedtobuy", "0.4", "false"),
    ("presentationscheduled", "0.6", "false"),
    ("decisionmakerboughtin", "0.8", "false"),
    ("contractsent", "0.9", "false"),
    ("closedwon", "1.0", "true"),
    ("closedlost", "0.0", "true"),
]


def stage(label: str, order: int, probability: str | None = "0.5") -> PipelineStageInput:
    return PipelineStageInput(
        label=label, display_order=order, metadata={} if probability is None else {"probability": probability}
    )


def renewals(hs: Client, label: str = "Salesforce - Renewals") -> Any:
    return hs.crm.pipelines.pipelines_api.create(
        "deals",
        PipelineInput(label=label, display_order=1, stages=[stage("Open", 0, "0.3"), stage("Won", 1, "1.0")]),
    )


def error_of(exc: pytest.ExceptionInfo[Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.value.body)
    return body


def test_default_sales_pipeline(hs: Client) -> None:
    pipelines = hs.crm.pipelines.pipelines_api.get_all("deals").results
    assert [(p.id, p.label, p.display_order, p.archived) for p in pipelines] == [("default", "Sales Pipeline", 0, False)]
    stages = pipelines[0].stages
    assert [(s.id, s.metadata["probability"], s.metadata["isClosed"]) for s in stages] == DEFAULT_STAGES
    assert [s.display_order for s in stages] == list(range(7))
    assert stages[0].label == "Appointment Scheduled" and stages[0].write_permissions == "CRM_PERMISSIONS_ENFORCEMENT"
    # The same by id, by the type id 0-3, and the ticket pipeline next to it.
    assert hs.crm.pipelines.pipelines_api.get_by_id("0-3", "default").label == "Sales Pipeline"
    tickets = hs.crm.pipelines.pipelines_api.get_all("tickets").results
    assert [(p.id, [s.metadata["ticketState"] for s in p.stages]) for p in tickets] == [
        ("0", ["OPEN", "OPEN", "OPEN", "CLOSED"])
    ]


def test_create_read_update_replace_and_archive_a_pipeline(hs: Client) -> None:
    api = hs.crm.pipelines.pipelines_api
    made = renewals(hs)
    assert made.id.isdigit() and made.label == "Salesforce - Renewals" and made.archived is False
    assert [(s.label, s.metadata) for s in made.stages] == [
        ("Open", {"probability": "0.3", "isClosed": "false"}),
        ("Won", {"probability": "1.0", "isClosed": "true"}),
    ]
    assert all(s.id.isdigit() for s in made.stages) and made.stages[0].id != made.stages[1].id
    assert [p.id for p in api.get_all("deals").results] == ["default", made.id]  # by displayOrder

    patched = api.update("deals", made.id, PipelinePatchInput(label="Renewals", display_order=-1))
    assert (patched.label, patched.display_order) == ("Renewals", -1)
    assert [p.id for p in api.get_all("deals").results] == [made.id, "default"]

    replaced = api.replace("deals", made.id, PipelineInput(label="Renewals", display_order=3, stages=[stage("Only", 0)]))
    assert [s.label for s in replaced.stages] == ["Only"] and replaced.stages[0].id not in {s.id for s in made.stages}

    api.archive("deals", made.id)
    with pytest.raises(NotFoundException) as exc:
        api.get_by_id("deals", made.id)
    assert error_of(exc)["category"] == "OBJECT_NOT_FOUND"
    assert [p.id for p in api.get_all("deals").results] == ["default"]
    restored = api.update("deals", made.id, PipelinePatchInput(archived=False))
    assert restored.archived is False and [p.id for p in api.get_all("deals").results] == ["default", made.id]


def test_stage_crud(hs: Client) -> None:
    stages = hs.crm.pipelines.pipeline_stages_api
    made = renewals(hs)
    new = stages.create("deals", made.id, stage("Negotiation", 1, "0.7"))
    assert new.metadata == {"probability": "0.7", "isClosed": "false"}
    assert stages.get_by_id("deals", made.id, new.id).label == "Negotiation"
    # A new probability of 0.0 makes the stage a closed (lost) one.
    lost = stages.update("deals", made.id, new.id, PipelineStagePatchInput(metadata={"probability": "0.0"}))
    assert lost.metadata == {"probability": "0.0", "isClosed": "true"}
    assert [s.label for s in stages.get_all("deals", made.id).results] == ["Open", "Negotiation", "Won"]
    stages.archive("deals", made.id, new.id)
    with pytest.raises(NotFoundException):
        stages.get_by_id("deals", made.id, new.id)
    with pytest.raises(NotFoundException):
        stages.get_all("deals", "999")


@pytest.mark.parametrize(
    ("body", "status", "wanted"),
    [
        ({"label": "P", "displayOrder": 1, "stages": [{"label": "S", "displayOrder": 0}]}, 400, "probability is required"),
        ({"label": "P", "displayOrder": 1, "stages": [{"label": "S", "displayOrder": 0, "metadata": {"probability": 1.5}}]}, 400, "steps of 0.1"),
        ({"label": "P", "displayOrder": 1, "stages": [{"label": "S", "displayOrder": 0, "metadata": {"probability": "0.25"}}]}, 400, "steps of 0.1"),
        ({"label": "P", "displayOrder": 1, "stages": []}, 400, "at least one stage"),
        ({"label": "P", "stages": [{"label": "S", "displayOrder": 0, "metadata": {"probability": 0.1}}]}, 400, "displayOrder"),
        ({"label": "Sales Pipeline", "displayOrder": 1, "stages": [{"label": "S", "displayOrder": 0, "metadata": {"probability": 0.1}}]}, 409, "already exists"),
        ({"label": "P", "displayOrder": 1, "stages": [{"label": "S", "displayOrder": 0, "metadata": {"probability": 0.1}}, {"label": "s", "displayOrder": 1, "metadata": {"probability": 0.2}}]}, 400, "unique"),
        (["not", "an", "object"], 400, "expected an object"),
    ],
)
def test_bad_pipeline_input_is_a_hubspot_error(api: Any, body: Any, status: int, wanted: str) -> None:
    resp = requests.post(f"{api.hubspot_url}/crm/v3/pipelines/deals", json=body, headers=AUTH, timeout=10)
    assert resp.status_code == status, resp.text
    error = resp.json()
    assert error["status"] == "error" and error["correlationId"] and wanted in error["message"]
    assert error["category"] == ("CONFLICT" if status == 409 else "VALIDATION_ERROR")
    listed = requests.get(f"{api.hubspot_url}/crm/v3/pipelines/deals", headers=AUTH, timeout=10).json()
    assert [p["id"] for p in listed["results"]] == ["default"]  # nothing was written


def test_types_without_pipelines_and_the_last_pipeline(hs: Client) -> None:
    with pytest.raises(ApiException) as exc:
        hs.crm.pipelines.pipelines_api.get_all("contacts")
    assert exc.value.status == 400 and "does not support pipelines" in error_of(exc)["message"]
    with pytest.raises(ApiException) as exc:
        hs.crm.pipelines.pipelines_api.archive("deals", "default")
    assert exc.value.status == 400 and "only deals pipeline" in error_of(exc)["message"]
    with pytest.raises(ApiException) as exc:
        hs.crm.pipelines.pipelines_api.update("deals", "default", PipelinePatchInput(archived=True))
    assert exc.value.status == 400


def test_usage_check_before_delete(hs: Client, hs_url: str) -> None:
    made = renewals(hs)
    won = made.stages[1].id
    hs.crm.deals.basic_api.create(DealCreate(properties={"dealname": "D", "pipeline": made.id, "dealstage": won}))
    # The stage endpoint's query flag (the SDK's stage archive does not expose it).
    url = f"{hs_url}/crm/v3/pipelines/deals/{made.id}/stages/{won}?validateReferencesBeforeDelete=true"
    resp = requests.delete(url, headers=AUTH, timeout=10)
    assert resp.status_code == 400 and "in use by deals record" in resp.json()["message"]
    with pytest.raises(ApiException) as exc:
        hs.crm.pipelines.pipelines_api.archive("deals", made.id, validate_deal_stage_usages_before_delete=True)
    assert exc.value.status == 400 and "in use" in error_of(exc)["message"]
    assert hs.crm.pipelines.pipelines_api.get_by_id("deals", made.id).archived is False
    hs.crm.pipelines.pipelines_api.archive("deals", made.id)  # v3 does not check by default
    with pytest.raises(NotFoundException):
        hs.crm.pipelines.pipelines_api.get_by_id("deals", made.id)


def test_property_options_follow_the_pipelines(hs: Client) -> None:
    def options(name: str) -> list[str]:
        return [o.value for o in hs.crm.properties.core_api.get_by_name("deals", name).options]

    assert options("pipeline") == ["default"]
    assert options("dealstage") == [s for s, _, _ in DEFAULT_STAGES]
    made = renewals(hs)
    assert options("pipeline") == ["default", made.id]
    assert options("dealstage")[-2:] == [s.id for s in made.stages]
    hs.crm.pipelines.pipelines_api.archive("deals", made.id)
    assert options("pipeline") == ["default"] and made.stages[0].id not in options("dealstage")


def test_the_tier_limits_the_number_of_pipelines(hs: Client, sandbox: Any) -> None:
    sandbox.update_settings("hubspot", {"tier": "starter"})
    renewals(hs)  # the default pipeline and this one: Starter's two
    with pytest.raises(ApiException) as exc:
        renewals(hs, "Salesforce - Third")
    assert exc.value.status == 400 and "limit of 2 deals pipelines" in error_of(exc)["message"]
    sandbox.update_settings("hubspot", {"tier": "professional"})
    assert renewals(hs, "Salesforce - Third").label == "Salesforce - Third"
