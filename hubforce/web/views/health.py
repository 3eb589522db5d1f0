"""Sync health, as HubSpot's Sync Health tab: API calls used / remaining / limited by Salesforce /
allocated (LIM-1, editable), errors by category with counts, the drill-down list with Resync for
selected errors (ERR-8), CSV export, and the suspension banner with Clear (SUS-4)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

from hubforce.web import ui
from hubforce.web.fakes import FakeError
from hubforce.web.views.common import describe_report, done
from sync.engine import CycleReport
from sync.settings import SettingsError

bp = Blueprint("health", __name__, url_prefix="/health")
CSV_COLUMNS = ["category", "code", "message", "system", "object_type", "record_id", "hubspot_id",
               "salesforce_id", "attempts", "first_at", "last_at", "next_retry_at"]


def _org_usage() -> dict[str, Any] | None:
    """The Salesforce org's own 24-hour usage, from the control API, until the engine has seen
    Salesforce's Sforce-Limit-Info header (status()["api"]["salesforce_org_limit"])."""
    try:
        return dict(ui().fakes.control("GET", "/salesforce/api-usage"))
    except FakeError:
        return None


@bp.get("/")
def index(errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    category = request.args.get("category") or None
    with ui().integration.engine() as engine:
        st = engine.status()
        rows = engine.errors(category)
    page = render_template(
        "health.html", st=st, rows=rows, category=category, org=_org_usage(), errors=errors or {},
        allocation=request.form.get("allocation", st["api"]["allocation"] or ""),
    )
    return page, status


@bp.post("/allocation")
def allocation() -> Any:
    raw = request.form.get("allocation", "").strip()
    value: int | None = None
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            return index({"allocation": f"Enter a whole number of calls per 24 hours (1 or more), or leave it empty for uncapped; {raw!r} is not."}, 400)
        value = int(raw)
    try:
        ui().integration.update({"api": {"allocation": value}})
    except SettingsError as exc:
        return index({"allocation": str(exc)}, 400)
    return done(f"API call allocation set to {value if value else 'uncapped'}.", url_for("health.index"))


@bp.post("/resync")
def resync() -> Any:
    """Resync the selected errors' records (each a manual resync, TRG-14), or every error of a category."""
    picked = request.form.getlist("record")
    category = request.form.get("category") or None
    report: CycleReport | list[CycleReport]
    with ui().integration.running() as engine:
        if request.form.get("all"):
            report = engine.resync_errors(category)
            what = f"Resync of every {category or ''} error".replace("  ", " ")
        elif not picked:
            return index({"record": "Select at least one error to resync."}, 400)
        else:
            report = [engine.resync_record(record) for record in picked]
            what = f"Resync of {len(picked)} record{'s' if len(picked) != 1 else ''}"
    return done(describe_report(what, report), url_for("health.index"))


@bp.get("/errors.csv")
def export() -> Response:
    with ui().integration.engine() as engine:
        rows = engine.errors(request.args.get("category") or None)
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=sync-errors.csv"})


@bp.post("/clear-suspension")
def clear_suspension() -> Any:
    with ui().integration.engine() as engine:
        engine.clear_suspension()
    return done("Suspension cleared: the next sync cycle runs.", url_for("health.index"))


__all__ = ["bp", "describe_report"]
