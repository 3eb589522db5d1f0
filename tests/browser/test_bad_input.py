"""Bad input in forms: the page shows the error next to the field, keeps what was typed, and
nothing is saved (checked through the fakes' APIs and the saved settings)."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Ui, autosave, field_error


def test_empty_list_name(page: Any, ui: Ui) -> None:
    page.goto("/lists/new")
    page.get_by_label("Property 1").select_option("lifecyclestage")
    page.get_by_label("Value 1").fill("lead")
    page.get_by_role("button", name="Review").click()
    assert field_error(page, "name") == "Enter a name for the list."
    assert page.get_by_label("List name").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Property 1").input_value() == "lifecyclestage"
    assert page.get_by_label("Value 1").input_value() == "lead"
    assert ui.hs("GET", "/crm/v3/lists/")["lists"] == []


def test_invalid_criteria(page: Any, ui: Ui) -> None:
    page.goto("/lists/new")
    page.get_by_label("List name").fill("MQLs")
    page.get_by_label("Property 1").select_option("lifecyclestage")
    page.get_by_label("Value 1").fill("not-a-stage")
    page.get_by_role("button", name="Review").click()
    assert "'not-a-stage' is not an option of Lifecycle Stage" in field_error(page, "value1")
    assert page.get_by_label("List name").input_value() == "MQLs"
    assert page.get_by_label("Value 1").input_value() == "not-a-stage"
    # A criterion without a value is refused next to its value field too.
    page.get_by_label("Value 1").fill("lead")
    page.get_by_label("Property 2").select_option("jobtitle")
    page.get_by_role("button", name="Review").click()
    assert field_error(page, "value1") == ""
    assert field_error(page, "value2").startswith("Enter a value for")
    assert ui.hs("GET", "/crm/v3/lists/")["lists"] == []


def test_duplicate_list_name_shows_hubspots_error(page: Any, ui: Ui) -> None:
    ui.hs("POST", "/crm/v3/lists/", {"name": "MQLs", "objectTypeId": "0-1", "processingType": "MANUAL"})
    page.goto("/lists/new")
    page.get_by_label("List name").fill("MQLs")
    page.get_by_label("Static list").check()
    page.get_by_role("button", name="Review").click()
    page.get_by_role("button", name="Save list").click()
    assert "MQLs" in field_error(page, "name")  # HubSpot's own words: the name is taken
    assert page.get_by_label("List name").input_value() == "MQLs"
    assert len(ui.hs("GET", "/crm/v3/lists/")["lists"]) == 1


def test_non_number_allocation(page: Any, ui: Ui) -> None:
    page.goto("/health/")
    page.get_by_label("Allocated to the sync (calls per 24 hours)").fill("lots")
    page.get_by_role("button", name="Save allocation").click()
    assert "Enter a whole number" in field_error(page, "allocation")
    assert page.get_by_label("Allocated to the sync (calls per 24 hours)").input_value() == "lots"
    page.goto("/health/")
    assert page.get_by_label("Allocated to the sync (calls per 24 hours)").input_value() == ""  # nothing saved
    page.get_by_label("Allocated to the sync (calls per 24 hours)").fill("5000")
    page.get_by_role("button", name="Save allocation").click()
    used = int(page.locator("#api-used").inner_text())  # checking the settings read describe: counted (LIM-1)
    assert int(page.locator("#api-remaining").inner_text()) == 5000 - used


def test_salesforce_refusal_next_to_its_field(page: Any, ui: Ui) -> None:
    page.goto("/records/")
    page.locator("#sf_Email").fill("nolastname@example.com")
    page.locator("#sf_Company").fill("Acme")
    page.get_by_role("button", name="Create in Salesforce").click()
    assert "REQUIRED_FIELD_MISSING" in field_error(page, "sf_LastName")  # Salesforce's error, its field
    assert page.locator("#sf_Email").input_value() == "nolastname@example.com"
    assert "nolastname@example.com" not in page.locator("#salesforce-records").inner_text()


def test_bad_sandbox_inputs(page: Any, ui: Ui) -> None:
    page.goto("/sandbox/")
    page.get_by_label("Advance by").fill("soon")
    page.get_by_role("button", name="Advance the clock").click()
    assert "Enter a number" in field_error(page, "amount")
    assert page.get_by_label("Advance by").input_value() == "soon"
    page.get_by_label("Path (regular expression)").fill("([")
    page.get_by_role("button", name="Add fault rule").click()
    assert field_error(page, "path"), "the control API's refusal of a bad regex, next to the path"
    assert page.get_by_label("Path (regular expression)").input_value() == "(["
    assert ui.control("GET", "/faults")["faults"] == []


def test_field_mappings_rule_change_and_a_bad_new_mapping(page: Any, ui: Ui) -> None:
    page.goto("/settings/integrations/salesforce")
    rule = page.get_by_label("Sync rule for jobtitle ⇄ Title")
    autosave(page, rule, "two_way", saved="Field mappings saved")
    page.reload()
    assert page.get_by_label("Sync rule for jobtitle ⇄ Title").input_value() == "two_way"

    page.get_by_label("HubSpot property (internal name)").fill("favourite_colour")
    page.get_by_label("Salesforce field (API name)").fill("Favourite_Colour__c")
    page.get_by_role("button", name="Save mappings").click()
    problem = field_error(page, "new_hubspot") + field_error(page, "new_salesforce")
    assert "favourite_colour" in problem or "Favourite_Colour__c" in problem, problem
    assert page.get_by_label("Salesforce field (API name)").input_value() == "Favourite_Colour__c"
    page.goto("/settings/integrations/salesforce")
    assert "favourite_colour" not in page.locator("#mappings table").inner_text()  # nothing saved
