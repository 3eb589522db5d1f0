"""Record lifecycle of the Salesforce store beyond plain writes: replication windows
(`sobjects/X/updated`, `/deleted`), the recycle bin's purge, lead conversion and merge (a mixin of
`models.SalesforceBackend`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from simulator.salesforce import catalog, errors, lead_convert_maps
from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.schema import ObjectDef
from simulator.salesforce.store_base import (
    MAX_REPLICATION_IDS,
    RECYCLE_BIN_DAYS,
    UPDATED_WINDOW_DAYS,
    _drop_none,
    _minute,
    _quarter_end,
    index_key,
)
from simulator.salesforce.wire import format_datetime


class LifecycleMixin:
    # --- replication windows (sobjects/X/updated, /deleted) ------------------------------------------
    def updated_window(self, obj: str, start: datetime, end: datetime) -> dict[str, Any]:
        """`GET /sobjects/X/updated/`: ids whose SystemModstamp is in [start, end] (minute granularity)."""
        o = self.object(obj)
        start_m, end_m = self._window(start, end, UPDATED_WINDOW_DAYS)
        sl = self._indexes[o.name].range["SystemModstamp"]
        recs = self.records[o.name]
        found = [
            rid for _, rid in sl.irange((start_m, ""), (end_m, "\uffff")) if not recs[rid].get("IsDeleted")
        ]
        if len(found) > MAX_REPLICATION_IDS:
            raise SalesforceError(400, "EXCEEDED_ID_LIMIT", "record limit reached. narrow the time window")
        return {"ids": found, "latestDateCovered": format_datetime(end_m)}

    def deleted_window(self, obj: str, start: datetime, end: datetime) -> dict[str, Any]:
        """`GET /sobjects/X/deleted/`: recycle-bin entries deleted in [start, end]."""
        o = self.object(obj)
        self.purge_recycle_bin()
        start_m, end_m = self._window(start, end, RECYCLE_BIN_DAYS)
        out = []
        for rid, rec in self.records[o.name].items():
            when = self.deleted_at.get(rid)
            if rec.get("IsDeleted") and when is not None and start_m <= when <= end_m:
                out.append({"id": rid, "deletedDate": format_datetime(when)})
        out.sort(key=lambda d: (d["deletedDate"], d["id"]))
        return {
            "deletedRecords": out,
            "earliestDateAvailable": format_datetime(self.earliest_deleted_available),
            "latestDateCovered": format_datetime(end_m),
        }

    def _window(self, start: datetime, end: datetime, days: int) -> tuple[datetime, datetime]:
        now = self.now()
        start_m = _minute(start)
        end_m = min(_minute(end), _minute(now)) if end > now else _minute(end)
        if start_m > _minute(end):
            raise errors.invalid_replication_date("startDate must chronologically precede endDate")
        if start_m < _minute(now - timedelta(days=days)):
            raise errors.invalid_replication_date(f"startDate cannot be more than {days} days ago")
        return start_m, end_m

    def _mark_deleted(self, rid: str, when: datetime) -> None:
        self.deleted_at[rid] = when
        if self._oldest_deleted is None or when < self._oldest_deleted:
            self._oldest_deleted = when

    def purge_recycle_bin(self) -> int:
        """Hard-delete recycle-bin records older than 15 days (they leave queryAll and `deleted`)."""
        cutoff = self.now() - timedelta(days=RECYCLE_BIN_DAYS)
        if self._oldest_deleted is None or self._oldest_deleted >= cutoff:
            return 0
        old = [rid for rid, when in self.deleted_at.items() if when < cutoff]
        for rid in old:
            o = self.schema.object_for_id(rid)
            when = self.deleted_at.pop(rid)
            if o is not None and (rec := self.records[o.name].get(rid)) is not None and rec.get("IsDeleted"):
                self._touch(o.name, rid)
                self._indexes[o.name].remove(rid, rec)
                del self.records[o.name][rid]
            self.earliest_deleted_available = max(
                self.earliest_deleted_available, _minute(when) + timedelta(minutes=1)
            )
        self._oldest_deleted = min(self.deleted_at.values(), default=None)
        return len(old)

    def on_clock_advanced(self) -> None:
        self.purge_recycle_bin()
        self._roll_api_day()
        self.jobs.advance(self, self.now())

    # --- lead conversion and merge (control API) -----------------------------------------------------
    def convert_lead(
        self,
        lead_id: str,
        *,
        account_id: str | None = None,
        contact_id: str | None = None,
        do_not_create_opportunity: bool = False,
        converted_status: str | None = None,
        opportunity_name: str | None = None,
        owner_id: str | None = None,
    ) -> dict[str, Any]:
        """Salesforce's convertLead(): reuse or create Account and Contact, create an Opportunity
        unless told not to, copy the standard mapped fields, and mark the lead converted."""
        with self.transaction():
            lead_o = self.object("Lead")
            lid = self.normalize_id(lead_o, lead_id)
            lead = self._record(lead_o, lid)
            if lead.get("IsConverted"):
                raise errors.converted_lead()
            status = converted_status or catalog.LEAD_CONVERTED_STATUS
            if status != catalog.LEAD_CONVERTED_STATUS:
                raise SalesforceError(
                    400, "INVALID_STATUS", f"invalid convertedStatus: {status}", ["ConvertedStatus"]
                )
            owner = (
                self.normalize_id("User", owner_id)
                if owner_id
                else lead.get("OwnerId") or self.integration_user_id
            )
            if account_id:
                acc_id = self.normalize_id("Account", account_id)
                self._record(self.object("Account"), acc_id)
            else:
                acc_vals = {dst: lead.get(src) for src, dst in lead_convert_maps.LEAD_TO_ACCOUNT.items()}
                acc_vals.update(OwnerId=owner, Name=lead.get("Company") or lead.get("Name"))
                acc_id = self._insert_system("Account", _drop_none(acc_vals))
            con_vals = {dst: lead.get(src) for src, dst in lead_convert_maps.LEAD_TO_CONTACT.items()}
            con_vals.update(self._mapped_custom(lead, "Contact"))
            con_vals.update(OwnerId=owner, AccountId=acc_id)
            if contact_id:
                con_id = self.normalize_id("Contact", contact_id)
                contact_o = self.object("Contact")
                existing = dict(self._record(contact_o, con_id))
                for k, v in con_vals.items():
                    if existing.get(k) in (None, "", False) and v not in (None, ""):
                        existing[k] = v
                existing["LastModifiedDate"] = existing["SystemModstamp"] = self.now()
                self._derive(contact_o, existing, None)
                self._put(contact_o, con_id, existing)
            else:
                con_id = self._insert_system("Contact", _drop_none(con_vals))
            opp_id = None
            if not do_not_create_opportunity:
                opp_vals = {dst: lead.get(src) for src, dst in lead_convert_maps.LEAD_TO_OPPORTUNITY.items()}
                opp_vals.update(
                    OwnerId=owner,
                    AccountId=acc_id,
                    StageName=next(iter(catalog.OPPORTUNITY_STAGES)),
                    Name=opportunity_name or f"{lead.get('Company') or lead.get('Name')}-",
                    CloseDate=_quarter_end(self.now().date()),
                )
                opp_id = self._insert_system("Opportunity", _drop_none(opp_vals))
                self._insert_system(
                    "OpportunityContactRole",
                    {"OpportunityId": opp_id, "ContactId": con_id, "IsPrimary": True},
                )
            now = self.now()
            rec = dict(lead)
            rec.update(
                IsConverted=True,
                ConvertedDate=now.date(),
                ConvertedAccountId=acc_id,
                ConvertedContactId=con_id,
                ConvertedOpportunityId=opp_id,
                Status=status,
                LastModifiedDate=now,
                SystemModstamp=now,
            )
            self._put(lead_o, lid, rec)
        return {
            "leadId": lid,
            "accountId": acc_id,
            "contactId": con_id,
            "opportunityId": opp_id,
            "success": True,
            "errors": [],
        }

    def _mapped_custom(self, lead: dict[str, Any], target: str) -> dict[str, Any]:
        """Custom lead fields mapped to a same-named custom field of the target (the usual org setup)."""
        t = self.object(target)
        out = {}
        for fd in self.object("Lead").fields.values():
            tf = t.field(fd.name)
            if fd.custom and tf is not None and tf.custom and tf.type == fd.type and not tf.unique:
                out[tf.name] = lead.get(fd.name)
        return out

    def merge(
        self, obj: str, master_id: str, duplicate_ids: list[str], *, user: str | None = None
    ) -> dict[str, Any]:
        """Salesforce's merge(): losers go to the recycle bin with MasterRecordId set; their children
        are re-parented to the master."""
        o = self.object(obj)
        if o.name not in ("Lead", "Contact", "Account"):
            raise errors.invalid_operation(f"merge is not supported for {o.name}")
        mid = self.normalize_id(o, master_id)
        if not duplicate_ids or len(duplicate_ids) > 2:
            raise SalesforceError(
                400,
                "INVALID_OPERATION",
                "A merge request must name one or two records to merge into the master",
            )
        losers = []
        for raw in duplicate_ids:
            rid = self.normalize_id(o, raw)
            if rid == mid or rid in losers:
                raise SalesforceError(
                    400, "INVALID_ID_FIELD", f"invalid or duplicate record id in merge request: {raw}"
                )
            losers.append(rid)
        uid = self._user(user)
        updated_related: list[str] = []
        with self.transaction():
            self._record(o, mid)
            for rid in losers:
                self._record(o, rid)
            for rid in losers:
                updated_related += self._reparent(rid, mid, uid)
                self._soft_delete_single(o, rid, uid, mid)
            master = dict(self.records[o.name][mid])
            master["LastModifiedDate"] = master["SystemModstamp"] = self.now()
            master["LastModifiedById"] = uid
            self._put(o, mid, master)
        return {
            "id": mid,
            "mergedRecordIds": losers,
            "updatedRelatedIds": updated_related,
            "success": True,
            "errors": [],
        }

    def _soft_delete_single(self, o: ObjectDef, rid: str, user: str, master_id: str) -> None:
        now = self.now()
        rec = dict(self.records[o.name][rid])
        rec.update(
            IsDeleted=True,
            LastModifiedDate=now,
            SystemModstamp=now,
            LastModifiedById=user,
            MasterRecordId=master_id,
        )
        self._put(o, rid, rec)
        self._mark_deleted(rid, now)

    def _reparent(self, loser: str, master: str, user: str) -> list[str]:
        moved = []
        now = self.now()
        for child in self.schema.objects.values():
            for f in child.fields.values():
                if f.type != "reference" or f.name in ("MasterRecordId", "CreatedById", "LastModifiedById"):
                    continue
                idx = self._indexes[child.name].eq.get(f.name)
                if idx is None:
                    continue
                for cid in sorted(idx.get(index_key(loser), ())):
                    rec = dict(self.records[child.name][cid])
                    if rec.get("IsDeleted"):
                        continue
                    rec[f.name] = master
                    rec["SystemModstamp"] = rec["LastModifiedDate"] = now
                    rec["LastModifiedById"] = user
                    self._derive(child, rec, self.records[child.name][cid])
                    self._put(child, cid, rec)
                    moved.append(cid)
        return moved
