"""Shared test data for the SOQL engine: a small Lead/User/Account schema and records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from simulator.salesforce.soql.memory import DictSchema, DictSource, sample_schema

NOW = datetime(2024, 5, 15, 12, 30, tzinfo=UTC)  # a Wednesday


def fixed_now() -> datetime:
    return NOW


def lead_id(n: int) -> str:
    return f"00Q{n:012d}AAA"


def user_id(n: int) -> str:
    return f"005{n:012d}AAA"


def lead(n: int, **values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "Id": lead_id(n),
        "IsDeleted": False,
        "FirstName": None,
        "LastName": f"Last{n}",
        "Email": None,
        "Company": "Acme",
        "Status": "Open - Not Contacted",
        "Interests__c": None,
        "NumberOfEmployees": None,
        "AnnualRevenue": None,
        "Score__c": None,
        "IsConverted": False,
        "ConvertedDate": None,
        "CreatedDate": datetime(2024, 5, 1, tzinfo=UTC),
        "SystemModstamp": datetime(2024, 5, 1, tzinfo=UTC),
        "OwnerId": None,
        "ConvertedAccountId": None,
    }
    base.update(values)
    return base


@pytest.fixture
def schema() -> DictSchema:
    return sample_schema()


@pytest.fixture
def source() -> DictSource:
    return make_source()


def make_source() -> DictSource:
    src = DictSource(
        eq_indexes={"Lead": {"Id", "Email", "OwnerId"}, "User": {"Id"}},
        range_indexes={"Lead": {"SystemModstamp", "CreatedDate"}},
    )
    src.insert(
        "User",
        {"Id": user_id(1), "Name": "Ann Admin", "Email": "ann@x.io", "IsActive": True, "ManagerId": None},
    )
    src.insert(
        "User",
        {"Id": user_id(2), "Name": "Bob", "Email": "bob@x.io", "IsActive": False, "ManagerId": user_id(1)},
    )
    src.insert(
        "Account", {"Id": "001000000000001AAA", "IsDeleted": False, "Name": "Acme Inc", "OwnerId": user_id(2)}
    )
    src.insert(
        "Lead",
        lead(
            1,
            FirstName="Ada",
            LastName="Lovelace",
            Email="Ada@Example.com",
            Interests__c="Sync;Billing",
            NumberOfEmployees=10,
            AnnualRevenue=1000.5,
            OwnerId=user_id(1),
            CreatedDate=datetime(2024, 5, 15, 8, 0, tzinfo=UTC),
            SystemModstamp=datetime(2024, 5, 15, 9, 0, tzinfo=UTC),
        ),
    )
    src.insert(
        "Lead",
        lead(
            2,
            FirstName="Grace",
            LastName="Hopper",
            Email="grace@example.com",
            Company="Navy",
            Status="Working - Contacted",
            Interests__c="Sync",
            NumberOfEmployees=500,
            OwnerId=user_id(2),
            CreatedDate=datetime(2024, 5, 14, 23, 59, 59, tzinfo=UTC),
            SystemModstamp=datetime(2024, 5, 14, 23, 59, 59, tzinfo=UTC),
        ),
    )
    src.insert(
        "Lead",
        lead(
            3,
            LastName="O'Brien",
            Email="obrien_%@example.org",
            Company="Acme",
            IsConverted=True,
            Status="Closed - Converted",
            ConvertedDate=date(2024, 5, 10),
            ConvertedAccountId="001000000000001AAA",
            CreatedDate=datetime(2024, 4, 30, tzinfo=UTC),
        ),
    )
    src.insert("Lead", lead(4, LastName="Deleted", IsDeleted=True, Email="gone@example.com"))
    return src


@pytest.fixture
def run(schema: DictSchema, source: DictSource) -> Callable[..., object]:
    from simulator.salesforce import soql

    def _run(text: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return soql.execute(text, schema, source, fixed_now, **kwargs)  # type: ignore[arg-type]

    return _run
