"""Every main page with data on it: axe-core reports no serious or critical violation, and a
screenshot of each is saved (the README's come from here: `make screenshots`)."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Ui, autosave, flash

ARTICLE_SCENARIO = "seed_article/salesforce-auto-create-ignores-list-once.scenario.yaml"
PAGES = [  # (screenshot name, path, shown in the README)
    ("connected-apps", "/settings/integrations", False),
    ("salesforce-settings", "/settings/integrations/salesforce", True),
    ("lists", "/lists/", False),
    ("list-builder", "/lists/new?next=salesforce", True),
    ("records", "/records/", True),
    ("sync-health", "/health/", True),
    ("sandbox", "/sandbox/", True),
    ("journal", "/sandbox/journal", True),
    ("scenarios", "/scenarios/", False),
    ("scenario-result", f"/scenarios/show?file={ARTICLE_SCENARIO}", True),
]


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def populate(page: Any, ui: Ui) -> None:
    """What a person has after a while: sample data, an inclusion list, a sync error, a fault."""
    ui.hs("POST", "/crm/v3/lists/", {
        "name": "Marketing qualified", "objectTypeId": "0-1", "processingType": "DYNAMIC",
        "filterBranch": {"filterBranchType": "OR", "filterBranchOperator": "OR", "filters": [], "filterBranches": [{
            "filterBranchType": "AND", "filterBranchOperator": "AND", "filterBranches": [], "filters": [{
                "filterType": "PROPERTY", "property": "lifecyclestage",
                "operation": {"operationType": "ENUMERATION", "operator": "IS_ANY_OF", "values": ["marketingqualifiedlead"]}}]}]}})
    ui.hs("POST", "/crm/v3/lists/", {"name": "Hand picked", "objectTypeId": "0-1", "processingType": "MANUAL"})
    page.goto("/settings/integrations/salesforce")
    page.get_by_role("button", name="Install the integration").click()
    autosave(page, page.get_by_label("Limit what syncs"), label="Marketing qualified")
    page.goto("/sandbox/")
    page.get_by_role("button", name="Seed sample data").click()
    ui.control("POST", "/salesforce/validation-rules", {"object": "Lead", "name": "Phone required", "message": "Phone is required",
                                                        "condition": {"field": "Phone", "op": "is_blank"}})
    ui.hs("POST", "/crm/v3/objects/contacts", {"properties": {"email": "mary@example.com", "lastname": "Jackson",
                                                              "lifecyclestage": "marketingqualifiedlead"}})
    page.get_by_role("button", name="Run sync cycle").click()
    assert "errors: 2" in flash(page), flash(page)  # Ada (sample data) and Mary: in the list, no phone
    ui.control("POST", "/faults", {"service": "hubspot", "method": "POST", "path": "/crm/v3/objects/contacts/search",
                                   "action": "status", "status": 429, "times": 1})
    page.goto("/scenarios/show?file=" + ARTICLE_SCENARIO)
    page.get_by_role("button", name="Run this scenario").click()
    assert page.locator("#scenario-result").inner_text().startswith("PASSED")


def test_every_page_is_accessible_and_pictured(page: Any, ui: Ui, shot: Any) -> None:
    populate(page, ui)
    problems = {}
    for name, path, in_readme in PAGES:
        page.goto(path)
        assert page.locator("h1").count() == 1, f"{path}: one h1"
        shot(page, name, doc=in_readme)
        found = serious_violations(page)
        if found:
            problems[path] = found
    # the record view, reached from the records list
    page.goto("/records/")
    page.locator("#hubspot-contacts").get_by_role("link", name="mary@example.com").click()
    shot(page, "record", doc=True)
    if found := serious_violations(page):
        problems["record"] = found
    assert problems == {}


def test_bad_input_pages_are_accessible(page: Any, ui: Ui) -> None:
    """The error states too: errors tied to their fields, still no serious violation."""
    page.goto("/lists/new")
    page.get_by_role("button", name="Review").click()
    assert page.get_by_label("List name").get_attribute("aria-describedby") == "name-error"
    assert serious_violations(page) == []
    page.goto("/health/")
    page.get_by_label("Allocated to the sync (calls per 24 hours)").fill("x")
    page.get_by_role("button", name="Save allocation").click()
    assert serious_violations(page) == []
