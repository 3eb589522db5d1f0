"""Salesforce REST client on `requests`: session id, OAuth password / client-credentials or SOAP
login with one re-login on 401 INVALID_SESSION_ID; SOQL paging; composite sobjects in chunks of 200;
suspension codes (SUS-1..4) raised as SuspensionError."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import requests

from sync.clients.http import TRANSPORT_ERRORS, URL_ERRORS, RetryingHttp, _connect_failure, json_or_none
from sync.errors import SUSPENSION_CODES, AuthError, SuspensionError, SyncHttpError, TransientError

COMPOSITE_LIMIT = 200
# SOQL travels in the query string; keep each IN-chunked statement well under URL length limits.
SOQL_MAX_CHARS = 12_000


def soql_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def soql_datetime(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_sf_datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    return _parse_sf_datetime(text)


@lru_cache(maxsize=65536)
def _parse_sf_datetime(text: str) -> datetime | None:
    # Cached: a sync cycle parses the same few modstamps (one per batch write) hundreds of
    # thousands of times. fromisoformat covers what both APIs send ("...000Z", "...000+0000");
    # the regex below stays as the fallback for anything more unusual.
    try:
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is not None:
            return dt.astimezone(UTC)
    except ValueError:
        pass
    t = text.replace("Z", "+0000")
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?([+-]\d\d:?\d\d)?$", t)
    if not m:
        return None
    frac = (m.group(2) or ".0")[1:7].ljust(6, "0")
    tz = (m.group(3) or "+0000").replace(":", "")
    return datetime.strptime(f"{m.group(1)}.{frac}{tz}", "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)


class SalesforceClient(RetryingHttp):
    system = "salesforce"

    def __init__(
        self,
        url: str | None,
        session_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        security_token: str = "",
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        login_url: str = "https://login.salesforce.com",
        api_version: str = "59.0",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.instance_url = (url or "").rstrip("/")
        self.session_id = session_id
        self.username, self.password, self.security_token = username, password, security_token
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.login_url = login_url.rstrip("/")
        self.version = api_version
        self.limit_info: tuple[int, int] | None = None  # (used, max) from Sforce-Limit-Info
        if not session_id:
            self.login()

    @property
    def can_login(self) -> bool:
        return bool((self.username and self.password) or (self.consumer_key and self.consumer_secret))

    @property
    def base(self) -> str:
        return f"{self.instance_url}/services/data/v{self.version}"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.session_id}"} if self.session_id else {}

    # --- auth ------------------------------------------------------------------------------
    def login(self) -> None:
        try:
            self._login()
        except URL_ERRORS as exc:
            raise SyncHttpError("salesforce", 0, "URL", f"{self.login_url}: {exc}") from None
        except TRANSPORT_ERRORS as exc:  # no answer at all: an outage or a wrong login_url
            self._record("POST", self.login_url, 0)
            raise TransientError("salesforce", 0, "CONNECTION", _connect_failure(self.login_url, exc)) from None

    def _login(self) -> None:
        if self.consumer_key and self.consumer_secret:
            if self.username and self.password:
                data = {
                    "grant_type": "password",
                    "client_id": self.consumer_key,
                    "client_secret": self.consumer_secret,
                    "username": self.username,
                    "password": (self.password or "") + self.security_token,
                }
                headers: dict[str, str] = {}
            else:
                data = {"grant_type": "client_credentials"}
                basic = base64.b64encode(f"{self.consumer_key}:{self.consumer_secret}".encode()).decode()
                headers = {"Authorization": f"Basic {basic}"}
            resp = self.session.request(
                "POST",
                f"{self.login_url}/services/oauth2/token",
                data=data,
                headers=headers,
                timeout=self.timeout,
            )
            self._record("POST", f"{self.login_url}/services/oauth2/token", resp.status_code)
            body = json_or_none(resp) or {}
            if resp.status_code != 200 or "access_token" not in body:
                raise AuthError(
                    "salesforce",
                    resp.status_code,
                    body.get("error"),
                    body.get("error_description", resp.text[:200]),
                )
            self.session_id = body["access_token"]
            if body.get("instance_url"):
                inst = urlsplit(body["instance_url"])
                self.instance_url = f"{inst.scheme}://{inst.netloc}"
            return
        envelope = (
            '<?xml version="1.0" encoding="utf-8" ?><env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:urn="urn:partner.soap.sforce.com"><env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com">'
            f"<n1:username>{escape(self.username or '')}</n1:username>"
            f"<n1:password>{escape((self.password or '') + self.security_token)}</n1:password>"
            "</n1:login></env:Body></env:Envelope>"
        )
        url = f"{self.login_url}/services/Soap/u/{self.version}"
        resp = self.session.request(
            "POST",
            url,
            data=envelope.encode(),
            timeout=self.timeout,
            headers={"Content-Type": "text/xml", "SOAPAction": "login", "charset": "UTF-8"},
        )
        self._record("POST", url, resp.status_code)
        sid = re.search(r"<sessionId>([^<]+)</sessionId>", resp.text)
        server = re.search(r"<serverUrl>([^<]+)</serverUrl>", resp.text)
        if resp.status_code != 200 or not sid or not server:
            code = re.search(r"<sf:exceptionCode>([^<]+)<", resp.text)
            msg = re.search(r"<sf:exceptionMessage>([^<]+)<", resp.text)
            raise AuthError(
                "salesforce",
                resp.status_code,
                code.group(1) if code else None,
                msg.group(1) if msg else resp.text[:200],
            )
        self.session_id = sid.group(1)
        if not self.instance_url:
            parts = urlsplit(server.group(1))
            self.instance_url = f"{parts.scheme}://{parts.netloc.replace('-api', '')}"

    # --- core call -------------------------------------------------------------------------
    def call(self, method: str, path: str, ok: tuple[int, ...] = (200,), **kwargs: Any) -> requests.Response:
        url = (
            path
            if path.startswith("http")
            else (f"{self.instance_url}{path}" if path.startswith("/services/") else f"{self.base}{path}")
        )
        try:
            resp = self.send(method, url, **kwargs)
        except TransientError as exc:
            # SUS-4: an unclear Salesforce error that outlived the retries suspends. A create is
            # never retried blindly (it may have happened), so one 5xx there is not "outlived
            # retries": it is a transient failure of those records (reconciled, then ERR-7).
            if "UNKNOWN_EXCEPTION" in exc.message and kwargs.get("idempotent", True):
                raise SuspensionError(
                    SUSPENSION_CODES["UNKNOWN_EXCEPTION"], exc.status, "UNKNOWN_EXCEPTION", exc.message
                ) from None
            raise
        if resp.status_code == 401 and self.can_login and _error_code(resp) == "INVALID_SESSION_ID":
            self.login()
            resp = self.send(method, url, **kwargs)
        self._note_limits(resp)
        if resp.status_code in ok:
            return resp
        code = _error_code(resp)
        message = _error_message(resp)
        if code in SUSPENSION_CODES:
            raise SuspensionError(SUSPENSION_CODES[code], resp.status_code, code, message)
        if resp.status_code == 401:
            raise AuthError("salesforce", 401, code, message, json_or_none(resp))
        raise SyncHttpError("salesforce", resp.status_code, code, message, json_or_none(resp))

    def _note_limits(self, resp: requests.Response) -> None:
        m = re.search(r"api-usage=(\d+)/(\d+)", resp.headers.get("Sforce-Limit-Info", ""))
        if m:
            self.limit_info = (int(m.group(1)), int(m.group(2)))

    # --- reads -----------------------------------------------------------------------------
    def query(self, soql: str, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        resp = self.call("GET", "/queryAll/" if include_deleted else "/query/", params={"q": soql})
        while True:
            body = resp.json()
            yield from body.get("records", [])
            nxt = body.get("nextRecordsUrl")
            if body.get("done", True) or not nxt:
                return
            resp = self.call("GET", nxt)

    def count(self, soql: str, include_deleted: bool = False) -> int | None:
        """`SELECT COUNT() ...`: the totalSize of the answer (None when the answer has none)."""
        body = self.call("GET", "/queryAll/" if include_deleted else "/query/", params={"q": soql}).json()
        total = body.get("totalSize") if isinstance(body, dict) else None
        return int(total) if isinstance(total, int) else None

    def query_in(
        self, template: str, values: list[str], include_deleted: bool = False
    ) -> Iterator[dict[str, Any]]:
        """`template` holds one `{in}` placeholder; values are chunked so each statement stays short."""
        statements: list[str] = []
        chunk: list[str] = []
        size = len(template)
        for v in values:
            q = soql_quote(v)
            if chunk and size + len(q) + 1 > SOQL_MAX_CHARS:
                statements.append(template.format(inlist=",".join(chunk)))
                chunk, size = [], len(template)
            chunk.append(q)
            size += len(q) + 1
        if chunk:
            statements.append(template.format(inlist=",".join(chunk)))
        if self.concurrency <= 1:
            for soql in statements:
                yield from self.query(soql, include_deleted)
            return
        for rows in self.map_chunks(lambda soql: list(self.query(soql, include_deleted)), statements):
            yield from rows

    def describe(self, sobject: str) -> dict[str, Any]:
        return self.call("GET", f"/sobjects/{sobject}/describe").json()

    def deleted(self, sobject: str, start: datetime, end: datetime) -> dict[str, Any]:
        params = {"start": start.astimezone(UTC).isoformat(), "end": end.astimezone(UTC).isoformat()}
        return self.call("GET", f"/sobjects/{sobject}/deleted/", params=params).json()

    # --- writes (composite sobjects, <=200 per call, per-record results) ----------------------
    def create_records(self, sobject: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One SaveResult per record, in order. Not retried on timeouts (see RetryingHttp.send)."""

        def save(part: list[dict[str, Any]]) -> list[dict[str, Any]]:
            chunk = [{"attributes": {"type": sobject}, **r} for r in part]
            resp = self.call(
                "POST", "/composite/sobjects", json={"allOrNone": False, "records": chunk}, idempotent=False
            )
            return resp.json()

        parts = [records[i : i + COMPOSITE_LIMIT] for i in range(0, len(records), COMPOSITE_LIMIT)]
        return [res for results in self.map_chunks(save, parts) for res in results]

    def update_records(self, sobject: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """records carry "id"; one SaveResult per record, in order."""

        def save(part: list[dict[str, Any]]) -> list[dict[str, Any]]:
            chunk = [{"attributes": {"type": sobject}, **r} for r in part]
            resp = self.call("PATCH", "/composite/sobjects", json={"allOrNone": False, "records": chunk})
            return resp.json()

        parts = [records[i : i + COMPOSITE_LIMIT] for i in range(0, len(records), COMPOSITE_LIMIT)]
        return [res for results in self.map_chunks(save, parts) for res in results]


def _error_code(resp: requests.Response) -> str | None:
    body = json_or_none(resp)
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return body[0].get("errorCode")
    if isinstance(body, dict):
        return body.get("errorCode") or body.get("error")
    return None


def _error_message(resp: requests.Response) -> str:
    body = json_or_none(resp)
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("message", ""))
    return resp.text[:300]
