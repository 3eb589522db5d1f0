"""Match: dedupe by the descriptor's keys; link an existing record or create one, both sides."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from sync.clients.salesforce import COMPOSITE_LIMIT, parse_sf_datetime
from sync.errors import (
    Category,
    TransientError,
    salesforce_category,
)
from sync.mappings import SyncRule
from sync.pipeline.match_keyless import KeylessMatch
from sync.pipeline.pair import Pair
from sync.pipeline.queries import in_rows, in_scalar, links_by_hs_id
from sync.pipeline.values import (
    sf_stamp,
)
from sync.rules import (
    to_hubspot_value,
    to_salesforce_value,
)
from sync.schema import Schema
from sync.state.models import Intent, Link, Membership


class MatchStage(KeylessMatch):
    def _match_and_create(self, pairs: list[Pair], schema: Schema) -> None:
        hs_new = [p for p in pairs if not p.outcome and p.link is None and p.hs is not None and p.sf is None]
        sf_new = [p for p in pairs if not p.outcome and p.link is None and p.sf is not None and p.hs is None]
        if self.object_type.keyless:
            self._create_keyless(hs_new, sf_new, schema)
            return
        if hs_new:
            self._link_or_create_in_salesforce(hs_new, schema)
            just_linked = {p.link.sf_id for p in hs_new if p.link is not None}
            for p in sf_new:
                if p.sf is not None and p.sf.get("Id") in just_linked:
                    p.outcome = "merged"
                    p.detail["reason"] = "linked with its HubSpot counterpart in the same batch"
            sf_new = [p for p in sf_new if not p.outcome]
        if sf_new:
            self._link_or_create_in_hubspot(sf_new, schema)

    def _find_in_salesforce(self, emails: list[str], schema: Schema) -> dict[str, tuple[str, dict[str, Any]]]:
        """CON-5/6/8: match only by email; first (oldest) record wins; Contacts and unconverted Leads.

        Implements: CON-5, CON-6, CON-8"""
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        candidates: list[tuple[str, str, dict[str, Any]]] = []
        for obj in self.object_type.sf_objects:
            fields = ", ".join(schema.sf_read_fields(obj))
            extra = self.object_type.match_filter(obj, schema)
            soql = f"SELECT {fields} FROM {obj} WHERE {self.object_type.sf_key_field} IN ({{inlist}}){extra} ORDER BY CreatedDate, Id"
            for r in self.salesforce.query_in(soql, emails):
                candidates.append((obj, r.get("CreatedDate") or "", r))
        with self.store.session() as s:
            linked_to = {
                lk.sf_id: lk.hs_id for lk in in_rows(s, Link, Link.sf_id, [r["Id"] for _, _, r in candidates])
            }
        linked = set(linked_to)
        if linked_to:
            # CON-8: a record still linked to a HubSpot contact that was deleted (DEL-2 keeps the
            # Salesforce side) is free again; the contact that now has the email takes it over
            # instead of getting a duplicate. Only then is one extra read spent.
            alive = {
                str(r["id"])
                for r in self.hubspot.batch_read(self.object_type.hs_object, sorted(set(linked_to.values())), [self.object_type.hs_key_property])
            }
            linked = {sf_id for sf_id, hs_id in linked_to.items() if hs_id in alive}
        for obj, _created, r in sorted(
            candidates,
            key=lambda t: (
                parse_sf_datetime(t[1]) or datetime.max.replace(tzinfo=UTC),
                t[0] != self.object_type.sf_objects[-1],  # the later-listed sObject wins a tie
                t[2]["Id"],
            ),
        ):
            email = self.object_type.sf_key(r)
            if email and email not in found and r["Id"] not in linked:
                found[email] = (obj, r)
        return found

    def _link_or_create_in_salesforce(self, pairs: list[Pair], schema: Schema) -> None:
        """Implements: CON-2, CON-6, CON-8"""
        ot = self.object_type
        if ot.sf_find is not None:  # the pair's own matching (companies: CMP-6), by HubSpot id
            found = ot.sf_find(self, pairs, schema)
            key_of: Any = lambda p: p.hs_id  # noqa: E731
        else:
            emails = sorted({ot.hs_key(p.hs) for p in pairs if p.hs and ot.hs_key(p.hs)})  # type: ignore[misc]
            found = self._find_in_salesforce(emails, schema)
            key_of = lambda p: ot.hs_key(p.hs)  # noqa: E731
        to_create: dict[str, list[Pair]] = {o: [] for o in ot.sf_objects}
        create_as = ot.create_target(self.object_settings)
        for p in pairs:
            key = key_of(p)
            if key in found:
                obj, rec = found.pop(key)
                p.sf, p.sf_object = rec, obj
                p.link = self._new_link(p, {})
                p.detail.setdefault(
                    "matched", f"CON-8: existing Salesforce {obj} with this email linked (CON-6 first match)"
                )
                self._report.linked_existing += 1
            else:
                to_create[create_as].append(p)
        for obj, group in to_create.items():
            if group and ot.create_gate is not None:
                group = ot.create_gate(self, group)  # e.g. CMP-4: only some records create
            if group:
                self._create_in_salesforce(obj, group, schema)

    def _create_in_salesforce(self, obj: str, group: list[Pair], schema: Schema) -> None:
        """Implements: CON-2, OWN-3"""
        bodies: list[dict[str, Any]] = []
        written: list[dict[str, str | None]] = []
        for p in group:
            body: dict[str, Any] = {}
            synced: dict[str, str | None] = {}
            for am in schema.active.get(obj, []):
                val = self._hs_val(am, p)
                if am.mapping.is_owner:
                    val = self._hs_owner_to_sf(val)  # OWN-3: only a valid owner; otherwise assignment rules
                if am.to_sf_allowed and val is not None:
                    body[am.mapping.salesforce] = to_salesforce_value(val, am.sf_type)
                    synced[am.key] = val
                elif am.mapping.rule != SyncRule.DONT_SYNC:
                    # record every mapped field at link time, so a key missing later means a
                    # mapping added afterwards (RULE-9), not a field that was blank
                    synced[am.key] = None if val is None else {"hs": val, "sf": None}  # type: ignore[assignment]
            if self.object_type.sf_key_field and not self.object_type.key_is_sf_id:
                body.setdefault(self.object_type.sf_key_field, self.object_type.hs_key(p.hs))  # type: ignore[arg-type]  # the match key (CON-5)
            for k, v in self.object_type.create_defaults.get(obj, {}).items():
                if not body.get(k):
                    body[k] = v
            if self.object_type.shape_salesforce is not None:
                self.object_type.shape_salesforce(self, p, body, True)
            bodies.append(body)
            written.append(synced)
        with self.store.session() as s:  # intents first: a crash after the create is reconciled by email
            now = self._ts()
            s.execute(
                insert(Intent.__table__),  # Core executemany: no per-row ORM bookkeeping
                [
                    {"system": "salesforce", "source_id": str(p.hs["id"]), "email": self.object_type.hs_key(p.hs), "at": now, "object_type": self.object_type.hs_object}  # type: ignore[index, arg-type]
                    for p in group
                ],
            )
        # One call per composite chunk: a transient failure (timeout, 5xx) holds back only the
        # records its call carried; the other chunks are still sent and go on (issue 17).
        parts = [range(i, min(i + COMPOSITE_LIMIT, len(group))) for i in range(0, len(group), COMPOSITE_LIMIT)]

        def send(part: range) -> tuple[list[dict[str, Any]], TransientError | None]:
            try:
                return self.salesforce.create_records(obj, [bodies[i] for i in part]), None
            except TransientError as exc:
                return [], exc

        for part, (results, failure) in zip(parts, self.salesforce.map_chunks(send, parts), strict=True):
            if failure is not None:
                self._reconcile_create([group[i] for i in part], failure, schema)
                continue
            self._apply_created(obj, [group[i] for i in part], results, [written[i] for i in part], [bodies[i] for i in part])
        # Read the new records back (one query per ~600): Salesforce fills defaults (owner by
        # assignment rules, OWN-3; picklist defaults) that flow to HubSpot in this same pass, with
        # the Salesforce-ID write (CON-12), instead of as an extra round trip next cycle.
        created = {p.sf["Id"]: p for p in group if p.outcome == "created_in_salesforce" and p.sf}
        if created:
            fields = ", ".join(schema.sf_read_fields(obj))
            soql = f"SELECT {fields} FROM {obj} WHERE Id IN ({{inlist}})"
            for rec in self.salesforce.query_in(soql, list(created)):
                pair = created.get(rec["Id"])
                if pair is not None:
                    pair.sf = {k: v for k, v in rec.items() if k != "attributes"}

    def _apply_created(
        self,
        obj: str,
        group: list[Pair],
        results: list[dict[str, Any]],
        written: list[dict[str, str | None]],
        bodies: list[dict[str, Any]],
    ) -> None:
        """The SaveResults of one create call onto its pairs: a link each, or an error."""
        for p, res, synced, body in zip(group, results, written, bodies, strict=False):
            if res.get("success"):
                p.sf_object = obj
                p.sf = {"Id": res["id"], **body}
                p.link = self._new_link(p, synced)
                p.outcome = "created_in_salesforce"
                p.detail["created"] = f"{p.detail.get('create_reason') or 'CON-2'}: new Salesforce {obj} {res['id']}"
                p.detail["written_to_salesforce"] = sorted(body)
                self._report.created_in_salesforce += 1
            else:
                err = (res.get("errors") or [{}])[0]
                code = err.get("statusCode") or err.get("errorCode")
                self._fail(
                    p,
                    "hubspot",
                    str(p.hs["id"]),
                    salesforce_category(code),
                    code,
                    err.get("message", "create failed"),
                )  # type: ignore[index]

    def _reconcile_create(self, group: list[Pair], exc: TransientError, schema: Schema) -> None:
        """A create call that may or may not have happened: look before re-creating (same cycle,
        once); what is not found waits for the retry queue (ERR-7).

        Implements: ERR-7"""
        if self.object_type.key_is_sf_id:  # no key to look by (accounts): the retry queue decides
            for p in group:
                self._fail(p, "hubspot", str(p.hs["id"]), Category.TRANSIENT, exc.code, str(exc))  # type: ignore[index]
                p.detail["create_unknown"] = True  # its intent row stays: the only clue to the record
            return
        found = self._find_in_salesforce(sorted({self.object_type.hs_key(p.hs) for p in group}), schema)  # type: ignore[misc, arg-type]
        for p in group:
            email = self.object_type.hs_key(p.hs)  # type: ignore[arg-type]
            if email in found:
                o, rec = found[email]
                p.sf, p.sf_object = rec, o
                p.link = self._new_link(p, {})
                p.detail["matched"] = "reconciled after an interrupted create"
            else:
                self._fail(p, "hubspot", str(p.hs["id"]), Category.TRANSIENT, exc.code, str(exc))  # type: ignore[index]

    def _link_or_create_in_hubspot(self, pairs: list[Pair], schema: Schema) -> None:
        """SF record -> existing HubSpot record by the dedupe key (list or not), or a new one.

        Implements: TRG-6, CON-1, CON-5, CON-7, CON-11, INC-7, INC-8"""
        ot = self.object_type
        keys = sorted({k for p in pairs if p.sf and (k := ot.sf_key(p.sf))})
        if ot.hs_find is not None:  # the pair's own matching (companies: CMP-6)
            existing = ot.hs_find(self, pairs, schema)
        else:
            existing = {
                (ot.hs_key(r) or ""): r
                for r in self.hubspot.batch_read(
                    ot.hs_object, keys, schema.hs_read_properties(), id_property=ot.hs_key_property
                )
            }
        hs_ids = [str(r["id"]) for r in existing.values()]
        with self.store.session() as s:
            links = {lk.hs_id: lk for lk in links_by_hs_id(s, ot.hs_object, hs_ids)}
            if self._list_id:
                # The batch's memberships were read before these contacts were matched by email:
                # without this, a contact in the list counts as outside it (INC-7) and stays unsynced.
                self._members = self._members | set(
                    in_scalar(s, Membership.hs_id, Membership.hs_id, hs_ids, Membership.list_id == self._list_id)
                )
        creates: list[Pair] = []
        for key, p in self._newest_per_key(pairs).items():
            if p.outcome:
                continue
            rec = existing.get(key)
            if rec is None:
                creates.append(p)
                continue
            other = links.get(str(rec["id"]))
            if other is not None:
                self._follow_newest_duplicate(p, rec, other)
                continue
            p.hs = rec
            p.link = self._new_link(p, {})
            p.detail["matched"] = (
                "CMP-6: existing HubSpot company linked"
                if ot.key_is_sf_id
                else "CON-5: existing HubSpot contact with this email linked"
            )
            self._report.linked_existing += 1
            if self._list_id and str(rec["id"]) not in self._members:
                self._outside_list_match(p)
        if creates:
            self._create_in_hubspot(creates, schema, email_only=False)

    def _outside_list_match(self, p: Pair) -> None:
        """A Salesforce record matched by key to an existing HubSpot record outside the inclusion
        list. INC-7 covers a record *created* in Salesforce: like a contact created outside the
        list, it is deduplicated onto the existing one and this first sync happens (values both
        ways and the Salesforce ID property), then later updates wait until it joins the list (the
        gate). A change of an older Salesforce record (TRG-3) only links: nothing syncs (INC-3).

        Implements: INC-7, INC-3"""
        if "TRG-6" in p.trigger and p.link is not None:
            p.link.outside_list_created = True
            p.detail["outside_list"] = (
                "INC-7: new Salesforce record linked by email outside the inclusion list; synced once, "
                "then held until the contact joins"
            )
            return
        p.outcome = "skipped"
        p.detail["reason"] = "INC-3/INC-7: linked by email; contact is outside the inclusion list, so no values sync"

    def _newest_per_key(self, pairs: list[Pair]) -> dict[str, Pair]:
        """CON-11: several Salesforce duplicates of one key in a batch: the newest goes on.

        Implements: CON-11"""
        seen: dict[str, Pair] = {}
        for p in pairs:
            key = self.object_type.sf_key(p.sf)  # type: ignore[arg-type]
            if key in seen:
                prev = seen[key]
                loser = prev if sf_stamp(p.sf) > sf_stamp(prev.sf) else p
                loser.outcome = "skipped"
                loser.detail["reason"] = "CON-11: a more recently updated duplicate syncs instead"
                if loser is p:
                    continue
            seen[key] = p  # type: ignore[index]
        return seen

    def _follow_newest_duplicate(self, p: Pair, rec: dict[str, Any], other: Link) -> None:
        """CON-7: later syncs follow the most recently updated duplicate (the link moves to it).

        Implements: CON-7, CON-11"""
        if (parse_sf_datetime(other.sf_modstamp) or datetime.min.replace(tzinfo=UTC)) > sf_stamp(p.sf):
            p.outcome = "skipped"
            p.detail["reason"] = f"CON-11: HubSpot contact {rec['id']} follows {other.sf_id}"
            return
        with self.store.session() as s:
            lk = s.get(Link, other.id)
            if lk is not None:
                lk.sf_id, lk.sf_object, lk.updated_at = p.sf["Id"], p.sf_object or lk.sf_object, self._ts()  # type: ignore[index]
                lk.sf_modstamp = p.sf.get("SystemModstamp")  # type: ignore[union-attr]
                p.link = lk
        p.hs = rec
        p.detail["matched"] = f"CON-7: most recently updated duplicate; link moved from {other.sf_id}"
        if self._list_id and str(rec["id"]) not in self._members:
            # the gate ran before this pair had a link: apply it now (INC-3/INC-9, A1)
            p.outcome = "skipped"
            p.detail["reason"] = "INC-3/INC-9 (A1): contact is not in the inclusion list; nothing syncs either way"

    def _create_in_hubspot(self, group: list[Pair], schema: Schema, email_only: bool) -> None:
        """Upsert HubSpot records by the dedupe key, with the mapped values (or the key alone, IMP-1).

        Implements: TRG-6, CON-1, CON-12, IMP-1, INC-7"""
        ot = self.object_type
        inputs, written = [], []
        for p in group:
            props: dict[str, str] = {ot.hs_key_property: p.sf[ot.sf_key_field]}  # type: ignore[index]
            synced: dict[str, str | None] = {}
            if not email_only:
                for am in schema.active.get(p.sf_object or self.object_type.default_sf_object, []):
                    sfv = self._sf_value(am, p.sf)  # type: ignore[arg-type]
                    val = self._to_hs_option(am, sfv)
                    if am.mapping.hubspot == ot.hs_key_property:
                        synced[am.key] = sfv  # written above as the contact's identity
                    elif am.to_hs_allowed and val is not None:
                        props[am.mapping.hubspot] = to_hubspot_value(val)
                        synced[am.key] = sfv
                    elif am.mapping.rule != SyncRule.DONT_SYNC:
                        # every mapped field is recorded at link time (see _create_in_salesforce)
                        synced[am.key] = None if sfv is None else {"hs": None, "sf": sfv}  # type: ignore[assignment]
            link_prop = self.object_type.link_properties.get(p.sf_object or "")
            if link_prop and link_prop in schema.hs_properties:
                props[link_prop] = p.sf["Id"]  # type: ignore[index]
            inputs.append({"id": p.sf[ot.sf_key_field], "idProperty": ot.hs_key_property, "properties": props})  # type: ignore[index]
            written.append(synced)
        for start in range(0, len(group), 100):
            part = group[start : start + 100]
            if ot.key_is_sf_id:  # no unique key to upsert by: create (the key property maps them back)
                body = self.hubspot.batch_create(ot.hs_object, [{"properties": i["properties"]} for i in inputs[start : start + 100]])
            else:
                body = self.hubspot.batch_upsert(ot.hs_object, inputs[start : start + 100])
            by_email = {(self.object_type.hs_key(r) or ""): r for r in body.get("results", [])}
            for p, synced in zip(part, written[start : start + 100], strict=False):
                rec = by_email.get(self.object_type.sf_key(p.sf) or "")  # type: ignore[arg-type]
                if rec is None:
                    self._fail(
                        p, "salesforce", p.sf["Id"], Category.OTHER, None, "HubSpot upsert returned no record"
                    )  # type: ignore[index]
                    continue
                p.hs = rec
                p.link = self._new_link(p, synced)
                if rec.get("new") is False:  # upsert found an existing contact with this email
                    p.detail["existing"] = True
                    p.detail["matched"] = "CON-5: existing HubSpot contact with this email linked"
                    if not email_only:  # an import leaves it to the queued follow-up, which counts it
                        self._report.linked_existing += 1
                    continue
                p.outcome = "created_in_hubspot"
                p.detail["created"] = (
                    f"{'IMP-1' if email_only else 'TRG-6/CON-1'}: HubSpot contact {rec['id']}"
                )
                self._report.created_in_hubspot += 1
                if self.object_settings.inclusion_list:
                    p.link.outside_list_created = True  # INC-7: created regardless of the list, once

    def _new_link(self, p: Pair, synced: dict[str, str | None]) -> Link:
        now = self._ts()
        return Link(
            object_type=self.object_type.hs_object,
            hs_id=str(p.hs["id"]),
            sf_object=p.sf_object or self.object_type.default_sf_object,
            sf_id=p.sf["Id"],  # type: ignore[index]
            email=self.object_type.hs_key(p.hs) or self.object_type.sf_key(p.sf),
            last_synced=dict(synced),
            created_at=now,  # type: ignore[arg-type]
            updated_at=now,
            sf_modstamp=p.sf.get("SystemModstamp"),
            outside_list_created=False,
        )  # type: ignore[union-attr]
