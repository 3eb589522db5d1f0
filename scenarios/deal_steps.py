"""Deal and opportunity vocabulary: `when` steps for HubSpot deals (create, update, move to another
pipeline, associate contacts, delete) and Salesforce record types, and the `hubspot.deal` /
`salesforce.opportunity` expectations. Everything goes through the fakes' public APIs (pipelines,
CRM v3 objects, associations v4, SOQL) or the control API (record types are setup, not data).

Contacts are named by email or by a handle (its email is used), so a check reads the same whichever
side created the contact. Pipelines and stages are named by their labels, as a user sees them."""

from __future__ import annotations

import re
from typing import Any

from scenarios.expectations import _records_check, expectation
from scenarios.model import Mismatch, Step
from scenarios.steps import hs_fill, step
from scenarios.world import Handle, StepError, World

DEAL_PROPS = (
    "dealname",
    "amount",
    "closedate",
    "dealstage",
    "pipeline",
    "dealtype",
    "description",
    "hubspot_owner_id",
    "hs_salesforceopportunityid",
    "hs_is_closed",
    "hs_is_closed_won",
    "hs_deal_stage_probability",
)


# --- pipelines and stages by label ---------------------------------------------------------------


def _pipelines(world: World) -> list[dict[str, Any]]:
    return list(world.fakes.hs("GET", "/crm/v3/pipelines/deals").json().get("results", []))


def label_text(world: World, text: str) -> str:
    """A label with `$id:<handle>` inside replaced by that record's id ("Salesforce - $id:renewal")."""
    return re.sub(r"\$id:([A-Za-z_][A-Za-z0-9_]*)", lambda m: world.handle(m.group(1)).id, str(text))


def pipeline_id(world: World, label: str) -> str:
    label = label_text(world, label)
    for p in _pipelines(world):
        if label in (p.get("label"), p.get("id")):
            return str(p["id"])
    names = ", ".join(str(p.get("label")) for p in _pipelines(world))
    raise StepError(f"no HubSpot deal pipeline labelled {label!r} (pipelines: {names})")


def stage_id(world: World, pipeline: str, label: str) -> str:
    for p in _pipelines(world):
        if str(p["id"]) == pipeline:
            for s in p.get("stages") or []:
                if label in (s.get("label"), s.get("id")):
                    return str(s["id"])
            stages = ", ".join(str(s.get("label")) for s in p.get("stages") or [])
            raise StepError(f"pipeline {p.get('label')!r} has no stage {label!r} (stages: {stages})")
    raise StepError(f"no HubSpot deal pipeline with id {pipeline}")


def _labels(world: World) -> tuple[dict[str, str], dict[str, str]]:
    """Pipeline id -> label and stage id -> label, across every deal pipeline."""
    pipes, stages = {}, {}
    for p in _pipelines(world):
        pipes[str(p["id"])] = str(p.get("label"))
        for s in p.get("stages") or []:
            stages[str(s["id"])] = str(s.get("label"))
    return pipes, stages


def _placement(world: World, args: dict[str, Any]) -> dict[str, str]:
    """`pipeline:` / `stage:` labels -> the deal's pipeline and dealstage properties."""
    out: dict[str, str] = {}
    if "pipeline" in args:
        out["pipeline"] = pipeline_id(world, args["pipeline"])
    if "stage" in args:
        out["dealstage"] = stage_id(world, out.get("pipeline") or "default", args["stage"])
    return out


# --- contacts by email or handle -----------------------------------------------------------------


def _email_of(world: World, name: str) -> str:
    if "@" in name:
        return name.lower()
    h = world.handle(name)
    if not h.email:
        raise StepError(f"handle {name!r} has no email to name its contact by")
    return h.email.lower()


def _hs_contact_ids(world: World, names: list[str]) -> list[str]:
    return [world.hubspot_id({"email": _email_of(world, n)}) for n in names]


def _deal_contact_emails(world: World, deal_id: str) -> set[str]:
    body = world.fakes.hs("GET", f"/crm/v4/objects/deals/{deal_id}/associations/contacts", params={"limit": 500}).json()
    ids = [str(r["toObjectId"]) for r in body.get("results", [])]
    out = set()
    for cid in ids:
        rec = world.fakes.hs_get_contact(cid, ["email"])
        if rec is not None:
            out.add(str((rec.get("properties") or {}).get("email") or f"(contact {cid} without email)").lower())
    return out


def _deal_company_names(world: World, deal_id: str) -> set[str]:
    body = world.fakes.hs("GET", f"/crm/v4/objects/deals/{deal_id}/associations/companies", params={"limit": 500}).json()
    out = set()
    for r in body.get("results", []):
        resp = world.fakes.hs("GET", f"/crm/v3/objects/companies/{r['toObjectId']}", ok=(200, 404), params={"properties": "name"})
        if resp.status_code == 200:
            out.add(str((resp.json().get("properties") or {}).get("name")))
    return out


def _associate(world: World, deal_id: str, contact_ids: list[str], remove: bool = False) -> None:
    if not contact_ids:
        return
    inputs = [{"from": {"id": deal_id}, "to": {"id": c}} for c in contact_ids]
    if remove:
        body = {"inputs": [{"from": {"id": deal_id}, "to": [{"id": c} for c in contact_ids]}]}
        world.fakes.hs("POST", "/crm/v4/associations/deals/contacts/batch/archive", json=body)
    else:
        world.fakes.hs("POST", "/crm/v4/associations/deals/contacts/batch/associate/default", json={"inputs": inputs})


# --- steps -----------------------------------------------------------------------------------------


@step("hubspot.create_deal")
def _create_deal(world: World, args: dict[str, Any]) -> None:
    props = {**hs_fill(world, dict(args.get("properties") or {})), **_placement(world, args)}
    rec = world.fakes.hs("POST", "/crm/v3/objects/deals", json={"properties": _strings(props)}).json()
    deal_id = str(rec["id"])
    _associate(world, deal_id, _hs_contact_ids(world, list(args.get("contacts") or [])))
    if args.get("company"):
        company = world.handle(args["company"], "hubspot").id
        body = {"inputs": [{"from": {"id": deal_id}, "to": {"id": company}}]}
        world.fakes.hs("POST", "/crm/v4/associations/deals/companies/batch/associate/default", json=body)
    if args.get("as"):
        world.name(Handle(args["as"], "hubspot", "deal", deal_id))


def _deal(world: World, ref: str) -> str:
    h = world.handle(ref, "hubspot")
    if h.sobject != "deal":
        raise StepError(f"handle {ref!r} is a HubSpot {h.sobject}, not a deal")
    return h.id


@step("hubspot.update_deal")
def _update_deal(world: World, args: dict[str, Any]) -> None:
    props = {**hs_fill(world, dict(args.get("properties") or {})), **_placement(world, args)}
    world.fakes.hs("PATCH", f"/crm/v3/objects/deals/{_deal(world, args['ref'])}", json={"properties": _strings(props)})


@step("hubspot.move_deal")
def _move_deal(world: World, args: dict[str, Any]) -> None:
    """Move a deal into another pipeline (and one of its stages): DEAL-5."""
    props = _placement(world, args)
    world.fakes.hs("PATCH", f"/crm/v3/objects/deals/{_deal(world, args['ref'])}", json={"properties": props})


@step("hubspot.delete_deal")
def _delete_deal(world: World, args: dict[str, Any]) -> None:
    world.fakes.hs("DELETE", f"/crm/v3/objects/deals/{_deal(world, args['ref'])}")


@step("hubspot.associate_contacts")
def _associate_contacts(world: World, args: dict[str, Any]) -> None:
    _associate(world, _deal(world, args["deal"]), _hs_contact_ids(world, list(args["contacts"])))


@step("hubspot.remove_contacts")
def _remove_contacts(world: World, args: dict[str, Any]) -> None:
    _associate(world, _deal(world, args["deal"]), _hs_contact_ids(world, list(args["contacts"])), remove=True)


@step("salesforce.record_type")
def _record_type(world: World, args: dict[str, Any]) -> None:
    """Define a record type (setup, through the control API): `name`, `sobject` (Opportunity),
    `stages` (its sales process), `default`, `as` (a handle: `$id:` gives its id)."""
    body: dict[str, Any] = {
        "object": args.get("sobject", "Opportunity"),
        "developerName": args.get("developer_name") or str(args["name"]).replace(" ", "_"),
        "name": args["name"],
        "default": bool(args.get("default", False)),
    }
    if "stages" in args:
        body["stages"] = list(args["stages"])
    rt = world.fakes.control("POST", "/salesforce/record-types", json=body)
    if args.get("as"):
        world.name(Handle(args["as"], "salesforce", "RecordType", str(rt["id"])))


def _strings(props: dict[str, Any]) -> dict[str, str]:
    return {k: "" if v is None else ("true" if v is True else "false" if v is False else str(v)) for k, v in props.items()}


# --- expectations ----------------------------------------------------------------------------------


def _find_deals(world: World, args: dict[str, Any]) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    if "ref" in args:
        deal_id = _deal(world, args["ref"])
        resp = world.fakes.hs("GET", f"/crm/v3/objects/deals/{deal_id}", ok=(200, 404), params={"properties": ",".join(DEAL_PROPS)})
        rec = resp.json() if resp.status_code == 200 else None
        found = [] if rec is None or rec.get("archived") else [(deal_id, dict(rec.get("properties") or {}))]
        return f"hubspot deal {args['ref']}", found
    if "opportunity" in args:
        prop, value, label = "hs_salesforceopportunityid", world.handle(args["opportunity"], "salesforce").id, args["opportunity"]
    else:
        prop, value, label = "dealname", str(args["name"]), repr(args["name"])
    body = {
        "filterGroups": [{"filters": [{"propertyName": prop, "operator": "EQ", "value": value}]}],
        "properties": list(DEAL_PROPS),
        "limit": 100,
    }
    results = world.fakes.hs("POST", "/crm/v3/objects/deals/search", json=body).json().get("results", [])
    return f"hubspot deal {label}", [(str(r["id"]), dict(r.get("properties") or {})) for r in results]


@expectation("hubspot.deal")
def _hs_deal(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    """A deal by `ref`, `name` (dealname) or `opportunity` (its Salesforce Opportunity ID property),
    with `properties`, `pipeline` / `stage` labels, `contacts` (emails or handles, the exact set of
    associated contacts), `company` (the associated company's name, or null for none)."""
    label, found = _find_deals(world, args)
    out = _records_check(world, e, args, "hubspot", "HubSpot deal", found, label, dict(args.get("properties") or {}))
    if out or not found or not args.get("exists", True):
        return out + _name_deal(world, e, args, found)
    pipes, stages = _labels(world)
    for deal_id, values in found:
        name = label if len(found) == 1 else f"{label} (id {deal_id})"
        want_pipe = label_text(world, args["pipeline"]) if "pipeline" in args else None
        if want_pipe is not None and pipes.get(str(values.get("pipeline"))) != want_pipe:
            out.append(Mismatch(e, "deal pipeline", record=name, field="pipeline", expected=want_pipe, actual=pipes.get(str(values.get("pipeline")), values.get("pipeline"))))
        if "stage" in args and stages.get(str(values.get("dealstage"))) != args["stage"]:
            out.append(Mismatch(e, "deal stage", record=name, field="dealstage", expected=args["stage"], actual=stages.get(str(values.get("dealstage")), values.get("dealstage"))))
        if "contacts" in args:
            want = {_email_of(world, n) for n in args["contacts"]}
            got = _deal_contact_emails(world, deal_id)
            if want != got:
                out.append(Mismatch(e, "associated contacts", record=name, field="contacts", expected=sorted(want), actual=sorted(got)))
        if "company" in args:
            want_c = set() if args["company"] is None else {str(args["company"])}
            got_c = _deal_company_names(world, deal_id)
            if want_c != got_c:
                out.append(Mismatch(e, "associated company", record=name, field="company", expected=sorted(want_c) or None, actual=sorted(got_c) or None))
    return out + _name_deal(world, e, args, found)


def _name_deal(world: World, e: Step, args: dict[str, Any], found: list[tuple[str, dict[str, Any]]]) -> list[Mismatch]:
    if not args.get("as"):
        return []
    if len(found) != 1:
        return [Mismatch(e, f"`as: {args['as']}` names exactly one deal; could not find one", expected="1 record", actual=f"{len(found)} records")]
    world.name(Handle(args["as"], "hubspot", "deal", found[0][0]))
    return []


@expectation("salesforce.opportunity")
def _sf_opportunity(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    """An opportunity by `ref` or `name`, with `fields`, `record_type` (a handle) and `contacts`
    (emails or handles: the exact set of its contact roles' contacts)."""
    if "ref" in args:
        h = world.handle(args["ref"], "salesforce")
        ids, label = [h.id], f"salesforce opportunity {h.name}"
    else:
        escaped = str(args["name"]).replace("\\", "\\\\").replace("'", "\\'")
        ids = [r["Id"] for r in world.fakes.sf_query(f"SELECT Id FROM Opportunity WHERE Name = '{escaped}' ORDER BY CreatedDate")]
        label = f"salesforce opportunity {args['name']!r}"
    found = []
    for rid in ids:
        rec = world.fakes.sf_get("Opportunity", rid)
        if rec is not None and not rec.get("IsDeleted"):
            found.append((rid, {k: v for k, v in rec.items() if k != "attributes"}))
    expected = dict(args.get("fields") or {})
    if "record_type" in args:
        expected["RecordTypeId"] = world.handle(args["record_type"], "salesforce").id
    out = _records_check(world, e, args, "salesforce", "Salesforce Opportunity", found, label, expected)
    if not out and found and args.get("exists", True) and "contacts" in args:
        want = {_email_of(world, n) for n in args["contacts"]}
        for rid, _values in found:
            rows = world.fakes.sf_query(f"SELECT Contact.Email FROM OpportunityContactRole WHERE OpportunityId = '{rid}'")
            got = {str((r.get("Contact") or {}).get("Email") or "").lower() for r in rows}
            if want != got:
                out.append(Mismatch(e, "contact roles", record=label, field="contacts", expected=sorted(want), actual=sorted(got)))
    if args.get("as"):
        if len(found) != 1:
            out.append(Mismatch(e, f"`as: {args['as']}` names exactly one opportunity; could not find one", expected="1 record", actual=f"{len(found)} records"))
        else:
            world.name(Handle(args["as"], "salesforce", "Opportunity", found[0][0]))
    return out


@expectation("hubspot.pipeline")
def _hs_pipeline(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    """A deal pipeline by `label`: it exists (`exists: false`: no pipeline has that label)."""
    label = label_text(world, args["label"])
    count = sum(1 for p in _pipelines(world) if p.get("label") == label)
    want = 1 if args.get("exists", True) else 0
    if count != want:
        return [Mismatch(e, "deal pipeline", record=f"hubspot pipeline {label!r}", expected=f"{want} pipeline(s)", actual=f"{count}")]
    return []
