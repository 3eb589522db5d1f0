"""Capture into the durable queue: one transaction per page (queue rows, seen versions, cursor)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sync.clients.salesforce import parse_sf_datetime
from sync.pipeline.context import EngineContext
from sync.pipeline.values import (
    hs_props,
    iso_to_ms,
)


class CaptureQueue(EngineContext):
    def _enqueue_hubspot(self, records: list[dict[str, Any]], cursor: int) -> int:
        """Implements: TRG-2, TRG-7"""
        versions = {
            str(r["id"]): str(iso_to_ms(hs_props(r).get(self.object_type.hs_modified)) or "") for r in records
        }
        with self.store.session() as s:
            seen = self.store.seen_versions(s, "hubspot", self.object_type.hs_object, list(versions))
            self._note_read(
                {r: int(v) for r, v in versions.items() if v},
                {r: int(v) for r, v in seen.items() if v and v.isdigit()},
            )
            fresh = {rid: v for rid, v in versions.items() if seen.get(rid) != v}
            items = {}
            for r in records:
                rid = str(r["id"])
                if rid in fresh:
                    created = iso_to_ms(hs_props(r).get("createdate"))
                    trig = (
                        f"TRG-7 new HubSpot {self.object_type.schema_names.hs_label}"
                        if created is not None and str(created) == fresh[rid]
                        else "TRG-2 HubSpot change"
                    )
                    items[rid] = (trig, r)
            if self._mark_only:
                items = {}
            self.store.enqueue(s, "hubspot", self.object_type.hs_object, items, self._ts())
            self.store.mark_seen(s, "hubspot", self.object_type.hs_object, fresh, seen)
            top = max((int(v) for v in versions.values() if v), default=cursor)
            cursor = max(cursor, top)
            self.store.set_cursor(s, self.object_type.cursor_name(), str(cursor))
        self._report.captured_hubspot += len(items)
        return cursor

    def _enqueue_salesforce(self, sobject: str, records: list[dict[str, Any]], stamp: str) -> str:
        """Implements: TRG-3, TRG-6, DEL-1"""
        versions = {r["Id"]: str(r.get("SystemModstamp")) for r in records}
        with self.store.session() as s:
            seen = self.store.seen_versions(s, "salesforce", sobject, list(versions))
            ms = {r: iso_to_ms(v) for r, v in versions.items()}
            prev = {r: iso_to_ms(v) for r, v in seen.items()}
            self._note_read(
                {r: v for r, v in ms.items() if v is not None}, {r: v for r, v in prev.items() if v is not None}
            )
            fresh = {rid: v for rid, v in versions.items() if seen.get(rid) != v}
            items = {}
            for r in records:
                if r["Id"] in fresh:
                    r = {k: v for k, v in r.items() if k != "attributes"}
                    trig = (
                        "DEL-1 Salesforce deletion"
                        if r.get("IsDeleted")
                        else (
                            "TRG-6 new Salesforce record"
                            if r.get("CreatedDate") == r.get("SystemModstamp")
                            else "TRG-3 Salesforce change"
                        )
                    )
                    items[r["Id"]] = (trig, r)
            if self._mark_only:
                items = {}
            self.store.enqueue(s, "salesforce", sobject, items, self._ts())
            self.store.mark_seen(s, "salesforce", sobject, fresh, seen)
            newest = max(
                records,
                key=lambda r: parse_sf_datetime(r.get("SystemModstamp")) or datetime.min.replace(tzinfo=UTC),
            )
            if (parse_sf_datetime(newest.get("SystemModstamp")) or datetime.min.replace(tzinfo=UTC)) > (
                parse_sf_datetime(stamp) or datetime.min.replace(tzinfo=UTC)
            ):
                stamp = str(newest["SystemModstamp"])
            self.store.set_cursor(s, f"salesforce:{sobject}:SystemModstamp", stamp)
        self._report.captured_salesforce += len(items)
        return stamp
