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

import calendar
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sortedcontainers import SortedList

from simulator.salesforce import catalog, errors, ids, validation
from simulator.salesforce.cursors import CursorStore
from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.jobs import JobStore
from simulator.salesforce.schema import FieldDef, ObjectDef, Schema
from simulator.salesforce.source import StoreRecordSource
from simulator.salesforce.wire import format_datetime, format_value, parse_stored, store_value

if TYPE_CHECKING:
    from simulator.core.sandbox import Sandbox

DEFAULT_API_VERSION = "59.0"
SESSION_TOKEN_ALPHABET = ids.BASE62 + "._"
RECYCLE_BIN_DAYS = 15
UPDATED_WINDOW_DAYS = 30
MAX_REPLICATION_IDS = 600_000
# Fields whose equality lookups are indexed besides Id: references, emails, unique/external ids.
RANGE_INDEXED = ("SystemModstamp", "LastModifiedDate", "CreatedDate")
SEED_USERS = [
    # (Username/Email, FirstName, LastName, Alias, Title)
    ("integration@example.com", "Integration", "User", "integ", "Integration User"),
    ("alice.admin@example.com", "Alice", "Admin", "aadmin", "System Administrator"),
    ("bob.sales@example.com", "Bob", "Sales", "bsales", "Account Executive"),
]
INTEGRATION_USERNAME = SEED_USERS[0][0]
PASSWORD = "sandbox"
SECURITY_TOKEN = "sandboxtoken"  # optional suffix of the SOAP/OAuth password (password + token)
DEFAULT_SESSION = "sandbox-session"
DEFAULT_REFRESH_TOKEN = "sandbox-refresh-token"


@dataclass
class Session:
    token: str
    user_id: str
    issued_at: datetime
    kind: str  # "default" | "soap" | "oauth"


class MultipleMatches(SalesforceError):
    """An external-id lookup matched several records: REST answers 300 with a list of record URLs
    (`body`, or `urls(version)`); per-record results (composite, Bulk) report `error_code`
    DUPLICATE_EXTERNAL_ID with `message`. `ids` holds the matches."""

    def __init__(
        self, obj: str, field: str, matches: list[str], api_version: str = DEFAULT_API_VERSION
    ) -> None:
        super().__init__(
            300,
            "DUPLICATE_EXTERNAL_ID",
            f"{field}: more than one record found for external id field: {matches}",
        )
        self.object = obj
        self.field = field
        self.ids = matches
        self.body = self.urls(api_version)

    def urls(self, api_version: str) -> list[str]:
        return [f"/services/data/v{api_version}/sobjects/{self.object}/{i}" for i in self.ids]


class _ObjectIndex:
    """Equality indexes (normalised value -> ids) and range indexes (sorted (value, id)) of one object."""

    def __init__(self, obj: ObjectDef) -> None:
        self.eq: dict[str, dict[Any, set[str]]] = {}
        self.range: dict[str, SortedList] = {}
        self.refresh_fields(obj)

    def refresh_fields(self, obj: ObjectDef) -> None:
        for f in obj.fields.values():
            if _eq_indexed(f) and f.name not in self.eq:
                self.eq[f.name] = {}
            if f.name in RANGE_INDEXED and f.name not in self.range:
                self.range[f.name] = SortedList()

    def add(self, rid: str, rec: dict[str, Any]) -> None:
        for name, idx in self.eq.items():
            v = rec.get(name)
            if v is not None:
                idx.setdefault(index_key(v), set()).add(rid)
        for name, sl in self.range.items():
            v = rec.get(name)
            if v is not None:
                sl.add((v, rid))

    def remove(self, rid: str, rec: dict[str, Any]) -> None:
        for name, idx in self.eq.items():
            v = rec.get(name)
            if v is not None:
                bucket = idx.get(index_key(v))
                if bucket is not None:
                    bucket.discard(rid)
                    if not bucket:
                        del idx[index_key(v)]
        for name, sl in self.range.items():
            v = rec.get(name)
            if v is not None:
                sl.discard((v, rid))


def _eq_indexed(f: FieldDef) -> bool:
    return (
        f.type in ("reference", "email")
        or f.external_id
        or f.unique
        or f.name in ("Name", "IsDeleted", "IsConverted")
    )


def index_key(value: Any) -> Any:
    """Equality key: text compares case-insensitively (SOQL `=` and external-id lookups do)."""
    return value.lower() if isinstance(value, str) else value


class SalesforceBackend:
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

    # --- rules configured through the control API ----------------------------------------------------
    def add_custom_field(self, spec: dict[str, Any]) -> FieldDef:
        fd = self.schema.add_custom_field(spec)
        o = self.object(spec["object"])
        formula = o.formulas.get(fd.name)
        for rec in self.records[o.name].values():
            if formula is not None:  # existing records read the new formula's value at once
                rec[fd.name] = formula.evaluate(rec)
            else:
                rec.setdefault(
                    fd.name,
                    fd.default if fd.default is not None else (False if fd.type == "boolean" else None),
                )
        idx = self._indexes[o.name]
        idx.eq.pop(fd.name, None)
        idx.refresh_fields(o)
        if fd.name in idx.eq:
            for rid, rec in self.records[o.name].items():
                if rec.get(fd.name) is not None:
                    idx.eq[fd.name].setdefault(index_key(rec[fd.name]), set()).add(rid)
        return fd

    def add_validation_rule(self, spec: dict[str, Any]) -> validation.ValidationRule:
        """Add or replace (same object and name) a validation rule. A body with only object, name
        and `active` switches an existing rule on or off."""
        o = self.schema.resolve_object(str(spec.get("object", ""))) if isinstance(spec, dict) else None
        if o is not None and "condition" not in spec and "field" not in spec and "active" in spec:
            for existing in self.validation_rules:
                if existing.object == o.name and existing.name == spec.get("name"):
                    existing.active = bool(spec["active"])
                    existing.spec = {**existing.spec, "active": existing.active}
                    return existing
        rule = validation.ValidationRule.from_spec(self.schema, spec)
        self.validation_rules = [
            r for r in self.validation_rules if not (r.object == rule.object and r.name == rule.name)
        ]
        self.validation_rules.append(rule)
        return rule

    def add_duplicate_rule(self, spec: dict[str, Any]) -> validation.DuplicateRule:
        rule = validation.DuplicateRule.from_spec(self.schema, spec)
        self.duplicate_rules = [
            r for r in self.duplicate_rules if not (r.object == rule.object and r.name == rule.name)
        ]
        self.duplicate_rules.append(rule)
        return rule

    def set_field_permission(self, obj: str, field: str, editable: bool) -> FieldDef:
        o = self.schema.resolve_object(obj)
        fd = self.schema.resolve_field(o, field) if o is not None else None
        if o is None or fd is None:
            raise ValueError(f"unknown field {obj}.{field}")
        key = (o.name, fd.name)
        if editable:
            self.readonly_fields.discard(key)
        else:
            self.readonly_fields.add(key)
        return fd

    def field_editable(self, o: ObjectDef, fd: FieldDef) -> bool:
        return (o.name, fd.name) not in self.readonly_fields

    def readonly_field_names(self, o: ObjectDef) -> set[str]:
        """Fields of `o` that field-level security makes read-only for the integration user."""
        return {f for obj, f in self.readonly_fields if obj == o.name}

    def describe(self, obj: str, version: str) -> dict[str, Any]:
        """`GET /sobjects/X/describe` as the integration user sees it (field-level security applied)."""
        o = self.object(obj)
        return self.schema.describe(o, version, self.readonly_field_names(o))

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
                acc_vals = {dst: lead.get(src) for src, dst in catalog.LEAD_TO_ACCOUNT.items()}
                acc_vals.update(OwnerId=owner, Name=lead.get("Company") or lead.get("Name"))
                acc_id = self._insert_system("Account", _drop_none(acc_vals))
            con_vals = {dst: lead.get(src) for src, dst in catalog.LEAD_TO_CONTACT.items()}
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
                opp_vals = {dst: lead.get(src) for src, dst in catalog.LEAD_TO_OPPORTUNITY.items()}
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

    # --- API request limit ----------------------------------------------------------------------------
    @property
    def api_max(self) -> int:
        return int(self.sandbox.settings["salesforce"]["daily_api_requests"])

    def _roll_api_day(self) -> None:
        today = self.now().date()
        if today != self.api_day:
            self.api_day, self.api_used = today, 0

    def count_api_request(self) -> None:
        """Count one REST call against DailyApiRequests; 403 REQUEST_LIMIT_EXCEEDED once spent. The
        24-hour window restarts at midnight on the sandbox clock."""
        self._roll_api_day()
        if self.api_used >= self.api_max:
            raise errors.request_limit_exceeded(self.limit_info())
        self.api_used += 1

    def api_usage(self) -> tuple[int, int]:
        self._roll_api_day()
        return self.api_used, self.api_max

    def check_api_usage(self) -> tuple[int, int]:
        return self.api_usage()

    def set_api_usage(self, used: int) -> None:
        self._roll_api_day()
        self.api_used = max(0, int(used))

    def limit_info(self) -> str:
        used, mx = self.api_usage()
        return f"api-usage={min(used, mx) if mx else used}/{mx}"

    # --- sessions / logins ----------------------------------------------------------------------------
    def session_user(self, token: str) -> Session | None:
        return self.sessions.get(token)

    def check_password(self, username: str, password: str) -> str | None:
        """User id when `password` is the sandbox password (optionally followed by the security token)."""
        uid = next(iter(self.find("User", "Username", username)), None) if username else None
        if uid is None or not self.records["User"][uid].get("IsActive"):
            return None
        return uid if password in (PASSWORD, PASSWORD + SECURITY_TOKEN) else None

    def issue_session(self, user_id: str, kind: str) -> str:
        token = f"{self.org_id[:15]}!{self.sandbox.rng.token(SESSION_TOKEN_ALPHABET, 96)}"
        self.sessions[token] = Session(token, user_id, self.now(), kind)
        return token

    def issue_refresh_token(self, user_id: str) -> str:
        token = "5Aep" + self.sandbox.rng.token(SESSION_TOKEN_ALPHABET, 83)
        self.refresh_tokens[token] = user_id
        return token

    def expire_sessions(self, token: str | None = None) -> int:
        if token is None:
            n = len(self.sessions)
            self.sessions.clear()
            return n
        return 1 if self.sessions.pop(token, None) is not None else 0

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


def _minute(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(second=0, microsecond=0)


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _quarter_end(d: date) -> date:
    month = ((d.month - 1) // 3 + 1) * 3
    return date(d.year, month, calendar.monthrange(d.year, month)[1])


def format_iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


__all__ = ["SalesforceBackend", "MultipleMatches", "Session", "format_datetime", "index_key"]
