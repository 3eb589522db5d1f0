"""Browser tests of the web UI (issue 16): Playwright driving Debian's Chromium (a browser
download is impossible here, so Playwright is pointed at the system binary), against both fakes
on real sockets and the UI on a free port, all in this process.

- `ui`: the UI served for one test (fresh settings and sync state), over the reset `live` fakes.
- `page`: a Chromium page; `shot(page, name, doc=False)` saves a screenshot to
  artifacts/screenshots/ (the README's pages, doc=True, also to $HUBFORCE_SCREENSHOTS_DIR when set:
  `make screenshots` refreshes docs/screenshots/).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from hubforce.web.server import UiHandle, serve_ui
from simulator.core.server import ServerHandle

CHROMIUM = os.environ.get("HUBFORCE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
VIEWPORT = {"width": 1100, "height": 760}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        # Not a skip: CI must run these. `make test` installs it when apt-get is available.
        pytest.fail(f"browser tests need Chromium at {CHROMIUM}: install it with `apt-get install chromium`", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Ui:
    url: str
    fakes: ServerHandle
    handle: UiHandle

    def control(self, method: str, path: str, body: Any = None) -> Any:
        resp = requests.request(method, f"{self.fakes.hubspot_url}/_hubforce{path}", json=body, timeout=10)
        assert resp.status_code < 400, resp.text
        return resp.json() if resp.content else None

    def hs(self, method: str, path: str, body: Any = None) -> Any:
        resp = requests.request(method, f"{self.fakes.hubspot_url}{path}", json=body, timeout=10,
                                headers={"Authorization": "Bearer pat-local-sandbox"})
        assert resp.status_code < 400, resp.text
        return resp.json() if resp.content else None

    def journal(self, **filters: str) -> list[dict[str, Any]]:
        return list(self.control("GET", "/journal?" + "&".join(f"{k}={v}" for k, v in filters.items()))["entries"])


@pytest.fixture
def ui(live: ServerHandle, tmp_path: Path) -> Iterator[Ui]:
    handle = serve_ui(live.hubspot_url, live.salesforce_url, tmp_path / "web", port=0)
    yield Ui(handle.url, live, handle)
    handle.stop()


@pytest.fixture
def page(browser: Any, ui: Ui) -> Iterator[Any]:
    context = browser.new_context(base_url=ui.url, viewport=VIEWPORT)
    context.set_default_timeout(20_000)  # generous: CI and developers share two cores
    pg = context.new_page()
    yield pg
    context.close()


def _shot(pg: Any, name: str, doc: bool = False) -> Path:
    """Every shot goes to artifacts/; the README's (`doc=True`) also to $HUBFORCE_SCREENSHOTS_DIR."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path))
    extra = os.environ.get("HUBFORCE_SCREENSHOTS_DIR")
    if extra and doc:
        Path(extra).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(Path(extra) / f"{name}.png"))
    return path


@pytest.fixture
def shot() -> Callable[..., Path]:
    return _shot


def flash(pg: Any) -> str:
    return str(pg.locator("#flash").inner_text())


def field_error(pg: Any, name: str) -> str:
    return str(pg.locator(f'[data-error-for="{name}"]').first.inner_text())


def autosave(pg: Any, control: Any, value: str | None = None, label: str | None = None, saved: str = "Saved") -> None:
    """Change a select that saves itself, once the page's script is listening (a click's navigation
    may return before the new page has run it), and wait for its form to say `saved`."""
    pg.wait_for_selector("html[data-ready=true]", state="attached")
    if label is not None:
        control.select_option(label=label)
    else:
        control.select_option(value)
    pg.wait_for_function(
        "(text) => [...document.querySelectorAll('.save-status')].some(s => s.textContent.startsWith(text))", arg=saved
    )


def nav(pg: Any, name: str) -> None:
    """Follow a link of the main navigation."""
    pg.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def tab_to(pg: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user would (fails if never reached)."""
    target = pg.locator(selector).first
    for _ in range(limit):
        pg.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} is not reachable with Tab within {limit} presses")


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
