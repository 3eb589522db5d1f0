"""Salesforce imports (IMP-1..4): email-only contacts, then the queued follow-up sync."""

from __future__ import annotations

from typing import Any

from sync.clients.hubspot import chunks
from sync.pipeline.context import EngineContext
from sync.pipeline.pair import Pair
from sync.pipeline.queries import in_rows, in_scalar, links_by_hs_id
from sync.schema import Schema
from sync.state.models import Link, Membership, QueueItem


class ImportStage(EngineContext):
    def _import(self, sobject: str) -> None:
        """Import every record of `sobject` with a key: email-only records, then the follow-up sync.

        Implements: IMP-1, IMP-2, IMP-3, IMP-4"""
        schema = self.schema
        if self.object_type.keyless:
            self._import_keyless(sobject, schema)
            return
        extra = self.object_type.match_filter(sobject, schema)
        fields = ", ".join(schema.sf_read_fields(sobject))
        rows = self.salesforce.query(
            f"SELECT {fields} FROM {sobject} WHERE {self.object_type.sf_key_field} != null{extra} ORDER BY CreatedDate, Id"
        )
        first: dict[str, dict[str, Any]] = {}
        total = 0
        for r in rows:  # IMP-4: one HubSpot contact per email; no email = skipped by the WHERE
            total += 1
            e = self.object_type.sf_key(r)
            if e and e not in first:
                first[e] = {k: v for k, v in r.items() if k != "attributes"}
        # Name the descriptor's key: accounts are keyed by their Id, not an email.
        key = self.object_type.sf_key_field
        self.progress(f"import {sobject}: {total} records with {key}, {len(first)} distinct")
        recs = list(first.values())
        if self.object_type.key_is_sf_id:
            # No key-only records to create (accounts): every record is queued for a full sync,
            # which matches it (CMP-6) or creates it (CMP-2), IMP-2's follow-up in one step.
            for part in chunks(recs, 1000):
                with self.store.session() as s:
                    self.store.enqueue(s, "salesforce", sobject, {r["Id"]: ("IMP-2 Salesforce import", r) for r in part}, self._ts())
            return
        list_id = self._inclusion_list_id()
        for n, part in enumerate(chunks(recs, 1000)):
            self._import_chunk(sobject, part, schema, list_id)
            self.progress(f"import {sobject}: {min((n + 1) * 1000, len(recs))}/{len(recs)}")

    def _mark_imported(self, sobject: str) -> None:
        """Remember that an import of `sobject` finished on this state database (DEAL-1)."""
        with self.store.session() as s:
            self.store.set_flag(s, f"imported:{sobject}", {"at": self._ts()})

    def _import_keyless(self, sobject: str, schema: Schema) -> None:
        """A pair without a dedupe key (opportunities): every record not linked yet is queued and
        the drain that follows creates it with all its mapped values (IMP-1's email-only first
        step is a contact rule: a deal has no key to create it by).

        Implements: IMP-5"""
        fields = ", ".join(schema.sf_read_fields(sobject))
        rows = [{k: v for k, v in r.items() if k != "attributes"} for r in self.salesforce.query(f"SELECT {fields} FROM {sobject} ORDER BY CreatedDate, Id")]
        for part in chunks(rows, 1000):
            with self.store.session() as s:
                linked = set(in_scalar(s, Link.sf_id, Link.sf_id, [r["Id"] for r in part]))
                todo = {r["Id"]: ("IMP-5 Salesforce import", r) for r in part if r["Id"] not in linked}
                self.store.enqueue(s, "salesforce", sobject, todo, self._ts())
        self.progress(f"import {sobject}: {len(rows)} records queued")

    def _import_chunk(self, sobject: str, part: list[dict[str, Any]], schema: Schema, list_id: str | None) -> None:
        """One chunk of an import: queue the follow-ups, create email-only records, sync the new ones."""
        with self.store.session() as s:
            linked = set(in_scalar(s, Link.sf_id, Link.sf_id, [r["Id"] for r in part]))
            todo = [r for r in part if r["Id"] not in linked]
            # Durable first: the follow-up sync (IMP-2) is queued before anything is written.
            self.store.enqueue(
                s,
                "salesforce",
                sobject,
                {r["Id"]: ("IMP-2 import follow-up", r) for r in todo},
                self._ts(),
            )
        pairs = [Pair(trigger="IMP-1 Salesforce import", sf=r, sf_object=sobject) for r in todo]
        if pairs:
            self._create_in_hubspot(pairs, schema, email_only=True)  # IMP-1: only the email
        # Contacts already linked to another Salesforce record stay as they are (CON-11).
        with self.store.session() as s:
            taken = {
                lk.hs_id: lk.sf_id for lk in links_by_hs_id(s, self.object_type.hs_object, [p.hs_id for p in pairs if p.link])
            }
        for p in pairs:
            if p.link is not None and taken.get(p.link.hs_id, p.link.sf_id) != p.link.sf_id:
                p.outcome, p.link = "skipped", None
                p.detail["reason"] = (
                    f"CON-11: HubSpot contact already syncs with {taken[str(p.hs['id'])]}"  # type: ignore[index]
                )
        # IMP-2 in memory for brand-new contacts (their only value is the email, so no read is
        # needed); contacts that already existed are left to the queue, which reads them first.
        follow, items, members = self._import_follow_ups(sobject, pairs, todo, list_id)
        matched = [p for p in pairs if p.link is not None and p.detail.get("existing") and not p.outcome]
        if matched:
            # CON-5: a contact that already had the email is linked now (durably), and its IMP-2
            # follow-up stays queued; otherwise that follow-up finds no link and, with creation
            # from Salesforce off (CON-1), the imported record never syncs or links at all.
            for p in matched:
                p.outcome = "linked"
                p.detail["reason"] = "IMP-1: linked to the existing contact; IMP-2 follow-up queued"
            self._finish(matched, [])
        self._gate(follow, members, list_id)
        for p in follow:
            if p.outcome == "skipped" and "inclusion list" in p.detail.get("reason", ""):
                p.detail["reason"] = (
                    "IMP-3: imported contact is outside the inclusion list; only the email was set"
                )
        self._sync_linked(follow, schema)
        self._finish(follow, items)

    def _import_follow_ups(
        self, sobject: str, pairs: list[Pair], todo: list[dict[str, Any]], list_id: str | None
    ) -> tuple[list[Pair], list[QueueItem], set[str]]:
        """The pairs whose IMP-2 follow-up runs now (with their queue items), and list members."""
        if list_id:
            self._capture_memberships()
        with self.store.session() as s:
            members = (
                set(
                    in_scalar(
                        s,
                        Membership.hs_id,
                        Membership.hs_id,
                        [p.hs_id or "" for p in pairs],
                        Membership.list_id == list_id,
                    )
                )
                if list_id
                else set()
            )
            queued = {
                q.record_id: q
                for q in in_rows(
                    s,
                    QueueItem,
                    QueueItem.record_id,
                    [r["Id"] for r in todo],
                    QueueItem.system == "salesforce",
                    QueueItem.object_type == sobject,  # the unique index's columns: no scan
                )
            }
        follow: list[Pair] = []
        items: list[QueueItem] = []
        for p in pairs:
            q = queued.get(p.sf["Id"])  # type: ignore[index]
            if p.outcome == "skipped" and q is not None:
                items.append(q)
                p.queue_ids.append(q.id)
                follow.append(p)
                continue
            if p.link is None or q is None or p.detail.get("existing"):
                continue
            p.trigger, p.outcome = "IMP-1 import + IMP-2 follow-up", ""
            p.queue_ids.append(q.id)
            items.append(q)
            follow.append(p)
        return follow, items, members
