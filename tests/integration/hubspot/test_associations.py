"""Associations v4 with the official client and on the wire: single and batch endpoints, labels,
symmetry, archived records, associationChange events, the v3 views the objects API uses."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from hubspot.crm.associations.v4.exceptions import ApiException, NotFoundException
from hubspot.crm.associations.v4.models import (
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicAssociationMultiArchive,
    PublicAssociationMultiPost,
    PublicDefaultAssociationMultiPost,
    PublicFetchAssociationsBatchRequest,
    PublicObjectId,
)

from simulator.hubspot.errors import HubSpotError
from simulator.hubspot.events import ChangeEvent

AUTH = {"Authorization": "Bearer pat-local-sandbox"}
UNLABELED = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=279)
PRIMARY = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)


class FakeRecords:
    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.real = backend.records  # object types still resolve through the real store
        self.rows: dict[tuple[str, str], SimpleNamespace] = {}

    def get(self, object_type: str, record_id: str) -> Any:
        return self.rows.get((object_type, record_id))

    def all(self, object_type: str) -> list[Any]:
        return [r for (t, _), r in self.rows.items() if t == object_type]

    def resolve_type(self, name: str) -> str:
        return self.real.resolve_type(name)

    def put(self, object_type: str, record_id: str, **props: str) -> None:
        self.rows[(object_type, record_id)] = SimpleNamespace(
            id=record_id, object_type=object_type, properties=dict(props), archived=False
        )


@pytest.fixture
def records(sandbox: Any) -> FakeRecords:
    backend = sandbox.backend("hubspot")
    backend.records = FakeRecords(backend)
    for rid in ("1", "2", "3"):
        backend.records.put("contacts", rid)
    for rid in ("50", "51"):
        backend.records.put("companies", rid, domain=f"c{rid}.com")
    backend.records.put("deals", "900")
    return backend.records


@pytest.fixture
def events(sandbox: Any) -> list[ChangeEvent]:
    seen: list[ChangeEvent] = []
    sandbox.backend("hubspot").subscribe(seen.append)
    return seen


def test_create_read_archive_single_associations_with_the_official_client(
    hs: Any, records: FakeRecords, events: list[ChangeEvent]
) -> None:
    v4 = hs.crm.associations.v4.basic_api
    made = v4.create("contacts", 1, "companies", 50, [PRIMARY])
    assert (made.from_object_type_id, made.from_object_id, made.to_object_type_id, made.to_object_id) == (
        "0-1",
        "1",
        "0-2",
        "50",
    )
    assert made.labels == ["Primary"]
    page = v4.get_page("contacts", 1, "companies")
    assert [r.to_object_id for r in page.results] == ["50"]
    assert sorted((t.type_id, t.label) for t in page.results[0].association_types) == [
        (1, "Primary"),
        (279, None),
    ]
    back = v4.get_page("companies", 50, "contacts")  # symmetric, with the inverse type ids
    assert [(r.to_object_id, sorted(t.type_id for t in r.association_types)) for r in back.results] == [
        ("1", [2, 280])
    ]
    assert [(e.kind, e.object_type, e.object_id, e.property_name, e.property_value) for e in events] == [
        ("associationChange", "contacts", "1", "CONTACT_TO_COMPANY", "false"),
        ("associationChange", "companies", "50", "COMPANY_TO_CONTACT", "false"),
    ]

    default = v4.create_default("contact", 2, "company", 50)
    assert default.status == "COMPLETE"
    assert [(r._from.id, r.to.id, r.association_spec.association_type_id) for r in default.results] == [
        ("2", "50", 279),
        ("50", "2", 280),
    ]
    assert [r.to_object_id for r in v4.get_page("companies", 50, "contacts").results] == ["1", "2"]
    assert [r.to_object_id for r in v4.get_page("0-2", 50, "0-1", limit=1, after="1").results] == ["2"]

    v4.archive("contacts", 1, "companies", 50)
    assert v4.get_page("contacts", 1, "companies").results == []
    assert [r.to_object_id for r in v4.get_page("companies", 50, "contacts").results] == ["2"]
    assert events[-1].property_value == "true"

    with pytest.raises(NotFoundException):
        v4.create("contacts", 1, "companies", 4040, [UNLABELED])
    with pytest.raises(ApiException) as exc:
        v4.create(
            "contacts",
            1,
            "companies",
            50,
            [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=3)],
        )
    assert exc.value.status == 400


def test_new_primary_replaces_the_old_one(hs: Any, records: FakeRecords) -> None:
    v4 = hs.crm.associations.v4.basic_api
    v4.create("contacts", 1, "companies", 50, [PRIMARY])
    v4.create("contacts", 1, "companies", 51, [PRIMARY])
    types = {
        r.to_object_id: sorted(t.type_id for t in r.association_types)
        for r in v4.get_page("contacts", 1, "companies").results
    }
    assert types == {"50": [279], "51": [1, 279]}


def test_batch_endpoints(hs: Any, records: FakeRecords) -> None:
    batch = hs.crm.associations.v4.batch_api
    created = batch.create(
        "deals",
        "contacts",
        BatchInputPublicAssociationMultiPost(
            inputs=[
                PublicAssociationMultiPost(
                    _from=PublicObjectId(id="900"),
                    to=PublicObjectId(id=rid),
                    types=[AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=3)],
                )
                for rid in ("1", "2")
            ]
        ),
    )
    assert created.status == "COMPLETE" and [r.to_object_id for r in created.results] == ["1", "2"]

    read = batch.get_page(
        "deals",
        "contacts",
        BatchInputPublicFetchAssociationsBatchRequest(inputs=[PublicFetchAssociationsBatchRequest(id="900")]),
    )
    assert [(t.to_object_id, t.association_types[0].type_id) for t in read.results[0].to] == [
        ("1", 3),
        ("2", 3),
    ]

    default = batch.create_default(
        "deals",
        "companies",
        BatchInputPublicDefaultAssociationMultiPost(
            inputs=[
                PublicDefaultAssociationMultiPost(_from=PublicObjectId(id="900"), to=PublicObjectId(id="50"))
            ]
        ),
    )
    assert default.results[0].association_spec.association_type_id == 341

    batch.archive(
        "deals",
        "contacts",
        BatchInputPublicAssociationMultiArchive(
            inputs=[
                PublicAssociationMultiArchive(_from=PublicObjectId(id="900"), to=[PublicObjectId(id="1")])
            ]
        ),
    )
    assert [
        r.to_object_id for r in hs.crm.associations.v4.basic_api.get_page("deals", 900, "contacts").results
    ] == ["2"]

    hs.crm.associations.v4.basic_api.create(
        "deals",
        900,
        "companies",
        50,
        [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=5)],
    )
    batch.archive_labels(
        "deals",
        "companies",
        BatchInputPublicAssociationMultiPost(
            inputs=[
                PublicAssociationMultiPost(
                    _from=PublicObjectId(id="900"),
                    to=PublicObjectId(id="50"),
                    types=[AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=5)],
                )
            ]
        ),
    )
    left = hs.crm.associations.v4.basic_api.get_page("deals", 900, "companies").results
    assert [t.type_id for t in left[0].association_types] == [341]  # the label went, the association stays


def test_batch_partial_errors_are_207(api: Any, records: FakeRecords) -> None:
    url = f"{api.hubspot_url}/crm/v4/associations/contacts/companies/batch"
    resp = requests.post(
        f"{url}/create",
        headers=AUTH,
        json={
            "inputs": [
                {
                    "from": {"id": "1"},
                    "to": {"id": "50"},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                },
                {
                    "from": {"id": "1"},
                    "to": {"id": "999"},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                },
            ]
        },
    )
    assert resp.status_code == 207 and resp.json()["numErrors"] == 1 and len(resp.json()["results"]) == 1
    read = requests.post(
        f"{url}/read", headers=AUTH, json={"inputs": [{"id": "1"}, {"id": "2"}, {"id": "777"}]}
    )
    body = read.json()
    assert read.status_code == 207 and [r["from"]["id"] for r in body["results"]] == ["1"]
    assert sorted(e["context"]["ids"][0] for e in body["errors"]) == ["2", "777"]
    assert resp.json()["results"][0] == {
        "fromObjectTypeId": "0-1",
        "fromObjectId": 1,
        "toObjectTypeId": "0-2",
        "toObjectId": 50,
        "labels": [],
    }


def test_labels_endpoint_serves_the_default_type_ids(hs: Any, api: Any) -> None:
    labels = hs.crm.associations.v4.schema.definitions_api.get_all("contacts", "companies")
    assert sorted((x.type_id, x.label) for x in labels.results) == [(1, "Primary"), (279, None)]
    expected = {
        ("companies", "contacts"): {2, 280},
        ("deals", "contacts"): {3},
        ("contacts", "deals"): {4},
        ("deals", "companies"): {5, 341},
        ("companies", "deals"): {6, 342},
    }
    for (a, b), type_ids in expected.items():
        got = requests.get(f"{api.hubspot_url}/crm/v4/associations/{a}/{b}/labels", headers=AUTH).json()
        assert {x["typeId"] for x in got["results"]} == type_ids
        assert all(x["category"] == "HUBSPOT_DEFINED" for x in got["results"])


def test_archived_records_associations_disappear_and_merges_move_them(
    sandbox: Any, records: FakeRecords
) -> None:
    store = sandbox.backend("hubspot").associations
    store.create_from_input(
        "contacts",
        "1",
        [{"to": {"id": "50"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]}],
    )
    assert store.for_record("contacts", "1", "companies") == [
        {"id": "50", "type": "contact_to_company"},
        {"id": "50", "type": "contact_to_company_unlabeled"},
    ]
    assert store.for_record("companies", "50", "contacts") == [
        {"id": "1", "type": "company_to_contact"},
        {"id": "1", "type": "company_to_contact_unlabeled"},
    ]
    records.rows[("companies", "50")].archived = True
    assert store.for_record("contacts", "1", "companies") == []
    records.rows[("companies", "50")].archived = False
    backend = sandbox.backend("hubspot")
    backend.emit(ChangeEvent("merge", "contacts", "2", backend.now_ms(), related_ids=("1",)))
    assert [a["id"] for a in store.for_record("contacts", "2", "companies")] == ["50", "50"]
    assert store.for_record("contacts", "1", "companies") == []
    backend.emit(ChangeEvent("privacyDeletion", "contacts", "2", backend.now_ms()))
    assert store.for_record("companies", "50", "contacts") == []


@pytest.mark.parametrize(
    "assoc",
    [
        "nope",
        [{"to": {"id": "50"}}],
        [
            {
                "to": {"id": "50"},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 999}],
            }
        ],
        [
            {
                "to": {"id": "404"},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
            }
        ],
        [{"to": {"id": "50"}, "types": [{"associationCategory": "USER_DEFINED", "associationTypeId": 279}]}],
    ],
)
def test_create_from_input_rejects_bad_associations_before_changing_anything(
    sandbox: Any, records: FakeRecords, assoc: Any
) -> None:
    store = sandbox.backend("hubspot").associations
    with pytest.raises(HubSpotError) as exc:
        store.create_from_input(
            "contacts",
            "1",
            [
                {
                    "to": {"id": "51"},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                },
                *(assoc if isinstance(assoc, list) else [assoc]),
            ],
        )
    assert exc.value.status == 400
    assert store.for_record("contacts", "1", "companies") == []


BAD_ASSOCIATION_REQUESTS = [
    ("PUT", "/crm/v4/objects/contacts/1/associations/companies/50", b"[{", 400),
    ("PUT", "/crm/v4/objects/contacts/1/associations/companies/50", {"associationTypeId": 279}, 400),
    (
        "PUT",
        "/crm/v4/objects/contacts/1/associations/companies/50",
        [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": "279"}],
        400,
    ),
    ("PUT", "/crm/v4/objects/widgets/1/associations/companies/50", [], 400),
    ("PUT", "/crm/v4/objects/contacts/1/associations/default/companies/999", None, 404),
    ("GET", "/crm/v4/objects/contacts/999/associations/companies", None, 404),
    ("GET", "/crm/v4/objects/contacts/1/associations/companies?limit=0", None, 400),
    ("POST", "/crm/v4/associations/contacts/companies/batch/read", {"inputs": "x"}, 400),
    ("POST", "/crm/v4/associations/contacts/companies/batch/read", {"inputs": [5]}, 400),
    (
        "POST",
        "/crm/v4/associations/contacts/companies/batch/archive",
        {"inputs": [{"from": {"id": "1"}, "to": {"id": "5"}}]},
        400,
    ),
]


def test_bad_requests_get_hubspot_errors(api: Any, records: FakeRecords) -> None:
    # one test over many cases: each `api` transport is set up once, not once per case
    for method, path, body, status in BAD_ASSOCIATION_REQUESTS:
        kwargs: dict[str, Any] = (
            {"data": body} if isinstance(body, bytes) else ({"json": body} if body is not None else {})
        )
        resp = requests.request(method, f"{api.hubspot_url}{path}", headers=AUTH, **kwargs)
        assert resp.status_code == status, resp.text
        assert resp.json()["status"] == "error"


def test_association_store_snapshot_round_trip(sandbox: Any, records: FakeRecords) -> None:
    store = sandbox.backend("hubspot").associations
    store.create_from_input(
        "deals",
        "900",
        [{"to": {"id": "3"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}]}],
    )
    data = json.loads(json.dumps(store.dump()))
    store.edges.clear()
    store.load(data)
    assert store.for_record("contacts", "3", "deals") == [{"id": "900", "type": "contact_to_deal"}]


def test_custom_labels_with_the_official_client(hs: Any, sandbox: Any) -> None:
    from hubspot.crm.associations.v4.schema.models import (
        PublicAssociationDefinitionCreateRequest,
        PublicAssociationDefinitionUpdateRequest,
    )
    from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyCreate
    from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate

    defs = hs.crm.associations.v4.schema.definitions_api
    # paired label: "Billing contact" one way, "Billing company" the other
    made = defs.create(
        "contacts",
        "companies",
        PublicAssociationDefinitionCreateRequest(
            label="Billing company", name="billing", inverse_label="Billing contact"
        ),
    ).results
    assert [(x.category, x.label) for x in made] == [
        ("USER_DEFINED", "Billing company"),
        ("USER_DEFINED", "Billing contact"),
    ]
    forward, inverse = made[0].type_id, made[1].type_id
    assert ("USER_DEFINED", forward, "Billing company") in [
        (x.category, x.type_id, x.label) for x in defs.get_all("contacts", "companies").results
    ]
    assert (inverse, "Billing contact") in [
        (x.type_id, x.label) for x in defs.get_all("companies", "contacts").results
    ]

    contact = hs.crm.contacts.basic_api.create(ContactCreate(properties={"email": "bill@example.com"})).id
    company = hs.crm.companies.basic_api.create(CompanyCreate(properties={"name": "Billed"})).id
    labelled = hs.crm.associations.v4.basic_api.create(
        "contacts", contact, "companies", company, [AssociationSpec("USER_DEFINED", forward)]
    )
    assert labelled.labels == ["Billing company"]  # the unlabeled default comes along, without a label
    back = hs.crm.associations.v4.basic_api.get_page("companies", company, "contacts").results[0]
    assert {(t.category, t.type_id, t.label) for t in back.association_types} == {
        ("HUBSPOT_DEFINED", 280, None),
        ("USER_DEFINED", inverse, "Billing contact"),
    }

    defs.update(
        "contacts",
        "companies",
        PublicAssociationDefinitionUpdateRequest(association_type_id=forward, label="Invoice company"),
    )
    assert "Invoice company" in [x.label for x in defs.get_all("contacts", "companies").results]
    assert "Billing contact" in [
        x.label for x in defs.get_all("companies", "contacts").results
    ]  # paired: kept

    snap = json.loads(json.dumps(sandbox.snapshot()))
    defs.remove("contacts", "companies", forward)
    types = (
        hs.crm.associations.v4.basic_api.get_page("contacts", contact, "companies")
        .results[0]
        .association_types
    )
    assert [(t.type_id, t.label) for t in types] == [(279, None)]  # still associated, unlabeled
    assert all(x.category == "HUBSPOT_DEFINED" for x in defs.get_all("companies", "contacts").results)
    sandbox.restore(snap)  # labels and the labelled edge come back with a snapshot
    assert (forward, "Invoice company") in [
        (x.type_id, x.label) for x in defs.get_all("contacts", "companies").results
    ]

    # unpaired label: the same text both ways
    same = defs.create(
        "deals", "contacts", PublicAssociationDefinitionCreateRequest(label="Decision maker", name="decider")
    ).results
    assert [x.label for x in same] == ["Decision maker", "Decision maker"]

    for call, status in (
        (lambda: defs.create("deals", "contacts", {"label": "No name"}), 400),
        (lambda: defs.create("deals", "contacts", {"label": "decision MAKER", "name": "again"}), 400),
        (lambda: defs.remove("deals", "contacts", 999_999), 404),
        (lambda: defs.remove("deals", "contacts", 3), 404),  # HubSpot's own types cannot be deleted
        (
            lambda: defs.update(
                "deals",
                "contacts",
                PublicAssociationDefinitionUpdateRequest(association_type_id=same[0].type_id),
            ),
            400,
        ),
    ):
        with pytest.raises(Exception) as exc:  # noqa: PT011 - the schema package's ApiException
            call()
        assert exc.value.status == status  # type: ignore[attr-defined]
        assert json.loads(exc.value.body)["status"] == "error"  # type: ignore[attr-defined]
