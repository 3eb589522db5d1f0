"""Owners (`/crm/v3/owners`) with the official client, plus the admin route that adds owners."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from flask import Flask
from hubspot.crm.owners.exceptions import ApiException, NotFoundException

from simulator import Sandbox
from simulator.core.errors import ApiError
from simulator.core.service import error_response
from simulator.hubspot.api.owners import admin_add_owner
from simulator.hubspot.owners import INTEGRATION_EMAIL, SALESFORCE_USERS
from simulator.salesforce.models import SEED_USERS as SF_SEED_USERS

AUTH = {"Authorization": "Bearer pat-local-sandbox"}


def add_owner(sandbox: Any, body: Any) -> tuple[int, Any]:
    with Flask(__name__).test_request_context(method="POST", json=body), sandbox.lock:
        try:
            resp = admin_add_owner(sandbox)
        except ApiError as err:  # what the control-API view does
            resp = error_response(err)
    return resp.status_code, resp.get_json()


def test_seeded_owners_include_the_integration_user_and_are_deterministic(hs: Any) -> None:
    page = hs.crm.owners.owners_api.get_page()
    emails = [o.email for o in page.results]
    assert emails[0] == "integration@example.com" and len(emails) == 6
    # the Salesforce fake's other users come last, same email and name (owner mapping needs both)
    assert [(o.email, o.first_name, o.last_name) for o in page.results[4:]] == [
        ("alice.admin@example.com", "Alice", "Admin"),
        ("bob.sales@example.com", "Bob", "Sales"),
    ]
    # owners 2-4 are HubSpot-only (scenarios use `$hubspot_owner:#2` as "no Salesforce user")
    assert not {e for e in emails[1:4]} & {u[0] for u in SF_SEED_USERS}
    again = Sandbox(seed=1234).backend("hubspot").owners.owners
    assert [o["id"] for o in again] == [o.id for o in page.results]
    other = Sandbox(seed=99).backend("hubspot").owners.owners
    assert [o["id"] for o in other] != [o.id for o in page.results]


def test_filter_by_email_get_by_id_and_user_id(hs: Any) -> None:
    page = hs.crm.owners.owners_api.get_page(email="integration@example.com")
    assert len(page.results) == 1
    owner = page.results[0]
    assert owner.first_name == "Integration" and owner.archived is False and owner.type == "PERSON"
    assert hs.crm.owners.owners_api.get_by_id(int(owner.id)).email == owner.email
    assert hs.crm.owners.owners_api.get_by_id(owner.user_id, id_property="userId").id == owner.id
    with pytest.raises(NotFoundException):
        hs.crm.owners.owners_api.get_by_id(1)
    with pytest.raises(ApiException) as exc:
        hs.crm.owners.owners_api.get_by_id(int(owner.id), id_property="email")
    assert exc.value.status == 400


def test_paging_with_limit_and_after(hs: Any) -> None:
    first = hs.crm.owners.owners_api.get_page(limit=3)
    assert len(first.results) == 3 and first.paging.next.after == "3"
    second = hs.crm.owners.owners_api.get_page(limit=3, after=first.paging.next.after)
    assert len(second.results) == 3 and second.paging is None


def test_admin_adds_owners_including_archived_ones(hs: Any, sandbox: Any) -> None:
    status, owner = add_owner(
        sandbox, {"email": "sales.rep@example.com", "firstName": "Sal", "lastName": "Rep"}
    )
    assert status == 201
    assert hs.crm.owners.owners_api.get_page(email="sales.rep@example.com").results[0].id == owner["id"]
    status, gone = add_owner(sandbox, {"email": "former@example.com", "archived": True})
    assert status == 201
    assert [o.id for o in hs.crm.owners.owners_api.get_page(archived=True).results] == [gone["id"]]
    assert gone["id"] not in [o.id for o in hs.crm.owners.owners_api.get_page(limit=100).results]
    assert add_owner(sandbox, {"email": "not-an-email"})[0] == 400
    assert add_owner(sandbox, {"firstName": "x"})[0] == 400
    assert add_owner(sandbox, {"email": "sales.rep@example.com"})[0] == 400  # duplicate active owner


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=501", "after=-1", "after=x"])
def test_bad_paging_params_are_400(api: Any, query: str) -> None:
    resp = requests.get(f"{api.hubspot_url}/crm/v3/owners/?{query}", headers=AUTH)
    assert resp.status_code == 400 and resp.json()["category"] == "VALIDATION_ERROR"


def test_owner_store_snapshot_round_trip(sandbox: Any) -> None:
    store = sandbox.backend("hubspot").owners
    add_owner(sandbox, {"email": "snap@example.com"})
    data = store.dump()
    store.owners = []
    store.load(data)
    assert any(o["email"] == "snap@example.com" for o in store.owners)


def test_owners_mirror_the_salesforce_fakes_seeded_users() -> None:
    # The two fakes seed independently; this pins that they agree on email and name.
    mirrored = {(INTEGRATION_EMAIL, "Integration", "User"), *SALESFORCE_USERS}
    assert mirrored == {(email, first, last) for email, first, last, *_ in SF_SEED_USERS}
