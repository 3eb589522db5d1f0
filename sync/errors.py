"""Errors: transport exceptions raised by the clients, and the documented sync-error categories
(ERR-2..6, A12) that Salesforce/HubSpot error codes map onto. One table for the mapping."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    ASSOCIATIONS = "ASSOCIATIONS"  # ERR-2
    CUSTOM_CODE = "CUSTOM_CODE"  # ERR-3: validation rules / flows / triggers
    DUPLICATES = "DUPLICATES"  # ERR-4: "Email already in use" / Salesforce duplicate rule
    PERMISSIONS = "PERMISSIONS"  # ERR-5
    PROPERTY_VALUE = "PROPERTY_VALUE"  # ERR-6 (blog taxonomy; A12)
    CONVERTED_LEAD = "CONVERTED_LEAD"  # CON-10 / A7: a converted lead cannot be written
    TRANSIENT = "TRANSIENT"  # retries exhausted on 429/5xx/timeouts; retried later (ERR-7)
    OTHER = "OTHER"


# Salesforce StatusCode -> category (A12: key on errorCode, never on the message text).
SALESFORCE_ERROR_CATEGORIES: dict[str, Category] = {
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": Category.CUSTOM_CODE,
    "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY": Category.CUSTOM_CODE,  # trigger/flow failure
    "DUPLICATES_DETECTED": Category.DUPLICATES,
    "DUPLICATE_VALUE": Category.DUPLICATES,
    "INSUFFICIENT_ACCESS_OR_READONLY": Category.PERMISSIONS,
    "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY": Category.PERMISSIONS,
    "INVALID_FIELD_FOR_INSERT_UPDATE": Category.PERMISSIONS,
    "INVALID_CROSS_REFERENCE_KEY": Category.PERMISSIONS,  # "Insufficient access or missing Salesforce record"
    "ENTITY_IS_DELETED": Category.PERMISSIONS,
    "NOT_FOUND": Category.PERMISSIONS,
    "REQUIRED_FIELD_MISSING": Category.PROPERTY_VALUE,
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": Category.PROPERTY_VALUE,
    "STRING_TOO_LONG": Category.PROPERTY_VALUE,
    "INVALID_EMAIL_ADDRESS": Category.PROPERTY_VALUE,
    "INVALID_TYPE_ON_FIELD_IN_RECORD": Category.PROPERTY_VALUE,
    "NUMBER_OUTSIDE_VALID_RANGE": Category.PROPERTY_VALUE,
    "MALFORMED_ID": Category.PROPERTY_VALUE,
    "INVALID_FIELD": Category.PROPERTY_VALUE,
    "CANNOT_UPDATE_CONVERTED_LEAD": Category.CONVERTED_LEAD,
}

# Salesforce codes that stop the whole integration (SUS-1..4) instead of one record.
SUSPENSION_CODES: dict[str, str] = {
    "REQUEST_LIMIT_EXCEEDED": "SUS-1 Salesforce Organization API Limit Exceeded",
    "API_DISABLED_FOR_ORG": "SUS-2 Salesforce Organization API Access Disabled",
    "API_CURRENTLY_DISABLED": "SUS-2 Salesforce Organization API Access Disabled",
    "INSUFFICIENT_ACCESS": "SUS-3 Salesforce Object Permissions Missing",
    "UNKNOWN_EXCEPTION": "SUS-4 Unknown Error",
}


def salesforce_category(code: str | None) -> Category:
    return SALESFORCE_ERROR_CATEGORIES.get(code or "", Category.OTHER)


def hubspot_category(status: int, category: str | None, message: str = "") -> Category:
    if status == 409 or category == "CONFLICT":
        return Category.DUPLICATES  # CON-13 / ERR-4 "Email already in use"
    if status in (401, 403):
        return Category.PERMISSIONS
    if status == 400 or category == "VALIDATION_ERROR":
        return Category.PROPERTY_VALUE
    if status == 404:
        return Category.PERMISSIONS
    return Category.OTHER


class SyncHttpError(Exception):
    """A non-retryable HTTP error (or retries exhausted) from either API."""

    def __init__(self, system: str, status: int, code: str | None, message: str, body: object = None) -> None:
        super().__init__(f"{system} HTTP {status} {code or ''}: {message}".strip())
        self.system = system
        self.status = status
        self.code = code
        self.message = message
        self.body = body


class TransientError(SyncHttpError):
    """429/5xx/timeouts/dropped connections that outlived the retry budget."""


class DailyLimitReached(SyncHttpError):
    """HubSpot 429 with policyName DAILY: stop calling HubSpot until the next UTC day."""


class SuspensionError(SyncHttpError):
    """A Salesforce answer that suspends the integration (SUS-1..4)."""

    def __init__(self, reason: str, status: int, code: str | None, message: str) -> None:
        super().__init__("salesforce", status, code, f"{reason}: {message}")
        self.reason = reason


class AuthError(SyncHttpError):
    """Credentials rejected (after one re-login attempt)."""


class AllocationExhausted(Exception):
    """LIM-1: the Salesforce API allocation for the last 24 hours is used up."""


class StateUnavailable(Exception):
    """The state database cannot be opened (bad URL, missing directory or database, refused login)."""


class RecordNotFound(LookupError):
    """A record the user named (HubSpot id, Salesforce id or email) exists on neither side: not a
    settings problem, its own kind of error (the CLI's exit code 6, the UI's 404)."""

    def __init__(self, record: str, message: str) -> None:
        super().__init__(message)
        self.record = record
        self.message = message

    def __str__(self) -> str:
        return self.message
