"""The sandbox in a browser (issue 16): server-rendered pages over the fakes' HTTP APIs, the
control API and the sync engine's public API.

    from hubforce.web import create_app
    app = create_app("http://127.0.0.1:8101", "http://127.0.0.1:8102", folder=Path(".hubforce/web"))

`hubforce serve` serves it on port 8100 (`--ui-port`, `--no-ui`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from flask import Flask, current_app, render_template, request

from hubforce.web.fakes import FakeError, Fakes
from hubforce.web.integration import Integration
from sync.engine import EngineBusy
from sync.errors import RecordNotFound, SyncHttpError
from sync.settings import SettingsError

NAV = [
    ("settings.salesforce", "Salesforce integration"),
    ("lists.index", "Lists"),
    ("records.index", "Records"),
    ("health.index", "Sync health"),
    ("sandbox.index", "Sandbox"),
    ("sandbox.journal", "Request journal"),
    ("scenarios.index", "Scenarios"),
]


@dataclass
class Ui:
    fakes: Fakes
    integration: Integration
    scenario_results: dict[str, Any] = field(default_factory=dict)  # path -> last Result


def ui() -> Ui:
    return current_app.extensions["hubforce_ui"]  # type: ignore[no-any-return]


def create_app(hubspot_url: str, salesforce_url: str, folder: Path, verify: str | bool = True,
               fresh: bool = False) -> Flask:
    """`folder` keeps the integration's settings and sync state; `fresh` forgets the sync state
    (links, cursors, installed) and the inclusion list, for a sandbox that starts empty."""
    from hubforce.web.views import health, lists, records, sandbox, scenarios, settings

    app = Flask(__name__)
    # Only for flash messages between a form post and the page it redirects to.
    app.config["SECRET_KEY"] = secrets.token_hex(16)
    fakes = Fakes(hubspot_url, salesforce_url, verify=verify)
    app.extensions["hubforce_ui"] = Ui(fakes, Integration(fakes, folder, verify=verify, fresh=fresh))
    for module in (settings, lists, records, health, sandbox, scenarios):
        app.register_blueprint(module.bp)
    app.add_url_rule("/", "home", lambda: settings.connected_apps())
    app.jinja_env.globals["NAV"] = NAV

    @app.errorhandler(FakeError)
    def fake_error(exc: FakeError) -> tuple[str, int]:
        # A fake refused or failed a call the page needed: say which, in the API's own words.
        code = exc.status if exc.status in (400, 404, 409) else 502  # a missing record stays a 404
        return render_template("error.html", status=exc.status, message=exc.message, path=request.path), code

    @app.errorhandler(SyncHttpError)
    @app.errorhandler(requests.ConnectionError)
    def unreachable(exc: Exception) -> tuple[str, int]:
        # The engine or a page could not get an answer at all (a fake stopped, a dropped connection).
        return render_template("error.html", status=502, message=str(exc), path=request.path), 502

    @app.errorhandler(RecordNotFound)
    def record_not_found(exc: RecordNotFound) -> tuple[str, int]:
        # a resync of a record that matches nothing on either side
        return render_template("error.html", status=404, message=str(exc), path=request.path), 404

    @app.errorhandler(EngineBusy)
    def engine_busy(exc: EngineBusy) -> tuple[str, int]:
        # a `hubforce sync run` (or another UI) holds this state database: one engine at a time
        return render_template("error.html", status=409, message=str(exc), path=request.path), 409

    @app.errorhandler(SettingsError)
    def settings_error(exc: SettingsError) -> tuple[str, int]:
        # e.g. a resync of a record that matches nothing, or settings the engine no longer accepts
        return render_template("error.html", status=400, message=str(exc), path=request.path), 400

    return app
