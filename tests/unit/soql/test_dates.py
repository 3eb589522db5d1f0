"""Relative date literals as [start, end) ranges around Wednesday 2024-05-15 (week starts Sunday)."""

from __future__ import annotations

from datetime import date

import pytest

from simulator.salesforce.soql.dates import N_LITERALS, RANGE_LITERALS, date_range

TODAY = date(2024, 5, 15)
D = date


@pytest.mark.parametrize(
    ("name", "n", "expected"),
    [
        ("TODAY", None, (D(2024, 5, 15), D(2024, 5, 16))),
        ("YESTERDAY", None, (D(2024, 5, 14), D(2024, 5, 15))),
        ("TOMORROW", None, (D(2024, 5, 16), D(2024, 5, 17))),
        ("THIS_WEEK", None, (D(2024, 5, 12), D(2024, 5, 19))),
        ("LAST_WEEK", None, (D(2024, 5, 5), D(2024, 5, 12))),
        ("NEXT_WEEK", None, (D(2024, 5, 19), D(2024, 5, 26))),
        ("THIS_MONTH", None, (D(2024, 5, 1), D(2024, 6, 1))),
        ("LAST_MONTH", None, (D(2024, 4, 1), D(2024, 5, 1))),
        ("NEXT_MONTH", None, (D(2024, 6, 1), D(2024, 7, 1))),
        ("THIS_QUARTER", None, (D(2024, 4, 1), D(2024, 7, 1))),
        ("LAST_QUARTER", None, (D(2024, 1, 1), D(2024, 4, 1))),
        ("NEXT_QUARTER", None, (D(2024, 7, 1), D(2024, 10, 1))),
        ("THIS_YEAR", None, (D(2024, 1, 1), D(2025, 1, 1))),
        ("LAST_YEAR", None, (D(2023, 1, 1), D(2024, 1, 1))),
        ("NEXT_YEAR", None, (D(2025, 1, 1), D(2026, 1, 1))),
        ("LAST_90_DAYS", None, (D(2024, 2, 15), D(2024, 5, 16))),  # 91 days including today
        ("NEXT_90_DAYS", None, (D(2024, 5, 16), D(2024, 8, 14))),  # starts tomorrow
        ("LAST_N_DAYS", 7, (D(2024, 5, 8), D(2024, 5, 16))),
        ("LAST_N_DAYS", 0, (D(2024, 5, 15), D(2024, 5, 16))),
        ("NEXT_N_DAYS", 3, (D(2024, 5, 16), D(2024, 5, 19))),
        ("N_DAYS_AGO", 2, (D(2024, 5, 13), D(2024, 5, 14))),
        ("LAST_N_WEEKS", 2, (D(2024, 4, 28), D(2024, 5, 12))),
        ("NEXT_N_WEEKS", 1, (D(2024, 5, 19), D(2024, 5, 26))),
        ("N_WEEKS_AGO", 1, (D(2024, 5, 5), D(2024, 5, 12))),
        ("LAST_N_MONTHS", 6, (D(2023, 11, 1), D(2024, 5, 1))),
        ("NEXT_N_MONTHS", 8, (D(2024, 6, 1), D(2025, 2, 1))),
        ("N_MONTHS_AGO", 5, (D(2023, 12, 1), D(2024, 1, 1))),
        ("LAST_N_QUARTERS", 2, (D(2023, 10, 1), D(2024, 4, 1))),
        ("NEXT_N_QUARTERS", 1, (D(2024, 7, 1), D(2024, 10, 1))),
        ("N_QUARTERS_AGO", 1, (D(2024, 1, 1), D(2024, 4, 1))),
        ("LAST_N_YEARS", 2, (D(2022, 1, 1), D(2024, 1, 1))),
        ("NEXT_N_YEARS", 1, (D(2025, 1, 1), D(2026, 1, 1))),
        ("N_YEARS_AGO", 3, (D(2021, 1, 1), D(2022, 1, 1))),
    ],
)
def test_literal_ranges(name: str, n: int | None, expected: tuple[date, date]) -> None:
    assert date_range(name, n, TODAY) == expected


def test_every_literal_is_covered_by_the_table() -> None:
    for name in RANGE_LITERALS:
        start, end = date_range(name, None, TODAY)
        assert start < end
    for name in N_LITERALS:
        start, end = date_range(name, 3, TODAY)
        assert start < end


def test_week_starting_on_sunday_and_saturday() -> None:
    assert date_range("THIS_WEEK", None, D(2024, 5, 12)) == (D(2024, 5, 12), D(2024, 5, 19))  # Sunday
    assert date_range("THIS_WEEK", None, D(2024, 5, 18)) == (D(2024, 5, 12), D(2024, 5, 19))  # Saturday


def test_month_arithmetic_across_year_end() -> None:
    assert date_range("NEXT_MONTH", None, D(2024, 12, 31)) == (D(2025, 1, 1), D(2025, 2, 1))
    assert date_range("LAST_MONTH", None, D(2024, 1, 31)) == (D(2023, 12, 1), D(2024, 1, 1))


def test_huge_n_clamps_instead_of_overflowing() -> None:
    start, end = date_range("LAST_N_DAYS", 10**12, TODAY)
    assert start == date.min and end == D(2024, 5, 16)
    start, end = date_range("NEXT_N_YEARS", 10**9, TODAY)
    assert end.year == 9999
