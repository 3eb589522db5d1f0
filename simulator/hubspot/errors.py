"""HubSpot's error catalog and body format (wire spec 2.5):
{"status":"error","message":...,"correlationId":...,"category":...,"subCategory"?,"errors"?,"context"?,"links"?}
"""

from __future__ import annotations

from typing import Any

from simulator.core.context import correlation_id
from simulator.core.errors import ApiError


class HubSpotError(ApiError):
    def __init__(
        self,
        status: int,
        category: str,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        context: dict[str, list[str]] | None = None,
        sub_category: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        body: dict[str, Any] = {
            "status": "error",
            "message": message,
            "correlationId": correlation_id(),  # unique per response, not seeded
            "category": category,
        }
        if sub_category:
            body["subCategory"] = sub_category
        if errors is not None:
            body["errors"] = errors
        if context is not None:
            body["context"] = context
        body["links"] = {}
        if extra:
            body.update(extra)
        super().__init__(status, body, headers)
        self.category = category
        self.message = message


def not_found(message: str = "resource not found") -> HubSpotError:
    return HubSpotError(404, "OBJECT_NOT_FOUND", message)


def validation(message: str, errors: list[dict[str, Any]] | None = None, context: dict[str, list[str]] | None = None) -> HubSpotError:
    return HubSpotError(400, "VALIDATION_ERROR", message, errors=errors, context=context)


def conflict(message: str) -> HubSpotError:
    return HubSpotError(409, "CONFLICT", message)


def unauthorized(message: str = "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview") -> HubSpotError:
    return HubSpotError(401, "INVALID_AUTHENTICATION", message)


def generic(status: int, message: str) -> HubSpotError:
    category = {400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 403: "MISSING_SCOPES", 404: "OBJECT_NOT_FOUND",
                405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "VALIDATION_ERROR", 415: "VALIDATION_ERROR",
                429: "RATE_LIMITS"}.get(status, "INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR")
    return HubSpotError(status, category, message)
