"""The daily API request limit: counting, reporting (header, /limits/, sf.api_usage), exhaustion
and the midnight reset on the sandbox clock."""

from __future__ import annotations

import pytest
import requests
from simple_salesforce.exceptions import SalesforceRefusedRequest

from simulator import Sandbox

from .sf_control import SESSION_HEADERS, control


def test_limits_and_api_usage(sf, live) -> None:  # noqa: ANN001
    first = sf.limits()
    assert first["DailyApiRequests"] == {"Max": 15000, "Remaining": 14999}
    assert {"DailyBulkV2QueryJobs", "DataStorageMB", "SingleEmail"} <= set(first)
    assert sf.api_usage["api-usage"].used == 1 and sf.api_usage["api-usage"].total == 15000
    lead = sf.Lead  # each `sf.Lead` access builds a new SFType with its own api_usage
    lead.create({"LastName": "x", "Company": "y"})
    assert lead.api_usage["api-usage"].used == 2
    assert sf.limits()["DailyApiRequests"]["Remaining"] == 14997
    # the control API does not count
    assert control(live.salesforce_url, "api-usage", method="GET").json() == {"used": 3, "max": 15000}


def test_exhausted_limit_then_midnight_reset(sf, live, sandbox: Sandbox) -> None:  # noqa: ANN001
    assert control(live.salesforce_url, "api-usage", {"used": 15000}).json() == {"used": 15000, "max": 15000}
    with pytest.raises(SalesforceRefusedRequest) as info:
        sf.Lead.describe()
    assert info.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    raw = requests.get(f"{live.salesforce_url}/services/data/v59.0/limits", headers=SESSION_HEADERS)
    assert raw.status_code == 403 and raw.headers["Sforce-Limit-Info"] == "api-usage=15000/15000"
    assert requests.get(f"{live.salesforce_url}/services/data/").status_code == 200  # versions list is free
    sandbox.clock.advance(15 * 3600)  # 09:00 + 15h: past midnight on the sandbox clock
    assert sf.limits()["DailyApiRequests"]["Remaining"] == 14999


def test_limit_setting(sf, live) -> None:  # noqa: ANN001
    resp = requests.put(
        f"{live.salesforce_url}/_hubforce/settings", json={"salesforce": {"daily_api_requests": 2}}
    )
    assert resp.status_code == 200, resp.text
    sf.limits()
    assert sf.limits()["DailyApiRequests"] == {"Max": 2, "Remaining": 0}
    with pytest.raises(SalesforceRefusedRequest):
        sf.limits()
    bad = requests.put(
        f"{live.salesforce_url}/_hubforce/settings", json={"salesforce": {"daily_api_requests": -1}}
    )
    assert bad.status_code == 400
    requests.put(
        f"{live.salesforce_url}/_hubforce/settings", json={"salesforce": {"daily_api_requests": 15000}}
    )
