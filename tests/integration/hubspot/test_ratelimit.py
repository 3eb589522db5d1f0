"""HubSpot rate limits on the sandbox clock (wire spec 2.9): burst window, daily limit, headers, tiers,
the off switch, and injected 429 faults in HubSpot's body."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from hubspot import Client
from hubspot.crm.contacts.exceptions import ApiException

AUTH = {"Authorization": "Bearer pat-local-sandbox"}


def hit(api: Any) -> requests.Response:
    return requests.get(f"{api.hubspot_url}/crm/v3/objects/contacts?limit=1", headers=AUTH)


def test_burst_limit_headers_and_rolling_window(api: Any, sandbox: Any) -> None:
    sandbox.update_settings("hubspot", {"tier": "starter"})
    first = hit(api)
    assert first.headers["X-HubSpot-RateLimit-Max"] == "100"
    assert first.headers["X-HubSpot-RateLimit-Remaining"] == "99"
    assert first.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert first.headers["X-HubSpot-RateLimit-Daily"] == "250000"
    assert first.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "249999"
    sandbox.clock.advance(5)
    for _ in range(99):
        assert hit(api).status_code == 200
    limited = hit(api)
    assert limited.status_code == 429
    body = limited.json()
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert (body["status"], body["errorType"], body["category"], body["policyName"]) == (
        "error",
        "RATE_LIMIT",
        "RATE_LIMITS",
        "TEN_SECONDLY_ROLLING",
    )
    assert body["correlationId"]
    sandbox.clock.advance(5)  # the first request leaves the 10 s window
    again = hit(api)
    assert again.status_code == 200 and again.headers["X-HubSpot-RateLimit-Remaining"] == "0"


@pytest.mark.parametrize(
    ("tier", "packs", "burst", "daily"),
    [
        ("starter", 0, 100, 250_000),
        ("professional", 0, 190, 625_000),
        ("enterprise", 0, 190, 1_000_000),
        ("enterprise", 2, 250, 3_000_000),
    ],
)
def test_tiers(api: Any, sandbox: Any, tier: str, packs: int, burst: int, daily: int) -> None:
    sandbox.update_settings("hubspot", {"tier": tier, "api_limit_increase_packs": packs})
    r = hit(api)
    assert r.headers["X-HubSpot-RateLimit-Max"] == str(burst)
    assert r.headers["X-HubSpot-RateLimit-Daily"] == str(daily)


def test_daily_limit_resets_at_sandbox_midnight(api: Any, sandbox: Any) -> None:
    sandbox.update_settings("hubspot", {"tier": "starter"})
    hit(api)
    sandbox.backend("hubspot").ratelimit.daily_used = 250_000
    r = hit(api)
    assert r.status_code == 429 and r.json()["policyName"] == "DAILY"
    assert r.json()["message"] == "You have reached your daily limit."
    sandbox.clock.advance(15 * 3600)  # 09:00 + 15 h = next day 00:00 UTC
    r = hit(api)
    assert r.status_code == 200 and r.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "249999"


def test_rate_limits_off(api: Any, sandbox: Any) -> None:
    sandbox.update_settings("hubspot", {"rate_limits": False, "tier": "starter"})
    assert all(hit(api).status_code == 200 for _ in range(105))
    for _ in range(7):
        r = requests.post(f"{api.hubspot_url}/crm/v3/objects/contacts/search", json={}, headers=AUTH)
        assert r.status_code == 200


def test_client_sees_429_and_injected_fault_has_hubspots_body(hs: Client, sandbox: Any) -> None:
    sandbox.faults.add({"service": "hubspot", "path": "/crm/v3/objects/contacts", "status": 429, "times": 1})
    with pytest.raises(ApiException) as exc:
        hs.crm.contacts.basic_api.get_page()
    body = json.loads(exc.value.body)
    assert exc.value.status == 429 and body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["errorType"] == "RATE_LIMIT"
    assert hs.crm.contacts.basic_api.get_page().results == []


def test_a_person_in_the_ui_does_not_spend_the_integrations_limits(api: Any, sandbox: Any) -> None:
    """The sandbox's UI principal (the scenario harness acting as a person) is not an API client:
    its requests neither count against nor are refused by the burst, daily or search limits, and
    the integration's token keeps its whole budget."""
    from simulator.clients import HUBSPOT_PERSON_TOKEN

    sandbox.update_settings("hubspot", {"tier": "starter"})
    person = {"Authorization": f"Bearer {HUBSPOT_PERSON_TOKEN}"}
    url = f"{api.hubspot_url}/crm/v3/objects/contacts"
    for _ in range(150):  # more than the starter burst of 100
        assert requests.get(f"{url}?limit=1", headers=person).status_code == 200
    search = {"filterGroups": [], "limit": 1}
    for _ in range(8):  # more than 5 searches a second
        assert requests.post(f"{url}/search", json=search, headers=person).status_code == 200
    first = hit(api)
    assert first.status_code == 200
    assert first.headers["X-HubSpot-RateLimit-Remaining"] == "99"
    assert first.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "249999"
    assert requests.post(f"{url}/search", json=search, headers=AUTH).status_code == 200
