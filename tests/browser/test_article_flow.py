"""The seed article's walk in the browser: Settings -> Integrations -> Connected apps ->
Salesforce -> Contacts -> "Limit what syncs" -> "+ Create inclusion list" -> the list builder
(name, criteria, Review and save, processing) -> back to pick it (the choice saves itself and
syncs nothing) -> a Salesforce lead created in the record view -> one sync cycle: the HubSpot
contact is created even outside the list (INC-7), and then held back (INC-8)."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Ui, autosave, field_error, flash, nav, words


def create_active_list(page: Any, shot: Any) -> None:
    page.get_by_role("link", name="+ Create inclusion list").click()
    page.get_by_label("List name").fill("Marketing qualified")
    page.get_by_label("Active list").check()
    page.get_by_label("Property 1").select_option("lifecyclestage")
    page.get_by_label("Condition 1").select_option("eq")
    page.get_by_label("Value 1").fill("marketingqualifiedlead")
    shot(page, "walk-list-builder")
    page.get_by_role("button", name="Review").click()
    assert "lifecyclestage is equal to 'marketingqualifiedlead'" in page.locator("dl.review").inner_text()
    page.get_by_role("button", name="Save list").click()


def test_article_walk_end_to_end(page: Any, ui: Ui, shot: Any) -> None:
    # The fake takes time to process a new active list, as HubSpot does.
    ui.control("PUT", "/hubspot/lists/processing-delay", {"seconds": 30})
    page.goto("/")
    page.get_by_role("link", name="Salesforce", exact=True).first.click()
    assert page.get_by_role("heading", name="Salesforce", exact=True).is_visible()
    assert [words(t) for t in page.locator("nav.tabs a").all_inner_texts()][:4] == ["Contacts", "Companies", "Deals", "Activities"]
    page.get_by_role("button", name="Install the integration").click()
    assert "Installed" in flash(page)

    create_active_list(page, shot)
    status = page.locator("#processing-status")
    assert status.inner_text() == "PROCESSING"
    shot(page, "walk-list-processing")
    page.get_by_role("button", name="Advance the clock 1 minute").click()
    assert page.locator("#processing-status").inner_text() == "COMPLETE"
    page.get_by_role("link", name="Back to the Salesforce settings").click()

    writes_before = [e for e in ui.journal() if e["method"] != "GET" and "/query" not in e["path"]]
    autosave(page, page.get_by_label("Limit what syncs"), label="Marketing qualified")
    assert "Nothing syncs until a trigger fires" in page.locator(".save-status").first.inner_text()
    shot(page, "walk-settings-list-chosen")
    page.reload()  # saved: still chosen after a reload
    assert page.get_by_label("Limit what syncs").evaluate("s => s.selectedOptions[0].text") == "Marketing qualified"
    writes_after = [e for e in ui.journal() if e["method"] != "GET" and "/query" not in e["path"]]
    assert writes_after == writes_before, "saving the setting must not write to either system"

    # A Salesforce lead, created in the record view, outside the list.
    nav(page, "Records")
    page.get_by_label("Object").select_option("Lead")
    page.locator("#sf_Email").fill("ada@example.com")
    page.locator("#sf_FirstName").fill("Ada")
    page.locator("#sf_LastName").fill("Lovelace")
    page.locator("#sf_Company").fill("Acme")
    page.get_by_role("button", name="Create in Salesforce").click()
    assert "Salesforce lead" in flash(page) and "created" in flash(page)
    page.get_by_role("button", name="Run sync cycle").click()
    assert "created in hubspot: 1" in flash(page)

    # INC-7: the contact exists in HubSpot although it is not in the list.
    nav(page, "Records")
    page.get_by_label("Search by email").fill("ada@example.com")
    page.get_by_role("button", name="Search").click()
    page.locator("#hubspot-contacts").get_by_role("link", name="ada@example.com").click()
    values = page.locator("#values").inner_text()
    assert "Ada" in values and "Lovelace" in values
    assert page.locator("#link-state").inner_text().startswith("linked")
    assert "created" in page.locator("#decisions").inner_text().lower()

    # INC-8: further updates stay unsynced while she is outside the list.
    page.locator("#link").get_by_role("link", name="Lead").click()
    page.get_by_label("Field", exact=True).select_option("Title")
    page.get_by_label("New Salesforce value").fill("CTO")
    page.get_by_role("button", name="Save in Salesforce").click()
    page.get_by_role("button", name="Run sync cycle").click()
    contact = ui.hs("GET", "/crm/v3/objects/contacts/ada@example.com?idProperty=email&properties=jobtitle")
    assert not contact["properties"].get("jobtitle"), "held back: outside the inclusion list"
    trace = page.locator("#decisions").inner_text().lower()
    assert "inclusion list" in trace or "not in the list" in trace, trace
    shot(page, "walk-record-held-back")


def test_static_list_is_not_offered(page: Any, ui: Ui) -> None:
    page.goto("/lists/new?next=salesforce")
    page.get_by_label("List name").fill("Hand picked")
    page.get_by_label("Static list").check()
    page.get_by_role("button", name="Review").click()
    page.get_by_role("button", name="Save list").click()
    page.goto("/settings/integrations/salesforce")
    option = page.locator("#inclusion_list option", has_text="Hand picked")
    assert option.is_disabled()
    assert "static list: only active lists can limit what syncs" in option.inner_text()
    # Even posted by hand, the engine refuses it (INC-1) and nothing is saved.
    list_id = ui.hs("GET", "/crm/v3/lists/")["lists"][0]["listId"]
    answer = page.request.post("/settings/integrations/salesforce/contacts", form={"inclusion_list": str(list_id)},
                               headers={"X-Requested-With": "fetch"})
    assert answer.status == 400 and "inclusion_list" in answer.json()["errors"]
    page.reload()
    assert page.get_by_label("Limit what syncs").input_value() == ""
    assert field_error(page, "inclusion_list") == ""
