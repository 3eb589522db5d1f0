"""Records: HubSpot contacts and Salesforce leads/contacts side by side, search by email, one
record's both sides with its link and decision trace (the engine's `why`), edits on either side,
and the sync-cycle button, so a person can replay the article's examples by hand."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for

from hubforce.web import ui
from hubforce.web.fakes import CONTACT_PROPERTIES, FakeError
from hubforce.web.views.common import describe_report, done, next_page
from hubforce.web.views.settings import RULES, installed

bp = Blueprint("records", __name__, url_prefix="/records")
RULE_NAMES = dict(RULES)

NEW_LEAD = [("Email", "Email"), ("FirstName", "First name"), ("LastName", "Last name"), ("Company", "Company")]
NEW_CONTACT = [("email", "Email"), ("firstname", "First name"), ("lastname", "Last name"), ("lifecyclestage", "Lifecycle stage")]


@bp.get("/")
def index(errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    fakes = ui().fakes
    email = request.args.get("email", "").strip()
    page = render_template(
        "records.html", email=email, hubspot=fakes.contacts(email or None),
        leads=fakes.sf_records("Lead", email or None), sf_contacts=fakes.sf_records("Contact", email or None),
        companies=fakes.objects("companies", ["name", "domain"]), deals=fakes.objects("deals", ["dealname", "amount"]),
        new_lead=NEW_LEAD, new_contact=NEW_CONTACT, errors=errors or {}, form=request.form, installed=installed(),
    )
    return page, status


@bp.post("/cycle")
def run_cycle() -> Any:
    """One poll tick. On a virtual clock the tick's 15 minutes pass first, as they would between
    two real ticks (TRG-1), so the changes made since the last one fall inside its window."""
    integ = ui().integration
    if integ.virtual_clock():
        ui().fakes.advance_clock(int(integ.settings.get("poll_interval_seconds", 900)))
    with integ.running() as engine:
        was_installed = bool(engine.status()["installed"])
        report = engine.run_cycle()
    what = "Sync cycle" if was_installed else "First sync cycle: installed, existing records bookmarked (TRG-15)"
    return done(describe_report(what, report), _next(), "warn" if report.stopped else "ok")


def _next() -> str:
    return next_page(url_for("records.index"))


@bp.post("/salesforce")
def create_salesforce() -> Any:
    sobject = request.form.get("sobject", "Lead")
    if sobject not in ("Lead", "Contact"):
        return index({"sobject": "Choose a lead or a contact."}, 400)
    fields = {k: request.form.get(f"sf_{k}", "").strip() for k, _ in NEW_LEAD}
    fields = {k: v for k, v in fields.items() if v and not (sobject == "Contact" and k == "Company")}
    try:
        new_id = ui().fakes.create_sf(sobject, fields)
    except FakeError as exc:  # Salesforce's own error, next to the field it names
        return index({f"sf_{exc.field or 'LastName'}": exc.message}, 400)
    return done(f"Salesforce {sobject.lower()} {new_id} created.", url_for("records.salesforce", sobject=sobject, record_id=new_id))


@bp.post("/hubspot")
def create_hubspot() -> Any:
    props = {k: request.form.get(f"hs_{k}", "").strip() for k, _ in NEW_CONTACT}
    props = {k: v for k, v in props.items() if v}
    if not props.get("email"):
        return index({"hs_email": "Enter an email: the sync matches contacts by email."}, 400)
    try:
        created = ui().fakes.create_contact(props)
    except FakeError as exc:
        field = next((f"hs_{k}" for k in props if k in exc.message), "hs_email")
        return index({field: exc.message}, 400)
    return done(f"HubSpot contact {created['id']} created.", url_for("records.hubspot", record_id=created["id"]))


def _mapped(side: str) -> list[str]:
    with ui().integration.engine() as engine:
        names = [m.hubspot if side == "hubspot" else m.salesforce for m in engine.settings.contacts.mappings]
    return list(dict.fromkeys(names))


def _record_page(hs: dict[str, Any] | None, sf: tuple[str, dict[str, Any]] | None, key: str,
                 errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    with ui().integration.engine() as engine:
        why = engine.why(key, limit=50)
        mappings = list(engine.settings.contacts.mappings)
    sobject, sf_rec = sf if sf else (None, None)
    rows = []
    for m in mappings:
        if sf_rec is not None and m.salesforce not in sf_rec:
            continue  # RULE-14: this pair does not apply to this object
        rows.append({
            "hubspot": m.hubspot, "salesforce": m.salesforce, "rule": RULE_NAMES.get(m.rule.value, m.rule.value),
            "hs_value": (hs or {}).get("properties", {}).get(m.hubspot),
            "sf_value": (sf_rec or {}).get(m.salesforce),
        })
    sf_fields = sorted(k for k in (sf_rec or {}) if k != "attributes")
    page = render_template(
        "record.html", hs=hs, sobject=sobject, sf=sf_rec, rows=rows, why=why, errors=errors or {},
        hs_props=sorted(set(_mapped("hubspot")) | set(CONTACT_PROPERTIES)), sf_fields=sf_fields,
        form=request.form, key=key,
    )
    return page, status


def _hubspot_side(record_id: str) -> dict[str, Any]:
    return ui().fakes.contact(record_id, sorted(set(_mapped("hubspot")) | set(CONTACT_PROPERTIES)))


def _counterpart_of_hubspot(hs: dict[str, Any], link: dict[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    fakes = ui().fakes
    if link and link.get("salesforce_id"):
        obj = link.get("salesforce_object") or "Lead"
        try:
            return obj, fakes.sf_record(obj, link["salesforce_id"])
        except FakeError:
            pass
    email = hs.get("properties", {}).get("email")
    return fakes.sf_by_email(email) if email else None


@bp.get("/hubspot/<record_id>")
def hubspot(record_id: str, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    hs = _hubspot_side(record_id)
    with ui().integration.engine() as engine:
        link = engine.why(record_id, limit=1)["link"]
    return _record_page(hs, _counterpart_of_hubspot(hs, link), record_id, errors, status)


@bp.get("/salesforce/<sobject>/<record_id>")
def salesforce(sobject: str, record_id: str, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    fakes = ui().fakes
    sf_rec = fakes.sf_record(sobject, record_id)
    with ui().integration.engine() as engine:
        link = engine.why(record_id, limit=1)["link"]
    hs = None
    if link and link.get("hubspot_id"):
        try:
            hs = _hubspot_side(link["hubspot_id"])
        except FakeError:
            hs = None
    if hs is None and sf_rec.get("Email"):
        found = fakes.contact_by_email(str(sf_rec["Email"]))
        hs = _hubspot_side(found["id"]) if found else None
    return _record_page(hs, (sobject, sf_rec), record_id, errors, status)


@bp.post("/hubspot/<record_id>/edit")
def edit_hubspot(record_id: str) -> Any:
    prop, value = request.form.get("hs_property", ""), request.form.get("hs_value", "")
    if not prop:
        return hubspot(record_id, {"hs_property": "Choose a property."}, 400)
    try:
        ui().fakes.update_contact(record_id, {prop: value})
    except FakeError as exc:
        return hubspot(record_id, {"hs_value": exc.message}, 400)
    return done(f"HubSpot contact {record_id}: {prop} set to {value!r}.", url_for("records.hubspot", record_id=record_id))


@bp.post("/salesforce/<sobject>/<record_id>/edit")
def edit_salesforce(sobject: str, record_id: str) -> Any:
    field, value = request.form.get("sf_field", ""), request.form.get("sf_value", "")
    if not field:
        return salesforce(sobject, record_id, {"sf_field": "Choose a field."}, 400)
    try:
        ui().fakes.update_sf(sobject, record_id, {field: value or None})
    except FakeError as exc:
        return salesforce(sobject, record_id, {"sf_value": exc.message}, 400)
    return done(f"Salesforce {sobject} {record_id}: {field} set to {value!r}.",
                url_for("records.salesforce", sobject=sobject, record_id=record_id))


@bp.post("/resync")
def resync() -> Any:
    key = request.form.get("record", "")
    with ui().integration.running() as engine:
        report = engine.resync_record(key)
    return done(describe_report(f"Resync of {key}", report), _next())
