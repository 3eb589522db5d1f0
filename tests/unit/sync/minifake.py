"""A deliberately tiny HubSpot + Salesforce stand-in on `responses`, for unit-testing the engine
logic without the simulator. It understands only the request shapes the engine sends; the real
fakes (simulator/) are exercised by tests/integration/sync."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses

HS = "https://api.hubapi.com"
SF = "https://x.my.salesforce.com"
V = "/services/data/v59.0"

LEAD_FIELDS = [
    "Id",
    "Email",
    "FirstName",
    "LastName",
    "Company",
    "City",
    "Phone",
    "Title",
    "OwnerId",
    "Status",
    "SystemModstamp",
    "CreatedDate",
    "IsDeleted",
    "IsConverted",
    "ConvertedContactId",
    "MasterRecordId",
]
CONTACT_FIELDS = [
    "Id",
    "Email",
    "FirstName",
    "LastName",
    "MailingCity",
    "Phone",
    "Title",
    "OwnerId",
    "AccountId",
    "SystemModstamp",
    "CreatedDate",
    "IsDeleted",
    "MasterRecordId",
]
HS_PROPS = [
    "email",
    "firstname",
    "lastname",
    "company",
    "city",
    "phone",
    "jobtitle",
    "hubspot_owner_id",
    "hs_lead_status",
    "salesforceleadid",
    "salesforcecontactid",
    "lastmodifieddate",
    "createdate",
    "hs_object_id",
]


def sfdt(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


class MiniFake:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, tzinfo=UTC)
        self.contacts: dict[str, dict[str, Any]] = {}
        self.sf: dict[str, dict[str, dict[str, Any]]] = {"Lead": {}, "Contact": {}}
        self.lists: dict[str, dict[str, Any]] = {}
        self.members: dict[str, set[str]] = {}
        self.users = [
            {
                "Id": "005000000000001AAA",
                "Email": "owner@example.com",
                "FirstName": "Olive",
                "LastName": "Owner",
                "IsActive": True,
            }
        ]
        self.owners = [{"id": "77", "email": "owner@example.com", "firstName": "Olive", "lastName": "Owner"}]
        self.seq = 100
        self.calls: list[tuple[str, str]] = []
        self.fail_sf_create: set[str] = set()  # LastName values whose create fails validation
        self.search_cap = 10_000  # HubSpot offers no next page past this many results (wire spec 2.4)
        # (system, path regex, status or "drop", remaining times, json body)
        self.faults: list[list[Any]] = []

    def _fault(self, system: str, path: str) -> tuple[int, dict[str, str], str] | None:
        for f in self.faults:
            if f[0] == system and f[3] > 0 and re.search(f[1], path):
                f[3] -= 1
                if f[2] == "drop":
                    raise requests.ConnectionError("minifake: connection dropped")
                return f[2], {"Content-Type": "application/json"}, json.dumps(f[4])
        return None

    def tick(self, seconds: float = 1) -> None:
        self.now += timedelta(seconds=seconds)

    # --- direct data helpers ------------------------------------------------------------
    def hs_create(self, **props: str) -> str:
        self.seq += 1
        cid = str(self.seq)
        ts = self.now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        self.contacts[cid] = {
            "id": cid,
            "properties": {**props, "hs_object_id": cid, "createdate": ts, "lastmodifieddate": ts},
        }
        return cid

    def hs_update(self, cid: str, **props: str) -> None:
        p = self.contacts[cid]["properties"]
        p.update(props)
        p["lastmodifieddate"] = self.now.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def sf_create(self, obj: str, **fields: Any) -> str:
        self.seq += 1
        prefix = "00Q" if obj == "Lead" else "003"
        rid = f"{prefix}{self.seq:012d}AAA"
        base = {f: None for f in (LEAD_FIELDS if obj == "Lead" else CONTACT_FIELDS)}
        base.update(
            fields, Id=rid, CreatedDate=sfdt(self.now), SystemModstamp=sfdt(self.now), IsDeleted=False
        )
        if obj == "Lead":
            base["IsConverted"] = False
        self.sf[obj][rid] = base
        return rid

    def sf_update(self, obj: str, rid: str, **fields: Any) -> None:
        self.sf[obj][rid].update(fields, SystemModstamp=sfdt(self.now))

    # --- HTTP ---------------------------------------------------------------------------
    def install(self, mock: responses.RequestsMock) -> None:
        for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            mock.add_callback(method, re.compile(re.escape(HS) + ".*"), callback=self._hs)
            mock.add_callback(method, re.compile(re.escape(SF) + ".*"), callback=self._sf)

    def _hs(self, req: Any) -> tuple[int, dict[str, str], str]:
        u = urlsplit(req.url)
        path = u.path
        self.calls.append(("hubspot", path))
        fault = self._fault("hubspot", path)
        if fault:
            return fault
        body = json.loads(req.body) if req.body else {}
        ok = lambda b, s=200: (s, {"Content-Type": "application/json"}, json.dumps(b))  # noqa: E731
        if path == "/crm/v3/properties/contacts":
            return ok({"results": [{"name": n, "type": "string", "fieldType": "text"} for n in HS_PROPS]})
        if path == "/crm/v3/owners/":
            return ok({"results": self.owners})
        if path == "/crm/v3/objects/contacts/search":
            return ok(self._search(body))
        if path == "/crm/v3/objects/contacts/batch/read":
            idp = body.get("idProperty")
            out = []
            for i in body["inputs"]:
                if idp == "email":
                    out += [
                        c
                        for c in self.contacts.values()
                        if c["properties"].get("email", "").lower() == i["id"].lower()
                    ]
                elif i["id"] in self.contacts:
                    out.append(self.contacts[i["id"]])
            return ok({"status": "COMPLETE", "results": out}, 207 if len(out) < len(body["inputs"]) else 200)
        if path == "/crm/v3/objects/contacts/batch/update":
            res, errs = [], []
            for i in body["inputs"]:
                if i["id"] not in self.contacts:
                    errs.append(
                        {
                            "status": "error",
                            "category": "OBJECT_NOT_FOUND",
                            "context": {"ids": [i["id"]]},
                            "message": "nf",
                        }
                    )
                    continue
                email = i["properties"].get("email")
                if email and any(
                    c["properties"].get("email") == email and k != i["id"] for k, c in self.contacts.items()
                ):
                    return ok(
                        {"status": "error", "category": "CONFLICT", "message": "Contact already exists"}, 409
                    )
                self.hs_update(i["id"], **i["properties"])
                res.append(self.contacts[i["id"]])
            return ok(
                {
                    "status": "COMPLETE",
                    "results": res,
                    **({"errors": errs, "numErrors": len(errs)} if errs else {}),
                },
                207 if errs else 200,
            )
        if path == "/crm/v3/objects/contacts/batch/upsert":
            res = []
            for i in body["inputs"]:
                match = [
                    k
                    for k, c in self.contacts.items()
                    if c["properties"].get("email", "").lower() == i["id"].lower()
                ]
                if match:
                    self.hs_update(match[0], **i["properties"])
                    res.append({**self.contacts[match[0]], "new": False})
                else:
                    cid = self.hs_create(**i["properties"])
                    res.append({**self.contacts[cid], "new": True})
            return ok({"status": "COMPLETE", "results": res})
        if path == "/crm/v3/objects/contacts/batch/archive":
            for i in body["inputs"]:
                self.contacts.pop(i["id"], None)
            return 204, {}, ""
        m = re.match(r"/crm/v3/lists/object-type-id/0-1/name/(.+)$", path)
        if m:
            from urllib.parse import unquote

            lst = next((v for v in self.lists.values() if v["name"] == unquote(m.group(1))), None)
            return ok({"list": lst}) if lst else ok({"status": "error", "message": "nf"}, 404)
        m = re.match(r"/crm/v3/lists/(\d+)/memberships$", path)
        if m:
            return ok({"results": [{"recordId": i} for i in sorted(self.members.get(m.group(1), set()))]})
        m = re.match(r"/crm/v3/lists/(\d+)$", path)
        if m:
            return (
                ok({"list": self.lists[m.group(1)]})
                if m.group(1) in self.lists
                else ok({"message": "nf"}, 404)
            )
        return ok({"status": "error", "message": f"minifake: no route {path}"}, 404)

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        def ms(c: dict[str, Any]) -> int:
            return int(
                datetime.strptime(c["properties"]["lastmodifieddate"], "%Y-%m-%dT%H:%M:%S.%fZ")
                .replace(tzinfo=UTC)
                .timestamp()
                * 1000
            )

        rows = list(self.contacts.values())
        for g in body.get("filterGroups", [])[:1]:
            for f in g["filters"]:
                if f["propertyName"] == "lastmodifieddate":
                    v = int(f["value"])
                    op = f["operator"]
                    rows = [
                        c
                        for c in rows
                        if (ms(c) >= v if op == "GTE" else ms(c) <= v if op == "LTE" else ms(c) == v)
                    ]
                elif f["propertyName"] == "hs_object_id":
                    rows = [c for c in rows if int(c["id"]) > int(f["value"])]
        s = (body.get("sorts") or [{}])[0]
        key = (
            (lambda c: int(c["id"]))
            if s.get("propertyName") == "hs_object_id"
            else (lambda c: (ms(c), int(c["id"])))
        )
        rows.sort(key=key, reverse=s.get("direction") == "DESCENDING")
        after = int(body.get("after") or 0)
        limit = int(body.get("limit") or 10)
        page = rows[after : after + limit]
        out: dict[str, Any] = {"total": len(rows), "results": page}
        if after + limit < len(rows) and after + limit < self.search_cap:
            out["paging"] = {"next": {"after": str(after + limit)}}
        return out

    def _sf(self, req: Any) -> tuple[int, dict[str, str], str]:
        u = urlsplit(req.url)
        path = u.path
        self.calls.append(("salesforce", path))
        fault = self._fault("salesforce", path)
        if fault:
            return fault
        ok = lambda b, s=200: (s, {"Content-Type": "application/json"}, json.dumps(b))  # noqa: E731
        if path.endswith("/describe"):
            obj = path.split("/")[-2]
            names = LEAD_FIELDS if obj == "Lead" else CONTACT_FIELDS
            return ok(
                {
                    "fields": [
                        {
                            "name": n,
                            "type": "string",
                            "updateable": n
                            not in ("Id", "SystemModstamp", "CreatedDate", "IsDeleted", "IsConverted"),
                            "createable": True,
                        }
                        for n in names
                    ]
                }
            )
        if path in (f"{V}/query/", f"{V}/queryAll/"):
            q = parse_qs(u.query)["q"][0]
            rows = self._soql(q, path.endswith("queryAll/"))
            if q.startswith("SELECT COUNT() "):
                return ok({"done": True, "totalSize": len(rows), "records": []})
            return ok({"done": True, "totalSize": len(rows), "records": rows})
        if path == f"{V}/composite/sobjects":
            body = json.loads(req.body)
            out = []
            for r in body["records"]:
                obj = r.pop("attributes")["type"]
                if req.method == "POST":
                    if r.get("LastName") in self.fail_sf_create:
                        out.append(
                            {
                                "success": False,
                                "errors": [
                                    {"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "nope"}
                                ],
                            }
                        )
                        continue
                    out.append({"id": self.sf_create(obj, **r), "success": True, "errors": []})
                else:
                    rid = r.pop("id")
                    if self.sf[obj][rid].get("IsConverted"):
                        out.append(
                            {
                                "id": rid,
                                "success": False,
                                "errors": [{"statusCode": "CANNOT_UPDATE_CONVERTED_LEAD", "message": "x"}],
                            }
                        )
                        continue
                    self.sf_update(obj, rid, **r)
                    out.append({"id": rid, "success": True, "errors": []})
            return ok(out)
        return ok([{"errorCode": "NOT_FOUND", "message": path}], 404)

    def _soql(self, q: str, include_deleted: bool) -> list[dict[str, Any]]:
        m = re.match(r"SELECT (.+?) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY (.+?))?(?: LIMIT (\d+))?$", q)
        assert m, q
        fields = [f.strip() for f in m.group(1).split(",")]
        obj = m.group(2)
        rows = list(self.users) if obj == "User" else list(self.sf[obj].values())
        if obj != "User" and not include_deleted:
            rows = [r for r in rows if not r["IsDeleted"]]
        for cond in (m.group(3) or "").split(" AND ") if m.group(3) else []:
            cm = re.match(r"(\w+) (>=|<=|=|!=|IN) (.+)$", cond)
            assert cm, cond
            f, op, val = cm.groups()
            if op == "IN":
                vals = [v.strip().strip("'").lower() for v in val.strip("()").split(",")]
                rows = [r for r in rows if str(r.get(f) or "").lower() in vals]
            elif val == "null":
                rows = [r for r in rows if (r.get(f) is None) == (op == "=")]
            elif val in ("true", "false"):
                rows = [r for r in rows if bool(r.get(f)) == (val == "true")]
            else:
                dt = datetime.strptime(val, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
                key = lambda r, f=f: datetime.strptime(r[f], "%Y-%m-%dT%H:%M:%S.%f%z")  # noqa: E731
                rows = [
                    r
                    for r in rows
                    if (key(r) >= dt if op == ">=" else key(r) <= dt if op == "<=" else key(r) == dt)
                ]
        if m.group(4):
            parts = [p.strip().split() for p in m.group(4).split(",")]
            for p in reversed(parts):
                rows.sort(key=lambda r, f=p[0]: str(r.get(f) or ""), reverse=len(p) > 1 and p[1] == "DESC")
        if m.group(5):
            rows = rows[: int(m.group(5))]
        return [{"attributes": {"type": obj}, **{f: r.get(f) for f in fields}} for r in rows]
