"""The Salesforce fake's store: plain Python records, no HTTP (moto style).

Records are dicts keyed by canonical field name holding native values (str, bool, int, float,
`datetime.date`, aware UTC `datetime`, None); every field of the object is present. Ids are the
canonical 18-character form. Deleted records stay (IsDeleted=True, "recycle bin") for 15 days.

Public API used by the HTTP layer and the other endpoint groups (query / composite / bulk2):

    backend.schema                       Schema: resolve_object(name), resolve_field(obj, name), describe
    backend.create(obj, fields, *, user=None, wire="json", allow_duplicates=False) -> id
    backend.update(obj, id, fields, *, user=None, wire="json", allow_duplicates=False) -> None
    backend.upsert(obj, ext_field, value, fields, *, user=None, wire="json") -> (id, created)
    backend.delete(obj, id, *, user=None) -> None
    backend.hard_delete(obj, id) -> None                        (Bulk hardDelete: no recycle bin)
    backend.get(obj, id, include_deleted=False) -> dict       (a copy; raises NOT_FOUND / ENTITY_IS_DELETED)
    backend.find(obj, field, value, include_deleted=False) -> list[id]   (exact-match lookup, indexed)
    backend.to_json(obj, record, fields=None, api_version="59.0") -> dict   (wire format)
    backend.normalize_id(obj, raw) -> id18                      (raises MALFORMED_ID)
    backend.transaction()                                       context manager: rolls back on exception
    backend.source                                              SOQL SoqlSchema + RecordSource (source.py): scan,
                                                                get, lookup_eq, lookup_range, resolve_relationship
    backend.count_api_request() / api_usage() / set_api_usage(n)
    backend.convert_lead(...) / merge(...)                      control-API actions
    backend.updated_window(obj, start, end) / deleted_window(obj, start, end)
    backend.jobs (jobs.JobStore) / backend.cursors (cursors.CursorStore)   owned by bulk2 / query, dumped here

`fields` are JSON-decoded values as a REST body carries them (wire="json") or CSV strings as a
Bulk 2.0 upload carries them (wire="csv": "" leaves the field alone, "#N/A" sets it to null).
Every write raises `SalesforceError` (errors.py) with the real API's code, message and fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from simulator.salesforce import catalog, errors, ids, record_types, validation
from simulator.salesforce.cursors import CursorStore
from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.jobs import JobStore
from simulator.salesforce.multiple_matches import MultipleMatches
from simulator.salesforce.schema import FieldDef, ObjectDef, Schema
from simulator.salesforce.source import StoreRecordSource
from simulator.salesforce.store_base import (
    DEFAULT_API_VERSION,
    DEFAULT_REFRESH_TOKEN,
    DEFAULT_SESSION,
    INTEGRATION_USERNAME,
    PASSWORD,
    SECURITY_TOKEN,
    SEED_USERS,
    Session,
    _minute,
    _ObjectIndex,
    format_iso,
    index_key,
    parse_iso,
)
from simulator.salesforce.store_lifecycle import LifecycleMixin
from simulator.salesforce.store_org import OrgMixin
from simulator.salesforce.store_snapshot import SnapshotMixin
from simulator.salesforce.wire import format_datetime, format_value

if TYPE_CHECKING:
    from simulator.core.sandbox import Sandbox


class SalesforceBackend(OrgMixin, LifecycleMixin, SnapshotMixin):
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.schema: Schema = catalog.standard_schema()
        self.org_id: str = ids.new_id(ids.ORGANIZATION_PREFIX, sandbox.rng)
        self.created_at: datetime = self.now()
        self.records: dict[str, dict[str, dict[str, Any]]] = {
            o.name: {} for o in self.schema.objects.values()
        }
        self._indexes: dict[str, _ObjectIndex] = {
            o.name: _ObjectIndex(o) for o in self.schema.objects.values()
        }
        self.deleted_at: dict[str, datetime] = {}  # id -> when it went to the recycle bin
        self._oldest_deleted: datetime | None = None  # lower bound of deleted_at's values (cheap purge check)
        self.earliest_deleted_available: datetime = _minute(self.created_at)
        self.sessions: dict[str, Session] = {}
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> user id
        self.validation_rules: list[validation.ValidationRule] = []
        self.duplicate_rules: list[validation.DuplicateRule] = []
        self.readonly_fields: set[tuple[str, str]] = set()  # (Object, Field) not editable for the API user
        self.api_used = 0
        self.api_day: date = self.now().date()
        self.jobs = JobStore()  # Bulk API 2.0 jobs (api/bulk2.py)
        self.cursors = CursorStore()  # open query locators (api/query.py)
        self._tx: list[dict[tuple[str, str], dict[str, Any] | None]] = []
        self.integration_user_id = ""
        for username, first, last, alias, title in SEED_USERS:
            uid = self._insert_system(
                "User",
                {
                    "Username": username,
                    "Email": username,
                    "FirstName": first,
                    "LastName": last,
                    "Alias": alias,
                    "CommunityNickname": alias,
                    "Title": title,
                    "IsActive": True,
                    "TimeZoneSidKey": "America/Los_Angeles",
                    "LocaleSidKey": "en_US",
                    "EmailEncodingKey": "UTF-8",
                    "LanguageLocaleKey": "en_US",
                    "UserType": "Standard",
                    "CompanyName": "Hubforce Sandbox",
                },
            )
            self.integration_user_id = self.integration_user_id or uid
        self.sessions[DEFAULT_SESSION] = Session(
            DEFAULT_SESSION, self.integration_user_id, self.now(), "default"
        )
        self.refresh_tokens[DEFAULT_REFRESH_TOKEN] = self.integration_user_id
        self.record_types = record_types.RecordTypes()
        record_types.seed_stages(self)
        self.seed_user_permissions()
        self.source = StoreRecordSource(self)

    # --- basics --------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.sandbox.clock.now().astimezone(UTC)

    def object(self, name: str) -> ObjectDef:
        """The object definition or 404 NOT_FOUND (what `/sobjects/Foo/` answers)."""
        obj = self.schema.resolve_object(name)
        if obj is None:
            raise errors.not_found()
        return obj

    def normalize_id(self, obj: str | ObjectDef, raw: Any) -> str:
        """Canonical 18-character id of `obj` or 400 MALFORMED_ID (wrong shape, suffix or key prefix)."""
        o = self.object(obj) if isinstance(obj, str) else obj
        try:
            rid = ids.to18(raw) if isinstance(raw, str) else None
        except ids.InvalidId:
            rid = None
        if rid is None or rid[:3] != o.key_prefix:
            raise errors.malformed_id(o.label, raw)
        return rid

    def _record(self, obj: ObjectDef, rid: str, *, include_deleted: bool = False) -> dict[str, Any]:
        rec = self.records[obj.name].get(rid)
        if rec is None:
            raise errors.not_found()
        if rec.get("IsDeleted") and not include_deleted:
            raise errors.entity_is_deleted()
        return rec

    def get(self, obj: str, record_id: str, include_deleted: bool = False) -> dict[str, Any]:
        """A copy of one record (native values). NOT_FOUND / ENTITY_IS_DELETED (404) / MALFORMED_ID."""
        o = self.object(obj)
        return dict(self._record(o, self.normalize_id(o, record_id), include_deleted=include_deleted))

    def exists(self, obj: str, record_id: str, include_deleted: bool = False) -> bool:
        o = self.schema.resolve_object(obj)
        if o is None:
            return False
        rec = self.records[o.name].get(record_id)
        return rec is not None and (include_deleted or not rec.get("IsDeleted"))

    def find(self, obj: str, field: str, value: Any, include_deleted: bool = False) -> list[str]:
        """Ids whose `field` equals `value` (text case-insensitive unless the field is case-sensitive)."""
        o = self.object(obj)
        fd = o.field(field)
        if fd is None:
            return []
        recs = self.records[o.name]
        if fd.name == "Id":
            try:
                rid = ids.to18(value)
            except ids.InvalidId:
                return []
            cands: list[str] = [rid] if rid in recs else []
        else:
            idx = self._indexes[o.name].eq.get(fd.name)
            if idx is not None:
                cands = sorted(idx.get(index_key(value), ()))
            else:
                cands = [
                    rid
                    for rid, r in recs.items()
                    if r.get(fd.name) is not None and index_key(r[fd.name]) == index_key(value)
                ]
        out = [rid for rid in cands if include_deleted or not recs[rid].get("IsDeleted")]
        if fd.case_sensitive:
            out = [rid for rid in out if recs[rid].get(fd.name) == value]
        return sorted(out, key=lambda rid: (recs[rid]["CreatedDate"], rid))

    def iter_records(self, obj: str, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        """Every record of `obj` (live references, do not mutate) in insertion order."""
        o = self.object(obj)
        for rec in self.records[o.name].values():
            if include_deleted or not rec.get("IsDeleted"):
                yield rec

    def count(self, obj: str, include_deleted: bool = False) -> int:
        return sum(1 for _ in self.iter_records(obj, include_deleted))

    # --- wire format ---------------------------------------------------------------------------------
    def to_json(
        self,
        obj: str | ObjectDef,
        record: dict[str, Any],
        fields: list[str] | None = None,
        api_version: str = DEFAULT_API_VERSION,
    ) -> dict[str, Any]:
        """A record as REST returns it: `attributes` then the fields (all, or `fields` in that order;
        unknown names raise INVALID_FIELD)."""
        o = self.object(obj) if isinstance(obj, str) else obj
        out: dict[str, Any] = {
            "attributes": {
                "type": o.name,
                "url": f"/services/data/v{api_version}/sobjects/{o.name}/{record['Id']}",
            }
        }
        if fields is None:
            defs = list(o.fields.values())
        else:
            defs = []
            for name in fields:
                fd = o.field(name)
                if fd is None:
                    raise errors.invalid_field_select(name, o.name)
                defs.append(fd)
        for fd in defs:
            out[fd.name] = format_value(fd, record.get(fd.name))
        return out

    # --- transactions --------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-none: every record touched inside is restored (and re-indexed) if the block raises.
        Nested blocks roll back only their own changes. Ids drawn from the rng are not given back
        (Salesforce does not reuse ids either)."""
        self._tx.append({})
        try:
            yield
        except BaseException:
            saved = self._tx.pop()
            for (objname, rid), before in saved.items():
                recs = self.records[objname]
                cur = recs.get(rid)
                if cur is not None:
                    self._indexes[objname].remove(rid, cur)
                if before is None:
                    recs.pop(rid, None)
                    self.deleted_at.pop(rid, None)
                else:
                    recs[rid] = before
                    self._indexes[objname].add(rid, before)
                    if not before.get("IsDeleted"):
                        self.deleted_at.pop(rid, None)
            raise
        else:
            saved = self._tx.pop()
            if self._tx:  # fold into the enclosing transaction, keeping its older pre-images
                for key, before in saved.items():
                    self._tx[-1].setdefault(key, before)

    def _touch(self, objname: str, rid: str) -> None:
        if self._tx:
            saved = self._tx[-1]
            if (objname, rid) not in saved:
                cur = self.records[objname].get(rid)
                saved[(objname, rid)] = dict(cur) if cur is not None else None

    def _put(self, o: ObjectDef, rid: str, rec: dict[str, Any]) -> None:
        self._touch(o.name, rid)
        recs = self.records[o.name]
        old = recs.get(rid)
        idx = self._indexes[o.name]
        if old is not None:
            idx.remove(rid, old)
        recs[rid] = rec
        idx.add(rid, rec)

    # --- writes --------------------------------------------------------------------------------------
    def _user(self, user: str | None) -> str:
        return user or self.integration_user_id

    def _new_record(self, o: ObjectDef, user: str) -> dict[str, Any]:
        now = self.now()
        rec = o.template()
        rid = ids.new_id(o.key_prefix, self.sandbox.rng)
        while rid in self.records[o.name]:
            rid = ids.new_id(o.key_prefix, self.sandbox.rng)
        rec["Id"] = rid
        for name, value in (
            ("CreatedDate", now),
            ("LastModifiedDate", now),
            ("SystemModstamp", now),
            ("CreatedById", user),
            ("LastModifiedById", user),
            ("OwnerId", user),
        ):
            if name in rec:
                rec[name] = value
        return rec

    def _insert_system(self, objname: str, values: dict[str, Any]) -> str:
        """Insert without API validation (seed data, conversion targets)."""
        o = self.object(objname)
        rec = self._new_record(o, self.integration_user_id or "")
        rec.update(values)
        if o.name == "User" and not self.integration_user_id:
            rec["CreatedById"] = rec["LastModifiedById"] = rec["Id"]
        self._derive(o, rec, None)
        self._put(o, rec["Id"], rec)
        return rec["Id"]

    def create(
        self,
        obj: str,
        fields: dict[str, Any],
        *,
        user: str | None = None,
        wire: str = "json",
        allow_duplicates: bool = False,
    ) -> str:
        """Insert one record from API input; returns its 18-character id."""
        o = self.object(obj)
        if not o.createable:
            raise errors.invalid_operation(f"entity type cannot be inserted: {o.name}")
        values = validation.coerce_fields(self, o, fields, op="create", wire=wire)
        uid = self._user(user)
        rec = self._new_record(o, uid)
        rec.update(values)
        validation.check_required(o, rec, values, op="create")
        self._check_references(o, values)
        self.record_types.before_save(o, rec, None)
        self._derive(o, rec, None)
        self._check_rules(o, rec, None, allow_duplicates)
        self._put(o, rec["Id"], rec)
        return rec["Id"]

    def update(
        self,
        obj: str,
        record_id: str,
        fields: dict[str, Any],
        *,
        user: str | None = None,
        wire: str = "json",
        allow_duplicates: bool = False,
    ) -> None:
        """Update one record from API input (partial). An `Id` key equal to the target is ignored."""
        o = self.object(obj)
        rid = self.normalize_id(o, record_id)
        if not o.updateable:
            raise errors.invalid_operation(f"entity type cannot be updated: {o.name}")
        old = self._record(o, rid)
        if o.name == "Lead" and old.get("IsConverted"):
            raise errors.converted_lead()
        body = dict(fields)
        for key in [k for k in body if isinstance(k, str) and k.lower() == "id"]:
            raw = body.pop(key)
            try:
                same = ids.to18(raw) == rid if isinstance(raw, str) else False
            except ids.InvalidId:
                same = False
            if not same:
                raise errors.id_in_body("Id")
        values = validation.coerce_fields(self, o, body, op="update", wire=wire)
        validation.check_required(o, old, values, op="update")
        self._check_references(o, values)
        rec = dict(old)
        rec.update(values)
        now = self.now()
        rec["LastModifiedDate"] = rec["SystemModstamp"] = now
        rec["LastModifiedById"] = self._user(user)
        self.record_types.before_save(o, rec, old)
        self._derive(o, rec, old)
        self._check_rules(o, rec, old, allow_duplicates)
        self._put(o, rid, rec)

    def upsert(
        self,
        obj: str,
        ext_field: str,
        value: Any,
        fields: dict[str, Any],
        *,
        user: str | None = None,
        wire: str = "json",
        allow_duplicates: bool = False,
        update_only: bool = False,
    ) -> tuple[str, bool]:
        """Upsert keyed on an external-id field (or `Id`): returns (id, created). 404 NOT_FOUND when the
        field is not an external id; MultipleMatches (300) when several records match. `update_only`
        (REST `?updateOnly=true`, API 61.0+) behaves like an update: no match is 404 NOT_FOUND."""
        o = self.object(obj)
        fd = o.field(ext_field) if isinstance(ext_field, str) else None
        if fd is None or not fd.is_lookup_key:
            raise errors.external_id_field_not_found(ext_field)
        body = dict(fields)
        for key in [k for k in body if isinstance(k, str) and k.lower() == fd.name.lower()]:
            given = body.pop(key)
            if fd.name == "Id" or index_key(given) != index_key(value):
                raise errors.id_in_body(fd.name)
        if fd.name == "Id":
            if value in (None, ""):
                return self.create(
                    o.name, body, user=user, wire=wire, allow_duplicates=allow_duplicates
                ), True
            rid = self.normalize_id(o, value)
            self.update(o.name, rid, body, user=user, wire=wire, allow_duplicates=allow_duplicates)
            return rid, False
        ext_value = validation.coerce_value(o, fd, value, wire="csv" if isinstance(value, str) else "json")
        matches = self.find(o.name, fd.name, ext_value)
        if len(matches) > 1:
            raise MultipleMatches(o.name, fd.name, matches)
        if matches:
            self.update(o.name, matches[0], body, user=user, wire=wire, allow_duplicates=allow_duplicates)
            return matches[0], False
        if update_only:
            raise errors.not_found()
        body[fd.name] = value if wire == "json" else str(value)
        return self.create(o.name, body, user=user, wire=wire, allow_duplicates=allow_duplicates), True

    def delete(self, obj: str, record_id: str, *, user: str | None = None) -> None:
        """Move one record (and its cascade children) to the recycle bin."""
        o = self.object(obj)
        rid = self.normalize_id(o, record_id)
        if not o.deletable:
            raise errors.invalid_operation(f"entity type cannot be deleted: {o.name}")
        self._record(o, rid)
        self._soft_delete(o, rid, self._user(user), master_id=None)

    def hard_delete(self, obj: str, record_id: str) -> None:
        """Remove a record for good, skipping (or emptying) the recycle bin: Bulk `hardDelete`.
        Unknown ids are ignored; transactions still roll it back."""
        o = self.object(obj)
        rec = self.records[o.name].get(record_id)
        if rec is None:
            return
        self._touch(o.name, record_id)
        self._indexes[o.name].remove(record_id, rec)
        del self.records[o.name][record_id]
        self.deleted_at.pop(record_id, None)

    def _soft_delete(self, o: ObjectDef, rid: str, user: str, master_id: str | None) -> None:
        now = self.now()
        rec = dict(self.records[o.name][rid])
        rec.update(IsDeleted=True, LastModifiedDate=now, SystemModstamp=now, LastModifiedById=user)
        if master_id is not None and "MasterRecordId" in rec:
            rec["MasterRecordId"] = master_id
        self._put(o, rid, rec)
        self._mark_deleted(rid, now)
        for child, field in self._cascade_children(o):
            for cid in self.find(child.name, field.name, rid):
                self._soft_delete(child, cid, user, None)

    def _cascade_children(self, o: ObjectDef) -> list[tuple[ObjectDef, FieldDef]]:
        out = []
        for child in self.schema.objects.values():
            for f in child.fields.values():
                # Deleting an account deletes its contacts and opportunities (standard behaviour);
                # junction objects (roles, campaign members) die with either parent.
                cascade = f.cascade_delete or (
                    o.name == "Account" and f.name == "AccountId" and child.name in ("Contact", "Opportunity")
                )
                if cascade and o.name in f.reference_to and child.has_is_deleted:
                    out.append((child, f))
        return out

    def _check_references(self, o: ObjectDef, values: dict[str, Any]) -> None:
        for name, value in values.items():
            fd = o.fields[name.lower()]
            if fd.type != "reference" or value is None:
                continue
            target = self.schema.object_for_id(value)
            if target is None or target.name not in fd.reference_to:
                raise errors.field_integrity(fd, value)
            rec = self.records[target.name].get(value)
            if rec is None:
                raise errors.invalid_cross_reference(fd)
            if rec.get("IsDeleted"):
                raise errors.entity_is_deleted([fd.name], status=400)
            if target.name == "User" and fd.name == "OwnerId" and not rec.get("IsActive"):
                raise SalesforceError(
                    400,
                    "INACTIVE_OWNER_OR_USER",
                    f"operation performed with inactive user [{value}] as owner of [{o.name}]",
                    [],
                )

    def _derive(self, o: ObjectDef, rec: dict[str, Any], old: dict[str, Any] | None) -> None:
        """Fields the platform computes: compound Name, opportunity stage facts, activity flags."""
        if o.name in ("Lead", "Contact", "User"):
            rec["Name"] = " ".join(p for p in (rec.get("FirstName"), rec.get("LastName")) if p) or None
        elif o.name == "Opportunity":
            stage = rec.get("StageName")
            facts = catalog.OPPORTUNITY_STAGES.get(stage or "")
            if facts is not None:
                prob, forecast, closed, won = facts
                stage_changed = old is None or old.get("StageName") != stage
                prob_untouched = (
                    rec.get("Probability") is None
                    if old is None
                    else rec.get("Probability") == old.get("Probability")
                )
                if stage_changed and prob_untouched:  # the stage's default probability unless one was given
                    rec["Probability"] = float(prob)
                if stage_changed or rec.get("ForecastCategoryName") is None:
                    rec["ForecastCategoryName"] = forecast
                rec["ForecastCategory"] = rec["ForecastCategoryName"]
                rec["IsClosed"], rec["IsWon"] = closed, won
            amount, prob_v = rec.get("Amount"), rec.get("Probability")
            rec["ExpectedRevenue"] = (
                None if amount is None or prob_v is None else round(amount * prob_v / 100, 2)
            )
            close = rec.get("CloseDate")
            if isinstance(close, date):
                rec["FiscalYear"], rec["FiscalQuarter"] = close.year, (close.month - 1) // 3 + 1
        elif o.name == "Task":
            rec["IsHighPriority"] = rec.get("Priority") == "High"
            rec["IsClosed"] = rec.get("Status") == "Completed"
            if rec["IsClosed"] and (old is None or not old.get("IsClosed")):
                rec["CompletedDateTime"] = self.now()
        elif o.name == "CampaignMember":
            rec["LeadOrContactId"] = rec.get("ContactId") or rec.get("LeadId")
            rec["Type"] = "Contact" if rec.get("ContactId") else "Lead"
            rec["HasResponded"] = rec.get("Status") == "Responded"
        if o.name in ("Task", "Event"):
            rec["AccountId"] = self._activity_account(rec)
        for name, formula in o.formulas.items():  # custom formula fields, in definition order
            rec[name] = formula.evaluate(rec)

    def _activity_account(self, rec: dict[str, Any]) -> str | None:
        what, who = rec.get("WhatId"), rec.get("WhoId")
        if isinstance(what, str) and what.startswith("001"):
            return what
        for ref_id, obj in ((what, "Opportunity"), (who, "Contact")):
            if isinstance(ref_id, str) and (target := self.records[obj].get(ref_id)) is not None:
                return target.get("AccountId")
        return None

    def _check_rules(
        self, o: ObjectDef, rec: dict[str, Any], old: dict[str, Any] | None, allow_duplicates: bool
    ) -> None:
        """Unique fields, then validation rules, then duplicate rules: the platform's save order."""
        for fd in o.unique_fields():
            if rec.get(fd.name) is None:
                continue
            if old is not None and index_key(old.get(fd.name)) == index_key(rec[fd.name]):
                continue
            clash = [i for i in self.find(o.name, fd.name, rec[fd.name]) if i != rec["Id"]]
            if clash:
                raise errors.duplicate_value(fd.name, clash[0])
        for rule in self.validation_rules:
            if rule.object == o.name:
                rule.check(rec, old)
        for drule in self.duplicate_rules:
            if drule.object == o.name:
                matches = drule.matches(self, rec)
                if matches and drule.blocks(allow_duplicates):
                    raise errors.duplicates_detected(o.name, drule.name, matches, drule.action == "alert")


# The store's public names (several now live in store_base; callers keep importing them from here).
__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_REFRESH_TOKEN",
    "DEFAULT_SESSION",
    "INTEGRATION_USERNAME",
    "PASSWORD",
    "SECURITY_TOKEN",
    "SEED_USERS",
    "MultipleMatches",
    "SalesforceBackend",
    "Session",
    "format_datetime",
    "format_iso",
    "index_key",
    "parse_iso",
]
