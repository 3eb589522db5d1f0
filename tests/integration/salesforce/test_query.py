"""REST query (`/query`, `/queryAll`, query locators) through simple-salesforce on the live fake."""

from __future__ import annotations

import re
from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from simulator import Sandbox


def _leads(sandbox: Sandbox, n: int, **extra: Any) -> list[str]:
    backend = sandbox.backend("salesforce")
    return [backend.create("Lead", {"LastName": f"L{i:05d}", "Company": "Acme", **extra}) for i in range(n)]


def test_query_shape_relationships_and_formats(sf, sandbox: Sandbox) -> None:  # noqa: ANN001
    backend = sandbox.backend("salesforce")
    acc = backend.create("Account", {"Name": "Parent Co"})
    con = backend.create("Contact", {"LastName": "Kid", "AccountId": acc, "Birthdate": "1990-02-03"})
    orphan = backend.create("Contact", {"LastName": "Orphan"})
    res = sf.query(
        "select id, lastname, birthdate, createddate, account.name, owner.username "
        f"from contact where id in ('{con}', '{orphan}') order by lastname"
    )
    assert res["totalSize"] == 2 and res["done"] is True and "nextRecordsUrl" not in res
    kid, lone = res["records"]
    assert kid["attributes"] == {"type": "Contact", "url": f"/services/data/v59.0/sobjects/Contact/{con}"}
    assert list(kid) == ["attributes", "Id", "LastName", "Birthdate", "CreatedDate", "Account", "Owner"]
    assert kid["Birthdate"] == "1990-02-03"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", kid["CreatedDate"])
    assert kid["Account"] == {
        "attributes": {"type": "Account", "url": f"/services/data/v59.0/sobjects/Account/{acc}"},
        "Name": "Parent Co",
    }
    assert kid["Owner"]["Username"] == "integration@example.com"
    assert kid["Owner"]["attributes"]["type"] == "User"
    assert lone["Account"] is None  # a null reference renders as null, not as an empty object


def test_ids_in_where_accept_15_and_18_characters(sf, sandbox: Sandbox) -> None:  # noqa: ANN001
    """Id and reference fields match a 15- or 18-character id, case-sensitively (indexed lookups and
    scans alike): a lower-cased 18-character id finds nothing in real SOQL either
    (salesforce.stackexchange.com/questions/50163)."""
    backend = sandbox.backend("salesforce")
    acc = backend.create("Account", {"Name": "Parent Co"})
    con = backend.create("Contact", {"LastName": "Kid", "AccountId": acc})
    backend.create("Contact", {"LastName": "Other"})

    def ids_of(where: str) -> list[str]:
        return [r["Id"] for r in sf.query(f"SELECT Id FROM Contact WHERE {where}")["records"]]

    for form in (acc, acc[:15]):
        assert ids_of(f"AccountId = '{form}'") == [con], form
        assert ids_of(f"AccountId IN ('{form}')") == [con], form
        assert ids_of(f"LastName = 'Kid' AND AccountId = '{form}'") == [con], form  # scan path
    for form in (acc.lower(), acc[:15].lower()):
        assert ids_of(f"AccountId = '{form}'") == [], form
        assert ids_of(f"LastName = 'Kid' AND AccountId = '{form}'") == [], form
    assert ids_of(f"Id = '{con[:15]}'") == [con]
    assert ids_of(f"Id = '{con.lower()}'") == []
    assert ids_of(f"AccountId != '{acc[:15]}'") == [ids_of("LastName = 'Other'")[0]]


def test_count_and_api_version_in_urls(sf, sandbox: Sandbox) -> None:  # noqa: ANN001
    _leads(sandbox, 3)
    assert sf.query("SELECT COUNT() FROM Lead") == {"totalSize": 3, "done": True, "records": []}
    r = sf.restful("query/", params={"q": "SELECT Id FROM Lead LIMIT 1"})
    assert r["records"][0]["attributes"]["url"].startswith("/services/data/v59.0/sobjects/Lead/")


def test_query_all_pages_5000_records_created_through_bulk2(sf) -> None:  # noqa: ANN001
    records = [{"LastName": f"Bulk{i:05d}", "Company": "Paging"} for i in range(5000)]
    [job] = sf.bulk2.Lead.insert(records=records, wait=0)
    assert job["numberRecordsProcessed"] == 5000 and job["numberRecordsFailed"] == 0
    first = sf.query("SELECT Id, LastName FROM Lead ORDER BY LastName")
    assert first["totalSize"] == 5000 and first["done"] is False and len(first["records"]) == 2000
    assert re.fullmatch(r"/services/data/v59\.0/query/01g[0-9A-Za-z]{15}-2000", first["nextRecordsUrl"])
    everything = sf.query_all("SELECT Id, LastName FROM Lead ORDER BY LastName")
    assert everything["totalSize"] == 5000 and everything["done"] is True
    names = [r["LastName"] for r in everything["records"]]
    assert names == [f"Bulk{i:05d}" for i in range(5000)]
    assert len({r["Id"] for r in everything["records"]}) == 5000
    streamed = list(sf.query_all_iter("SELECT Id FROM Lead"))
    assert len(streamed) == 5000


def test_batch_size_header_is_clamped(sf, sandbox: Sandbox) -> None:  # noqa: ANN001
    _leads(sandbox, 450)
    small = sf.query("SELECT Id FROM Lead", headers={"Sforce-Query-Options": "batchSize=300"})
    assert len(small["records"]) == 300 and small["nextRecordsUrl"].endswith("-300")
    rest = sf.query_more(small["nextRecordsUrl"], identifier_is_url=True)
    assert len(rest["records"]) == 150 and rest["done"] is True and rest["totalSize"] == 450
    tiny = sf.query("SELECT Id FROM Lead", headers={"Sforce-Query-Options": "batchSize=5"})
    assert len(tiny["records"]) == 200  # below the minimum: Salesforce uses 200
    huge = sf.query("SELECT Id FROM Lead", headers={"Sforce-Query-Options": "batchSize=99999"})
    assert len(huge["records"]) == 450 and huge["done"] is True


def test_query_all_includes_deleted_and_cursor_is_a_snapshot(sf, sandbox: Sandbox) -> None:  # noqa: ANN001
    ids = _leads(sandbox, 250)
    sf.Lead.delete(ids[0])
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 249
    everything = sf.query_all("SELECT Id, IsDeleted FROM Lead", include_deleted=True)
    assert everything["totalSize"] == 250
    assert [r["IsDeleted"] for r in everything["records"] if r["Id"] == ids[0]] == [True]
    first = sf.query(
        "SELECT Id, LastName FROM Lead ORDER BY LastName", headers={"Sforce-Query-Options": "batchSize=200"}
    )
    # Changes after the first page do not change which records the cursor hands out.
    sandbox.backend("salesforce").create("Lead", {"LastName": "A-new", "Company": "Late"})
    sf.Lead.update(ids[249], {"LastName": "L00249-renamed"})
    rest = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert rest["totalSize"] == 249 and len(rest["records"]) == 49
    assert rest["records"][-1]["LastName"] == "L00249-renamed"  # values are read when the page is fetched
    assert "A-new" not in [r["LastName"] for r in rest["records"]]


def test_query_all_continuation_uses_query_all_locator(sf, sandbox: Sandbox) -> None:  # noqa: ANN001
    _leads(sandbox, 210)
    res = sf.query(
        "SELECT Id FROM Lead", include_deleted=True, headers={"Sforce-Query-Options": "batchSize=200"}
    )
    assert "/queryAll/01g" in res["nextRecordsUrl"]
    locator = res["nextRecordsUrl"].rsplit("/", 1)[1]
    more = sf.query_more(locator, include_deleted=True)
    assert len(more["records"]) == 10 and more["done"] is True


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELEC Id FROM Lead", "MALFORMED_QUERY"),
        ("SELECT Nope FROM Lead", "INVALID_FIELD"),
        ("SELECT Id FROM Nope", "INVALID_TYPE"),
    ],
)
def test_soql_errors(sf, soql: str, code: str) -> None:  # noqa: ANN001
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query(soql)
    assert exc.value.status == 400
    assert exc.value.content[0]["errorCode"] == code and exc.value.content[0]["message"]


def test_unknown_locator(sf) -> None:  # noqa: ANN001
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query_more("01gHf0000000000AAA-2000")
    assert exc.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
