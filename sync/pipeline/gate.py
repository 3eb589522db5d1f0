"""Gate: read what is missing, drop echoes, Salesforce deletions/conversions, eligibility."""

from __future__ import annotations

from sqlalchemy import delete

from sync.pipeline.context import EngineContext
from sync.pipeline.pair import Pair
from sync.rules import (
    side_value,
)
from sync.schema import Schema
from sync.settings import Deletion
from sync.state.models import Link


class GateStage(EngineContext):
    def _read_bare_hubspot(self, pairs: list[Pair], schema: Schema) -> None:
        """HubSpot items queued without a record (webhooks, manual resyncs): read them first, so the
        echo check below can drop our own writes before anything is read from Salesforce."""
        bare = {
            str(p.link.hs_id if p.link else p.detail["pending_hs"]): p
            for p in pairs
            if p.hs is None and p.sf is None and not p.outcome and (p.link or "pending_hs" in p.detail)
        }
        if not bare:
            return
        got = {str(r["id"]): r for r in self.hubspot.batch_read(self.object_type.hs_object, list(bare), schema.hs_read_properties())}
        for hid, p in bare.items():
            p.hs = got.get(hid)
            if p.hs is None:
                p.detail["hs_missing"] = True

    def _skip_echoes(self, pairs: list[Pair], schema: Schema) -> None:
        """Echo suppression before any read of the other side: a linked record whose mapped values
        all equal their last-synced values changed nothing we sync (our own write, or an unmapped
        field: TRG-4). A field never synced counts as unchanged while blank.

        Implements: TRG-4"""
        for p in pairs:
            if p.link is None or p.outcome or (p.hs is None) == (p.sf is None):
                continue
            if "manual" in p.trigger or "INC-" in p.trigger or "IMP-" in p.trigger or "CON-9" in p.trigger:
                continue  # explicit triggers always get a full look
            last = p.link.last_synced or {}
            changed = False
            for am in schema.active.get(p.link.sf_object, []):
                if p.hs is not None:
                    v = self._hs_value(am, p.hs)
                    if am.mapping.is_owner:
                        v = self._hs_owner_to_sf(v) or v
                else:
                    if p.sf is not None and (
                        p.sf.get("IsDeleted") or self.object_type.read_only(p.link.sf_object, p.sf)
                    ):
                        changed = True
                        break
                    v = self._sf_value(am, p.sf)  # type: ignore[arg-type]
                if side_value(last.get(am.key), "hs" if p.hs is not None else "sf") != v:
                    changed = True
                    break
            if not changed:
                p.outcome = "no_change"
                p.detail["reason"] = (
                    "TRG-4: no mapped value changed (our own write echoed back, or an unmapped field)"
                )

    def _fill_missing(self, pairs: list[Pair], schema: Schema) -> None:
        """Fetch the sides we do not have yet, in batches (only for pairs with a link or pending id)."""
        need_hs = [
            p.link.hs_id if p.link else p.detail["pending_hs"]
            for p in pairs
            if p.hs is None
            and not p.outcome
            and "hs_missing" not in p.detail
            and (p.link or "pending_hs" in p.detail)
        ]
        if need_hs:
            got = {
                str(r["id"]): r
                for r in self.hubspot.batch_read(self.object_type.hs_object, need_hs, schema.hs_read_properties())
            }
            for p in pairs:
                if p.hs is None and not p.outcome:
                    hid = p.link.hs_id if p.link else p.detail.get("pending_hs")
                    p.hs = got.get(str(hid)) if hid else None
                    if hid and p.hs is None:
                        p.detail["hs_missing"] = True
        for obj in self.object_type.sf_objects:
            need_sf = [
                p.link.sf_id if p.link else p.detail["pending_sf"]
                for p in pairs
                if p.sf is None
                and not p.outcome
                and p.sf_object == obj
                and (p.link or "pending_sf" in p.detail)
            ]
            if not need_sf:
                continue
            fields = ", ".join(schema.sf_read_fields(obj))
            got = {
                r["Id"]: r
                for r in self.salesforce.query_in(
                    f"SELECT {fields} FROM {obj} WHERE Id IN ({{inlist}})", need_sf, True
                )
            }
            for p in pairs:
                if p.sf is None and not p.outcome and p.sf_object == obj:
                    sid = p.link.sf_id if p.link else p.detail.get("pending_sf")
                    p.sf = got.get(sid) if sid else None
                    if sid and p.sf is None:
                        p.detail["sf_missing"] = True

    def _handle_salesforce_specials(self, pairs: list[Pair], members: set[str], list_id: str | None) -> None:
        """Deletions (DEL-1/DEL-3), then the object type's special step (lead conversion for contacts).

        Implements: DEL-1, DEL-3"""
        to_archive: list[str] = []
        with self.store.session() as s:
            for p in pairs:
                if p.sf is None or p.outcome:
                    continue
                if p.sf.get("IsDeleted"):
                    if p.link is None:
                        p.outcome = "skipped"
                        p.detail["reason"] = "deleted Salesforce record was never linked"
                        continue
                    merged = p.sf.get("MasterRecordId")
                    if self.object_settings.deletion == Deletion.DELETE:
                        to_archive.append(p.link.hs_id)
                        p.outcome = "deleted_in_hubspot"
                        p.detail["reason"] = "DEL-1: linked Salesforce record deleted" + (
                            f" (DEL-3 merged into {merged})" if merged else ""
                        )
                    else:
                        p.outcome = "unlinked"
                        p.detail["reason"] = (
                            "DEL-1: Salesforce record deleted; deletion setting is do_nothing"
                        )
                    s.execute(delete(Link).where(Link.id == p.link.id))
                    continue
                special = self.object_type.sf_specials
                if special is not None:
                    special(self, p, s)  # e.g. lead conversion (CON-9/CON-10/A7, sync/objects/contacts.py)
        if to_archive:
            self.hubspot.batch_archive(self.object_type.hs_object, to_archive)
            self._report.deleted_in_hubspot += len(to_archive)

    def _gate(self, pairs: list[Pair], members: set[str], list_id: str | None) -> None:
        """Eligibility: INC-2/3/9 (both directions, A1), CON-4 (no email), CON-1 (SF create setting).

        Implements: INC-2, INC-3, INC-9, CON-1, CON-4, DEL-2"""
        c = self.object_settings
        hook = self.object_type.gate_hook
        for p in pairs:
            if p.outcome:
                continue
            reason = hook(self, p) if hook is not None else None
            if reason:  # the descriptor's own eligibility (e.g. DEAL-5: a deal outside the synced pipelines)
                p.outcome = "skipped"
                p.detail["reason"] = reason
                continue
            hs_id = p.hs_id
            if p.link is not None:
                if list_id and hs_id not in members:
                    p.outcome = "skipped"
                    p.detail["reason"] = (
                        "INC-3/INC-9 (A1): contact is not in the inclusion list; nothing syncs either way"
                    )
                    p.detail["in_list"] = False
                continue
            if p.hs is not None and p.sf is None:
                if "hs_missing" in p.detail:
                    p.outcome = "skipped"
                    p.detail["reason"] = (
                        "HubSpot record not found (deleted; DEL-2/A8: HubSpot deletions never reach Salesforce)"
                    )
                elif not self.object_type.keyless and not self.object_type.key_is_sf_id and not self.object_type.hs_key(p.hs):
                    p.outcome = "skipped"
                    p.detail["reason"] = "CON-4: HubSpot contact has no email address"
                elif list_id and str(p.hs["id"]) not in members:
                    p.outcome = "skipped"
                    p.detail["reason"] = "INC-3: contact is not in the inclusion list"
                    p.detail["in_list"] = False
                continue
            if p.sf is not None and p.hs is None:
                if "sf_missing" in p.detail:
                    p.outcome = "skipped"
                    p.detail["reason"] = "Salesforce record not found"
                elif not self.object_type.keyless and not self.object_type.sf_key(p.sf):
                    p.outcome = "skipped"
                    p.detail["reason"] = "IMP-4/CON-4: Salesforce record has no email address"
                elif not self.object_type.takes_from_salesforce(c, p.sf_object or ""):
                    p.outcome = "skipped"
                    p.detail["reason"] = (
                        f"CON-1: HubSpot does nothing for new/updated Salesforce {p.sf_object}s"
                    )
