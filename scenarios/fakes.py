"""What a scenario does to the fakes, over their public HTTP APIs only (never their stores):
the real HubSpot and Salesforce REST shapes for records and lists, and the control API
(/_hubforce/...) for what no real API offers (clock, faults, journal, lead conversion, merges,
session expiry, API usage).

Requests go through `requests`, so with `InProcessTransport` active they reach the in-process fakes
and over sockets they reach a served sandbox — the same code either way."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from scenarios.wiretap import ACTOR_HEADER
from simulator.clients import (
    HUBSPOT_PERSON_TOKEN,
    SALESFORCE_CONSUMER_KEY,
    SALESFORCE_CONSUMER_SECRET,
    SALESFORCE_PASSWORD,
    SALESFORCE_SESSION_ID,
    SALESFORCE_USERNAME,
)
from simulator.core.inprocess import SALESFORCE_LOGIN_URLS

API_VERSION = "v59.0"
CONTACT_TYPE_ID = "0-1"


class FakeApiError(Exception):
    """A call the scenario itself made failed; the message says which call and what came back."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{method} {url} -> HTTP {status}: {body[:400]}")


class FakesClient:
    def __init__(self, hubspot_url: str, salesforce_url: str) -> None:
        self.hubspot_url = hubspot_url.rstrip("/")
        self.salesforce_url = salesforce_url.rstrip("/")
        self.http = requests.Session()
        self.http.trust_env = False
        # The scenario acts as a person, not as the integration: HubSpot's UI principal (its calls
        # do not spend the portal's API limits, which stay the engine's alone), and every request
        # is marked so the wire tap tells it from the engine's.
        self.http.headers[ACTOR_HEADER] = "scenario"
        self._hs_headers = {
            "Authorization": f"Bearer {HUBSPOT_PERSON_TOKEN}",
            "Content-Type": "application/json",
        }
        self._sf_headers = {
            "Authorization": f"Bearer {SALESFORCE_SESSION_ID}",
            "Content-Type": "application/json",
        }
        self._list_ids: dict[str, str] = {}
        # Set by the steps that inject faults or set the org's API usage: only then do the
        # scenario's own calls need to step around them (it saves three control calls a request).
        self.faults_active = False
        self.usage_managed = False
        self._hs_properties: dict[str, dict[str, Any]] | None = None

    # --- plumbing -------------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        ok: tuple[int, ...] = (200, 201, 204),
        json: Any = None,
        params: Any = None,
        data: Any = None,
    ) -> requests.Response:
        paused = self._pause_faults() if self.faults_active and "/_hubforce" not in url else []
        try:
            resp = self.http.request(
                method, url, headers=headers, json=json, params=params, data=data, timeout=30
            )
        finally:
            for rule in paused:
                self.control("POST", "/faults", json=rule)
        if resp.status_code not in ok:
            raise FakeApiError(method, url, resp.status_code, resp.text)
        return resp

    def _pause_faults(self) -> list[dict[str, Any]]:
        """Injected faults are aimed at the sync engine; a person working in either app (or the
        test looking at a record) is not affected. Lift them for this one call and put them back
        with the firings and skips they had left."""
        rules = self.control("GET", "/faults")["faults"]
        if not rules:
            return []
        self.control("DELETE", "/faults")
        keep = (
            "service",
            "method",
            "path",
            "action",
            "status",
            "body",
            "headers",
            "latency_ms",
            "times",
            "skip",
            "probability",
        )
        return [{k: r[k] for k in keep if r.get(k) is not None} for r in rules if r.get("times") != 0]

    def hs(
        self, method: str, path: str, ok: tuple[int, ...] = (200, 201, 204), **kw: Any
    ) -> requests.Response:
        return self._call(method, self.hubspot_url + path, self._hs_headers, ok, **kw)

    def sf(
        self, method: str, path: str, ok: tuple[int, ...] = (200, 201, 204), **kw: Any
    ) -> requests.Response:
        return self.sf_url(method, f"{self.salesforce_url}/services/data/{API_VERSION}{path}", ok, **kw)

    def sf_url(
        self, method: str, url: str, ok: tuple[int, ...] = (200, 201, 204), **kw: Any
    ) -> requests.Response:
        """A Salesforce call made by the scenario (a person in the Salesforce UI, or the test
        looking): it does not count against the org's daily API limit, works while the org's limit
        is spent, and survives an expired session by logging in again."""
        before = self.control("GET", "/salesforce/api-usage") if self.usage_managed else None
        if before and before["used"] >= before["max"]:
            self.control("POST", "/salesforce/api-usage", json={"used": 0})
        try:
            resp = self._call(method, url, self._sf_headers, (*ok, 401), **kw)
            if resp.status_code == 401 and 401 not in ok:
                self._sf_login()
                resp = self._call(method, url, self._sf_headers, ok, **kw)
            return resp
        finally:
            if before:
                self.control("POST", "/salesforce/api-usage", json={"used": before["used"]})

    def _sf_login(self) -> None:
        """OAuth username-password flow against the fake's login host: a fresh session."""
        resp = self._call(
            "POST",
            f"{SALESFORCE_LOGIN_URLS[0]}/services/oauth2/token",
            {},
            data={
                "grant_type": "password",
                "client_id": SALESFORCE_CONSUMER_KEY,
                "client_secret": SALESFORCE_CONSUMER_SECRET,
                "username": SALESFORCE_USERNAME,
                "password": SALESFORCE_PASSWORD,
            },
        )
        self._sf_headers["Authorization"] = f"Bearer {resp.json()['access_token']}"

    def control(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: Any = None,
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> Any:
        resp = self._call(
            method,
            f"{self.hubspot_url}/_hubforce{path}",
            {"Content-Type": "application/json"},
            ok,
            json=json,
            params=params,
        )
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    # --- HubSpot contacts -----------------------------------------------------------------------
    def hs_create_contact(self, properties: dict[str, Any]) -> dict[str, Any]:
        return self.hs("POST", "/crm/v3/objects/contacts", json={"properties": hs_values(properties)}).json()

    def hs_update_contact(self, contact_id: str, properties: dict[str, Any]) -> dict[str, Any]:
        return self.hs(
            "PATCH", f"/crm/v3/objects/contacts/{contact_id}", json={"properties": hs_values(properties)}
        ).json()

    def hs_delete_contact(self, contact_id: str) -> None:
        self.hs("DELETE", f"/crm/v3/objects/contacts/{contact_id}")

    def hs_merge_contacts(self, primary_id: str, merged_id: str) -> dict[str, Any]:
        return self.hs(
            "POST",
            "/crm/v3/objects/contacts/merge",
            json={"primaryObjectId": primary_id, "objectIdToMerge": merged_id},
        ).json()

    def hs_properties(self) -> dict[str, dict[str, Any]]:
        """The portal's contact property definitions by name (read once per scenario)."""
        if self._hs_properties is None:
            body = self.hs("GET", "/crm/v3/properties/contacts").json()
            self._hs_properties = {p["name"]: p for p in body.get("results", [])}
        return self._hs_properties

    def hs_property_names(self) -> list[str]:
        return sorted(self.hs_properties())

    def hs_option_value(self, prop: str, value: Any) -> Any:
        """An enumeration option's label (what a user sees, e.g. "Marketing Qualified Lead") ->
        its internal value (marketingqualifiedlead); anything else is returned as it is."""
        if not isinstance(value, str):
            return value
        definition = self.hs_properties().get(prop) or {}
        for option in definition.get("options") or []:
            if value == option.get("value"):
                return value
        for option in definition.get("options") or []:
            if value.strip().lower() == str(option.get("label", "")).lower():
                return option["value"]
        return value

    def hs_get_contact(self, contact_id: str, properties: list[str] | None = None) -> dict[str, Any] | None:
        props = properties if properties is not None else self.hs_property_names()
        resp = self.hs(
            "GET",
            f"/crm/v3/objects/contacts/{contact_id}",
            ok=(200, 404),
            params={"properties": ",".join(props)} if props else None,
        )
        if resp.status_code == 404:
            return None
        record = resp.json()
        return None if record.get("archived") else record

    def hs_get_record(self, object_type: str, record_id: str) -> dict[str, Any] | None:
        """Any HubSpot record with every property of its type (None when gone)."""
        if object_type == "contacts":
            return self.hs_get_contact(record_id)
        names = [p["name"] for p in self.hs("GET", f"/crm/v3/properties/{object_type}").json().get("results", [])]
        resp = self.hs(
            "GET", f"/crm/v3/objects/{object_type}/{record_id}", ok=(200, 404), params={"properties": ",".join(names)}
        )
        if resp.status_code == 404:
            return None
        record = resp.json()
        return None if record.get("archived") else record

    def hs_find_by_email(self, email: str, properties: list[str] | None = None) -> list[dict[str, Any]]:
        props = properties if properties is not None else self.hs_property_names()
        body = {
            "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}],
            "properties": props,
            "limit": 100,
        }
        return list(self.hs("POST", "/crm/v3/objects/contacts/search", json=body).json().get("results", []))

    # --- HubSpot lists --------------------------------------------------------------------------
    def hs_create_list(
        self, name: str, processing: str, filter_branch: dict[str, Any] | None, object_type_id: str = CONTACT_TYPE_ID
    ) -> str:
        body: dict[str, Any] = {"name": name, "objectTypeId": object_type_id, "processingType": processing}
        if filter_branch is not None:
            body["filterBranch"] = filter_branch
        created = self.hs("POST", "/crm/v3/lists/", json=body).json()
        list_id = str(created["list"]["listId"])
        self._list_ids[name] = list_id
        return list_id

    def hs_list_id(self, name: str) -> str:
        if name not in self._list_ids:
            resp = self.hs(
                "GET", f"/crm/v3/lists/object-type-id/{CONTACT_TYPE_ID}/name/{quote(name, safe='')}"
            )
            self._list_ids[name] = str(resp.json()["list"]["listId"])
        return self._list_ids[name]

    def hs_update_list_filters(self, name: str, filter_branch: dict[str, Any]) -> None:
        self.hs(
            "PUT",
            f"/crm/v3/lists/{self.hs_list_id(name)}/update-list-filters",
            json={"filterBranch": filter_branch},
        )

    def hs_list_membership_change(self, name: str, ids: list[str], add: bool) -> dict[str, Any]:
        verb = "add" if add else "remove"
        return self.hs("PUT", f"/crm/v3/lists/{self.hs_list_id(name)}/memberships/{verb}", json=ids).json()

    def hs_delete_list(self, name: str) -> None:
        self.hs("DELETE", f"/crm/v3/lists/{self.hs_list_id(name)}")

    def hs_list_member_ids(self, name: str) -> set[str]:
        list_id = self.hs_list_id(name)
        ids: set[str] = set()
        after: str | None = None
        while True:
            params = {"limit": 250, **({"after": after} if after else {})}
            body = self.hs("GET", f"/crm/v3/lists/{list_id}/memberships", params=params).json()
            ids.update(str(r["recordId"]) for r in body.get("results", []))
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return ids

    # --- Salesforce records ---------------------------------------------------------------------
    def sf_create(self, sobject: str, fields: dict[str, Any]) -> str:
        return str(self.sf("POST", f"/sobjects/{sobject}/", json=fields).json()["id"])

    def sf_update(self, sobject: str, record_id: str, fields: dict[str, Any]) -> None:
        self.sf("PATCH", f"/sobjects/{sobject}/{record_id}", json=fields)

    def sf_delete(self, sobject: str, record_id: str) -> None:
        self.sf("DELETE", f"/sobjects/{sobject}/{record_id}")

    def sf_get(self, sobject: str, record_id: str) -> dict[str, Any] | None:
        resp = self.sf("GET", f"/sobjects/{sobject}/{record_id}", ok=(200, 404))
        return resp.json() if resp.status_code == 200 else None

    def sf_query(self, soql: str) -> list[dict[str, Any]]:
        body = self.sf("GET", "/query/", params={"q": soql}).json()
        records = list(body.get("records", []))
        while not body.get("done", True) and body.get("nextRecordsUrl"):
            body = self.sf_url("GET", self.salesforce_url + body["nextRecordsUrl"]).json()
            records.extend(body.get("records", []))
        return records

    def sf_find_by_email(self, sobject: str, email: str) -> list[dict[str, Any]]:
        escaped = email.replace("\\", "\\\\").replace("'", "\\'")
        rows = self.sf_query(f"SELECT Id FROM {sobject} WHERE Email = '{escaped}' ORDER BY CreatedDate")
        out = []
        for row in rows:
            record = self.sf_get(sobject, row["Id"])
            if record is not None:
                out.append(record)
        return out

    # --- control API ----------------------------------------------------------------------------
    def journal_last_seq(self) -> int:
        return int(self.control("GET", "")["journal"]["last_seq"])

    def journal(self, since: int | None = None) -> list[dict[str, Any]]:
        params = {"since": str(since)} if since is not None else None
        return list(self.control("GET", "/journal", params=params)["entries"])

    def advance_clock(self, seconds: float) -> None:
        if seconds > 0:
            self.control("POST", "/clock/advance", json={"seconds": seconds})


def hs_values(properties: dict[str, Any]) -> dict[str, Any]:
    """HubSpot property values travel as strings; null clears (sent as an empty string)."""
    out: dict[str, Any] = {}
    for k, v in properties.items():
        if v is None:
            out[k] = ""
        elif isinstance(v, bool):
            out[k] = "true" if v else "false"
        else:
            out[k] = str(v)
    return out
