"""Pipelines and their stages (deals and tickets), and the rules they put on records. Plain Python;
api/pipelines.py is the HTTP layer (`/crm/v3/pipelines/{objectType}`).

What HubSpot does and the fake does too (pipelines guide, `hubspot.crm.pipelines` models):
  * every portal starts with a default deal pipeline, id `default`, label "Sales Pipeline", with the
    seven stages `appointmentscheduled` .. `closedlost` (probabilities 0.2 .. 1.0 and 0.0), and a
    default ticket pipeline, id `0`, stages `1`..`4`;
  * pipelines and stages created through the API get numeric string ids; deal stages need
    `metadata.probability` (0.0 to 1.0 in steps of 0.1); stage metadata reads back as strings, with
    `isClosed` ("true" for the 0.0 lost and 1.0 won stages unless the input says otherwise);
  * the `pipeline` and `dealstage` properties' options are the live pipelines and the stages of all of
    them (GET /crm/v3/properties/deals/dealstage lists every pipeline's stages);
  * a deal's stage must belong to its pipeline; a deal created without a pipeline goes into the
    default one (deals guide: "If a pipeline isn't specified, the default pipeline will be used"), so
    a stage of another pipeline needs `pipeline` set too;
  * deals carry the calculated `hs_deal_stage_probability`, `hs_is_closed` and `hs_is_closed_won`,
    which follow the stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulator.hubspot import property_catalog as catalog
from simulator.hubspot.errors import conflict, not_found, validation
from simulator.hubspot.property_values import property_values_error
from simulator.hubspot.records import iso_ms_fast

if TYPE_CHECKING:
    from simulator.hubspot.models import HubSpotBackend

# object type -> (pipeline property, stage property): one source of truth for what a pipeline governs.
PIPELINE_PROPS: dict[str, tuple[str, str]] = {
    "deals": ("pipeline", "dealstage"),
    "tickets": ("hs_pipeline", "hs_pipeline_stage"),
}
DEFAULT_PIPELINE: dict[str, tuple[str, str]] = {"deals": ("default", "Sales Pipeline"), "tickets": ("0", "Support Pipeline")}
DEAL_PROBABILITIES: dict[str, str] = {
    "appointmentscheduled": "0.2",
    "qualifiedtobuy": "0.4",
    "presentationscheduled": "0.6",
    "decisionmakerboughtin": "0.8",
    "contractsent": "0.9",
    "closedwon": "1.0",
    "closedlost": "0.0",
}
TICKET_STATES: dict[str, str] = {"1": "OPEN", "2": "OPEN", "3": "OPEN", "4": "CLOSED"}
MAX_STAGES = 100  # "Pipelines may have up to 100 stages" (pipelines API docs)
# Pipelines per object type by the portal's tier (setting `tier`; HubSpot's product and services
# catalog: Sales/Service Hub Starter 2, Professional 15, Enterprise 100).
PIPELINE_LIMITS: dict[str, int] = {"starter": 2, "professional": 15, "enterprise": 100}
WRITE_PERMISSIONS = "CRM_PERMISSIONS_ENFORCEMENT"  # what HubSpot shows on ordinary stages
DERIVED_DEAL_PROPS = ("hs_deal_stage_probability", "hs_is_closed", "hs_is_closed_won")


@dataclass(slots=True)
class Stage:
    id: str
    label: str
    display_order: int
    metadata: dict[str, str]
    created_at_ms: int
    updated_at_ms: int
    archived: bool = False
    archived_at_ms: int | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "label": self.label,
            "displayOrder": self.display_order,
            "metadata": dict(self.metadata),
            "id": self.id,
            "createdAt": iso_ms_fast(self.created_at_ms),
            "updatedAt": iso_ms_fast(self.updated_at_ms),
            "archived": self.archived,
            "writePermissions": WRITE_PERMISSIONS,
        }
        if self.archived_at_ms is not None:
            body["archivedAt"] = iso_ms_fast(self.archived_at_ms)
        return body


@dataclass(slots=True)
class Pipeline:
    id: str
    label: str
    display_order: int
    created_at_ms: int
    updated_at_ms: int
    stages: dict[str, Stage] = field(default_factory=dict)
    archived: bool = False
    archived_at_ms: int | None = None

    def live_stages(self) -> list[Stage]:
        return sorted((s for s in self.stages.values() if not s.archived), key=lambda s: (s.display_order, s.label))

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "label": self.label,
            "displayOrder": self.display_order,
            "id": self.id,
            "stages": [s.to_json() for s in self.live_stages()],
            "createdAt": iso_ms_fast(self.created_at_ms),
            "updatedAt": iso_ms_fast(self.updated_at_ms),
            "archived": self.archived,
        }
        if self.archived_at_ms is not None:
            body["archivedAt"] = iso_ms_fast(self.archived_at_ms)
        return body


class PipelineStore:
    def __init__(self, backend: HubSpotBackend) -> None:
        self.backend = backend
        self.pipelines: dict[str, dict[str, Pipeline]] = {}
        self._issued: set[str] = set()  # every pipeline and stage id handed out: never reused
        self._install_defaults()

    def _install_defaults(self) -> None:
        now = self.backend.now_ms()
        self.pipelines = {}
        for object_type, (pid, label) in DEFAULT_PIPELINE.items():
            pipeline = Pipeline(pid, label, 0, now, now)
            if object_type == "deals":
                specs = [(v, lab, {"probability": DEAL_PROBABILITIES[v]}) for v, lab in catalog.DEAL_STAGES]
            else:
                specs = [(v, lab, {"ticketState": TICKET_STATES[v]}) for v, lab in catalog.TICKET_STAGES]
            for order, (sid, slabel, meta) in enumerate(specs):
                pipeline.stages[sid] = Stage(sid, slabel, order, _full_metadata(object_type, meta), now, now)
            self.pipelines[object_type] = {pid: pipeline}
            self._sync_options(object_type)

    # --- lookups --------------------------------------------------------------------------------------
    def object_type(self, name: str) -> str:
        """The canonical type of a pipelines URL's objectType; 400 for types without pipelines."""
        object_type = self.backend.records.resolve_type(name)
        if object_type not in PIPELINE_PROPS:
            # Assumed wording: HubSpot's message for a type without pipelines was not captured.
            raise validation(f"Object type {object_type} does not support pipelines")
        return object_type

    def live(self, object_type: str) -> list[Pipeline]:
        found = (p for p in self.pipelines.get(object_type, {}).values() if not p.archived)
        return sorted(found, key=lambda p: (p.display_order, p.label))

    def get(self, object_type: str, pipeline_id: str, include_archived: bool = False) -> Pipeline:
        """The pipeline, or 404 ("that ID must correspond to an existing, un-archived pipeline")."""
        pipeline = self.pipelines.get(object_type, {}).get(pipeline_id)
        if pipeline is None or (pipeline.archived and not include_archived):
            raise not_found(f"Unable to find pipeline {pipeline_id} for object type {object_type}")
        return pipeline

    def stage(self, object_type: str, pipeline_id: str, stage_id: str) -> Stage:
        stage = self.get(object_type, pipeline_id).stages.get(stage_id)
        if stage is None or stage.archived:
            raise not_found(f"Unable to find stage {stage_id} in pipeline {pipeline_id}")
        return stage

    def default_pipeline(self, object_type: str) -> Pipeline | None:
        pid = DEFAULT_PIPELINE[object_type][0]
        found = self.pipelines.get(object_type, {}).get(pid)
        if found is not None and not found.archived:
            return found
        live = self.live(object_type)
        return live[0] if live else None

    def stage_of(self, object_type: str, stage_id: str) -> Stage | None:
        for pipeline in self.live(object_type):
            stage = pipeline.stages.get(stage_id)
            if stage is not None and not stage.archived:
                return stage
        return None

    # --- pipelines ------------------------------------------------------------------------------------
    def create(self, object_type: str, body: Any) -> Pipeline:
        label, order, stage_inputs = self._pipeline_input(object_type, body)
        self._check_label_free(object_type, label)
        tier = self.backend.settings.get("tier", "professional")
        limit = PIPELINE_LIMITS.get(tier, PIPELINE_LIMITS["professional"])
        if len(self.live(object_type)) >= limit:
            # Assumed wording; the limit itself is the tier's.
            raise validation(f"This portal ({tier}) has reached its limit of {limit} {object_type} pipelines")
        now = self.backend.now_ms()
        pipeline = Pipeline(self._new_id(), label, order, now, now)
        for stage in self._new_stages(object_type, stage_inputs, now):
            pipeline.stages[stage.id] = stage
        self.pipelines.setdefault(object_type, {})[pipeline.id] = pipeline
        self._sync_options(object_type)
        return pipeline

    def replace(self, object_type: str, pipeline_id: str, body: Any, check_usage: bool) -> Pipeline:
        pipeline = self.get(object_type, pipeline_id)
        label, order, stage_inputs = self._pipeline_input(object_type, body)
        self._check_label_free(object_type, label, own_id=pipeline_id)
        now = self.backend.now_ms()
        new_stages = self._new_stages(object_type, stage_inputs, now)
        if check_usage:
            for stage in pipeline.live_stages():
                self._check_unused(object_type, pipeline, stage)
        for stage in pipeline.stages.values():
            if not stage.archived:
                stage.archived, stage.archived_at_ms = True, now
        for stage in new_stages:
            pipeline.stages[stage.id] = stage
        pipeline.label, pipeline.display_order, pipeline.updated_at_ms = label, order, now
        self._sync_options(object_type)
        return pipeline

    def update(self, object_type: str, pipeline_id: str, body: Any) -> Pipeline:
        """PATCH: label / displayOrder; `archived: false` restores an archived pipeline, and `archived`
        anywhere else is a 400 (the PipelinePatchInput documentation)."""
        if not isinstance(body, dict):
            raise validation("Invalid input JSON: expected an object with label, displayOrder or archived")
        archived = body.get("archived")
        pipeline = self.get(object_type, pipeline_id, include_archived=archived is False)
        if archived is not None and not (archived is False and pipeline.archived):
            raise validation("archived may only be given (as false) to restore an archived pipeline")
        label, order = body.get("label"), body.get("displayOrder")
        if label is not None:
            label = _label(label, "label")
            self._check_label_free(object_type, label, own_id=pipeline_id)
            pipeline.label = label
        if order is not None:
            pipeline.display_order = _int(order, "displayOrder")
        if archived is False:
            pipeline.archived, pipeline.archived_at_ms = False, None
        pipeline.updated_at_ms = self.backend.now_ms()
        self._sync_options(object_type)
        return pipeline

    def archive(self, object_type: str, pipeline_id: str, check_usage: bool) -> None:
        pipeline = self.get(object_type, pipeline_id)
        if len(self.live(object_type)) == 1:
            # "each account has at least one pipeline" (pipelines overview); assumed wording.
            raise validation(f"Pipeline {pipeline_id} is the only {object_type} pipeline and cannot be deleted")
        if check_usage:
            for stage in pipeline.live_stages():
                self._check_unused(object_type, pipeline, stage)
        now = self.backend.now_ms()
        pipeline.archived, pipeline.archived_at_ms, pipeline.updated_at_ms = True, now, now
        self._sync_options(object_type)

    # --- stages ---------------------------------------------------------------------------------------
    def create_stage(self, object_type: str, pipeline_id: str, body: Any) -> Stage:
        pipeline = self.get(object_type, pipeline_id)
        if len(pipeline.live_stages()) >= MAX_STAGES:
            raise validation(f"A pipeline can have at most {MAX_STAGES} stages")
        taken = {s.label.lower() for s in pipeline.live_stages()}
        stage = self._new_stages(object_type, [body], self.backend.now_ms(), taken)[0]
        pipeline.stages[stage.id] = stage
        pipeline.updated_at_ms = stage.created_at_ms
        self._sync_options(object_type)
        return stage

    def replace_stage(self, object_type: str, pipeline_id: str, stage_id: str, body: Any) -> Stage:
        stage = self.stage(object_type, pipeline_id, stage_id)
        label, order, meta = _stage_input(object_type, body, 0)
        self._check_stage_label_free(object_type, pipeline_id, label, stage_id)
        stage.label, stage.display_order, stage.metadata = label, order, meta
        return self._touch(object_type, pipeline_id, stage)

    def update_stage(self, object_type: str, pipeline_id: str, stage_id: str, body: Any) -> Stage:
        if not isinstance(body, dict):
            raise validation("Invalid input JSON: expected an object with label, displayOrder or metadata")
        archived = body.get("archived")
        pipeline = self.get(object_type, pipeline_id)
        stage = pipeline.stages.get(stage_id)
        if stage is None or (stage.archived and archived is not False):
            raise not_found(f"Unable to find stage {stage_id} in pipeline {pipeline_id}")
        if body.get("label") is not None:
            label = _label(body["label"], "label")
            self._check_stage_label_free(object_type, pipeline_id, label, stage_id)
            stage.label = label
        if body.get("displayOrder") is not None:
            stage.display_order = _int(body["displayOrder"], "displayOrder")
        if body.get("metadata") is not None:
            given = _metadata_text(body["metadata"])
            # isClosed follows a new probability / ticket state unless the input sets it too.
            kept = {k: v for k, v in stage.metadata.items() if k != "isClosed" or "isClosed" in given}
            stage.metadata = _full_metadata(object_type, {**kept, **given})
        if archived is not None:
            stage.archived = bool(archived)
            stage.archived_at_ms = self.backend.now_ms() if stage.archived else None
        return self._touch(object_type, pipeline_id, stage)

    def archive_stage(self, object_type: str, pipeline_id: str, stage_id: str, check_usage: bool) -> None:
        pipeline = self.get(object_type, pipeline_id)
        stage = self.stage(object_type, pipeline_id, stage_id)
        if len(pipeline.live_stages()) == 1:
            raise validation("A pipeline must have at least one stage")  # assumed wording
        if check_usage:
            self._check_unused(object_type, pipeline, stage)
        stage.archived, stage.archived_at_ms = True, self.backend.now_ms()
        self._touch(object_type, pipeline_id, stage)

    def _touch(self, object_type: str, pipeline_id: str, stage: Stage) -> Stage:
        now = self.backend.now_ms()
        stage.updated_at_ms = now
        self.pipelines[object_type][pipeline_id].updated_at_ms = now
        self._sync_options(object_type)
        return stage

    # --- record rules (called by the record store on every create and update) -------------------------
    def check_record(self, object_type: str, values: dict[str, str], current: dict[str, str] | None) -> dict[str, str]:
        """`values` (cleaned) plus what the pipeline rules add: the default pipeline on create and the
        stage-derived properties; 400 when the stage is not one of the pipeline's."""
        props = PIPELINE_PROPS.get(object_type)
        if props is None:
            return values
        pprop, sprop = props
        if current is not None and pprop not in values and sprop not in values:
            return values
        out = dict(values)
        if out.get(pprop) == "":
            # Assumed: a record in a pipeline cannot leave every pipeline (the UI offers no "none").
            raise property_values_error([(pprop, "INVALID_OPTION", f"{pprop} cannot be cleared")])
        pipeline_id = out.get(pprop) or (current or {}).get(pprop)
        if not pipeline_id:
            default = self.default_pipeline(object_type)
            pipeline_id = out[pprop] = default.id if default else ""
        pipeline = self.pipelines.get(object_type, {}).get(pipeline_id)
        stage_id = out[sprop] if sprop in out else (current or {}).get(sprop, "")
        if stage_id:
            stage = pipeline.stages.get(stage_id) if pipeline is not None and not pipeline.archived else None
            if stage is None or stage.archived:
                allowed = ", ".join(s.id for s in pipeline.live_stages()) if pipeline is not None else ""
                # Assumed wording: HubSpot's enumeration error, with the options of the deal's pipeline.
                raise property_values_error(
                    [(sprop, "INVALID_OPTION", f"{stage_id} was not one of the allowed options: [{allowed}]")]
                )
        if object_type == "deals" and (sprop in out or current is None):
            out.update(self.deal_derived(stage_id))
        return out

    def deal_derived(self, stage_id: str) -> dict[str, str]:
        """hs_deal_stage_probability / hs_is_closed / hs_is_closed_won for a deal in `stage_id` ("" for
        no stage clears the probability)."""
        stage = self.stage_of("deals", stage_id) if stage_id else None
        if stage is None:
            return {"hs_deal_stage_probability": "", "hs_is_closed": "false", "hs_is_closed_won": "false"}
        probability = stage.metadata.get("probability", "")
        closed = stage.metadata.get("isClosed") == "true"
        won = closed and probability != "" and float(probability) == 1.0
        return {
            "hs_deal_stage_probability": probability,
            "hs_is_closed": "true" if closed else "false",
            "hs_is_closed_won": "true" if won else "false",
        }

    def _check_unused(self, object_type: str, pipeline: Pipeline, stage: Stage) -> None:
        pprop, sprop = PIPELINE_PROPS[object_type]
        for record in self.backend.records.all(object_type):
            props = record.properties
            if props.get(pprop) == pipeline.id and props.get(sprop) == stage.id:
                # Assumed wording: the validation error the usage check gives was not captured.
                raise validation(
                    f"Stage {stage.id} of pipeline {pipeline.id} is in use by {object_type} record {record.id}"
                )

    # --- helpers --------------------------------------------------------------------------------------
    def _new_id(self) -> str:
        rng = self.backend.sandbox.rng
        while True:
            candidate = str(rng.randint(10_000_000, 999_999_999))
            if candidate not in self._issued:
                self._issued.add(candidate)
                return candidate

    def _pipeline_input(self, object_type: str, body: Any) -> tuple[str, int, list[Any]]:
        if not isinstance(body, dict):
            raise validation("Invalid input JSON: expected an object with label, displayOrder and stages")
        missing = [k for k in ("label", "displayOrder", "stages") if body.get(k) is None]
        if missing:
            raise validation(
                f"Invalid input JSON: missing required field(s): {', '.join(missing)}",
                errors=[{"message": "must not be null", "in": k} for k in missing],
            )
        stages = body["stages"]
        if not isinstance(stages, list) or not stages:
            raise validation("A pipeline needs at least one stage", errors=[{"message": "must not be empty", "in": "stages"}])
        if len(stages) > MAX_STAGES:
            raise validation(f"A pipeline can have at most {MAX_STAGES} stages")
        return _label(body["label"], "label"), _int(body["displayOrder"], "displayOrder"), stages

    def _new_stages(self, object_type: str, inputs: list[Any], now: int, taken: set[str] | None = None) -> list[Stage]:
        seen = set(taken or ())
        out = []
        for index, raw in enumerate(inputs):
            label, order, meta = _stage_input(object_type, raw, index)
            if label.lower() in seen:
                raise validation(f"Stage labels must be unique within a pipeline: {label!r} is repeated")
            seen.add(label.lower())
            out.append(Stage(self._new_id(), label, order, meta, now, now))
        return out

    def _check_label_free(self, object_type: str, label: str, own_id: str | None = None) -> None:
        for p in self.live(object_type):
            if p.id != own_id and p.label.lower() == label.lower():
                # Assumed status and wording (labels are "unique", PipelineInput docs).
                raise conflict(f"A pipeline with label {label!r} already exists: {p.id}")

    def _check_stage_label_free(self, object_type: str, pipeline_id: str, label: str, own_id: str) -> None:
        for s in self.get(object_type, pipeline_id).live_stages():
            if s.id != own_id and s.label.lower() == label.lower():
                raise validation(f"Stage labels must be unique within a pipeline: {label!r} is taken by {s.id}")

    def _sync_options(self, object_type: str) -> None:
        """The pipeline / stage properties' options follow the live pipelines (what the properties API
        shows, and what write validation checks first)."""
        pprop, sprop = PIPELINE_PROPS[object_type]
        catalog_ = self.backend.properties
        pdef, sdef = catalog_.definition(object_type, pprop), catalog_.definition(object_type, sprop)
        live = self.live(object_type)
        if pdef is not None:
            pdef.options = [_option(p.id, p.label, i) for i, p in enumerate(live)]
            pdef.refresh_options()
        if sdef is not None:
            stages = [s for p in live for s in p.live_stages()]
            sdef.options = [_option(s.id, s.label, i) for i, s in enumerate(stages)]
            sdef.refresh_options()

    # --- snapshots ------------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            object_type: [
                {
                    "id": p.id, "label": p.label, "display_order": p.display_order,
                    "created": p.created_at_ms, "updated": p.updated_at_ms,
                    "archived": p.archived, "archived_at": p.archived_at_ms,
                    "stages": [
                        [s.id, s.label, s.display_order, s.metadata, s.created_at_ms, s.updated_at_ms,
                         s.archived, s.archived_at_ms]
                        for s in p.stages.values()
                    ],
                }
                for p in by_id.values()
            ]
            for object_type, by_id in self.pipelines.items()
        }

    def load(self, data: dict[str, Any]) -> None:
        self._install_defaults()
        for object_type, pipelines in data.items():
            if object_type not in PIPELINE_PROPS:
                continue
            by_id: dict[str, Pipeline] = {}
            for raw in pipelines:
                p = Pipeline(raw["id"], raw["label"], raw["display_order"], raw["created"], raw["updated"],
                             archived=raw["archived"], archived_at_ms=raw["archived_at"])
                for sid, label, order, meta, created, updated, archived, archived_at in raw["stages"]:
                    p.stages[sid] = Stage(sid, label, order, dict(meta), created, updated, archived, archived_at)
                by_id[p.id] = p
            self.pipelines[object_type] = by_id
            self._issued.update(i for p in by_id.values() for i in (p.id, *p.stages))
            self._sync_options(object_type)


def _option(value: str, label: str, order: int) -> dict[str, Any]:
    return {"label": label, "value": value, "displayOrder": order, "hidden": False, "description": ""}


def _label(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise validation(f"{name} must be a non-empty string", errors=[{"message": "must not be blank", "in": name}])
    return value.strip()


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise validation(f"{name} must be an integer, not {value!r}", errors=[{"message": "must be an integer", "in": name}])
    return value


def _metadata_text(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise validation("metadata must be an object of string values")
    out = {}
    for key, value in raw.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, str | int | float):
            raise validation(f"metadata.{key} must be a string or a number")
        out[str(key)] = str(value)
    return out


def _stage_input(object_type: str, raw: Any, index: int) -> tuple[str, int, dict[str, str]]:
    if not isinstance(raw, dict):
        raise validation(f"Invalid input JSON: stages[{index}] must be an object with label and displayOrder")
    missing = [k for k in ("label", "displayOrder") if raw.get(k) is None]
    if missing:
        raise validation(
            f"Invalid input JSON: stages[{index}] is missing {', '.join(missing)}",
            errors=[{"message": "must not be null", "in": f"stages[{index}].{k}"} for k in missing],
        )
    meta = _metadata_text(raw.get("metadata") or {})
    return _label(raw["label"], "label"), _int(raw["displayOrder"], "displayOrder"), _full_metadata(object_type, meta)


def _full_metadata(object_type: str, meta: dict[str, str]) -> dict[str, str]:
    """Validated stage metadata as HubSpot returns it (strings, with isClosed)."""
    out = dict(meta)
    if object_type == "deals":
        raw = out.get("probability")
        if raw is None:
            raise validation("metadata.probability is required for deal stages (a number from 0.0 to 1.0)",
                             errors=[{"message": "must not be null", "in": "metadata.probability"}])
        try:
            probability = float(raw)
        except ValueError:
            raise validation(f"metadata.probability must be a number from 0.0 to 1.0, not {raw!r}") from None
        if not 0.0 <= probability <= 1.0 or abs(probability * 10 - round(probability * 10)) > 1e-9:
            raise validation(f"metadata.probability must be from 0.0 to 1.0 in steps of 0.1, not {raw}")
        out["probability"] = str(round(probability, 1))
        out.setdefault("isClosed", "true" if probability in (0.0, 1.0) else "false")
    else:
        state = out.setdefault("ticketState", "OPEN")
        if state not in ("OPEN", "CLOSED"):
            raise validation(f"metadata.ticketState must be OPEN or CLOSED, not {state!r}")
        out.setdefault("isClosed", "true" if state == "CLOSED" else "false")
    if out["isClosed"] not in ("true", "false"):
        raise validation(f"metadata.isClosed must be true or false, not {out['isClosed']!r}")
    return out
