"""Volume: `given.generate` makes N records from templates with Faker under the scenario's seed,
and expectations check all of them at once (`every`, `hubspot.count`, `salesforce.count`).

    given:
      generate:
        - hubspot.contacts:
            count: 1000
            as: crowd                         # a group handle: every record made here
            properties:
              email: "person{n}@example.com"  # {n}: 1..count
              firstname: $fake.first_name     # a seeded Faker value per record
              lifecyclestage: [lead, Marketing Qualified Lead]   # a list: taken in turn
    then:
      - every: {group: crowd, linked: true, salesforce: {sobject: Lead, count: 1, fields: {LastName: any}}}

Records are created in batches over the public APIs (HubSpot batch create, 100 a call;
Salesforce sObject Collections, 200 a call), as a person's import would."""

from __future__ import annotations

from typing import Any

from scenarios.expectations import _count_problem, expectation
from scenarios.fakes import hs_values
from scenarios.model import Mismatch, Step
from scenarios.steps import hs_fill
from scenarios.values import matches
from scenarios.world import Handle, StepError, World

HS_BATCH = 100
SF_BATCH = 200
SOQL_IN_CHUNK = 100
EXAMPLES = 5


def _value(world: World, template: Any, n: int, what: str) -> Any:
    if isinstance(template, list):
        return _value(world, template[(n - 1) % len(template)], n, what)
    if isinstance(template, str):
        if template.startswith("$fake."):
            return world.resolve(template, what)
        return template.replace("{n}", str(n))
    return template


def _records(world: World, templates: dict[str, Any], count: int) -> list[dict[str, Any]]:
    return [{k: _value(world, v, n, k) for k, v in templates.items()} for n in range(1, count + 1)]


def generate(world: World, spec: dict[str, Any]) -> None:
    """One `given.generate` entry: `hubspot.contacts` or `salesforce.leads|contacts|records`."""
    ((kind, args),) = spec.items()
    count = int(args["count"])
    handles: list[Handle] = []
    if kind == "hubspot.contacts":
        rows = [hs_fill(world, r) for r in _records(world, args["properties"], count)]
        for start in range(0, count, HS_BATCH):
            chunk = rows[start : start + HS_BATCH]
            body = {"inputs": [{"properties": hs_values(r)} for r in chunk]}
            created = world.fakes.hs("POST", "/crm/v3/objects/contacts/batch/create", json=body).json()
            by_email = {str((c.get("properties") or {}).get("email") or "").lower(): c for c in created["results"]}
            for r in chunk:
                rec = by_email.get(str(r.get("email") or "").lower())
                if rec is None:
                    raise StepError("generate: a record without a unique email cannot be told apart; use {n} in email")
                handles.append(Handle(f"_hs{rec['id']}", "hubspot", "contact", str(rec["id"]), r.get("email")))
    else:
        sobject = {"salesforce.leads": "Lead", "salesforce.contacts": "Contact"}.get(kind) or args["sobject"]
        rows = [world.fill(r) for r in _records(world, args["fields"], count)]
        for start in range(0, count, SF_BATCH):
            chunk = rows[start : start + SF_BATCH]
            body = {"allOrNone": True, "records": [{"attributes": {"type": sobject}, **r} for r in chunk]}
            results = world.fakes.sf("POST", "/composite/sobjects", json=body).json()
            for r, res in zip(chunk, results, strict=True):
                if not res.get("success"):
                    raise StepError(f"generate: Salesforce refused a {sobject}: {res.get('errors')}")
                handles.append(Handle(f"_sf{res['id']}", "salesforce", sobject, str(res["id"]), r.get("Email")))
    if args.get("as"):
        world.groups[args["as"]] = handles


# --- checks over many records ---------------------------------------------------------------------


def _members(world: World, args: dict[str, Any]) -> tuple[str, list[Handle]]:
    if "group" in args:
        name = args["group"]
        if name not in world.groups:
            raise StepError(f"no group {name!r} (name one with `as:` in given.generate)")
        return f"group {name}", world.groups[name]
    ids = sorted(world.fakes.hs_list_member_ids(args["list"]))
    out: list[Handle] = []
    for start in range(0, len(ids), HS_BATCH):
        body = {"inputs": [{"id": i} for i in ids[start : start + HS_BATCH]], "properties": ["email"]}
        for rec in world.fakes.hs("POST", "/crm/v3/objects/contacts/batch/read", json=body).json()["results"]:
            email = (rec.get("properties") or {}).get("email")
            out.append(Handle(f"_hs{rec['id']}", "hubspot", "contact", str(rec["id"]), email))
    return f"list {args['list']!r}", out


def _sf_by_email(world: World, sobject: str, emails: list[str], fields: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    wanted = ", ".join(sorted({"Id", "Email", *fields}))
    for start in range(0, len(emails), SOQL_IN_CHUNK):
        quoted = ", ".join("'" + e.replace("\\", "\\\\").replace("'", "\\'") + "'" for e in emails[start : start + SOQL_IN_CHUNK])
        for rec in world.fakes.sf_query(f"SELECT {wanted} FROM {sobject} WHERE Email IN ({quoted})"):
            found.setdefault(str(rec.get("Email") or "").lower(), []).append(rec)
    return found


@expectation("every")
def _every(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    """Every record of a group (or every member of a list) meets the condition: `linked`, and/or
    `salesforce: {sobject, count (default 1), fields}` — records with its email."""
    label, members = _members(world, args)
    if not members:
        return [Mismatch(e, f"could not find any record in {label}: nothing to check", record=label)]
    problems: list[str] = []
    if "linked" in args:
        links = world.engine.links()
        for h in members:
            if (h.id in links) != bool(args["linked"]):
                problems.append(f"{h.email or h.id}: {'not linked' if args['linked'] else 'linked'}")
    sf = args.get("salesforce")
    if sf:
        want = int(sf.get("count", 1))
        expected = dict(sf.get("fields") or {})
        emails = [str(h.email).lower() for h in members if h.email]
        by_email = _sf_by_email(world, sf["sobject"], emails, list(expected))
        for h in members:
            recs = by_email.get(str(h.email or "").lower(), [])
            if len(recs) != want:
                problems.append(f"{h.email}: {len(recs)} Salesforce {sf['sobject']} record(s), expected {want}")
                continue
            for rec in recs:
                for field, value in expected.items():
                    ok, why = matches(world.resolve(value, field), rec.get(field))
                    if not ok:
                        problems.append(f"{h.email} {sf['sobject']} {field}: {why} ({value!r}), got {rec.get(field)!r}")
    if not problems:
        return []
    return [
        Mismatch(
            e,
            f"{len(problems)} of {len(members)} records in {label} fail: " + "; ".join(problems[:EXAMPLES])
            + (" ..." if len(problems) > EXAMPLES else ""),
            record=label,
        )
    ]


@expectation("salesforce.count")
def _sf_count(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    """How many records of an sObject meet `where` (every field equals; a list means any of)."""
    clauses = []
    for field, value in (args.get("where") or {}).items():
        values = value if isinstance(value, list) else [value]
        quoted = ", ".join("null" if v is None else "'" + str(world.resolve(v)).replace("'", "\\'") + "'" for v in values)
        clauses.append(f"{field} IN ({quoted})" if len(values) > 1 else f"{field} = {quoted}")
    soql = f"SELECT Id FROM {args['sobject']}" + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
    n = len(world.fakes.sf_query(soql))
    return _count_problem(e, args, n, f"Salesforce {args['sobject']} records ({soql})")


@expectation("hubspot.count")
def _hs_count(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    """How many HubSpot contacts meet `where` (every property equals; a list means any of; labels work)."""
    filters = []
    for prop, value in (args.get("where") or {}).items():
        values = [world.fakes.hs_option_value(prop, world.resolve(v)) for v in (value if isinstance(value, list) else [value])]
        if len(values) > 1:
            filters.append({"propertyName": prop, "operator": "IN", "values": [str(v) for v in values]})
        elif values[0] is None:
            filters.append({"propertyName": prop, "operator": "NOT_HAS_PROPERTY"})
        else:
            filters.append({"propertyName": prop, "operator": "EQ", "value": str(values[0])})
    body = {"filterGroups": [{"filters": filters}] if filters else [], "limit": 1, "properties": ["email"]}
    n = int(world.fakes.hs("POST", "/crm/v3/objects/contacts/search", json=body).json().get("total", 0))
    return _count_problem(e, args, n, f"HubSpot contacts where {dict(args.get('where') or {})}")
