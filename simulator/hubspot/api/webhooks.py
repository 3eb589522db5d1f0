"""Webhooks management API (`client.webhooks.settings_api` / `subscriptions_api`, developer `hapikey`
auth — see auth.py) and the admin side door for deliveries (wire spec 2.10)."""

from __future__ import annotations

from typing import Any

from flask import Response

from simulator.core.clock import iso_ms
from simulator.core.errors import ControlError
from simulator.core.service import Ctx, Route, json_response
from simulator.hubspot.errors import HubSpotError, validation
from simulator.hubspot.webhooks import DEFAULT_APP_ID, WebhookDispatcher

W = "/webhooks/v3/<app_id>"


def _hooks(ctx: Ctx) -> WebhookDispatcher:
    return ctx.backend.webhooks


def _app(ctx: Ctx, app_id: str) -> int:
    """The app id of the path, which must be one of the developer account's apps: the management
    API is per app (`/webhooks/v3/{appId}/...`, authenticated by that developer account's key), and
    subscriptions made under any other id would never belong to the app that receives the events."""
    if not app_id.isdigit():
        raise validation(f"appId must be numeric, got {app_id!r}")
    app = int(app_id)
    if app not in ctx.backend.settings.get("developer_app_ids", ()):
        # Assumed wording and status (no captured traffic): the app is not found for this developer key.
        raise HubSpotError(404, "OBJECT_NOT_FOUND", f"App {app} not found for this developer account")
    return app


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise validation("The request body must be a JSON object")
    return body


def get_settings(ctx: Ctx, app_id: str) -> Response:
    return json_response(_hooks(ctx).get_settings(_app(ctx, app_id)))


def put_settings(ctx: Ctx, app_id: str) -> Response:
    body = _object(ctx.json_body())
    return json_response(_hooks(ctx).configure(_app(ctx, app_id), body.get("targetUrl"), body.get("throttling")))


def clear_settings(ctx: Ctx, app_id: str) -> Response:
    _hooks(ctx).clear_settings(_app(ctx, app_id))
    return json_response(None, 204)


def list_subscriptions(ctx: Ctx, app_id: str) -> Response:
    app = _app(ctx, app_id)
    subs = sorted((s for s in _hooks(ctx).subscriptions.values() if s.app_id == app), key=lambda s: s.id)
    return json_response({"results": [s.to_json() for s in subs]})


def create_subscription(ctx: Ctx, app_id: str) -> Response:
    body = _object(ctx.json_body())
    sub = _hooks(ctx).create_subscription(
        _app(ctx, app_id), body.get("eventType"), body.get("propertyName"), body.get("active", True)
    )
    return json_response(sub.to_json(), 201)


def get_subscription(ctx: Ctx, app_id: str, subscription_id: str) -> Response:
    return json_response(_hooks(ctx).subscription(_app(ctx, app_id), subscription_id).to_json())


def patch_subscription(ctx: Ctx, app_id: str, subscription_id: str) -> Response:
    body = _object(ctx.json_body())
    return json_response(_hooks(ctx).set_active(_app(ctx, app_id), subscription_id, body.get("active")).to_json())


def delete_subscription(ctx: Ctx, app_id: str, subscription_id: str) -> Response:
    _hooks(ctx).delete_subscription(_app(ctx, app_id), subscription_id)
    return json_response(None, 204)


def batch_update(ctx: Ctx, app_id: str) -> Response:
    app = _app(ctx, app_id)
    body = _object(ctx.json_body())
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise validation("inputs must be an array")
    results, errors = [], []
    for item in inputs:
        if not isinstance(item, dict):
            raise validation("Each input must be an object with id and active")
        try:
            results.append(_hooks(ctx).set_active(app, str(item.get("id")), item.get("active")).to_json())
        except HubSpotError as exc:
            errors.append(
                {
                    "status": "error",
                    "category": exc.category,
                    "message": exc.message,
                    "context": {"ids": [str(item.get("id"))]},
                    "errors": [],
                    "links": {},
                }
            )
    now = iso_ms(ctx.sandbox.clock.now())
    out: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
    if errors:
        out.update(numErrors=len(errors), errors=errors)
    return json_response(out, 207 if errors else 200)


ROUTES: list[Route] = [
    Route(f"{W}/settings", ("GET",), get_settings),
    Route(f"{W}/settings", ("PUT",), put_settings),
    Route(f"{W}/settings", ("DELETE",), clear_settings),
    Route(f"{W}/subscriptions/batch/update", ("POST",), batch_update),
    Route(f"{W}/subscriptions", ("GET",), list_subscriptions),
    Route(f"{W}/subscriptions", ("POST",), create_subscription),
    Route(f"{W}/subscriptions/<subscription_id>", ("GET",), get_subscription),
    Route(f"{W}/subscriptions/<subscription_id>", ("PATCH",), patch_subscription),
    Route(f"{W}/subscriptions/<subscription_id>", ("DELETE",), delete_subscription),
]


# --- admin (mounted under /_hubforce/hubspot) -------------------------------------------------------
def _body(optional: bool = False) -> dict[str, Any]:
    from simulator.admin.routes import body_json

    data = body_json(optional=optional)
    if not isinstance(data, dict):
        raise ControlError(400, "the body must be a JSON object")
    return data


def _dispatcher(sandbox: Any) -> WebhookDispatcher:
    return sandbox.backend("hubspot").webhooks


def admin_subscribe(sandbox: Any) -> Response:
    """{"eventType", "propertyName"?, "active"?, "appId"?, "targetUrl"?} -> 201 subscription."""
    data = _body()
    app_id = data.get("appId", DEFAULT_APP_ID)
    if not isinstance(app_id, int) or isinstance(app_id, bool):
        raise ControlError(400, "appId must be an integer")
    hooks = _dispatcher(sandbox)
    try:
        if data.get("targetUrl") is not None:
            hooks.configure(app_id, data["targetUrl"])
        sub = hooks.create_subscription(
            app_id, data.get("eventType"), data.get("propertyName"), data.get("active", True)
        )
    except HubSpotError as exc:
        raise ControlError(400, exc.message) from exc
    return json_response(sub.to_json(), 201)


def admin_flush(sandbox: Any) -> Response:
    """Deliver pending events and due retries now (synchronously)."""
    attempted = _dispatcher(sandbox).flush()
    return json_response({"attempted": len(attempted), "deliveries": _dispatcher(sandbox).deliveries_json()})


def admin_deliveries(sandbox: Any) -> Response:
    hooks = _dispatcher(sandbox)
    return json_response({"pending": len(hooks.pending), "deliveries": hooks.deliveries_json()})


ADMIN_ROUTES: list[Route] = [
    Route("/webhooks/subscriptions", ("POST",), admin_subscribe),
    Route("/webhooks/flush", ("POST",), admin_flush),
    Route("/webhooks/deliveries", ("GET",), admin_deliveries),
]
