"""Engine <-> both fakes in-process: a sandbox, the transport, helpers that act on each side the way
a user would (over HTTP, as the engine does), and engines over a given state URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from simulator import Sandbox
from simulator.core.inprocess import InProcessTransport
from sync.engine import SyncEngine
from sync.settings import Settings

HS_TOKEN = "pat-local-sandbox"
SF_SESSION = "sandbox-session"
V = "/services/data/v59.0"


class Env:
    def __init__(self, sandbox: Sandbox, transport: InProcessTransport, state_url: str) -> None:
        self.sb = sandbox
        self.t = transport
        self.state_url = state_url
        self.hs_url = transport.hubspot_url
        self.sf_url = transport.salesforce_url
        self.http = requests.Session()
        self.engines: list[SyncEngine] = []

    def close(self) -> None:
        for eng in self.engines:  # release pooled connections so the test schema can be dropped
            eng.close()

    # --- engines ----------------------------------------------------------------------------
    def settings(self, **contacts: Any) -> Settings:
        extra = contacts.pop("_top", {})
        return Settings.from_dict(
            {
                "hubspot": {"url": self.hs_url, "token": HS_TOKEN},
                "salesforce": {"url": self.sf_url, "session_id": SF_SESSION},
                "contacts": contacts,
                "cursor_overlap_seconds": 60,
                **extra,
            }
        )

    def engine(self, settings: Settings | None = None, **contacts: Any) -> SyncEngine:
        eng = SyncEngine(
            settings or self.settings(**contacts),
            state_url=self.state_url,
            sleep=self.advance,
            now=self.sb.clock.now,
        )
        self.engines.append(eng)
        return eng

    # --- clock and control API ----------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        self.control("POST", "/_hubforce/clock/advance", {"seconds": seconds})

    def control(self, method: str, path: str, body: Any = None) -> Any:
        r = self.http.request(method, f"{self.hs_url}{path}", json=body)
        assert r.status_code < 300, (r.status_code, r.text)
        return r.json() if r.content else None

    def fault(self, **rule: Any) -> None:
        self.control("POST", "/_hubforce/faults", rule)

    # --- HubSpot --------------------------------------------------------------------------
    def hs(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 201, 204, 207)) -> Any:
        r = self.http.request(
            method, f"{self.hs_url}{path}", json=body, headers={"Authorization": f"Bearer {HS_TOKEN}"}
        )
        assert r.status_code in ok, (method, path, r.status_code, r.text)
        return r.json() if r.content else None

    def hs_create(self, **props: str) -> str:
        return str(self.hs("POST", "/crm/v3/objects/contacts", {"properties": props})["id"])

    def hs_update(self, cid: str, **props: str) -> None:
        self.hs("PATCH", f"/crm/v3/objects/contacts/{cid}", {"properties": props})

    def hs_get(self, cid: str, *props: str) -> dict[str, Any]:
        q = "&".join(f"properties={p}" for p in props)
        return self.hs("GET", f"/crm/v3/objects/contacts/{cid}?{q}")["properties"]

    def hs_find(self, email: str) -> dict[str, Any] | None:
        body = {
            "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}],
            "properties": [
                "email",
                "firstname",
                "lastname",
                "jobtitle",
                "company",
                "phone",
                "salesforceleadid",
                "salesforcecontactid",
                "hubspot_owner_id",
                "city",
            ],
        }
        res = self.hs("POST", "/crm/v3/objects/contacts/search", body)["results"]
        return res[0] if res else None

    def hs_count(self) -> int:
        return int(self.hs("POST", "/crm/v3/objects/contacts/search", {"limit": 1})["total"])

    def hs_delete(self, cid: str) -> None:
        self.hs("DELETE", f"/crm/v3/objects/contacts/{cid}")

    def hs_list(
        self, name: str, processing: str = "DYNAMIC", prop: str = "lifecyclestage", value: str = "lead"
    ) -> str:
        body: dict[str, Any] = {"name": name, "objectTypeId": "0-1", "processingType": processing}
        if processing == "DYNAMIC":
            body["filterBranch"] = {
                "filterBranchType": "OR",
                "filterBranchOperator": "OR",
                "filters": [],
                "filterBranches": [
                    {
                        "filterBranchType": "AND",
                        "filterBranchOperator": "AND",
                        "filterBranches": [],
                        "filters": [
                            {
                                "filterType": "PROPERTY",
                                "property": prop,
                                "operation": {
                                    "operationType": "MULTISTRING",
                                    "operator": "IS_EQUAL_TO",
                                    "values": [value],
                                },
                            }
                        ],
                    }
                ],
            }
        return str(self.hs("POST", "/crm/v3/lists/", body)["list"]["listId"])

    # --- Salesforce -----------------------------------------------------------------------
    def sf(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 201, 204)) -> Any:
        url = (
            path
            if path.startswith("http")
            else f"{self.sf_url}{path if path.startswith('/services') else V + path}"
        )
        r = self.http.request(method, url, json=body, headers={"Authorization": f"Bearer {SF_SESSION}"})
        assert r.status_code in ok, (method, path, r.status_code, r.text)
        return r.json() if r.content else None

    def sf_create(self, obj: str, **fields: Any) -> str:
        return str(self.sf("POST", f"/sobjects/{obj}/", fields)["id"])

    def sf_update(self, obj: str, rid: str, **fields: Any) -> None:
        self.sf("PATCH", f"/sobjects/{obj}/{rid}", fields)

    def sf_get(self, obj: str, rid: str) -> dict[str, Any]:
        return self.sf("GET", f"/sobjects/{obj}/{rid}")

    def sf_delete(self, obj: str, rid: str) -> None:
        self.sf("DELETE", f"/sobjects/{obj}/{rid}")

    def sf_query(self, soql: str) -> list[dict[str, Any]]:
        return self.sf("GET", f"/query/?q={requests.utils.quote(soql)}")["records"]

    def journal(self, service: str, method: str | None = None) -> list[dict[str, Any]]:
        q = f"service={service}" + (f"&method={method}" if method else "")
        body = self.control("GET", f"/_hubforce/journal?{q}")
        return body.get("entries", body) if isinstance(body, dict) else body


@contextmanager
def make_env(state_url: str, seed: int = 7) -> Iterator[Env]:
    sb = Sandbox(seed=seed)
    with InProcessTransport(sb) as t:
        env = Env(sb, t, state_url)
        try:
            yield env
        finally:
            env.close()
