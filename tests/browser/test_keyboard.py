"""The main flows with the keyboard alone: Tab to each control, type, Enter/Space, arrow keys
and type-ahead in selects. No mouse click anywhere in this file."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Ui, flash, tab_to


def submit(page: Any, key: str) -> None:
    """Press `key` on the focused control and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def test_article_walk_by_keyboard(page: Any, ui: Ui) -> None:
    page.goto("/settings/integrations/salesforce")
    tab_to(page, "#install")
    submit(page, "Enter")
    assert "Installed" in flash(page)

    tab_to(page, "#create-inclusion-list")
    submit(page, "Enter")
    assert "/lists/new" in page.url
    tab_to(page, "#name")
    page.keyboard.type("Keyboard MQLs")
    tab_to(page, "#prop1")
    page.keyboard.type("Lifecycle")  # type-ahead picks "Lifecycle Stage (lifecyclestage)"
    assert page.locator("#prop1").input_value() == "lifecyclestage"
    tab_to(page, "#value1")
    page.keyboard.type("marketingqualifiedlead")
    submit(page, "Enter")  # Enter in a field submits the form: the Review step
    tab_to(page, "#save-list")
    submit(page, "Enter")
    assert page.locator("#processing-status").is_visible()
    tab_to(page, "#back-to-settings")
    submit(page, "Enter")
    assert page.url.endswith("/settings/integrations/salesforce")

    page.wait_for_selector("html[data-ready=true]", state="attached")
    tab_to(page, "#inclusion_list")
    page.keyboard.press("ArrowDown")  # the first list after "All contacts": the new one; saves itself
    page.wait_for_function("document.querySelector('.save-status').textContent.startsWith('Saved')")
    page.reload()
    assert page.locator("#inclusion_list").evaluate("s => s.selectedOptions[0].text") == "Keyboard MQLs"

    tab_to(page, "#run-cycle")
    submit(page, "Enter")
    assert flash(page).startswith("Sync cycle")


def test_resync_from_sync_health_by_keyboard(page: Any, ui: Ui) -> None:
    page.goto("/settings/integrations/salesforce")
    tab_to(page, "#install")
    submit(page, "Enter")
    ui.control("POST", "/salesforce/validation-rules", {"object": "Lead", "name": "T", "message": "Title is required",
                                                        "condition": {"field": "Title", "op": "is_blank"}})
    ui.hs("POST", "/crm/v3/objects/contacts", {"properties": {"email": "kb@example.com", "lastname": "Board"}})
    tab_to(page, "#run-cycle")
    submit(page, "Enter")
    assert "errors: 1" in flash(page)
    page.goto("/health/")
    ui.control("DELETE", "/salesforce/validation-rules")
    tab_to(page, "#pick-1")
    page.keyboard.press("Space")
    assert page.locator("#pick-1").is_checked()
    tab_to(page, "#resync-selected")
    submit(page, "Enter")
    assert "created in salesforce: 1" in flash(page)


def test_every_control_is_reachable_by_tab(page: Any, ui: Ui) -> None:
    """On each form page, every enabled link, button, input and select receives focus by Tab."""
    for path in ("/settings/integrations/salesforce", "/lists/new", "/records/", "/health/", "/sandbox/"):
        page.goto(path)
        wanted = page.evaluate("""() => [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select')]
            .filter(el => !el.disabled && el.offsetParent !== null).length""")
        seen = set()
        for _ in range(wanted * 2 + 5):
            page.keyboard.press("Tab")
            seen.add(page.evaluate("""() => { const el = document.activeElement;
                return el ? [...document.querySelectorAll('*')].indexOf(el) : -1 }"""))
        reached = page.evaluate("""(seen) => [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select')]
            .filter(el => !el.disabled && el.offsetParent !== null)
            .filter(el => seen.includes([...document.querySelectorAll('*')].indexOf(el))).length""", list(seen))
        # radio groups are one Tab stop: count each group once
        radios = page.evaluate("""() => { const r = [...document.querySelectorAll('input[type=radio]')];
            return r.length - new Set(r.map(x => x.name)).size }""")
        assert reached >= wanted - radios, f"{path}: {wanted - reached} controls not reachable by Tab"
