"""Bulk API 2.0 jobs (wire spec 3.4): ingest jobs (CSV in, per-row results out) and query jobs (a
SOQL snapshot read back as CSV pages). Pure store and processing, no HTTP: `api/bulk2.py` parses
requests and serialises what this module holds.

Pace (setting `bulk_seconds_per_1000_rows`, 0 by default in-process): with 0, an ingest job is
processed when it is closed and a query job when it is created, and the first GET sees `JobComplete`.
Above 0, a job moves through `UploadComplete` -> `InProgress` -> `JobComplete` (or `Failed`) on the
sandbox clock, taking that many seconds per 1,000 rows, as real jobs take time and polling code must
wait for them (Bulk API 2.0 guide, "Get Information About a Job": UploadComplete, InProgress,
JobComplete, Failed, Aborted); the writes of an ingest job happen when it completes, and it can be
aborted until then. Jobs advance whenever the org answers a request or the clock is advanced.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from simulator.salesforce import ids
from simulator.salesforce.errors import SalesforceError

if TYPE_CHECKING:
    from simulator.salesforce.models import SalesforceBackend

INGEST_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
QUERY_OPERATIONS = ("query", "queryAll")
DELIMITERS: dict[str, str] = {
    "BACKQUOTE": "`",
    "CARET": "^",
    "COMMA": ",",
    "PIPE": "|",
    "SEMICOLON": ";",
    "TAB": "\t",
}
LINE_ENDINGS: dict[str, str] = {"LF": "\n", "CRLF": "\r\n"}
OPEN, UPLOAD_COMPLETE, IN_PROGRESS = "Open", "UploadComplete", "InProgress"
JOB_COMPLETE, FAILED, ABORTED = "JobComplete", "Failed", "Aborted"
FINAL_STATES = (JOB_COMPLETE, FAILED, ABORTED)


class CsvInputError(ValueError):
    """Uploaded data that is not CSV in the job's dialect."""


@dataclass
class IngestJob:
    id: str
    operation: str
    object: str
    created_by: str
    created_date: datetime
    api_version: str
    column_delimiter: str = "COMMA"
    line_ending: str = "LF"
    external_id_field: str | None = None
    state: str = OPEN
    modstamp: datetime | None = None
    error_message: str | None = None
    header: list[str] | None = None  # the uploaded header row, as written
    rows: list[list[str]] = field(default_factory=list)  # uploaded, not yet processed
    # Results: (sf__Id, sf__Created) / (sf__Id, sf__Error) plus the row's original values.
    successes: list[tuple[str, bool, list[str]]] = field(default_factory=list)
    failures: list[tuple[str, str, list[str]]] = field(default_factory=list)
    unprocessed: list[list[str]] = field(default_factory=list)
    processing_ms: int = 0
    queued_at: datetime | None = None  # paced jobs: closed at ...
    due_at: datetime | None = None  # ... and complete at (None: not paced, or done)

    @property
    def processed(self) -> int:
        return len(self.successes) + len(self.failures)

    def info(self, full: bool = True) -> dict[str, Any]:
        """Job info as `GET /jobs/ingest/{id}` returns it (`full=False`: the create/close shape)."""
        out = _info_head(self)
        if self.external_id_field:
            out["externalIdFieldName"] = self.external_id_field
        out.update(
            concurrencyMode="Parallel",
            contentType="CSV",
            apiVersion=float(self.api_version),
            contentUrl=f"services/data/v{self.api_version}/jobs/ingest/{self.id}/batches",
            lineEnding=self.line_ending,
            columnDelimiter=self.column_delimiter,
        )
        if full:
            out.update(
                jobType="V2Ingest",
                numberRecordsProcessed=self.processed,
                numberRecordsFailed=len(self.failures),
                retries=0,
                totalProcessingTime=self.processing_ms,
                apiActiveProcessingTime=self.processing_ms,
                apexProcessingTime=0,
            )
            if self.error_message:
                out["errorMessage"] = self.error_message
        return out


@dataclass
class QueryJob:
    id: str
    operation: str
    query: str
    object: str
    created_by: str
    created_date: datetime
    api_version: str
    column_delimiter: str = "COMMA"
    line_ending: str = "LF"
    state: str = JOB_COMPLETE
    modstamp: datetime | None = None
    error_message: str | None = None
    record_ids: list[str] = field(default_factory=list)  # the snapshot, in result order
    queued_at: datetime | None = None
    due_at: datetime | None = None

    def info(self, full: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            **_info_head(self),
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.api_version),
            "lineEnding": self.line_ending,
            "columnDelimiter": self.column_delimiter,
        }
        if full:
            out.update(
                jobType="V2Query",
                numberRecordsProcessed=len(self.record_ids) if self.state == JOB_COMPLETE else 0,
                retries=0,
                totalProcessingTime=0,
                isPkChunkingSupported=True,
            )
            if self.error_message:
                out["errorMessage"] = self.error_message
        return out


def _info_head(job: IngestJob | QueryJob) -> dict[str, Any]:
    """The keys job info of either kind starts with, in the order Salesforce writes them."""
    return {
        "id": job.id,
        "operation": job.operation,
        "object": job.object,
        "createdById": job.created_by,
        "createdDate": _fmt(job.created_date),
        "systemModstamp": _fmt(job.modstamp or job.created_date),
        "state": job.state,
    }


class JobStore:
    """Bulk API 2.0 jobs of one Salesforce org (ingest and query ids share the `750` key prefix)."""

    def __init__(self) -> None:
        self.ingest: dict[str, IngestJob] = {}
        self.query: dict[str, QueryJob] = {}

    def new_id(self, rng: Any) -> str:
        jid = ids.new_id(ids.BULK_JOB_PREFIX, rng)
        while jid in self.ingest or jid in self.query:
            jid = ids.new_id(ids.BULK_JOB_PREFIX, rng)
        return jid

    def get_ingest(self, job_id: str) -> IngestJob | None:
        return self.ingest.get(_canon(job_id))

    def get_query(self, job_id: str) -> QueryJob | None:
        return self.query.get(_canon(job_id))

    def advance(self, backend: SalesforceBackend, now: datetime) -> None:
        """Move paced jobs along the sandbox clock (cheap when none is pending)."""
        for job in [*self.ingest.values(), *self.query.values()]:
            if job.due_at is not None and job.state in (UPLOAD_COMPLETE, IN_PROGRESS):
                advance_job(job, backend, now)

    # --- snapshots ----------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "ingest": [_dump_ingest(j) for j in self.ingest.values()],
            "query": [_dump_query(j) for j in self.query.values()],
        }

    def load(self, data: dict[str, Any]) -> None:
        self.ingest = {}
        self.query = {}
        for d in data.get("ingest", []):
            job = IngestJob(
                id=d["id"],
                operation=d["operation"],
                **_load_origin(d),
                external_id_field=d.get("externalIdField"),
                state=d["state"],
                modstamp=_parse(d["modstamp"]) if d.get("modstamp") else None,
                error_message=d.get("errorMessage"),
                header=d.get("header"),
                rows=d.get("rows", []),
                successes=[(a, bool(b), list(c)) for a, b, c in d.get("successes", [])],
                failures=[(a, b, list(c)) for a, b, c in d.get("failures", [])],
                unprocessed=d.get("unprocessed", []),
            )
            self.ingest[job.id] = job
        for d in data.get("query", []):
            qjob = QueryJob(
                id=d["id"],
                operation=d["operation"],
                query=d["query"],
                **_load_origin(d),
                state=d["state"],
                modstamp=_parse(d["modstamp"]) if d.get("modstamp") else None,
                error_message=d.get("errorMessage"),
                record_ids=list(d.get("recordIds", [])),
            )
            self.query[qjob.id] = qjob


def _dump_ingest(j: IngestJob) -> dict[str, Any]:
    return {
        "id": j.id,
        "operation": j.operation,
        **_dump_origin(j),
        "externalIdField": j.external_id_field,
        "state": j.state,
        "modstamp": j.modstamp.astimezone(UTC).isoformat() if j.modstamp else None,
        "errorMessage": j.error_message,
        "header": j.header,
        "rows": j.rows,
        "successes": [list(s) for s in j.successes],
        "failures": [list(f) for f in j.failures],
        "unprocessed": j.unprocessed,
    }


def _dump_query(j: QueryJob) -> dict[str, Any]:
    return {
        "id": j.id,
        "operation": j.operation,
        "query": j.query,
        **_dump_origin(j),
        "state": j.state,
        "modstamp": j.modstamp.astimezone(UTC).isoformat() if j.modstamp else None,
        "errorMessage": j.error_message,
        "recordIds": j.record_ids,
    }


def _dump_origin(j: IngestJob | QueryJob) -> dict[str, Any]:
    """A job's object, who created it and when, its API version and CSV dialect (snapshot keys)."""
    return {
        "queuedAt": j.queued_at.astimezone(UTC).isoformat() if j.queued_at else None,
        "dueAt": j.due_at.astimezone(UTC).isoformat() if j.due_at else None,
        "object": j.object,
        "createdBy": j.created_by,
        "createdDate": j.created_date.astimezone(UTC).isoformat(),
        "apiVersion": j.api_version,
        "columnDelimiter": j.column_delimiter,
        "lineEnding": j.line_ending,
    }


def _load_origin(d: dict[str, Any]) -> dict[str, Any]:
    """The constructor arguments `_dump_origin` saved."""
    return {
        "queued_at": _parse(d["queuedAt"]) if d.get("queuedAt") else None,
        "due_at": _parse(d["dueAt"]) if d.get("dueAt") else None,
        "object": d["object"],
        "created_by": d["createdBy"],
        "created_date": _parse(d["createdDate"]),
        "api_version": d["apiVersion"],
        "column_delimiter": d["columnDelimiter"],
        "line_ending": d["lineEnding"],
    }


def _canon(job_id: str) -> str:
    try:
        return ids.to18(job_id)
    except ids.InvalidId:
        return job_id


def _fmt(dt: datetime) -> str:
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- CSV --------------------------------------------------------------------------------------------
def parse_upload(data: str, column_delimiter: str, line_ending: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of an upload in the job's dialect; CsvInputError when it is not parseable CSV.

    A mismatched line ending is what Salesforce reports as `ClientInputError : LineEnding is invalid
    on user data`: a LF job rejects CRLF data (the \\r would otherwise end up inside the last column)."""
    if line_ending == "LF" and "\r\n" in data:
        raise CsvInputError(
            "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"
        )
    reader = csv.reader(io.StringIO(data, newline=""), delimiter=DELIMITERS[column_delimiter], strict=True)
    try:
        rows = [r for r in reader]
    except csv.Error as exc:
        raise CsvInputError(f"InvalidBatch : Failed to parse CSV: {exc}") from None
    rows = [r for r in rows if r]  # blank lines carry no record
    if not rows:
        raise CsvInputError("InvalidBatch : No data found in the uploaded CSV")
    header = rows[0]
    if any(h.strip() == "" for h in header):
        raise CsvInputError("InvalidBatch : Field name not provided in the header row")
    return header, rows[1:]


def write_csv(
    rows: list[list[str]], column_delimiter: str = "COMMA", line_ending: str = "LF", quote_all: bool = True
) -> str:
    buf = io.StringIO()
    writer = csv.writer(
        buf,
        delimiter=DELIMITERS.get(column_delimiter, ","),
        lineterminator=LINE_ENDINGS.get(line_ending, "\n"),
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerows(rows)
    return buf.getvalue()


def result_csv(job: IngestJob, kind: str) -> str:
    """`successfulResults` / `failedResults` / `unprocessedrecords` of an ingest job.

    Layout as Salesforce sends it: the sf__ columns quoted, then the uploaded header as written, and
    every value quoted."""
    header = job.header or []
    le = LINE_ENDINGS.get(job.line_ending, "\n")
    dl = DELIMITERS.get(job.column_delimiter, ",")
    head_tail = write_csv([header], job.column_delimiter, job.line_ending, quote_all=False).rstrip("\r\n")
    if kind == "successful":
        head = f'"sf__Id"{dl}"sf__Created"'
        body = [[rid, "true" if created else "false", *vals] for rid, created, vals in job.successes]
    elif kind == "failed":
        head = f'"sf__Id"{dl}"sf__Error"'
        body = [[rid, err, *vals] for rid, err, vals in job.failures]
    else:
        return (head_tail + le if header else "") + write_csv(
            job.unprocessed, job.column_delimiter, job.line_ending
        )
    first = head + (dl + head_tail if header else "") + le
    return first + write_csv(body, job.column_delimiter, job.line_ending)


def error_text(err: SalesforceError) -> str:
    """`sf__Error` of a failed row: `CODE:message:Field1,Field2 --` (`CODE:message:--` without fields)."""
    code, message = err.error_code, err.message
    if code == "NOT_FOUND":  # a row naming a record that is not there (REST would answer 404)
        code, message = "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"
    fields = ",".join(err.fields)
    return f"{code}:{message}:{fields + ' ' if fields else ''}--"


# --- pace -------------------------------------------------------------------------------------------
def pace(job: IngestJob | QueryJob, rows: int, seconds_per_1000: float, now: datetime) -> bool:
    """Schedule a job closed (ingest) or created (query) at `now`: True when it is paced."""
    if seconds_per_1000 <= 0:
        return False
    job.state = UPLOAD_COMPLETE
    job.queued_at = now
    job.due_at = now + timedelta(seconds=seconds_per_1000 * max(rows, 1) / 1000)
    return True


def advance_job(job: IngestJob | QueryJob, backend: SalesforceBackend, now: datetime) -> None:
    """UploadComplete for the first quarter of its time (queued), InProgress until due, then done."""
    assert job.queued_at is not None and job.due_at is not None
    if now >= job.due_at:
        due = job.due_at
        job.due_at = None
        if isinstance(job, IngestJob):
            process_ingest(job, backend, due)
        else:
            job.state = JOB_COMPLETE
            job.modstamp = due
        return
    if now >= job.queued_at + (job.due_at - job.queued_at) / 4 and job.state != IN_PROGRESS:
        job.state = IN_PROGRESS
        job.modstamp = now


# --- processing -------------------------------------------------------------------------------------
def process_ingest(job: IngestJob, backend: SalesforceBackend, now: datetime) -> None:
    """Run an ingest job's rows through the store, row by row (each row succeeds or fails alone, as
    Bulk API 2.0 does with its per-record results), and finish in JobComplete or Failed."""
    job.modstamp = now
    header = job.header
    if header is None:
        job.state = FAILED
        job.error_message = "InvalidBatch : No data was uploaded for this job"
        return
    failure = _check_header(job, backend)
    if failure is not None:
        job.state = FAILED
        job.error_message = failure
        job.unprocessed = job.rows
        job.rows = []
        return
    names = [h.strip() for h in header]
    for values in job.rows:
        _process_row(job, backend, names, values)
    job.rows = []
    job.state = JOB_COMPLETE


def _check_header(job: IngestJob, backend: SalesforceBackend) -> str | None:
    o = backend.schema.resolve_object(job.object)
    assert job.header is not None
    names = [h.strip() for h in job.header]
    if job.operation in ("delete", "hardDelete"):
        if [n.lower() for n in names] != ["id"]:
            return f"InvalidBatch : The '{job.operation}' batch must contain only 'Id'"
        return None
    seen: set[str] = set()
    for n in names:
        if n.lower() in seen:
            return f"InvalidBatch : Duplicate field name: {n}"
        seen.add(n.lower())
        if o is None or o.field(n) is None:
            return f"InvalidBatch : Field name not found : {n}"
    if job.operation == "update" and "id" not in seen:
        return "InvalidBatch : Field name not found : Id"
    if job.operation == "upsert" and (job.external_id_field or "Id").lower() not in seen:
        return f"InvalidBatch : Field name not found : {job.external_id_field}"
    return None


def _process_row(job: IngestJob, backend: SalesforceBackend, names: list[str], values: list[str]) -> None:
    original = list(values)
    if len(values) != len(names):
        msg = "TooManyColumns" if len(values) > len(names) else "TooFewColumns"
        job.failures.append(
            (
                "",
                f"INVALID_FIELD:{msg}: the row has {len(values)} values for {len(names)} columns:--",
                original,
            )
        )
        return
    row = dict(zip(names, values, strict=True))
    given_id = next((v for k, v in row.items() if k.lower() == "id"), "")
    op = job.operation
    try:
        with backend.transaction():
            if op == "insert":
                rid = backend.create(job.object, row, user=job.created_by, wire="csv")
                job.successes.append((rid, True, original))
            elif op == "update":
                rest = {k: v for k, v in row.items() if k.lower() != "id"}
                rid = backend.normalize_id(job.object, given_id)
                backend.update(job.object, rid, rest, user=job.created_by, wire="csv")
                job.successes.append((rid, False, original))
            elif op == "upsert":
                ext = job.external_id_field or "Id"
                key = next(k for k in row if k.lower() == ext.lower())
                value = row[key]
                rest = {k: v for k, v in row.items() if k != key}
                if ext.lower() != "id" and value == "":
                    raise SalesforceError(
                        400,
                        "MISSING_ARGUMENT",
                        f"{ext} not specified",
                        [backend.object(job.object).field(ext).name],
                    )
                rid, created = backend.upsert(job.object, ext, value, rest, user=job.created_by, wire="csv")
                job.successes.append((rid, created, original))
            else:  # delete / hardDelete
                rid = backend.normalize_id(job.object, given_id)
                backend.delete(job.object, rid, user=job.created_by)
                if op == "hardDelete":
                    backend.hard_delete(job.object, rid)
                job.successes.append((rid, False, original))
    except SalesforceError as err:
        failed_id = given_id if op != "insert" else ""
        if op == "upsert" and err.status == 300:  # several records match the external id
            err = SalesforceError(400, "DUPLICATE_EXTERNAL_ID", err.message, [])
        job.failures.append((failed_id, error_text(err), original))
