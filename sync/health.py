"""Read-side queries: status, why, errors, decisions (state database; no API call except resolving an email)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from sync.errors import RecordNotFound
from sync.pipeline.context import DAY, EngineContext
from sync.pipeline.queries import in_rows, links_by_hs_id
from sync.state.models import Decision, Link, Membership, QueueItem, SyncError


class HealthQueries(EngineContext):
    def status(self) -> dict[str, Any]:
        """Implements: LIM-1, LIM-4, SUS-4"""
        now = self._ts()
        with self.store.session() as s:
            by_cat = dict(
                s.execute(select(SyncError.category, func.count()).group_by(SyncError.category)).all()
            )
            records = s.scalar(select(func.count()).select_from(SyncError)) or 0
            queue = s.scalar(select(func.count()).select_from(QueueItem)) or 0
            links = s.scalar(select(func.count()).select_from(Link)) or 0
            sus = self.store.get_flag(s, "suspension")
            pause = self.store.get_flag(s, "hubspot_paused")
            installed = self.store.get_flag(s, "installed")
            hooks = self.store.get_flag(s, "webhooks")
        sf_used = self.store.calls_since("salesforce", now - DAY)
        alloc = self.settings.api.allocation
        return {
            "integration_enabled": self.settings.integration_enabled,
            "installed": bool(installed),
            "api": {  # LIM-1
                "salesforce_calls_24h": sf_used,
                "hubspot_calls_24h": self.store.calls_since("hubspot", now - DAY),
                "allocation": alloc,
                "remaining": (alloc - sf_used) if alloc else None,
                "salesforce_org_limit": list(self._sf.limit_info)
                if self._sf and self._sf.limit_info
                else None,
                "retries_paused": not self._retries_allowed(),  # LIM-4
            },
            "errors": {"by_category": by_cat, "records": records},
            "suspension": sus,
            "hubspot_paused": pause,
            "queue": queue,
            "links": links,
            "inactive_default_mappings": self._schema.inactive_defaults if self._schema else None,
            # deliveries, events, queued, skipped (already captured / not used), rejected, last_*
            "webhooks": ({"configured": self.settings.hubspot.webhooks is not None, **(hooks or {})}),
        }

    def why(self, record: str, limit: int = 20) -> dict[str, Any]:
        """The decision log for a record (HubSpot id, Salesforce id or email), newest first."""
        key = record.strip()
        with self.store.session() as s:
            link, ids, keys = self._resolve_logged(s, key)
            cond = Decision.hs_id.in_(ids) | Decision.sf_id.in_(ids) | Decision.email.in_(keys)
            rows = list(s.scalars(select(Decision).where(cond).order_by(Decision.id.desc()).limit(limit)))
            errors = list(s.scalars(select(SyncError).where(SyncError.record_id.in_(ids))))
            list_flag = self.store.get_flag(s, "inclusion_list")
            in_list = None
            if list_flag and link is not None:
                in_list = s.get(Membership, (list_flag["id"], link.hs_id)) is not None
        return {
            "record": record,
            "link": None
            if link is None
            else {
                "hubspot_id": link.hs_id,
                "salesforce_id": link.sf_id,
                "salesforce_object": link.sf_object,
                "last_synced": link.last_synced,
            },
            "in_inclusion_list": in_list,
            "errors": [
                {"category": e.category, "code": e.code, "message": e.message, "attempts": e.attempts}
                for e in errors
            ],
            "decisions": [
                {
                    "at": datetime.fromtimestamp(d.at, tz=UTC).isoformat(),
                    "hubspot_id": d.hs_id,
                    "salesforce_id": d.sf_id,
                    "trigger": d.trigger,
                    "outcome": d.outcome,
                    "detail": d.detail,
                }
                for d in rows
            ],
        }

    def _resolve_logged(self, s: Any, key: str) -> tuple[Link | None, list[str], list[str]]:
        """The record a user named (HubSpot id, Salesforce id or email) as every id and key it is
        known by: from its link, else from the decision log (a record in error may have no link).
        One hop, so `why EMAIL` and `why <HubSpot id>` resolve to the same record (issue 17, bug 6)."""
        lowered = key.lower()
        link = s.scalar(select(Link).where((Link.hs_id == key) | (Link.sf_id == key) | (Link.email == lowered)))
        ids = {key}
        keys = {lowered}
        if link is not None:
            ids |= {link.hs_id, link.sf_id}
            if link.email:
                keys.add(link.email)
        seen = select(Decision.hs_id, Decision.sf_id, Decision.email).where(
            Decision.hs_id.in_(ids) | Decision.sf_id.in_(ids) | Decision.email.in_(keys)
        )
        for hs_id, sf_id, email in s.execute(seen.order_by(Decision.id.desc()).limit(200)):
            ids |= {x for x in (hs_id, sf_id) if x}
            if email:
                keys.add(email)
        return link, sorted(ids), sorted(keys)

    def errors(self, category: str | None = None) -> list[dict[str, Any]]:
        """Every current sync error (optionally one category, case-insensitive), oldest first, with
        both sides' ids where the record is linked. From the state database only: no API calls."""
        with self.store.session() as s:
            q = select(SyncError).order_by(SyncError.id)
            rows = list(s.scalars(q))
            ids = [e.record_id for e in rows]
            links = links_by_hs_id(s, self.object_type.hs_object, ids) + in_rows(s, Link, Link.sf_id, ids)
        by_hs = {lk.hs_id: lk.sf_id for lk in links}
        by_sf = {lk.sf_id: lk.hs_id for lk in links}
        out = []
        for e in rows:
            if category and e.category.lower() != category.lower():
                continue
            hs_id = e.record_id if e.system == "hubspot" else by_sf.get(e.record_id)
            sf_id = e.record_id if e.system == "salesforce" else by_hs.get(e.record_id)
            out.append(
                {
                    "system": e.system,
                    "object_type": e.object_type,
                    "record_id": e.record_id,
                    "hubspot_id": hs_id,
                    "salesforce_id": sf_id,
                    "category": e.category,
                    "code": e.code,
                    "message": e.message,
                    "attempts": e.attempts,
                    "first_at": e.first_at,
                    "last_at": e.last_at,
                    "next_retry_at": e.next_retry_at,
                }
            )
        return out

    def decisions(self, record: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """The decision log oldest first: one record's (HubSpot id, Salesforce id or email, as in
        why()) or everyone's; `limit` keeps the newest N. State database only: no API calls."""
        if record is not None:
            rows = self.why(record, limit=limit or 1_000_000)["decisions"]
            return list(reversed(rows))
        with self.store.session() as s:
            q = select(Decision).order_by(Decision.id.desc())
            if limit:
                q = q.limit(limit)
            found = list(s.scalars(q))
        return [
            {
                "at": datetime.fromtimestamp(d.at, tz=UTC).isoformat(),
                "hubspot_id": d.hs_id,
                "salesforce_id": d.sf_id,
                "email": d.email,
                "trigger": d.trigger,
                "outcome": d.outcome,
                "detail": d.detail,
            }
            for d in reversed(found)
        ]

    def _resolve_record(self, record: str) -> tuple[str, str, str]:
        key = record.strip()
        if self.object_type.key_is_sf_id and not key.isdigit() and self.object_type.sobject_of_id(key) is None:
            raise RecordNotFound(record, f"no HubSpot {self.object_type.schema_names.hs_label} id or Salesforce record id {record!r}")
        if key.isdigit():
            return "hubspot", key, self.object_type.hs_object
        sobject = self.object_type.sobject_of_id(key)
        if sobject is not None:
            return "salesforce", key, sobject
        with self.store.session() as s:
            link = s.scalar(select(Link).where(Link.email == key.lower()))
        if link is not None:
            return "hubspot", link.hs_id, self.object_type.hs_object
        found = self.hubspot.batch_read(self.object_type.hs_object, [key], [self.object_type.hs_key_property], id_property=self.object_type.hs_key_property)
        if found:
            return "hubspot", str(found[0]["id"]), self.object_type.hs_object
        raise RecordNotFound(record, f"no HubSpot contact or Salesforce lead/contact matches {record!r}")
