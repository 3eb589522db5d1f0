"""The planner uses equality / range indexes instead of scanning, and gives the same answers as a
scan. Uses an instrumented DictSource with 100k leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from simulator.salesforce import soql
from simulator.salesforce.soql.memory import DictSchema, DictSource, sample_schema

N = 100_000
BASE = datetime(2024, 1, 1, tzinfo=UTC)


def now() -> datetime:
    return datetime(2024, 6, 1, tzinfo=UTC)


def big_records() -> list[dict[str, Any]]:
    out = []
    for n in range(N):
        out.append(
            {
                "Id": f"00Q{n:012d}AAA",
                "IsDeleted": n % 997 == 0,
                "LastName": f"L{n % 50}",
                "Email": f"user{n}@example.com",
                "NumberOfEmployees": n % 7,
                # 4 records per second-step: lots of ties for the secondary-order test
                "SystemModstamp": BASE + timedelta(seconds=n // 4),
                "CreatedDate": BASE,
            }
        )
    return out


@pytest.fixture(scope="module")
def sources() -> tuple[DictSchema, DictSource, DictSource]:
    indexed = DictSource(eq_indexes={"Lead": {"Email"}}, range_indexes={"Lead": {"SystemModstamp"}})
    plain = DictSource()
    for rec in big_records():
        indexed.insert("Lead", rec)
        plain.insert("Lead", rec)
    return sample_schema(), indexed, plain


def run_both(
    sources: tuple[DictSchema, DictSource, DictSource], text: str, **kw: Any
) -> tuple[soql.QueryResult, dict[str, Any], int]:
    schema, indexed, plain = sources
    indexed.calls.clear()
    stats: dict[str, Any] = {}
    fast = soql.execute(text, schema, indexed, now, stats=stats, **kw)
    touched = indexed.calls["scanned_rows"] + indexed.calls["range_rows"]
    slow = soql.execute(text, schema, plain, now, **kw)
    assert fast.records == slow.records
    assert fast.total_size == slow.total_size
    return fast, stats, touched


def test_email_equality_uses_the_index(sources: Any) -> None:
    res, stats, touched = run_both(sources, "SELECT Id, Email FROM Lead WHERE Email = 'USER5000@example.com'")
    assert res.records == [{"Id": "00Q000000005000AAA", "Email": "user5000@example.com"}]
    assert stats["plan"] == "eq:Email"
    assert sources[1].calls["scan"] == 0 and touched == 0


def test_email_in_and_extra_conjuncts_use_the_index(sources: Any) -> None:
    text = "SELECT Id FROM Lead WHERE NumberOfEmployees = 1 AND Email IN ('user1@example.com', 'user8@example.com', 'x@y.z')"
    res, stats, touched = run_both(sources, text)
    assert [r["Id"] for r in res.records] == ["00Q000000000001AAA", "00Q000000000008AAA"]
    assert stats["plan"] == "eq:Email" and touched == 0


def test_deleted_rows_from_the_index_respect_query_all(sources: Any) -> None:
    text = "SELECT Id FROM Lead WHERE Email = 'user997@example.com'"
    assert run_both(sources, text)[0].records == []
    assert run_both(sources, text, include_deleted=True)[0].records == [{"Id": "00Q000000000997AAA"}]


def test_or_cannot_use_an_index(sources: Any) -> None:
    text = "SELECT Id FROM Lead WHERE Email = 'user1@example.com' OR Email = 'user2@example.com'"
    res, stats, _ = run_both(sources, text)
    assert stats["plan"] == "scan" and len(res.records) == 2


def test_range_window_with_order_and_limit_stops_early(sources: Any) -> None:
    text = (
        "SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp > 2024-01-01T02:00:00Z "
        "AND SystemModstamp <= 2024-01-02T00:00:00Z ORDER BY SystemModstamp LIMIT 200"
    )
    res, stats, touched = run_both(sources, text)
    assert stats["plan"] == "range:SystemModstamp"
    assert len(res.records) == 200
    assert res.records[0]["SystemModstamp"] == BASE + timedelta(hours=2, seconds=1)
    assert touched < 210  # a window, not the 80k rows the range covers


def test_range_with_secondary_order_keeps_ties_correct(sources: Any) -> None:
    text = (
        "SELECT Id FROM Lead WHERE SystemModstamp >= 2024-01-01T00:00:10Z AND SystemModstamp < 2024-01-01T01:00:00Z "
        "ORDER BY SystemModstamp, Id DESC LIMIT 6 OFFSET 1"
    )
    res, stats, touched = run_both(sources, text)
    assert stats["plan"] == "range:SystemModstamp"
    assert [r["Id"][3:15] for r in res.records] == [f"{n:012d}" for n in (42, 41, 40, 47, 46, 45)]
    assert touched < 20


def test_range_descending_and_date_literal(sources: Any) -> None:
    res, stats, _ = run_both(
        sources,
        "SELECT Id FROM Lead WHERE SystemModstamp = LAST_N_DAYS:152 AND NumberOfEmployees = 3 ORDER BY SystemModstamp DESC LIMIT 3",
    )
    assert stats["plan"] == "range:SystemModstamp" and len(res.records) == 3
    res, stats, _ = run_both(sources, "SELECT COUNT() FROM Lead WHERE SystemModstamp < 2024-01-01T00:00:05Z")
    assert res.total_size == 20 - 1  # record 0 is deleted


def test_range_index_not_used_for_relationship_or_other_fields(sources: Any) -> None:
    res, stats, _ = run_both(
        sources, "SELECT Id FROM Lead WHERE NumberOfEmployees > 5 AND LastName = 'L7' LIMIT 5"
    )
    assert stats["plan"] == "scan" and len(res.records) == 5


def test_sources_without_indexes_or_refusing_them() -> None:
    schema = sample_schema()

    class ScanOnly:
        def __init__(self) -> None:
            self.inner = DictSource()
            self.inner.insert("Lead", {"Id": "00Q000000000001AAA", "Email": "a@b.c", "IsDeleted": False})

        def scan(self, obj: str, include_deleted: bool = False) -> Any:
            return self.inner.scan(obj, include_deleted)

        def get(self, obj: str, record_id: str) -> Any:
            return self.inner.get(obj, record_id)

    stats: dict[str, Any] = {}
    res = soql.execute("SELECT Id FROM Lead WHERE Email = 'A@B.C'", schema, ScanOnly(), now, stats=stats)
    assert stats["plan"] == "scan" and len(res.records) == 1

    src = DictSource(range_indexes={"Lead": {"CreatedDate"}})  # Email not indexed: lookup_eq says None
    src.insert("Lead", {"Id": "00Q000000000001AAA", "Email": "a@b.c", "IsDeleted": False})
    res = soql.execute("SELECT Id FROM Lead WHERE Email = 'a@b.c'", schema, src, now, stats=stats)
    assert stats["plan"] == "scan" and len(res.records) == 1
