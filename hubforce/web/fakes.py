"""The web UI's only way into the sandbox: the fakes' public REST APIs and the control API
(`/_hubforce/...`), over HTTP like every other client. No store is touched directly."""

from __future__ import annotations

import time
from typing import Any

import requests

from simulator.clients import HUBSPOT_TOKEN, SALESFORCE_SESSION_ID

SF_API = "/services/data/v59.0"
RATE_LIMIT_RETRIES = 2
CONTACT_PROPERTIES = ["email", "firstname", "lastname", "lifecyclestage", "jobtitle", "phone", "company"]
SF_FIELDS = ["Id", "Email", "FirstName", "LastName", "Company", "Title", "Phone", "LastModifiedDate"]


class FakeError(Exception):
    """A fake answered with an error: its status and the message from the real API's error body."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def _message(resp: requests.Response) -> tuple[str, str | None]:
    """The human part of either API's error format (HubSpot: {message}; Salesforce: [{message,
    errorCode, fields}]; control API: {error} or {message})."""
    try:
        body = resp.json()
    except ValueError:
        return (resp.text.strip() or f"HTTP {resp.status_code}"), None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        fields = body[0].get("fields") or []
        code = body[0].get("errorCode")
        text = body[0].get("message", "")
        return (f"{code}: {text}" if code else text), (fields[0] if fields else None)
    if isinstance(body, dict):
        for key in ("message", "error", "errorMessage"):
            if isinstance(body.get(key), str):
                return body[key], None
    return f"HTTP {resp.status_code}", None


class Fakes:
    """HTTP access to both fakes (HubSpot at `hubspot_url`, Salesforce at `salesforce_url`)."""

    def __init__(self, hubspot_url: str, salesforce_url: str, verify: str | bool = True) -> None:
        self.hubspot_url = hubspot_url.rstrip("/")
        self.salesforce_url = salesforce_url.rstrip("/")
        self.http = requests.Session()
        self.verify = verify

    # ------------------------------------------------------------------ plumbing
    def _call(self, method: str, url: str, **kw: Any) -> Any:
        kw.setdefault("timeout", 30)
        kw.setdefault("verify", self.verify)  # per request: REQUESTS_CA_BUNDLE would override a session's
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            resp = self.http.request(method, url, **kw)
            if resp.status_code != 429 or attempt == RATE_LIMIT_RETRIES or "/_hubforce/" in url:
                break
            self._wait_out(resp)
        if resp.status_code >= 400:
            message, field = _message(resp)
            raise FakeError(resp.status_code, message, field)
        if resp.status_code == 204 or not resp.content:
            return None
        ctype = resp.headers.get("Content-Type", "")
        return resp.json() if "json" in ctype else resp.text

    def _wait_out(self, resp: requests.Response) -> None:
        """A rate limit (HubSpot: 5 searches a second, 100-190 calls per rolling 10 s) is waited out
        as any client would. On the virtual clock waiting means advancing it, as the engine's sleep
        does here: a frozen clock would never let the window roll over and every page would fail."""
        retry_after = resp.headers.get("Retry-After", "")
        seconds = float(retry_after) if retry_after.isdigit() else (10.0 if "TEN_SECONDLY" in resp.text else 1.0)
        if self.clock().get("mode") == "virtual":
            self.advance_clock(seconds)
        else:
            time.sleep(min(seconds, 10.0))

    def hs(self, method: str, path: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {HUBSPOT_TOKEN}"}
        return self._call(method, self.hubspot_url + path, headers=headers, **kw)

    def sf(self, method: str, path: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {SALESFORCE_SESSION_ID}"}
        return self._call(method, self.salesforce_url + SF_API + path, headers=headers, **kw)

    def control(self, method: str, path: str, **kw: Any) -> Any:
        return self._call(method, f"{self.hubspot_url}/_hubforce{path}", **kw)

    # ------------------------------------------------------------------ HubSpot
    def contact_properties(self) -> list[dict[str, Any]]:
        props = self.hs("GET", "/crm/v3/properties/contacts")["results"]
        return sorted((p for p in props if not p.get("hidden")), key=lambda p: p.get("label") or p["name"])

    def lists(self) -> list[dict[str, Any]]:
        return list(self.hs("GET", "/crm/v3/lists/")["lists"])

    def get_list(self, list_id: str) -> dict[str, Any]:
        return dict(self.hs("GET", f"/crm/v3/lists/{list_id}", params={"includeFilters": "true"})["list"])

    def create_list(self, name: str, processing_type: str, filter_branch: dict[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "objectTypeId": "0-1", "processingType": processing_type}
        if filter_branch is not None:
            body["filterBranch"] = filter_branch
        return dict(self.hs("POST", "/crm/v3/lists/", json=body)["list"])

    def contacts(self, email: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        if email:
            body = {
                "filterGroups": [{"filters": [{"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": f"*{email}*"}]}],
                "properties": CONTACT_PROPERTIES,
                "limit": limit,
            }
            return list(self.hs("POST", "/crm/v3/objects/contacts/search", json=body)["results"])
        params = {"limit": limit, "properties": ",".join(CONTACT_PROPERTIES)}
        return list(self.hs("GET", "/crm/v3/objects/contacts", params=params)["results"])

    def objects(self, object_type: str, properties: list[str], limit: int = 100) -> list[dict[str, Any]]:
        params = {"limit": limit, "properties": ",".join(properties)}
        return list(self.hs("GET", f"/crm/v3/objects/{object_type}", params=params)["results"])

    def contact(self, contact_id: str, properties: list[str]) -> dict[str, Any]:
        params = {"properties": ",".join(properties)}
        return dict(self.hs("GET", f"/crm/v3/objects/contacts/{contact_id}", params=params))

    def contact_by_email(self, email: str) -> dict[str, Any] | None:
        try:
            return dict(self.hs("GET", f"/crm/v3/objects/contacts/{email}", params={"idProperty": "email"}))
        except FakeError as exc:
            if exc.status == 404:
                return None
            raise

    def create_contact(self, properties: dict[str, str]) -> dict[str, Any]:
        return dict(self.hs("POST", "/crm/v3/objects/contacts", json={"properties": properties}))

    def update_contact(self, contact_id: str, properties: dict[str, str]) -> None:
        self.hs("PATCH", f"/crm/v3/objects/contacts/{contact_id}", json={"properties": properties})

    # ------------------------------------------------------------------ Salesforce
    def soql(self, query: str) -> list[dict[str, Any]]:
        return list(self.sf("GET", "/query", params={"q": query})["records"])

    def sf_records(self, sobject: str, email: str | None = None) -> list[dict[str, Any]]:
        where = ""
        if email:
            where = " WHERE Email LIKE '%" + email.replace("\\", "\\\\").replace("'", "\\'") + "%'"
        fields = [f for f in SF_FIELDS if sobject == "Lead" or f != "Company"]
        return self.soql(f"SELECT {', '.join(fields)} FROM {sobject}{where} ORDER BY CreatedDate LIMIT 200")

    def sf_record(self, sobject: str, record_id: str) -> dict[str, Any]:
        return dict(self.sf("GET", f"/sobjects/{sobject}/{record_id}"))

    def sf_by_email(self, email: str) -> tuple[str, dict[str, Any]] | None:
        quoted = email.replace("\\", "\\\\").replace("'", "\\'")
        for sobject in ("Contact", "Lead"):
            rows = self.soql(f"SELECT Id FROM {sobject} WHERE Email = '{quoted}' LIMIT 1")
            if rows:
                return sobject, self.sf_record(sobject, rows[0]["Id"])
        return None

    def describe(self, sobject: str) -> dict[str, Any]:
        return dict(self.sf("GET", f"/sobjects/{sobject}/describe"))

    def create_sf(self, sobject: str, fields: dict[str, str]) -> str:
        return str(self.sf("POST", f"/sobjects/{sobject}", json=fields)["id"])

    def update_sf(self, sobject: str, record_id: str, fields: dict[str, Any]) -> None:
        self.sf("PATCH", f"/sobjects/{sobject}/{record_id}", json=fields)

    # ------------------------------------------------------------------ control API
    def clock(self) -> dict[str, Any]:
        return dict(self.control("GET", "/clock"))

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return dict(self.control("POST", "/clock/advance", json={"seconds": seconds}))

    def journal(self, **filters: str) -> list[dict[str, Any]]:
        params = {k: v for k, v in filters.items() if v}
        body = self.control("GET", "/journal", params=params)
        return list(body["entries"] if isinstance(body, dict) else body)
