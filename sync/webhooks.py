"""HubSpot change capture by webhooks (issue 4: "and, when configured, webhooks").

HubSpot POSTs JSON arrays of up to 100 events to the app's target URL (wire spec 2.10). The
receiver here checks the signature, turns the contact events into queue rows in ONE transaction,
and only then answers 204: an event HubSpot sees acknowledged is durably queued. If the commit
fails, or the process dies first, HubSpot gets an error or a timeout and re-sends the batch later;
a re-sent batch merges into the rows already queued (one row per record), so nothing doubles.

Webhooks make changes arrive in seconds instead of at the next poll tick; they do not replace the
search capture, which stays on as the safety net: HubSpot gives up on a target after its retries,
a receiver can be down, and subscriptions can miss a property. A change seen both ways is processed
once with the newest values (the queue row is per record, and a webhook row reads the record fresh).

Only the record id of an event is trusted, never its `propertyValue`: the engine reads the record
itself (one batch read per 100 records), so events arriving out of order cannot write an old value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from sqlalchemy import select

from sync.objects.contacts import CONTACTS
from sync.rules import canonical, side_value
from sync.settings import WebhookSettings
from sync.state.models import ExpectedEcho, Link
from sync.state.store import StateStore

# The receiver captures one pair's HubSpot object; its descriptor names the object and its events.
OBJECT = CONTACTS
HS_OBJECT = OBJECT.hs_object
EVENT = OBJECT.webhook_event  # HubSpot's subscriptionType prefix, e.g. "contact"
CREATION, CHANGE, MERGE = f"{EVENT}.creation", f"{EVENT}.propertyChange", f"{EVENT}.merge"
MAX_BODY_BYTES = 5 * 1024 * 1024  # 100 events are a few KB; anything this big is not HubSpot
# What each contact event means for the sync (others: acknowledged and ignored; companies and deals
# are not synced yet). The trigger names are the catalog's, marked as webhook-borne.
TRIGGERS = {
    CREATION: f"TRG-7 new HubSpot {EVENT} (webhook)",
    CHANGE: "TRG-2 HubSpot change (webhook)",
    f"{EVENT}.restore": "TRG-2 HubSpot change (webhook: restored)",
    MERGE: "TRG-2 HubSpot change (webhook: merged)",
    # A deleted record reads as missing and is logged as such (DEL-2/A8: nothing reaches Salesforce).
    f"{EVENT}.deletion": "TRG-2 HubSpot change (webhook: deleted)",
    f"{EVENT}.privacyDeletion": "TRG-2 HubSpot change (webhook: deleted)",
}


class WebhookRejected(Exception):
    """The request is not a valid HubSpot delivery: answered with `status` and `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# ------------------------------------------------------------------ pure parts
def _v3_uris(url: str) -> list[str]:
    # HubSpot's docs say to URL-decode a few characters of the URI before signing; the official
    # Python SDK signs the URI as given. Accept either.
    return [url] if unquote(url) == url else [url, unquote(url)]


def check_signature(
    cfg: WebhookSettings,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    now_ms: int,
) -> None:
    """Raise WebhookRejected(401) unless the request carries a valid signature of an accepted version.

    v3: base64(HMAC-SHA256(secret, method + uri + body + timestamp)), and the timestamp (epoch ms) at
    most `max_age_seconds` away from now (replay protection). v1: hex SHA-256 of secret + body; v2:
    hex SHA-256 of secret + method + uri + body. `cfg.signature` says which are accepted."""
    h = {k.lower(): v for k, v in headers.items()}
    secret = cfg.client_secret
    text = body.decode("utf-8", errors="replace")
    uri = cfg.public_url or url
    v3 = h.get("x-hubspot-signature-v3")
    if cfg.signature in ("v3", "any") and v3:
        stamp = h.get("x-hubspot-request-timestamp", "")
        if not stamp.isdigit():
            raise WebhookRejected(401, "X-HubSpot-Request-Timestamp is missing or not epoch milliseconds")
        if abs(now_ms - int(stamp)) > cfg.max_age_seconds * 1000:
            raise WebhookRejected(
                401, f"X-HubSpot-Request-Timestamp is more than {cfg.max_age_seconds} s from now (replay?)"
            )
        for candidate in _v3_uris(uri):
            source = f"{method}{candidate}{text}{stamp}".encode()
            want = base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()
            if hmac.compare_digest(want, v3):
                return
        raise WebhookRejected(
            401, "X-HubSpot-Signature-v3 does not match (client secret or target URL differ?)"
        )
    if cfg.signature == "v3":
        raise WebhookRejected(401, "X-HubSpot-Signature-v3 header is missing (signature: v3 is required)")
    legacy = h.get("x-hubspot-signature")
    version = h.get("x-hubspot-signature-version", "v1").lower()
    if not legacy:
        raise WebhookRejected(401, "no X-HubSpot-Signature header")
    if version == "v1":
        source = f"{secret}{text}"
    elif version == "v2":
        source = f"{secret}{method}{uri}{text}"
    else:
        raise WebhookRejected(401, f"X-HubSpot-Signature-Version {version!r} is not v1 or v2")
    if not hmac.compare_digest(hashlib.sha256(source.encode()).hexdigest(), legacy.lower()):
        raise WebhookRejected(401, f"X-HubSpot-Signature ({version}) does not match (client secret differs?)")


def parse_events(body: bytes) -> list[dict[str, Any]]:
    """The JSON array HubSpot sends; WebhookRejected(400) with what is wrong otherwise."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookRejected(400, f"body is not valid JSON: {exc}") from None
    except RecursionError:  # e.g. "[" * 100000: valid-looking JSON nested beyond any event's depth
        raise WebhookRejected(400, "body is not valid JSON: nested too deeply") from None
    if not isinstance(data, list):
        raise WebhookRejected(400, "body must be a JSON array of events")
    for i, ev in enumerate(data):
        if not isinstance(ev, dict):
            raise WebhookRejected(400, f"event [{i}] is not an object")
        if not isinstance(ev.get("subscriptionType"), str):
            raise WebhookRejected(400, f"event [{i}] has no subscriptionType")
        if isinstance(ev.get("objectId"), bool) or not isinstance(ev.get("objectId"), int | str):
            raise WebhookRejected(400, f"event [{i}] has no objectId")
        if ev.get("occurredAt") is not None and not isinstance(ev.get("occurredAt"), int):
            raise WebhookRejected(400, f"event [{i}]: occurredAt must be epoch milliseconds")
    try:
        plan(data)  # whatever the queueing cannot use is the sender's error (400), never a 500
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise WebhookRejected(400, f"events cannot be used: {type(exc).__name__}: {exc}") from None
    return data


@dataclass(frozen=True)
class QueuePlan:
    items: dict[str, tuple[str, int]]  # record id -> (trigger, newest occurredAt)
    ignored: int  # events for objects or kinds the sync does not use
    echoes: int = 0  # events that only repeat what the sync itself wrote


@dataclass(frozen=True)
class LinkView:
    """What the receiver knows of a linked contact: its Salesforce id and last-synced values."""

    sf_id: str
    last_synced: dict[str, Any]


def is_echo(
    ev: dict[str, Any], link: LinkView | None, expected: dict[tuple[str, str], str | None] | None = None
) -> bool:
    """An event that carries nothing the sync does not already hold, so reading the record would
    only find our own write. Safe to drop because HubSpot sends one event per change: a change by
    anyone else arrives as an event of its own (and the search capture re-reads everything anyway).
    - contact.creation of a linked contact: we created it (or linked it already); edits made to it
      since come as their own propertyChange events.
    - propertyChange to exactly the value last synced for that property, or of the Salesforce-id
      property (CON-12) to the linked record's id: our write-back.
    - propertyChange to the value the engine noted it was about to write (`expected`, keyed by
      (record id, property)): the event can arrive before the write's bookkeeping commits.
    Anything else is queued."""
    kind = ev.get("subscriptionType")
    if kind == CHANGE and expected:
        key = (str(ev.get("objectId")), str(ev.get("propertyName")))
        raw = ev.get("propertyValue")
        if key in expected and isinstance(raw, str | type(None)) and canonical(raw) == expected[key]:
            return True
    if link is None:
        return False
    if kind == CREATION:
        return True
    if kind != CHANGE:
        return False
    prop, raw = ev.get("propertyName"), ev.get("propertyValue")
    if not isinstance(prop, str) or not isinstance(raw, str | type(None)):
        return False
    value = canonical(raw)
    if prop in OBJECT.link_properties.values():
        return value == link.sf_id
    synced = [side_value(v, "hs") for k, v in link.last_synced.items() if k.split("|", 1)[0] == prop]
    return bool(synced) and all(v == value for v in synced)


def plan(
    events: Iterable[dict[str, Any]],
    links: dict[str, LinkView] | None = None,
    expected: dict[tuple[str, str], str | None] | None = None,
) -> QueuePlan:
    """Which contacts to queue, with which trigger. A merge queues the surviving record (the new
    one when the merge created one) and the merged-away ones (they read as missing). Several events for one record collapse into one item.
    With `links` (hs id -> LinkView), events that only echo our own writes are dropped (is_echo)."""
    items: dict[str, tuple[str, int]] = {}
    ignored = echoes = 0
    for ev in events:
        trigger = TRIGGERS.get(ev["subscriptionType"])
        if trigger is None:
            ignored += 1
            continue
        if links is not None and is_echo(ev, links.get(str(ev["objectId"])), expected):
            echoes += 1
            continue
        at = int(ev.get("occurredAt") or 0)
        ids = [ev["objectId"]]
        if ev["subscriptionType"] == MERGE:
            # newObjectId: the contact a merge created (HubSpot now merges into a new record); it
            # survives, the others read as merged away
            ids += [ev.get("primaryObjectId"), ev.get("newObjectId"), *(ev.get("mergedObjectIds") or [])]
        for raw in ids:
            if raw is None or isinstance(raw, bool):
                continue
            rid = str(raw)
            prev = items.get(rid)
            if prev is None or at >= prev[1]:
                # creation outranks a later propertyChange of the same record in one batch
                keep_creation = prev is not None and prev[0].startswith("TRG-7")
                items[rid] = (prev[0] if keep_creation else trigger, at)
    return QueuePlan(items, ignored, echoes)


def already_captured(occurred_at: int, seen_version: str | None) -> bool:
    """The search capture already read this record at a version at or after the event: that read held
    the change. (Seen versions are lastmodifieddate in epoch ms; a version we cannot compare never
    counts.)"""
    return (
        bool(seen_version) and seen_version.isdigit() and occurred_at > 0 and int(seen_version) >= occurred_at
    )


# ------------------------------------------------------------------ the receiver
class WebhookReceiver:
    """Checks and queues one delivery at a time; `handle` never raises (errors become statuses)."""

    def __init__(self, cfg: WebhookSettings, store: StateStore, now: Callable[[], datetime]) -> None:
        self.cfg = cfg
        self.store = store
        self.now = now
        self._lock = threading.Lock()  # SQLite: one writer; PostgreSQL: keeps the counters exact

    def close(self) -> None:
        """Release the receiver's database connections (a pool of its own, or the engine's when the
        database is in memory: disposing then only drops idle connections)."""
        self.store.dispose()

    def handle(
        self, method: str, url: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any] | None]:
        if path.rstrip("/") != self.cfg.path.rstrip("/"):
            return 404, {"error": f"not found; HubSpot webhooks are received at {self.cfg.path}"}
        if method != "POST":
            return 405, {"error": "HubSpot delivers webhooks with POST"}
        if len(body) > MAX_BODY_BYTES:
            return 413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"}
        now_ms = int(self.now().timestamp() * 1000)
        try:
            check_signature(self.cfg, method, url, headers, body, now_ms)
            events = parse_events(body)
        except WebhookRejected as exc:
            self._count("rejected", now_ms, exc.message)
            return exc.status, {"error": exc.message}
        try:
            queued = self._queue(events, now_ms)
        except Exception as exc:  # noqa: BLE001 - a state failure must make HubSpot retry, not crash
            return 503, {"error": f"could not queue the events ({type(exc).__name__}); send again later"}
        return 200, {"received": len(events), "queued": queued}

    def _queue(self, events: list[dict[str, Any]], now_ms: int) -> int:
        with self._lock, self.store.session() as s:
            ids = sorted(
                {str(ev["objectId"]) for ev in events if str(ev["subscriptionType"]).startswith(f"{EVENT}.")}
            )
            links = {
                hs_id: LinkView(sf_id, last or {})
                for hs_id, sf_id, last in s.execute(
                    select(Link.hs_id, Link.sf_id, Link.last_synced).where(
                        Link.object_type == HS_OBJECT, Link.hs_id.in_(ids or [""])
                    )
                )
            }
            expected = {
                (rid, prop): value
                for rid, prop, value in s.execute(
                    select(ExpectedEcho.record_id, ExpectedEcho.property, ExpectedEcho.value).where(
                        ExpectedEcho.record_id.in_(ids or [""])
                    )
                )
            }
            p = plan(events, links, expected)
            seen = self.store.seen_versions(s, "hubspot", HS_OBJECT, list(p.items))
            todo = {
                rid: (trigger, None)
                for rid, (trigger, at) in p.items.items()
                if not already_captured(at, seen.get(rid))
            }
            if todo:
                # payload None: the engine reads the record fresh (an older captured payload queued
                # for the same record is dropped, it predates this change)
                self.store.enqueue(s, "hubspot", HS_OBJECT, todo, now_ms / 1000, fresh_read=True)
            stats = self.store.get_flag(s, "webhooks") or {}
            stats.update(
                deliveries=int(stats.get("deliveries", 0)) + 1,
                events=int(stats.get("events", 0)) + len(events),
                queued=int(stats.get("queued", 0)) + len(todo),
                echoes=int(stats.get("echoes", 0)) + p.echoes,
                # records already captured by search, plus events of kinds the sync does not use
                skipped=int(stats.get("skipped", 0)) + p.ignored + len(p.items) - len(todo),
                last_delivery_at=now_ms / 1000,
            )
            self.store.set_flag(s, "webhooks", stats)
        return len(todo)

    def _count(self, what: str, now_ms: int, message: str) -> None:
        try:
            with self._lock, self.store.session() as s:
                stats = self.store.get_flag(s, "webhooks") or {}
                stats[what] = int(stats.get(what, 0)) + 1
                stats["last_rejection"] = {"at": now_ms / 1000, "message": message}
                self.store.set_flag(s, "webhooks", stats)
        except Exception:  # noqa: BLE001 - bookkeeping must not turn a 401 into a 500
            pass

    # --- WSGI -------------------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """A plain WSGI app for in-process transports (the CLI serves the receiver with
        sync.webhook_server, standard library only)."""
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        query = environ.get("QUERY_STRING", "")
        scheme = environ.get("wsgi.url_scheme", "http")
        host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
        url = f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}{path}" + (f"?{query}" if query else "")
        headers = {k[5:].replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")}
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY_BYTES:
            status, out = 413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"}
        else:
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            status, out = self.handle(method, url, path, headers, body)
        data = json.dumps(out).encode() if out is not None else b""
        reason = {
            200: "OK",
            400: "Bad Request",
            401: "Unauthorized",
            404: "Not Found",
            405: "Method Not Allowed",
            413: "Payload Too Large",
            503: "Service Unavailable",
        }[status]
        hdrs = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        if status == 405:
            hdrs.append(("Allow", "POST"))
        start_response(f"{status} {reason}", hdrs)
        return [data]


# ------------------------------------------------------------------ subscriptions
LIFECYCLE_EVENTS = tuple(f"{EVENT}.{e}" for e in ("creation", "deletion", "merge", "restore", "privacyDeletion"))


# Bookkeeping properties the sync reads but nobody edits: creation is its own event, and a
# subscription to the modification stamp would fire for every change of every property.
NOT_SUBSCRIBED = frozenset({"createdate", "lastmodifieddate", "hs_lastmodifieddate", "hs_object_id"})


def wanted_subscriptions(properties: Iterable[str]) -> list[tuple[str, str | None]]:
    """What the sync needs: the contact lifecycle events plus a propertyChange per property it reads
    (a change to any other property triggers nothing anyway: TRG-4)."""
    return [(e, None) for e in LIFECYCLE_EVENTS] + [
        (CHANGE, p) for p in sorted(set(properties) - NOT_SUBSCRIBED)
    ]


def ensure_subscriptions(
    session: Any,
    base_url: str,
    app_id: int,
    developer_key: str,
    target_url: str,
    properties: Iterable[str],
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Point the app's webhooks at `target_url` and create the missing subscriptions (existing ones
    are kept and re-activated). Webhooks belong to the developer app, so these calls use its
    developer API key (`hapikey`), not the private-app token the engine syncs with."""
    root = f"{base_url.rstrip('/')}/webhooks/v3/{app_id}"
    params = {"hapikey": developer_key}

    def call(method: str, path: str, ok: tuple[int, ...], **kw: Any) -> Any:
        resp = session.request(method, root + path, params=params, timeout=timeout, **kw)
        if resp.status_code not in ok:
            try:
                msg = resp.json().get("message", resp.text[:300])
            except ValueError:
                msg = resp.text[:300]
            raise WebhookRejected(
                resp.status_code, f"{method} /webhooks/v3/{app_id}{path}: {resp.status_code} {msg}"
            )
        return resp.json() if resp.content else None

    call(
        "PUT",
        "/settings",
        (200,),
        json={"targetUrl": target_url, "throttling": {"maxConcurrentRequests": 10}},
    )
    existing = {
        (s["eventType"], s.get("propertyName")): s for s in call("GET", "/subscriptions", (200,))["results"]
    }
    created, reactivated = [], []
    for event_type, prop in wanted_subscriptions(properties):
        have = existing.get((event_type, prop))
        if have is None:
            body: dict[str, Any] = {"eventType": event_type, "active": True}
            if prop:
                body["propertyName"] = prop
            call("POST", "/subscriptions", (200, 201), json=body)
            created.append(f"{event_type}{':' + prop if prop else ''}")
        elif not have.get("active"):
            call("PATCH", f"/subscriptions/{have['id']}", (200,), json={"active": True})
            reactivated.append(f"{event_type}{':' + prop if prop else ''}")
    return {"targetUrl": target_url, "created": created, "reactivated": reactivated, "kept": len(existing)}
