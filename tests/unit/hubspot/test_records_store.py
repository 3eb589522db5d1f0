"""Record store, property validation and search engine as plain Python (no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import Sandbox
from simulator.hubspot import search
from simulator.hubspot.errors import HubSpotError
from simulator.hubspot.events import ChangeEvent
from simulator.hubspot.property_values import parse_time_ms
from simulator.hubspot.records import iso_ms_fast


@pytest.fixture
def backend() -> Any:
    return Sandbox(seed=3).backend("hubspot")


def events_of(backend: Any) -> list[ChangeEvent]:
    seen: list[ChangeEvent] = []
    backend.subscribe(seen.append)
    return seen


def test_resolve_type_accepts_names_ids_and_singulars(backend: Any) -> None:
    records = backend.records
    for alias in ("contacts", "CONTACT", "0-1", " contacts "):
        assert records.resolve_type(alias) == "contacts"
    assert records.resolve_type("0-5") == "tickets"
    with pytest.raises(HubSpotError) as exc:
        records.resolve_type("widgets")
    assert exc.value.status == 400


def test_lifecycle_events(backend: Any) -> None:
    seen = events_of(backend)
    records = backend.records
    a = records.create("contacts", {"email": "a@x.com", "firstname": "A"})
    assert [(e.kind, e.property_name) for e in seen] == [
        ("creation", None),
        ("propertyChange", "email"),
        ("propertyChange", "firstname"),
    ]
    seen.clear()
    records.update(a, {"firstname": "A", "lastname": "B"})
    assert [(e.kind, e.property_name, e.property_value) for e in seen] == [
        ("propertyChange", "lastname", "B")
    ]
    b = records.create("contacts", {"email": "b@x.com"})
    seen.clear()
    # The primary-keeps-its-id reading (merge_new_id off), so the lifecycle below goes on with `a`;
    # the current API's new-record merge: test_merge_into_a_new_record below.
    records.backend.sandbox.update_settings("hubspot", {"merge_new_id": False})
    records.merge("contacts", a.id, b.id)
    assert seen[-1].kind == "merge" and seen[-1].related_ids == (b.id,)
    assert records.get("contacts", b.id) is a and records.exists("contacts", b.id)
    seen.clear()
    records.archive(a)
    assert [e.kind for e in seen] == ["deletion"] and records.get("contacts", a.id) is None
    assert list(records.all("contacts")) == []
    records.restore("contacts", a.id)
    assert seen[-1].kind == "restore" and records.get("contacts", a.id) is a
    records.gdpr_delete("contacts", a)
    assert seen[-1].kind == "privacyDeletion" and records.get("contacts", a.id, include_archived=True) is None


def test_merge_into_a_new_record(backend: Any) -> None:
    """Developer changelog "Updated merge functionality for contacts and companies"."""
    records = backend.records
    seen: list[Any] = []
    backend.subscribe(seen.append)
    a = records.create("contacts", {"email": "a@x.com", "firstname": "A"})
    backend.sandbox.clock.advance(1)
    records.update(a, {"firstname": "A2"})
    b = records.create("contacts", {"email": "b@x.com", "lastname": "B"})
    new = records.merge("contacts", a.id, b.id)
    assert new.id not in (a.id, b.id) and a.archived and b.archived
    assert seen[-1].kind == "merge" and seen[-1].object_id == new.id and seen[-1].related_ids == (a.id, b.id)
    assert records.get("contacts", a.id) is new and records.get("contacts", b.id) is new
    assert (new.properties["email"], new.properties["firstname"], new.properties["lastname"]) == ("a@x.com", "A2", "B")
    assert new.properties["hs_merged_object_ids"] == f"{a.id};{b.id}"
    assert [v for v, _ in new.property_history("firstname")] == ["A2", "A"]  # the primary's history came along
    assert records.find_by_unique("contacts", "email", "b@x.com") is None
    again = records.create("contacts", {"email": "b@x.com"})
    third = records.merge("contacts", new.id, again.id)  # merging a merged record again
    assert records.get("contacts", a.id) is third and records.get("contacts", new.id) is third


def test_history_is_compact_until_changed(backend: Any) -> None:
    r = backend.records.create("contacts", {"email": "h@x.com", "firstname": "One"})
    assert r.history is None and r.property_history("firstname") == [("One", r.created_at_ms)]
    backend.sandbox.clock.advance(2)
    backend.records.update(r, {"firstname": ""})
    assert "firstname" not in r.properties
    assert [v for v, _ in r.property_history("firstname")] == ["", "One"]
    assert set(r.history) == {"firstname"}


def test_ids_are_numeric_increasing_and_seeded(backend: Any) -> None:
    ids = [int(backend.records.create("deals", {"dealname": str(i)}).id) for i in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5
    other = Sandbox(seed=3).backend("hubspot")
    assert [int(other.records.create("deals", {}).id) for _ in range(5)] == ids


@pytest.mark.parametrize(
    ("ptype_prop", "value", "stored"),
    [
        (("deals", "amount"), 10, "10"),
        (("deals", "amount"), 2.5, "2.5"),
        (("deals", "closedate"), "1767225600000", "2026-01-01T00:00:00.000Z"),
        (("contacts", "hs_email_optout"), True, "true"),
        (("contacts", "email"), " MiXeD@Case.COM ", "mixed@case.com"),
        (("contacts", "lifecyclestage"), "customer", "customer"),
    ],
)
def test_clean_values(backend: Any, ptype_prop: tuple[str, str], value: Any, stored: str) -> None:
    object_type, prop = ptype_prop
    assert backend.properties.clean_values(object_type, {prop: value}) == {prop: stored}


@pytest.mark.parametrize(
    ("prop", "value", "code"),
    [
        ("amount", "1,000", "INVALID_DECIMAL"),
        ("closedate", "soon", "INVALID_DATETIME"),
        ("dealstage", "won", "INVALID_OPTION"),
        ("hs_lastmodifieddate", "1", "READ_ONLY_VALUE"),
        ("colour", "red", "PROPERTY_DOESNT_EXIST"),
        ("hubspot_owner_id", "1", "INVALID_OPTION"),
    ],
)
def test_invalid_values(backend: Any, prop: str, value: str, code: str) -> None:
    with pytest.raises(HubSpotError) as exc:
        backend.properties.clean_values("deals", {prop: value})
    assert exc.value.body["errors"][0]["code"] == code
    assert exc.value.body["message"].startswith("Property values were not valid: [{")


def test_time_helpers() -> None:
    assert parse_time_ms("2026-01-05T09:00:00Z") == 1767603600000
    assert parse_time_ms("2026-01-05") == 1767571200000
    assert parse_time_ms("99999999999999999") is None and parse_time_ms("nope") is None
    assert iso_ms_fast(1767603600123) == "2026-01-05T09:00:00.123Z"


def test_search_engine_typed_and_sorted(backend: Any) -> None:
    made = [
        backend.records.create("deals", {"dealname": n, "amount": a})
        for n, a in (("A", "9"), ("B", "10"), ("C", "100"), ("D", ""))
    ]
    run = lambda groups, sort=None, q=None: [  # noqa: E731
        r.properties["dealname"]
        for r in search.run(backend.properties, backend.records.all("deals"), "deals", groups, sort, q)
    ]
    assert run([[search.Filter("amount", "GT", "9.5")]], search.Sort("amount")) == [
        "B",
        "C",
    ]  # numeric, not text
    assert run([], search.Sort("amount", descending=True)) == ["C", "B", "A", "D"]  # unset last
    assert run([[search.Filter("dealname", "IN", values=("a", "d"))]]) == ["A", "D"]  # case-insensitive
    assert run([[search.Filter("amount", "BETWEEN", "9", "10")]]) == ["A", "B"]
    assert run([], None, "c") == ["C"]
    assert len(made) == 4


def test_search_pages_by_heap_select_equal_slices_of_the_full_sort(backend: Any) -> None:
    # Amounts repeat (ties break by id) and every fifth deal has none (those come last both ways).
    with backend.sandbox.lock:
        for i in range(200):
            backend.records.create("deals", {"dealname": f"D{i}", "amount": "" if i % 5 == 0 else str(i % 7)})
    catalog, deals = backend.properties, list(backend.records.all("deals"))
    for sort in (
        search.Sort("amount"),
        search.Sort("amount", descending=True),
        search.Sort("hs_object_id"),
        None,
    ):
        everything = search.run(catalog, deals, "deals", [], sort, None)
        assert len(everything) == 200
        for offset, limit in ((0, 10), (10, 5), (35, 20), (150, 100), (195, 10)):
            page, total = search.run_page(catalog, deals, "deals", [], sort, None, offset, limit)
            assert total == 200 and [r.id for r in page] == [
                r.id for r in everything[offset : offset + limit]
            ]


def test_snapshot_round_trip_keeps_records_merges_and_custom_properties(backend: Any) -> None:
    backend.properties.create(
        "contacts",
        {
            "name": "tier",
            "label": "Tier",
            "type": "string",
            "fieldType": "text",
            "groupName": "contactinformation",
        },
    )
    a = backend.records.create("contacts", {"email": "a@x.com", "tier": "gold"})
    b = backend.records.create("contacts", {"email": "b@x.com"})
    backend.records.update(a, {"firstname": "Z"})
    new = backend.records.merge("contacts", a.id, b.id)
    data = backend.dump()
    fresh = Sandbox(seed=99).backend("hubspot")
    fresh.load(data)
    got = fresh.records.get("contacts", b.id)
    assert got is not None and got.id == new.id == fresh.records.get("contacts", a.id).id
    assert got.properties["tier"] == "gold"
    assert [v for v, _ in got.property_history("firstname")] == ["Z"]
    assert fresh.records.find_by_unique("contacts", "email", "A@x.com").id == new.id
    assert fresh.records.find_by_unique("contacts", "email", "B@x.com") is None  # freed by the merge
    with pytest.raises(HubSpotError):
        fresh.records.create("contacts", {"email": "a@x.com"})
