"""Base error type for the fakes. Each service subclasses it with its own wire format (HubSpot's
`{"status":"error",...}` object, Salesforce's `[{"errorCode":...}]` list); the HTTP layer only
knows how to send one."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body!r}")
        self.status = status
        self.body = body
        self.headers = headers or {}


class ControlError(ApiError):
    """An error from the sandbox control API (not an emulated API), in a plain, documented shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, {"error": message, "status": status})
