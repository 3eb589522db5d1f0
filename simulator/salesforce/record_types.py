"""Opportunity stages and record types of the Salesforce fake: the rules the platform enforces on
Opportunity beyond field types.

* `OpportunityStage` rows (setup data, read-only) are seeded from `catalog.OPPORTUNITY_STAGES`, the
  one table of stages with their probability, forecast category, IsClosed and IsWon.
* Record types are defined through the control API (a default Developer Edition org has none). The
  first one on an object adds the `RecordTypeId` field to it, as real orgs only have that field on
  objects with record types. An Opportunity record type carries its sales process: the stages it
  allows. Saving an Opportunity whose stage its record type does not allow fails the way the API
  does for a value outside a record type's restricted picklist
  (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST "Stage: bad value for restricted picklist field: X").
* A new record of an object with record types gets the default record type (the running user's
  default in a real org; the fake has one default per object) when the body names none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.salesforce import catalog, errors, ids
from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.schema import MASTER_RECORD_TYPE_ID, ObjectDef

if TYPE_CHECKING:
    from simulator.salesforce.models import SalesforceBackend

# Objects a record type can be defined on: RecordType.SobjectType's picklist (catalog).
_STAGE_LABEL = "Stage"


class RecordTypeError(ValueError):
    """A bad record-type definition (the control API answers 400 with this text)."""


@dataclass
class RecordTypeDef:
    id: str
    sobject: str
    developer_name: str
    name: str
    active: bool
    default: bool
    stages: tuple[str, ...]  # Opportunity only: the sales process; empty elsewhere

    @property
    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "object": self.sobject,
            "developerName": self.developer_name,
            "name": self.name,
            "active": self.active,
            "default": self.default,
        }
        if self.sobject == "Opportunity":
            out["stages"] = list(self.stages)
        return out


def seed_stages(backend: SalesforceBackend) -> None:
    """The standard sales process's stages as OpportunityStage rows, in their picklist order. Their
    ids are fixed (`01J000000000001`...) rather than drawn from the sandbox's random source, so every
    other id a seeded sandbox hands out stays what it was before the stages were rows."""
    o = backend.object("OpportunityStage")
    now, user = backend.now(), backend.integration_user_id
    for order, (stage, (prob, forecast, closed, won)) in enumerate(catalog.OPPORTUNITY_STAGES.items(), 1):
        rec = o.template()
        rec.update(
            Id=ids.to18(f"{o.key_prefix}{order:012d}"),
            MasterLabel=stage,
            ApiName=stage,
            IsActive=True,
            SortOrder=order,
            IsClosed=closed,
            IsWon=won,
            ForecastCategory=forecast,
            ForecastCategoryName=forecast,
            DefaultProbability=float(prob),
            CreatedDate=now,
            LastModifiedDate=now,
            SystemModstamp=now,
            CreatedById=user,
            LastModifiedById=user,
        )
        backend._put(o, rec["Id"], rec)


class RecordTypes:
    """The org's record types (their RecordType rows live in the store; this keeps what the rows do
    not hold: the default flag and the sales process)."""

    def __init__(self) -> None:
        self.by_id: dict[str, RecordTypeDef] = {}

    def for_object(self, obj: str) -> list[RecordTypeDef]:
        return [rt for rt in self.by_id.values() if rt.sobject == obj]

    def default_for(self, obj: str) -> RecordTypeDef | None:
        types = [rt for rt in self.for_object(obj) if rt.active]
        return next((rt for rt in types if rt.default), types[0] if types else None)

    # --- definition (control API) ----------------------------------------------------------------------
    def add(self, backend: SalesforceBackend, spec: dict[str, Any]) -> RecordTypeDef:
        """Define a record type from {"object": "Opportunity", "developerName": "Renewal", "name":
        "Renewal", "stages": [...], "default": false, "active": true}. Nothing is written on error."""
        if not isinstance(spec, dict):
            raise RecordTypeError("the body must be a JSON object")
        allowed = backend.object("RecordType").field("SobjectType").picklist  # type: ignore[union-attr]
        o = backend.schema.resolve_object(str(spec.get("object", "")))
        if o is None or o.name not in allowed:
            raise RecordTypeError(f"object must be one of {', '.join(allowed)}")
        dev = spec.get("developerName")
        if not isinstance(dev, str) or not dev.replace("_", "a").isalnum() or not dev[:1].isalpha():
            raise RecordTypeError("developerName must be an API name (letters, digits, underscores)")
        if any(rt.developer_name.lower() == dev.lower() for rt in self.for_object(o.name)):
            raise RecordTypeError(f"{o.name} already has a record type named {dev}")
        name = spec.get("name", dev.replace("_", " "))
        flags = {k: spec.get(k, d) for k, d in (("active", True), ("default", False))}
        if not isinstance(name, str) or not name or any(not isinstance(v, bool) for v in flags.values()):
            raise RecordTypeError("name must be a non-empty string; active and default true or false")
        stages = self._stages(o, spec.get("stages"))
        with backend.transaction():
            self.ensure_field(backend, o)
            rid = backend._insert_system(
                "RecordType",
                {"Name": name, "DeveloperName": dev, "SobjectType": o.name, "IsActive": flags["active"]},
            )
        if flags["default"]:
            for other in self.for_object(o.name):
                other.default = False
        rt = RecordTypeDef(rid, o.name, dev, name, flags["active"], flags["default"], stages)
        self.by_id[rid] = rt
        return rt

    def _stages(self, o: ObjectDef, raw: Any) -> tuple[str, ...]:
        if o.name != "Opportunity":
            if raw is not None:
                raise RecordTypeError("stages belong to Opportunity record types only")
            return ()
        if raw is None:
            return tuple(catalog.OPPORTUNITY_STAGES)
        if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
            raise RecordTypeError("stages must be a non-empty list of stage names")
        unknown = [s for s in raw if s not in catalog.OPPORTUNITY_STAGES]
        if unknown:
            raise RecordTypeError(
                f"unknown stage {unknown[0]!r}; the stages are {', '.join(catalog.OPPORTUNITY_STAGES)}"
            )
        return tuple(dict.fromkeys(raw))

    @staticmethod
    def ensure_field(backend: SalesforceBackend, o: ObjectDef) -> None:
        """Give `o` its RecordTypeId field (null on existing records: the master record type)."""
        if o.field("RecordTypeId") is not None:
            return
        o.fields["recordtypeid"] = catalog.record_type_field()
        o.invalidate()
        for rec in backend.records[o.name].values():
            rec.setdefault("RecordTypeId", None)
        backend._indexes[o.name].refresh_fields(o)

    # --- writes ----------------------------------------------------------------------------------------
    def before_save(self, o: ObjectDef, rec: dict[str, Any], old: dict[str, Any] | None) -> None:
        """Default record type on create, the record type's object and state, then the stage rule."""
        if o.field("RecordTypeId") is None:
            return
        if old is None and rec.get("RecordTypeId") is None:
            default = self.default_for(o.name)
            rec["RecordTypeId"] = default.id if default is not None else None
        rt_id = rec.get("RecordTypeId")
        changed = old is None or old.get("RecordTypeId") != rt_id
        rt = self.by_id.get(rt_id) if isinstance(rt_id, str) else None
        if rt_id is not None and changed and (rt is None or rt.sobject != o.name or not rt.active):
            # a real org answers this for another object's record type or one the user cannot use
            raise SalesforceError(
                400,
                "INVALID_CROSS_REFERENCE_KEY",
                f"Record Type ID: this ID value isn't valid for the user: {rt_id}",
                ["RecordTypeId"],
            )
        if o.name == "Opportunity" and rt is not None:
            stage = rec.get("StageName")
            stage_changed = old is None or old.get("StageName") != stage
            if stage is not None and (changed or stage_changed) and stage not in rt.stages:
                raise errors.bad_picklist(_STAGE_LABEL, "StageName", stage)

    # --- describe ----------------------------------------------------------------------------------------
    def infos(self, o: ObjectDef, version: str) -> list[dict[str, Any]] | None:
        """describe's recordTypeInfos: the object's record types then Master (None: no record types)."""
        types = self.for_object(o.name)
        if not types:
            return None
        default = self.default_for(o.name)
        rows = [(rt.id, rt.developer_name, rt.name, rt.active, rt is default, False) for rt in types]
        rows.append((MASTER_RECORD_TYPE_ID, "Master", "Master", True, False, True))
        base = f"/services/data/v{version}/sobjects/{o.name}/describe/layouts"
        return [
            {
                "active": active,
                "available": active,
                "defaultRecordTypeMapping": is_default,
                "developerName": dev,
                "master": master,
                "name": name,
                "recordTypeId": rid,
                "urls": {"layout": f"{base}/{rid}"},
            }
            for rid, dev, name, active, is_default, master in rows
        ]

    # --- snapshots ---------------------------------------------------------------------------------------
    def dump(self) -> list[dict[str, Any]]:
        return [rt.spec for rt in self.by_id.values()]

    def load(self, backend: SalesforceBackend, specs: list[dict[str, Any]]) -> None:
        """Restore the definitions; call before the records are loaded so RecordTypeId survives."""
        self.by_id = {}
        for s in specs:
            o = backend.object(s["object"])
            self.ensure_field(backend, o)
            self.by_id[s["id"]] = RecordTypeDef(
                s["id"], o.name, s["developerName"], s["name"], s["active"], s["default"],
                tuple(s.get("stages", ())),
            )
