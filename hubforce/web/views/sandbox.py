"""Sandbox controls (reset, sample data, snapshots, the virtual clock, fault rules) and the request
journal (filtered by service, method and status; the page refreshes its rows while open). All
through the control API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for

from hubforce.web import ui
from hubforce.web.fakes import FakeError
from hubforce.web.views.common import done

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")
SERVICES = ["hubspot", "salesforce"]
METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]
ACTIONS = [("status", "Answer with an HTTP status"), ("latency", "Add latency"), ("timeout", "Time out"), ("drop", "Drop the connection")]
UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
SAMPLE_CONTACTS = [
    {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace", "lifecyclestage": "marketingqualifiedlead"},
    {"email": "grace@example.com", "firstname": "Grace", "lastname": "Hopper", "lifecyclestage": "lead"},
]
SAMPLE_LEADS = [
    {"Email": "alan@example.com", "FirstName": "Alan", "LastName": "Turing", "Company": "Bletchley Park"},
    {"Email": "katherine@example.com", "FirstName": "Katherine", "LastName": "Johnson", "Company": "NASA"},
]


@bp.get("/")
def index(errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    fakes = ui().fakes
    page = render_template(
        "sandbox.html", clock=fakes.clock(), faults=fakes.control("GET", "/faults"), errors=errors or {},
        form=request.form, services=SERVICES, methods=METHODS, actions=ACTIONS, units=UNITS,
    )
    return page, status


@bp.post("/reset")
def reset() -> Any:
    raw = request.form.get("seed", "").strip()
    if raw and not raw.lstrip("-").isdigit():
        return index({"seed": f"The seed is a whole number; {raw!r} is not."}, 400)
    ui().fakes.control("POST", "/reset", json={"seed": int(raw)} if raw else {})
    ui().integration.forget_state()
    return done("Sandbox reset: both fakes are empty, and the integration starts afresh (not installed).",
                url_for("sandbox.index"))


@bp.post("/sample-data")
def sample_data() -> Any:
    fakes = ui().fakes
    fakes.hs("POST", "/crm/v3/objects/contacts/batch/create",
             json={"inputs": [{"properties": p} for p in SAMPLE_CONTACTS]})
    fakes.control("POST", "/salesforce/records", json={"object": "Lead", "records": SAMPLE_LEADS})
    return done(f"Seeded {len(SAMPLE_CONTACTS)} HubSpot contacts and {len(SAMPLE_LEADS)} Salesforce leads.",
                url_for("records.index"))


@bp.post("/snapshot/<action>")
def snapshot(action: str) -> Any:
    path = request.form.get("path", "").strip()
    if action not in ("save", "load"):
        return index({"path": "Save or load."}, 400)
    if not path:
        return index({"path": "Enter a file path for the snapshot."}, 400)
    try:
        ui().fakes.control("POST", f"/snapshot/{action}", json={"path": path})
    except FakeError as exc:
        return index({"path": exc.message}, 400)
    return done(f"Snapshot {'saved to' if action == 'save' else 'loaded from'} {path}.", url_for("sandbox.index"))


@bp.post("/clock")
def clock() -> Any:
    raw, unit = request.form.get("amount", "").strip(), request.form.get("unit", "minutes")
    try:
        amount = float(raw)
    except ValueError:
        return index({"amount": f"Enter a number; {raw!r} is not."}, 400)
    if amount <= 0 or unit not in UNITS:
        return index({"amount": "Enter a positive amount of minutes, hours or days."}, 400)
    now = ui().fakes.advance_clock(amount * UNITS[unit])
    return done(f"Clock advanced {raw} {unit}: now {now.get('now', '')}.", url_for("sandbox.index"))


def _fault_from_form() -> tuple[dict[str, Any], dict[str, str]]:
    f = request.form
    rule: dict[str, Any] = {"service": f.get("service", ""), "action": f.get("action", "status")}
    errors: dict[str, str] = {}
    if f.get("method"):
        rule["method"] = f["method"]
    if f.get("path", "").strip():
        rule["path"] = f["path"].strip()
    for key, label in (("status", "Status"), ("times", "Times"), ("latency_ms", "Latency (ms)")):
        raw = f.get(key, "").strip()
        if raw:
            if not raw.isdigit():
                errors[key] = f"{label} is a whole number; {raw!r} is not."
            else:
                rule[key] = int(raw)
    if rule["action"] == "status" and "status" not in rule and "status" not in errors:
        errors["status"] = "Enter the HTTP status to answer with, e.g. 503."
    return rule, errors


@bp.post("/faults")
def add_fault() -> Any:
    rule, errors = _fault_from_form()
    if errors:
        return index(errors, 400)
    try:
        ui().fakes.control("POST", "/faults", json=rule)
    except FakeError as exc:  # the control API names what it refused
        field = next((k for k in ("path", "status", "service", "action", "times") if k in exc.message), "path")
        return index({field: exc.message}, 400)
    return done("Fault rule added.", url_for("sandbox.index") + "#faults")


@bp.post("/faults/<fault_id>/delete")
def delete_fault(fault_id: str) -> Any:
    ui().fakes.control("DELETE", f"/faults/{fault_id}")
    return done(f"Fault rule {fault_id} removed.", url_for("sandbox.index") + "#faults")


def _journal_filters() -> dict[str, str]:
    return {k: request.args.get(k, "").strip() for k in ("service", "method", "status")}


@bp.get("/journal")
def journal() -> str:
    filters = _journal_filters()
    error = ""
    if filters["status"] and not filters["status"].isdigit():
        error, filters["status"] = f"A status is a number such as 503; {filters['status']!r} is not.", ""
    entries = ui().fakes.journal(**filters)[-200:][::-1]
    template = "journal_rows.html" if request.args.get("rows") else "journal.html"
    return render_template(template, entries=entries, filters=filters, services=SERVICES, methods=METHODS,
                           error=error, status_text=request.args.get("status", ""))
