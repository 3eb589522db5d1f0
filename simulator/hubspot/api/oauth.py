"""OAuth 2.0 endpoints (`client.oauth.*`, wire spec 2.1). They are public: the SDK sends no
Authorization header to them. Admin actions: issue an auth code, expire an access token."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request

from simulator.core.errors import ControlError
from simulator.core.service import Ctx, Route, json_response
from simulator.hubspot.auth import oauth_error


def _form() -> dict[str, str]:
    """The SDK posts `application/x-www-form-urlencoded`; other clients send JSON. Accept both."""
    if request.form:
        return {k: v for k, v in request.form.items()}
    raw = request.get_data(cache=True)
    if raw.strip():
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise oauth_error("BAD_GRANT_TYPE") from None
        if isinstance(data, dict):
            return {str(k): str(v) for k, v in data.items() if v is not None}
    return {}


def create_token(ctx: Ctx) -> Response:
    return json_response(ctx.backend.tokens.token_request(_form()))


def access_token_info(ctx: Ctx, token: str) -> Response:
    return json_response(ctx.backend.tokens.access_token_info(token))


def refresh_token_info(ctx: Ctx, token: str) -> Response:
    return json_response(ctx.backend.tokens.refresh_token_info(token))


def delete_refresh_token(ctx: Ctx, token: str) -> Response:
    ctx.backend.tokens.delete_refresh_token(token)
    return json_response(None, 204)


ROUTES: list[Route] = [
    Route("/oauth/v1/token", ("POST",), create_token, public=True),
    Route("/oauth/v1/access-tokens/<token>", ("GET",), access_token_info, public=True),
    Route("/oauth/v1/refresh-tokens/<token>", ("GET",), refresh_token_info, public=True),
    Route("/oauth/v1/refresh-tokens/<token>", ("DELETE",), delete_refresh_token, public=True),
]


# --- admin (mounted under /_hubforce/hubspot) -------------------------------------------------------
def _admin_body() -> dict[str, Any]:
    from simulator.admin.routes import body_json

    data = body_json(optional=True)
    if not isinstance(data, dict):
        raise ControlError(400, "the body must be a JSON object")
    return data


def admin_authorize(sandbox: Any) -> Response:
    """{"scopes"?: [...], "redirect_uri"?: str} -> {"code": ...}: what the consent screen would redirect with."""
    data = _admin_body()
    scopes = data.get("scopes")
    if scopes is not None and not (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)):
        raise ControlError(400, "scopes must be a list of strings")
    code = sandbox.backend("hubspot").tokens.issue_code(scopes, data.get("redirect_uri"))
    return json_response({"code": code})


def admin_expire(sandbox: Any) -> Response:
    """{"token": access_token, "seconds_ago"?: int}: the token stops working now."""
    data = _admin_body()
    token, seconds_ago = data.get("token"), data.get("seconds_ago", 0)
    if not isinstance(token, str) or not isinstance(seconds_ago, int) or seconds_ago < 0:
        raise ControlError(400, "token (string) is required; seconds_ago must be a non-negative integer")
    if not sandbox.backend("hubspot").tokens.expire(token, seconds_ago):
        raise ControlError(404, "no such OAuth access token")
    return json_response({"expired": token})


ADMIN_ROUTES: list[Route] = [
    Route("/oauth/authorize", ("POST",), admin_authorize),
    Route("/oauth/expire", ("POST",), admin_expire),
]
