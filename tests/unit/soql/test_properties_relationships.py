"""Property tests for aggregates, semi-/anti-joins, child sub-queries and FIELDS(): random accounts,
opportunities and contact roles; every query's answer is compared with a plain Python evaluation
written independently of the engine (dicts, loops, `min`/`max`/`sum`), with and without indexes."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.salesforce import soql
from simulator.salesforce.soql.memory import DictSchema, DictSource
from simulator.salesforce.soql.schema import FieldInfo as F

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STAGES = ["Prospecting", "prospecting", "Closed Won", "Closed Lost"]  # case differs: groups fold it
ROLES = ["Decision Maker", "Evaluator", "Other"]
DAYS = [date(2024, 1, 1) + timedelta(days=d) for d in range(0, 60, 7)]

SCHEMA = DictSchema(
    {
        "Account": [F("Id", "id"), F("IsDeleted", "boolean"), F("Name", "string"), F("Region__c", "string")],
        "Opportunity": [
            F("Id", "id"),
            F("IsDeleted", "boolean"),
            F("Name", "string"),
            F("StageName", "picklist"),
            F("Amount", "currency"),
            F("CloseDate", "date"),
            F("AccountId", "reference", ("Account",), "Account"),
        ],
        "OpportunityContactRole": [
            F("Id", "id"),
            F("IsDeleted", "boolean"),
            F("OpportunityId", "reference", ("Opportunity",), "Opportunity"),
            F("Role", "picklist"),
            F("IsPrimary", "boolean"),
        ],
    },
    children={
        "Account": [("Opportunities", "Opportunity", "AccountId")],
        "Opportunity": [("OpportunityContactRoles", "OpportunityContactRole", "OpportunityId")],
    },
)

Rec = dict[str, Any]


def maybe(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), s)


opp_values = st.fixed_dictionaries(
    {
        "StageName": maybe(st.sampled_from(STAGES)),
        "Amount": maybe(st.sampled_from([0.0, 10.0, 12.5, 100.0, 250.0])),
        "CloseDate": maybe(st.sampled_from(DAYS)),
        "account": maybe(st.integers(0, 2)),
        "IsDeleted": st.booleans(),
    }
)
role_values = st.fixed_dictionaries(
    {
        "opp": st.integers(0, 7),
        "Role": maybe(st.sampled_from(ROLES)),
        "IsPrimary": st.booleans(),
        "IsDeleted": st.booleans(),
    }
)


class World:
    def __init__(self, opps: list[Rec], roles: list[Rec]) -> None:
        self.accounts = [
            {"Id": f"001{n:012d}AAA", "IsDeleted": False, "Name": f"Acc{n}", "Region__c": "EU" if n else None}
            for n in range(3)
        ]
        self.opps: list[Rec] = []
        for n, v in enumerate(opps):
            acc = self.accounts[v["account"]]["Id"] if v["account"] is not None else None
            self.opps.append(
                {"Id": f"006{n:012d}AAA", "Name": f"Opp{n:02d}", "AccountId": acc,
                 **{k: v[k] for k in ("StageName", "Amount", "CloseDate", "IsDeleted")}}
            )
        self.roles: list[Rec] = []
        for n, v in enumerate(roles):
            if v["opp"] >= len(self.opps):
                continue
            self.roles.append(
                {"Id": f"00K{n:012d}AAA", "OpportunityId": self.opps[v["opp"]]["Id"],
                 **{k: v[k] for k in ("Role", "IsPrimary", "IsDeleted")}}
            )

    def sources(self) -> list[DictSource]:
        indexed = DictSource(
            eq_indexes={"Opportunity": {"AccountId", "StageName"}, "OpportunityContactRole": {"OpportunityId"}},
            range_indexes={"Opportunity": {"CloseDate", "Amount"}},
        )
        plain = DictSource()
        for src in (indexed, plain):
            for obj, rows in (("Account", self.accounts), ("Opportunity", self.opps),
                              ("OpportunityContactRole", self.roles)):
                for r in rows:
                    src.insert(obj, r)
        return [indexed, plain]

    def live(self, rows: list[Rec]) -> list[Rec]:
        return [r for r in rows if not r["IsDeleted"]]


def run(src: DictSource, q: str) -> soql.QueryResult:
    return soql.execute(q, SCHEMA, src, lambda: NOW)


worlds = st.builds(World, st.lists(opp_values, max_size=8), st.lists(role_values, max_size=12))
min_amount = st.sampled_from([None, 0.0, 12.5, 100.0])


@SETTINGS
@given(worlds, min_amount, st.integers(0, 3))
def test_group_by_matches_python(world: World, floor: float | None, having: int) -> None:
    where = "" if floor is None else f" WHERE Amount >= {floor}"
    q = (f"SELECT StageName, COUNT(Id), COUNT(Amount) n, SUM(Amount), AVG(Amount), MIN(CloseDate), "
         f"MAX(CloseDate) FROM Opportunity{where} GROUP BY StageName HAVING COUNT(Id) >= {having}")
    groups: dict[Any, list[Rec]] = defaultdict(list)
    first: dict[Any, Any] = {}
    for r in world.live(world.opps):
        if floor is not None and (r["Amount"] is None or r["Amount"] < floor):
            continue
        key = r["StageName"].casefold() if r["StageName"] is not None else None
        first.setdefault(key, r["StageName"])
        groups[key].append(r)
    expected = []
    for key, members in groups.items():
        if len(members) < having:
            continue
        amounts = [m["Amount"] for m in members if m["Amount"] is not None]
        days = [m["CloseDate"] for m in members if m["CloseDate"] is not None]
        expected.append((
            first[key], len(members), len(amounts),
            sum(amounts) if amounts else None,
            sum(amounts) / len(amounts) if amounts else None,
            min(days) if days else None, max(days) if days else None,
        ))
    for src in world.sources():
        rows = run(src, q).records
        # Groups are case-insensitive; which member's spelling names the group is not documented,
        # so the name is compared case-folded and must be one of the group's own spellings.
        for r in rows:
            name = r["StageName"]
            key = name.casefold() if name is not None else None
            assert name in {m["StageName"] for m in groups[key]}
        got = [(fold(r["StageName"]), r["expr0"], r["n"], r["expr1"], r["expr2"], r["expr3"], r["expr4"])
               for r in rows]
        want = [(fold(e[0]), *e[1:]) for e in expected]
        assert sorted(got, key=repr) == sorted(want, key=repr)


def fold(name: str | None) -> str | None:
    return name.casefold() if name is not None else None


@SETTINGS
@given(worlds)
def test_ungrouped_aggregate_is_one_row(world: World) -> None:
    live = world.live(world.opps)
    amounts = [r["Amount"] for r in live if r["Amount"] is not None]
    for src in world.sources():
        rows = run(src, "SELECT COUNT(Id), MAX(Amount), COUNT_DISTINCT(AccountId) FROM Opportunity").records
        assert [(r["expr0"], r["expr1"], r["expr2"]) for r in rows] == [
            (len(live), max(amounts) if amounts else None,
             len({r["AccountId"] for r in live if r["AccountId"] is not None}))
        ]


@SETTINGS
@given(worlds, st.sampled_from(ROLES), st.booleans(), st.booleans())
def test_semi_and_anti_joins_match_python(world: World, role: str, negated: bool, primary_only: bool) -> None:
    inner_where = f"Role = '{role}'" + (" AND IsPrimary = true" if primary_only else "")
    q = (f"SELECT Id FROM Opportunity WHERE Id {'NOT IN' if negated else 'IN'} "
         f"(SELECT OpportunityId FROM OpportunityContactRole WHERE {inner_where}) ORDER BY Name")
    with_role = {
        r["OpportunityId"] for r in world.live(world.roles)
        if r["Role"] == role and (r["IsPrimary"] or not primary_only)
    }
    expected = [o["Id"] for o in world.live(world.opps) if (o["Id"] in with_role) != negated]
    for src in world.sources():
        assert [r["Id"] for r in run(src, q).records] == expected


@SETTINGS
@given(worlds, st.booleans())
def test_accounts_with_opportunities_by_anti_join(world: World, negated: bool) -> None:
    q = (f"SELECT Id FROM Account WHERE Id {'NOT IN' if negated else 'IN'} "
         "(SELECT AccountId FROM Opportunity WHERE StageName = 'prospecting') ORDER BY Name")
    hits = {o["AccountId"] for o in world.live(world.opps)
            if o["StageName"] is not None and o["StageName"].casefold() == "prospecting"}
    expected = [a["Id"] for a in world.accounts if (a["Id"] in hits) != negated]
    for src in world.sources():
        assert [r["Id"] for r in run(src, q).records] == expected


@SETTINGS
@given(worlds, st.sampled_from([None, *ROLES]), st.sampled_from([None, 1, 2]))
def test_child_sub_queries_match_python(world: World, role: str | None, limit: int | None) -> None:
    where = "" if role is None else f" WHERE Role = '{role}'"
    lim = "" if limit is None else f" LIMIT {limit}"
    q = (f"SELECT Id, (SELECT Id, Role FROM OpportunityContactRoles{where} ORDER BY Id DESC{lim}) "
         "FROM Opportunity ORDER BY Name")
    expected = []
    for o in world.live(world.opps):
        kids = [r for r in world.live(world.roles) if r["OpportunityId"] == o["Id"] and (role is None or r["Role"] == role)]
        kids.sort(key=lambda r: r["Id"], reverse=True)
        kids = kids[:limit] if limit is not None else kids
        expected.append((o["Id"], [(k["Id"], k["Role"]) for k in kids] or None))
    for src in world.sources():
        rows = run(src, q).records
        got = []
        for r in rows:
            child = r["OpportunityContactRoles"]
            got.append((r["Id"], None if child is None else [(c["Id"], c["Role"]) for c in child]))
        assert got == expected
        rendered = soql.render_record(rows[0]) if rows else None
        if rendered is not None and rendered["OpportunityContactRoles"] is not None:
            nested = rendered["OpportunityContactRoles"]
            assert nested["done"] is True and nested["totalSize"] == len(nested["records"])


@SETTINGS
@given(worlds, st.sampled_from(["STANDARD", "ALL", "CUSTOM"]))
def test_fields_macros_select_the_schema_fields(world: World, kind: str) -> None:
    q = f"SELECT FIELDS({kind}) FROM Account LIMIT 200"
    names = [f.name for f in SCHEMA.fields("Account")]
    wanted = {"ALL": names, "STANDARD": [n for n in names if not n.endswith("__c")],
              "CUSTOM": [n for n in names if n.endswith("__c")]}[kind]
    for src in world.sources():
        rows = run(src, q).records
        assert [list(r) for r in rows] == [wanted] * len(world.accounts)
        assert [r[n] for r in rows for n in wanted] == [a[n] for a in world.accounts for n in wanted]
