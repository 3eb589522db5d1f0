"""Logins against the Salesforce fake: OAuth password, client credentials, SOAP; re-login after the
session expires (401 INVALID_SESSION_ID)."""

from __future__ import annotations

from typing import Any

import pytest

from sync.errors import AuthError
from sync.settings import Settings
from tests.integration.sync.harness import HS_TOKEN, Env

LOGINS: dict[str, dict[str, Any]] = {
    "oauth-password": {
        "username": "integration@example.com",
        "password": "sandbox",
        "consumer_key": "sandbox-client",
        "consumer_secret": "sandbox-secret",
    },
    "client-credentials": {"consumer_key": "sandbox-client", "consumer_secret": "sandbox-secret"},
    "soap": {"username": "integration@example.com", "password": "sandbox"},
}


def settings_with(env: Env, login: dict[str, Any]) -> Settings:
    return Settings.from_dict(
        {
            "hubspot": {"url": env.hs_url, "token": HS_TOKEN},
            "salesforce": {"url": env.sf_url, "login_url": "https://login.salesforce.com", **login},
        }
    )


@pytest.mark.parametrize("kind", sorted(LOGINS))
def test_login_flows_and_relogin_after_expiry(env: Env, kind: str) -> None:
    eng = env.engine(settings_with(env, LOGINS[kind]))
    assert eng.run_cycle().stopped is None
    env.advance(60)
    env.hs_create(email=f"{kind}@example.com", lastname="Login")
    env.control("POST", "/_hubforce/salesforce/sessions/expire", {})  # every session token dies
    rep = eng.run_cycle()
    assert rep.stopped is None and rep.created_in_salesforce == 1


def test_bad_password_is_a_clear_auth_error(env: Env) -> None:
    bad = dict(LOGINS["oauth-password"], password="wrong")
    with pytest.raises(AuthError, match="salesforce HTTP 400"):
        env.engine(settings_with(env, bad)).validate()
