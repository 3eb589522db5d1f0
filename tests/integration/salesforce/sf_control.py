"""Helpers shared by the Salesforce fake's sobjects/auth/limits/admin tests (control-API calls)."""

from __future__ import annotations

from typing import Any

import requests

SESSION_HEADERS = {"Authorization": "Bearer sandbox-session"}


def control(base: str, path: str, body: Any = None, method: str = "POST") -> requests.Response:
    """Call a Salesforce control-API action (`/_hubforce/salesforce/<path>`)."""
    return requests.request(method, f"{base}/_hubforce/salesforce/{path}", json=body)


def add_hubspot_id_field(base: str, unique: bool = True) -> None:
    resp = control(
        base,
        "fields",
        {
            "object": "Lead",
            "name": "HubSpot_Id__c",
            "type": "string",
            "length": 255,
            "externalId": True,
            "unique": unique,
        },
    )
    assert resp.status_code == 201, resp.text
