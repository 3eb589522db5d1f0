"""Lists v3 with the official client (lists_api, memberships_api, folders_api, mapping_api) and on the
wire. Records come from a small in-test record store that emits the same ChangeEvents the real one
does, so list behaviour is tested independently of the objects API."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from flask import Flask
from hubspot.crm.lists.exceptions import ApiException, NotFoundException
from hubspot.crm.lists.models import (
    ListCreateRequest,
    ListFilterUpdateRequest,
    ListFolderCreateRequest,
    ListMoveRequest,
    ListSearchRequest,
    MembershipChangeRequest,
)

from simulator.core.clock import iso_ms
from simulator.hubspot.api.lists import admin_processing_delay
from simulator.hubspot.events import ChangeEvent

AUTH = {"Authorization": "Bearer pat-local-sandbox"}


class FakeRecords:
    """The record-store surface lists/associations read: get / all / resolve_type."""

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
        row = self.rows.get((object_type, record_id))
        now = self.backend.now_ms()
        if row is None:
            self.rows[(object_type, record_id)] = SimpleNamespace(
                id=record_id, object_type=object_type, properties=dict(props), archived=False
            )
            self.backend.emit(ChangeEvent("creation", object_type, record_id, now))
            return
        for k, v in props.items():
            row.properties[k] = v
            self.backend.emit(
                ChangeEvent("propertyChange", object_type, record_id, now, property_name=k, property_value=v)
            )

    def archive(self, object_type: str, record_id: str) -> None:
        self.rows[(object_type, record_id)].archived = True
        self.backend.emit(ChangeEvent("deletion", object_type, record_id, self.backend.now_ms()))

    def restore(self, object_type: str, record_id: str) -> None:
        self.rows[(object_type, record_id)].archived = False
        self.backend.emit(ChangeEvent("restore", object_type, record_id, self.backend.now_ms()))

    def merge(self, object_type: str, primary: str, merged: str) -> None:
        del self.rows[(object_type, merged)]
        self.backend.emit(
            ChangeEvent("merge", object_type, primary, self.backend.now_ms(), related_ids=(merged,))
        )


@pytest.fixture
def records(sandbox: Any) -> FakeRecords:
    backend = sandbox.backend("hubspot")
    backend.records = FakeRecords(backend)
    return backend.records


def branch(*filters: dict[str, Any]) -> dict[str, Any]:
    return {
        "filterBranchType": "OR",
        "filterBranchOperator": "OR",
        "filters": [],
        "filterBranches": [
            {
                "filterBranchType": "AND",
                "filterBranchOperator": "AND",
                "filters": list(filters),
                "filterBranches": [],
            }
        ],
    }


def lifecycle(*values: str) -> dict[str, Any]:
    return {
        "filterType": "PROPERTY",
        "property": "lifecyclestage",
        "operation": {"operationType": "ENUMERATION", "operator": "IS_ANY_OF", "values": list(values)},
    }


def create(hs: Any, name: str, kind: str = "MANUAL", object_type_id: str = "0-1", filters: Any = None) -> Any:
    req = ListCreateRequest(
        name=name, object_type_id=object_type_id, processing_type=kind, filter_branch=filters
    )
    return hs.crm.lists.lists_api.create(req).list


def ids(page: Any) -> list[str]:
    return [r.record_id for r in page.results]


# --- MANUAL lists and memberships ------------------------------------------------------------------
def test_manual_list_memberships_with_the_official_client(
    hs: Any, records: FakeRecords, sandbox: Any
) -> None:
    for rid in ("1", "2", "3", "10"):
        records.put("contacts", rid, email=f"c{rid}@x.com")
    lst = create(hs, "Newsletter")
    assert (lst.list_id, lst.processing_type, lst.processing_status, lst.size, lst.object_type_id) == (
        "1",
        "MANUAL",
        "COMPLETE",
        0,
        "0-1",
    )
    assert lst.list_version == 1 and lst.created_at == sandbox.clock.now()

    res = hs.crm.lists.memberships_api.add(lst.list_id, ["10", "2", "404"])
    assert (
        res.records_ids_added == ["10", "2"]
        and res.record_ids_missing == ["404"]
        and res.record_ids_removed == []
    )
    joined_first = sandbox.clock.now()
    sandbox.clock.advance(60)
    assert hs.crm.lists.memberships_api.add(lst.list_id, ["1", "2"]).records_ids_added == [
        "1"
    ]  # 2 already a member

    page = hs.crm.lists.memberships_api.get_page(lst.list_id)
    assert ids(page) == ["1", "2", "10"]  # by record id
    join = hs.crm.lists.memberships_api.get_page_ordered_by_added_to_list_date(lst.list_id)
    assert ids(join) == ["10", "2", "1"]
    assert join.results[0].membership_timestamp == joined_first
    assert join.results[2].membership_timestamp == sandbox.clock.now()
    assert hs.crm.lists.lists_api.get_by_id(lst.list_id).list.size == 3

    first = hs.crm.lists.memberships_api.get_page(lst.list_id, limit=2)
    assert ids(first) == ["1", "2"] and first.paging.next.after == "2"
    second = hs.crm.lists.memberships_api.get_page(lst.list_id, limit=2, after=first.paging.next.after)
    assert ids(second) == ["10"] and second.paging.next is None
    assert ids(hs.crm.lists.memberships_api.get_page(lst.list_id, limit=2, before="2")) == ["1", "2"]

    removed = hs.crm.lists.memberships_api.remove(lst.list_id, ["1", "3"])
    assert removed.record_ids_removed == ["1"] and removed.records_ids_added == []
    both = hs.crm.lists.memberships_api.add_and_remove(
        lst.list_id, MembershipChangeRequest(record_ids_to_add=["3"], record_ids_to_remove=["2"])
    )
    assert both.records_ids_added == ["3"] and both.record_ids_removed == ["2"]
    assert ids(hs.crm.lists.memberships_api.get_page(lst.list_id)) == ["3", "10"]

    other = create(hs, "Copy")
    hs.crm.lists.memberships_api.add_all_from_list(other.list_id, lst.list_id)
    assert ids(hs.crm.lists.memberships_api.get_page(other.list_id)) == ["3", "10"]
    hs.crm.lists.memberships_api.remove_all(other.list_id)
    assert ids(hs.crm.lists.memberships_api.get_page(other.list_id)) == []

    lists_of_10 = hs.crm.lists.memberships_api.get_lists("0-1", "10")
    assert [m.list_id for m in lists_of_10.results] == [lst.list_id]
    assert lists_of_10.results[0].first_added_timestamp == joined_first


def test_membership_response_carries_both_spellings_of_added(api: Any, records: FakeRecords) -> None:
    records.put("contacts", "5", email="a@b.c")
    lid = requests.post(
        f"{api.hubspot_url}/crm/v3/lists/",
        headers=AUTH,
        json={"name": "Wire", "objectTypeId": "0-1", "processingType": "MANUAL"},
    ).json()["list"]["listId"]
    resp = requests.put(f"{api.hubspot_url}/crm/v3/lists/{lid}/memberships/add", headers=AUTH, json=["5", 6])
    assert resp.status_code == 200
    assert resp.json() == {
        "recordsIdsAdded": ["5"],
        "recordIdsAdded": ["5"],
        "recordIdsRemoved": [],
        "recordIdsMissing": ["6"],
    }
    page = requests.get(f"{api.hubspot_url}/crm/v3/lists/{lid}/memberships", headers=AUTH).json()
    assert page == {
        "results": [{"recordId": "5", "membershipTimestamp": "2026-01-05T09:00:00.000Z"}],
        "total": 1,
    }


# --- DYNAMIC and SNAPSHOT lists --------------------------------------------------------------------
def test_dynamic_list_follows_record_changes(hs: Any, records: FakeRecords, sandbox: Any) -> None:
    records.put("contacts", "1", lifecyclestage="lead")
    records.put("contacts", "2", lifecyclestage="customer")
    lst = create(hs, "Leads", "DYNAMIC", filters=branch(lifecycle("lead")))
    assert lst.size == 1 and lst.filter_branch is not None
    sandbox.clock.advance(30)
    records.put("contacts", "3", lifecyclestage="lead")
    records.put("contacts", "2", lifecyclestage="lead")
    join = hs.crm.lists.memberships_api.get_page_ordered_by_added_to_list_date(lst.list_id)
    assert ids(join) == ["1", "3", "2"] and join.results[1].membership_timestamp == sandbox.clock.now()
    records.put("contacts", "1", lifecyclestage="customer")  # stops matching: leaves
    records.archive("contacts", "3")  # archived: leaves
    assert ids(hs.crm.lists.memberships_api.get_page(lst.list_id)) == ["2"]
    records.restore("contacts", "3")
    assert ids(hs.crm.lists.memberships_api.get_page(lst.list_id)) == ["2", "3"]

    with pytest.raises(ApiException) as exc:
        hs.crm.lists.memberships_api.add(lst.list_id, ["1"])
    assert exc.value.status == 400 and json.loads(exc.value.body)["category"] == "VALIDATION_ERROR"
    for call in (
        lambda: hs.crm.lists.memberships_api.remove_all(lst.list_id),
        lambda: hs.crm.lists.memberships_api.remove(lst.list_id, ["2"]),
    ):
        with pytest.raises(ApiException):
            call()

    sandbox.clock.advance(10)
    updated = hs.crm.lists.lists_api.update_list_filters(
        lst.list_id, ListFilterUpdateRequest(filter_branch=branch(lifecycle("customer")))
    ).updated_list
    assert (
        updated.list_version == 2 and updated.filters_updated_at == sandbox.clock.now() and updated.size == 1
    )
    assert ids(hs.crm.lists.memberships_api.get_page(lst.list_id)) == ["1"]
    fetched = hs.crm.lists.lists_api.get_by_id(lst.list_id, include_filters=True).list
    assert fetched.filter_branch.filter_branches[0].filters[0].operation.values == ["customer"]
    assert hs.crm.lists.lists_api.get_by_id(lst.list_id).list.filter_branch is None


def test_snapshot_list_evaluates_once_then_is_manual(hs: Any, records: FakeRecords) -> None:
    records.put("contacts", "1", lifecyclestage="lead")
    lst = create(hs, "Snap", "SNAPSHOT", filters=branch(lifecycle("lead")))
    records.put("contacts", "2", lifecyclestage="lead")
    records.put("contacts", "1", lifecyclestage="customer")
    assert ids(hs.crm.lists.memberships_api.get_page(lst.list_id)) == ["1"]
    assert hs.crm.lists.memberships_api.add(lst.list_id, ["2"]).records_ids_added == ["2"]
    with pytest.raises(ApiException):  # filters of a SNAPSHOT list cannot be updated
        hs.crm.lists.lists_api.update_list_filters(
            lst.list_id, ListFilterUpdateRequest(filter_branch=branch())
        )


def test_in_list_filter_and_company_lists(hs: Any, records: FakeRecords) -> None:
    for rid in ("1", "2"):
        records.put("contacts", rid, email=f"{rid}@x.com")
    vip = create(hs, "VIP")
    not_vip = create(
        hs,
        "Not VIP",
        "DYNAMIC",
        filters=branch({"filterType": "IN_LIST", "listId": vip.list_id, "operator": "NOT_IN_LIST"}),
    )
    assert ids(hs.crm.lists.memberships_api.get_page(not_vip.list_id)) == ["1", "2"]
    hs.crm.lists.memberships_api.add(vip.list_id, ["1"])
    assert ids(hs.crm.lists.memberships_api.get_page(not_vip.list_id)) == ["2"]

    with pytest.raises(ApiException) as exc:  # IN_LIST must reference a list of the same object type
        create(hs, "Bad ref", "DYNAMIC", "0-2", branch({"filterType": "IN_LIST", "listId": vip.list_id}))
    assert exc.value.status == 400
    records.put("companies", "50", domain="acme.com", numberofemployees="120")
    records.put("companies", "51", domain="tiny.io", numberofemployees="3")
    big = create(
        hs,
        "Big companies",
        "DYNAMIC",
        "0-2",
        branch(
            {
                "filterType": "PROPERTY",
                "property": "numberofemployees",
                "operation": {
                    "operationType": "NUMBER",
                    "operator": "IS_GREATER_THAN_OR_EQUAL_TO",
                    "value": 100,
                },
            }
        ),
    )
    assert big.object_type_id == "0-2" and ids(hs.crm.lists.memberships_api.get_page(big.list_id)) == ["50"]
    records.put("companies", "51", numberofemployees="100")
    assert ids(hs.crm.lists.memberships_api.get_page(big.list_id)) == ["50", "51"]
    assert [m.list_id for m in hs.crm.lists.memberships_api.get_lists("0-2", "51").results] == [big.list_id]


def test_relative_time_filters_are_re_evaluated_when_the_clock_moves(
    hs: Any, records: FakeRecords, sandbox: Any
) -> None:
    records.put("contacts", "1", lastmodifieddate=iso_ms(sandbox.clock.now()))
    recent = create(
        hs,
        "Touched this week",
        "DYNAMIC",
        filters=branch(
            {
                "filterType": "PROPERTY",
                "property": "lastmodifieddate",
                "operation": {
                    "operationType": "TIME_POINT",
                    "operator": "IS_AFTER",
                    "timePoint": {
                        "timeType": "INDEXED",
                        "indexReference": {"referenceType": "NOW"},
                        "offset": {"days": -7},
                    },
                },
            }
        ),
    )
    assert recent.size == 1
    sandbox.clock.advance(8 * 86400)
    sandbox.backend("hubspot").webhooks.on_clock_advanced()  # the backend's clock hook
    assert recent.list_id not in [
        m.list_id for m in hs.crm.lists.memberships_api.get_lists("0-1", "1").results
    ]
    assert hs.crm.lists.lists_api.get_by_id(recent.list_id).list.size == 0


def test_merge_keeps_primary_memberships(hs: Any, records: FakeRecords) -> None:
    for rid in ("1", "2"):
        records.put("contacts", rid, email=f"{rid}@x.com")
    a, b = create(hs, "A"), create(hs, "B")
    hs.crm.lists.memberships_api.add(a.list_id, ["1"])
    hs.crm.lists.memberships_api.add(b.list_id, ["2"])
    records.merge("contacts", "1", "2")
    assert ids(hs.crm.lists.memberships_api.get_page(a.list_id)) == ["1"]
    assert ids(hs.crm.lists.memberships_api.get_page(b.list_id)) == ["1"]


# --- list management -------------------------------------------------------------------------------
def test_names_search_update_delete_restore(hs: Any, records: FakeRecords) -> None:
    a = create(hs, "Alpha customers")
    b = create(hs, "Beta leads", "DYNAMIC", filters=branch(lifecycle("lead")))
    create(hs, "Gamma deals", object_type_id="0-3")
    assert hs.crm.lists.lists_api.get_by_name("Beta leads", "0-1").list.list_id == b.list_id
    with pytest.raises(NotFoundException):
        hs.crm.lists.lists_api.get_by_name("Beta leads", "0-2")
    assert [
        x.list_id for x in hs.crm.lists.lists_api.get_all(list_ids=[b.list_id, a.list_id, "999"]).lists
    ] == [b.list_id, a.list_id]

    found = hs.crm.lists.lists_api.do_search(ListSearchRequest(query="a", count=2, offset=0))
    assert found.total == 3 and found.has_more is True and found.offset == 2 and len(found.lists) == 2
    assert found.lists[0].additional_properties["hs_list_size"] == "0"
    rest = hs.crm.lists.lists_api.do_search(ListSearchRequest(query="a", count=2, offset=2))
    assert rest.has_more is False and len(rest.lists) == 1
    dyn = hs.crm.lists.lists_api.do_search(ListSearchRequest(processing_types=["DYNAMIC"]))
    assert [x.list_id for x in dyn.lists] == [b.list_id]

    with pytest.raises(ApiException) as exc:
        create(hs, "alpha CUSTOMERS")
    assert exc.value.status == 400 and json.loads(exc.value.body)["category"] == "VALIDATION_ERROR"
    with pytest.raises(ApiException):
        hs.crm.lists.lists_api.update_name(a.list_id, list_name="Beta leads")
    renamed = hs.crm.lists.lists_api.update_name(a.list_id, list_name="Alpha 2").updated_list
    assert renamed.name == "Alpha 2" and renamed.list_version == 1

    hs.crm.lists.lists_api.remove(a.list_id)
    with pytest.raises(NotFoundException):
        hs.crm.lists.lists_api.get_by_id(a.list_id)
    with pytest.raises(NotFoundException):
        hs.crm.lists.memberships_api.add(a.list_id, ["1"])
    hs.crm.lists.lists_api.restore(a.list_id)
    assert hs.crm.lists.lists_api.get_by_id(a.list_id).list.name == "Alpha 2"
    with pytest.raises(ApiException):
        hs.crm.lists.lists_api.restore(a.list_id)  # not deleted


def test_folders_and_legacy_id_mapping(hs: Any) -> None:
    lst = create(hs, "Foldered")
    top = hs.crm.lists.folders_api.create(ListFolderCreateRequest(name="Marketing")).folder
    sub = hs.crm.lists.folders_api.create(
        ListFolderCreateRequest(name="Events", parent_folder_id=str(top.id))
    ).folder
    assert sub.parent_folder_id == top.id
    hs.crm.lists.folders_api.move_list(ListMoveRequest(list_id=lst.list_id, new_folder_id=str(sub.id)))
    tree = hs.crm.lists.folders_api.get_all().folder
    assert tree.id == 0 and tree.child_nodes[0].name == "Marketing"
    assert tree.child_nodes[0].child_nodes[0].child_lists == [int(lst.list_id)]
    assert hs.crm.lists.folders_api.rename(sub.id, new_folder_name="Webinars").folder.name == "Webinars"
    moved = hs.crm.lists.folders_api.move(str(sub.id), "0").folder
    assert moved.parent_folder_id == 0
    with pytest.raises(ApiException):
        hs.crm.lists.folders_api.remove(str(sub.id))  # not empty
    hs.crm.lists.folders_api.remove(str(top.id))
    mapping = hs.crm.lists.mapping_api.translate_legacy_list_id_to_list_id(
        legacy_list_id=str(int(lst.list_id) + 1000)
    )
    assert mapping.list_id == lst.list_id
    batch = hs.crm.lists.mapping_api.translate_legacy_list_id_to_list_id_batch(["1001", "5"])
    assert batch.missing_legacy_list_ids == ["5"] and batch.legacy_list_ids_to_ids_mapping[0].list_id == "1"


# --- bad input -------------------------------------------------------------------------------------
BAD_LIST_REQUESTS = [
    ("POST", "/crm/v3/lists/", b"{not json", 400),
    ("POST", "/crm/v3/lists/", [], 400),
    ("POST", "/crm/v3/lists/", {"name": "x", "objectTypeId": "0-1"}, 400),
    ("POST", "/crm/v3/lists/", {"name": "x", "objectTypeId": "9-9", "processingType": "MANUAL"}, 400),
    ("POST", "/crm/v3/lists/", {"name": 5, "objectTypeId": "0-1", "processingType": "MANUAL"}, 400),
    ("POST", "/crm/v3/lists/", {"name": "x", "objectTypeId": "0-1", "processingType": "DYNAMIC"}, 400),
    (
        "POST",
        "/crm/v3/lists/",
        {
            "name": "x",
            "objectTypeId": "0-1",
            "processingType": "DYNAMIC",
            "filterBranch": {"filterBranchType": "AND", "filters": [], "filterBranches": []},
        },
        400,
    ),
    (
        "POST",
        "/crm/v3/lists/",
        {"name": "x", "objectTypeId": "0-1", "processingType": "MANUAL", "listFolderId": 77},
        400,
    ),
    ("GET", "/crm/v3/lists/999", None, 404),
    ("GET", "/crm/v3/lists/abc", None, 400),
    ("PUT", "/crm/v3/lists/999/memberships/add", ["1"], 404),
    ("PUT", "/crm/v3/lists/1/memberships/add", {"ids": ["1"]}, 400),
    ("PUT", "/crm/v3/lists/1/memberships/add", [True], 400),
    ("GET", "/crm/v3/lists/1/memberships?limit=251", None, 400),
    ("GET", "/crm/v3/lists/1/memberships?after=x", None, 400),
    ("POST", "/crm/v3/lists/search", {"count": 0}, 400),
    ("POST", "/crm/v3/lists/search", {"processingTypes": "MANUAL"}, 400),
    ("GET", "/crm/v3/lists/records/9-9/1/memberships", None, 400),
    ("GET", "/crm/v3/lists/idmapping?legacyListId=42", None, 404),
    ("DELETE", "/crm/v3/lists/folders/99", None, 404),
]


def test_bad_requests_get_hubspot_errors(api: Any) -> None:
    # one test over many cases: each `api` transport is set up once, not once per case
    for method, path, body, status in BAD_LIST_REQUESTS:
        requests.post(
            f"{api.hubspot_url}/crm/v3/lists/",
            headers=AUTH,
            json={"name": "Existing", "objectTypeId": "0-1", "processingType": "MANUAL"},
        )
        kwargs: dict[str, Any] = (
            {"data": body} if isinstance(body, bytes) else ({"json": body} if body is not None else {})
        )
        resp = requests.request(method, f"{api.hubspot_url}{path}", headers=AUTH, **kwargs)
        assert resp.status_code == status, resp.text
        assert resp.json()["status"] == "error" and resp.json()["category"]


def test_list_store_snapshot_round_trip(hs: Any, records: FakeRecords, sandbox: Any) -> None:
    records.put("contacts", "1", lifecyclestage="lead")
    lst = create(hs, "Persisted", "DYNAMIC", filters=branch(lifecycle("lead")))
    store = sandbox.backend("hubspot").lists
    data = json.loads(json.dumps(store.dump()))
    store.lists.clear()
    store.load(data)
    assert ids(hs.crm.lists.memberships_api.get_page(lst.list_id)) == ["1"]
    assert create(hs, "Next").list_id == str(int(lst.list_id) + 1)


def test_processing_status_follows_the_admin_delay_on_the_sandbox_clock(
    hs: Any, records: FakeRecords, sandbox: Any
) -> None:
    with Flask(__name__).test_request_context(method="PUT", json={"seconds": 30}), sandbox.lock:
        assert admin_processing_delay(sandbox).status_code == 200
    records.put("contacts", "1", lifecyclestage="lead")
    lst = create(hs, "Slow", "DYNAMIC", filters=branch(lifecycle("lead")))
    assert lst.processing_status == "PROCESSING"
    assert create(hs, "Manual is instant").processing_status == "COMPLETE"
    sandbox.clock.advance(30)
    assert hs.crm.lists.lists_api.get_by_id(lst.list_id).list.processing_status == "COMPLETE"
    hs.crm.lists.lists_api.update_list_filters(
        lst.list_id, ListFilterUpdateRequest(filter_branch=branch(lifecycle("x")))
    )
    assert hs.crm.lists.lists_api.get_by_id(lst.list_id).list.processing_status == "PROCESSING"
