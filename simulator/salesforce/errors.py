"""Salesforce's error catalog and body format (wire spec 3.5): every REST error body is a JSON list
`[{"message":...,"errorCode":...,"fields":[...]}]`."""

from __future__ import annotations

from simulator.core.errors import ApiError


class SalesforceError(ApiError):
    def __init__(self, status: int, error_code: str, message: str, fields: list[str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        item: dict[str, object] = {"message": message, "errorCode": error_code}
        if fields is not None:
            item["fields"] = fields
        super().__init__(status, [item], headers)
        self.error_code = error_code
        self.message = message
        self.fields = fields or []


def not_found() -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")


def invalid_session() -> SalesforceError:
    return SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def json_parser_error(detail: str) -> SalesforceError:
    return SalesforceError(400, "JSON_PARSER_ERROR", detail)


def generic(status: int, message: str) -> SalesforceError:
    code = {400: "MALFORMED_REQUEST", 401: "INVALID_SESSION_ID", 403: "FORBIDDEN", 404: "NOT_FOUND",
            405: "METHOD_NOT_ALLOWED", 413: "REQUEST_ENTITY_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE"}.get(
        status, "UNKNOWN_EXCEPTION" if status >= 500 else "BAD_REQUEST")
    return SalesforceError(status, code, message)
