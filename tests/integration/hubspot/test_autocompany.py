"""The portal setting "Automatically create and associate companies with contacts" (CON-3, CMP-4 (a)),
driven through the official client on both transports."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot import Client
from hubspot.crm.contacts import SimplePublicObjectInput, SimplePublicObjectInputForCreate

from simulator import Sandbox


def contact(hs: Client, **props: str) -> str:
    return str(hs.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties=props)).id)


def companies_of(hs: Client, contact_id: str) -> list[tuple[str, list[int]]]:
    page = hs.crm.associations.v4.basic_api.get_page("contacts", contact_id, "companies").results
    return [(r.to_object_id, sorted(t.type_id for t in r.association_types)) for r in page]


def all_companies(hs: Client) -> list[dict[str, Any]]:
    page = hs.crm.companies.basic_api.get_page(properties=["domain", "name", "hs_object_source"]).results
    return [r.properties for r in page]


@pytest.fixture
def auto(sandbox: Sandbox) -> Sandbox:
    sandbox.update_settings("hubspot", {"auto_create_companies": True})
    return sandbox


def test_off_by_default(hs: Client) -> None:
    c = contact(hs, email="ann@acme.com")
    assert companies_of(hs, c) == [] and all_companies(hs) == []


def test_creates_once_per_domain_and_associates_as_primary(hs: Client, auto: Sandbox) -> None:
    a = contact(hs, email="ann@Acme.com")
    made = all_companies(hs)
    assert [(p["domain"], p["name"], p["hs_object_source"]) for p in made] == [("acme.com", "acme.com", "COMPANY_INSIGHTS")]
    company_id = made[0]["hs_object_id"]
    assert companies_of(hs, a) == [(company_id, [1, 279])]
    b = contact(hs, email="bob@acme.com")
    assert companies_of(hs, b) == [(company_id, [1, 279])] and len(all_companies(hs)) == 1


def test_existing_company_by_domain_and_existing_associations_win(hs: Client, auto: Sandbox) -> None:
    own = hs.crm.companies.basic_api.create(SimplePublicObjectInputForCreate(properties={"name": "Beta", "domain": "beta.io"})).id
    c = contact(hs, email="c@beta.io")
    assert companies_of(hs, c) == [(own, [1, 279])]
    # An email change does not move a contact that already has a company.
    hs.crm.contacts.basic_api.update(c, SimplePublicObjectInput(properties={"email": "c@gamma.io"}))
    assert companies_of(hs, c) == [(own, [1, 279])] and len(all_companies(hs)) == 1


def test_freemail_matches_the_website_and_creates_nothing(hs: Client, auto: Sandbox) -> None:
    own = hs.crm.companies.basic_api.create(SimplePublicObjectInputForCreate(properties={"name": "Delta", "domain": "delta.dev"})).id
    lone = contact(hs, email="someone@gmail.com")
    assert companies_of(hs, lone) == [] and len(all_companies(hs)) == 1
    site = contact(hs, email="dev@gmail.com", website="https://www.delta.dev/about")
    assert companies_of(hs, site) == [(own, [1, 279])]


def test_opted_out_domains_are_left_alone(hs: Client, auto: Sandbox) -> None:
    auto.update_settings("hubspot", {"auto_association_opt_out_domains": ["example.org"]})
    c = contact(hs, email="x@example.org")
    assert companies_of(hs, c) == [] and all_companies(hs) == []


def test_bad_settings_are_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="auto_create_companies"):
        sandbox.update_settings("hubspot", {"auto_create_companies": "yes"})
    with pytest.raises(ValueError, match="opt_out_domains"):
        sandbox.update_settings("hubspot", {"auto_association_opt_out_domains": "example.org"})
