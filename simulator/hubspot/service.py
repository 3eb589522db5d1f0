"""The HubSpot fake as a sandbox service: route table, backend, auth, rate limits, error format."""

from __future__ import annotations

from typing import Any

from simulator.core.errors import ApiError
from simulator.core.service import Ctx, Route, Service
from simulator.hubspot import errors
from simulator.hubspot.api import lists, oauth, owners, seed, webhooks
from simulator.hubspot.auth import APP_ID
from simulator.hubspot.models import HubSpotBackend
from simulator.hubspot.ratelimit import rate_limit_error
from simulator.hubspot.urls import ROUTES

TIERS = ("starter", "professional", "enterprise")


class HubSpotService(Service):
    name = "hubspot"
    routes = ROUTES
    default_settings: dict[str, Any] = {
        "tier": "professional",  # burst/daily limits follow the tier (wire spec 2.9)
        "rate_limits": True,  # False: never answer 429
        "api_limit_increase_packs": 0,  # 0..2
        "private_app_tokens": ["pat-local-sandbox"],
        "webhook_target_url": None,
        "webhook_max_attempts": 10,
        # Readings of the spec (README "Readings of the spec: the fakes"):
        "search_lag_seconds": 0,  # search index lag on the sandbox clock; `hubforce serve` sets 3
        "search_filter_limits": [5, 6, 18],  # filterGroups, filters per group, filters in total
        # IN / NOT_IN on string properties: values must be lower case (the search guide's operator
        # table); a value with capitals matches nothing. False: case-insensitive like EQ.
        "search_in_lowercase_only": True,
        # Merges of contacts/companies create a new record with a new id (current API); False: the
        # primary keeps its id (the behaviour before HubSpot's "Updated merge functionality" change).
        "merge_new_id": True,
        "developer_app_ids": [APP_ID],  # the apps the developer key owns: webhooks/v3/{appId} for others is 404
        # "request": deliveries go out right after the API call that caused them (in-process: flush
        # explicitly); "timer": a background sender delivers and retries on its own schedule
        # (`hubforce serve` starts it), as HubSpot's sender does, apart from the API call.
        "webhook_delivery": "request",
        # The portal setting "Automatically create and associate companies with contacts"
        # (autocompany.py): off in the sandbox so contact-only scenarios see no extra records.
        "auto_create_companies": False,
        "auto_association_opt_out_domains": [],
        # DEL-4 (A9): whether the portal's Salesforce integration syncs companies. In HubSpot that
        # integration is HubSpot's own app, so the portal knows; an external engine is no such
        # app, so a person (scenario step, `hubforce sandbox settings`) says so here. On: merging
        # two companies is refused (README reading A9).
        "salesforce_company_sync": False,
    }

    def create_backend(self, sandbox: Any) -> HubSpotBackend:
        return HubSpotBackend(sandbox)

    def authenticate(self, ctx: Ctx) -> None:
        ctx.auth = ctx.backend.tokens.authenticate(ctx.request)

    def before_dispatch(self, ctx: Ctx, route: Route) -> None:
        ctx.backend.ratelimit.check(ctx, route)

    def after_request(self, ctx: Ctx) -> None:
        # Outside the sandbox lock: a receiver may call the fake back while its delivery is in flight.
        # A cheap no-op unless this request (or an earlier one) left events or due retries behind.
        if ctx.backend.settings["webhook_delivery"] == "request":
            ctx.backend.webhooks.flush()

    def admin_routes(self) -> list[Route]:
        """Mounted under /_hubforce/hubspot/ (no auth): OAuth codes and expiry, owners, webhook
        subscriptions / flush / deliveries, list processing delay, seeding records and associations."""
        return [
            *oauth.ADMIN_ROUTES,
            *owners.ADMIN_ROUTES,
            *webhooks.ADMIN_ROUTES,
            *lists.ADMIN_ROUTES,
            *seed.ADMIN_ROUTES,
        ]

    def error(self, status: int, message: str) -> ApiError:
        return errors.generic(status, message)

    def fault_error(self, status: int) -> ApiError:
        # An injected 429 must look like HubSpot's real one (policyName etc., wire spec 2.9).
        if status == 429:
            return rate_limit_error("TEN_SECONDLY_ROLLING")
        return super().fault_error(status)

    def malformed_json_error(self, detail: str, raw: bytes = b"", exc: BaseException | None = None) -> ApiError:
        return errors.validation(f"Invalid input JSON on line 1, column 1: {detail}")

    def validate_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        settings = super().validate_settings(settings)
        if settings["tier"] not in TIERS:
            raise ValueError(f"hubspot tier must be one of {', '.join(TIERS)}, not {settings['tier']!r}")
        lag = settings["search_lag_seconds"]
        if isinstance(lag, bool) or not isinstance(lag, int | float) or lag < 0:
            raise ValueError(f"hubspot search_lag_seconds must be a non-negative number, not {lag!r}")
        limits = settings["search_filter_limits"]
        if (not isinstance(limits, list | tuple) or len(limits) != 3
                or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in limits)):
            raise ValueError("hubspot search_filter_limits must be [groups, filters per group, filters in total]")
        settings["search_filter_limits"] = list(limits)
        apps = settings["developer_app_ids"]
        if not isinstance(apps, list | tuple) or not all(isinstance(a, int) and not isinstance(a, bool) for a in apps):
            raise ValueError("hubspot developer_app_ids must be a list of integers")
        settings["developer_app_ids"] = list(apps)
        if not isinstance(settings["auto_create_companies"], bool):
            raise ValueError("hubspot auto_create_companies must be true or false")
        if not isinstance(settings["salesforce_company_sync"], bool):
            raise ValueError("hubspot salesforce_company_sync must be true or false")
        domains = settings["auto_association_opt_out_domains"]
        if not isinstance(domains, list | tuple) or not all(isinstance(d, str) for d in domains):
            raise ValueError("hubspot auto_association_opt_out_domains must be a list of domains")
        settings["auto_association_opt_out_domains"] = list(domains)
        if settings["webhook_delivery"] not in ("request", "timer"):
            raise ValueError(f"hubspot webhook_delivery must be 'request' or 'timer', not {settings['webhook_delivery']!r}")
        return settings
