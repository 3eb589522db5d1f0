"""The indexed search fast path (change-capture queries on lastmodifieddate) must answer exactly what
the full scan answers: same records, same order, same total, for every filter shape it accepts."""

from __future__ import annotations

import random

import pytest

from simulator import Sandbox
from simulator.hubspot import search
from simulator.hubspot.search import Filter, Sort


@pytest.fixture(scope="module")
def store() -> object:
    sb = Sandbox(seed=3)
    backend = sb.backend("hubspot")
    recs = backend.records
    rng = random.Random(5)
    for i in range(search.INDEX_MIN_RECORDS + 500):
        recs.create("contacts", {"email": f"i{i}@example.com"})
        if rng.random() < 0.02:
            sb.clock.advance(rng.choice([0.001, 1, 5]))
    live = list(recs.all("contacts"))
    for r in rng.sample(live, 300):  # later modifications, some archived
        sb.clock.advance(rng.choice([0, 0.001, 2]))
        recs.update(r, {"firstname": "x"})
    for r in rng.sample(live, 40):
        recs.archive(r)
    return recs


def _stamps(store: object) -> list[int]:
    return sorted({r.updated_at_ms for r in store.all("contacts")})  # type: ignore[attr-defined]


def test_fast_path_matches_scan(store: object) -> None:
    rng = random.Random(11)
    stamps = _stamps(store)
    ids = sorted(int(r.id) for r in store.all("contacts"))  # type: ignore[attr-defined]
    ops = ["GTE", "GT", "LTE", "LT", "EQ", "BETWEEN"]
    catalog = store.backend.properties  # type: ignore[attr-defined]
    for _ in range(300):
        filters = []
        for _ in range(rng.choice([1, 1, 2])):
            op = rng.choice(ops)
            v = rng.choice(stamps) + rng.choice([0, 0, -1, 1])
            hi = str(v + rng.choice([0, 1000, 5000])) if op == "BETWEEN" else None
            filters.append(Filter("lastmodifieddate", op, str(v), hi))
        if rng.random() < 0.3:
            filters.append(Filter("hs_object_id", rng.choice(["GT", "GTE"]), str(rng.choice(ids))))
        # (hs_lastmodifieddate is no contact property: test_other_shapes_fall_back)
        sort = rng.choice([None, Sort("lastmodifieddate"), Sort("hs_object_id")])
        offset, limit = rng.choice([0, 0, 100, 1000]), rng.choice([1, 10, 200])
        fast = search.run_page_indexed(store, "contacts", [filters], sort, None, offset, limit)
        slow = search.run_page(catalog, store.all("contacts"), "contacts", [filters], sort, None, offset, limit)  # type: ignore[attr-defined]
        assert fast is not None
        assert ([r.id for r in fast[0]], fast[1]) == ([r.id for r in slow[0]], slow[1]), (filters, sort)


def test_other_shapes_fall_back(store: object) -> None:
    f = Filter("lastmodifieddate", "GTE", "0")
    assert search.run_page_indexed(store, "contacts", [[f]], Sort("lastmodifieddate", True), None, 0, 10) is None
    assert search.run_page_indexed(store, "contacts", [[f], [f]], None, None, 0, 10) is None
    assert search.run_page_indexed(store, "contacts", [[Filter("email", "EQ", "a")]], None, None, 0, 10) is None
    assert search.run_page_indexed(store, "contacts", [[f]], None, "ada", 0, 10) is None
    # Contacts have no `hs_lastmodifieddate` (companies and deals do): no alias, no fast path.
    assert search.run_page_indexed(store, "contacts", [[f]], Sort("hs_lastmodifieddate"), None, 0, 10) is None
    alias = Filter("hs_lastmodifieddate", "GTE", "0")
    assert search.run_page_indexed(store, "contacts", [[alias]], None, None, 0, 10) is None


def test_index_follows_writes(store: object) -> None:
    f = [[Filter("lastmodifieddate", "GTE", str(_stamps(store)[-1] + 1))]]
    assert search.run_page_indexed(store, "contacts", f, None, None, 0, 10) == ([], 0)
    rec = next(iter(store.all("contacts")))  # type: ignore[attr-defined]
    store.backend.sandbox.clock.advance(60)  # type: ignore[attr-defined]
    store.update(rec, {"firstname": "later"})  # type: ignore[attr-defined]
    got = search.run_page_indexed(store, "contacts", f, None, None, 0, 10)
    assert got is not None and [r.id for r in got[0]] == [rec.id]


def _shapes(rng: random.Random, stamps: list[int], ids: list[int]) -> tuple[list[Filter], Sort | None, int, int]:
    lo = rng.choice(stamps) + rng.choice([0, -1, 1])
    filters = [Filter("lastmodifieddate", "GTE", str(lo))]
    if rng.random() < 0.5:
        filters.append(Filter("lastmodifieddate", "LTE", str(lo + rng.choice([0, 1000, 60_000, 10**9]))))
    if rng.random() < 0.3:
        filters.append(Filter("hs_object_id", "GT", str(rng.choice(ids))))
    sort = rng.choice([None, Sort("lastmodifieddate"), Sort("hs_object_id")])
    return filters, sort, rng.choice([0, 0, 100, 1000]), rng.choice([1, 10, 200])


def test_patched_index_and_index_lag_match_the_scan() -> None:
    """Writes between searches (an engine writing back while it pages through a capture) patch the
    cached index instead of re-sorting it, and with index lag the fast path answers over what
    search still shows: both exactly as the scan over the visible records answers."""
    sb = Sandbox(seed=4)
    backend = sb.backend("hubspot")
    backend.settings["search_lag_seconds"] = 3
    recs = backend.records
    rng = random.Random(8)
    for i in range(search.INDEX_MIN_RECORDS + 300):
        recs.create("contacts", {"email": f"l{i}@example.com"})
        if rng.random() < 0.05:
            sb.clock.advance(rng.choice([0.001, 1]))
    sb.clock.advance(10)  # past the lag: the creates are searchable
    catalog = backend.properties
    checked = lagged = 0
    for _ in range(60):
        live = list(recs.all("contacts"))
        for r in rng.sample(live, rng.choice([1, 5, 40])):  # the engine's writes since the last page
            sb.clock.advance(rng.choice([0, 0.001, 0.5]))
            if rng.random() < 0.1:
                recs.archive(r)
            else:
                recs.update(r, {"firstname": f"x{rng.random()}"})
        if rng.random() < 0.2:
            recs.create("contacts", {"email": f"n{rng.random()}@example.com"})
        sb.clock.advance(rng.choice([0, 1, 4]))
        stamps = sorted({r.updated_at_ms for r in recs.all("contacts")})
        ids = sorted(int(r.id) for r in recs.all("contacts"))
        for _ in range(5):
            filters, sort, offset, limit = _shapes(rng, stamps, ids)
            lagging = recs.search_view.lagging("contacts")
            lagged += lagging is not None
            visible = recs.search_view.visible("contacts")
            seen = visible if visible is not None else list(recs.all("contacts"))
            fast = search.run_page_indexed(recs, "contacts", [filters], sort, None, offset, limit, lagging)
            slow = search.run_page(catalog, seen, "contacts", [filters], sort, None, offset, limit)
            assert fast is not None
            assert ([r.id for r in fast[0]], fast[1]) == ([r.id for r in slow[0]], slow[1]), (filters, sort)
            checked += 1
    assert checked == 300 and lagged > 50  # the lag really was in play
    cached = recs.search_cache["contacts"][1]
    rebuilt = sorted(recs.all("contacts"), key=lambda r: (r.updated_at_ms, int(r.id)))
    assert [r.id for r in cached[1]] == [r.id for r in rebuilt]  # patched, never rebuilt wrong
