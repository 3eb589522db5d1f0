"""HubSpot CRM v3 client on `requests`: bearer token or OAuth refresh, batches of <=100, search pages
of <=200, 429 handling by policyName (TEN_SECONDLY_ROLLING: back off; DAILY: stop for the day)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from sync.clients.http import RetryingHttp, json_or_none
from sync.clients.pacing import HubSpotPacer
from sync.errors import AuthError, DailyLimitReached, SyncHttpError

BATCH_LIMIT = 100
SEARCH_PAGE = 200
SEARCH_CAP = 10_000  # paging past this returns 400 (wire spec 2.4)
MEMBERSHIP_PAGE = 250


class HubSpotClient(RetryingHttp):
    system = "hubspot"
    pacer_class = HubSpotPacer

    def __init__(
        self,
        url: str,
        token: str | None = None,
        oauth: tuple[str, str, str] | None = None,  # (client_id, client_secret, refresh_token)
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.url = url.rstrip("/")
        self.token = token
        self.oauth = oauth
        if not token and oauth:
            self.refresh_token()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def refresh_token(self) -> None:
        assert self.oauth is not None
        client_id, secret, refresh = self.oauth
        resp = self.send(
            "POST",
            f"{self.url}/oauth/v1/token",
            data={
                "grant_type": "refresh_token",
                "client_id": client_id,
                "client_secret": secret,
                "refresh_token": refresh,
            },
        )
        body = json_or_none(resp) or {}
        if resp.status_code != 200 or "access_token" not in body:
            raise AuthError(
                "hubspot", resp.status_code, body.get("status"), body.get("message", resp.text[:200])
            )
        self.token = body["access_token"]
        if body.get("refresh_token"):
            self.oauth = (client_id, secret, body["refresh_token"])

    def _before_retry(self, resp: requests.Response) -> None:
        if resp.status_code == 429:
            body = json_or_none(resp) or {}
            policy = str(body.get("policyName", "")).upper() if isinstance(body, dict) else ""
            if policy == "DAILY":
                raise DailyLimitReached("hubspot", 429, "DAILY", str(body.get("message", "daily limit")))

    def call(self, method: str, path: str, ok: tuple[int, ...] = (200,), **kwargs: Any) -> requests.Response:
        resp = self.send(method, f"{self.url}{path}", **kwargs)
        if resp.status_code == 401 and self.oauth:
            self.refresh_token()
            resp = self.send(method, f"{self.url}{path}", **kwargs)
        if resp.status_code not in ok:
            body = json_or_none(resp)
            b = body if isinstance(body, dict) else {}
            err = AuthError if resp.status_code == 401 else SyncHttpError
            raise err("hubspot", resp.status_code, b.get("category"), b.get("message", resp.text[:300]), body)
        return resp

    # --- objects ---------------------------------------------------------------------------
    def search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", f"/crm/v3/objects/{object_type}/search", json=body).json()

    def batch_read(
        self,
        object_type: str,
        ids: list[str],
        properties: list[str],
        id_property: str | None = None,
        with_history: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Records found (missing ids are simply absent: 207 OBJECT_NOT_FOUND)."""

        def read(chunk: list[str]) -> list[dict[str, Any]]:
            body: dict[str, Any] = {"inputs": [{"id": i} for i in chunk], "properties": properties}
            if with_history:
                body["propertiesWithHistory"] = with_history
            if id_property:
                body["idProperty"] = id_property
            resp = self.call("POST", f"/crm/v3/objects/{object_type}/batch/read", ok=(200, 207), json=body)
            return resp.json().get("results", [])

        return [r for rows in self.map_chunks(read, chunks(ids, BATCH_LIMIT)) for r in rows]

    def batch_update(self, object_type: str, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        """<=100 inputs; returns the batch body (results, and errors on 207)."""
        resp = self.call(
            "POST", f"/crm/v3/objects/{object_type}/batch/update", ok=(200, 207), json={"inputs": inputs}
        )
        return resp.json()

    def batch_upsert(self, object_type: str, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        resp = self.call(
            "POST", f"/crm/v3/objects/{object_type}/batch/upsert", ok=(200, 201, 207), json={"inputs": inputs}
        )
        return resp.json()

    def batch_create(self, object_type: str, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        """<=100 inputs (`{"properties": {...}}`); the results come in no guaranteed order."""
        resp = self.call(
            "POST", f"/crm/v3/objects/{object_type}/batch/create", ok=(200, 201, 207), json={"inputs": inputs}
        )
        return resp.json()

    def associated_ids(self, from_type: str, to_type: str, ids: list[str]) -> dict[str, list[str]]:
        """Associations v4 batch read: from id -> the associated ids (records without any are
        left out: HubSpot reports them as 207 errors, NO_ASSOCIATIONS_FOUND)."""

        def read(chunk: list[str]) -> dict[str, list[str]]:
            resp = self.call(
                "POST",
                f"/crm/v4/associations/{from_type}/{to_type}/batch/read",
                ok=(200, 207),
                json={"inputs": [{"id": i} for i in chunk]},
            )
            return {
                str(r["from"]["id"]): [str(t["toObjectId"]) for t in r.get("to", [])]
                for r in resp.json().get("results", [])
            }

        out: dict[str, list[str]] = {}
        for part in self.map_chunks(read, chunks(ids, BATCH_LIMIT)):
            out.update(part)
        return out

    def associate_default(self, from_type: str, to_type: str, pairs: list[tuple[str, str]]) -> None:
        """Associations v4: the default (unlabeled) association of each (from id, to id)."""
        for chunk in chunks(pairs, BATCH_LIMIT):
            self.call(
                "POST",
                f"/crm/v4/associations/{from_type}/{to_type}/batch/associate/default",
                ok=(200, 201, 207),
                json={"inputs": [{"from": {"id": f}, "to": {"id": t}} for f, t in chunk]},
            )

    def associate_labeled(
        self, from_type: str, to_type: str, pairs: list[tuple[str, str]], type_id: int
    ) -> None:
        """Associations v4 batch create with one HubSpot-defined type (e.g. 1, contact->company Primary)."""
        for chunk in chunks(pairs, BATCH_LIMIT):
            types = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]
            self.call(
                "POST",
                f"/crm/v4/associations/{from_type}/{to_type}/batch/create",
                ok=(200, 201, 207),
                json={"inputs": [{"from": {"id": f}, "to": {"id": t}, "types": types} for f, t in chunk]},
            )

    def disassociate(self, from_type: str, to_type: str, pairs: list[tuple[str, str]]) -> None:
        """Associations v4 batch archive: removes every association (all labels) of each pair."""
        for chunk in chunks(pairs, BATCH_LIMIT):
            self.call(
                "POST",
                f"/crm/v4/associations/{from_type}/{to_type}/batch/archive",
                ok=(204, 200),
                json={"inputs": [{"from": {"id": f}, "to": [{"id": t}]} for f, t in chunk]},
            )

    def batch_archive(self, object_type: str, ids: list[str]) -> None:
        for chunk in chunks(ids, BATCH_LIMIT):
            self.call(
                "POST",
                f"/crm/v3/objects/{object_type}/batch/archive",
                ok=(204, 200),
                json={"inputs": [{"id": i} for i in chunk]},
            )

    # --- lists, properties, owners ---------------------------------------------------------
    def get_list(self, id_or_name: str, object_type_id: str = "0-1") -> dict[str, Any] | None:
        """By id when numeric (falling back to name), else by name. None when unknown."""
        paths = []
        if id_or_name.isdigit():
            paths.append(f"/crm/v3/lists/{id_or_name}?includeFilters=true")
        paths.append(
            f"/crm/v3/lists/object-type-id/{object_type_id}/name/{requests.utils.quote(id_or_name, safe='')}"
        )
        for path in paths:
            resp = self.send("GET", f"{self.url}{path}")
            if resp.status_code == 200:
                return resp.json().get("list")
            if resp.status_code not in (400, 404):
                self.call("GET", path)  # raises with the error body
        return None

    def list_member_ids(self, list_id: str) -> Iterator[str]:
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": MEMBERSHIP_PAGE}
            if after:
                params["after"] = after
            body = self.call("GET", f"/crm/v3/lists/{list_id}/memberships", params=params).json()
            for row in body.get("results", []):
                yield str(row.get("recordId"))
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def record_list_ids(self, record_id: str, object_type_id: str = "0-1") -> set[str]:
        """The lists one record is a member of (a deleted record is in none)."""
        resp = self.call(
            "GET", f"/crm/v3/lists/records/{object_type_id}/{record_id}/memberships", ok=(200, 404)
        )
        if resp.status_code == 404:
            return set()
        return {str(r.get("listId")) for r in resp.json().get("results", [])}

    def properties(self, object_type: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/crm/v3/properties/{object_type}").json().get("results", [])

    def owners(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 500}
            if after:
                params["after"] = after
            body = self.call("GET", "/crm/v3/owners/", params=params).json()
            out.extend(body.get("results", []))
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return out


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
