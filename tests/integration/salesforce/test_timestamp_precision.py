"""One timestamp precision, milliseconds, stored, compared and returned (issue 13).

Salesforce keeps dateTime values to the millisecond and returns them as `...T10:00:00.123+0000`
(REST API Developer Guide, "Valid Date and DateTime Formats"; SOAP API "Primitive Data Types":
dateTime). A fake that stored microseconds but showed milliseconds made `WHERE SystemModstamp =
<the value it returned>` match nothing and `<=` miss the record: an engine's window check then
failed on every tick against the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime

from simulator import Sandbox
from simulator.salesforce.wire import parse_datetime


def test_a_returned_modstamp_matches_itself(sf, sandbox: Sandbox) -> None:  # noqa: ANN001
    sandbox.clock.set(datetime(2026, 2, 3, 4, 5, 6, 789654, tzinfo=UTC))  # sub-millisecond digits
    lead = sf.Lead.create({"LastName": "Precise", "Company": "Acme"})["id"]
    stamp = sf.Lead.get(lead)["SystemModstamp"]
    assert stamp == "2026-02-03T04:05:06.789+0000"
    literal = stamp.replace("+0000", "Z")
    for op in ("=", "<=", ">="):
        res = sf.query(f"SELECT Id FROM Lead WHERE SystemModstamp {op} {literal}")
        assert [r["Id"] for r in res["records"]] == [lead], op
    assert sf.query(f"SELECT Id FROM Lead WHERE SystemModstamp < {literal}")["totalSize"] == 0


def test_wall_clock_records_are_stored_in_milliseconds() -> None:
    sb = Sandbox(seed=2, virtual_clock=False)
    backend = sb.backend("salesforce")
    for i in range(20):
        backend.create("Lead", {"LastName": f"W{i}", "Company": "Acme"})
    stamps = [rec[f] for rec in backend.iter_records("Lead") for f in ("CreatedDate", "SystemModstamp", "LastModifiedDate")]
    assert len(stamps) == 60 and all(isinstance(t, datetime) and t.microsecond % 1000 == 0 for t in stamps)


def test_incoming_datetimes_keep_milliseconds_only() -> None:
    assert parse_datetime("2024-05-01T10:00:00.123456Z") == datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert parse_datetime("2024-05-01T10:00:00.1+01:00") == datetime(2024, 5, 1, 9, 0, 0, 100000, tzinfo=UTC)
