"""Scenario vocabulary for companies and accounts: HubSpot company steps, the company Sync button,
bulk resync, and the `hubspot.company` / `salesforce.account` / `hubspot.associated` checks.
Registered into the step and expectation tables when steps.py / expectations.py are imported."""

from __future__ import annotations

from typing import Any

from scenarios.expectations import _name_found, _records_check, expectation
from scenarios.fakes import FakeApiError, hs_values
from scenarios.model import Mismatch, Step
from scenarios.steps import _refusal_says, hs_fill, step
from scenarios.world import Handle, StepError, World

COMPANY_PATH = "/crm/v3/objects/companies"


def _company_id(world: World, ref: str) -> str:
    return world.handle(ref, "hubspot").id


def _associate(world: World, company_id: str, contacts: list[str]) -> None:
    """The default (Primary for the first company) contact->company association, as the UI makes it."""
    for ref in contacts:
        contact_id = world.handle(ref, "hubspot").id
        world.fakes.hs("PUT", f"/crm/v4/objects/contacts/{contact_id}/associations/default/companies/{company_id}")


@step("hubspot.create_company")
def _create_company(world: World, args: dict[str, Any]) -> None:
    props = hs_fill(world, args.get("properties") or {})
    record = world.fakes.hs("POST", COMPANY_PATH, json={"properties": hs_values(props)}).json()
    name = args.get("as") or f"_company{record['id']}"
    world.name(Handle(name, "hubspot", "company", str(record["id"])))
    _associate(world, str(record["id"]), list(args.get("contacts") or []))


@step("hubspot.update_company")
def _update_company(world: World, args: dict[str, Any]) -> None:
    props = hs_fill(world, args["properties"])
    world.fakes.hs("PATCH", f"{COMPANY_PATH}/{_company_id(world, args['ref'])}", json={"properties": hs_values(props)})


@step("hubspot.delete_company")
def _delete_company(world: World, args: dict[str, Any]) -> None:
    world.fakes.hs("DELETE", f"{COMPANY_PATH}/{_company_id(world, args['ref'])}")


@step("hubspot.associate_company")
def _associate_company(world: World, args: dict[str, Any]) -> None:
    _associate(world, _company_id(world, args["company"]), list(args["contacts"]))


@step("hubspot.merge_companies")
def _merge_companies(world: World, args: dict[str, Any]) -> None:
    """POST /crm/v3/objects/companies/merge. `refused: true`: the merge must be refused (DEL-4),
    `message_contains` what HubSpot's error must say; both companies stay."""
    primary = world.handle(args["primary"], "hubspot")
    merged = world.handle(args["merged"], "hubspot")
    body = {"primaryObjectId": primary.id, "objectIdToMerge": merged.id}
    try:
        result = world.fakes.hs("POST", f"{COMPANY_PATH}/merge", json=body).json()
    except FakeApiError as exc:
        if not args.get("refused"):
            raise
        _refusal_says(args, Exception(exc.body))
        return
    if args.get("refused"):
        raise StepError(f"expected HubSpot to refuse merging company {merged.name} into {primary.name}, but it merged them")
    primary.id = str(result.get("id", primary.id))


@step("sync.sync_company")
def _sync_company(world: World, args: dict[str, Any]) -> None:
    world.engine_call(world.engine.resync_company, _company_id(world, args["ref"]))


@step("sync.resync_all")
def _resync_all(world: World, args: dict[str, Any]) -> None:
    world.engine_call(world.engine.resync_all, args["object"])


# --- expectations ------------------------------------------------------------------------------


def _search_companies(world: World, name: str) -> list[str]:
    body = {
        "filterGroups": [{"filters": [{"propertyName": "name", "operator": "EQ", "value": name}]}],
        "properties": ["name"],
        "limit": 100,
    }
    return [str(r["id"]) for r in world.fakes.hs("POST", f"{COMPANY_PATH}/search", json=body).json().get("results", [])]


@expectation("hubspot.company")
def _hs_company(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    expected = {k: world.resolve(v, k) for k, v in dict(args.get("properties") or {}).items()}
    if "name" in args:
        label, ids = args["name"], _search_companies(world, args["name"])
    else:
        rid = _company_id(world, args["ref"]) if "ref" in args else str(args["id"])
        label, ids = args.get("ref") or f"id {rid}", [rid]
    found = []
    for rid in ids:
        rec = world.fakes.hs_get_record("companies", rid)
        if rec is not None:
            found.append((rid, dict(rec.get("properties") or {})))
    out = _records_check(world, e, args, "hubspot", "HubSpot company", found, f"hubspot company {label}", expected)
    return out + _name_found(world, e, args, "hubspot", [("company", rid) for rid, _ in found], None)


@expectation("salesforce.account")
def _sf_account(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    expected = {k: world.resolve(v, k) for k, v in dict(args.get("fields") or {}).items()}
    if "name" in args:
        escaped = str(args["name"]).replace("'", "\\'")
        label = args["name"]
        ids = [r["Id"] for r in world.fakes.sf_query(f"SELECT Id FROM Account WHERE Name = '{escaped}' ORDER BY CreatedDate")]
    else:
        rid = world.handle(args["ref"], "salesforce").id if "ref" in args else str(args["id"])
        label, ids = args.get("ref") or f"id {rid}", [rid]
    found = []
    for rid in ids:
        rec = world.fakes.sf_get("Account", rid)
        if rec is not None and not rec.get("IsDeleted"):
            found.append((rid, {k: v for k, v in rec.items() if k != "attributes"}))
    out = _records_check(world, e, args, "salesforce", "Salesforce account", found, f"salesforce account {label}", expected)
    return out + _name_found(world, e, args, "salesforce", [("Account", rid) for rid, _ in found], None)


@expectation("hubspot.associated")
def _associated(world: World, args: dict[str, Any], e: Step) -> list[Mismatch]:
    """A HubSpot contact is (or is not) associated with a HubSpot company."""
    contact = world.handle(args["contact"], "hubspot")
    company = world.handle(args["company"], "hubspot")
    rows = world.fakes.hs("GET", f"/crm/v4/objects/contacts/{contact.id}/associations/companies").json().get("results", [])
    actual = company.id in {str(r.get("toObjectId")) for r in rows}
    wanted = bool(args.get("is", True))
    if wanted == actual and "primary" in args:
        labels = {t.get("label") for r in rows if str(r.get("toObjectId")) == company.id for t in r.get("associationTypes", [])}
        if ("Primary" in labels) != bool(args["primary"]):
            return [
                Mismatch(
                    e,
                    "contact-company Primary label",
                    record=f"hubspot contact {contact.name} / company {company.name}",
                    expected="Primary" if args["primary"] else "not Primary",
                    actual="Primary" if "Primary" in labels else "not Primary",
                )
            ]
    if wanted == actual:
        return []
    return [
        Mismatch(
            e,
            "contact-company association",
            record=f"hubspot contact {contact.name} / company {company.name}",
            expected="associated" if wanted else "not associated",
            actual="associated" if actual else "not associated",
        )
    ]
