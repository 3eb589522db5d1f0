"""The store as the SOQL engine sees it: the schema/record-source protocols and indexed look-ups."""

from __future__ import annotations

from datetime import timedelta

from simulator import Sandbox
from simulator.salesforce.soql.schema import RecordSource, SoqlSchema


def test_store_implements_the_soql_protocols_with_indexes(sandbox: Sandbox) -> None:
    store = sandbox.backend("salesforce")
    src = store.source
    assert isinstance(src, SoqlSchema) and isinstance(src, RecordSource)
    assert src.resolve_object("lead").name == "Lead" and src.resolve_field("Lead", "email").name == "Email"
    assert src.resolve_relationship("Contact", "account") == ("AccountId", "Account")
    assert src.resolve_relationship("Task", "Who") == ("WhoId", "Contact")
    t0 = sandbox.clock.now()
    a = store.create("Lead", {"LastName": "A", "Company": "c", "Email": "A@x.io"})
    sandbox.clock.advance(60)
    b = store.create("Lead", {"LastName": "B", "Company": "c", "Email": "b@x.io"})
    task = store.create("Task", {"WhoId": a, "Subject": "s"})
    # equality index: case-insensitive text, deleted rows only when asked
    assert [r["Id"] for r in src.lookup_eq("Lead", "Email", ["a@X.IO", "b@x.io"])] == [a, b]
    store.delete("Lead", b)
    assert [r["Id"] for r in src.lookup_eq("Lead", "Email", ["b@x.io"])] == []
    assert [r["Id"] for r in src.lookup_eq("Lead", "Email", ["b@x.io"], include_deleted=True)] == [b]
    assert src.lookup_eq("Lead", "Title", ["x"]) is None  # no index: the engine scans
    assert [r["Id"] for r in src.lookup_eq("Lead", "Id", [a[:15], task])] == [
        a
    ]  # an id of another object never matches
    # range index on SystemModstamp, ascending, lazily, bounds exclusive on request
    rows = src.lookup_range("Lead", "SystemModstamp", t0, None, include_deleted=True)
    assert [r["Id"] for r in rows] == [a, b]
    assert [r["Id"] for r in src.lookup_range("Lead", "SystemModstamp", t0, low_inclusive=False)] == []
    assert [r["Id"] for r in src.lookup_range("Lead", "SystemModstamp", high=t0 + timedelta(seconds=30))] == [
        a
    ]
    assert src.lookup_range("Lead", "Title") is None
    # polymorphic parents resolve by the id's key prefix whatever object the caller guessed
    assert src.get("Contact", src.get("Task", task)["WhoId"])["LastName"] == "A"
    assert [r["Id"] for r in src.scan("Lead")] == [a]
    assert [r["Id"] for r in src.scan("Lead", include_deleted=True)] == [a, b]
