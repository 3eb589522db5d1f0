"""Pipelines v3 HTTP handlers (`client.crm.pipelines.pipelines_api` / `pipeline_stages_api`):
`/crm/v3/pipelines/{objectType}[/{pipelineId}[/stages[/{stageId}]]]`. Thin layer over pipelines.py."""

from __future__ import annotations

from flask import Response

from simulator.core.service import Ctx, Route, json_response
from simulator.hubspot.pipelines import PipelineStore

BASE = "/crm/v3/pipelines/<object_type>"


def _store(ctx: Ctx) -> PipelineStore:
    return ctx.backend.pipelines  # type: ignore[no-any-return]


def _check_usage(ctx: Ctx) -> bool:
    # v3 (and every version before 2026-09) defaults both checks to false.
    return ctx.arg_bool("validateReferencesBeforeDelete") or ctx.arg_bool("validateDealStageUsagesBeforeDelete")


def get_all(ctx: Ctx, object_type: str) -> Response:
    ot = _store(ctx).object_type(object_type)
    return json_response({"results": [p.to_json() for p in _store(ctx).live(ot)]})


def create(ctx: Ctx, object_type: str) -> Response:
    ot = _store(ctx).object_type(object_type)
    return json_response(_store(ctx).create(ot, ctx.json_body()).to_json(), 201)


def get_by_id(ctx: Ctx, object_type: str, pipeline_id: str) -> Response:
    ot = _store(ctx).object_type(object_type)
    return json_response(_store(ctx).get(ot, pipeline_id).to_json())


def replace(ctx: Ctx, object_type: str, pipeline_id: str) -> Response:
    ot = _store(ctx).object_type(object_type)
    return json_response(_store(ctx).replace(ot, pipeline_id, ctx.json_body(), _check_usage(ctx)).to_json())


def update(ctx: Ctx, object_type: str, pipeline_id: str) -> Response:
    ot = _store(ctx).object_type(object_type)
    return json_response(_store(ctx).update(ot, pipeline_id, ctx.json_body()).to_json())


def archive(ctx: Ctx, object_type: str, pipeline_id: str) -> Response:
    ot = _store(ctx).object_type(object_type)
    _store(ctx).archive(ot, pipeline_id, _check_usage(ctx))
    return json_response(None, 204)


def stages_get_all(ctx: Ctx, object_type: str, pipeline_id: str) -> Response:
    ot = _store(ctx).object_type(object_type)
    pipeline = _store(ctx).get(ot, pipeline_id)
    return json_response({"results": [s.to_json() for s in pipeline.live_stages()]})


def stages_create(ctx: Ctx, object_type: str, pipeline_id: str) -> Response:
    ot = _store(ctx).object_type(object_type)
    return json_response(_store(ctx).create_stage(ot, pipeline_id, ctx.json_body()).to_json(), 201)


def stages_get_by_id(ctx: Ctx, object_type: str, pipeline_id: str, stage_id: str) -> Response:
    ot = _store(ctx).object_type(object_type)
    return json_response(_store(ctx).stage(ot, pipeline_id, stage_id).to_json())


def stages_replace(ctx: Ctx, object_type: str, pipeline_id: str, stage_id: str) -> Response:
    ot = _store(ctx).object_type(object_type)
    return json_response(_store(ctx).replace_stage(ot, pipeline_id, stage_id, ctx.json_body()).to_json())


def stages_update(ctx: Ctx, object_type: str, pipeline_id: str, stage_id: str) -> Response:
    ot = _store(ctx).object_type(object_type)
    return json_response(_store(ctx).update_stage(ot, pipeline_id, stage_id, ctx.json_body()).to_json())


def stages_archive(ctx: Ctx, object_type: str, pipeline_id: str, stage_id: str) -> Response:
    ot = _store(ctx).object_type(object_type)
    _store(ctx).archive_stage(ot, pipeline_id, stage_id, _check_usage(ctx))
    return json_response(None, 204)


ROUTES: list[Route] = [
    Route(BASE, ("GET",), get_all),
    Route(BASE, ("POST",), create),
    Route(f"{BASE}/<pipeline_id>", ("GET",), get_by_id),
    Route(f"{BASE}/<pipeline_id>", ("PUT",), replace),
    Route(f"{BASE}/<pipeline_id>", ("PATCH",), update),
    Route(f"{BASE}/<pipeline_id>", ("DELETE",), archive),
    Route(f"{BASE}/<pipeline_id>/stages", ("GET",), stages_get_all),
    Route(f"{BASE}/<pipeline_id>/stages", ("POST",), stages_create),
    Route(f"{BASE}/<pipeline_id>/stages/<stage_id>", ("GET",), stages_get_by_id),
    Route(f"{BASE}/<pipeline_id>/stages/<stage_id>", ("PUT",), stages_replace),
    Route(f"{BASE}/<pipeline_id>/stages/<stage_id>", ("PATCH",), stages_update),
    Route(f"{BASE}/<pipeline_id>/stages/<stage_id>", ("DELETE",), stages_archive),
]
