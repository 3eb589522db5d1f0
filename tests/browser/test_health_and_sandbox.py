"""Sync health and the sandbox controls in the browser: an error resynced from Sync health, a
fault rule added and seen in the (live-updating) request journal."""

from __future__ import annotations

import csv
import io
from typing import Any

import requests

from tests.browser.conftest import Ui, flash, nav

# A Salesforce validation rule makes the lead create fail (FIELD_CUSTOM_VALIDATION_EXCEPTION).
TITLE_REQUIRED = {"object": "Lead", "name": "Title required", "message": "Title is required",
                  "condition": {"field": "Title", "op": "is_blank"}}


def make_sync_error(page: Any, ui: Ui) -> str:
    """Install, then a HubSpot contact whose lead Salesforce refuses: one sync error."""
    page.goto("/settings/integrations/salesforce")
    page.get_by_role("button", name="Install the integration").click()
    ui.control("POST", "/salesforce/validation-rules", TITLE_REQUIRED)
    contact = ui.hs("POST", "/crm/v3/objects/contacts", {"properties": {"email": "grace@example.com", "lastname": "Hopper", "company": "Navy"}})
    page.get_by_role("button", name="Run sync cycle").click()
    assert "errors: 1" in flash(page), flash(page)
    return str(contact["id"])


def test_error_resynced_from_sync_health(page: Any, ui: Ui, shot: Any) -> None:
    contact_id = make_sync_error(page, ui)
    nav(page, "Sync health")
    org_max = ui.control("GET", "/salesforce/api-usage")["max"]
    assert page.locator("#api-org").inner_text().endswith(f"used of {org_max}")  # LIM-1: limited by Salesforce
    assert int(page.locator("#api-used").inner_text()) > 0
    table = page.locator("#errors").inner_text()
    assert "Title is required" in table and contact_id in table
    category = page.locator("ul.categories li").nth(1).inner_text()
    assert category.endswith("(1)"), category
    exported = page.request.get("/health/errors.csv").text()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["record_id"] for r in rows] == [contact_id] and "Title is required" in rows[0]["message"]
    shot(page, "sync-health-error")

    page.get_by_role("button", name="Resync selected").click()  # nothing ticked: refused, next to the list
    assert "Select at least one error" in page.locator('[data-error-for="record"]').inner_text()

    ui.control("DELETE", "/salesforce/validation-rules")  # the admin fixes the cause ...
    page.get_by_label("Select the", exact=False).first.check()  # ... and resyncs the record
    page.get_by_role("button", name="Resync selected").click()
    assert "created in salesforce: 1" in flash(page), flash(page)
    assert "No sync errors." in page.locator("#errors").inner_text()
    leads = requests.get(f"{ui.fakes.salesforce_url}/services/data/v59.0/query",
                         params={"q": "SELECT Id FROM Lead WHERE Email = 'grace@example.com'"},
                         headers={"Authorization": "Bearer sandbox-session"}, timeout=10).json()
    assert leads["totalSize"] == 1


def test_suspension_banner_and_clear(page: Any, ui: Ui) -> None:
    page.goto("/settings/integrations/salesforce")
    page.get_by_role("button", name="Install the integration").click()
    # SUS-1: Salesforce's org-wide API limit answers 403 REQUEST_LIMIT_EXCEEDED.
    ui.control("POST", "/faults", {"service": "salesforce", "path": "/query", "action": "status", "status": 403, "times": 1})
    ui.hs("POST", "/crm/v3/objects/contacts", {"properties": {"email": "katherine@example.com"}})
    page.get_by_role("button", name="Run sync cycle").click()
    assert "suspended" in flash(page).lower()
    nav(page, "Sync health")
    assert page.locator("#suspension").is_visible()
    page.get_by_role("button", name="Clear suspension").click()
    assert "Suspension cleared" in flash(page)
    assert page.locator("#suspension").count() == 0


def test_fault_rule_added_and_seen_in_the_journal(page: Any, ui: Ui, shot: Any) -> None:
    page.goto("/sandbox/")
    page.get_by_label("Service").select_option("salesforce")
    page.get_by_label("Method").select_option("GET")
    page.get_by_label("Path (regular expression)").fill("/query")
    page.get_by_label("Action").select_option("status")
    page.get_by_label("Status", exact=True).fill("503")
    page.get_by_label("Times (empty: every matching request)").fill("1")
    page.get_by_role("button", name="Add fault rule").click()
    assert "Fault rule added" in flash(page)
    rules = page.locator("#fault-rules").inner_text()
    assert "/query" in rules and "status 503" in rules
    shot(page, "sandbox-fault")

    nav(page, "Request journal")
    page.get_by_label("Service").select_option("salesforce")
    page.get_by_label("Status").fill("503")
    page.get_by_role("button", name="Filter").click()
    assert "No requests match." in page.locator("#journal-rows").inner_text()
    # A client hits the faulted endpoint while the page is open: the row appears without a reload.
    hit = requests.get(f"{ui.fakes.salesforce_url}/services/data/v59.0/query", params={"q": "SELECT Id FROM Lead"},
                       headers={"Authorization": "Bearer sandbox-session"}, timeout=10)
    assert hit.status_code == 503
    row = page.locator("#journal-rows tr", has_text="/services/data/v59.0/query")
    row.wait_for()
    assert "503" in row.inner_text()
    shot(page, "journal-fault")

    nav(page, "Sandbox")
    page.get_by_role("button", name="Remove fault rule").first.click()
    assert "No fault rules." in page.locator("#fault-rules").inner_text()
    assert ui.control("GET", "/faults")["faults"] == []
