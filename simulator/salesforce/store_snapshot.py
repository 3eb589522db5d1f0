"""Snapshots of the Salesforce store: `dump()` to JSON-ready data and `load()` back (a mixin of
`models.SalesforceBackend`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from simulator.salesforce import catalog, record_types
from simulator.salesforce.cursors import CursorStore
from simulator.salesforce.jobs import JobStore
from simulator.salesforce.store_base import INTEGRATION_USERNAME, Session, _ObjectIndex, format_iso, parse_iso
from simulator.salesforce.wire import parse_stored, store_value


class SnapshotMixin:
    # --- snapshots ------------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        recs: dict[str, list[dict[str, Any]]] = {}
        for o in self.schema.objects.values():
            temporal = o.temporal_fields()
            # Nulls are left out (load restores them): a 100k-lead snapshot stays compact.
            recs[o.name] = [
                {
                    k: (store_value(o.fields[k.lower()], v) if k in temporal else v)
                    for k, v in r.items()
                    if v is not None
                }
                for r in self.records[o.name].values()
            ]
        return {
            "orgId": self.org_id,
            "createdAt": format_iso(self.created_at),
            "customFields": self.schema.dump_custom(),
            "records": recs,
            "deletedAt": {rid: format_iso(t) for rid, t in self.deleted_at.items()},
            "earliestDeletedAvailable": format_iso(self.earliest_deleted_available),
            "sessions": [
                {"token": s.token, "userId": s.user_id, "issuedAt": format_iso(s.issued_at), "kind": s.kind}
                for s in self.sessions.values()
            ],
            "refreshTokens": dict(self.refresh_tokens),
            "recordTypes": self.record_types.dump(),
            "validationRules": [r.spec for r in self.validation_rules],
            "duplicateRules": [r.spec for r in self.duplicate_rules],
            "readonlyFields": sorted([list(k) for k in self.readonly_fields]),
            "apiUsage": {"used": self.api_used, "day": self.api_day.isoformat()},
            "jobs": self.jobs.dump(),
            "cursors": self.cursors.dump(),
        }

    def load(self, data: dict[str, Any]) -> None:
        self.schema = catalog.standard_schema()
        self.org_id = data["orgId"]
        self.created_at = parse_iso(data["createdAt"])
        for spec in data.get("customFields", []):
            self.schema.add_custom_field(spec)
        self.records = {o.name: {} for o in self.schema.objects.values()}
        self._indexes = {o.name: _ObjectIndex(o) for o in self.schema.objects.values()}
        self.record_types.load(self, data.get("recordTypes", []))
        for objname, rows in data.get("records", {}).items():
            o = self.object(objname)
            temporal = o.temporal_fields()
            blank = {fd.name: None for fd in o.fields.values()}
            for row in rows:
                rec = dict(blank)
                for k, v in row.items():
                    fd = o.fields.get(k.lower())
                    if fd is not None:
                        rec[fd.name] = parse_stored(fd, v) if fd.name in temporal else v
                self.records[o.name][rec["Id"]] = rec
                self._indexes[o.name].add(rec["Id"], rec)
        self.deleted_at = {rid: parse_iso(t) for rid, t in data.get("deletedAt", {}).items()}
        self._oldest_deleted = min(self.deleted_at.values(), default=None)
        self.earliest_deleted_available = parse_iso(data["earliestDeletedAvailable"])
        self.sessions = {
            s["token"]: Session(s["token"], s["userId"], parse_iso(s["issuedAt"]), s["kind"])
            for s in data.get("sessions", [])
        }
        self.refresh_tokens = dict(data.get("refreshTokens", {}))
        self.validation_rules = []
        for spec in data.get("validationRules", []):
            self.add_validation_rule(spec)
        self.duplicate_rules = []
        for spec in data.get("duplicateRules", []):
            self.add_duplicate_rule(spec)
        self.readonly_fields = {(a, b) for a, b in data.get("readonlyFields", [])}
        usage = data.get("apiUsage", {})
        self.api_used = int(usage.get("used", 0))
        self.api_day = date.fromisoformat(usage["day"]) if "day" in usage else self.now().date()
        self.jobs = JobStore()
        self.jobs.load(data.get("jobs", {}))
        self.cursors = CursorStore()
        self.cursors.load(data.get("cursors", {}))
        users = self.find("User", "Username", INTEGRATION_USERNAME)
        self.integration_user_id = users[0] if users else ""
        self._tx = []
        if not self.records["OpportunityStage"]:  # a snapshot taken before the stages were rows
            record_types.seed_stages(self)  # type: ignore[arg-type]
        if not self.records["UserPermissionAccess"]:  # a snapshot taken before the row existed
            self.seed_user_permissions()  # type: ignore[attr-defined]
