"""HubSpot auth: private-app token, OAuth 2.0 token endpoints (official client), 401 formats."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from flask import Flask
from hubspot.crm.owners.exceptions import UnauthorizedException
from hubspot.oauth.exceptions import ApiException as OAuthApiException

from simulator.clients import hubspot_client
from simulator.core.errors import ApiError
from simulator.core.service import error_response
from simulator.hubspot.api.oauth import admin_authorize, admin_expire

CLIENT = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}


def admin(handler: Any, sandbox: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Call an admin (control-API) handler the way /_hubforce/hubspot/... mounts it."""
    with Flask(__name__).test_request_context(method="POST", json=body), sandbox.lock:
        try:
            resp = handler(sandbox)
        except ApiError as err:  # what the control-API view does
            resp = error_response(err)
    return resp.status_code, resp.get_json()


def test_private_app_token_works_and_others_get_401_in_hubspot_format(api: Any) -> None:
    url = f"{api.hubspot_url}/crm/v3/owners/"
    assert requests.get(url, headers={"Authorization": "Bearer pat-local-sandbox"}).status_code == 200
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer "},
    ):
        resp = requests.get(url, headers=headers)
        assert resp.status_code == 401, headers
        body = resp.json()
        assert body["status"] == "error" and body["category"] == "INVALID_AUTHENTICATION"
        assert body["correlationId"] and body["message"]


def test_missing_token_raises_unauthorized_in_the_sdk(live: Any) -> None:
    client = hubspot_client(live.hubspot_url, access_token="pat-wrong")
    with pytest.raises(UnauthorizedException) as exc:
        client.crm.owners.owners_api.get_page()
    assert json.loads(exc.value.body)["category"] == "INVALID_AUTHENTICATION"


def test_oauth_code_exchange_refresh_and_token_info_with_the_official_client(
    hs: Any, live: Any, sandbox: Any
) -> None:
    tokens = hs.oauth.tokens_api.create(
        grant_type="authorization_code",
        code="sandbox-auth-code",
        redirect_uri="http://localhost/cb",
        **CLIENT,
    )
    assert tokens.token_type == "bearer" and tokens.expires_in == 1800
    assert tokens.access_token and tokens.refresh_token
    oauth_client = hubspot_client(live.hubspot_url, access_token=tokens.access_token)
    assert oauth_client.crm.owners.owners_api.get_page().results

    info = hs.oauth.access_tokens_api.get(tokens.access_token)
    assert info.token == tokens.access_token and info.expires_in == 1800 and info.hub_id == 2_400_001
    assert "crm.objects.contacts.read" in info.scopes and info.user == "integration@example.com"
    sandbox.clock.advance(600)
    assert hs.oauth.access_tokens_api.get(tokens.access_token).expires_in == 1200

    refreshed = hs.oauth.tokens_api.create(
        grant_type="refresh_token", refresh_token=tokens.refresh_token, **CLIENT
    )
    assert refreshed.access_token != tokens.access_token and refreshed.refresh_token == tokens.refresh_token
    rinfo = hs.oauth.refresh_tokens_api.get(tokens.refresh_token)
    assert rinfo.client_id == "sandbox-client-id" and rinfo.token == tokens.refresh_token

    hs.oauth.refresh_tokens_api.archive(tokens.refresh_token)
    with pytest.raises(OAuthApiException) as exc:
        hs.oauth.tokens_api.create(grant_type="refresh_token", refresh_token=tokens.refresh_token, **CLIENT)
    assert exc.value.status == 400 and json.loads(exc.value.body)["status"] == "BAD_REFRESH_TOKEN"
    # revoking the refresh token revoked the access tokens issued from it
    with pytest.raises(UnauthorizedException):
        hubspot_client(live.hubspot_url, access_token=refreshed.access_token).crm.owners.owners_api.get_page()


def test_expired_oauth_token_is_401_expired_authentication(api: Any, sandbox: Any) -> None:
    tok = requests.post(
        f"{api.hubspot_url}/oauth/v1/token",
        data={"grant_type": "authorization_code", "code": "sandbox-auth-code", **CLIENT},
    ).json()["access_token"]
    url, headers = f"{api.hubspot_url}/crm/v3/owners/", {"Authorization": f"Bearer {tok}"}
    sandbox.clock.advance(1799)
    assert requests.get(url, headers=headers).status_code == 200
    sandbox.clock.advance(43)
    resp = requests.get(url, headers=headers)
    assert resp.status_code == 401
    assert resp.json()["category"] == "EXPIRED_AUTHENTICATION"
    assert resp.json()["message"] == "The OAuth token used to make this call expired 42 second(s) ago."


BAD_TOKEN_FORMS = [
    ({"grant_type": "authorization_code", "code": "bogus", **CLIENT}, "BAD_AUTH_CODE"),
    (
        {
            "grant_type": "authorization_code",
            "code": "sandbox-auth-code",
            "client_id": "x",
            "client_secret": "y",
        },
        "BAD_CLIENT_ID",
    ),
    (
        {
            "grant_type": "authorization_code",
            "code": "sandbox-auth-code",
            "client_id": "sandbox-client-id",
            "client_secret": "y",
        },
        "BAD_CLIENT_SECRET",
    ),
    ({"grant_type": "refresh_token", "refresh_token": "nope", **CLIENT}, "BAD_REFRESH_TOKEN"),
    ({"grant_type": "password", **CLIENT}, "BAD_GRANT_TYPE"),
    ({}, "BAD_GRANT_TYPE"),
]


def test_bad_token_requests_are_400_with_oauth_error_body(api: Any) -> None:
    # one test over many cases: each `api` transport is set up once, not once per case
    for form, status in BAD_TOKEN_FORMS:
        resp = requests.post(f"{api.hubspot_url}/oauth/v1/token", data=form)
        assert resp.status_code == 400
        assert resp.json()["status"] == status and resp.json()["message"]


def test_unknown_tokens_on_info_endpoints_are_404(api: Any) -> None:
    assert requests.get(f"{api.hubspot_url}/oauth/v1/access-tokens/nope").status_code == 404
    assert requests.get(f"{api.hubspot_url}/oauth/v1/refresh-tokens/nope").status_code == 404
    assert requests.delete(f"{api.hubspot_url}/oauth/v1/refresh-tokens/nope").status_code == 404


def test_admin_issued_codes_are_single_use_and_tokens_can_be_expired(api: Any, sandbox: Any) -> None:
    status, body = admin(
        admin_authorize,
        sandbox,
        {"scopes": ["oauth", "crm.objects.contacts.read"], "redirect_uri": "http://app/cb"},
    )
    assert status == 200
    form = {
        "grant_type": "authorization_code",
        "code": body["code"],
        "redirect_uri": "http://app/cb",
        **CLIENT,
    }
    wrong_uri = requests.post(
        f"{api.hubspot_url}/oauth/v1/token", data={**form, "redirect_uri": "http://evil/cb"}
    )
    assert wrong_uri.status_code == 400
    first = requests.post(f"{api.hubspot_url}/oauth/v1/token", data=form)
    assert first.status_code == 200
    again = requests.post(f"{api.hubspot_url}/oauth/v1/token", data=form)
    assert again.status_code == 400 and again.json()["status"] == "BAD_AUTH_CODE"
    token = first.json()["access_token"]
    info = requests.get(f"{api.hubspot_url}/oauth/v1/access-tokens/{token}").json()
    assert info["scopes"] == ["oauth", "crm.objects.contacts.read"]

    assert admin(admin_expire, sandbox, {"token": token, "seconds_ago": 5}) == (200, {"expired": token})
    resp = requests.get(f"{api.hubspot_url}/crm/v3/owners/", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401 and "expired 5 second(s) ago" in resp.json()["message"]
    assert admin(admin_expire, sandbox, {"token": "nope"})[0] == 404


def test_token_store_snapshot_round_trip(sandbox: Any) -> None:
    backend = sandbox.backend("hubspot")
    tokens = backend.tokens.token_request(
        {"grant_type": "authorization_code", "code": "sandbox-auth-code", **CLIENT}
    )
    data = json.loads(json.dumps(backend.tokens.dump()))
    backend.tokens.access.clear()
    backend.tokens.load(data)
    assert backend.tokens.check_token(tokens["access_token"]).kind == "oauth"
