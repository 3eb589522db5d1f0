"""Bulk API 2.0 (`/services/data/vNN.N/jobs/...`) as `sf.bulk2.<Object>.*` drives it (wire spec 3.4):
ingest jobs (create, upload CSV, close or abort, results as CSV, list, delete) and query jobs
(create, info, CSV result pages with `Sforce-Locator` / `Sforce-NumberOfRecords`, abort, delete).

The jobs live in `jobs.py`; processing is synchronous, so a job is `JobComplete` at the first GET.
Error codes of this API are written without underscores (`INVALIDJOBSTATE`, `INVALIDJOB`), as the
Bulk API reports them; messages are typical wordings, clients key on the code.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Any, TypeVar

from flask import Response

from simulator.core.service import Ctx, Route, json_response
from simulator.salesforce import errors, jobs
from simulator.salesforce.api.common import DATA, check_version, user_id
from simulator.salesforce.api.query import bound_fields, bound_query, project, run_soql
from simulator.salesforce.errors import SalesforceError
from simulator.salesforce.jobs import IngestJob, JobStore, QueryJob
from simulator.salesforce.models import SalesforceBackend
from simulator.salesforce.soql import parse
from simulator.salesforce.soql.binder import BoundPath
from simulator.salesforce.soql.results import Row

J = f"{DATA}/jobs"
CSV_MIME = "text/csv"
JobT = TypeVar("JobT", IngestJob, QueryJob)


def _backend(ctx: Ctx) -> SalesforceBackend:
    return ctx.backend


def _store(ctx: Ctx) -> JobStore:
    return _backend(ctx).jobs


def invalid_job(message: str) -> SalesforceError:
    return SalesforceError(400, "INVALIDJOB", message)


def invalid_state(message: str, status: int = 400) -> SalesforceError:
    return SalesforceError(status, "INVALIDJOBSTATE", message)


def _body(ctx: Ctx) -> dict[str, Any]:
    body = ctx.json_body()
    if not isinstance(body, dict):
        raise errors.json_parser_error("Cannot deserialize instance of job request from a non-object value")
    return body


def _choice(body: dict[str, Any], name: str, allowed: dict[str, str] | tuple[str, ...], default: str) -> str:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str) or value not in allowed:
        raise invalid_job(f"InvalidJob : Invalid {name}: {str(value)[:80]}")
    return value


def _new_job_fields(ctx: Ctx, api_version: str, delimiter: str, line_ending: str) -> dict[str, Any]:
    """What a new job of either kind starts with: a fresh id, its creator and creation time, the API
    version and the CSV dialect."""
    backend = _backend(ctx)
    now = backend.now()
    return {
        "id": _store(ctx).new_id(ctx.sandbox.rng),
        "created_by": user_id(ctx) or backend.integration_user_id,
        "created_date": now,
        "modstamp": now,
        "api_version": api_version,
        "column_delimiter": delimiter,
        "line_ending": line_ending,
    }


def _pace(ctx: Ctx) -> float:
    return float(ctx.sandbox.settings["salesforce"].get("bulk_seconds_per_1000_rows", 0) or 0)


def _existing(job: JobT | None) -> JobT:
    if job is None:
        raise errors.not_found()
    return job


def _job_list(listed: dict[str, IngestJob] | dict[str, QueryJob], job_type: str) -> Response:
    records = [j.info(full=False) | {"jobType": job_type} for j in listed.values()]
    return json_response({"done": True, "records": records, "nextRecordsUrl": None})


def _abort(job: IngestJob | QueryJob, now: datetime) -> None:
    """PATCH state=Aborted: only a job that has not finished can be aborted."""
    if job.state in jobs.FINAL_STATES:
        raise invalid_state(f"Aborting already {_completed(job.state)} Job not allowed")
    job.state = jobs.ABORTED
    job.modstamp = now


def _csv_response(text: str, headers: dict[str, str] | None = None) -> Response:
    resp = Response(text, status=200, mimetype=CSV_MIME)
    resp.headers["Content-Type"] = "text/csv; charset=UTF-8"
    if headers:
        resp.headers.update(headers)
    return resp


# --- ingest -------------------------------------------------------------------------------------------
def ingest_root(ctx: Ctx, version: str) -> Response:
    """POST: create an ingest job; GET: list ingest jobs."""
    v = check_version(version)
    store = _store(ctx)
    if ctx.request.method == "GET":
        return _job_list(store.ingest, "V2Ingest")
    backend = _backend(ctx)
    body = _body(ctx)
    operation = body.get("operation")
    if not isinstance(operation, str) or operation not in jobs.INGEST_OPERATIONS:
        raise invalid_job(f"InvalidJob : Invalid operation: {str(operation)[:80]}")
    obj_name = body.get("object")
    o = backend.schema.resolve_object(obj_name) if isinstance(obj_name, str) else None
    if o is None:
        raise SalesforceError(
            400, "INVALIDENTITY", f"Entity '{str(obj_name)[:80]}' is not supported by the Bulk API."
        )
    content_type = body.get("contentType", "CSV")
    if content_type not in ("CSV", None):
        raise invalid_job(f"InvalidJob : Unsupported content type: {str(content_type)[:80]}")
    delimiter = _choice(body, "columnDelimiter", jobs.DELIMITERS, "COMMA")
    line_ending = _choice(body, "lineEnding", jobs.LINE_ENDINGS, "LF")
    ext: str | None = None
    if operation == "upsert":
        raw_ext = body.get("externalIdFieldName")
        if not isinstance(raw_ext, str) or not raw_ext:
            raise invalid_job("InvalidJob : External ID was blank for upsert operation")
        fd = o.field(raw_ext)
        if fd is None or not fd.is_lookup_key:
            raise invalid_job(f"InvalidJob : The field {raw_ext} is not an External ID field on {o.name}")
        ext = fd.name
    job = IngestJob(
        **_new_job_fields(ctx, v, delimiter, line_ending),
        operation=operation,
        object=o.name,
        external_id_field=ext,
    )
    store.ingest[job.id] = job
    return json_response(job.info(full=False))


def _ingest_job(ctx: Ctx, job_id: str) -> IngestJob:
    return _existing(_store(ctx).get_ingest(job_id))


def ingest_job(ctx: Ctx, version: str, job_id: str) -> Response:
    """GET job info; PATCH state (UploadComplete / Aborted); DELETE the job."""
    check_version(version)
    job = _ingest_job(ctx, job_id)
    method = ctx.request.method
    if method == "GET":
        return json_response(job.info())
    if method == "DELETE":
        if job.state == jobs.OPEN:
            raise invalid_state("Job is still Open: close or abort it before deleting it")
        del _store(ctx).ingest[job.id]
        return json_response(None, 204)
    state = _target_state(ctx)
    backend = _backend(ctx)
    now = backend.now()
    if state == jobs.UPLOAD_COMPLETE:
        if job.state != jobs.OPEN:
            raise invalid_state(f"Job is not in Open state (current state: {job.state})")
        job.state = jobs.UPLOAD_COMPLETE
        shown = job.info(full=False)  # the PATCH answers with the state it was asked for
        if not jobs.pace(job, len(job.rows), _pace(ctx), now):
            jobs.process_ingest(job, backend, now)
        return json_response(shown)
    if state == jobs.ABORTED:
        _abort(job, now)
        job.due_at = None  # a paced job aborted before it completed writes nothing
        job.unprocessed = job.rows
        job.rows = []
        return json_response(job.info(full=False))
    raise invalid_state(f"Invalid state for an ingest job: {state}")


def _completed(state: str) -> str:
    return {"JobComplete": "Completed", "Failed": "Failed", "Aborted": "Aborted"}.get(state, state)


def _target_state(ctx: Ctx) -> str:
    body = _body(ctx)
    state = body.get("state")
    if not isinstance(state, str) or not state:
        raise invalid_state("The state to update the job to is required")
    return state


def upload(ctx: Ctx, version: str, job_id: str) -> Response:
    """PUT CSV job data: 201 with no body. One upload per job, only while the job is Open."""
    check_version(version)
    job = _ingest_job(ctx, job_id)
    if job.state != jobs.OPEN:
        raise invalid_state(
            f"Job is not in Open state (current state: {job.state}); job data cannot be uploaded", 409
        )
    if job.header is not None:
        raise invalid_state("Job data was already uploaded for this job; create a new job for more data", 409)
    raw = ctx.request.get_data(cache=True)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SalesforceError(400, "INVALIDBATCH", "InvalidBatch : The CSV data is not valid UTF-8") from None
    try:
        header, rows = jobs.parse_upload(text, job.column_delimiter, job.line_ending)
    except jobs.CsvInputError as exc:
        raise SalesforceError(400, "INVALIDBATCH", str(exc)) from None
    job.header = header
    job.rows = rows
    job.modstamp = _backend(ctx).now()
    return Response(status=201)


def ingest_results(ctx: Ctx, version: str, job_id: str, kind: str) -> Response:
    check_version(version)
    job = _ingest_job(ctx, job_id)
    return _csv_response(jobs.result_csv(job, kind))


def successful(ctx: Ctx, version: str, job_id: str) -> Response:
    return ingest_results(ctx, version, job_id, "successful")


def failed(ctx: Ctx, version: str, job_id: str) -> Response:
    return ingest_results(ctx, version, job_id, "failed")


def unprocessed(ctx: Ctx, version: str, job_id: str) -> Response:
    return ingest_results(ctx, version, job_id, "unprocessed")


# --- query --------------------------------------------------------------------------------------------
def query_root(ctx: Ctx, version: str) -> Response:
    """POST: create a query job (runs it); GET: list query jobs."""
    v = check_version(version)
    store = _store(ctx)
    if ctx.request.method == "GET":
        return _job_list(store.query, "V2Query")
    backend = _backend(ctx)
    body = _body(ctx)
    operation = body.get("operation", "query")
    if operation not in jobs.QUERY_OPERATIONS:
        raise invalid_job(f"InvalidJob : Invalid operation: {str(operation)[:80]}")
    soql = body.get("query")
    if not isinstance(soql, str) or not soql.strip():
        raise invalid_job("InvalidJob : A query is required for a query job")
    delimiter = _choice(body, "columnDelimiter", jobs.DELIMITERS, "COMMA")
    line_ending = _choice(body, "lineEnding", jobs.LINE_ENDINGS, "LF")
    result = run_soql(backend, soql, operation == "queryAll")
    if result.is_count or result.is_aggregate:
        raise SalesforceError(
            400, "API_ERROR", "Aggregate queries (COUNT(), GROUP BY) are not supported by Bulk API 2.0"
        )
    if bound_query(backend, soql).children:
        # Bulk API 2.0 writes CSV, which has no shape for nested child rows
        raise SalesforceError(
            400, "API_ERROR", "Aggregate Relationships not supported in Bulk Query with CSV content type"
        )
    if parse(soql).offset is not None:
        raise SalesforceError(400, "API_ERROR", "OFFSET is not supported by Bulk API 2.0 queries")
    job = QueryJob(
        **_new_job_fields(ctx, v, delimiter, line_ending),
        operation=operation,
        query=soql,
        object=result.object_name,
        state=jobs.JOB_COMPLETE,
        record_ids=[str(r.record_id) for r in result.records],
    )
    store.query[job.id] = job
    jobs.pace(job, len(job.record_ids), _pace(ctx), job.created_date)
    shown = job.info(full=False)
    shown["state"] = jobs.UPLOAD_COMPLETE  # what the create call reports; the job is done by the first GET
    return json_response(shown)


def _query_job(ctx: Ctx, job_id: str) -> QueryJob:
    return _existing(_store(ctx).get_query(job_id))


def query_job(ctx: Ctx, version: str, job_id: str) -> Response:
    check_version(version)
    job = _query_job(ctx, job_id)
    method = ctx.request.method
    if method == "GET":
        return json_response(job.info())
    if method == "DELETE":
        del _store(ctx).query[job.id]
        return json_response(None, 204)
    state = _target_state(ctx)
    if state != jobs.ABORTED:
        raise invalid_state(f"Invalid state for a query job: {state}")
    _abort(job, _backend(ctx).now())
    job.due_at = None
    return json_response(job.info(full=False))


def _encode_locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _decode_locator(text: str) -> int:
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode()
        value = int(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise SalesforceError(400, "INVALIDLOCATOR", f"Invalid locator: {text[:80]}") from None
    if value < 0:
        raise SalesforceError(400, "INVALIDLOCATOR", f"Invalid locator: {text[:80]}")
    return value


def query_results(ctx: Ctx, version: str, job_id: str) -> Response:
    """One CSV page: `maxRecords` rows from `locator` (an opaque offset token)."""
    check_version(version)
    job = _query_job(ctx, job_id)
    if job.state != jobs.JOB_COMPLETE:
        raise invalid_state(f"Results are only available for a completed job (current state: {job.state})")
    args = ctx.request.args
    raw_max = args.get("maxRecords")
    limit: int | None = None
    if raw_max not in (None, ""):
        try:
            limit = int(raw_max)
        except ValueError:
            limit = 0
        if limit <= 0:
            raise SalesforceError(400, "INVALIDPARAMETER", f"Invalid maxRecords: {raw_max[:80]}")
    locator = args.get("locator")
    offset = _decode_locator(locator) if locator not in (None, "", "null") else 0
    if offset > len(job.record_ids):
        raise SalesforceError(400, "INVALIDLOCATOR", f"Invalid locator: {locator}")
    end = len(job.record_ids) if limit is None else min(len(job.record_ids), offset + limit)
    backend = _backend(ctx)
    obj, fields = bound_fields(backend, job.query)
    rows: list[list[str]] = [[".".join(bp.names) for bp in fields]]
    count = 0
    for rid in job.record_ids[offset:end]:
        rec = backend.source.get(obj, rid)
        if rec is None:
            continue
        rows.append(csv_row(project(backend, obj, fields, rec), fields))
        count += 1
    next_locator = _encode_locator(end) if end < len(job.record_ids) else "null"
    text = jobs.write_csv(rows, job.column_delimiter, job.line_ending)
    return _csv_response(text, {"Sforce-NumberOfRecords": str(count), "Sforce-Locator": next_locator})


def csv_row(row: Row, fields: tuple[BoundPath, ...]) -> list[str]:
    """A projected record flattened to CSV columns (`Owner.Name` for parent fields)."""
    out = []
    for bp in fields:
        value: Any = row
        for name in bp.names:
            value = value.get(name) if isinstance(value, dict) else None
        out.append(csv_value(value))
    return out


def csv_value(value: Any) -> str:
    """Bulk API CSV text of a value: empty for null, `true`/`false`, UTC `...T10:00:00.000Z`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


ROUTES: list[Route] = [
    Route(f"{J}/ingest", ("GET", "POST"), ingest_root),
    Route(f"{J}/ingest/<job_id>", ("GET", "PATCH", "DELETE"), ingest_job),
    Route(f"{J}/ingest/<job_id>/batches", ("PUT",), upload),
    Route(f"{J}/ingest/<job_id>/successfulResults", ("GET",), successful),
    Route(f"{J}/ingest/<job_id>/failedResults", ("GET",), failed),
    # The docs spell it `unprocessedrecords`, simple-salesforce requests `unprocessedRecords`.
    Route(f"{J}/ingest/<job_id>/unprocessedrecords", ("GET",), unprocessed),
    Route(f"{J}/ingest/<job_id>/unprocessedRecords", ("GET",), unprocessed),
    Route(f"{J}/query", ("GET", "POST"), query_root),
    Route(f"{J}/query/<job_id>", ("GET", "PATCH", "DELETE"), query_job),
    Route(f"{J}/query/<job_id>/results", ("GET",), query_results),
]
