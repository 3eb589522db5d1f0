"""The Salesforce fake as a sandbox service: route table, backend, auth, limits, error format.
STUB parts marked; to be completed by the Salesforce fake's owner."""

from __future__ import annotations

from typing import Any

from simulator.core.errors import ApiError
from simulator.core.service import Ctx, Route, Service
from simulator.salesforce import errors
from simulator.salesforce.models import SalesforceBackend
from simulator.salesforce.urls import ROUTES


class SalesforceService(Service):
    name = "salesforce"
    routes = ROUTES
    default_settings: dict[str, Any] = {
        "daily_api_requests": 15000,  # DailyApiRequests.Max; spent -> 403 REQUEST_LIMIT_EXCEEDED
    }

    def create_backend(self, sandbox: Any) -> SalesforceBackend:
        return SalesforceBackend(sandbox)

    def authenticate(self, ctx: Ctx) -> None:
        pass  # STUB

    def before_dispatch(self, ctx: Ctx, route: Route) -> None:
        pass  # STUB

    def error(self, status: int, message: str) -> ApiError:
        return errors.generic(status, message)

    def malformed_json_error(self, detail: str) -> ApiError:
        return errors.json_parser_error(detail)
