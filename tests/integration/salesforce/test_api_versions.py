"""The API versions list and retired versions (issue 13).

"Salesforce Platform API Versions 21.0 through 30.0 Retirement" (help.salesforce.com, article
000354473): 7.0-20.0 retired in Summer '22, 21.0-30.0 in Summer '25; "REST API returns 410: GONE".
The current release is Winter '27, API 68.0 (developer.salesforce.com PDF archive lists "68.0
Winter '27")."""

from __future__ import annotations

from typing import Any

import requests

SESSION = {"Authorization": "Bearer sandbox-session"}


def test_versions_list_runs_from_31_to_the_current_release(api: Any) -> None:
    listed = requests.get(f"{api.salesforce_url}/services/data/").json()
    assert listed[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
    assert listed[-1] == {"label": "Winter '27", "url": "/services/data/v68.0", "version": "68.0"}
    assert [v["version"] for v in listed] == [f"{n}.0" for n in range(31, 69)]


def test_a_retired_version_is_gone_and_an_unknown_one_not_found(api: Any) -> None:
    for version in ("30.0", "21.0", "20.0", "7.0"):
        r = requests.get(f"{api.salesforce_url}/services/data/v{version}/sobjects/", headers=SESSION)
        assert r.status_code == 410, version
        assert r.json()[0]["errorCode"] == "GONE"
    assert requests.get(f"{api.salesforce_url}/services/data/v31.0/sobjects/", headers=SESSION).status_code == 200
    assert requests.get(f"{api.salesforce_url}/services/data/v68.0/sobjects/", headers=SESSION).status_code == 200
    assert requests.get(f"{api.salesforce_url}/services/data/v69.0/sobjects/", headers=SESSION).status_code == 404
