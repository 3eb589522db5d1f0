"""Versions list (`GET /services/data/`, public and not counted), the resources of a version
(`GET /services/data/vNN.N/`) and `GET /limits/`."""

from __future__ import annotations

from flask import Response

from simulator.core.service import Ctx, Route, json_response
from simulator.salesforce.api.common import DATA, check_version, versions
from simulator.salesforce.models import SalesforceBackend

# Static org limits reported next to DailyApiRequests (a Developer Edition org's values).
STATIC_LIMITS: dict[str, tuple[int, int]] = {
    "ConcurrentAsyncGetReportInstances": (200, 200),
    "ConcurrentSyncReportRuns": (20, 20),
    "DailyAsyncApexExecutions": (250000, 250000),
    "DailyBulkApiBatches": (15000, 15000),
    "DailyBulkV2QueryFileStorageMB": (976562, 976562),
    "DailyBulkV2QueryJobs": (10000, 10000),
    "DailyDurableGenericStreamingApiEvents": (10000, 10000),
    "DailyDurableStreamingApiEvents": (10000, 10000),
    "DailyGenericStreamingApiEvents": (10000, 10000),
    "DailyStreamingApiEvents": (10000, 10000),
    "DataStorageMB": (5, 5),
    "FileStorageMB": (20, 20),
    "HourlyODataCallout": (10000, 10000),
    "MassEmail": (10, 10),
    "SingleEmail": (15, 15),
}
RESOURCES = ["sobjects", "query", "queryAll", "search", "limits", "composite", "jobs", "recent", "tooling"]


def list_versions(ctx: Ctx) -> Response:
    return json_response(versions())


def resources(ctx: Ctx, version: str) -> Response:
    v = check_version(version)
    return json_response({name: f"/services/data/v{v}/{name}" for name in RESOURCES})


def limits(ctx: Ctx, version: str) -> Response:
    check_version(version)
    backend: SalesforceBackend = ctx.backend
    used, mx = backend.api_usage()
    out: dict[str, dict[str, int]] = {"DailyApiRequests": {"Max": mx, "Remaining": max(0, mx - used)}}
    for name, (mx_, rem) in sorted(STATIC_LIMITS.items()):
        out[name] = {"Max": mx_, "Remaining": rem}
    return json_response(dict(sorted(out.items())))


ROUTES: list[Route] = [
    Route("/services/data", ("GET",), list_versions, public=True),
    Route(f"{DATA}", ("GET",), resources),
    Route(f"{DATA}/limits", ("GET",), limits),
]
