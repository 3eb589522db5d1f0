"""The Salesforce fake as a sandbox service: route table, backend, auth, the daily API request
limit and the error format (a JSON list of {message, errorCode, fields})."""

from __future__ import annotations

from typing import Any

from simulator.core.errors import ApiError
from simulator.core.service import Ctx, Route, Service
from simulator.salesforce import errors
from simulator.salesforce.jackson import parse_error_message
from simulator.salesforce.models import SalesforceBackend
from simulator.salesforce.urls import ROUTES

LIMIT_HEADER = "Sforce-Limit-Info"


class SalesforceService(Service):
    name = "salesforce"
    routes = ROUTES
    default_settings: dict[str, Any] = {
        "daily_api_requests": 15000,  # DailyApiRequests.Max; spent -> 403 REQUEST_LIMIT_EXCEEDED
        # Bulk API 2.0 jobs take this long per 1,000 rows on the sandbox clock (0: done at once);
        # `hubforce serve` sets 2 (README "Readings of the spec: the fakes").
        "bulk_seconds_per_1000_rows": 0,
    }

    def create_backend(self, sandbox: Any) -> SalesforceBackend:
        return SalesforceBackend(sandbox)

    def validate_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        settings = super().validate_settings(settings)
        n = settings.get("daily_api_requests")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError("salesforce.daily_api_requests must be a non-negative integer")
        pace = settings.get("bulk_seconds_per_1000_rows")
        if isinstance(pace, bool) or not isinstance(pace, int | float) or pace < 0:
            raise ValueError("salesforce.bulk_seconds_per_1000_rows must be a non-negative number")
        return settings

    def authenticate(self, ctx: Ctx) -> None:
        """REST calls carry `Authorization: Bearer <session>` (or `OAuth <session>`); Bulk 1.0 sends
        `X-SFDC-Session`. Unknown or expired sessions get the 401 list simple-salesforce re-logs on."""
        backend: SalesforceBackend = ctx.backend
        header = ctx.request.headers.get("Authorization", "")
        token = ""
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() in ("bearer", "oauth") and value.strip():
            token = value.strip()
        elif not header:
            token = ctx.request.headers.get("X-SFDC-Session", "").strip()
        session = backend.session_user(token) if token else None
        if session is None:
            err = errors.invalid_session()
            err.headers[LIMIT_HEADER] = backend.limit_info()  # usage is reported on every response
            raise err
        ctx.auth = session

    def before_dispatch(self, ctx: Ctx, route: Route) -> None:
        """Count the call against DailyApiRequests (not the versions list, not logins) and report the
        usage on the response, success or error."""
        backend: SalesforceBackend = ctx.backend
        if not route.public:
            backend.count_api_request()
        ctx.response_headers[LIMIT_HEADER] = backend.limit_info()
        backend.jobs.advance(backend, backend.now())  # paced Bulk API 2.0 jobs due by now

    def unrouted_headers(self, sandbox: Any) -> dict[str, str]:
        """404/405 answered by the router still report the day's API usage, like every response."""
        backend: SalesforceBackend = sandbox.backend(self.name)
        return {LIMIT_HEADER: backend.limit_info()}

    def error(self, status: int, message: str) -> ApiError:
        if status == 404 and message.startswith("No route for"):
            return errors.not_found()
        if status == 405:
            return errors.generic(405, _method_not_allowed_message() or message)
        return errors.generic(status, message)

    def malformed_json_error(self, detail: str, raw: bytes = b"", exc: BaseException | None = None) -> ApiError:
        return errors.json_parser_error(parse_error_message(raw, exc))

    def fault_error(self, status: int) -> ApiError:
        """An injected fault answers with what real orgs send for that status."""
        if status == 401:
            return errors.invalid_session()
        if status == 403:
            return errors.SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        if status == 503:
            return errors.SalesforceError(
                503, "SERVER_UNAVAILABLE", "Server is temporarily unavailable. Please try again later."
            )
        if status >= 500:
            return errors.SalesforceError(
                status,
                "UNKNOWN_EXCEPTION",
                "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-123456789)",
            )
        return errors.generic(status, f"Injected fault {status}")

    def admin_routes(self) -> list[Route]:
        from simulator.salesforce.admin import ADMIN_ROUTES

        return ADMIN_ROUTES


def _method_not_allowed_message() -> str | None:
    """Salesforce's wording: `HTTP Method 'PUT' not allowed. Allowed are GET,HEAD`."""
    try:
        from flask import current_app, request

        allowed = set(current_app.url_map.bind_to_environ(request.environ).allowed_methods()) - {"OPTIONS"}
        if request.path.rstrip("/").rsplit("/", 1)[-1].lower() in ("describe", "updated", "deleted"):
            allowed = {"GET", "HEAD"}  # these share the record-id rule's shape, not its verbs
        return f"HTTP Method '{request.method}' not allowed. Allowed are {','.join(sorted(allowed))}"
    except Exception:  # noqa: BLE001 - outside a request (or an odd environ): keep the generic text
        return None
