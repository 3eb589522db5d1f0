"""The list builder's form checks (hubforce.web.criteria): errors keyed by their field, the
filterBranch the HubSpot fake accepts for each operator (checked against the fake itself)."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from hubforce.web.criteria import ListForm
from simulator import Sandbox
from simulator.core.inprocess import InProcessTransport

PROPS: dict[str, dict[str, Any]] = {
    "lifecyclestage": {"name": "lifecyclestage", "label": "Lifecycle Stage", "type": "enumeration",
                       "options": [{"value": "lead"}, {"value": "marketingqualifiedlead"}]},
    "jobtitle": {"name": "jobtitle", "label": "Job Title", "type": "string"},
    "numemployees": {"name": "numemployees", "label": "Employees", "type": "number"},
}


def form(**fields: str) -> ListForm:
    return ListForm.from_form(MultiDict(fields))


def test_errors_name_their_field() -> None:
    f = form(name="", kind="active", prop1="lifecyclestage", op1="eq", value1="nope", prop2="jobtitle", op2="eq",
             prop3="numemployees", op3="eq", value3="many")
    assert not f.validate(PROPS)
    assert set(f.errors) == {"name", "value1", "value2", "value3"}
    assert "is not an option of Lifecycle Stage" in f.errors["value1"]
    assert f.errors["value3"] == "Employees is a number; 'many' is not."


def test_active_list_needs_a_criterion_static_does_not() -> None:
    assert not form(name="A", kind="active").validate(PROPS)
    static = form(name="S", kind="static")
    assert static.validate(PROPS) and static.filter_branch(PROPS) is None
    assert form(name="X", kind="weird").validate(PROPS) is False


def test_unknown_property_is_refused() -> None:
    f = form(name="A", kind="active", prop1="favourite_colour", op1="eq", value1="red")
    assert not f.validate(PROPS) and "favourite_colour" in f.errors["prop1"]


@pytest.mark.parametrize(
    ("op", "value", "members"),
    [
        ("eq", "CTO", {"cto@x.io"}),
        ("neq", "CTO", {"ceo@x.io"}),  # no value set is not "not equal" (HubSpot's includeObjectsWithNoValueSet)
        ("contains", "T", {"cto@x.io"}),
        ("known", "", {"cto@x.io", "ceo@x.io"}),
        ("unknown", "", {"none@x.io"}),
    ],
)
def test_each_operator_is_a_filter_the_fake_accepts_and_evaluates(op: str, value: str, members: set[str]) -> None:
    f = form(name=f"by {op}", kind="active", prop1="jobtitle", op1=op, value1=value)
    assert f.validate(PROPS), f.errors
    sandbox = Sandbox(seed=1)
    auth = {"Authorization": "Bearer pat-local-sandbox"}
    with InProcessTransport(sandbox) as t:
        import requests

        for email, title in (("cto@x.io", "CTO"), ("ceo@x.io", "CEO"), ("none@x.io", None)):
            props = {"email": email, **({"jobtitle": title} if title else {})}
            requests.post(f"{t.hubspot_url}/crm/v3/objects/contacts", headers=auth,
                          json={"properties": props}).raise_for_status()
        made = requests.post(f"{t.hubspot_url}/crm/v3/lists/", headers=auth, json={
            "name": f.name, "objectTypeId": "0-1", "processingType": "DYNAMIC", "filterBranch": f.filter_branch(PROPS)})
        assert made.status_code == 200, made.text
        list_id = made.json()["list"]["listId"]
        joined = requests.get(f"{t.hubspot_url}/crm/v3/lists/{list_id}/memberships", headers=auth).json()["results"]
        emails = {requests.get(f"{t.hubspot_url}/crm/v3/objects/contacts/{m['recordId']}", headers=auth).json()["properties"]["email"]
                  for m in joined}
    assert emails == members
