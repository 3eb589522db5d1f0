"""HubSpot API rate limits (wire spec 2.9), on the sandbox clock (tests advance it instead of sleeping).

* burst: rolling 10 s window per app (token): starter 100, professional/enterprise 190, 250 with API
  limit increase packs; public OAuth apps 110 per installing account.
* daily: per account, by tier (250k / 625k / 1M, +1M per pack), reset at midnight UTC of the sandbox clock.
* CRM search: 5 requests per second per account, no X-HubSpot-RateLimit headers on its responses.
Setting `rate_limits: false` turns the 429s off (headers still count down). Requests of a person in
the UI (auth.PERSON_TOKEN, the scenario harness) are not API calls and are not counted."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from simulator.hubspot.errors import HubSpotError

if TYPE_CHECKING:
    from simulator.core.service import Ctx, Route
    from simulator.hubspot.models import HubSpotBackend

WINDOW_MS = 10_000
SEARCH_WINDOW_MS = 1_000
SEARCH_PER_SECOND = 5
OAUTH_BURST = 110
BURST = {"starter": 100, "professional": 190, "enterprise": 190}
PACK_BURST = 250
DAILY = {"starter": 250_000, "professional": 625_000, "enterprise": 1_000_000}
PACK_DAILY = 1_000_000
DAY_MS = 86_400_000
MESSAGES = {
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "DAILY": "You have reached your daily limit.",
    "SECONDLY": "You have reached your secondly limit.",
}


def rate_limit_error(
    policy: str = "TEN_SECONDLY_ROLLING", headers: dict[str, str] | None = None
) -> HubSpotError:
    """HubSpot's 429 body: errorType RATE_LIMIT and category RATE_LIMITS (both are seen), policyName."""
    return HubSpotError(
        429,
        "RATE_LIMITS",
        MESSAGES[policy],
        headers=headers,
        extra={"errorType": "RATE_LIMIT", "policyName": policy},
    )


def is_search(route: Route) -> bool:
    return route.rule.startswith("/crm/v3/objects/") and route.rule.endswith("/search")


class RateLimiter:
    def __init__(self, backend: HubSpotBackend) -> None:
        self.backend = backend
        self._burst: dict[str, deque[int]] = {}
        self._search: deque[int] = deque()
        self._day = -1
        self.daily_used = 0

    def limits(self, oauth: bool) -> tuple[int, int]:
        settings = self.backend.settings
        tier = settings.get("tier", "professional")
        packs = int(settings.get("api_limit_increase_packs", 0) or 0)
        burst = OAUTH_BURST if oauth else (PACK_BURST if packs else BURST[tier])
        return burst, DAILY[tier] + PACK_DAILY * packs

    def check(self, ctx: Ctx, route: Route) -> None:
        if route.public or route.rule.startswith("/webhooks/"):
            return  # OAuth token endpoints and the developer-key webhooks API are not CRM API calls
        if getattr(ctx.auth, "kind", "") == "person":
            return  # a person in HubSpot's UI does not spend the integration's API limits (auth.PERSON_TOKEN)
        now = self.backend.now_ms()
        enforce = bool(self.backend.settings.get("rate_limits", True))
        auth = ctx.auth
        oauth = getattr(auth, "kind", "") == "oauth"
        key = getattr(auth, "token", "") or ""
        burst_max, daily_max = self.limits(oauth)
        day = now // DAY_MS
        if day != self._day:
            self._day, self.daily_used = day, 0
        window = self._burst.setdefault(key, deque())
        while window and window[0] <= now - WINDOW_MS:
            window.popleft()
        search = is_search(route)
        headers: dict[str, str] = {}
        if not search:
            headers = {
                "X-HubSpot-RateLimit-Max": str(burst_max),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(WINDOW_MS),
            }
            if not oauth:
                headers["X-HubSpot-RateLimit-Daily"] = str(daily_max)
        if enforce:
            if self.daily_used >= daily_max:
                raise rate_limit_error("DAILY", self._headers(headers, burst_max - len(window), 0, oauth))
            if len(window) >= burst_max:
                raise rate_limit_error(
                    "TEN_SECONDLY_ROLLING", self._headers(headers, 0, daily_max - self.daily_used, oauth)
                )
            if search:
                while self._search and self._search[0] <= now - SEARCH_WINDOW_MS:
                    self._search.popleft()
                if len(self._search) >= SEARCH_PER_SECOND:
                    raise rate_limit_error("SECONDLY")
        if search:
            self._search.append(now)
        window.append(now)
        self.daily_used += 1
        if not search:
            ctx.response_headers.update(
                self._headers(headers, burst_max - len(window), daily_max - self.daily_used, oauth)
            )

    @staticmethod
    def _headers(base: dict[str, str], remaining: int, daily_remaining: int, oauth: bool) -> dict[str, str]:
        if not base:
            return {}
        out = {**base, "X-HubSpot-RateLimit-Remaining": str(max(remaining, 0))}
        if not oauth:
            out["X-HubSpot-RateLimit-Daily-Remaining"] = str(max(daily_remaining, 0))
        return out

    def dump(self) -> dict[str, Any]:
        return {"day": self._day, "daily_used": self.daily_used}

    def load(self, data: dict[str, Any]) -> None:
        self._day = int(data.get("day", -1))
        self.daily_used = int(data.get("daily_used", 0))
