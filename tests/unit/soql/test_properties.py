"""Property tests: random records + random WHERE clauses, each generated together with a plain
Python predicate written independently of the engine; the engine (with and without indexes) must
select exactly the records the predicate selects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.salesforce import soql
from simulator.salesforce.soql.memory import DictSource, sample_schema

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
SCHEMA = sample_schema()
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Rec = dict[str, Any]
Pred = Callable[[Rec], bool]
Cond = tuple[str, Pred]

TEXTS = ["a", "A", "b", "ab", "aB%", "a_b", "O'x", 'q"t', "back\\slash", "line\nbreak", "zz", "é"]
PICKS = ["Red", "Green", "Blue"]
DAYS = [TODAY + timedelta(days=d) for d in range(-10, 11)]
STAMPS = [NOW + timedelta(hours=h) for h in range(-60, 61, 7)]


# --- records ---------------------------------------------------------------------------------------
def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


record_values = st.fixed_dictionaries(
    {
        "LastName": maybe(st.sampled_from([*TEXTS, ""])),
        "Email": maybe(st.sampled_from(TEXTS)),
        "Status": maybe(st.sampled_from(PICKS)),
        "Interests__c": maybe(
            st.lists(st.sampled_from(PICKS), min_size=1, max_size=3, unique=True).map(";".join)
        ),
        "NumberOfEmployees": maybe(st.integers(-3, 3)),
        "Score__c": maybe(st.sampled_from([-1.5, 0.0, 0.25, 2.0, 3.75])),
        "IsConverted": st.booleans(),
        "ConvertedDate": maybe(st.sampled_from(DAYS)),
        "CreatedDate": maybe(st.sampled_from(STAMPS)),
        "IsDeleted": st.booleans(),
    }
)


def build_source(values: list[Rec]) -> tuple[DictSource, DictSource, list[Rec]]:
    indexed = DictSource(
        eq_indexes={"Lead": {"Email", "Status", "NumberOfEmployees"}},
        range_indexes={"Lead": {"CreatedDate", "ConvertedDate", "Score__c"}},
    )
    plain = DictSource()
    records = []
    for n, vals in enumerate(values):
        rec = {"Id": f"00Q{n:012d}AAA", **vals}
        records.append(rec)
        indexed.insert("Lead", rec)
        plain.insert("Lead", rec)
    return indexed, plain, records


# --- oracle helpers (deliberately naive, no regexes) -----------------------------------------------
def text_of(v: Any) -> str | None:
    return None if v in (None, "") else v.casefold()


def quote(s: str) -> str:
    out = s.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"').replace("\n", "\\n")
    return f"'{out}'"


def like_match(pattern: list[str], value: str) -> bool:
    """pattern items: '%' (any run), '_' (one char) or a one-char literal wrapped as 'L<c>'."""
    if not pattern:
        return value == ""
    head, rest = pattern[0], pattern[1:]
    if head == "%":
        return any(like_match(rest, value[i:]) for i in range(len(value) + 1))
    if not value:
        return False
    if head == "_":
        return like_match(rest, value[1:])
    return head[1].casefold() == value[0].casefold() and like_match(rest, value[1:])


def render_like(pattern: list[str]) -> str:
    body = ""
    for item in pattern:
        if item in ("%", "_"):
            body += item
        else:
            c = item[1]
            body += {"%": "\\%", "_": "\\_", "'": "\\'", "\\": "\\\\", '"': '\\"', "\n": "\\n"}.get(c, c)
    return f"'{body}'"


CMP: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def scalar(field: str, op: str, lit_text: str, lit: Any, norm: Callable[[Any], Any]) -> Cond:
    def pred(r: Rec) -> bool:
        v = norm(r[field])
        if op == "=":
            return v is not None and v == lit
        if op == "!=":
            return v is None or v != lit
        return v is not None and CMP[op](v, lit)

    return f"{field} {op} {lit_text}", pred


OPS = ["=", "!=", "<", "<=", ">", ">="]


def fmt_dt(d: datetime, style: int) -> str:
    if style == 0:
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 1:
        return d.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")
    shifted = d.astimezone(timezone(timedelta(hours=-5)))
    return shifted.strftime("%Y-%m-%dT%H:%M:%S-0500")


def day_range(name: str, n: int) -> tuple[date, date]:
    if name == "TODAY":
        return TODAY, TODAY + timedelta(days=1)
    if name == "YESTERDAY":
        return TODAY - timedelta(days=1), TODAY
    if name == "LAST_N_DAYS":
        return TODAY - timedelta(days=n), TODAY + timedelta(days=1)
    return TODAY + timedelta(days=1), TODAY + timedelta(days=1 + n)  # NEXT_N_DAYS


def range_cond(field: str, op: str, name: str, n: int, as_datetime: bool) -> Cond:
    lo, hi = day_range(name, n)
    text = f"{field} {op} {name}" + (f":{n}" if "_N_" in name else "")

    def pred(r: Rec) -> bool:
        v = r[field]
        if v is None:
            return op == "!="
        d = v.date() if as_datetime else v  # datetimes here are UTC
        inside = lo <= d < hi
        return {
            "=": inside,
            "!=": not inside,
            "<": d < lo,
            "<=": d < hi,
            ">": d >= hi,
            ">=": d >= lo,
        }[op]

    return text, pred


# --- condition strategies --------------------------------------------------------------------------
text_field = st.sampled_from(["LastName", "Email"])
like_item = st.one_of(st.sampled_from(["%", "_"]), st.sampled_from("aAbB%_'é\\").map(lambda c: "L" + c))


@st.composite
def leaf(draw: st.DrawFn) -> Cond:
    kind = draw(st.integers(0, 11))
    if kind == 0:
        f, op, v = draw(text_field), draw(st.sampled_from(OPS)), draw(st.sampled_from(TEXTS))
        return scalar(f, op, quote(v), v.casefold(), text_of)
    if kind == 1:
        f, pattern = draw(text_field), draw(st.lists(like_item, max_size=4))
        return (
            f"{f} LIKE {render_like(pattern)}",
            lambda r: r[f] not in (None, "") and like_match(pattern, r[f]),
        )
    if kind == 2:
        f = draw(st.sampled_from(["LastName", "Email", "Status"]))
        vals = draw(st.lists(st.sampled_from([*TEXTS, *PICKS]), min_size=1, max_size=3))
        negate = draw(st.booleans())
        folded = {v.casefold() for v in vals}
        text = f"{f} {'NOT IN' if negate else 'IN'} ({', '.join(quote(v) for v in vals)})"
        return text, lambda r: ((t := text_of(r[f])) is not None and t in folded) != negate
    if kind == 3:
        f = draw(
            st.sampled_from(
                ["LastName", "Email", "Status", "NumberOfEmployees", "CreatedDate", "Interests__c"]
            )
        )
        eq = draw(st.booleans())
        return f"{f} {'=' if eq else '!='} null", lambda r: (r[f] in (None, "")) == eq
    if kind == 4:
        op, v = draw(st.sampled_from(OPS)), draw(st.integers(-4, 4))
        return scalar("NumberOfEmployees", op, str(v), v, lambda x: x)
    if kind == 5:
        op, v = draw(st.sampled_from(OPS)), draw(st.sampled_from([-2.0, 0.0, 0.25, 1.5, 3.75]))
        return scalar("Score__c", op, repr(v), v, lambda x: x)
    if kind == 6:
        v = draw(st.booleans())
        op = draw(st.sampled_from(["=", "!="]))
        return scalar("IsConverted", op, str(v).lower(), v, lambda x: x)
    if kind == 7:
        op, d = draw(st.sampled_from(OPS)), draw(st.sampled_from(DAYS))
        return scalar("ConvertedDate", op, d.isoformat(), d, lambda x: x)
    if kind == 8:
        op, d, style = draw(st.sampled_from(OPS)), draw(st.sampled_from(STAMPS)), draw(st.integers(0, 2))
        d = d + timedelta(seconds=draw(st.sampled_from([-1, 0, 1])))
        return scalar("CreatedDate", op, fmt_dt(d, style), d, lambda x: x)
    if kind == 9:
        f = draw(st.sampled_from(["ConvertedDate", "CreatedDate"]))
        name = draw(st.sampled_from(["TODAY", "YESTERDAY", "LAST_N_DAYS", "NEXT_N_DAYS"]))
        return range_cond(f, draw(st.sampled_from(OPS)), name, draw(st.integers(0, 5)), f == "CreatedDate")
    if kind == 10:
        groups = draw(
            st.lists(
                st.lists(st.sampled_from(PICKS), min_size=1, max_size=2, unique=True), min_size=1, max_size=2
            )
        )
        excludes = draw(st.booleans())
        text = f"Interests__c {'EXCLUDES' if excludes else 'INCLUDES'} ({', '.join(quote(';'.join(g)) for g in groups)})"

        def multi(r: Rec) -> bool:
            have = {p.casefold() for p in (r["Interests__c"] or "").split(";") if p}
            hit = bool(have) and any({p.casefold() for p in g} <= have for g in groups)
            return hit != excludes

        return text, multi
    v = draw(st.sampled_from(PICKS + ["red", "Purple"]))
    return scalar("Status", draw(st.sampled_from(["=", "!="])), quote(v), v.casefold(), text_of)


def combine(children: st.SearchStrategy[Cond]) -> st.SearchStrategy[Cond]:
    def join(word: str, parts: list[Cond]) -> Cond:
        text = f" {word} ".join(f"({t})" for t, _ in parts)
        preds = [p for _, p in parts]
        if word == "AND":
            return text, lambda r: all(p(r) for p in preds)
        return text, lambda r: any(p(r) for p in preds)

    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda ps: join("AND", ps)),
        st.lists(children, min_size=2, max_size=3).map(lambda ps: join("OR", ps)),
        children.map(lambda c: (f"NOT ({c[0]})", lambda r, p=c[1]: not p(r))),
    )


conditions = st.recursive(leaf(), combine, max_leaves=6)
# top-level AND of leaves without parentheses: the shape the planner turns into index look-ups
flat_and = st.lists(leaf(), min_size=1, max_size=3).map(
    lambda cs: (" AND ".join(t for t, _ in cs), lambda r: all(p(r) for _, p in cs))
)


def check(values: list[Rec], cond: Cond, include_deleted: bool) -> None:
    text, pred = cond
    indexed, plain, records = build_source(values)
    query = f"SELECT Id FROM Lead WHERE {text} ORDER BY Id"
    expected = [r["Id"] for r in records if (include_deleted or not r["IsDeleted"]) and pred(r)]
    for src in (indexed, plain):
        got = soql.execute(query, SCHEMA, src, lambda: NOW, include_deleted=include_deleted)
        assert [r["Id"] for r in got.records] == expected, query
    count = soql.execute(
        f"SELECT COUNT() FROM Lead WHERE {text}", SCHEMA, indexed, lambda: NOW, include_deleted
    )
    assert count.total_size == len(expected)


@SETTINGS
@given(st.lists(record_values, max_size=25), conditions, st.booleans())
def test_where_matches_python_predicate(values: list[Rec], cond: Cond, include_deleted: bool) -> None:
    check(values, cond, include_deleted)


@SETTINGS
@given(st.lists(record_values, max_size=25), flat_and, st.booleans())
def test_indexable_conjunctions_match_python_predicate(
    values: list[Rec], cond: Cond, include_deleted: bool
) -> None:
    check(values, cond, include_deleted)


order_fields = st.sampled_from(
    ["LastName", "NumberOfEmployees", "Score__c", "ConvertedDate", "CreatedDate", "IsConverted"]
)


def sort_key(field: str, v: Any) -> Any:
    return v.casefold() if isinstance(v, str) else v


@SETTINGS
@given(
    st.lists(record_values, max_size=25),
    st.lists(
        st.tuples(order_fields, st.booleans(), st.sampled_from([None, True, False])),
        min_size=1,
        max_size=3,
        unique_by=lambda t: t[0],
    ),
    st.one_of(st.none(), st.integers(0, 30)),
    st.one_of(st.none(), st.integers(0, 30)),
)
def test_order_limit_offset_match_python_sort(
    values: list[Rec], order: list[tuple[str, bool, bool | None]], limit: int | None, offset: int | None
) -> None:
    indexed, _, records = build_source(values)
    clauses = []
    for f, desc, nulls in order:
        clause = f + (" DESC" if desc else "")
        if nulls is not None:
            clause += " NULLS FIRST" if nulls else " NULLS LAST"
        clauses.append(clause)
    text = f"SELECT Id FROM Lead WHERE CreatedDate >= 2024-05-10T00:00:00Z ORDER BY {', '.join(clauses)}, Id"
    if limit is not None:
        text += f" LIMIT {limit}"
    if offset is not None:
        text += f" OFFSET {offset}"
    rows = [
        r
        for r in records
        if not r["IsDeleted"]
        and r["CreatedDate"] is not None
        and r["CreatedDate"] >= datetime(2024, 5, 10, tzinfo=UTC)
    ]
    rows.sort(key=lambda r: r["Id"])
    for f, desc, nulls in reversed(order):
        nulls_first = (not desc) if nulls is None else nulls
        present = sorted(
            (r for r in rows if r[f] not in (None, "")), key=lambda r: sort_key(f, r[f]), reverse=desc
        )
        missing = [r for r in rows if r[f] in (None, "")]
        rows = missing + present if nulls_first else present + missing
    start = offset or 0
    expected = rows[start : None if limit is None else start + limit]
    got = soql.execute(text, SCHEMA, indexed, lambda: NOW)
    assert [r["Id"] for r in got.records] == [r["Id"] for r in expected], text
