"""Settings -> Integrations -> Connected apps -> Salesforce, as the seed article walks it: the
object tabs, "Limit what syncs" (active lists only, INC-1), the create/update settings, field
mappings with their sync rules, and the import of Salesforce leads/contacts (IMP-1..4)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

from hubforce.web import ui
from hubforce.web.views.common import describe_report, done, next_page, refused, wants_json
from sync.mappings import SyncRule
from sync.settings import SettingsError

bp = Blueprint("settings", __name__, url_prefix="/settings")

TABS = [
    ("contacts", "Contacts", None),
    ("companies", "Companies", "The sync engine syncs contacts only; companies are not modelled."),
    ("deals", "Deals", "The sync engine syncs contacts only; deals are not modelled."),
    ("activities", "Activities", "The sync engine syncs contacts only; activities are not modelled."),
]
CHOICES = {
    "hubspot_creates": [("lead", "Salesforce lead"), ("contact", "Salesforce contact")],
    "from_salesforce_leads": [("create_or_update", "Create and update HubSpot contacts"), ("do_nothing", "Don't create new HubSpot contacts")],
    "from_salesforce_contacts": [("create_or_update", "Create and update HubSpot contacts"), ("do_nothing", "Don't create new HubSpot contacts")],
    "deletion": [("do_nothing", "Do nothing"), ("delete", "Delete the HubSpot contact")],
}
RULES = [
    (SyncRule.PREFER_SALESFORCE.value, "Prefer Salesforce unless blank"),
    (SyncRule.ALWAYS_SALESFORCE.value, "Always use Salesforce"),
    (SyncRule.TWO_WAY.value, "Two-way"),
    (SyncRule.DONT_SYNC.value, "Don't sync"),
]
NOT_ACTIVE = {"MANUAL": "static list", "SNAPSHOT": "snapshot list"}


@bp.get("/integrations")
def connected_apps() -> str:
    return render_template("connected_apps.html")


def list_choices() -> list[dict[str, Any]]:
    """Every contact list, each with why it cannot be an inclusion list (None when it can)."""
    out = []
    for lst in ui().fakes.lists():
        if str(lst.get("objectTypeId")) != "0-1":
            continue
        ptype = str(lst.get("processingType", "")).upper()
        reason = None
        if ptype in NOT_ACTIVE:
            reason = f"{NOT_ACTIVE[ptype]}: only active lists can limit what syncs"
        out.append({"id": str(lst["listId"]), "name": lst["name"], "reason": reason})
    return out


def installed() -> bool:
    with ui().integration.engine() as engine:
        return bool(engine.status()["installed"])


@bp.get("/integrations/salesforce")
def salesforce(errors: dict[str, str] | None = None, status: int = 200) -> Any:
    tab = request.args.get("tab", "contacts")
    if tab not in {t[0] for t in TABS}:
        tab = "contacts"
    integ = ui().integration
    with integ.engine() as engine:
        mappings = list(engine.settings.contacts.mappings)
    contacts = integ.settings.get("contacts", {})
    page = render_template(
        "salesforce.html", tabs=TABS, tab=tab, lists=list_choices(), contacts=contacts,
        enabled=integ.settings.get("integration_enabled", True), choices=CHOICES, rules=RULES,
        mappings=mappings, errors=errors or {}, installed=installed(), form=request.form,
    )
    return page, status


def _inclusion_list_name(list_id: str) -> str | None:
    """The engine's settings name the list; the form sends its id."""
    if not list_id:
        return None
    for lst in list_choices():
        if lst["id"] == list_id:
            return str(lst["name"])
    return list_id


@bp.post("/integrations/salesforce/contacts")
def save_contacts() -> Any:
    form = request.form
    changes: dict[str, Any] = {"contacts": {}}
    for key, options in CHOICES.items():
        if key in form:
            if form[key] not in {v for v, _ in options}:
                return _refuse({key: f"Choose one of: {', '.join(label for _, label in options)}."})
            changes["contacts"][key] = form[key]
    if "inclusion_list" in form:
        changes["contacts"]["inclusion_list"] = _inclusion_list_name(form["inclusion_list"])
    if "integration_enabled" in form:
        changes["integration_enabled"] = form["integration_enabled"] == "on"
    try:
        ui().integration.update(changes)
    except SettingsError as exc:
        field = "inclusion_list" if "inclusion_list" in str(exc) else next(iter(changes["contacts"]), "inclusion_list")
        return _refuse({field: str(exc)})
    return done("Saved. Nothing syncs until a trigger fires (the next sync cycle, or a record change).",
                url_for("settings.salesforce"))


@bp.post("/integrations/salesforce/mappings")
def save_mappings() -> Any:
    form = request.form
    integ = ui().integration
    with integ.engine() as engine:
        current = list(engine.settings.contacts.mappings)
    rules = {v for v, _ in RULES}
    entries = []
    for i, m in enumerate(current):
        rule = form.get(f"rule{i}", m.rule.value)
        if rule not in rules:
            return _refuse({f"rule{i}": "Choose a sync rule."})
        entries.append({"hubspot": m.hubspot, "salesforce": m.salesforce, "rule": rule})
    new_hs, new_sf = form.get("new_hubspot", "").strip(), form.get("new_salesforce", "").strip()
    if new_hs or new_sf:
        if not new_hs:
            return _refuse({"new_hubspot": "Enter the HubSpot property's internal name."})
        if not new_sf:
            return _refuse({"new_salesforce": "Enter the Salesforce field's API name."})
        entries.append({"hubspot": new_hs, "salesforce": new_sf, "rule": form.get("new_rule", RULES[0][0])})
    try:
        integ.update({"contacts": {"mappings": entries}})
    except SettingsError as exc:
        # The engine's message names the key (contacts.mappings[N].salesforce: ...): put it by that field.
        key = re.match(r"contacts\.mappings\[(\d+)\]\.(\w+): ", str(exc))
        text = str(exc)[key.end():] if key else str(exc)
        if key and int(key.group(1)) < len(current):
            return _refuse({f"rule{key.group(1)}": text})
        return _refuse({"new_salesforce" if key and key.group(2) == "salesforce" else "new_hubspot": text})
    return done("Field mappings saved.", url_for("settings.salesforce") + "#mappings")


@bp.post("/integrations/salesforce/import")
def import_records() -> Response:
    sobject = request.form.get("object", "")
    if sobject not in ("Lead", "Contact"):
        return _refuse({"object": "Choose Salesforce leads or contacts."})
    with ui().integration.running() as engine:
        report = engine.import_salesforce(sobject)
    return done(describe_report(f"Import of Salesforce {sobject.lower()}s", report), url_for("settings.salesforce") + "#import")


@bp.post("/integrations/salesforce/install")
def install() -> Response:
    with ui().integration.running() as engine:
        report = engine.run_cycle()
    note = "Installed: the first sync cycle bookmarked every existing record and synced none of them (TRG-15)"
    if report.stopped:
        note = f"Install did not finish: {report.stopped}"
    return done(note + ".", next_page(url_for("settings.salesforce")))


def _refuse(errors: dict[str, str]) -> Any:
    if wants_json():
        return refused(errors)
    return salesforce(errors=errors, status=400)
