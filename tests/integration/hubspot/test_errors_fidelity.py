"""HubSpot error bodies as real traffic shows them (issue 13)."""

from __future__ import annotations

import json
from typing import Any

import requests

from simulator import Sandbox

AUTH = {"Authorization": "Bearer pat-local-sandbox"}


def _bad_create(api: Any) -> dict[str, Any]:
    r = requests.post(f"{api.hubspot_url}/crm/v3/objects/contacts", json={"properties": {"nope_prop": "x"}}, headers=AUTH)
    assert r.status_code == 400
    return dict(r.json())


def test_correlation_ids_are_unique_per_response_across_resets(api: Any, sandbox: Sandbox) -> None:
    # A correlation id names one request for HubSpot support (api-error-responses docs); the fake's
    # came from the seeded generator, so after a reset the same ids came back.
    first, second = _bad_create(api)["correlationId"], _bad_create(api)["correlationId"]
    sandbox.reset(sandbox.seed)
    third = _bad_create(api)["correlationId"]
    assert len({first, second, third}) == 3


def test_error_ids_do_not_shift_record_ids(api: Any, sandbox: Sandbox) -> None:
    """Answering an error must not consume the seeded source: same seed, same record ids."""
    ok = requests.post(f"{api.hubspot_url}/crm/v3/objects/contacts", json={"properties": {}}, headers=AUTH).json()["id"]
    sandbox.reset(sandbox.seed)
    _bad_create(api)
    again = requests.post(f"{api.hubspot_url}/crm/v3/objects/contacts", json={"properties": {}}, headers=AUTH).json()["id"]
    assert ok == again


def test_invalid_property_items_carry_localized_message_and_portal(api: Any) -> None:
    # Real 400 body (HubSpot's companies guide sample; users quote the same shape):
    # "Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\"testproperty\\\"
    #  does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"testproperty\",
    #  \"localizedErrorMessage\":\"Property \\\"testproperty\\\" does not exist\",\"portalId\":...}]"
    body = _bad_create(api)
    listed = json.loads(body["message"].split("Property values were not valid: ", 1)[1])
    assert listed == [{
        "isValid": False, "message": 'Property "nope_prop" does not exist', "error": "PROPERTY_DOESNT_EXIST",
        "name": "nope_prop", "localizedErrorMessage": 'Property "nope_prop" does not exist', "portalId": 2_400_001,
    }]
    assert body["errors"] == [{"message": 'Property "nope_prop" does not exist', "code": "PROPERTY_DOESNT_EXIST",
                               "context": {"propertyName": ["nope_prop"]}}]
    assert body["category"] == "VALIDATION_ERROR" and body["status"] == "error"


def test_batch_partial_207_versus_whole_batch_failures(api: Any) -> None:
    # Whole-batch failures: a create batch with an existing email answers 409 CONFLICT "Contact
    # already exists. Existing ID: ..." for the batch (real traffic, HubSpot/hubspot-api-python#51),
    # an invalid property value 400 VALIDATION_ERROR; nothing of the batch is created. Partial: a
    # batch read/update with ids that do not exist answers 207 with the others done and errors[]
    # (category OBJECT_NOT_FOUND, context.ids) -- api-wire-spec 2.3, "207 when some ids are missing".
    url = f"{api.hubspot_url}/crm/v3/objects/contacts"
    existing = requests.post(url, json={"properties": {"email": "taken@ex.com"}}, headers=AUTH).json()["id"]
    conflict = requests.post(f"{url}/batch/create", headers=AUTH, json={"inputs": [
        {"properties": {"email": "new1@ex.com"}}, {"properties": {"email": "taken@ex.com"}}]})
    assert conflict.status_code == 409 and conflict.json()["message"] == f"Contact already exists. Existing ID: {existing}"
    invalid = requests.post(f"{url}/batch/create", headers=AUTH, json={"inputs": [
        {"properties": {"email": "new2@ex.com"}}, {"properties": {"email": "new3@ex.com", "nope_prop": "x"}}]})
    assert invalid.status_code == 400 and invalid.json()["category"] == "VALIDATION_ERROR"
    listed = requests.get(url, headers=AUTH, params={"limit": 100}).json()["results"]
    assert [r["id"] for r in listed] == [existing]  # neither batch created anything
    partial = requests.post(f"{url}/batch/update", headers=AUTH, json={"inputs": [
        {"id": existing, "properties": {"firstname": "Done"}}, {"id": "999999999", "properties": {"firstname": "X"}}]})
    assert partial.status_code == 207
    body = partial.json()
    assert [r["id"] for r in body["results"]] == [existing] and body["results"][0]["properties"]["firstname"] == "Done"
    [err] = body["errors"]
    assert err["category"] == "OBJECT_NOT_FOUND" and err["context"] == {"ids": ["999999999"]} and err["message"]
