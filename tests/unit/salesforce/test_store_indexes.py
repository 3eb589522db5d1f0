"""Property test: whatever sequence of creates, updates, deletes, merges and rolled-back
transactions runs, the store's equality and range indexes agree with a brute-force scan."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import Sandbox
from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.models import SalesforceBackend, index_key

EMAILS = st.sampled_from(["a@x.io", "A@X.io", "b@x.io", "c@x.io", None])
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), EMAILS),
        st.tuples(st.just("update"), st.integers(0, 20), EMAILS),
        st.tuples(st.just("delete"), st.integers(0, 20)),
        st.tuples(st.just("merge"), st.integers(0, 20), st.integers(0, 20)),
        st.tuples(st.just("tx_fail"), EMAILS, st.integers(0, 20)),
        st.tuples(st.just("tick"), st.integers(1, 20 * 86400)),
    ),
    max_size=25,
)


def _check(store: SalesforceBackend) -> None:
    recs = store.records["Lead"]
    idx = store._indexes["Lead"]
    for name, buckets in idx.eq.items():
        expected: dict[Any, set[str]] = {}
        for rid, rec in recs.items():
            if rec.get(name) is not None:
                expected.setdefault(index_key(rec[name]), set()).add(rid)
        assert {k: v for k, v in buckets.items() if v} == expected, name
    for name, sl in idx.range.items():
        assert list(sl) == sorted((rec[name], rid) for rid, rec in recs.items()), name
    assert set(store.deleted_at) <= {
        rid for o in store.records.values() for rid, r in o.items() if r.get("IsDeleted")
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_indexes_match_records(ops: list[tuple]) -> None:
    sb = Sandbox(seed=5)
    store: SalesforceBackend = sb.backend("salesforce")
    made: list[str] = []
    for op in ops:
        try:
            if op[0] == "create":
                made.append(store.create("Lead", {"LastName": "n", "Company": "c", "Email": op[1]}))
            elif op[0] == "update" and made:
                store.update("Lead", made[op[1] % len(made)], {"Email": op[2]})
            elif op[0] == "delete" and made:
                store.delete("Lead", made[op[1] % len(made)])
            elif op[0] == "merge" and made:
                store.merge("Lead", made[op[1] % len(made)], [made[op[2] % len(made)]])
            elif op[0] == "tx_fail":
                with store.transaction():
                    made.append(store.create("Lead", {"LastName": "t", "Company": "c", "Email": op[1]}))
                    if made[:-1]:
                        store.update("Lead", made[op[2] % len(made[:-1])], {"Title": "x"})
                    store.create("Lead", {"LastName": "missing company"})
            elif op[0] == "tick":
                sb.clock.advance(op[1])
                store.on_clock_advanced()
        except SalesforceError:
            pass
        _check(store)
