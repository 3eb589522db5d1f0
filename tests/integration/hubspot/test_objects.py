"""CRM objects v3 with the official hubspot-api-client: CRUD, paging, batch, merge, GDPR delete, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot import Client
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyCreate
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
    PublicGdprDeleteInput,
    PublicMergeInput,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts.exceptions import ApiException, NotFoundException, UnauthorizedException
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate

from simulator.clients import hubspot_client


def new_contact(hs: Client, email: str, **props: str) -> Any:
    return hs.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": email, **props})
    )


def test_create_read_update_archive_contact(hs: Client) -> None:
    created = new_contact(hs, "Ada@Example.com", firstname="Ada", lastname="Lovelace")
    assert created is not None and created.id.isdigit()
    assert created.properties["email"] == "ada@example.com"  # stored lower-case
    assert created.properties["hs_object_id"] == created.id
    assert created.created_at is not None and created.archived is False

    got = hs.crm.contacts.basic_api.get_by_id(created.id)
    assert set(got.properties) == {
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    }

    some = hs.crm.contacts.basic_api.get_by_id(created.id, properties=["phone", "firstname", "nope"])
    assert some.properties["phone"] is None and some.properties["firstname"] == "Ada"
    assert "nope" not in some.properties

    updated = hs.crm.contacts.basic_api.update(
        created.id, SimplePublicObjectInput(properties={"firstname": "Augusta"})
    )
    assert updated.properties["firstname"] == "Augusta"
    hist = hs.crm.contacts.basic_api.get_by_id(created.id, properties_with_history=["firstname"])
    assert [h.value for h in hist.properties_with_history["firstname"]] == ["Augusta", "Ada"]

    by_email = hs.crm.contacts.basic_api.get_by_id("ADA@example.com", id_property="email")
    assert by_email.id == created.id

    assert hs.crm.contacts.basic_api.archive(created.id) is None
    with pytest.raises(NotFoundException) as exc:
        hs.crm.contacts.basic_api.get_by_id(created.id)
    body = json.loads(exc.value.body)
    assert body["status"] == "error" and body["category"] == "OBJECT_NOT_FOUND"
    archived = hs.crm.contacts.basic_api.get_by_id(created.id, archived=True)
    assert archived.archived is True and archived.archived_at is not None


def test_duplicate_email_conflicts_and_clearing_a_property(hs: Client) -> None:
    first = new_contact(hs, "dup@example.com", firstname="X")
    with pytest.raises(ApiException) as exc:
        new_contact(hs, "DUP@example.com")
    assert exc.value.status == 409
    assert json.loads(exc.value.body)["message"] == f"Contact already exists. Existing ID: {first.id}"
    cleared = hs.crm.contacts.basic_api.update(
        first.id, SimplePublicObjectInput(properties={"firstname": ""})
    )
    assert "firstname" not in cleared.properties
    assert hs.crm.contacts.basic_api.get_by_id(first.id).properties["firstname"] is None


def test_validation_errors_have_hubspots_format(hs: Client) -> None:
    with pytest.raises(ApiException) as exc:
        new_contact(hs, "v@example.com", foo="1", lifecyclestage="nope")
    assert exc.value.status == 400
    body = json.loads(exc.value.body)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("Property values were not valid: ")
    listed = json.loads(body["message"].removeprefix("Property values were not valid: "))
    assert {e["error"] for e in listed} == {"PROPERTY_DOESNT_EXIST", "INVALID_OPTION"}
    assert {e["code"] for e in body["errors"]} == {"PROPERTY_DOESNT_EXIST", "INVALID_OPTION"}
    for bad, code in (
        ({"email": "not-an-email"}, "INVALID_EMAIL"),
        ({"hs_object_id": "5"}, "READ_ONLY_VALUE"),
        ({"email": "d@example.com", "closedate": "tomorrow"}, "INVALID_DATETIME"),
    ):
        with pytest.raises(ApiException) as exc:
            hs.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties=bad))
        assert json.loads(exc.value.body)["errors"][0]["code"] == code
    deal = hs.crm.deals.basic_api.create(DealCreate(properties={"dealname": "D", "amount": "12.5"}))
    with pytest.raises(Exception) as exc2:
        hs.crm.deals.basic_api.create(DealCreate(properties={"dealname": "D", "amount": "lots"}))
    assert "INVALID_DECIMAL" in exc2.value.body  # type: ignore[attr-defined]
    assert deal.properties["pipeline"] == "default" and deal.properties["amount"] == "12.5"


def test_get_all_pages_through_every_contact(hs: Client) -> None:
    inputs = [{"properties": {"email": f"p{i}@example.com"}} for i in range(100)]
    for start in (0, 100):
        batch = (
            [{"properties": {"email": f"p{start + i}@example.com"}} for i in range(100)] if start else inputs
        )
        hs.crm.contacts.batch_api.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=batch))
    new_contact(hs, "last@example.com")
    everyone = hs.crm.contacts.get_all()
    assert len(everyone) == 201 and len({c.id for c in everyone}) == 201
    page = hs.crm.contacts.basic_api.get_page(limit=100)
    assert len(page.results) == 100 and page.paging.next.after
    ids = [int(c.id) for c in everyone]
    assert ids == sorted(ids)


def test_batch_create_read_update_upsert_archive(hs: Client) -> None:
    api = hs.crm.contacts.batch_api
    created = api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[{"properties": {"email": f"b{i}@example.com", "firstname": f"B{i}"}} for i in range(3)]
        )
    )
    assert created.status == "COMPLETE" and len(created.results) == 3
    ids = [r.id for r in created.results]

    read = api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[{"id": ids[0]}, {"id": "999"}], properties=["firstname"], properties_with_history=[]
        )
    )
    assert [r.id for r in read.results] == [ids[0]]
    assert read.errors[0].category == "OBJECT_NOT_FOUND" and read.errors[0].context == {"ids": ["999"]}

    by_email = api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[{"id": "b1@example.com"}],
            properties=["email"],
            properties_with_history=[],
            id_property="email",
        )
    )
    assert by_email.results[0].id == ids[1]

    upd = api.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[
                {"id": ids[0], "properties": {"lastname": "Z"}},
                {"id": ids[1], "properties": {"lastname": "Y"}},
            ]
        )
    )
    assert sorted(r.properties["lastname"] for r in upd.results) == ["Y", "Z"]

    ups = api.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                {"id": "b2@example.com", "idProperty": "email", "properties": {"firstname": "Again"}},
                {"id": "fresh@example.com", "idProperty": "email", "properties": {"firstname": "New"}},
            ]
        )
    )
    flags = {r.properties["email"]: r.new for r in ups.results}
    assert flags == {"b2@example.com": False, "fresh@example.com": True}

    with pytest.raises(ApiException) as exc:
        api.create(
            BatchInputSimplePublicObjectBatchInputForCreate(
                inputs=[
                    {"properties": {"email": "ok@example.com"}},
                    {"properties": {"email": "b0@example.com"}},
                ]
            )
        )
    assert exc.value.status == 409
    assert hs.crm.contacts.search_api is not None
    assert api.archive(BatchInputSimplePublicObjectId(inputs=[{"id": ids[0]}, {"id": "12345"}])) is None
    with pytest.raises(NotFoundException):
        hs.crm.contacts.basic_api.get_by_id(ids[0])
    # the whole 409 batch created nothing
    with pytest.raises(NotFoundException):
        hs.crm.contacts.basic_api.get_by_id("ok@example.com", id_property="email")


def test_batch_over_100_inputs_is_rejected(hs: Client) -> None:
    with pytest.raises(ApiException) as exc:
        hs.crm.contacts.batch_api.create(
            BatchInputSimplePublicObjectBatchInputForCreate(
                inputs=[{"properties": {"email": f"o{i}@example.com"}} for i in range(101)]
            )
        )
    assert exc.value.status == 400 and json.loads(exc.value.body)["category"] == "VALIDATION_ERROR"


def test_merge_creates_a_new_record_both_old_ids_resolve_to(hs: Client) -> None:
    # Developer changelog "Updated merge functionality for contacts and companies": "a new record
    # with a new ID will be created for the resulting merged record ... both of the previous IDs will
    # point to the resulting merged record"; the primary's values win. Knowledge base "Merge records"
    # (Jan 2025): "For contacts and companies, you can create a new record with the merged email
    # addresses" -- the secondary's email is free again.
    a = new_contact(hs, "keep@example.com", firstname="Keep")
    b = new_contact(hs, "gone@example.com", firstname="Gone", lastname="Last")
    merged = hs.crm.contacts.basic_api.merge(
        PublicMergeInput(primary_object_id=a.id, object_id_to_merge=b.id)
    )
    assert merged.id not in (a.id, b.id)
    assert merged.properties["firstname"] == "Keep" and merged.properties["lastname"] == "Last"
    assert merged.properties["email"] == "keep@example.com"
    assert hs.crm.contacts.basic_api.get_by_id(a.id).id == merged.id
    assert hs.crm.contacts.basic_api.get_by_id(b.id).id == merged.id
    assert hs.crm.contacts.basic_api.get_by_id("keep@example.com", id_property="email").id == merged.id
    assert [c.id for c in hs.crm.contacts.get_all()] == [merged.id]
    again = new_contact(hs, "gone@example.com")  # the secondary's email is free for a new contact
    assert again.id not in (a.id, b.id, merged.id)


def test_merge_keeping_the_primary_id_under_the_older_reading(hs: Client, sandbox: Any) -> None:
    sandbox.update_settings("hubspot", {"merge_new_id": False})
    a = new_contact(hs, "keep@example.com", firstname="Keep")
    b = new_contact(hs, "gone@example.com", firstname="Gone", lastname="Last")
    merged = hs.crm.contacts.basic_api.merge(
        PublicMergeInput(primary_object_id=a.id, object_id_to_merge=b.id)
    )
    assert merged.id == a.id
    assert merged.properties["firstname"] == "Keep" and merged.properties["lastname"] == "Last"
    assert hs.crm.contacts.basic_api.get_by_id(b.id).id == a.id
    assert hs.crm.contacts.basic_api.get_by_id("gone@example.com", id_property="email").id == a.id
    assert [c.id for c in hs.crm.contacts.get_all()] == [a.id]


def test_gdpr_delete_removes_the_contact_for_good(hs: Client) -> None:
    c = new_contact(hs, "forget@example.com")
    assert hs.crm.contacts.basic_api.purge(PublicGdprDeleteInput(object_id=c.id)) is None
    with pytest.raises(NotFoundException):
        hs.crm.contacts.basic_api.get_by_id(c.id, archived=True)
    again = new_contact(hs, "forget@example.com")
    assert again.id != c.id
    with pytest.raises(NotFoundException):
        hs.crm.contacts.basic_api.purge(PublicGdprDeleteInput(object_id="1"))


def test_companies_deals_and_generic_objects_api(hs: Client) -> None:
    co = hs.crm.companies.basic_api.create(CompanyCreate(properties={"name": "Acme", "domain": "acme.com"}))
    assert set(hs.crm.companies.basic_api.get_by_id(co.id).properties) == {
        "createdate",
        "domain",
        "hs_lastmodifieddate",
        "hs_object_id",
        "name",
    }
    via_id = hs.crm.objects.basic_api.get_by_id("0-2", co.id)
    assert via_id.properties["name"] == "Acme"
    deal = hs.crm.deals.basic_api.create(
        DealCreate(properties={"dealname": "Big", "dealstage": "closedwon", "closedate": "2026-02-01"})
    )
    got = hs.crm.objects.basic_api.get_by_id("deals", deal.id)
    assert got.properties["closedate"] == "2026-02-01T00:00:00.000Z"
    from hubspot.crm.objects.exceptions import ApiException as ObjectsApiException

    with pytest.raises(ObjectsApiException) as exc:
        hs.crm.objects.basic_api.get_by_id("widgets", "1")
    assert exc.value.status == 400 and "Unable to infer object type" in exc.value.body


def test_bad_token_is_401(live: Any) -> None:
    bad = hubspot_client(live.hubspot_url, access_token="pat-wrong")
    with pytest.raises(UnauthorizedException) as exc:
        bad.crm.contacts.basic_api.get_page()
    assert json.loads(exc.value.body)["category"] == "INVALID_AUTHENTICATION"


def test_associations_on_create_and_read(hs: Client) -> None:
    co = hs.crm.companies.basic_api.create(CompanyCreate(properties={"name": "Assoc Inc"}))
    c = hs.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(
            properties={"email": "as@example.com"},
            associations=[
                {
                    "to": {"id": co.id},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                }
            ],
        )
    )
    got = hs.crm.contacts.basic_api.get_by_id(c.id, associations=["companies"])
    assert [r.id for r in got.associations["companies"].results] == [co.id]
    plain = hs.crm.contacts.basic_api.get_by_id(c.id)
    assert plain.associations is None
