"""Who may call the HubSpot fake: private-app tokens, OAuth 2.0 access/refresh tokens and auth codes,
and the developer API key (`hapikey`) of the webhooks management API (wire spec 2.1, 2.5).

Plain Python, no HTTP: `api/oauth.py` parses requests and calls into `TokenStore`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from simulator.core.errors import ApiError
from simulator.hubspot.errors import HubSpotError, unauthorized

# Fixed sandbox credentials (documented in the README of the fake; the SDK tests use them).
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
FIXED_AUTH_CODE = "sandbox-auth-code"
DEVELOPER_API_KEY = "sandbox-developer-key"
# A person working in HubSpot's own UI (the sandbox's test harness acts as one): the app's own
# session, not an API integration, so its requests do not spend the portal's API limits (burst,
# daily, search). Only this sandbox knows the token; real portals have no such credential.
PERSON_TOKEN = "hubforce-ui-person"
APP_ID = 1_000_001
USER_ID = 2_000_001
USER_EMAIL = "integration@example.com"
HUB_DOMAIN = "hubforce-sandbox.hubspot.test"
ACCESS_TOKEN_TTL_S = 1800  # HubSpot's OAuth access tokens live 30 minutes
DEFAULT_SCOPES = [
    "oauth",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.lists.read",
    "crm.lists.write",
    "crm.objects.owners.read",
    "crm.schemas.contacts.read",
]
_TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

# OAuth endpoint error statuses. HubSpot's token endpoint answers 400 with its own body
# `{"status": "<CODE>", "message": ..., "correlationId": ...}` (not the CRM error shape). The codes
# are the ones HubSpot documents/uses; the exact message texts are our best reading.
OAUTH_ERRORS: dict[str, str] = {
    "BAD_GRANT_TYPE": "grant_type must be authorization_code or refresh_token",
    "BAD_AUTH_CODE": "missing or unknown auth code",
    "BAD_REFRESH_TOKEN": "missing or unknown refresh token",
    "BAD_CLIENT_ID": "missing or unknown client id",
    "BAD_CLIENT_SECRET": "the client secret does not match the client id",
    "BAD_REDIRECT_URI": "redirect_uri does not match the one the auth code was issued for",
}


def oauth_error(code: str, status: int = 400) -> ApiError:
    from simulator.core.context import correlation_id

    return ApiError(
        status, {"status": code, "message": OAUTH_ERRORS.get(code, code), "correlationId": correlation_id()}
    )


@dataclass
class AuthInfo:
    """What `ctx.auth` holds after authentication."""

    kind: str  # "private_app" | "oauth" | "developer" | "person" (the UI, see PERSON_TOKEN)
    token: str
    scopes: list[str] = field(default_factory=list)


@dataclass
class AccessToken:
    token: str
    refresh_token: str
    expires_at_ms: int
    scopes: list[str]


@dataclass
class RefreshToken:
    token: str
    scopes: list[str]


class TokenStore:
    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.codes: dict[str, dict[str, Any]] = {}  # auth code -> {"scopes", "redirect_uri"}

    # --- per-request authentication ----------------------------------------------------------------
    def authenticate(self, request: Any) -> AuthInfo:
        """Raise HubSpotError 401 unless the request carries a credential this portal accepts."""
        if request.path.startswith("/webhooks/"):
            # The webhooks management API is an app-developer API: developer key in `hapikey`.
            key = request.args.get("hapikey")
            if key == DEVELOPER_API_KEY:
                return AuthInfo("developer", key)
            raise unauthorized(_BAD_HAPIKEY if key else _MISSING)
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthorized(_MISSING)
        return self.check_token(token)

    def check_token(self, token: str) -> AuthInfo:
        if token == PERSON_TOKEN:
            return AuthInfo("person", token, list(DEFAULT_SCOPES))
        if token in self.backend.settings.get("private_app_tokens", []):
            return AuthInfo("private_app", token, list(DEFAULT_SCOPES))
        access = self.access.get(token)
        if access is None:
            raise unauthorized(_INVALID)
        now = self.backend.now_ms()
        if now >= access.expires_at_ms:
            seconds = (now - access.expires_at_ms) // 1000
            raise HubSpotError(
                401,
                "EXPIRED_AUTHENTICATION",
                f"The OAuth token used to make this call expired {seconds} second(s) ago.",
            )
        return AuthInfo("oauth", token, list(access.scopes))

    # --- OAuth flows --------------------------------------------------------------------------------
    def issue_code(self, scopes: list[str] | None = None, redirect_uri: str | None = None) -> str:
        code = self._random(36, "")
        self.codes[code] = {"scopes": list(scopes or DEFAULT_SCOPES), "redirect_uri": redirect_uri}
        return code

    def token_request(self, form: dict[str, str]) -> dict[str, Any]:
        """POST /oauth/v1/token: exchange an auth code or a refresh token for tokens."""
        grant = form.get("grant_type", "")
        if grant not in ("authorization_code", "refresh_token"):
            raise oauth_error("BAD_GRANT_TYPE")
        if form.get("client_id") != CLIENT_ID:
            raise oauth_error("BAD_CLIENT_ID")
        if form.get("client_secret") != CLIENT_SECRET:
            raise oauth_error("BAD_CLIENT_SECRET")
        if grant == "authorization_code":
            code = form.get("code", "")
            if code == FIXED_AUTH_CODE:
                scopes = list(DEFAULT_SCOPES)
            elif code in self.codes:
                issued = self.codes[code]
                if issued["redirect_uri"] and form.get("redirect_uri") != issued["redirect_uri"]:
                    raise oauth_error("BAD_REDIRECT_URI")
                scopes = issued["scopes"]
                del self.codes[code]  # auth codes are single-use
            else:
                raise oauth_error("BAD_AUTH_CODE")
            refresh = RefreshToken(self._random(36, "na1-"), scopes)
            self.refresh[refresh.token] = refresh
        else:
            refresh_token = self.refresh.get(form.get("refresh_token", ""))
            if refresh_token is None:
                raise oauth_error("BAD_REFRESH_TOKEN")
            refresh = refresh_token
        access = AccessToken(
            self._random(48, "CJ"),
            refresh.token,
            self.backend.now_ms() + ACCESS_TOKEN_TTL_S * 1000,
            list(refresh.scopes),
        )
        self.access[access.token] = access
        return {
            "token_type": "bearer",
            "access_token": access.token,
            "refresh_token": refresh.token,
            "expires_in": ACCESS_TOKEN_TTL_S,
        }

    def access_token_info(self, token: str) -> dict[str, Any]:
        access = self.access.get(token)
        if access is None:
            raise HubSpotError(404, "OBJECT_NOT_FOUND", "Token not found")
        remaining = (access.expires_at_ms - self.backend.now_ms()) // 1000
        if remaining <= 0:
            raise HubSpotError(400, "EXPIRED_AUTHENTICATION", "This access token has expired")
        return {
            "token": token,
            "user": USER_EMAIL,
            "hub_domain": HUB_DOMAIN,
            "scopes": access.scopes,
            "hub_id": self.backend.portal_id,
            "app_id": APP_ID,
            "expires_in": remaining,
            "user_id": USER_ID,
            "token_type": "access",
        }

    def refresh_token_info(self, token: str) -> dict[str, Any]:
        refresh = self.refresh.get(token)
        if refresh is None:
            raise HubSpotError(404, "OBJECT_NOT_FOUND", "Token not found")
        return {
            "token": token,
            "user": USER_EMAIL,
            "hub_domain": HUB_DOMAIN,
            "scopes": refresh.scopes,
            "hub_id": self.backend.portal_id,
            "client_id": CLIENT_ID,
            "user_id": USER_ID,
            "token_type": "refresh",
        }

    def delete_refresh_token(self, token: str) -> None:
        if self.refresh.pop(token, None) is None:
            raise HubSpotError(404, "OBJECT_NOT_FOUND", "Token not found")
        # Deleting a refresh token revokes it and the access tokens issued from it.
        for key in [k for k, a in self.access.items() if a.refresh_token == token]:
            del self.access[key]

    def expire(self, token: str, seconds_ago: int = 0) -> bool:
        """Admin: make an OAuth access token expired as of `seconds_ago` seconds before now."""
        access = self.access.get(token)
        if access is None:
            return False
        access.expires_at_ms = self.backend.now_ms() - seconds_ago * 1000
        return True

    def _random(self, length: int, prefix: str) -> str:
        if prefix == "na1-":
            return prefix + self.backend.sandbox.rng.uuid4()
        return prefix + self.backend.sandbox.rng.token(_TOKEN_ALPHABET, length)

    # --- snapshots ----------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "access": [asdict(a) for a in self.access.values()],
            "refresh": [asdict(r) for r in self.refresh.values()],
            "codes": self.codes,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.access = {a["token"]: AccessToken(**a) for a in data.get("access", [])}
        self.refresh = {r["token"]: RefreshToken(**r) for r in data.get("refresh", [])}
        self.codes = dict(data.get("codes", {}))


_MISSING = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
    "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
_BAD_HAPIKEY = (
    "The API key provided is invalid. View or manage your API key here: https://app.hubspot.com/l/api-key/"
)
# HubSpot answers an unknown bearer token with 401 INVALID_AUTHENTICATION; the exact message is our reading.
_INVALID = "Authentication credentials not found. The access token provided is invalid or has been revoked."
