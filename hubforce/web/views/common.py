"""Helpers every page module shares: answering a form post either to the page's own script
(JSON: message and per-field errors) or to a plain browser (flash + redirect, or the page again
with the errors)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, jsonify, redirect, request

from sync.engine import CycleReport

# Cycle report fields worth a sentence on a page, in the order a person reads them.
REPORT_FIELDS = [
    "created_in_salesforce", "created_in_hubspot", "linked_existing", "updated_in_salesforce",
    "updated_in_hubspot", "deleted_in_hubspot", "processed", "skipped", "errors",
]


def next_page(default: str) -> str:
    """The form's `next` page: a path on this site only, never an absolute URL from a form field."""
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


def wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def done(message: str, to: str, category: str = "ok") -> Response:
    if wants_json():
        return jsonify({"ok": True, "message": message})
    flash(message, category)
    return redirect(to)  # type: ignore[return-value]


def refused(errors: dict[str, str]) -> Response:
    """For the page's script: the errors by field, nothing saved."""
    resp = jsonify({"ok": False, "errors": errors, "message": "Not saved: " + "; ".join(errors.values())})
    resp.status_code = 400
    return resp


def describe_report(what: str, report: CycleReport | list[CycleReport]) -> str:
    """One sentence for one operation's report (or several added up)."""
    reports = report if isinstance(report, list) else [report]
    dicts = [r.to_dict() for r in reports]
    data: dict[str, Any] = {k: sum(int(d.get(k) or 0) for d in dicts) for k in REPORT_FIELDS}
    data["stopped"] = next((d["stopped"] for d in dicts if d.get("stopped")), None)
    parts = [f"{k.replace('_', ' ')}: {data[k]}" for k in REPORT_FIELDS if data.get(k)]
    text = f"{what}: " + (", ".join(parts) if parts else "nothing to do")
    if data.get("stopped"):
        text += f". Stopped: {data['stopped']}"
    return text + "."
